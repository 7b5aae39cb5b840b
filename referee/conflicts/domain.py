"""Reviewing conflicts of interest (§3.7, §4.4) and what that does to assignment items (§4.2).

Lock order (§7): pool entry → batch → item → review → COI. An action first locks the pair's
rows (`lock_pair`), then the conflict, re-checks its guard on the locked row, changes it, and
then moves the pair's items. `block_pair_items` and `unblock_pair_items` are building blocks
for other domain functions (detection, item force-unblock): they run inside the caller's
transaction and lock what they change themselves; rows the caller already holds are simply
locked again, which is a no-op."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.assignments.transitions import block_items, complete_batches, lock, move_items, reopen_batches
from referee.conflicts.enums import CoiRule, ConflictStatus
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.notifications import mails
from referee.reviewers.models import CallReviewerPool
from referee.reviews.models import Review

Status = ConflictOfInterest.Status

ONLY_PENDING_DISMISSED = "Only pending conflicts can be dismissed."
ONLY_PENDING_WAIVED = "Only pending conflicts can be waived."
PLAN_REQUIRED = "Management plan is required when waiving a conflict."
RECUSAL_ONLY = "Conflicts of type {coi_type} require recusal and cannot be waived."
ALREADY_RECUSED = "Conflict is already recused."


def is_blocking(conflict) -> bool:
    """Python twin of `rules.BLOCKING` (§5.8): recused, or pending under a rule that blocks."""
    return conflict.status == Status.RECUSED or (conflict.status == Status.PENDING and conflict.rule != CoiRule.DISCLOSURE_ONLY)


# --- the review actions (§3.7) ----------------------------------------------------------------

def update_conflict_notes(conflict, *, actor, review_notes=None, management_plan=None):
    """PUT/PATCH: notes and plan only; the status changes through the actions below."""
    with transaction.atomic():
        conflict = _lock_conflict(conflict)
        changed = _set_texts(conflict, review_notes, management_plan)
        if changed:
            conflict.save(update_fields=[*changed, "modified"])
            record(AuditEventType.COI_NOTES_UPDATED, conflict, actor=actor, call=conflict.call, from_state=conflict.status,
                   to_state=conflict.status, fields=changed)
        return conflict


def dismiss_conflict(conflict, *, actor, review_notes=None, management_plan=None):
    """pending → dismissed; the pair's items are unblocked unless another COI still blocks it."""
    with transaction.atomic():
        lock_pair(conflict.reviewer, conflict.proposal)
        conflict = _lock_conflict(conflict)
        if conflict.status != Status.PENDING:
            raise DomainError(ONLY_PENDING_DISMISSED)
        _review(conflict, Status.DISMISSED, actor, review_notes, management_plan)
        unblock_pair_items(conflict.reviewer, conflict.proposal, actor=actor)
        return conflict


def waive_conflict(conflict, *, actor, management_plan=None, review_notes=None):
    """pending → waived with a management plan (required: a missing one is refused by name);
    never for a recusal_required conflict (§5.8)."""
    if not (management_plan or "").strip():
        raise FieldError("management_plan", PLAN_REQUIRED)  # input is validated before state (§1)
    with transaction.atomic():
        lock_pair(conflict.reviewer, conflict.proposal)
        conflict = _lock_conflict(conflict)
        if conflict.status != Status.PENDING:
            raise DomainError(ONLY_PENDING_WAIVED)
        if conflict.rule == CoiRule.RECUSAL_REQUIRED:
            raise DomainError(RECUSAL_ONLY.format(coi_type=conflict.coi_type))
        _review(conflict, Status.WAIVED, actor, review_notes, management_plan)
        unblock_pair_items(conflict.reviewer, conflict.proposal, actor=actor)
        return conflict


def recuse_conflict(conflict, *, actor, review_notes=None):
    """pending/dismissed/waived → recused (terminal): the pair's pending and accepted items are
    blocked, the reviewer's in-review reviews of the proposal rejected (§4.2)."""
    with transaction.atomic():
        lock_pair(conflict.reviewer, conflict.proposal)
        reviews = list(
            Review.objects.select_for_update()
            .filter(reviewer_id=conflict.reviewer.user_id, proposal_id=conflict.proposal_id,
                    state=Review.State.IN_REVIEW)
            .order_by("pk")
        )
        conflict = _lock_conflict(conflict)
        if conflict.status == Status.RECUSED:
            raise DomainError(ALREADY_RECUSED)
        _review(conflict, Status.RECUSED, actor, review_notes, None)
        block_pair_items(conflict, actor=actor, include_accepted=True)
        if reviews:
            Review.objects.filter(pk__in=[r.pk for r in reviews]).update(
                state=Review.State.REJECTED, modified=timezone.now()
            )
            record_many([
                event(AuditEventType.REVIEW_REJECTED, review, actor=actor, call=conflict.call_id, from_state=Review.State.IN_REVIEW,
                      to_state=Review.State.REJECTED, reason="recusal", conflict=conflict.uuid.hex)
                for review in reviews
            ])
        return conflict


def _lock_conflict(conflict) -> ConflictOfInterest:
    # `of=self`: the joined rows are read for rendering and audit, never locked here (§7 order).
    return (
        ConflictOfInterest.objects.select_for_update(of=("self",))
        .select_related("call", "reviewer", "proposal")
        .get(pk=conflict.pk)
    )


def _set_texts(conflict, review_notes, management_plan) -> list[str]:
    """Apply the texts that were given (None = keep); returns the changed field names."""
    changed = []
    for name, value in (("review_notes", review_notes), ("management_plan", management_plan)):
        if value is not None and getattr(conflict, name) != value:
            setattr(conflict, name, value)
            changed.append(name)
    return changed


REVIEW_EVENTS = {ConflictStatus.DISMISSED: AuditEventType.COI_DISMISSED, ConflictStatus.WAIVED: AuditEventType.COI_WAIVED,
                 ConflictStatus.RECUSED: AuditEventType.COI_RECUSED}


def _review(conflict, to_status, actor, review_notes, management_plan) -> None:
    from_status = conflict.status
    changed = _set_texts(conflict, review_notes, management_plan)
    conflict.status = to_status
    conflict.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    conflict.reviewed_at = timezone.now()
    conflict.save(update_fields=["status", "reviewed_by", "reviewed_at", *changed, "modified"])
    record(REVIEW_EVENTS[to_status], conflict, actor=actor, call=conflict.call, from_state=from_status,
           to_state=to_status)


# --- effects on the pair's items (§4.2) ---------------------------------------------------------

def lock_pair(reviewer_profile, proposal) -> list[AssignmentItem]:
    """Lock the pair's pool entry, batches and holding items (pending/accepted/coi_blocked), in
    the §7 order. Actions call it before locking the COI itself. The entry is locked even when
    the pair has no item, so that an assignment action locking the entry first (manual
    assignment) cannot add one until the action commits."""
    lock_pool_entries(proposal.call_id, [reviewer_profile.pk])
    return _pair_items({(reviewer_profile.pk, proposal.pk)}, AssignmentItem.HOLDING)


def lock_pool_entries(call_id: int, profile_ids) -> None:
    """Lock the call's pool entries of these profiles (primary-key order, one query)."""
    lock(CallReviewerPool.objects.filter(call_id=call_id, reviewer_id__in=list(profile_ids)))


def block_pair_items(conflict, *, actor, include_accepted: bool = False) -> list[AssignmentItem]:
    """Each blocking conflict's pair: pending items (and accepted ones, for a recusal) become
    coi_blocked with the conflict linked; items already blocked get it linked too. Sent batches
    left without a pending item become responded (§4.1).

    `conflict` is one COI or an iterable of them: detection passes a whole chunk, and the number
    of queries does not grow with it. Non-blocking conflicts (disclosure-only, reviewed) are
    ignored. Returns the items that were blocked."""
    conflicts = [conflict] if isinstance(conflict, ConflictOfInterest) else list(conflict)
    blocking = [c for c in conflicts if is_blocking(c)]
    statuses = [ItemStatus.PENDING, ItemStatus.COI_BLOCKED, *([ItemStatus.ACCEPTED] if include_accepted else [])]
    by_pair = defaultdict(list)
    for c in blocking:
        by_pair[(c.reviewer_id, c.proposal_id)].append(c.pk)
    items = _pair_items(set(by_pair), statuses)
    blocked = block_items(items, dict(by_pair), actor=actor, key=_pair_of)
    complete_batches({item.batch_id for item in blocked}, actor=actor)
    return blocked


def unblock_pair_items(reviewer_profile, proposal, *, actor) -> list[AssignmentItem]:
    """The pair's coi_blocked items go back by the **unblock rule** (§4.2) — unless a COI of the
    pair still blocks it, linked to the item or not. The caller has already changed the COIs;
    having locked them, it called `lock_pair` first (§7 order: items before COIs).

    Unblock rule: pending if the batch is draft, or sent/responded before its deadline (a
    responded batch is sent again); otherwise expired. A reviewer whose sent batch gets an item
    back is told by mail. Returns the items moved (pending or expired)."""
    items = _pair_items({(reviewer_profile.pk, proposal.pk)}, [ItemStatus.COI_BLOCKED])
    if not items:
        return []
    blocking = ConflictOfInterest.objects.blocking()
    if blocking.filter(reviewer_id=reviewer_profile.pk, proposal_id=proposal.pk).exists():
        return []
    now = timezone.now()
    reopened = [item for item in items if item.batch.accepts_answers]
    expired = [item for item in items if item not in reopened]
    move_items(reopened, ItemStatus.PENDING, actor=actor, event_type=AuditEventType.ASSIGNMENT_ITEM_UNBLOCKED)
    move_items(expired, ItemStatus.EXPIRED, actor=actor, event_type=AuditEventType.ASSIGNMENT_ITEM_EXPIRED)
    reopen_batches([item.batch for item in reopened], actor=actor)
    for item in reopened:
        if item.batch.status == BatchStatus.SENT:
            mails.item_unblocked(item, at=now)
    return reopened + expired


def _pair_items(pairs: set, statuses) -> list[AssignmentItem]:
    """Items of the (profile id, proposal id) pairs in `statuses`, locked after their pool
    entries and batches (§7). A constant number of queries whatever the number of pairs: one
    unlocked read over the profiles × proposals superset (filtered to the pairs here), then one
    locking query per level, each in primary-key order so that lockers never cross."""
    if not pairs:
        return []
    candidates = [
        (pk, entry_id, batch_id)
        for pk, entry_id, batch_id, profile_id, proposal_id in AssignmentItem.objects.filter(
            pool_entry__reviewer_id__in={r for r, _ in pairs}, proposal_id__in={p for _, p in pairs},
            status__in=statuses,
        ).values_list("pk", "pool_entry_id", "batch_id", "pool_entry__reviewer_id", "proposal_id")
        if (profile_id, proposal_id) in pairs
    ]
    if not candidates:
        return []
    lock(CallReviewerPool.objects.filter(pk__in={entry_id for _, entry_id, _ in candidates}))
    lock(AssignmentBatch.objects.filter(pk__in={batch_id for _, _, batch_id in candidates}))
    # Re-read under the lock: a concurrent action may have moved an item meanwhile.
    return list(
        AssignmentItem.objects.select_for_update(of=("self",))
        .select_related("pool_entry", "batch")
        .filter(pk__in=[pk for pk, _, _ in candidates], status__in=statuses)
        .order_by("pk")
    )


def _pair_of(item) -> tuple[int, int]:
    """The item's (profile id, proposal id) pair: the key of a pair's conflicts."""
    return item.pool_entry.reviewer_id, item.proposal_id
