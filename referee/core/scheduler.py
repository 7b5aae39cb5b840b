"""Periodic jobs (§6): the per-row runner every job uses, and the embedded timer of `referee serve`.

Production runs each job as a Celery task on celery beat's schedule (`CELERY_BEAT_SCHEDULE`, kept
in the database by django-celery-beat). The embedded default has neither a broker nor beat, so
`referee serve` starts one `EmbeddedScheduler` in the gunicorn master instead: a daemon thread
that calls the same tasks in-process on the same intervals (docs/deploy.md)."""

import logging
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from celery.schedules import maybe_schedule
from django.db import InterfaceError, OperationalError, connections, transaction

logger = logging.getLogger(__name__)


def each_locked(queryset, ids, step, *, job: str) -> int:
    """Call `step(row)` for each id, one transaction per row, with the row locked and re-read;
    returns how many calls returned True.

    `step` must re-check the job's condition: the row may have changed since it was selected.
    `skip_locked` leaves a row that another run (or a user's action) holds to that transaction
    or the next run, so overlapping runs never queue up behind each other. SQLite ignores the
    lock clause; its BEGIN IMMEDIATE transactions already run one at a time.
    A row that fails is logged and skipped so it cannot hold the others up; a lost database
    connection is raised instead (the task is retried, every later row would fail too)."""
    locked = queryset.select_for_update(skip_locked=True, of=("self",))
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                row = locked.filter(pk=pk).first()
                if row is not None and step(row):
                    done += 1
        except (InterfaceError, OperationalError):
            raise
        except Exception:
            logger.exception("%s: row %s failed; it is left for the next run", job, pk)
    return done


@dataclass
class Entry:
    """One entry of CELERY_BEAT_SCHEDULE: its task called directly, on its celery schedule."""

    name: str
    task: str
    schedule: object  # celery.schedules.schedule (an interval) or crontab
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run_at: datetime | None = None


class EmbeddedScheduler:
    """Runs the beat schedule in a daemon thread of the current process.

    Every entry runs once at start (a restarted server catches up on deadlines passed while it
    was down), then whenever its schedule is due. A failing job is logged and the thread goes on.
    The thread's database connections are closed after every job: it lives in the gunicorn
    master, whose workers are forked from it and must not inherit a connection in use."""

    def __init__(self, beat_schedule: dict, *, app=None, max_wait: float = 60.0):
        if app is None:
            from referee.celery import app
        self.app = app
        self.max_wait = max_wait
        self.entries = [
            Entry(name, spec["task"], maybe_schedule(spec["schedule"], app=app),
                  tuple(spec.get("args", ())), dict(spec.get("kwargs", {})))
            for name, spec in beat_schedule.items()
        ]
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="referee-scheduler", daemon=True)
        self._thread.start()
        logger.info("Embedded scheduler started: %s (REFEREE_EMBEDDED_SCHEDULER=0 turns it off)",
                    ", ".join(e.name for e in self.entries))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_pending()
            except Exception:  # the timer must outlive any bug in one tick
                logger.exception("Embedded scheduler tick failed")
                wait = self.max_wait
            self._stop.wait(wait)

    def run_pending(self) -> float:
        """Run every due entry; returns the seconds until the next one is due (≤ max_wait)."""
        wait = self.max_wait
        for entry in self.entries:
            if self._stop.is_set():
                break
            due, next_in = (True, 0.0) if entry.last_run_at is None else entry.schedule.is_due(entry.last_run_at)
            if due:
                entry.last_run_at = entry.schedule.now()
                self._run(entry)
                next_in = entry.schedule.is_due(entry.last_run_at)[1]
            wait = min(wait, next_in)
        return max(wait, 0.01)

    def _run(self, entry: Entry) -> None:
        try:
            task = self._task(entry.task)
            # A direct call runs the task body here and now, never through a broker; its
            # autoretry does not apply (errors propagate), the next due run is the retry.
            result = task(*entry.args, **entry.kwargs)
            logger.debug("Embedded scheduler: %s → %r", entry.name, result)
        except Exception:  # one job's failure must not stop the others
            logger.exception("Embedded scheduler: job %s failed", entry.name)
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)

    def _task(self, name: str):
        if name not in self.app.tasks:
            # Autodiscovery is lazy outside a worker; our task names are "<module>.<function>".
            with suppress(ImportError):
                import_module(name.rpartition(".")[0])
        return self.app.tasks[name]
