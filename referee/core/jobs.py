"""Periodic jobs (§6): the per-row runner every job uses.

Each job runs as a Celery task on celery beat's schedule (`CELERY_BEAT_SCHEDULE`, kept in the
database by django-celery-beat), in production and in the embedded default alike (docs/deploy.md)."""

import logging

from django.db import InterfaceError, OperationalError, transaction

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
