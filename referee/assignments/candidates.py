"""The candidate pairs of a generation (§5.2, §5.3): every (considered proposal, accepted pool
entry) pair, the rule that removed each one that is not eligible, and the solver's problem.

Each rule is a P×R mask. A pair that several rules remove is counted once, under the first of
`RULES`: rules nobody can relax from the call's settings come first, then the threshold (a
setting), then capacity. So a proposal's counts read as a funnel — how many reviewers each rule
took away from those the earlier rules left — and the rule that took it below its demand is the
one whose change would give it reviewers (shortfalls.py).

The inputs are also summarised as digests (`fingerprint`): a dry run stores them so that deploying
its preview can tell whether the solve would still see the same problem (previews.py)."""

import hashlib
from dataclasses import dataclass

import numpy as np
from django.db.models import BooleanField, ExpressionWrapper, Q

from referee.assignments.affinities import AffinityMatrix
from referee.assignments.diversity_inputs import diversity_rules, diversity_settings, rules_parts
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentItem
from referee.assignments.workload import with_open_assignments
from referee.calls.models import Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.matching.diversity import DiversityRules
from referee.matching.problem import Problem
from referee.reviewers.models import CallReviewerPool, ReviewerBid
from referee.reviews.enums import ReviewState

RULES = ("team_membership", "conflict_bids", "conflicts", "unavailable_reviewers", "existing_assignments",
         "threshold", "capacity")
ACTIVE_BATCH_STATUSES = (BatchStatus.DRAFT, BatchStatus.SENT)
# An item that counts towards its proposal's reviewers (its demand is what is wanted less these,
# and the diversity rules count them: panel_rules): pending in a draft or sent batch, or accepted
# with a review not rejected.
ACTIVE_ITEM = (Q(status=ItemStatus.PENDING, batch__status__in=ACTIVE_BATCH_STATUSES)
               | (Q(status=ItemStatus.ACCEPTED) & ~Q(review__state=ReviewState.REJECTED)))
# The digests that name, in a refusal, what changed since a preview (previews.py).
INPUTS = ("configuration", "proposals", "pool", "affinities", "teams", "conflicts", "bids", "assignments")


@dataclass
class Candidates:
    """`removed_by[i, j]` is 1 + the index in RULES of the rule that removed pair (i, j), 0 if
    the pair is eligible. Pairs removed only by `capacity` stay in the problem (the solver gives
    a full reviewer nothing anyway), so the matching library's own shortfall reasons hold."""

    proposals: list
    entries: list
    affinity: np.ndarray  # P×R, what min_affinity_threshold is compared with
    removed_by: np.ndarray  # P×R int8
    problem: Problem
    fingerprint: dict
    open_load: np.ndarray  # R: each entry's open assignments, which its limit counts (diagnosis.py)
    rules: DiversityRules | None = None  # the call's panel diversity rules (issue 14)

    def removed_pairs(self) -> dict[str, int]:
        counts = np.bincount(self.removed_by.ravel(), minlength=len(RULES) + 1)
        return {rule: int(counts[k + 1]) for k, rule in enumerate(RULES)}

    def proposal_funnel(self, i: int) -> dict[str, int]:
        """How many reviewers each rule removed for proposal row `i`."""
        counts = np.bincount(self.removed_by[i], minlength=len(RULES) + 1)
        return {rule: int(counts[k + 1]) for k, rule in enumerate(RULES)}


def wanted_reviewers(config, reviewers_per_proposal) -> int:
    """Reviewers a generation wants per proposal: the number asked (else the call's minimum),
    never above the call's maximum."""
    return min(reviewers_per_proposal or config.min_reviewers_per_proposal, config.max_reviewers_per_proposal)


def build_candidates(call, config, proposals, matrix: AffinityMatrix, wanted: int) -> Candidates:
    """The solver's input with the rule of every removed pair; rows are `proposals`, columns the
    matrix's accepted entries."""
    entries = matrix.entries
    shape = (len(proposals), len(entries))
    row_of = {pid: i for i, pid in enumerate(matrix.proposal_ids)}
    affinity = matrix.affinity[[row_of[p.id] for p in proposals]] if proposals else np.zeros(shape)
    p_index = {p.id: i for i, p in enumerate(proposals)}
    team = _team(call, shape, p_index, proposals, entries)
    conflicts = _conflicts(call, shape, p_index, entries)
    conflict_bids, weights = _bids(call, shape, p_index, entries)
    away = np.array([not e.reviewer.available_for_reviews for e in entries], dtype=bool)
    unavailable = np.broadcast_to(away, shape)
    held, active, existing, on_panels = _holdings(call, shape, p_index, entries)
    demand = np.maximum(0, wanted - active)
    capacity, lower, open_r = _loads(call, config, entries)
    below = affinity < config.min_affinity_threshold
    full = np.broadcast_to(capacity == 0, shape)
    removed_by = np.zeros(shape, dtype=np.int8)
    for k, mask in enumerate((team, conflict_bids, conflicts, unavailable, held, below, full), start=1):
        removed_by[(removed_by == 0) & mask] = k
    eligible = (removed_by == 0) | (removed_by == len(RULES))
    lower[~eligible.any(axis=0)] = 0  # lower loads only for reviewers with an eligible pair
    score = affinity + config.bid_weight * weights if config.use_reviewer_bids else affinity
    pi, ri = np.nonzero(eligible)
    problem = Problem(n_proposals=len(proposals), n_reviewers=len(entries), proposal_idx=pi, reviewer_idx=ri,
                      score=score[pi, ri], affinity=affinity[pi, ri], demand=demand, capacity=capacity,
                      lower=lower, existing=existing)
    p_ids, e_ids = [p.id for p in proposals], [e.id for e in entries]
    rules = diversity_rules(config, proposals, entries, held=on_panels)

    def cells(*arrays):
        """The set cells of P×R arrays by (proposal id, entry id, values): a new row or column
        does not change the digest of inputs that say nothing about it."""
        i, j = np.nonzero(np.logical_or.reduce([a != 0 for a in arrays]))
        return [(p_ids[a], e_ids[b], *(x[a, b].item() for x in arrays)) for a, b in zip(i, j, strict=True)]

    # Who holds a place on each panel, which the rules count (only then: other digests stay as they were).
    panel_members = [] if rules is None else [[(p_ids[i], e_ids[j]) for i, j in on_panels.tolist()]]
    fingerprint = {
        "configuration": _digest(config.algorithm, config.min_affinity_threshold, config.use_reviewer_bids,
                                 config.bid_weight, config.min_proposals_per_reviewer,
                                 config.max_proposals_per_reviewer, wanted, config.max_assignment_probability,
                                 *diversity_settings(config)),
        "proposals": _digest(p_ids),
        "pool": _digest(list(zip(e_ids, [e.max_assignments for e in entries], away.tolist(), strict=True)),
                        *rules_parts(rules)),
        "affinities": _digest(p_ids, e_ids, affinity),
        "teams": _digest(cells(team)),
        "conflicts": _digest(cells(conflicts)),
        "bids": _digest(cells(conflict_bids, weights)),
        "assignments": _digest(cells(held), [x for x in zip(p_ids, active.tolist(), existing.tolist(), strict=True) if x[1]],
                               [x for x in zip(e_ids, open_r.tolist(), strict=True) if x[1]], *panel_members),
        "problem": _digest(config.algorithm, p_ids, e_ids, *(getattr(problem, name) for name in (
            "proposal_idx", "reviewer_idx", "score", "affinity", "demand", "capacity", "lower", "existing")),
            config.max_assignment_probability, *diversity_settings(config), *rules_parts(rules), *panel_members),
    }
    return Candidates(proposals, entries, affinity, removed_by, problem, fingerprint, open_r, rules)


def _digest(*parts) -> str:
    """A stable digest of arrays (by dtype, shape and bytes) and plain values (by repr)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"|")
    return digest.hexdigest()


def _team(call, shape, p_index, proposals, entries) -> np.ndarray:
    """A reviewer never reviews a proposal they created or are on the team of."""
    mask = np.zeros(shape, dtype=bool)
    column_of_user = {e.reviewer.user_id: j for j, e in enumerate(entries)}
    members = Proposal.team.through.objects.filter(proposal__call=call).values_list("proposal_id", "user_id")
    creators = ((p.id, p.created_by_id) for p in proposals)
    for proposal_id, user_id in (*members, *creators):
        i, j = p_index.get(proposal_id), column_of_user.get(user_id)
        if i is not None and j is not None:
            mask[i, j] = True
    return mask


def _conflicts(call, shape, p_index, entries) -> np.ndarray:
    """Pairs with a blocking COI (§5.8) are never candidates, so no generated item is coi_blocked."""
    mask = np.zeros(shape, dtype=bool)
    column_of = {e.reviewer_id: j for j, e in enumerate(entries)}
    blocking = ConflictOfInterest.objects.blocking().filter(proposal__call=call)
    for proposal_id, reviewer_id in blocking.values_list("proposal_id", "reviewer_id"):
        i, j = p_index.get(proposal_id), column_of.get(reviewer_id)
        if i is not None and j is not None:
            mask[i, j] = True
    return mask


def _bids(call, shape, p_index, entries) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with a `conflict` bid (excluded whether bids are used or not) and w of §5.2 per pair."""
    column_of = {e.reviewer_id: j for j, e in enumerate(entries)}
    conflict, weights = np.zeros(shape, dtype=bool), np.zeros(shape)
    bids = ReviewerBid.objects.filter(proposal__call=call).values_list("proposal_id", "reviewer_id", "bid")
    for proposal_id, reviewer_id, bid in bids:
        i, j = p_index.get(proposal_id), column_of.get(reviewer_id)
        if i is None or j is None:
            continue
        if bid == ReviewerBid.Bid.CONFLICT:
            conflict[i, j] = True
        else:
            weights[i, j] = ReviewerBid.WEIGHTS[bid]
    return conflict, weights


def _holdings(call, shape, p_index, entries) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs that already have an item, except an expired item of a cancelled batch (§5.2: never
    re-offered); per proposal, its active reviewers (`ACTIVE_ITEM`) and the affinity they hold;
    and the active (proposal, entry) pairs as int[H, 2] rows and columns, which the diversity
    rules count (an active item's entry is accepted: the pool's columns)."""
    column_of = {e.id: j for j, e in enumerate(entries)}
    held = np.zeros(shape, dtype=bool)
    active = np.zeros(shape[0], dtype=np.int64)
    existing = np.zeros(shape[0])
    on_panels = []
    items = AssignmentItem.objects.filter(proposal__call=call).values_list(
        "proposal_id", "pool_entry_id", "status", "batch__status", "affinity_score",
        ExpressionWrapper(ACTIVE_ITEM, output_field=BooleanField()),
    )
    for proposal_id, entry_id, status, batch_status, score, is_active in items:
        i = p_index.get(proposal_id)
        if i is None:
            continue
        j = column_of.get(entry_id)
        if j is not None and not (status == ItemStatus.EXPIRED and batch_status == BatchStatus.CANCELLED):
            held[i, j] = True
        if is_active:
            active[i] += 1
            existing[i] += score or 0.0
            if j is not None:
                on_panels.append((i, j))
    return held, active, existing, np.array(on_panels, dtype=np.int64).reshape(-1, 2)


def _loads(call, config, entries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cap_r and L_r of §5.3 from each entry's open assignments (also returned) and limits."""
    accepted = CallReviewerPool.objects.filter(call=call, invitation_status=CallReviewerPool.Status.ACCEPTED)
    open_by_id = dict(with_open_assignments(accepted).values_list("id", "current_assignments"))
    open_r = np.array([open_by_id.get(e.id, 0) for e in entries], dtype=np.int64)
    limits = np.array([min(config.max_proposals_per_reviewer, e.max_assignments) for e in entries], dtype=np.int64)
    capacity = np.maximum(0, limits - open_r)
    lower = np.minimum(capacity, np.maximum(0, config.min_proposals_per_reviewer - open_r))
    return capacity, lower, open_r
