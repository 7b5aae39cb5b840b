"""Burst load on a running Referee, the way issue 9 checks the product: `make run` in one terminal,
then in another (same checkout, same environment as the server: REFEREE_VAR_DIR, DATABASE_URL)

    python -m bench.bench_burst [--url http://127.0.0.1:8000] [--minutes 2] [--clients 8]

It loads a fresh burst call into the server's database (`referee import`), reads its users'
tokens (`referee token`) and runs `--clients` clients for `--minutes`, each playing block after
block of bench.burst's round-trip (invitations, resends, manual assignments, sends, accepts,
declines, cancels, detections, generations, reads) while `/health/` is polled. Then it waits for
the detections to settle and reports: requests and how they answered, latency per kind of
request, the worst `/health/`, the call's state against the one every interleaving must give,
and, with the default file mail backend, each mail the burst caused found exactly once in
var/mail. Exits 1 on any 5xx, unanswered request, /health/ over 1 s, wrong state or mail."""

from __future__ import annotations

import argparse
import email
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import httpx

from bench.burst import Scenario, burst, discover, refusals, state

ROOT = Path(__file__).resolve().parents[1]
HEALTH_LIMIT = 1.0
ROUND_SECONDS = 2  # a block's round-trip takes longer than this: blocks to load per client and minute


def referee(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "referee.cli", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"referee {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def poll_health(url: str, stop: threading.Event, times: list) -> None:
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            start = time.monotonic()
            try:
                ok = client.get(f"{url}/health/").status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append(time.monotonic() - start if ok else None)
            stop.wait(0.25)


def mails_in(folder: Path, call_name: str) -> Counter:
    """(sorted recipients, subject) of every message about the call in Django's file backend
    output (one file per connection, messages separated by a line of 79 dashes)."""
    found = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if raw.strip():
                message = email.message_from_string(raw, policy=policy.default)
                subject = str(message["Subject"] or "")
                if call_name in subject or "Burst proposal" in subject:
                    to = ",".join(sorted(a.strip() for a in str(message["To"]).split(",")))
                    found[(to, subject)] += 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    scenario = Scenario(blocks=args.clients * max(1, int(args.minutes * 60 / ROUND_SECONDS)),
                        tag=datetime.now(UTC).strftime("%H%M%S"))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
        json.dump(scenario.dataset(datetime.now(UTC)), data)
        data.flush()
        print(f"Loading {scenario.blocks} blocks ({scenario.call_name}) …", flush=True)
        referee("import", data.name, "--no-progress")
    tokens = dict(line.split() for line in referee("token", *scenario.usernames()).splitlines())
    ids = discover(args.url, tokens[scenario.staff], scenario)

    print(f"{args.clients} clients for {args.minutes:g} min against {args.url} …", flush=True)
    health, stop = [], threading.Event()
    watcher = threading.Thread(target=poll_health, args=(args.url, stop, health))
    watcher.start()
    started = time.monotonic()
    run = burst(args.url, tokens, ids, scenario, clients=args.clients, deadline=started + args.minutes * 60)
    stop.set()
    watcher.join()
    elapsed = time.monotonic() - started

    problems = refusals(run)
    answered = [t for t in health if t is not None]
    print(f"\n{len(run.records)} requests in {elapsed:.0f} s; statuses {dict(Counter(r.status for r in run.records))}")
    for label in sorted({r.label for r in run.records}):
        seconds = sorted(r.seconds for r in run.records if r.label == label)
        print(f"  {label:10} n={len(seconds):5}  median {statistics.median(seconds) * 1000:7.1f} ms  "
              f"p95 {seconds[int(0.95 * (len(seconds) - 1))] * 1000:7.1f} ms  max {seconds[-1] * 1000:7.1f} ms")
    print(f"/health/: {len(health)} polls, {len(health) - len(answered)} unanswered, "
          f"worst {max(answered, default=0) * 1000:.0f} ms")
    if len(answered) < len(health) or max(answered, default=0) >= HEALTH_LIMIT:
        problems.append(f"/health/ over {HEALTH_LIMIT} s or unanswered")

    # A block was played when its invitation was sent (every round-trip starts with it).
    played = sorted({k for k in range(scenario.blocks) if any(to == scenario.email("i", k) for _, to, _ in run.mails)})
    deadline = time.monotonic() + 60
    while True:
        now = state(args.url, tokens[scenario.staff], ids)
        if set(now["jobs"]) <= {"completed"} or time.monotonic() > deadline:
            break
        time.sleep(1)
    state_ok = {key: value for key, value in now.items() if key != "jobs"} == scenario.expected_state(played)
    if not state_ok:
        problems.append("the call's state differs from the expected one")
    print(f"blocks played: {len(played)}; detection jobs: {now['jobs']}; state as expected: {state_ok}")

    mail_folder = Path(os.environ.get("REFEREE_VAR_DIR") or ROOT / "var") / "mail"
    if os.environ.get("EMAIL_URL"):
        print("mail: EMAIL_URL is set, not checked here")
    else:
        wanted = Counter((",".join(sorted(to.split(","))), subject) for _, to, subject in run.mails)
        time.sleep(5)
        found = mails_in(mail_folder, scenario.call_name)
        print(f"mail: {sum(wanted.values())} expected, {sum(found.values())} found in {mail_folder}")
        if found != wanted:
            problems.append(f"mail: {sum((wanted - found).values())} missing, {sum((found - wanted).values())} extra")
    for problem in problems[:20]:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
