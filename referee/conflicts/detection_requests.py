"""Requesting conflict detection (§5.7): the pending job, its audit event and its task, queued
after commit; and cancelling it (issue 13). Apart from `detection` (what the task runs) so that
the task module imports the run and this module imports the task, with no cycle between them."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.conflicts.enums import JobState, JobType
from referee.conflicts.models import COIDetectionJob
from referee.conflicts.tasks import run_coi_detection
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from referee.core.workers import require_worker

ALREADY_RUNNING = "A conflict detection job is already pending or running for this call."
NOT_ACTIVE = "This detection job has already {state}: only a pending or running job can be cancelled."
CANCELLED = ("Cancelled by {name} after {processed} of {total} reviewer × proposal pairs were checked. The "
             "conflicts found in them ({found}) are kept; the other pairs were not checked. Start a new detection "
             "to check every pair.")


def start_detection(call, *, user, job_type: str = JobType.FULL_CALL) -> COIDetectionJob:
    """Create the pending job and queue it after commit (refused when no worker would run it)."""
    require_worker("Conflict detection")
    try:
        with transaction.atomic():
            job = COIDetectionJob.objects.create(call=call, job_type=job_type, created_by=user)
            record(AuditEventType.COI_DETECTION_REQUESTED, job, actor=user, call=call, to_state=job.state)
            transaction.on_commit(lambda: run_coi_detection.delay(job.id))
    except IntegrityError:
        raise DomainError(ALREADY_RUNNING) from None
    return job


def cancel_detection(job: COIDetectionJob, *, user) -> COIDetectionJob:
    """pending or running → cancelled. A running detection stops before its next chunk of
    reviewers is saved; the conflicts saved by earlier chunks are kept (each is on record and
    reviewable on its own, and has already blocked its pair's pending items), and the job's
    message says how far it got (docs/decisions.md)."""
    with transaction.atomic():
        # Waits for a chunk being saved (it updates the job row last): its findings then count.
        job = COIDetectionJob.objects.select_for_update(of=("self",)).select_related("call").get(pk=job.pk)
        if job.state not in (JobState.PENDING, JobState.RUNNING):
            raise DomainError(NOT_ACTIVE.format(state=job.state))
        before = job.state
        job.state, job.completed_at = JobState.CANCELLED, timezone.now()
        job.error_message = CANCELLED.format(name=user.full_name or user.username, processed=job.processed_pairs,
                                             total=job.total_pairs, found=job.conflicts_found)
        job.save(update_fields=["state", "completed_at", "error_message", "modified"])
        record(AuditEventType.COI_DETECTION_CANCELLED, job, actor=user, from_state=before, to_state=job.state,
               processed_pairs=job.processed_pairs, total_pairs=job.total_pairs, conflicts_found=job.conflicts_found)
    return job
