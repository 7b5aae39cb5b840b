"""Fixtures of the live tier: the product started as users start it, driven over HTTP.

The production topology (gunicorn, Celery workers, celery beat) runs against the PostgreSQL test
database pytest-django created and a Redis database of its own; `referee serve` runs the embedded
default on SQLite in a folder of its own. Mail goes to an SMTP sink in this process. Without
PostgreSQL or Redis these tests skip locally and fail under CI=true."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis
from celery import Celery
from django.db import connection

from bench.burst import Scenario
from referee.core.accounts import token_for
from tests import factories as f
from tests.live.processes import ROOT, START_TIMEOUT, Stack, healthy, unavailable, wait_until
from tests.notifications.conftest import SmtpServer, SmtpSink, free_port

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
        unavailable("the live tests need PostgreSQL: set DATABASE_URL or run it on 127.0.0.1:5432")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database of the live tests alone (13, one lower per xdist worker), emptied before
    and after: `LIVE_REDIS_URL` overrides it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = os.environ.get("LIVE_REDIS_URL") or f"redis://127.0.0.1:6379/{13 - int(worker[2:] or 0) % 8}"
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable(f"the live tests need Redis at {url}: {exc}")
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


@pytest.fixture
def stack(transactional_db, postgres_url, redis_url, sink, tmp_path):
    """Requests transactional_db so that its rows are committed (the processes see them) and
    the processes are stopped before pytest-django empties the tables."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
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
    """Sends tasks by name through the live tests' Redis, as beat or a web process would."""
    app = Celery("live-producer", broker=redis_url, set_as_current=False)
    yield app
    app.close()


# --- the embedded default: `referee serve` as `make run` starts it -------------------------------

def embedded_env(var: Path, **extra) -> dict:
    """`make run`'s environment: no DATABASE_URL (SQLite under var/), no broker, no SITE_URL."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE", "EMAIL_URL",
                          "REFEREE_EMBEDDED_WORKER", "REFEREE_EMBEDDED_SCHEDULER"}}
    env.update({"REFEREE_VAR_DIR": str(var), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    env.update(extra)
    return env


def referee(var: Path, *args: str) -> str:
    """Run one `referee` console command the way a user would; its stdout."""
    done = subprocess.run([sys.executable, "-m", "referee.cli", *args], env=embedded_env(var), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"referee {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def embedded_data(tmp_path_factory):
    """A var/ folder as `make run` leaves it (migrated, demo loaded) plus the burst call, and the
    tokens of the burst's users. Each server starts on a copy, so every start is a fresh one."""
    var = tmp_path_factory.mktemp("embedded") / "var"
    referee(var, "migrate", "--no-input")
    referee(var, "load_demo")
    data = var.parent / "burst.json"
    data.write_text(json.dumps(Scenario().dataset(datetime.now(UTC))))
    referee(var, "import", str(data), "--no-progress")
    tokens = dict(line.split() for line in referee(var, "token", *Scenario().usernames()).splitlines())
    return var, tokens


class Embedded:
    """Starts `referee serve` on a fresh copy of the embedded data, mail to the sink."""

    def __init__(self, stack: Stack, data, sink=None):
        self.stack, (self.template, self.tokens), self.sink = stack, data, sink

    def start(self, name="serve", worker=True, **env):
        """`worker=False`: without the embedded worker and beat (REFEREE_EMBEDDED_WORKER=0)."""
        if not worker:
            env["REFEREE_EMBEDDED_WORKER"] = "0"
        var = self.stack.tmp / f"{name}-var"
        shutil.copytree(self.template, var)
        port = free_port()
        if self.sink is not None:
            env["EMAIL_URL"] = f"smtp://127.0.0.1:{self.sink.port}?timeout=5"
        process = self.stack.spawn(name, [sys.executable, "-m", "referee.cli", "serve", "--port", str(port)],
                                   **embedded_env(var, **env))
        process.url, process.var = f"http://127.0.0.1:{port}", var
        wait_until(lambda: healthy(process.url, process), START_TIMEOUT, what="referee serve to answer")
        if worker:
            process.wait_for_output(" ready.")  # its Celery worker: mail is measured from its first minute
            process.wait_for_output("beat: Starting...")
        return process


def stopped(stack: Stack):
    stack.stop_all()
    for process in stack.processes:  # pytest shows this only when the test failed
        print(f"----- {process.name} (exit {process.popen.returncode}) -----\n{process.tail(80)}")


@pytest.fixture
def embedded(embedded_data, sink, tmp_path):
    stack = Stack(tmp_path, {})
    yield Embedded(stack, embedded_data, sink)
    stopped(stack)


@pytest.fixture(scope="module")
def embedded_module(embedded_data, tmp_path_factory):
    """Servers shared by a module's tests, mail going nowhere (EMAIL_URL unset: var/mail)."""
    stack = Stack(tmp_path_factory.mktemp("served"), {})
    yield Embedded(stack, embedded_data)
    stopped(stack)


def referee_tokens(var: Path) -> dict:
    """var/demo-tokens.json, as `make run` leaves it."""
    return json.loads((var / "demo-tokens.json").read_text())
