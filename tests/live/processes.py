"""Real processes for the tests that start the product as users do: each subprocess in its own
process group with its output in a log file, stopped in teardown whatever the outcome (SIGTERM,
then SIGKILL for the whole group after a bounded wait)."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.notifications.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START_TIMEOUT = 30  # seconds for a process to come up
TIMEOUT = 20  # seconds for anything a test waits for
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def unavailable(reason: str):
    if CI:
        pytest.fail(f"{reason} (CI=true: the live tests must run)", pytrace=False)
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

    def web(self, wait=True, workers=1):
        """gunicorn (`workers` processes); `url` is its base URL."""
        port = free_port()
        process = self.procfile("web", "web", PORT=str(port), WEB_CONCURRENCY=str(workers))
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


def schema_operations(url: str) -> int:
    """How many operations the served OpenAPI schema declares."""
    schema = httpx.get(f"{url}/api/schema/?format=json", timeout=30).json()
    return sum(1 for item in schema["paths"].values() for method in item if method in HTTP_METHODS)
