"""A reviewer's answer to an assignment item and a manager's corrections to it (§3.3, §4.2):
accept, decline (followed by auto-reassign, §5.6), the decline reason, delete, force-unblock.

Each action is one transaction locking in the §7 order (call configurations → pool entries →
batch → item → review → COI), re-checking its guards on the locked rows. Accept is the one
refusal that changes something: a blocking COI found at accept time blocks the item, and that
block must survive the 400 (see `accept_item`)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.assignments.domain.batches import complete_batch_if_responded
from referee.assignments.domain.common import block_conflicted, blocking_conflicts, lock_batch, lock_item, reviewer_of
from referee.assignments.domain.reassign import auto_reassign, lock_call_for_reassign
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentItem
from referee.assignments.transitions import move_items
from referee.calls.models import CallAssignmentConfiguration, Proposal
from referee.conflicts.domain import lock_pair, unblock_pair_items
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.notifications import mails
from referee.reviewers.models import CallReviewerPool
from referee.reviews.models import Review

ACTIVE_REVIEW_STATES = (Review.State.IN_REVIEW, Review.State.SUBMITTED)

ACCEPT_EXPIRED = "Cannot accept expired assignment."
ACCEPT_COI = "Cannot accept assignment with unresolved COI. Please contact the call manager."
ACCEPT_NOT_PENDING = "Can only accept pending assignments."
PROPOSAL_CLOSED = "Proposal is no longer open for review."
ALREADY_REVIEWING = "You already have an active review for this proposal."
DECLINE_EXPIRED = "Cannot decline expired assignment."
DECLINE_NOT_PENDING = "Can only decline pending assignments."
ONLY_DECLINED_REASON = "Only declined items have a decline reason."
ACCEPTED_NOT_DELETED = "Accepted assignments cannot be deleted."
ONLY_BLOCKED_UNBLOCKED = "Only COI-blocked items can be force-unblocked."
RECUSED_BLOCKS = "Item is blocked by a recused conflict and cannot be unblocked."
REASON_REQUIRED = "This field may not be blank."


# --- accept -----------------------------------------------------------------------------------

def accept_item(item, *, actor) -> Review:
    """pending → accepted, with exactly one in_review Review by the profile's user, linked to the
    item; the batch completes when nothing is left pending (§4.1).

    A blocking COI found now blocks a pending item (coi_blocked, COIs linked, batch completion)
    and the answer is still the COI refusal. The block is written by this function's own
    transaction, and the DomainError is raised only after that `atomic` block has committed, so
    the refusal does not roll the block back. (Callers must therefore not wrap this in an outer
    transaction they abort on DomainError; the API runs it in autocommit mode.)"""
    with transaction.atomic():
        batch = lock_batch(item.batch)
        item = lock_item(item)
        if not batch.accepts_answers:
            raise DomainError(ACCEPT_EXPIRED)
        blocked = _blocked_by_conflict(batch, item, actor)
        if not blocked:
            review = _accept(batch, item, actor)
    if blocked:
        raise DomainError(ACCEPT_COI)
    return review


def _blocked_by_conflict(batch, item, actor) -> bool:
    """Does a COI forbid accepting? A pending item is blocked on the way (§4.2 "pending →
    coi_blocked"); an item in another status is only refused, never moved."""
    if item.status == ItemStatus.COI_BLOCKED:
        return True
    reviewer_id = reviewer_of(batch)
    if item.status != ItemStatus.PENDING:
        return bool(blocking_conflicts(reviewer_id, [item.proposal_id]))
    if block_conflicted([item], reviewer_id=reviewer_id, actor=actor, call=batch.call):
        complete_batch_if_responded(batch, actor=actor)
        return True
    return False


def _accept(batch, item, actor) -> Review:
    # A draft batch is never visible to its reviewer; reaching one here means a caller outside the API.
    if item.status != ItemStatus.PENDING or batch.status == BatchStatus.DRAFT:
        raise DomainError(ACCEPT_NOT_PENDING)
    proposal = Proposal.objects.get(pk=item.proposal_id)
    if not proposal.is_open_for_review:
        raise DomainError(PROPOSAL_CLOSED)
    user_id = CallReviewerPool.objects.values_list("reviewer__user_id", flat=True).get(pk=item.pool_entry_id)
    if Review.objects.filter(proposal=proposal, reviewer_id=user_id, state__in=ACTIVE_REVIEW_STATES).exists():
        raise DomainError(ALREADY_REVIEWING)
    try:
        with transaction.atomic():
            # The partial unique index (one active review per reviewer and proposal) backs the
            # check above against a review created meanwhile by another path (direct creation).
            review = Review.objects.create(proposal=proposal, reviewer_id=user_id)
    except IntegrityError:
        raise DomainError(ALREADY_REVIEWING) from None
    record(AuditEventType.REVIEW_CREATED, review, actor=actor, call=batch.call, to_state=review.state,
           source="assignment", item=item.uuid.hex)
    try:
        with transaction.atomic():
            move_items([item], ItemStatus.ACCEPTED, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_ACCEPTED,
                       review=review, responded_at=timezone.now())
    except IntegrityError:  # one review per item (§2): the item is locked, so only a broken caller gets here
        raise DomainError(ACCEPT_NOT_PENDING) from None
    complete_batch_if_responded(batch, actor=actor)
    return review


# --- decline ----------------------------------------------------------------------------------

def _may_auto_reassign(config, item) -> bool:
    return config.auto_reassign_on_decline and item.reassign_count < config.max_auto_reassign_attempts


def decline_item(item, *, actor, reason: str = "") -> CallReviewerPool | None:
    """pending → declined with the reason; batch completion; the managers' decline mail; then
    auto-reassign (§5.6) when the call asks for it. Returns the pool entry the proposal went to.

    Auto-reassign creates an item for another entry and weighs every entry's workload, so when it
    may run, the call is locked for reassignment first (MatchingConfiguration → assignment
    configuration → the call's accepted entries), ahead of the batch and item (§7)."""
    # Unlocked peek: only a call with auto-reassign pays for the per-call lock; the flags are
    # re-read under the lock below.
    config = CallAssignmentConfiguration.objects.get(call_id=item.batch.call_id)
    with transaction.atomic():
        reassigning = _may_auto_reassign(config, item)
        if reassigning:
            config = lock_call_for_reassign(item.batch.call_id, lock_entries=True)
        batch = lock_batch(item.batch)
        item = lock_item(item)
        if not batch.accepts_answers:
            raise DomainError(DECLINE_EXPIRED)
        if item.status != ItemStatus.PENDING or batch.status == BatchStatus.DRAFT:
            raise DomainError(DECLINE_NOT_PENDING)
        move_items([item], ItemStatus.DECLINED, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_DECLINED,
                   decline_reason=reason or "", responded_at=timezone.now())
        complete_batch_if_responded(batch, actor=actor)
        reassigning = reassigning and _may_auto_reassign(config, item)  # both re-read under the locks
        target = auto_reassign(item, config=config, actor=actor) if reassigning else None
        mails.decline_notice(item, reassigned_to=target)
        return target


# --- manager corrections ----------------------------------------------------------------------

def update_decline_reason(item, *, actor, decline_reason: str) -> AssignmentItem:
    with transaction.atomic():
        item = lock_item(item)
        if item.status != ItemStatus.DECLINED:
            raise DomainError(ONLY_DECLINED_REASON)
        item.decline_reason = decline_reason
        item.save(update_fields=["decline_reason", "modified"])
        record(AuditEventType.ASSIGNMENT_ITEM_DECLINE_REASON_UPDATED, item, actor=actor, call=item.batch.call,
               from_state=item.status, to_state=item.status)
        return item


def delete_item(item, *, actor) -> None:
    """Any item but an accepted one (its review stays tied to it); the batch may then be left
    without pending items, so completion is re-run (§4.1)."""
    with transaction.atomic():
        batch = lock_batch(item.batch)
        item = lock_item(item)
        if item.status == ItemStatus.ACCEPTED:
            raise DomainError(ACCEPTED_NOT_DELETED)
        record(AuditEventType.ASSIGNMENT_ITEM_DELETED, item, actor=actor, call=batch.call, from_state=item.status,
               batch=batch.uuid.hex, proposal=item.proposal.uuid.hex)
        item.delete()
        complete_batch_if_responded(batch, actor=actor)


def force_unblock(item, *, actor, override_reason: str) -> AssignmentItem:
    """coi_blocked → pending (or expired) by the unblock rule of §4.2, overriding the pair's
    pending blocking COIs: they become waived with the reason as management plan (§4.4). A
    recused conflict is final, so it refuses."""
    if not (override_reason or "").strip():
        raise FieldError("override_reason", REASON_REQUIRED)  # input before state (§1)
    entry = CallReviewerPool.objects.select_related("reviewer").get(pk=item.pool_entry_id)
    profile, proposal = entry.reviewer, Proposal.objects.get(pk=item.proposal_id)
    with transaction.atomic():
        lock_pair(profile, proposal)  # pool entry → batches → the pair's holding items
        item = lock_item(item)
        if item.status != ItemStatus.COI_BLOCKED:
            raise DomainError(ONLY_BLOCKED_UNBLOCKED)
        pair = ConflictOfInterest.objects.filter(reviewer=profile, proposal=proposal)
        if pair.filter(status=ConflictOfInterest.Status.RECUSED).exists():
            raise DomainError(RECUSED_BLOCKS)
        now = timezone.now()
        waived = _waive(pair, actor=actor, plan=override_reason, at=now)
        item.override_reason, item.overridden_at = override_reason, now
        item.overridden_by = actor if getattr(actor, "is_authenticated", False) else None
        item.save(update_fields=["override_reason", "overridden_by", "overridden_at", "modified"])
        record(AuditEventType.ASSIGNMENT_ITEM_FORCE_UNBLOCKED, item, actor=actor, call=item.batch.call, from_state=ItemStatus.COI_BLOCKED,
               message=override_reason, waived=[c.uuid.hex for c in waived])
        unblock_pair_items(profile, proposal, actor=actor)
        return item


def _waive(pair, *, actor, plan: str, at) -> list:
    """The pair's pending blocking COIs → waived with `plan`, locked last (§7: … item → COI)."""
    conflicts = list(pair.blocking().select_for_update().order_by("pk"))
    if not conflicts:
        return []
    reviewer = actor if getattr(actor, "is_authenticated", False) else None
    ConflictOfInterest.objects.filter(pk__in=[c.pk for c in conflicts]).update(
        status=ConflictOfInterest.Status.WAIVED, management_plan=plan, reviewed_by=reviewer, reviewed_at=at,
        modified=at,
    )
    record_many([event(AuditEventType.COI_WAIVED, conflict, actor=actor, call=conflict.call_id, from_state=conflict.status,
                       to_state=ConflictOfInterest.Status.WAIVED, reason="force-unblock") for conflict in conflicts])
    return conflicts
