"""Periodic jobs (§6): the per-row runner every job uses, and the sweep of background jobs whose
worker was lost.

Each job runs as a Celery task on celery beat's schedule (`CELERY_BEAT_SCHEDULE`, kept in the
database by django-celery-beat), in production and in the embedded default alike (docs/deploy.md)."""

import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

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


def fail_silent_jobs(queryset, *, minutes: int, reasons: dict, failed: str, audit) -> int:
    """Fail the background jobs of `queryset` silent for `minutes`: their `modified` (a running
    job's last heartbeat, a pending job's creation) is older than that. `reasons` maps each state
    swept (pending, running) to the (reason, message) a job in it is failed with; `failed` is the
    state it moves to; `audit(job, from_state, reason)` writes its event. Returns how many."""
    cutoff = timezone.now() - timedelta(minutes=minutes)
    ids = list(queryset.filter(state__in=list(reasons), modified__lt=cutoff).order_by("pk").values_list("pk", flat=True))

    def fail(job) -> bool:
        if job.state not in reasons or job.modified >= cutoff:  # it started or beat meanwhile
            return False
        before = job.state
        reason, job.error_message = reasons[before]
        job.state, job.completed_at = failed, timezone.now()
        job.save(update_fields=["state", "completed_at", "error_message", "modified"])
        audit(job, before, reason)
        return True

    return each_locked(queryset, ids, fail, job=f"stalled {queryset.model._meta.verbose_name_plural}")
