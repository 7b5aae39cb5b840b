"""Requesting conflict detection (§5.7): the pending job, its audit event and its task, queued
after commit. Apart from `detection` (what the task runs) so that the task module imports the
run and this module imports the task, with no cycle between them."""

from django.db import IntegrityError, transaction

from referee.conflicts.enums import JobType
from referee.conflicts.models import COIDetectionJob
from referee.conflicts.tasks import run_coi_detection
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from referee.core.workers import require_worker

ALREADY_RUNNING = "A conflict detection job is already pending or running for this call."


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
