"""Celery entry points of the batch jobs (§6): one call each; beat runs them on
settings.CELERY_BEAT_SCHEDULE, `referee serve` without a broker on its embedded timer. And the
run of one matching job (issue 13), queued by `matching_jobs` after commit, and the console's
heatmap layout, made once per computation of a call's scores (issue 13)."""

from celery import shared_task

from referee.assignments import jobs, queries
from referee.assignments.matching_runs import run_job
from referee.calls.models import Call
from referee.notifications.tasks import RETRY


@shared_task(acks_late=True, **RETRY)
def expire_assignment_batches() -> int:
    return jobs.expire_batches()


@shared_task(acks_late=True, **RETRY)
def send_assignment_reminders() -> int:
    return jobs.send_reminders()


@shared_task(acks_late=True, **RETRY)
def notify_expired_assignment_batches() -> int:
    return jobs.notify_expired_batches()


@shared_task(acks_late=True, **RETRY)
def fail_stalled_matching_jobs() -> int:
    return jobs.fail_stalled_matching_jobs()


@shared_task(acks_late=True)
def run_matching_job(job_id: int) -> None:
    run_job(job_id)


@shared_task
def arrange_affinity_heatmap(call_id: int) -> None:
    """The console's heatmap layout of a call's scores (`heatmap_requests.request_layout`)."""
    call = Call.objects.filter(pk=call_id).first()
    if call is not None:  # deleted since it was asked for: nothing to arrange
        queries.arrange_affinities(call)
