"""A call manager's work on a generation's preview (issue 13): start it with the algorithm chosen,
then remove, add or swap pairs before deploying it.

An edit changes the preview's undeployed ProposedAssignment rows, never the problem its solve
saw, so `deploy_preview` still accepts it (the fingerprint is of the inputs) and deploys exactly
the edited rows. Every new pair passes the eligibility rules generation applies — the very same
code, `candidates.build_candidates`, run on the few proposals and reviewers the edit touches — and
the reviewers' loads after deployment (open assignments + preview) must stay within the limits
generation uses (`Problem.capacity` and `Problem.lower`). Team membership, conflict bids, blocking
conflicts, unavailability and earlier assignments refuse outright; the threshold, the loads and
the call's panel diversity rules (an edit that takes a proposal's panel over a cap, or below a
minimum it met: `panel_rules`) may be overridden, only with a reason, which the audit event keeps.

Each edit is one transaction holding the call's MatchingConfiguration lock, as generation and
deployment do, so an edit never interleaves with a run that replaces the preview."""

from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Max

from referee.assignments.affinities import AffinityMatrix
from referee.assignments.candidates import RULES, build_candidates
from referee.assignments.domain.manual import ALREADY_ASSIGNED, CONFLICT_BID, IN_TEAM
from referee.assignments.matching_jobs import start_generation_job
from referee.assignments.models import AffinityScore, GenerationPreview, MatchingJob, ProposedAssignment
from referee.assignments.panel_rules import edit_refusals
from referee.assignments.previews import ALREADY_DEPLOYED
from referee.assignments.requested import NOT_IN_CALL
from referee.calls.domain import update_matching_configuration
from referee.calls.models import MatchingConfiguration, Proposal
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.reviewers.models import CallReviewerPool

NO_PREVIEW = "There is no preview to edit: generate one first."
NO_PAIR = "This pair is no longer in the preview (it was edited or the preview was replaced); reload the page."
NOT_CONSIDERED = "{proposal} is not one of the proposals this preview assigns (not open for review or not asked for)."
NOT_ACCEPTED = "Reviewer not found in pool or not accepted."
ALREADY_PREVIEWED = "{reviewer} is already proposed for {proposal} in this preview."
SAME_SIDE = "Pick two pairs with different proposals and different reviewers to swap."
# Words for the rules of candidates.RULES that refuse a pair outright (the API's words where it has them).
HARD = {
    "team_membership": IN_TEAM,
    "conflict_bids": CONFLICT_BID,
    "conflicts": ("Reviewer has a blocking conflict of interest with this proposal: dismiss or waive it on the "
                  "Matching tab first"),
    "unavailable_reviewers": "Reviewer is marked unavailable for reviews",
    "existing_assignments": ALREADY_ASSIGNED,
}
BELOW_THRESHOLD = "the affinity {affinity:.2f} is below the call's threshold {threshold:g}"
ABOVE_MAXIMUM = ("{reviewer} would get {load} proposals from this preview, more than the {limit} their maximum load "
                 "leaves room for")
BELOW_MINIMUM = ("{reviewer} would keep {load} proposals from this preview, fewer than the {limit} the call's minimum "
                 "load asks of them")
OVERRIDE = " Give a reason to override."


@dataclass
class PairWanted:
    """A pair an edit adds or removes."""

    proposal: Proposal
    entry: CallReviewerPool


def start_preview(call, *, user, algorithm: str, reviewers_per_proposal=None) -> MatchingJob:
    """Queue a dry run (`matching_jobs.start_generation_job`) with `algorithm`, which becomes the
    call's setting (its own audited change): deploying checks that the configuration, algorithm
    included, is the one the preview was solved with. The job is started first, so a refused
    start (one already active, no worker) changes no setting, and a request never waits for the
    configuration's lock that a running generation job holds while it solves."""
    with transaction.atomic():
        job = start_generation_job(call, user=user, dry_run=True, reviewers_per_proposal=reviewers_per_proposal)
        if call.matching_config.algorithm != algorithm:
            update_matching_configuration(call, actor=user, changes={"algorithm": algorithm})
    return job


def remove_pair(call, *, actor, pair_uuid, reason: str = "") -> None:
    with transaction.atomic():
        config, preview = _lock(call)
        row = _row(call, pair_uuid)
        entry = _entries(call, [row.reviewer_id], by="reviewer_id").get(row.reviewer_id)
        if entry is None:  # left the pool since: the preview is out of date and cannot be deployed anyway
            raise DomainError(NOT_ACCEPTED)
        proposal = Proposal.objects.get(pk=row.proposal_id)
        removed = [PairWanted(proposal, entry)]
        overrides = _check(call, config, preview, [], {entry.id: -1}, removed, reason)
        row.delete()
        _record(preview, actor, "remove", removed=removed, added=[], overrides=overrides, reason=reason)


def add_pair(call, *, actor, proposal_uuid, pool_entry_uuid, reason: str = "") -> None:
    with transaction.atomic():
        config, preview = _lock(call)
        entry = _entries(call, [pool_entry_uuid], by="uuid").get(pool_entry_uuid)
        if entry is None:
            raise FieldError("reviewer", NOT_ACCEPTED)
        proposal = Proposal.objects.filter(call=call, uuid=proposal_uuid).first()
        if proposal is None:
            raise FieldError("proposal", NOT_IN_CALL)
        wanted = [PairWanted(proposal, entry)]
        overrides = _check(call, config, preview, wanted, {entry.id: 1}, [], reason)
        _write(call, wanted, _affinities(wanted))
        _record(preview, actor, "add", removed=[], added=wanted, overrides=overrides, reason=reason)


def swap_pairs(call, *, actor, first_uuid, second_uuid, reason: str = "") -> None:
    """(P1, R1), (P2, R2) → (P1, R2), (P2, R1): every load stays, so only the new pairs' rules
    are checked."""
    with transaction.atomic():
        config, preview = _lock(call)
        first, second = _row(call, first_uuid), _row(call, second_uuid)
        if first.proposal_id == second.proposal_id or first.reviewer_id == second.reviewer_id:
            raise DomainError(SAME_SIDE)
        entries = _entries(call, [first.reviewer_id, second.reviewer_id], by="reviewer_id")
        if len(entries) < 2:  # one left the pool since: the preview cannot be deployed anyway
            raise DomainError(NOT_ACCEPTED)
        proposals = Proposal.objects.in_bulk([first.proposal_id, second.proposal_id])
        wanted = [PairWanted(proposals[first.proposal_id], entries[second.reviewer_id]),
                  PairWanted(proposals[second.proposal_id], entries[first.reviewer_id])]
        removed = [PairWanted(proposals[first.proposal_id], entries[first.reviewer_id]),
                   PairWanted(proposals[second.proposal_id], entries[second.reviewer_id])]
        overrides = _check(call, config, preview, wanted, {}, removed, reason)
        ProposedAssignment.objects.filter(pk__in=[first.pk, second.pk]).delete()
        _write(call, wanted, _affinities(wanted))
        _record(preview, actor, "swap", removed=removed, added=wanted, overrides=overrides, reason=reason)


def _lock(call) -> tuple[MatchingConfiguration, GenerationPreview]:
    """§7: the call's MatchingConfiguration first (it serialises generation and deployment)."""
    config = MatchingConfiguration.objects.select_for_update().get(call=call)
    preview = GenerationPreview.objects.filter(call=call).first()
    if preview is None:
        raise DomainError(NO_PREVIEW)
    if preview.deployed_at is not None:
        raise DomainError(ALREADY_DEPLOYED.format(when=preview.deployed_at))
    return config, preview


def _row(call, pair_uuid) -> ProposedAssignment:
    row = ProposedAssignment.objects.filter(call=call, uuid=pair_uuid, is_deployed=False).first()
    if row is None:
        raise DomainError(NO_PAIR)
    return row


def _entries(call, keys, *, by: str) -> dict:
    """The accepted pool entries named by profile id or uuid, locked in id order (after the
    configuration, §7)."""
    rows = (CallReviewerPool.objects.select_for_update(of=("self",)).select_related("reviewer__user")
            .filter(call=call, invitation_status=CallReviewerPool.Status.ACCEPTED, **{f"{by}__in": keys})
            .order_by("id"))
    return {getattr(e, by): e for e in rows}


def _affinities(wanted: list[PairWanted]) -> AffinityMatrix:
    """The cached scores of the pairs' proposals × reviewers (0 where none is cached, as for a
    pair never scored: below any threshold)."""
    proposal_ids = list(dict.fromkeys(w.proposal.id for w in wanted))
    entries = list({w.entry.id: w.entry for w in wanted}.values())
    shape = (len(proposal_ids), len(entries))
    affinity, keyword, text = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    row, column = {p: i for i, p in enumerate(proposal_ids)}, {e.reviewer_id: j for j, e in enumerate(entries)}
    scores = AffinityScore.objects.filter(proposal_id__in=proposal_ids, reviewer_id__in=list(column)).values_list(
        "proposal_id", "reviewer_id", "affinity_score", "keyword_score", "text_score")
    for proposal_id, reviewer_id, a, k, t in scores:
        i, j = row[proposal_id], column[reviewer_id]
        affinity[i, j], keyword[i, j], text[i, j] = a, k or 0.0, t or 0.0
    return AffinityMatrix(proposal_ids, entries, affinity, keyword, text)


def _check(call, config, preview, wanted: list[PairWanted], load_change: dict, leaving: list[PairWanted],
           reason: str) -> list[str]:
    """Refuse a new pair that generation would not have made, or a load out of bounds; return
    the overridden refusals (a reason was given). `leaving` are the pairs the edit removes."""
    hard, soft = [], []
    previewed = set(ProposedAssignment.objects.filter(call=call, is_deployed=False).values_list(
        "proposal_id", "reviewer_id")) - {(w.proposal.id, w.entry.reviewer_id) for w in leaving}
    for w in wanted:
        if not _considered(preview, w.proposal):
            hard.append(NOT_CONSIDERED.format(proposal=w.proposal.name))
        elif (w.proposal.id, w.entry.reviewer_id) in previewed:
            hard.append(ALREADY_PREVIEWED.format(reviewer=_name(w.entry), proposal=w.proposal.name))
    pairs = wanted or leaving  # a removal checks the leaving pair's reviewer (their minimum)
    matrix = _affinities(pairs)
    proposals = {w.proposal.id: w.proposal for w in pairs}
    # The same rules as a generation; `wanted` is 0 because no demand is asked of these pairs.
    candidates = build_candidates(call, config, [proposals[p] for p in matrix.proposal_ids],
                                  matrix, 0)
    row_of = {p: i for i, p in enumerate(matrix.proposal_ids)}
    column_of = {e.id: j for j, e in enumerate(matrix.entries)}
    for w in wanted:
        i, j = row_of[w.proposal.id], column_of[w.entry.id]
        rule = RULES[candidates.removed_by[i, j] - 1] if candidates.removed_by[i, j] else None
        pair = f"{_name(w.entry)} for {w.proposal.name}: "
        if rule in HARD:
            hard.append(pair + HARD[rule] + ".")
        elif rule == "threshold":
            soft.append(pair + BELOW_THRESHOLD.format(affinity=matrix.affinity[i, j],
                                                      threshold=config.min_affinity_threshold) + ".")
    soft += _loads(call, candidates, column_of, load_change)
    soft += edit_refusals(call, config, wanted, leaving)
    if hard:
        raise DomainError(" ".join(hard))
    if soft and not reason.strip():
        raise FieldError("reason", " ".join(soft) + OVERRIDE)
    return soft


def _loads(call, candidates, column_of: dict, load_change: dict) -> list[str]:
    """Each changed reviewer's load after deployment (open assignments + this preview's rows)
    against generation's bounds: at most `capacity` new ones, at least `lower` (a minimum
    generation applies only to reviewers with an eligible pair)."""
    entries = {e.id: e for e in candidates.entries}
    previewed = Counter(ProposedAssignment.objects.filter(
        call=call, is_deployed=False, reviewer_id__in=[entries[key].reviewer_id for key in load_change]
    ).values_list("reviewer_id", flat=True))
    refusals = []
    for entry_id, change in load_change.items():
        entry, j = entries[entry_id], column_of[entry_id]
        load = previewed[entry.reviewer_id] + change
        capacity, lower = int(candidates.problem.capacity[j]), int(candidates.problem.lower[j])
        if change > 0 and load > capacity:
            refusals.append(ABOVE_MAXIMUM.format(reviewer=_name(entry), load=load, limit=capacity) + ".")
        if change < 0 and load < lower:
            refusals.append(BELOW_MINIMUM.format(reviewer=_name(entry), load=load, limit=lower) + ".")
    return refusals


def _considered(preview: GenerationPreview, proposal: Proposal) -> bool:
    if not proposal.is_open_for_review:
        return False
    return preview.proposal_uuids is None or proposal.uuid.hex in preview.proposal_uuids


def _write(call, wanted: list[PairWanted], matrix: AffinityMatrix) -> None:
    """The new pairs as undeployed rows, last in their proposal's ranking. A pair with a
    deployed row of an earlier run (its item expired in a cancelled batch) reuses that row, as
    generation does (one row per pair)."""
    row_of = {p: i for i, p in enumerate(matrix.proposal_ids)}
    column_of = {e.id: j for j, e in enumerate(matrix.entries)}
    ranks = dict(ProposedAssignment.objects.filter(call=call, is_deployed=False, proposal_id__in=list(row_of))
                 .values("proposal_id").annotate(last=Max("rank")).values_list("proposal_id", "last"))
    rows = []
    for w in wanted:
        ranks[w.proposal.id] = ranks.get(w.proposal.id, 0) + 1
        rows.append(ProposedAssignment(
            call=call, reviewer_id=w.entry.reviewer_id, proposal=w.proposal, algorithm_used=call.matching_config.algorithm,
            added_by_hand=True,
            affinity_score=round(float(matrix.affinity[row_of[w.proposal.id], column_of[w.entry.id]]), 4),
            rank=ranks[w.proposal.id], is_deployed=False, deployed_at=None, deployed_by=None))
    ProposedAssignment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["call", "reviewer", "proposal"],
        update_fields=["affinity_score", "algorithm_used", "added_by_hand", "rank", "is_deployed", "deployed_at",
                       "deployed_by", "modified"])


def _record(preview, actor, edit: str, *, removed, added, overrides: list[str], reason: str) -> None:
    def named(pairs: list[PairWanted]):
        return [{"proposal_uuid": w.proposal.uuid.hex, "proposal_name": w.proposal.name,
                 "pool_entry_uuid": w.entry.uuid.hex, "reviewer_name": _name(w.entry)} for w in pairs]

    record(AuditEventType.ASSIGNMENT_PREVIEW_EDITED, preview, actor=actor, call=preview.call,
           message=f"Preview edited ({edit})", edit=edit, removed=named(removed), added=named(added),
           overrides=overrides, reason=reason.strip())


def _name(entry) -> str:
    return entry.reviewer.user.full_name
