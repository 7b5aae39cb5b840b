"""Celery entry points of conflict detection: one job run, and the stalled-job sweep (§6)."""

from celery import shared_task

from referee.conflicts import jobs
from referee.conflicts.detection import run_detection
from referee.notifications.tasks import RETRY


@shared_task(acks_late=True)
def run_coi_detection(job_id: int) -> None:
    run_detection(job_id)


@shared_task(acks_late=True, **RETRY)
def fail_stalled_detection_jobs() -> int:
    return jobs.fail_stalled_detection_jobs()
