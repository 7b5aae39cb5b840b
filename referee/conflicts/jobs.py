"""Periodic job on conflict detection: a job whose worker or queued message was lost is failed.

A detection run beats its job's `modified` after every chunk of reviewers. A worker killed
outright (or a `referee serve` stopped mid-run) leaves the job `running`; a message lost by the
broker leaves it `pending` with no worker ever starting it. One pending or running job per call
blocks every new detection, so without this the call could never be checked again. Jobs silent
for `REFEREE_DETECTION_STALL_MINUTES` are failed, their findings kept (§4)."""

from django.conf import settings

from referee.conflicts.enums import JobState
from referee.conflicts.models import COIDetectionJob
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.jobs import fail_silent_jobs


def stalled_message(minutes: int) -> str:
    return (f"No progress for {minutes} minutes: the worker running this job was lost. "
            "Conflicts found so far are kept; start a new detection to finish.")


def never_started_message(minutes: int) -> str:
    return (f"No worker started this job within {minutes} minutes: its queued task was lost. "
            "Nothing was checked; start a new detection.")


def fail_stalled_detection_jobs() -> int:
    """running or pending → failed once `modified` (the last beat, or the creation of a job never
    started) is older than the stall limit; returns how many."""
    minutes = settings.REFEREE_DETECTION_STALL_MINUTES
    reasons = {JobState.RUNNING: ("stalled", stalled_message(minutes)), JobState.PENDING: ("never_started", never_started_message(minutes))}

    def audit(job, before, reason) -> None:
        record(AuditEventType.COI_DETECTION_FAILED, job, from_state=before, to_state=JobState.FAILED, reason=reason,
               processed_pairs=job.processed_pairs, total_pairs=job.total_pairs)

    return fail_silent_jobs(COIDetectionJob.objects.select_related("call"), minutes=minutes, reasons=reasons,
                            failed=JobState.FAILED, audit=audit)
