"""Why a generation could not cover the call, and what would, in a call manager's words (issue 13):
`referee.matching.coverage` finds it from the flow's minimum cut on the candidate pairs; this
turns its findings into `GenerationResult.diagnosis`, one dict per cause:

* `pool`: proposals that need more reviewers than the pool has accepted: invite reviewers;
* `eligibility`: proposals the rules (`candidates.RULES`) left with fewer eligible reviewers
  than they need: invite reviewers eligible for them, or lower the threshold where it is the rule;
* `capacity`: the cut's proposals, whose eligible reviewers are all at their maximum load: raise
  those reviewers' max_assignments by the stated amount, or invite reviewers eligible for them.

Each fix is the least that covers its part (the library checks it with max-flows), and applying
them all covers the call. The suggestion of a capacity-short proposal in `skipped_proposals`
ends with its cut's fix (`cut_notes`)."""

from dataclasses import dataclass, field

from referee.assignments.candidates import RULES, Candidates
from referee.assignments.shortfalls import reviewers, threshold_that_passes
from referee.matching.coverage import CapacityCut, diagnose, reviewers_to_invite
from referee.reviewers.models import MAX_ASSIGNMENTS_DEFAULT, MAX_ASSIGNMENTS_MAX

SHOWN_NAMES = 3
RULE_WORDS = {
    "team_membership": "team membership", "conflict_bids": "conflict bids",
    "conflicts": "blocking conflicts of interest", "unavailable_reviewers": "unavailability",
    "existing_assignments": "earlier assignments of the proposal", "threshold": "min_affinity_threshold",
}
# Every fix has every key, null where its cause does not use it.
FIX_KEYS = ("missing_reviews", "invite_reviewers", "raise_max_assignments_by", "max_assignments",
            "max_proposals_per_reviewer", "min_affinity_threshold", "removed_by")


@dataclass
class Findings:
    diagnosis: list = field(default_factory=list)  # GenerationResult.diagnosis
    cut_notes: dict = field(default_factory=dict)  # proposal row → the cut's fix, for its suggestion


def diagnose_generation(candidates: Candidates, config) -> Findings:
    problem = candidates.problem
    new_capacity = max(1, min(config.max_proposals_per_reviewer, MAX_ASSIGNMENTS_DEFAULT))
    found = diagnose(problem.demand, problem.capacity, problem.proposal_idx, problem.reviewer_idx,
                     new_capacity=new_capacity)
    findings = Findings()
    if found.too_few_eligible is not None:
        short = found.too_few_eligible
        pool = len(candidates.entries)
        outgrown = problem.demand[short.proposals] > pool
        for cause, group in (("pool", outgrown), ("eligibility", ~outgrown)):
            if group.any():
                rows, missing = short.proposals[group], short.missing[group]
                finding = _pool(candidates, rows, missing, new_capacity) if cause == "pool" else \
                    _eligibility(candidates, config, rows, missing, new_capacity)
                findings.diagnosis.append(finding)
    if found.capacity is not None:
        finding, note = _capacity(candidates, config, found.capacity)
        findings.diagnosis.append(finding)
        findings.cut_notes = {int(i): note for i in found.capacity.proposals}
    return findings


def _pool(c: Candidates, rows, missing, new_capacity) -> dict:
    invite = reviewers_to_invite(missing, new_capacity)
    pool = len(c.entries)
    message = (f"{_names(c, rows)} {_need(rows)} more reviewers than the {pool} who accepted the pool invitation: "
               f"{_reviews(int(missing.sum()))} missing. Invite {_more(invite)} eligible for {_them(rows)}.")
    return _finding("pool", c, rows, [], message, {"missing_reviews": int(missing.sum()), "invite_reviewers": invite})


def _eligibility(c: Candidates, config, rows, missing, new_capacity) -> dict:
    invite = reviewers_to_invite(missing, new_capacity)
    removed = dict.fromkeys(RULES, 0)
    for i in rows:
        for rule, count in c.proposal_funnel(int(i)).items():
            removed[rule] += count
    # Pairs of reviewers without places stay candidates (the capacity part counts them), not removed.
    removed = {rule: count for rule, count in removed.items() if count and rule != "capacity"}
    thresholds = [threshold_that_passes(c, int(i), int(c.problem.demand[i])) for i in rows]
    lower = min(thresholds) if removed.get("threshold") and None not in thresholds else None
    why = ", ".join(f"{RULE_WORDS[rule]} {count}" for rule, count in removed.items())
    message = (f"{_names(c, rows)} {'has' if len(rows) == 1 else 'have'} fewer eligible reviewers than "
               f"{'it needs' if len(rows) == 1 else 'they need'}: {_reviews(int(missing.sum()))} missing "
               f"(reviewers removed by {why or 'no rule'}). Invite {_more(invite)} eligible for {_them(rows)}" + (f", or lower min_affinity_threshold to {lower:g}." if lower is not None else "."))
    return _finding("eligibility", c, rows, [], message, {
        "missing_reviews": int(missing.sum()), "invite_reviewers": invite, "min_affinity_threshold": lower,
        "removed_by": removed})


def _capacity(c: Candidates, config, cut: CapacityCut) -> tuple[dict, str]:
    """The cut's finding, and the sentence its proposals' suggestions end with."""
    capacity = c.problem.capacity[cut.reviewers]
    targets = c.open_load[cut.reviewers] + capacity + cut.raise_by  # max_assignments giving the raise
    raisable = int(targets.max()) <= MAX_ASSIGNMENTS_MAX
    overall = int(targets.max()) if int(targets.max()) > config.max_proposals_per_reviewer else None
    k = len(cut.reviewers)
    these = "this reviewer" if k == 1 else f"these {k} reviewers"
    raise_it = (f"raise the maximum load (max_assignments) of {these} by {cut.raise_by}"
                + (f" and max_proposals_per_reviewer to {overall}" if overall else "") + ", or ") if raisable else ""
    fix = f"{raise_it}invite {_more(cut.invite)} eligible for {_them(cut.proposals)}"
    n = len(cut.proposals)
    short = (f"{_more(cut.missing).replace('reviewer', 'review')} than the {reviewers(k)} eligible for "
             f"{_them(cut.proposals)} {'has' if k == 1 else 'have'} places left")
    message = (f"{_names(c, cut.proposals)} {'needs' if n == 1 else 'together need'} {short}: "
               f"{'that reviewer is' if k == 1 else 'each of them is'} at their maximum load. "
               f"{fix[0].upper()}{fix[1:]}.")
    entries = [c.entries[j] for j in cut.reviewers]
    finding = _finding("capacity", c, cut.proposals, cut.reviewers, message, {
        "missing_reviews": cut.missing, "invite_reviewers": cut.invite,
        "raise_max_assignments_by": cut.raise_by if raisable else None,
        "max_assignments": {e.uuid.hex: int(t) for e, t in zip(entries, targets, strict=True)} if raisable else None,
        "max_proposals_per_reviewer": overall if raisable else None})
    others = "it needs" if n == 1 else f"it and {n - 1} other proposal{'' if n == 2 else 's'} need"
    note = f"From the minimum cut: {others} {short}; {fix}."
    return finding, note


def _finding(cause, c: Candidates, rows, columns, message, fix) -> dict:
    entries = [c.entries[j] for j in columns]
    return {"cause": cause, "proposal_uuids": [c.proposals[i].uuid.hex for i in rows],
            "reviewer_uuids": [e.reviewer.uuid.hex for e in entries],
            "pool_entry_uuids": [e.uuid.hex for e in entries], "message": message,
            "fix": {**dict.fromkeys(FIX_KEYS), **fix}}


def _names(c: Candidates, rows) -> str:
    names = [f"“{c.proposals[i].name}”" for i in rows[:SHOWN_NAMES]]
    if len(rows) == 1:
        return f"Proposal {names[0]}"
    more = len(rows) - SHOWN_NAMES
    return f"{len(rows)} proposals ({', '.join(names)}{f' and {more} more' if more > 0 else ''})"


def _need(rows) -> str:
    return "needs" if len(rows) == 1 else "need"


def _more(n: int) -> str:
    return f"{n} more reviewer" + ("" if n == 1 else "s")


def _reviews(n: int) -> str:
    return "1 review is" if n == 1 else f"{n} reviews are"


def _them(rows) -> str:
    return "it" if len(rows) == 1 else "these proposals"

