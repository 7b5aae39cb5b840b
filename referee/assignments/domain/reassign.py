"""Giving an unanswered proposal to another reviewer (§5.6): the manager's `reassign`, the
`suggest_alternatives` list, and auto-reassign after a decline.

Reassign and auto-reassign create items and weigh workloads, so like generation and manual
assignment they first lock the call's MatchingConfiguration, which serialises them per call
(§7); pool entries come next, then batches (in primary-key order), then items. Candidates are
read in one query whatever the pool size: every §5.2 exclusion is an EXISTS on the entry."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from referee.assignments.domain.common import blocking_conflicts, lock_item
from referee.assignments.domain.manual import CONFLICT_BID, IN_TEAM, draft_batch
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.assignments.transitions import link_conflicts, lock, move_items
from referee.assignments.workload import enforce_workload_limit, open_assignments_expression
from referee.calls.models import CallAssignmentConfiguration, MatchingConfiguration, Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.notifications import mails
from referee.reviewers.enums import InvitationStatus
from referee.reviewers.models import CallReviewerPool, ReviewerBid

REASSIGNABLE = (ItemStatus.DECLINED, ItemStatus.EXPIRED, ItemStatus.COI_BLOCKED)
MAX_SUGGESTIONS = 10

ONLY_REASSIGNABLE = "Only declined, expired or COI-blocked items can be reassigned."
ONLY_SUGGESTABLE = "Alternatives can only be suggested for declined, expired or COI-blocked items."
ENTRY_NOT_ELIGIBLE = "Pool entry not found or not eligible for assignments."
ALREADY_ASSIGNED = "This reviewer already has this proposal assigned."
PROPOSAL_CLOSED = "Proposal is no longer open for review."
ENTRY_FIELD = "reviewer_pool_entry_uuid"


def lock_call_for_reassign(call_id: int, *, lock_entries: bool = False) -> CallAssignmentConfiguration:
    """MatchingConfiguration, then the assignment configuration (read for the deadline and the
    auto-reassign limits), then — when the target is not known yet — every accepted entry of
    the call in primary-key order, as generation does."""
    MatchingConfiguration.objects.select_for_update().get(call_id=call_id)
    config = CallAssignmentConfiguration.objects.select_for_update().get(call_id=call_id)
    if lock_entries:
        lock(CallReviewerPool.objects.filter(call_id=call_id, invitation_status=InvitationStatus.ACCEPTED))
    return config


def _holds(entry_id: int, proposal_id: int) -> bool:
    """Any item of the pair but an expired one of a cancelled batch: a pair is never re-offered (§5.2)."""
    return (
        AssignmentItem.objects.filter(pool_entry_id=entry_id, proposal_id=proposal_id)
        .exclude(status=ItemStatus.EXPIRED, batch__status=BatchStatus.CANCELLED).exists()
    )


def _affinity(entry, proposal_id: int) -> float | None:
    return (AffinityScore.objects.filter(reviewer_id=entry.reviewer_id, proposal_id=proposal_id)
            .values_list("affinity_score", flat=True).first())


def _new_item(batch, entry, old, *, conflicts: dict, affinity, actor) -> AssignmentItem:
    """The successor of `old` for `entry` (the partial unique index on held pairs backs
    `_holds`); `old` → reassigned."""
    blocked = old.proposal_id in conflicts
    try:
        with transaction.atomic():
            item = AssignmentItem.objects.create(
                batch=batch, pool_entry=entry, proposal_id=old.proposal_id, affinity_score=affinity,
                status=ItemStatus.COI_BLOCKED if blocked else ItemStatus.PENDING, has_coi=blocked, reassigned_from=old,
                reassign_count=old.reassign_count + 1,
            )
    except IntegrityError:
        raise DomainError(ALREADY_ASSIGNED) from None
    if blocked:
        link_conflicts([item], conflicts)
    record(AuditEventType.ASSIGNMENT_ITEMS_CREATED, batch, actor=actor, call=batch.call, from_state=batch.status,
           to_state=batch.status, source="reassign", reassigned_from=old.uuid.hex, items={item.uuid.hex: item.status})
    move_items([old], ItemStatus.REASSIGNED, actor=actor, call=batch.call, event_type=AuditEventType.ASSIGNMENT_ITEM_REASSIGNED)
    return item


# --- manager's reassign -----------------------------------------------------------------------

def reassign_item(item, *, actor, reviewer_pool_entry_uuid, manager_notes: str = "",
                  override_workload_limit: bool = False) -> AssignmentItem:
    """declined/expired/coi_blocked → reassigned; the target entry gets a new item in its draft
    batch (reused or created as manual; non-empty notes replace the draft's), coi_blocked when a
    COI blocks the pair. Returns the new item."""
    call_id = item.batch.call_id
    with transaction.atomic():
        lock_call_for_reassign(call_id)
        target = (
            CallReviewerPool.objects.select_for_update()
            .filter(call_id=call_id, uuid=reviewer_pool_entry_uuid, invitation_status=InvitationStatus.ACCEPTED)
            .exclude(pk=item.pool_entry_id)
            .first()
        )
        if target is None:
            raise FieldError(ENTRY_FIELD, ENTRY_NOT_ELIGIBLE)
        drafts = AssignmentBatch.objects.filter(reviewer_pool_entry=target, status=BatchStatus.DRAFT)
        draft_id = drafts.values_list("pk", flat=True).first()
        lock(AssignmentBatch.objects.filter(pk__in=[item.batch_id, draft_id]))  # `__in` drops a None draft_id
        item = lock_item(item)
        proposal = Proposal.objects.get(pk=item.proposal_id)
        _check_target(target, proposal)  # errors on the input field come before state guards (§1)
        if item.status not in REASSIGNABLE:
            raise DomainError(ONLY_REASSIGNABLE)
        if not proposal.is_open_for_review:
            raise DomainError(PROPOSAL_CLOSED)
        if _holds(target.pk, proposal.pk):
            raise DomainError(ALREADY_ASSIGNED)
        conflicts = blocking_conflicts(target.reviewer_id, [proposal.pk])
        # A coi_blocked item is not new work (§4.5).
        enforce_workload_limit(target, 0 if conflicts else 1, override=override_workload_limit, actor=actor, action="reassign")
        batch = draft_batch(target, actor, manager_notes)
        return _new_item(batch, target, item, conflicts=conflicts, affinity=_affinity(target, proposal.pk), actor=actor)


def _check_target(target, proposal) -> None:
    """Manual-assignment checks about the target itself, reported on the field that names it."""
    user_id = target.reviewer.user_id
    if proposal.created_by_id == user_id or proposal.team.filter(pk=user_id).exists():
        raise FieldError(ENTRY_FIELD, IN_TEAM)
    bids = ReviewerBid.objects.filter(reviewer_id=target.reviewer_id, proposal=proposal)
    if bids.filter(bid=ReviewerBid.Bid.CONFLICT).exists():
        raise FieldError(ENTRY_FIELD, CONFLICT_BID)


# --- candidates: suggest_alternatives and auto-reassign ------------------------------------------

@dataclass
class Candidate:
    entry: CallReviewerPool
    affinity: float | None
    score: float | None  # s of §5.2: affinity plus the weighted bid
    current_assignments: int

    @property
    def has_capacity(self) -> bool:
        return self.current_assignments < self.entry.max_assignments


def candidates(item, matching: MatchingConfiguration) -> list[Candidate]:
    """Other accepted entries passing §5.2 except the affinity threshold, in one query."""
    proposal = Proposal.objects.get(pk=item.proposal_id)
    if not proposal.is_open_for_review:
        return []
    for_pair = {"reviewer_id": OuterRef("reviewer_id"), "proposal_id": proposal.pk}
    team = Proposal.team.through.objects.filter(proposal_id=proposal.pk).values("user_id")
    held = (AssignmentItem.objects.filter(pool_entry=OuterRef("pk"), proposal_id=proposal.pk)
            .exclude(status=ItemStatus.EXPIRED, batch__status=BatchStatus.CANCELLED))
    entries = (
        CallReviewerPool.objects.filter(call_id=proposal.call_id, invitation_status=InvitationStatus.ACCEPTED)
        .exclude(pk=item.pool_entry_id)
        .exclude(reviewer__user_id__in=team)
        .exclude(Exists(ConflictOfInterest.objects.blocking().filter(**for_pair)))
        .exclude(Exists(ReviewerBid.objects.filter(bid=ReviewerBid.Bid.CONFLICT, **for_pair)))
        .exclude(Exists(held))
        .select_related("reviewer__user")
        .annotate(
            affinity=Subquery(AffinityScore.objects.filter(**for_pair).values("affinity_score")[:1]),
            bid_value=Subquery(ReviewerBid.objects.filter(**for_pair).values("bid")[:1]),
            current_assignments=open_assignments_expression(),
        )
    )
    if proposal.created_by_id is not None:
        entries = entries.exclude(reviewer__user_id=proposal.created_by_id)
    found = []
    for entry in entries:
        score = entry.affinity
        if score is not None and matching.use_reviewer_bids:
            score += matching.bid_weight * ReviewerBid.WEIGHTS.get(entry.bid_value, 0.0)
        found.append(Candidate(entry, entry.affinity, score, entry.current_assignments))
    return found


def suggest_alternatives(item) -> list[Candidate]:
    """At most ten: entries below their limit first, then affinity (unscored last), then the
    lighter workload, then name (uuid last, so the order is total)."""
    if item.status not in REASSIGNABLE:
        raise DomainError(ONLY_SUGGESTABLE)
    matching = MatchingConfiguration.objects.get(call_id=item.batch.call_id)
    found = candidates(item, matching)
    found.sort(key=lambda c: (not c.has_capacity, c.affinity is None, -(c.affinity or 0.0), c.current_assignments,
                              c.entry.reviewer.user.full_name, c.entry.uuid.hex))
    return found[:MAX_SUGGESTIONS]


def auto_reassign(item, *, config: CallAssignmentConfiguration, actor) -> CallReviewerPool | None:
    """After a decline, inside its transaction and under `lock_call_for_reassign(lock_entries=True)`:
    the best eligible entry with spare capacity (highest s; ties by invitation time, uuid) gets a
    new one-item batch sent at once with the invitation mail; the declined item → reassigned.
    None when nobody qualifies (the decline mail then says so)."""
    matching = MatchingConfiguration.objects.get(call_id=config.call_id)
    eligible = [
        c for c in candidates(item, matching)
        if c.affinity is not None and c.affinity >= matching.min_affinity_threshold and c.has_capacity
    ]
    if not eligible:
        return None
    best = min(eligible, key=lambda c: (-c.score, c.entry.invited_at, c.entry.uuid.hex))
    target = best.entry
    now = timezone.now()
    batch = AssignmentBatch.objects.create(
        call_id=config.call_id, reviewer_pool_entry=target, status=BatchStatus.SENT, sent_at=now,
        expires_at=now + timedelta(days=config.assignment_expiration_days), source=AssignmentBatch.Source.ALGORITHM,
    )
    record(AuditEventType.ASSIGNMENT_BATCH_CREATED, batch, actor=actor, call=batch.call, to_state=BatchStatus.SENT, source="auto-reassign",
           reassigned_from=item.uuid.hex)
    # Eligible pairs have no blocking COI (§5.2), so the new item is pending.
    _new_item(batch, target, item, conflicts={}, affinity=best.affinity, actor=actor)
    mails.invitation_for_batch(batch)
    return target
