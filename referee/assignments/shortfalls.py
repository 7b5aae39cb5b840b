"""Why a proposal was left short by a generation, and which setting would change that (issue 10).

A proposal's reviewers pass the rules of `candidates.RULES` in order. The blocking rule is the
first one after which fewer reviewers are left than the proposal needs; when enough are left,
the solve gave them to other proposals and the rule is `capacity`. The suggestion says it in a
call manager's words, with the numbers, and names the setting to change where there is one."""

import math

import numpy as np

from referee.assignments.candidates import RULES, Candidates

POOL_SIZE = "pool_size"  # not a rule of RULES: the pool itself is smaller than the demand
INVITE = "or invite more reviewers to the pool"
# Rules whose suggestion needs no more than the funnel's counts.
TEMPLATES = {
    "team_membership": "{who} created this proposal or {are} on its team and may not review it; {left}: invite "
                       "more reviewers to the pool.",
    "conflict_bids": "{who} declared a conflict with this proposal in their bids, which only they can withdraw; "
                     "{left}: invite more reviewers to the pool.",
    "conflicts": "{who} {have} a blocking conflict of interest with this proposal; {left}. Review its conflicts "
                 "(waive or dismiss those that do not hold), change which conflict types block in the call's COI "
                 "configuration, " + INVITE + ".",
    "unavailable_reviewers": "{who} {are} marked unavailable for reviews on their profile (available_for_reviews); "
                             "{left}: ask them to become available " + INVITE + ".",
    "existing_assignments": "{who} already {have} or had an assignment for this proposal (one declined or answered "
                            "is never offered again); {left}: invite more reviewers to the pool.",
    "capacity": "{who} {have} no capacity left (max_proposals_per_reviewer is {config.max_proposals_per_reviewer}, "
                "or their own max_assignments, is reached); {left}. Raise max_proposals_per_reviewer or their "
                "max_assignments " + INVITE + ".",
}


def explain(candidates: Candidates, i: int, config) -> tuple[str, str]:
    """(blocking rule, suggestion) for proposal row `i`, which the solve left short."""
    demand = int(candidates.problem.demand[i])
    pool = len(candidates.entries)
    if pool < demand:
        return POOL_SIZE, (
            f"The pool has {reviewers(pool)} who accepted and this proposal needs {demand} more: invite more "
            f"reviewers to the pool, or ask for fewer reviewers_per_proposal "
            f"(min_reviewers_per_proposal is {config.min_reviewers_per_proposal})."
        )
    left = pool
    for rule, removed in candidates.proposal_funnel(i).items():
        if removed and left - removed < demand:
            if rule == "threshold":
                return rule, _threshold(candidates, i, config, who=_who(removed, left, pool), before=left,
                                        removed=removed, demand=demand)
            one = removed == 1
            return rule, TEMPLATES[rule].format(
                who=_who(removed, left, pool), left=_left(left - removed, demand), config=config,
                are="is" if one else "are", have="has" if one else "have")
        left -= removed
    return "capacity", _taken_elsewhere(candidates, config, left=left)


def reviewers(n: int) -> str:
    """"1 reviewer", "3 reviewers"."""
    return f"{n} reviewer" + ("" if n == 1 else "s")


def _who(removed: int, before: int, pool: int) -> str:
    """The reviewers a rule removed, among those the earlier rules left."""
    among = "in the pool" if before == pool else "not already excluded"
    if removed == before:
        return f"The only reviewer {among}" if removed == 1 else f"All {before} reviewers {among}"
    return f"{removed} of the {before} reviewers {among}"


def _left(left: int, demand: int) -> str:
    return f"{reviewers(left)} {'is' if left == 1 else 'are'} left for {demand} place{'' if demand == 1 else 's'}"


def threshold_that_passes(c: Candidates, i: int, demand: int) -> float | None:
    """The highest min_affinity_threshold (4 decimals, rounded down so that it does pass) at which
    `demand` of the reviewers the rules before the threshold leave for proposal row `i` pass;
    None when those rules leave fewer."""
    earlier = np.flatnonzero((c.removed_by[i] == 0) | (c.removed_by[i] >= RULES.index("threshold") + 1))
    if len(earlier) < demand or demand < 1:
        return None
    scores = np.sort(c.affinity[i, earlier])[::-1]
    return math.floor(scores[demand - 1] * 10_000) / 10_000


def _threshold(c, i, config, *, who, removed, before, demand) -> str:
    """Names the highest threshold at which `demand` of the reviewers the earlier rules left pass."""
    enough = threshold_that_passes(c, i, demand)
    return (f"{who} score{'s' if removed == 1 else ''} below min_affinity_threshold "
            f"({config.min_affinity_threshold:g}) for this proposal; {_left(before - removed, demand)}. "
            f"A min_affinity_threshold of {enough:g} would make {demand} of the {before} eligible.")


def _taken_elsewhere(c, config, *, left) -> str:
    problem = c.problem
    wanted, places = int(problem.demand.sum()), int(problem.capacity.sum())
    overall = (f"the call needs {wanted} more reviews and its reviewers have {places} places left"
               if places < wanted else "other proposals needed the same reviewers")
    return (f"{reviewers(left)} could review this proposal, but too few of them had a place left once other "
            f"proposals had theirs: {overall}. Raise max_proposals_per_reviewer "
            f"(now {config.max_proposals_per_reviewer}) or the reviewers' max_assignments, lower "
            f"min_affinity_threshold (now {config.min_affinity_threshold:g}) to make more reviewers eligible, "
            f"{INVITE}.")
