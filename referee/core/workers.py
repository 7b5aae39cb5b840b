"""Whether a Celery worker is running, so that long work is never queued for nobody.

Every worker writes a heartbeat row (its hostname and the time) when it starts and every
HEARTBEAT_SECONDS after, and deletes it when it stops warmly. An action that hands work to the
background asks `require_worker` first and is refused (503) when no worker has beaten for
ALIVE_SECONDS: `referee runserver` or `referee serve` with REFEREE_EMBEDDED_WORKER=0 and no other
server beside it, or production while its workers are down. Otherwise the job would read
`pending` for ever. The test suite's own process runs tasks eagerly and needs no worker.

Nothing Django is imported at module level: `referee.celery` adds the bootstep before Django is
set up (the worker sets it up before any step starts)."""

import logging
from datetime import timedelta

from celery import bootsteps

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15
ALIVE_SECONDS = 60  # four missed beats: a worker busy writing to a locked SQLite file still counts
NO_WORKER = ("{what} was not started: no background worker is running (none has reported in the last minute), "
             "so the job would never run. Ask your administrator to start one: `referee serve` starts it in "
             "the embedded default; with a broker of your own, run `celery -A referee.celery worker`.")


def beat(hostname: str) -> None:
    from django.db import connection
    from django.utils import timezone

    from referee.core.models import WorkerHeartbeat  # loaded by referee.celery before Django is set up

    try:
        WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"seen_at": timezone.now()})
    except Exception:  # a missed beat must not stop the worker; the next one may get through
        logger.exception("The heartbeat of worker %s was not written", hostname)
    finally:
        release(connection)


def forget(hostname: str) -> None:
    from django.db import connection

    from referee.core.models import WorkerHeartbeat  # loaded by referee.celery before Django is set up

    try:
        WorkerHeartbeat.objects.filter(hostname=hostname).delete()
    except Exception:  # the row then simply ages out
        logger.exception("The heartbeat of worker %s was not removed", hostname)
    finally:
        release(connection)


def release(connection) -> None:
    """The worker's main process forks its pool after this step starts: it must hold no
    connection a child would share (unless a caller's transaction is still using it)."""
    if not connection.in_atomic_block:
        connection.close()


def worker_running() -> bool:
    from django.conf import settings
    from django.utils import timezone

    from referee.core.models import WorkerHeartbeat  # loaded by referee.celery before Django is set up

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True
    since = timezone.now() - timedelta(seconds=ALIVE_SECONDS)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).exists()


def require_worker(what: str) -> None:
    """Refuse (503) to queue `what` when no worker would run it."""
    from referee.core.errors import Unavailable  # loaded by referee.celery before Django is set up

    if not worker_running():
        raise Unavailable(NO_WORKER.format(what=what))


class Heartbeat(bootsteps.StartStopStep):
    """The worker's heartbeat, on the worker's own timer (its event loop under prefork)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        beat(worker.hostname)
        self.timer_ref = worker.timer.call_repeatedly(HEARTBEAT_SECONDS, beat, (worker.hostname,))

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
        forget(worker.hostname)
