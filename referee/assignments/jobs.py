"""Periodic jobs on assignment batches (§6): expiry, reminders and the managers' expiry notice;
and the sweep of matching jobs whose worker was lost (issue 13).

Each is a plain function (the Celery tasks in tasks.py call it): one
query selects the candidates, then `each_locked` locks each batch, re-checks the condition,
changes it, audits and queues the mail in one transaction. Overlapping runs therefore change a
batch once and send one mail, and the outbox's dedupe key would drop a second one anyway."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from referee.assignments.domain import expire_batch
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem, MatchingJob
from referee.calls.models import CallAssignmentConfiguration
from referee.conflicts.enums import JobState
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.jobs import each_locked, fail_silent_jobs
from referee.notifications import mails

DAY = timedelta(days=1)


def _ids(queryset) -> list[int]:
    return list(queryset.order_by("expires_at", "pk").values_list("pk", flat=True))


def expire_batches() -> int:
    """sent → expired once the deadline has come (now ≥ `expires_at`, §4.1); returns how many."""
    due = AssignmentBatch.objects.filter(status=BatchStatus.SENT, expires_at__lte=timezone.now())
    # expire_batch locks the batch again (already ours) and its items, and re-checks the guard.
    return each_locked(AssignmentBatch.objects, _ids(due), expire_batch, job="expire batches")


def send_reminders() -> int:
    """One reminder per deadline: sent, a pending item left, not reminded, the call's
    `send_reminder_before_expiry_days` > 0 and `expires_at − days ≤ now < expires_at`."""
    now = timezone.now()
    days = (CallAssignmentConfiguration.objects.filter(send_reminder_before_expiry_days__gt=0)
            .order_by().values_list("send_reminder_before_expiry_days", flat=True).distinct())
    # The window depends on each call's days: one OR-ed condition per distinct value (≤ 30)
    # keeps the selection in SQL on every backend, without date arithmetic on columns.
    window = Q()
    for d in set(days):
        window |= Q(call__assignment_config__send_reminder_before_expiry_days=d, expires_at__lte=now + d * DAY)
    if not window:
        return 0
    pending = AssignmentItem.objects.filter(batch=OuterRef("pk"), status=ItemStatus.PENDING)
    due = AssignmentBatch.objects.filter(window, Exists(pending), status=BatchStatus.SENT, reminder_sent=False, expires_at__gt=now)
    return each_locked(AssignmentBatch.objects, _ids(due), _remind, job="reminders")


def _remind(batch) -> bool:
    now = timezone.now()
    days = CallAssignmentConfiguration.objects.values_list("send_reminder_before_expiry_days", flat=True).get(
        call_id=batch.call_id)
    in_window = batch.expires_at is not None and batch.expires_at - days * DAY <= now < batch.expires_at
    if batch.status != BatchStatus.SENT or batch.reminder_sent or days <= 0 or not in_window:
        return False
    pending = batch.items.filter(status=ItemStatus.PENDING).count()
    if not pending:
        return False
    batch.reminder_sent = True
    batch.save(update_fields=["reminder_sent", "modified"])
    record(AuditEventType.ASSIGNMENT_BATCH_REMINDER_SENT, batch, from_state=BatchStatus.SENT, to_state=BatchStatus.SENT, pending_items=pending,
           expires_at=batch.expires_at.isoformat())
    mails.reminder_for_batch(batch)
    return True


def notify_expired_batches() -> int:
    """One notice per expiry to all call managers (none: the flag only), `manager_notified` set."""
    due = AssignmentBatch.objects.filter(status=BatchStatus.EXPIRED, manager_notified=False)
    return each_locked(AssignmentBatch.objects, _ids(due), _notify, job="expired notice")


def _notify(batch) -> bool:
    if batch.status != BatchStatus.EXPIRED or batch.manager_notified:
        return False
    batch.manager_notified = True
    batch.save(update_fields=["manager_notified", "modified"])
    mail = mails.batch_expired_notice(batch)
    record(AuditEventType.ASSIGNMENT_BATCH_EXPIRY_NOTIFIED, batch, from_state=BatchStatus.EXPIRED, to_state=BatchStatus.EXPIRED,
           mailed=mail is not None, expires_at=batch.expires_at.isoformat() if batch.expires_at else None)
    return True


def stalled_matching_job_message(minutes: int) -> str:
    return (f"No progress for {minutes} minutes: the worker running this job was lost. "
            "Nothing was written; start the job again.")


def never_started_matching_job_message(minutes: int) -> str:
    return (f"No worker started this job within {minutes} minutes: its queued task was lost. "
            "Nothing was done; start the job again.")


def fail_stalled_matching_jobs() -> int:
    """Matching jobs (issue 13) whose worker or queued task was lost, as detection's: running or
    pending → failed once silent for REFEREE_MATCHING_JOB_STALL_MINUTES, so that the call's next
    job of that kind may start. A run that then reaches its next step stops, writing nothing."""
    minutes = settings.REFEREE_MATCHING_JOB_STALL_MINUTES
    reasons = {JobState.RUNNING: ("stalled", stalled_matching_job_message(minutes)),
               JobState.PENDING: ("never_started", never_started_matching_job_message(minutes))}

    def audit(job, before, reason) -> None:
        record(AuditEventType.MATCHING_JOB_FAILED, job, from_state=before, to_state=JobState.FAILED, reason=reason,
               kind=job.kind, processed=job.processed, total=job.total)

    return fail_silent_jobs(MatchingJob.objects.select_related("call"), minutes=minutes, reasons=reasons,
                            failed=JobState.FAILED, audit=audit)
