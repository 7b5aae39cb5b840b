"""The product under a burst of concurrent clients, started as users start it, several times
over (a deadlock that depends on how a fresh start interleaves shows on some starts only).

Every request answers within 10 s and none with a 5xx, `/health/` answers within 1 s throughout,
no web worker is restarted, every mail the burst queued reaches the SMTP sink exactly once, within
5 s of its cause and the call ends in the one state every interleaving
must produce."""

import statistics
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from bench import burst
from referee.core.accounts import token_for
from referee.core.models import User
from referee.imports import import_data
from tests.live.processes import wait_until

pytestmark = pytest.mark.live
HEALTH_LIMIT = 1.0  # seconds
MAIL_DELAY = 5.0  # seconds from the response that queued a mail to its arrival
SCENARIO = burst.Scenario()  # 8 blocks, one per client
FAILURE_MARKS = ("Traceback", "WORKER TIMEOUT", "NotRegistered", "Worker exiting", "ImportError")


class HealthWatch:
    """Polls /health/ while the burst runs; every answer's time, or None when none came."""

    def __init__(self, url: str):
        self.url, self.times, self._stop = url, [], threading.Event()
        self._thread = threading.Thread(target=self._poll, name="health-watch")

    def _poll(self):
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                start = time.monotonic()
                try:
                    ok = client.get(f"{self.url}/health/").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.times.append(time.monotonic() - start if ok else None)
                self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def recipients(message) -> str:
    return ",".join(sorted(a.strip() for a in str(message["To"]).split(",")))


def check_mail(run: burst.Run, sink, within: float):
    """Each mail the burst caused arrived once (and in time); no other mail arrived twice."""
    expected = Counter((",".join(sorted(to.split(","))), subject) for _, to, subject in run.mails)
    ours = lambda m: SCENARIO.call_name in m["Subject"] or "Burst proposal" in m["Subject"]  # noqa: E731
    wait_until(lambda: sum(1 for m in list(sink.messages) if ours(m)) >= sum(expected.values()), 30,
               what=f"the burst's {sum(expected.values())} mails at the sink")
    time.sleep(1.5)  # room for a duplicate to show up
    arrived = list(zip(sink.messages, sink.received_at, strict=False))  # the sink may be mid-append
    assert Counter((recipients(m), m["Subject"]) for m, _ in arrived if ours(m)) == expected
    others = Counter((recipients(m), m["Subject"]) for m, _ in arrived if not ours(m))
    assert [key for key, n in others.items() if n > 1] == []
    delays = {}
    for key in expected:
        caused = sorted(at for at, to, subject in run.mails if (",".join(sorted(to.split(","))), subject) == key)
        received = sorted(at for m, at in arrived if (recipients(m), m["Subject"]) == key)
        delays.update({f"{key[1]} to {key[0]} #{n}": got - cause
                       for n, (cause, got) in enumerate(zip(caused, received, strict=True))})
    print(f"mail: {len(delays)} delivered, at most {max(delays.values()):.2f}s after the response that queued it")
    assert {mail: f"{delay:.1f}s" for mail, delay in delays.items() if delay > within} == {}


def report(run: burst.Run, health: HealthWatch) -> None:
    """Latencies per kind of request (pytest shows them when a test fails, or with -s)."""
    answered = [t for t in health.times if t is not None]
    print(f"health: {len(health.times)} polls, {len(answered)} answered, max {max(answered, default=0):.3f}s")
    for label in sorted({r.label for r in run.records}):
        seconds = [r.seconds for r in run.records if r.label == label]
        print(f"  {label:10} n={len(seconds):3} median {statistics.median(seconds):.3f}s max {max(seconds):.3f}s")


def settled(url: str, staff_token: str, ids: burst.Ids):
    """The call's state once every detection job the burst started has completed, else None."""
    now = burst.state(url, staff_token, ids)
    return now if set(now["jobs"]) == {"completed"} else None


def check_burst(url: str, tokens: dict, sink, server_logs, *, workers: int, mail_within: float):
    ids = burst.discover(url, tokens[SCENARIO.staff], SCENARIO)
    with HealthWatch(url) as health:
        run = burst.burst(url, tokens, ids, SCENARIO)
    report(run, health)
    assert burst.refusals(run) == []
    assert max(r.seconds for r in run.records) < burst.REQUEST_TIMEOUT
    assert None not in health.times and max(health.times) < HEALTH_LIMIT, health.times

    check_mail(run, sink, mail_within)
    # Detection runs in the background: the jobs the burst started finish, and find nothing.
    done = wait_until(lambda: settled(url, tokens[SCENARIO.staff], ids), 30, what="the detection jobs to complete")
    assert {key: value for key, value in done.items() if key != "jobs"} == SCENARIO.expected_state()

    logs = server_logs()
    assert logs.count("Booting worker with pid") == workers, "a web worker was restarted"
    assert [mark for mark in FAILURE_MARKS if mark in logs] == []


@pytest.mark.parametrize("start", [1, 2])
def test_embedded_default_under_a_burst(embedded, sink, start):
    """`referee serve` as `make run` starts it: SQLite, no broker, two workers of eight threads."""
    sink.start()
    serve = embedded.start()
    check_burst(serve.url, embedded.tokens, sink, serve.output, workers=2, mail_within=MAIL_DELAY)
    assert serve.alive()


@pytest.mark.parametrize("start", [1, 2])
def test_production_processes_under_a_burst(stack, sink, start):
    """gunicorn (two workers) + a Celery worker + beat on PostgreSQL and Redis (the Procfile)."""
    sink.start()
    import_data(SCENARIO.dataset(datetime.now(UTC)))
    tokens = {u.username: token_for(u) for u in User.objects.filter(username__in=SCENARIO.usernames())}
    web = stack.web(wait=False, workers=2)
    stack.worker(wait=False)
    stack.beat(wait=False)
    stack.wait_ready()
    check_burst(web.url, tokens, sink, web.output, workers=2, mail_within=MAIL_DELAY)
