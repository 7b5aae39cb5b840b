"""`generate-assignments` (§5.2–§5.5): the candidate pairs from the database (candidates.py),
one solve by referee.matching, then proposed assignments and draft-batch items in one
transaction; with the reasons for every shortfall (shortfalls.py) and, when the call cannot be
covered, the diagnosis of the flow's minimum cut (diagnosis.py). `deploy-preview` turns a dry
run's pairs into items without solving again (previews.py).

With the configuration's `max_assignment_probability` q set, the solve is randomized (issue 14):
the best pair probabilities under the cap q, then one assignment drawn from them with a seed the
report and the audit event keep, so that a draw can be reproduced and a deployed preview is the
very draw that was previewed.

Every step reads or writes whole sets of the call (one query per kind of row, filtered by the
call rather than by lists of ids), so the query count does not grow with proposals × reviewers."""

import re
import secrets
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.assignments import previews
from referee.assignments.affinities import current_affinities, refresh_if_stale
from referee.assignments.candidates import Candidates, build_candidates, wanted_reviewers
from referee.assignments.diagnosis import Findings, diagnose_generation
from referee.assignments.enums import BatchSource, BatchStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem, DeployedGeneration, ProposedAssignment
from referee.assignments.progress import SILENT, Progress
from referee.assignments.requested import named_proposals, skip_row, take_named
from referee.assignments.shortfalls import explain
from referee.calls.models import MatchingConfiguration, Proposal
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from referee.matching.diversity import RulesRefused
from referee.matching.problem import Solution
from referee.matching.randomized import solve_randomized
from referee.matching.solvers import solve
from referee.reviewers.enums import InvitationStatus
from referee.reviewers.models import CallReviewerPool

NO_POOL = "No accepted reviewers in pool"
NO_ELIGIBLE = "No eligible reviewers available"
NOT_ENOUGH = "Could not find enough eligible reviewers"
CHANGED_MEANWHILE = "Assignments of this call changed during generation; please run it again."
# What a skipped row of generation says beyond its reason when no solve left it short.
NO_SHORTFALL = {"required": 0, "assigned": 0, "blocking_rule": None, "suggestion": None}
# Seeds a JSON number carries exactly in every client (2^53), so any draw can be asked for again.
SEED_BITS = 53


@dataclass
class GenerationResult:
    batches_created: int = 0
    items_created: int = 0
    proposals_processed: int = 0
    skipped_proposals: list = field(default_factory=list)
    total_affinity: float = 0.0
    min_proposal_affinity: float | None = None
    unmet_reviewer_minimums: list = field(default_factory=list)
    candidate_pairs: int = 0
    removed_pairs: dict = field(default_factory=dict)
    eligible_pairs: int = 0
    diagnosis: list = field(default_factory=list)  # why the call is not covered and what would (diagnosis.py)
    rule_shortfalls: list = field(default_factory=list)  # where a diversity rule is not met, in words
    # A randomized generation (issue 14): its cap, its seed, and Σ affinity × probability (the
    # optimum under the cap) beside total_affinity, the drawn assignment's. None when deterministic.
    max_assignment_probability: float | None = None
    seed: int | None = None
    expected_total_affinity: float | None = None
    preview_uuid: str | None = field(default=None, compare=False)


# What a deployed preview reports again: everything but the counters of what was written.
REPORTED = ("proposals_processed", "skipped_proposals", "total_affinity", "min_proposal_affinity",
            "unmet_reviewer_minimums", "candidate_pairs", "removed_pairs", "eligible_pairs", "diagnosis",
            "rule_shortfalls", "max_assignment_probability", "seed", "expected_total_affinity")


@dataclass
class Pair:
    """One chosen (proposal, pool entry) pair: a (s) is the affinity, s the score with bids."""

    proposal: Proposal
    entry: CallReviewerPool
    affinity: float
    score: float
    probability: float | None = None  # a randomized generation's chance of drawing it


def generate_assignments(call, *, user, proposal_uuids=None, reviewers_per_proposal=None,
                         dry_run=False, seed=None, progress: Progress = SILENT) -> GenerationResult:
    """Assign reviewers to the call's open proposals (or to `proposal_uuids`), topping up what
    active items already cover. With `dry_run` only the preview rows are replaced, and the
    preview is stored so that `deploy_preview` can create exactly them. A randomized generation
    draws with `seed`, a new one when None. A job's `progress` may stop the run until its result
    is written (progress.py)."""
    refresh_if_stale(call)  # scoring is the slow part: not under the locks below
    progress.step("Choosing the assignments: candidates, solve, write")
    with transaction.atomic():
        config = _lock(call)
        result = GenerationResult()
        candidates = considered_candidates(call, config, result, proposal_uuids, reviewers_per_proposal)
        progress.check()
        # The solver reports each pricing round: a job cancelled meanwhile stops it there.
        solution, probability = _solve(candidates, config, result, seed, lambda done, total: progress.check())
        pairs = _report(result, candidates, solution, config, probability)
        # A drawn pair's row keeps the configured algorithm (the API's enum); its probability marks the draw.
        _replace_proposed(call, pairs, config.algorithm, user, deployed=not dry_run)
        if dry_run:
            with_draft = _entries_with_draft(call)
            result.items_created = len(pairs)
            result.batches_created = len({p.entry.id for p in pairs} - with_draft)
            preview = previews.store(
                call, user=user, fingerprint=candidates.fingerprint,
                report={key: getattr(result, key) for key in REPORTED},
                proposal_uuids=proposal_uuids, reviewers_per_proposal=reviewers_per_proposal)
            result.preview_uuid = preview.uuid.hex
            progress.finish(asdict(result))
            return result
        previews.discard(call)  # its rows were just replaced
        result.batches_created, result.items_created = _deploy(call, pairs, user)
        _record_generated(call, user, config, result)
        progress.finish(asdict(result))
        return result


def solve_candidates(candidates: Candidates, algorithm: str, progress=None) -> Solution:
    """One solve of the candidates under the call's diversity rules; rules the solver cannot take
    (crossing rules beyond the MILP's size) are a refusal in its words."""
    try:
        return solve(candidates.problem, algorithm, rules=candidates.rules, progress=progress)
    except RulesRefused as refused:
        raise DomainError(str(refused)) from None


def _solve(candidates: Candidates, config, result: GenerationResult, seed, progress):
    """The solution, and each pair's probability of being drawn when the configuration caps it
    (None when deterministic); a randomized solve's cap, seed and expected total go in `result`."""
    q = config.max_assignment_probability
    if q is None:
        return solve_candidates(candidates, config.algorithm, progress=progress), None
    seed = secrets.randbits(SEED_BITS) if seed is None else seed
    try:
        solution, fractional = solve_randomized(candidates.problem, q, seed, progress=progress, rules=candidates.rules)
    except RulesRefused as refused:
        raise DomainError(str(refused)) from None
    result.max_assignment_probability, result.seed = q, seed
    result.expected_total_affinity = round(fractional.expected_total_affinity, 4)
    return solution, fractional.probability


def deploy_preview(call, *, user, preview_uuid) -> GenerationResult:
    """Turn the call's preview `preview_uuid` into exactly its pending items, or refuse (400)
    when anything its solve depended on has changed since. Never solves again."""
    refresh_if_stale(call)  # an edited text shows up as changed affinities, not as a stale cache
    with transaction.atomic():
        config = _lock(call)
        preview = previews.find(call, preview_uuid)
        asked = None if preview.proposal_uuids is None else [uuid.UUID(key) for key in preview.proposal_uuids]
        candidates = considered_candidates(call, config, GenerationResult(), asked, preview.reviewers_per_proposal)
        previews.check_unchanged(preview, candidates.fingerprint)
        # The same problem: the preview's report is what a solve would report now.
        result = GenerationResult(**preview.report, preview_uuid=preview.uuid.hex)
        pairs = _previewed_pairs(call, candidates)
        result.batches_created, result.items_created = _deploy(call, pairs, user, preview_uuid=preview.uuid)
        now = timezone.now()
        ProposedAssignment.objects.filter(call=call, is_deployed=False).update(
            is_deployed=True, deployed_at=now, deployed_by=user, modified=now)
        previews.mark_deployed(preview, user)
        _record_generated(call, user, config, result)
        return result


def _lock(call) -> MatchingConfiguration:
    """§7: the call's MatchingConfiguration serialises generation, manual assignment and
    reassign; then the pool entries (their status must not change under us), then batches."""
    config = MatchingConfiguration.objects.select_for_update().get(call=call)
    list(CallReviewerPool.objects.select_for_update().filter(call=call, invitation_status=InvitationStatus.ACCEPTED)
         .order_by("id").values_list("id", flat=True))
    return config


def considered_candidates(call, config, result: GenerationResult, proposal_uuids, reviewers_per_proposal) -> Candidates:
    """The considered proposals' candidate pairs; fills the result's counts of them. Also what
    the console's comparison of the algorithms solves (assignments.comparison)."""
    proposals = _considered_proposals(call, proposal_uuids, result.skipped_proposals)
    result.proposals_processed = len(proposals)
    wanted = wanted_reviewers(config, reviewers_per_proposal)
    candidates = build_candidates(call, config, proposals, current_affinities(call), wanted)
    result.removed_pairs = candidates.removed_pairs()
    result.candidate_pairs = candidates.removed_by.size
    result.eligible_pairs = result.candidate_pairs - sum(result.removed_pairs.values())
    return candidates


def _previewed_pairs(call, candidates: Candidates) -> list[Pair]:
    """The preview's rows as pairs. The problem is unchanged, so every row's reviewer is still an
    accepted entry and its proposal still considered."""
    entry_of = {e.reviewer_id: e for e in candidates.entries}
    proposal_of = {p.id: p for p in candidates.proposals}
    rows = ProposedAssignment.objects.filter(call=call, is_deployed=False).order_by("proposal_id", "rank")
    return [Pair(proposal_of[row.proposal_id], entry_of[row.reviewer_id], row.affinity_score, row.affinity_score)
            for row in rows]


def _record_generated(call, user, config, result: GenerationResult) -> None:
    shortfalls = [{key: s[key] for key in ("proposal_uuid", "required", "assigned", "blocking_rule", "suggestion")}
                  for s in result.skipped_proposals if s["blocking_rule"]]
    record(AuditEventType.ASSIGNMENTS_GENERATED, call, actor=user, call=call,
           message=f"{result.items_created} items in {result.batches_created} new batches",
           algorithm=config.algorithm, proposals_processed=result.proposals_processed,
           items_created=result.items_created, batches_created=result.batches_created,
           total_affinity=result.total_affinity, skipped=len(result.skipped_proposals),
           candidate_pairs=result.candidate_pairs, removed_pairs=result.removed_pairs,
           eligible_pairs=result.eligible_pairs, shortfalls=shortfalls, diagnosis=result.diagnosis,
           rule_shortfalls=result.rule_shortfalls, max_assignment_probability=result.max_assignment_probability,
           seed=result.seed, expected_total_affinity=result.expected_total_affinity,
           preview_uuid=result.preview_uuid)


def _considered_proposals(call, proposal_uuids, skipped: list) -> list:
    """The call's open proposals (all, or those named, in request order); a named proposal that is
    foreign or not open is appended to `skipped` instead. An empty list means all."""
    if not proposal_uuids:
        return list(Proposal.objects.filter(call=call).open_for_review().order_by("id"))
    return take_named(*named_proposals(call, proposal_uuids), skipped, **NO_SHORTFALL)


def _report(result: GenerationResult, candidates: Candidates, solution: Solution, config,
            probability: np.ndarray | None = None) -> list[Pair]:
    """Fill the result's figures from the solution, with the rule that left each short proposal
    short and what would change it; return the chosen pairs (with their `probability` of being
    drawn, float[E], for a randomized solve)."""
    problem, proposals, entries = candidates.problem, candidates.proposals, candidates.entries
    findings = diagnose_generation(candidates, config) if solution.shortfalls else Findings()
    result.diagnosis = findings.diagnosis
    for shortfall in solution.shortfalls:
        proposal = proposals[shortfall.proposal]
        if not entries:
            reason = NO_POOL
        else:
            reason = NO_ELIGIBLE if shortfall.reason == "no_eligible" else NOT_ENOUGH
        rule, suggestion = explain(candidates, shortfall.proposal, config)
        if rule == "capacity" and shortfall.proposal in findings.cut_notes:
            suggestion = f"{suggestion} {findings.cut_notes[shortfall.proposal]}"
        result.skipped_proposals.append(skip_row(
            proposal.uuid, proposal.name, reason, required=shortfall.required, assigned=shortfall.assigned,
            blocking_rule=rule, suggestion=suggestion))
    result.unmet_reviewer_minimums = [
        {"pool_entry_uuid": entries[u.reviewer].uuid.hex, "required": u.required, "assigned": u.assigned}
        for u in solution.unmet_lower
    ]
    result.rule_shortfalls = [_rule_shortfall(s, proposals[s.proposal]) for s in solution.rule_shortfalls]
    result.total_affinity = round(solution.total_affinity, 4)
    if not np.isnan(solution.min_proposal_score):
        result.min_proposal_affinity = round(solution.min_proposal_score, 4)
    return [
        Pair(proposals[problem.proposal_idx[e]], entries[problem.reviewer_idx[e]],
             float(problem.affinity[e]), float(problem.score[e]),
             None if probability is None else float(probability[e]))
        for e in solution.edges
    ]


def _rule_shortfall(shortfall, proposal: Proposal) -> dict:
    """A diversity rule a proposal misses (matching.diversity_shortfalls), its message naming the
    proposal as the manager knows it rather than by its row in the solve."""
    message = re.sub(rf"\bproposal {shortfall.proposal}\b", f"proposal “{proposal.name}”", shortfall.message)
    return {"proposal_uuid": proposal.uuid.hex, "proposal_name": proposal.name, "rule": shortfall.rule,
            "required": shortfall.required, "reached": shortfall.reached, "available": shortfall.available,
            "message": message}


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
            affinity_score=round(pair.affinity, 4), probability=pair.probability, algorithm_used=algorithm,
            rank=ranks[pair.proposal.id],
            is_deployed=deployed, deployed_at=now if deployed else None, deployed_by=user if deployed else None,
        ))
    ProposedAssignment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["call", "reviewer", "proposal"],
        update_fields=["affinity_score", "probability", "algorithm_used", "added_by_hand", "rank", "is_deployed", "deployed_at",
                       "deployed_by", "modified"],
    )


def _entries_with_draft(call) -> set[int]:
    return set(AssignmentBatch.objects.filter(call=call, status=BatchStatus.DRAFT).values_list("reviewer_pool_entry_id", flat=True))


def _deploy(call, pairs: list[Pair], user, *, preview_uuid=None) -> tuple[int, int]:
    """Each pair becomes a pending item (affinity_score = a) in its reviewer's draft batch, reused
    whatever its source, else created with source algorithm (§4.1); the items point to the
    DeployedGeneration recorded first, which undo withdraws by. Returns (new batches, items)."""
    if not pairs:
        return 0, 0
    generation = DeployedGeneration.objects.create(
        call=call, preview_uuid=preview_uuid, deployed_by=user if getattr(user, "is_authenticated", False) else None)
    drafts = {b.reviewer_pool_entry_id: b
              for b in AssignmentBatch.objects.select_for_update().filter(call=call, status=BatchStatus.DRAFT).order_by("id")}
    entry_ids = sorted({p.entry.id for p in pairs})
    new = AssignmentBatch.objects.bulk_create([
        AssignmentBatch(call=call, reviewer_pool_entry_id=entry_id, status=BatchStatus.DRAFT,
                        source=AssignmentBatch.Source.ALGORITHM, created_by=user)
        for entry_id in entry_ids if entry_id not in drafts
    ])
    drafts.update({b.reviewer_pool_entry_id: b for b in new})
    try:
        with transaction.atomic():
            items = AssignmentItem.objects.bulk_create([
                AssignmentItem(batch=drafts[p.entry.id], proposal=p.proposal, pool_entry_id=p.entry.id,
                               status=AssignmentItem.Status.PENDING, affinity_score=round(p.affinity, 4),
                               generation=generation)
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
    by_batch = defaultdict(dict)
    for item in items:
        by_batch[item.batch_id][item.uuid.hex] = item.status
    batches = {b.id: b for b in drafts.values()}
    created = [event(AuditEventType.ASSIGNMENT_BATCH_CREATED, b, actor=user, call=call, to_state=BatchStatus.DRAFT,
                     source=BatchSource.ALGORITHM) for b in new]
    filled = [event(AuditEventType.ASSIGNMENT_ITEMS_CREATED, batches[batch_id], actor=user, call=call,
                    from_state=BatchStatus.DRAFT, to_state=BatchStatus.DRAFT, source=BatchSource.ALGORITHM, items=rows)
              for batch_id, rows in sorted(by_batch.items())]
    record_many(created + filled)
