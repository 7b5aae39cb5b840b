"""The embedded timer of `referee serve` (no broker): runs the beat schedule in one thread of the
server process, every job at start and then on its interval, surviving failing jobs."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from referee.assignments.models import AssignmentBatch
from referee.celery import app
from referee.core.management.commands import serve
from referee.core.scheduler import EmbeddedScheduler
from tests import factories as f

calls = []
lock = threading.Lock()


@app.task(name="tests.jobs.tick")
def tick(label):
    with lock:
        calls.append(label)
    return label


@app.task(name="tests.jobs.broken")
def broken():
    with lock:
        calls.append("broken")
    raise RuntimeError("job bug")


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def scheduler():
    calls.clear()
    made = []

    def make(schedule, **kwargs):
        made.append(EmbeddedScheduler(schedule, max_wait=0.5, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def test_every_job_runs_at_start_then_on_its_interval(scheduler):
    s = scheduler({
        "fast": {"task": "tests.jobs.tick", "schedule": 0.1, "args": ("fast",)},
        "slow": {"task": "tests.jobs.tick", "schedule": timedelta(hours=1), "kwargs": {"label": "slow"}},
    })
    s.start()
    wait_for(lambda: calls.count("fast") >= 4)
    assert calls.count("slow") == 1 and calls[:2] == ["fast", "slow"]
    s.stop()
    assert not s.running
    done = len(calls)
    time.sleep(0.3)
    assert len(calls) == done


def test_a_failing_job_is_logged_and_the_timer_goes_on(scheduler, caplog):
    s = scheduler({
        "broken": {"task": "tests.jobs.broken", "schedule": 0.1},
        "fine": {"task": "tests.jobs.tick", "schedule": 0.1, "args": ("fine",)},
    })
    s.start()
    wait_for(lambda: calls.count("broken") >= 3 and calls.count("fine") >= 3)
    assert s.running
    assert "job broken failed" in caplog.text and "job bug" in caplog.text


def test_an_unknown_task_is_logged_not_fatal(scheduler, caplog):
    s = scheduler({"ghost": {"task": "tests.jobs.nothing", "schedule": 0.1},
                   "fine": {"task": "tests.jobs.tick", "schedule": 0.1, "args": ("fine",)}})
    s.start()
    wait_for(lambda: calls.count("fine") >= 2)
    assert s.running and "job ghost failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_real_schedule_runs_the_jobs_in_its_thread(scheduler, world):
    """Its own thread, its own database connection, closed after each job."""
    batch = f.batch(world.entry, status="sent", expires_at=world.call.created)  # long past
    f.item(batch, world.proposal)
    s = scheduler(settings.CELERY_BEAT_SCHEDULE)
    s.start()
    # Not polling the database meanwhile: SQLite's shared-cache test database refuses a reader
    # while the thread writes. stop() waits for the running job.
    wait_for(lambda: all(e.last_run_at for e in s.entries), timeout=20)
    s.stop(timeout=20)
    assert not s.running
    assert AssignmentBatch.objects.filter(pk=batch.pk, status="expired", manager_notified=True).exists()


def capture_gunicorn(monkeypatch):
    seen = {}

    def fake_run(self):
        seen.update(when_ready=self.cfg.when_ready, on_exit=self.cfg.on_exit)

    monkeypatch.setattr(serve.Server, "run", fake_run)
    return seen


def test_serve_starts_one_timer_in_the_master_when_ready(monkeypatch, settings, tmp_path):
    seen = capture_gunicorn(monkeypatch)
    started, stopped = [], []
    monkeypatch.setattr(EmbeddedScheduler, "start", lambda self: started.append(self))
    monkeypatch.setattr(EmbeddedScheduler, "stop", lambda self: stopped.append(self))
    settings.VAR_DIR, settings.REFEREE_EMBEDDED_SCHEDULER = tmp_path, True
    call_command("serve", "--port", "8124", "--workers", "3")
    assert started == []  # not before gunicorn has bound its socket
    seen["when_ready"](None)
    seen["on_exit"](None)
    assert len(started) == 1 and stopped == started
    assert {e.name for e in started[0].entries} == set(settings.CELERY_BEAT_SCHEDULE)


def test_serve_without_the_timer(monkeypatch, settings, tmp_path):
    seen = capture_gunicorn(monkeypatch)
    settings.VAR_DIR, settings.REFEREE_EMBEDDED_SCHEDULER = tmp_path, False
    call_command("serve", "--port", "8125")
    default = serve.Server({}).cfg
    assert seen["when_ready"] is default.when_ready and seen["on_exit"] is default.on_exit
