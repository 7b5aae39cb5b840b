"""Burst load on a running Referee, the way issue 9 checks the product: `make run` in one terminal,
then in another (same checkout, same environment as the server: REFEREE_VAR_DIR, DATABASE_URL)

    python -m bench.bench_burst [--url http://127.0.0.1:8000] [--minutes 2] [--clients 8]

It loads fresh burst calls into the server's database (`referee import`), reads their users'
tokens (`referee token`) and runs `--clients` clients for `--minutes`, each playing block after
block of bench.burst's round-trip (invitations, resends, manual assignments, sends, accepts,
declines, cancels, detections, generations, reads) while `/health/` is polled. The clients work
on one call at a time, `--blocks-per-call` blocks each, then on the next: every client contends
for the same call's locks, and a call stays the size of a real one (a single call of every
block of two minutes grew to 2,400 proposals, each generation rescoring all of them). Then it
waits for the detections to settle and reports: requests and how they answered, latency per
kind of request, the worst `/health/`, each call's state against the one every interleaving
must give, and, with the default file mail backend, each mail the burst caused found exactly
once in var/mail. Exits 1 on any 5xx, unanswered request, /health/ over 1 s, wrong state or
mail."""

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

from bench.burst import Run, Scenario, burst, discover, letters, refusals, state

ROOT = Path(__file__).resolve().parents[1]
HEALTH_LIMIT = 1.0
ROUND_SECONDS = 3  # a block's round-trip takes longer than this (4–8 s seen): blocks to load per client and minute


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


def mails_in(folder: Path, tag: str) -> Counter:
    """(sorted recipients, subject) of every message to a user of this run's calls (their
    usernames, hence addresses, hold `tag`) in Django's file backend output (one file per
    connection, messages separated by a line of 79 dashes)."""
    found = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if raw.strip():
                message = email.message_from_string(raw, policy=policy.default)
                to = ",".join(sorted(a.strip() for a in str(message["To"]).split(",")))
                if f"burst{tag}" in to:
                    found[(to, str(message["Subject"] or ""))] += 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--blocks-per-call", type=int, default=32,
                        help="blocks (5 proposals, 2 reviewers each) per call; calls are played one after another")
    args = parser.parse_args()

    stamp = datetime.now(UTC).strftime("%H%M%S")
    blocks = args.clients * max(1, int(args.minutes * 60 / ROUND_SECONDS))
    per_call = max(args.clients, args.blocks_per_call)
    scenarios = [Scenario(blocks=per_call, tag=f"{stamp}{letters(n).lower()}") for n in range(-(-blocks // per_call))]
    tokens = {}
    print(f"Loading {len(scenarios)} calls of {per_call} blocks …", flush=True)
    for scenario in scenarios:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
            json.dump(scenario.dataset(datetime.now(UTC)), data)
            data.flush()
            referee("import", data.name, "--no-progress")
        tokens.update(line.split() for line in referee("token", *scenario.usernames()).splitlines())

    print(f"{args.clients} clients for {args.minutes:g} min against {args.url} …", flush=True)
    health, stop = [], threading.Event()
    watcher = threading.Thread(target=poll_health, args=(args.url, stop, health))
    watcher.start()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    runs = []  # (scenario, its ids, its run), one per call the clients reached
    for scenario in scenarios:
        if time.monotonic() > deadline:
            break
        ids = discover(args.url, tokens[scenario.staff], scenario)
        runs.append((scenario, ids, burst(args.url, tokens, ids, scenario, clients=args.clients, deadline=deadline)))
    stop.set()
    watcher.join()
    elapsed = time.monotonic() - started
    run = Run(records=[r for *_, one in runs for r in one.records], mails=[m for *_, one in runs for m in one.mails])

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

    for scenario, ids, one in runs:
        # A block was played when its invitation was sent (every round-trip starts with it).
        invited = {to for _, to, _ in one.mails}
        played = sorted(k for k in range(scenario.blocks) if scenario.email("i", k) in invited)
        deadline = time.monotonic() + 60
        while True:
            now = state(args.url, tokens[scenario.staff], ids)
            if set(now["jobs"]) <= {"completed"} or time.monotonic() > deadline:
                break
            time.sleep(1)
        state_ok = {key: value for key, value in now.items() if key != "jobs"} == scenario.expected_state(played)
        if not state_ok:
            problems.append(f"{scenario.call_name}: the call's state differs from the expected one")
        print(f"{scenario.call_name}: blocks played {len(played)}; detection jobs {now['jobs']}; "
              f"state as expected: {state_ok}")

    mail_folder = Path(os.environ.get("REFEREE_VAR_DIR") or ROOT / "var") / "mail"
    if os.environ.get("EMAIL_URL"):
        print("mail: EMAIL_URL is set, not checked here")
    else:
        wanted = Counter((",".join(sorted(to.split(","))), subject) for _, to, subject in run.mails)
        time.sleep(5)
        found = mails_in(mail_folder, stamp)
        print(f"mail: {sum(wanted.values())} expected, {sum(found.values())} found in {mail_folder}")
        if found != wanted:
            problems.append(f"mail: {sum((wanted - found).values())} missing, {sum((found - wanted).values())} extra")
            problems += [f"mail missing: {key}" for key in list(wanted - found)[:3]]
            problems += [f"mail extra: {key}" for key in list(found - wanted)[:3]]
    for problem in problems[:20]:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
