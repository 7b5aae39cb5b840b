"""Periodic job on the reviewer pool (§6, §4.3): pending invitations past their expiry expire.

A plain function (the Celery task in tasks.py calls it): candidates in one query, then per
entry lock, re-check, change, audit and queue the notice in one transaction (`each_locked`), so
overlapping runs expire an invitation once and write one notice."""

from django.utils import timezone

from referee.core import audit
from referee.core.enums import AuditEventType
from referee.core.jobs import each_locked
from referee.notifications import mails
from referee.reviewers.models import CallReviewerPool

Status = CallReviewerPool.Status


def expire_pool_invitations() -> int:
    """pending → expired once `invitation_expires_at` has come (the moment accept starts to
    refuse); one notice to the inviter, else the call's managers. Returns how many expired."""
    due = CallReviewerPool.objects.filter(invitation_status=Status.PENDING, invitation_expires_at__lte=timezone.now())
    ids = list(due.order_by("invitation_expires_at", "pk").values_list("pk", flat=True))
    return each_locked(CallReviewerPool.objects, ids, _expire, job="pool expiry")


def _expire(entry) -> bool:
    expires_at = entry.invitation_expires_at
    if entry.invitation_status != Status.PENDING or expires_at is None or timezone.now() < expires_at:
        return False
    entry.invitation_status = Status.EXPIRED
    entry.expiry_notified = True  # resend-invitation clears it with the new expiry
    entry.save(update_fields=["invitation_status", "expiry_notified", "modified"])
    audit.record(AuditEventType.POOL_INVITATION_EXPIRED, entry, call=entry.call, from_state=Status.PENDING,
                 to_state=Status.EXPIRED, invitation_expires_at=expires_at.isoformat())
    mails.pool_invitation_expired(entry)
    return True
