"""Periodic job on conflict detection: a `running` job whose worker was lost is failed.

A detection run beats its job's `modified` after every chunk of reviewers. A worker killed
outright (or a `referee serve` stopped mid-run) leaves the job `running`, and one pending or
running job per call blocks every new detection, so without this the call could never be checked
again. Jobs silent for `REFEREE_DETECTION_STALL_MINUTES` are failed, their findings kept (§4)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from referee.conflicts.models import COIDetectionJob
from referee.core import audit
from referee.core.jobs import each_locked

RUNNING, FAILED = COIDetectionJob.State.RUNNING, COIDetectionJob.State.FAILED


def stalled_message(minutes: int) -> str:
    return (f"No progress for {minutes} minutes: the worker running this job was lost. "
            "Conflicts found so far are kept; start a new detection to finish.")


def fail_stalled_detection_jobs() -> int:
    """running → failed once `modified` is older than the stall limit; returns how many."""
    minutes = settings.REFEREE_DETECTION_STALL_MINUTES
    cutoff = timezone.now() - timedelta(minutes=minutes)
    ids = list(COIDetectionJob.objects.filter(state=RUNNING, modified__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True))

    def fail(job) -> bool:
        if job.state != RUNNING or job.modified >= cutoff:  # it beat meanwhile
            return False
        job.state, job.completed_at = FAILED, timezone.now()
        job.error_message = stalled_message(minutes)
        job.save(update_fields=["state", "completed_at", "error_message", "modified"])
        audit.record("COI_DETECTION_FAILED", job, from_state=RUNNING, to_state=FAILED, reason="stalled",
                     processed_pairs=job.processed_pairs, total_pairs=job.total_pairs)
        return True

    return each_locked(COIDetectionJob.objects.select_related("call"), ids, fail, job="stalled detection jobs")
