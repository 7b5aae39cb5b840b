"""Real processes for the smoke and fault tests: gunicorn, Celery workers, celery beat and
`referee serve`, against the PostgreSQL test database pytest-django created, a Redis database of
their own and an SMTP sink in this process.

Every process runs in its own process group and is stopped in teardown, whatever the outcome:
SIGTERM, then SIGKILL for the whole group after a bounded wait. Without PostgreSQL or Redis
these tests skip locally and fail under CI=true."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from celery import Celery
from django.db import connection

from referee.core.accounts import token_for
from tests import factories as f
from tests.notifications.conftest import SmtpServer, SmtpSink, free_port

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START_TIMEOUT = 30  # seconds for a process to come up
TIMEOUT = 20  # seconds for anything a test waits for


def pytest_configure(config):
    config.addinivalue_line("markers", "smoke: starts real processes (gunicorn, Celery, beat) against PostgreSQL and Redis")


def unavailable(reason: str):
    if CI:
        pytest.fail(f"{reason} (CI=true: the smoke tests must run)", pytrace=False)
    pytest.skip(reason)


def wait_until(condition, timeout=TIMEOUT, what="condition", interval=0.1):
    """Poll `condition` until it is truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        time.sleep(interval)


# --- data and requests ---------------------------------------------------------------------------

def call_with_draft(reviewer_name="rita"):
    manager = f.user(f"manager-{reviewer_name}", email=f"manager-{reviewer_name}@example.org")
    call = f.call(managers=[manager], name=f"Smoke call for {reviewer_name}")
    round_ = f.round_(call)
    reviewer = f.user(reviewer_name, email=f"{reviewer_name}@example.org")
    batch = f.batch(f.pool_entry(call, f.profile(reviewer)))
    for _ in range(2):
        f.item(batch, f.proposal(round_))
    return manager, batch


def send(url, manager, batch) -> httpx.Response:
    return httpx.post(f"{url}/api/assignment-batches/{batch.uuid.hex}/send/", json={},
                      headers={"Authorization": f"Token {token_for(manager)}"}, timeout=10)


# --- services ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_url(django_db_setup):
    """The test database pytest-django created, as a DATABASE_URL for the subprocesses."""
    if connection.vendor != "postgresql":
        unavailable("the smoke tests need PostgreSQL: set DATABASE_URL or run it on 127.0.0.1:5432")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database of the smoke tests alone (13, one lower per xdist worker), emptied before
    and after: `SMOKE_REDIS_URL` overrides it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = os.environ.get("SMOKE_REDIS_URL") or f"redis://127.0.0.1:6379/{13 - int(worker[2:] or 0) % 8}"
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable(f"the smoke tests need Redis at {url}: {exc}")
    yield url
    client.flushdb()
    client.close()


class Sink(SmtpSink):
    """The SMTP sink, able to hold a delivery at RCPT: the sender is then mid-task, nothing
    accepted yet (what a slow or hanging server looks like)."""

    def __init__(self):
        super().__init__()
        self.hold = False
        self.held = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold:
            self.held.set()
            while self.hold:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SinkServer(SmtpServer):
    def __init__(self, port: int):
        super().__init__(port)
        self.sink = Sink()


@pytest.fixture
def sink():
    """An SMTP server on a free port, down until `start()`."""
    server = SinkServer(free_port())
    yield server
    server.sink.hold = False
    server.stop()


# --- processes -----------------------------------------------------------------------------------

class Process:
    """One subprocess in its own process group, output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen = None
        self.ready = None  # waits until the process serves (set by Stack)

    def start(self) -> "Process":
        with open(self.log, "wb") as out:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_for_output(self, text: str, timeout=START_TIMEOUT) -> None:
        def seen():
            if text in self.output():
                return True
            if not self.alive():
                pytest.fail(f"{self.name} exited ({self.popen.returncode}) before {text!r}:\n{self.tail()}",
                            pytrace=False)
            return False

        wait_until(seen, timeout, what=f"{self.name} to print {text!r}")

    def tail(self, lines=40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def signal_group(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL to the whole group (a Celery worker's pool children too): a crash."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout=10) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; leftovers of the group are killed either way."""
        self.terminate()
        return self.reap(timeout)

    def terminate(self) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)

    def reap(self, timeout=10) -> int | None:
        if self.popen is None:
            return None
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.popen.wait(10)
        self.signal_group(signal.SIGKILL)
        return self.popen.returncode


class Stack:
    """Starts the processes of one test with a shared environment; `stop_all()` ends them."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env, self.processes = tmp, env, []

    def spawn(self, name: str, argv: list[str], **env) -> Process:
        process = Process(name, argv, {**self.env, **env}, self.tmp / f"{name}.log")
        self.processes.append(process)
        return process.start()

    def procfile(self, name: str, kind: str, *extra: str, app: str = "referee.celery", **env) -> Process:
        """Start the Procfile's `kind` line (the command production runs) plus `extra` arguments."""
        lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
        command = lines[kind].strip().replace("-A referee.celery", f"-A {app}")
        return self.spawn(name, ["sh", "-c", f'exec {command} "$@"', kind, *extra], **env)

    def web(self, wait=True):
        """gunicorn (one worker); `url` is its base URL."""
        port = free_port()
        process = self.procfile("web", "web", PORT=str(port), WEB_CONCURRENCY="1")
        process.url = f"http://127.0.0.1:{port}"
        process.ready = lambda: wait_until(lambda: healthy(process.url, process), START_TIMEOUT,
                                           what="gunicorn's /health/")
        return self._started(process, wait)

    def worker(self, name="worker", queue="celery", app="referee.celery", concurrency=2, wait=True):
        process = self.procfile(name, "worker", f"--concurrency={concurrency}", "-Q", queue,
                                "-n", f"{name}-{uuid.uuid4().hex[:8]}@%h", "--without-heartbeat", app=app)
        process.ready = lambda: process.wait_for_output(" ready.")
        return self._started(process, wait)

    def beat(self, wait=True):
        # --max-interval 1: see schedule edits in the database within a second (default 5).
        process = self.procfile("beat", "beat", "--max-interval=1", "--schedule", str(self.tmp / "beat-schedule"))
        process.ready = lambda: process.wait_for_output("beat: Starting...")
        return self._started(process, wait)

    @staticmethod
    def _started(process, wait):
        if wait:
            process.ready()
        return process

    def wait_ready(self):
        """Start processes with wait=False, then wait here: they boot in parallel."""
        for process in self.processes:
            if process.ready is not None:
                process.ready()

    def stop_all(self):
        """All at once (each shuts down warmly in parallel), each wait bounded."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.reap()


def healthy(url: str, process: Process) -> bool:
    if not process.alive():
        pytest.fail(f"gunicorn exited:\n{process.tail()}", pytrace=False)
    try:
        return httpx.get(f"{url}/health/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def stack(transactional_db, postgres_url, redis_url, sink, tmp_path):
    """Requests transactional_db so that its rows are committed (the processes see them) and
    the processes are stopped before pytest-django empties the tables."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}?timeout=5",
        "SITE_URL": "http://referee.test",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REFEREE_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # gunicorn, celery
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # referee.celery and referee.wsgi set their own
    stack = Stack(tmp_path, env)
    yield stack
    stack.stop_all()
    for process in stack.processes:  # pytest shows this only when the test failed
        code = process.popen.returncode if process.popen else "never started"
        print(f"----- {process.name} (exit {code}) -----\n{process.tail()}")


@pytest.fixture
def producer(redis_url):
    """Sends tasks by name through the smoke Redis, as beat or a web process would."""
    app = Celery("smoke-producer", broker=redis_url, set_as_current=False)
    yield app
    app.close()
