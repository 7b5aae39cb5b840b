"""`generate-assignments` (§5.2–§5.5): eligibility, demands and capacities from the database,
one solve by referee.matching, then proposed assignments and draft-batch items in one
transaction.

Every step reads or writes whole sets of the call (one query per kind of row, filtered by the
call rather than by lists of ids), so the query count does not grow with proposals × reviewers."""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.assignments.affinities import AffinityMatrix, current_affinities, refresh_if_stale
from referee.assignments.models import AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.assignments.workload import with_open_assignments
from referee.calls.models import MatchingConfiguration, Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import record
from referee.core.errors import DomainError
from referee.core.models import AuditEvent
from referee.matching.problem import Problem, Solution
from referee.matching.solvers import solve
from referee.reviewers.models import CallReviewerPool, ReviewerBid

NOT_IN_CALL = "Proposal not found in this call"
NOT_OPEN = "Proposal is not open for review"
NO_POOL = "No accepted reviewers in pool"
NO_ELIGIBLE = "No eligible reviewers available"
NOT_ENOUGH = "Could not find enough eligible reviewers"
CHANGED_MEANWHILE = "Assignments of this call changed during generation; please run it again."
ACTIVE_BATCH_STATUSES = ("draft", "sent")
DRAFT = AssignmentBatch.Status.DRAFT
ACCEPTED = CallReviewerPool.Status.ACCEPTED


@dataclass
class GenerationResult:
    batches_created: int = 0
    items_created: int = 0
    proposals_processed: int = 0
    skipped_proposals: list = field(default_factory=list)
    total_affinity: float = 0.0
    min_proposal_affinity: float | None = None
    unmet_reviewer_minimums: list = field(default_factory=list)


@dataclass
class Pair:
    """One chosen (proposal, pool entry) pair: a (s) is the affinity, s the score with bids."""

    proposal: Proposal
    entry: CallReviewerPool
    affinity: float
    score: float


def generate_assignments(call, *, user, proposal_uuids=None, reviewers_per_proposal=None,
                         dry_run=False) -> GenerationResult:
    """Assign reviewers to the call's open proposals (or to `proposal_uuids`), topping up what
    active items already cover. With `dry_run` only the preview rows are replaced."""
    refresh_if_stale(call)  # scoring is the slow part: not under the locks below
    with transaction.atomic():
        # §7: the call's MatchingConfiguration serialises generation, manual assignment and
        # reassign; then the pool entries (their status must not change under us), then batches.
        config = MatchingConfiguration.objects.select_for_update().get(call=call)
        list(CallReviewerPool.objects.select_for_update().filter(call=call, invitation_status=ACCEPTED)
             .order_by("id").values_list("id", flat=True))
        result = GenerationResult()
        proposals = _considered_proposals(call, proposal_uuids, result.skipped_proposals)
        result.proposals_processed = len(proposals)
        wanted = min(reviewers_per_proposal or config.min_reviewers_per_proposal, config.max_reviewers_per_proposal)
        matrix = current_affinities(call)
        problem = _build_problem(call, config, proposals, matrix, wanted)
        solution = solve(problem, config.algorithm)
        pairs = _report(result, problem, solution, proposals, matrix.entries)
        _replace_proposed(call, pairs, config.algorithm, user, deployed=not dry_run)
        if dry_run:
            with_draft = _entries_with_draft(call)
            result.items_created = len(pairs)
            result.batches_created = len({p.entry.id for p in pairs} - with_draft)
            return result
        result.batches_created, result.items_created = _deploy(call, pairs, user)
        record("ASSIGNMENTS_GENERATED", call, actor=user, call=call,
               message=f"{result.items_created} items in {result.batches_created} new batches",
               algorithm=config.algorithm, proposals_processed=result.proposals_processed,
               items_created=result.items_created, batches_created=result.batches_created,
               total_affinity=result.total_affinity, skipped=len(result.skipped_proposals))
        return result


def _skip(proposal_uuid, name: str, reason: str, required: int = 0, assigned: int = 0) -> dict:
    return {"proposal_uuid": proposal_uuid.hex, "proposal_name": name, "reason": reason,
            "required": required, "assigned": assigned}


def _considered_proposals(call, proposal_uuids, skipped: list) -> list:
    """The call's open proposals (all, or those named, in request order); a named proposal that is
    foreign or not open is appended to `skipped` instead. An empty list means all."""
    if not proposal_uuids:
        return list(Proposal.objects.filter(call=call).open_for_review().order_by("id"))
    keys = list(dict.fromkeys(proposal_uuids))
    found = {p.uuid: p for p in Proposal.objects.filter(call=call, uuid__in=keys)}
    considered = []
    for key in keys:
        proposal = found.get(key)
        if proposal is None:
            skipped.append(_skip(key, "", NOT_IN_CALL))
        elif not proposal.is_open_for_review:
            skipped.append(_skip(key, proposal.name, NOT_OPEN))
        else:
            considered.append(proposal)
    return considered


def _build_problem(call, config, proposals, matrix: AffinityMatrix, wanted: int) -> Problem:
    """The solver's input (§5.2, §5.3): rows are `proposals`, columns the matrix's accepted entries."""
    entries = matrix.entries
    row_of = {pid: i for i, pid in enumerate(matrix.proposal_ids)}
    affinity = matrix.affinity[[row_of[p.id] for p in proposals]] if proposals else np.zeros((0, len(entries)))
    p_index = {p.id: i for i, p in enumerate(proposals)}
    eligible = affinity >= config.min_affinity_threshold
    eligible[:, [not e.reviewer.available_for_reviews for e in entries]] = False
    _exclude_team(call, eligible, p_index, proposals, entries)
    _exclude_conflicts(call, eligible, p_index, entries)
    weights = _bid_weights(call, eligible, p_index, entries)
    active, existing = _holdings(call, eligible, p_index, entries)
    demand = np.maximum(0, wanted - active)
    capacity, lower = _loads(call, config, entries)
    lower[~eligible.any(axis=0)] = 0  # lower loads only for reviewers with an eligible pair
    score = affinity + config.bid_weight * weights if config.use_reviewer_bids else affinity
    pi, ri = np.nonzero(eligible)
    return Problem(n_proposals=len(proposals), n_reviewers=len(entries), proposal_idx=pi, reviewer_idx=ri,
                   score=score[pi, ri], affinity=affinity[pi, ri], demand=demand, capacity=capacity,
                   lower=lower, existing=existing)


def _exclude_team(call, eligible, p_index, proposals, entries) -> None:
    """A reviewer never reviews a proposal they created or are on the team of."""
    column_of_user = {e.reviewer.user_id: j for j, e in enumerate(entries)}
    members = Proposal.team.through.objects.filter(proposal__call=call).values_list("proposal_id", "user_id")
    creators = ((p.id, p.created_by_id) for p in proposals)
    for proposal_id, user_id in (*members, *creators):
        i, j = p_index.get(proposal_id), column_of_user.get(user_id)
        if i is not None and j is not None:
            eligible[i, j] = False


def _exclude_conflicts(call, eligible, p_index, entries) -> None:
    """Pairs with a blocking COI (§5.8) are never candidates, so no generated item is coi_blocked."""
    column_of = {e.reviewer_id: j for j, e in enumerate(entries)}
    blocking = ConflictOfInterest.objects.blocking().filter(proposal__call=call)
    for proposal_id, reviewer_id in blocking.values_list("proposal_id", "reviewer_id"):
        i, j = p_index.get(proposal_id), column_of.get(reviewer_id)
        if i is not None and j is not None:
            eligible[i, j] = False


def _bid_weights(call, eligible, p_index, entries) -> np.ndarray:
    """w of §5.2 per pair; a `conflict` bid excludes the pair whether bids are used or not."""
    column_of = {e.reviewer_id: j for j, e in enumerate(entries)}
    weights = np.zeros(eligible.shape)
    bids = ReviewerBid.objects.filter(proposal__call=call).values_list("proposal_id", "reviewer_id", "bid")
    for proposal_id, reviewer_id, bid in bids:
        i, j = p_index.get(proposal_id), column_of.get(reviewer_id)
        if i is None or j is None:
            continue
        if bid == ReviewerBid.Bid.CONFLICT:
            eligible[i, j] = False
        else:
            weights[i, j] = ReviewerBid.WEIGHTS[bid]
    return weights


def _holdings(call, eligible, p_index, entries) -> tuple[np.ndarray, np.ndarray]:
    """Per proposal: active reviewers (pending items in draft/sent batches + accepted items whose
    review is not rejected) and the affinity they hold. Marks every pair that already has an
    item as ineligible, except an expired item of a cancelled batch (§5.2: never re-offered)."""
    column_of = {e.id: j for j, e in enumerate(entries)}
    active = np.zeros(len(p_index), dtype=np.int64)
    existing = np.zeros(len(p_index))
    items = AssignmentItem.objects.filter(proposal__call=call).values_list(
        "proposal_id", "pool_entry_id", "status", "batch__status", "review__state", "affinity_score"
    )
    for proposal_id, entry_id, status, batch_status, review_state, score in items:
        i = p_index.get(proposal_id)
        if i is None:
            continue
        j = column_of.get(entry_id)
        if j is not None and not (status == "expired" and batch_status == "cancelled"):
            eligible[i, j] = False
        if (status == "pending" and batch_status in ACTIVE_BATCH_STATUSES) or (
            status == "accepted" and review_state != "rejected"
        ):
            active[i] += 1
            existing[i] += score or 0.0
    return active, existing


def _loads(call, config, entries) -> tuple[np.ndarray, np.ndarray]:
    """cap_r and L_r of §5.3 from each entry's open assignments and limits."""
    accepted = CallReviewerPool.objects.filter(call=call, invitation_status=ACCEPTED)
    open_by_id = dict(with_open_assignments(accepted).values_list("id", "current_assignments"))
    open_r = np.array([open_by_id.get(e.id, 0) for e in entries], dtype=np.int64)
    limits = np.array([min(config.max_proposals_per_reviewer, e.max_assignments) for e in entries], dtype=np.int64)
    capacity = np.maximum(0, limits - open_r)
    lower = np.minimum(capacity, np.maximum(0, config.min_proposals_per_reviewer - open_r))
    return capacity, lower


def _report(result: GenerationResult, problem: Problem, solution: Solution, proposals, entries) -> list[Pair]:
    """Fill the result's figures from the solution; return the chosen pairs."""
    for shortfall in solution.shortfalls:
        proposal = proposals[shortfall.proposal]
        if not entries:
            reason = NO_POOL
        else:
            reason = NO_ELIGIBLE if shortfall.reason == "no_eligible" else NOT_ENOUGH
        result.skipped_proposals.append(
            _skip(proposal.uuid, proposal.name, reason, shortfall.required, shortfall.assigned))
    result.unmet_reviewer_minimums = [
        {"pool_entry_uuid": entries[u.reviewer].uuid.hex, "required": u.required, "assigned": u.assigned}
        for u in solution.unmet_lower
    ]
    result.total_affinity = round(solution.total_affinity, 4)
    if not np.isnan(solution.min_proposal_score):
        result.min_proposal_affinity = round(solution.min_proposal_score, 4)
    return [
        Pair(proposals[problem.proposal_idx[e]], entries[problem.reviewer_idx[e]],
             float(problem.affinity[e]), float(problem.score[e]))
        for e in solution.edges
    ]


def _replace_proposed(call, pairs: list[Pair], algorithm: str, user, *, deployed: bool) -> None:
    """Replace the call's undeployed preview rows by this run's pairs, ranked by s within their
    proposal. A pair re-offered after its item expired in a cancelled batch still has the
    earlier run's deployed row (unique per pair): that row is overwritten by the new one."""
    ProposedAssignment.objects.filter(call=call, is_deployed=False).delete()
    if not pairs:
        return
    now = timezone.now()
    ranks = defaultdict(int)
    rows = []
    for pair in sorted(pairs, key=lambda p: (p.proposal.id, -p.score, p.entry.id)):
        ranks[pair.proposal.id] += 1
        rows.append(ProposedAssignment(
            call=call, reviewer_id=pair.entry.reviewer_id, proposal=pair.proposal,
            affinity_score=round(pair.affinity, 4), algorithm_used=algorithm, rank=ranks[pair.proposal.id],
            is_deployed=deployed, deployed_at=now if deployed else None, deployed_by=user if deployed else None,
        ))
    ProposedAssignment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["call", "reviewer", "proposal"],
        update_fields=["affinity_score", "algorithm_used", "rank", "is_deployed", "deployed_at", "deployed_by",
                       "modified"],
    )


def _entries_with_draft(call) -> set[int]:
    return set(AssignmentBatch.objects.filter(call=call, status=DRAFT).values_list("reviewer_pool_entry_id", flat=True))


def _deploy(call, pairs: list[Pair], user) -> tuple[int, int]:
    """Each pair becomes a pending item (affinity_score = a) in its reviewer's draft batch, reused
    whatever its source, else created with source algorithm (§4.1). Returns (new batches, items)."""
    if not pairs:
        return 0, 0
    drafts = {b.reviewer_pool_entry_id: b
              for b in AssignmentBatch.objects.select_for_update().filter(call=call, status=DRAFT).order_by("id")}
    entry_ids = sorted({p.entry.id for p in pairs})
    new = AssignmentBatch.objects.bulk_create([
        AssignmentBatch(call=call, reviewer_pool_entry_id=entry_id, status=DRAFT,
                        source=AssignmentBatch.Source.ALGORITHM, created_by=user)
        for entry_id in entry_ids if entry_id not in drafts
    ])
    drafts.update({b.reviewer_pool_entry_id: b for b in new})
    try:
        with transaction.atomic():
            items = AssignmentItem.objects.bulk_create([
                AssignmentItem(batch=drafts[p.entry.id], proposal=p.proposal, pool_entry_id=p.entry.id,
                               status=AssignmentItem.Status.PENDING, affinity_score=round(p.affinity, 4))
                for p in pairs
            ])
    except IntegrityError:
        # A writer outside the per-call lock gave one of these pairs an item meanwhile (§2: one
        # held item per pair). Refuse as a whole; the manager runs generation again.
        raise DomainError(CHANGED_MEANWHILE) from None
    _audit_batches(call, user, new, items, drafts)
    return len(new), len(items)


def _audit_batches(call, user, new, items, drafts) -> None:
    """The per-batch events manual assignment writes (∅ → draft, items created), in one INSERT:
    one `record()` per batch would make the query count grow with the reviewers."""
    actor = user if getattr(user, "is_authenticated", False) else None
    by_batch = defaultdict(dict)
    for item in items:
        by_batch[item.batch_id][item.uuid.hex] = item.status
    batches = {b.id: b for b in drafts.values()}
    events = [AuditEvent(event_type="ASSIGNMENT_BATCH_CREATED", actor=actor, call=call, object_type="AssignmentBatch",
                         object_uuid=b.uuid, to_state=DRAFT, context={"source": "algorithm"}) for b in new]
    events += [
        AuditEvent(event_type="ASSIGNMENT_ITEMS_CREATED", actor=actor, call=call, object_type="AssignmentBatch",
                   object_uuid=batches[batch_id].uuid, from_state=DRAFT, to_state=DRAFT,
                   context={"source": "algorithm", "items": created})
        for batch_id, created in sorted(by_batch.items())
    ]
    AuditEvent.objects.bulk_create(events)
