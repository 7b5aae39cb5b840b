"""`create-manual-assignment` (§3.5, §5.6 Manual, §4.5 workload): a manager puts chosen proposals
into a reviewer's draft batch.

Locks the call's MatchingConfiguration first, which serialises generation, manual assignment and
reassign per call; then the pool entry, then the entry's draft batch (§7 order). Every check
reads whole sets (one query per kind), so the query count does not grow with the proposals."""

import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from referee.assignments.domain.common import blocking_conflicts
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.assignments.requested import named_proposals, skip_row, take_named
from referee.assignments.transitions import link_conflicts
from referee.assignments.workload import enforce_workload_limit
from referee.calls.models import MatchingConfiguration, Proposal
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from referee.reviewers.models import CallReviewerPool, ReviewerBid

ENTRY_NOT_ELIGIBLE = "Reviewer not found in pool or not accepted."
NO_VALID_PROPOSALS = "No valid proposals found."
IN_TEAM = "Reviewer is a member of the proposal team"
CONFLICT_BID = "Reviewer declared a conflict for this proposal"
ALREADY_ASSIGNED = "Assignment already exists for this reviewer"
PAIR_REASONS = (IN_TEAM, CONFLICT_BID, ALREADY_ASSIGNED)  # in the order they are checked


@dataclass
class ManualAssignmentResult:
    batch_uuid: uuid.UUID | None = None  # the entry's draft, None if there is none
    items_created: int = 0
    skipped_proposals: list[dict] = field(default_factory=list)


def create_manual_assignment(call, *, actor, reviewer_pool_entry_uuid, proposal_uuids, manager_notes: str = "",
                             override_workload_limit: bool = False) -> ManualAssignmentResult:
    result = ManualAssignmentResult()
    with transaction.atomic():
        MatchingConfiguration.objects.select_for_update().get(call=call)
        entry = (
            CallReviewerPool.objects.select_for_update()
            .filter(call=call, uuid=reviewer_pool_entry_uuid, invitation_status=CallReviewerPool.Status.ACCEPTED)
            .first()
        )
        if entry is None:
            raise FieldError("reviewer_pool_entry_uuid", ENTRY_NOT_ELIGIBLE)
        proposals = _assignable(call, entry, proposal_uuids, result.skipped_proposals)
        conflicts = blocking_conflicts(entry.reviewer_id, [p.id for p in proposals])
        # coi_blocked items are not new work (§4.5), so only the pending ones count.
        enforce_workload_limit(entry, sum(1 for p in proposals if p.id not in conflicts), override=override_workload_limit,
                               actor=actor, action="create-manual-assignment")
        batch = draft_batch(entry, actor, manager_notes) if proposals else _existing_draft(entry)
        if batch is not None:
            result.batch_uuid = batch.uuid
        if proposals:
            items = _create_items(batch, entry, proposals, conflicts, result.skipped_proposals)
            result.items_created = len(items)
            record(AuditEventType.ASSIGNMENT_ITEMS_CREATED, batch, actor=actor, call=call, from_state=batch.status,
                   to_state=batch.status, source="manual",
                   items={item.uuid.hex: item.status for item in items})
    return result


def _assignable(call, entry, proposal_uuids, skipped: list) -> list:
    """The call's proposals that may become items for this reviewer, in request order; the
    others are appended to `skipped` with the first reason of §5.6 that applies."""
    keys, found = named_proposals(call, proposal_uuids)
    if not found:
        raise FieldError("proposal_uuids", NO_VALID_PROPOSALS)
    refused = pair_refusals((entry.pk, p) for p in found.values())
    return take_named(keys, found, skipped, refusals=tuple(
        (lambda p, reason=reason: refused.get((entry.pk, p.id)) == reason, reason) for reason in PAIR_REASONS))


def pair_refusals(pairs) -> dict[tuple[int, int], str]:
    """Why manual assignment refuses (pool entry id, proposal) pairs, for those it refuses, by
    (entry id, proposal id): the first of `PAIR_REASONS` that applies. One query per kind of
    check whatever the number of pairs or reviewers, so the CSV import checks a whole file with
    the same rules (`assignments.csv_import`)."""
    pairs = list(pairs)
    entry_ids, ids = {e for e, _ in pairs}, {p.id for _, p in pairs}
    people = {pk: (reviewer_id, user_id) for pk, reviewer_id, user_id in CallReviewerPool.objects.filter(
        pk__in=entry_ids).values_list("pk", "reviewer_id", "reviewer__user_id")}
    memberships = Proposal.team.through.objects.filter(
        user_id__in={user_id for _, user_id in people.values()}, proposal_id__in=ids)
    team = set(memberships.values_list("user_id", "proposal_id"))
    conflict_bids = set(ReviewerBid.objects.filter(
        reviewer_id__in={reviewer_id for reviewer_id, _ in people.values()}, proposal_id__in=ids,
        bid=ReviewerBid.Bid.CONFLICT).values_list("reviewer_id", "proposal_id"))
    # A pair is never offered twice: any item but an expired one of a cancelled batch counts (§5.2).
    existing = set(
        AssignmentItem.objects.filter(pool_entry_id__in=entry_ids, proposal_id__in=ids)
        .exclude(status=ItemStatus.EXPIRED, batch__status=BatchStatus.CANCELLED)
        .values_list("pool_entry_id", "proposal_id")
    )
    refused = {}
    for entry_id, proposal in pairs:
        reviewer_id, user_id = people[entry_id]
        checks = ((user_id, proposal.id) in team or proposal.created_by_id == user_id,
                  (reviewer_id, proposal.id) in conflict_bids, (entry_id, proposal.id) in existing)
        reason = next((reason for refuses, reason in zip(checks, PAIR_REASONS, strict=True) if refuses), None)
        if reason is not None:
            refused[(entry_id, proposal.id)] = reason
    return refused


def _existing_draft(entry):
    return AssignmentBatch.objects.select_for_update().filter(reviewer_pool_entry=entry, status=BatchStatus.DRAFT).first()


def draft_batch(entry, actor, manager_notes: str):
    """The entry's draft batch, reused whatever its source, else created as a manual one (§4.1)."""
    batch = _existing_draft(entry)
    if batch is None:
        try:
            with transaction.atomic():
                batch = AssignmentBatch.objects.create(
                    call_id=entry.call_id, reviewer_pool_entry=entry, status=BatchStatus.DRAFT,
                    source=AssignmentBatch.Source.MANUAL, created_by=actor, manager_notes=manager_notes or "",
                )
        except IntegrityError:
            # A writer outside the per-call lock created the draft first (one draft per entry, §2): use it.
            batch = _existing_draft(entry)
            if batch is None:
                raise
        else:
            record(AuditEventType.ASSIGNMENT_BATCH_CREATED, batch, actor=actor, call=entry.call, to_state=BatchStatus.DRAFT, source="manual")
            return batch
    if manager_notes:
        batch.manager_notes = manager_notes
        batch.save(update_fields=["manager_notes", "modified"])
    return batch


def _create_items(batch, entry, proposals, conflicts: dict, skipped: list) -> list:
    """One INSERT for all items; if it collides with an item written concurrently (the partial
    unique index on held pairs), retry one by one and skip the colliding proposals."""
    scores = dict(
        AffinityScore.objects.filter(reviewer_id=entry.reviewer_id, proposal__in=proposals)
        .values_list("proposal_id", "affinity_score")
    )

    def build(proposal):
        blocked = proposal.id in conflicts
        return AssignmentItem(batch=batch, pool_entry=entry, proposal=proposal, affinity_score=scores.get(proposal.id),
                              status=ItemStatus.COI_BLOCKED if blocked else ItemStatus.PENDING, has_coi=blocked)

    try:
        with transaction.atomic():
            items = AssignmentItem.objects.bulk_create([build(p) for p in proposals])
    except IntegrityError:
        items = []
        for proposal in proposals:
            try:
                with transaction.atomic():
                    items.append(AssignmentItem.objects.bulk_create([build(proposal)])[0])
            except IntegrityError:
                skipped.append(skip_row(proposal.uuid, proposal.name, ALREADY_ASSIGNED))
    link_conflicts([i for i in items if i.status == ItemStatus.COI_BLOCKED], conflicts)
    return items
