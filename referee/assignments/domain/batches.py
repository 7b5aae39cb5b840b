"""The assignment batch state machine (§4.1): one function per action.

Each action is one transaction: it locks its rows in the §7 order (call configuration → pool
entry → batch → item), re-checks its guards on the locked rows, changes them, records an audit
event per transition and refuses with DomainError / FieldError. Mail (§6) is queued last, inside
the same transaction: a refusal or a rollback leaves no mail behind."""

from datetime import UTC, timedelta

from django.db import transaction
from django.utils import timezone

from referee.assignments.domain.common import block_conflicted, lock_batch, lock_items, reviewer_of
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentItem
from referee.assignments.transitions import complete_batches, move_items
from referee.calls.models import CallAssignmentConfiguration
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.notifications import mails

ONLY_DRAFT_SENT = "Only draft batches can be sent."
NOTHING_TO_SEND = "Batch has no pending items to send."
ONLY_DRAFT_OR_SENT_CANCELLED = "Only draft or sent batches can be cancelled."
ONLY_SENT_OR_EXPIRED_EXTENDED = "Can only extend deadline for sent or expired batches."
DEADLINE_IN_PAST = "New deadline must be in the future."
DEADLINE_NOT_LATER = "New deadline must be later than the current deadline."
DEADLINE_TOO_FAR = "New deadline must be within 365 days."
NOTES_FROZEN = "Notes can only be changed while the batch is draft or sent."
ONLY_DRAFT_OR_CANCELLED_DELETED = "Only draft or cancelled batches can be deleted."
HAS_ACCEPTED = "Batches with accepted assignments cannot be deleted."
MAX_EXTENSION = timedelta(days=365)
# The statuses each action starts from (the console offers an action on these only).
SENDABLE = (BatchStatus.DRAFT,)
CANCELLABLE = (BatchStatus.DRAFT, BatchStatus.SENT)
EXTENDABLE = (BatchStatus.SENT, BatchStatus.EXPIRED)


def _save(batch, from_state: str, event: str, *, actor, fields, **context) -> None:
    batch.save(update_fields=[*fields, "modified"])
    record(event, batch, actor=actor, call=batch.call, from_state=from_state, to_state=batch.status, **context)


def send_batch(batch, *, actor, manager_notes: str | None = None):
    """draft → sent. Items of pairs blocked since drafting become coi_blocked first; at least one
    pending item must remain. The deadline is now + the call's `assignment_expiration_days`."""
    with transaction.atomic():
        config = CallAssignmentConfiguration.objects.select_for_update().get(call_id=batch.call_id)
        batch = lock_batch(batch)
        if batch.status not in SENDABLE:
            raise DomainError(ONLY_DRAFT_SENT)
        pending = lock_items(batch, [ItemStatus.PENDING])
        blocked = block_conflicted(pending, reviewer_id=reviewer_of(batch), actor=actor, call=batch.call)
        if len(blocked) == len(pending):
            # A refusal changes nothing: the blocking above is rolled back with it (§4).
            raise DomainError(NOTHING_TO_SEND)
        now = timezone.now()
        batch.status, batch.sent_at = BatchStatus.SENT, now
        batch.expires_at = now + timedelta(days=config.assignment_expiration_days)
        batch.reminder_sent = batch.manager_notified = False
        fields = ["status", "sent_at", "expires_at", "reminder_sent", "manager_notified"]
        if manager_notes:
            batch.manager_notes = manager_notes
            fields.append("manager_notes")
        _save(batch, BatchStatus.DRAFT, AuditEventType.ASSIGNMENT_BATCH_SENT, actor=actor, fields=fields,
              pending=len(pending) - len(blocked), blocked=len(blocked))
        mails.invitation_for_batch(batch)
        return batch


def cancel_batch(batch, *, actor):
    """draft/sent → cancelled. Unanswered items (pending, coi_blocked) expire, so nothing stays
    actionable; accepted items and their reviews are kept (Waldur differs)."""
    with transaction.atomic():
        batch = lock_batch(batch)
        if batch.status not in CANCELLABLE:
            raise DomainError(ONLY_DRAFT_OR_SENT_CANCELLED)
        from_state = batch.status
        items = lock_items(batch, [ItemStatus.PENDING, ItemStatus.COI_BLOCKED])
        move_items(items, ItemStatus.EXPIRED, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_EXPIRED)
        batch.status = BatchStatus.CANCELLED
        _save(batch, from_state, AuditEventType.ASSIGNMENT_BATCH_CANCELLED, actor=actor, fields=["status"], expired_items=len(items))
        if from_state == BatchStatus.SENT:  # a draft was never announced to the reviewer
            mails.batch_cancelled(batch)
        return batch


def extend_deadline(batch, *, actor, expires_at):
    """sent → sent with a later deadline, or expired → sent (reopening its expired items)."""
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, UTC)  # naive input is UTC (§1)
    now = timezone.now()
    if expires_at <= now:
        raise FieldError("expires_at", DEADLINE_IN_PAST)
    if expires_at > now + MAX_EXTENSION:
        raise FieldError("expires_at", DEADLINE_TOO_FAR)
    with transaction.atomic():
        batch = lock_batch(batch)
        if batch.status not in EXTENDABLE:
            raise DomainError(ONLY_SENT_OR_EXPIRED_EXTENDED)
        from_state, previous = batch.status, batch.expires_at
        if from_state == BatchStatus.SENT and previous is not None and expires_at <= previous:
            raise FieldError("expires_at", DEADLINE_NOT_LATER)
        batch.expires_at, batch.status, batch.reminder_sent = expires_at, BatchStatus.SENT, False
        fields = ["expires_at", "status", "reminder_sent"]
        if from_state == BatchStatus.EXPIRED:
            batch.manager_notified, batch.responded_at = False, None
            fields += ["manager_notified", "responded_at"]
            _reopen_expired_items(batch, actor=actor)
        _save(batch, from_state, AuditEventType.ASSIGNMENT_BATCH_DEADLINE_EXTENDED, actor=actor, fields=fields,
              previous_expires_at=previous.isoformat() if previous else None, expires_at=expires_at.isoformat())
        if from_state == BatchStatus.EXPIRED:
            # Every reopened item may have been blocked meanwhile: then nothing is left to answer.
            complete_batch_if_responded(batch, actor=actor)
            batch.refresh_from_db()
        mails.deadline_extended(batch, previous_expires_at=previous)
        return batch


def _reopen_expired_items(batch, *, actor) -> None:
    """expired → pending, or coi_blocked when a COI blocks the pair now (§4.1). An item whose pair
    is meanwhile held by another item of the reviewer stays expired: a pair is held once (§2)."""
    items = lock_items(batch, [ItemStatus.EXPIRED])
    held = set(
        AssignmentItem.objects.filter(
            pool_entry_id=batch.reviewer_pool_entry_id, proposal_id__in=[i.proposal_id for i in items],
            status__in=AssignmentItem.HOLDING,
        ).exclude(batch=batch).values_list("proposal_id", flat=True)
    )
    items = [i for i in items if i.proposal_id not in held]
    move_items(items, ItemStatus.PENDING, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_REOPENED)
    block_conflicted(items, reviewer_id=reviewer_of(batch), actor=actor, call=batch.call)


def update_batch_notes(batch, *, actor, manager_notes: str):
    with transaction.atomic():
        batch = lock_batch(batch)
        if batch.status not in (BatchStatus.DRAFT, BatchStatus.SENT):
            raise DomainError(NOTES_FROZEN)
        batch.manager_notes = manager_notes
        _save(batch, batch.status, AuditEventType.ASSIGNMENT_BATCH_NOTES_UPDATED, actor=actor, fields=["manager_notes"])
        return batch


def delete_batch(batch, *, actor) -> None:
    """Only drafts and cancelled batches go, never one holding an accepted assignment; items
    cascade, their reviews stay (the review link is on the item)."""
    with transaction.atomic():
        batch = lock_batch(batch)
        if batch.status not in (BatchStatus.DRAFT, BatchStatus.CANCELLED):
            raise DomainError(ONLY_DRAFT_OR_CANCELLED_DELETED)
        items = lock_items(batch, AssignmentItem.Status.values)
        if any(item.status == ItemStatus.ACCEPTED for item in items):
            raise DomainError(HAS_ACCEPTED)
        record(AuditEventType.ASSIGNMENT_BATCH_DELETED, batch, actor=actor, call=batch.call, from_state=batch.status,
               to_state="", items=[item.uuid.hex for item in items])
        batch.delete()


def complete_batch_if_responded(batch, *, actor=None) -> bool:
    """sent → responded once no item is left pending (after accept, decline, recuse, block,
    delete). Callers run it inside their own transaction, after changing the items."""
    with transaction.atomic():
        return bool(complete_batches([batch.pk], actor=actor))


def expire_batch(batch, *, actor=None) -> bool:
    """sent → expired once the deadline has passed; its pending items expire with it. Re-checked
    under the lock, so concurrent expiry runs are harmless (returns whether it expired)."""
    with transaction.atomic():
        batch = lock_batch(batch)
        if batch.status != BatchStatus.SENT or batch.expires_at is None or timezone.now() < batch.expires_at:
            return False
        items = lock_items(batch, [ItemStatus.PENDING])
        move_items(items, ItemStatus.EXPIRED, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_EXPIRED)
        batch.status = BatchStatus.EXPIRED
        _save(batch, BatchStatus.SENT, AuditEventType.ASSIGNMENT_BATCH_EXPIRED, actor=actor, fields=["status"], expired_items=len(items))
        return True
