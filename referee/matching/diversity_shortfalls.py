"""Where a solution misses a diversity rule, in words (issue 14): which proposal, which rule,
and why (the pool has too few such reviewers, or they are needed elsewhere, or a cap leaves too
few places). Reviewers a proposal already holds (a top-up, ``DiversityRules.held``) count as
the solve counts them: `required` and `reached` are of the whole panel. Pure: arrays in, records
out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import diversity_panels as panels
from .diversity import DiversityRules
from .problem import Problem


@dataclass
class RuleShortfall:
    proposal: int
    rule: str  # "min_foreign" | "min_per_stage" | "max_per_institution" | "max_per_country"
    required: int  # places the rule asks for (reserved places, or the demand a cap leaves short)
    reached: int  # what the solution gives (with the held reviewers, for a minimum)
    available: int  # eligible reviewers who could count (with capacity)
    message: str


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def rule_shortfalls(problem: Problem, rules: DiversityRules, edges: np.ndarray) -> list[RuleShortfall]:
    """Where the solution misses an "at least" rule, or a cap leaves a proposal short, and why."""
    n_p = problem.n_proposals
    p_sel, r_sel = problem.proposal_idx[edges], problem.reviewer_idx[edges]
    assigned = np.bincount(p_sel, minlength=n_p)
    wanted = problem.demand.astype(np.int64)
    # Only proposals short of a place or of a rule's minimum need their eligible pool counted.
    suspect = assigned < wanted
    if rules.min_foreign > 0:
        foreign = panels.foreign_still_needed(rules, n_p)  # what the held reviewers leave
        suspect |= panels.outside_count(rules, p_sel, r_sel, n_p) < foreign
    if rules.min_per_stage is not None:
        stages = panels.stages_still_needed(rules, n_p)
        suspect |= np.any(panels.stage_counts(rules, p_sel, r_sel, n_p) < stages, axis=1)
    if not suspect.any():  # every shortfall below is a suspect's: skip the walk over all pairs
        return []
    usable = suspect[problem.proposal_idx]
    usable[usable] = problem.capacity[problem.reviewer_idx[usable]] > 0
    p_all, r_all = problem.proposal_idx[usable], problem.reviewer_idx[usable]
    found: list[RuleShortfall] = []
    if rules.min_foreign > 0:
        known = rules.applicant_countries.any(axis=1)
        available = panels.outside_count(rules, p_all, r_all, n_p)
        got = panels.outside_count(rules, p_sel, r_sel, n_p)
        required = np.minimum(wanted, foreign)
        held = rules.min_foreign - foreign  # held reviewers from outside (up to the minimum)
        for i in np.flatnonzero(known & (got < required)):
            where = " or ".join(rules.country_name(c)
                                for c in np.flatnonzero(rules.applicant_countries[i]))
            a, g, q, h = int(available[i]), int(got[i]), int(required[i]), int(held[i])
            besides = f" besides the {h} it has" if h else ""
            why = (f"only {_plural(a, 'eligible reviewer')} outside {where} for proposal {i}{besides}"
                   if a < q else
                   f"proposal {i} has {g + h} of {q + h} reviewers from outside {where}: the other "
                   f"{a - g} eligible ones are needed by other proposals or other rules")
            found.append(RuleShortfall(int(i), "min_foreign", q + h, g + h, a, why))
    if rules.min_per_stage is not None and np.any(rules.min_per_stage > 0):
        k = rules.min_per_stage.astype(np.int64)
        left = stages[:, :-1]  # per proposal, what the held reviewers leave of each minimum
        needed = left.sum(axis=1)
        for i in np.flatnonzero((wanted > 0) & (wanted < needed)):
            more = f"still need {needed[i]}" if needed[i] < k.sum() else f"add up to {needed[i]}"
            found.append(RuleShortfall(  # reached: what is assigned, held reviewers counted as places met
                int(i), "min_per_stage", int(k.sum()), int(assigned[i] + k.sum() - needed[i]), 0,
                f"proposal {i} wants {_plural(int(wanted[i]), 'reviewer')} but the career-stage "
                f"minimums {more}"))
        stage_all, stage_sel = rules.stage[r_all], rules.stage[r_sel]
        for s in np.flatnonzero(k > 0):
            available = np.bincount(p_all[stage_all == s], minlength=n_p)
            got = np.bincount(p_sel[stage_sel == s], minlength=n_p)
            short = (wanted >= needed) & (got < left[:, s])
            for i in np.flatnonzero(short):
                a, g, q, name = int(available[i]), int(got[i]), int(left[i, s]), rules.stage_name(s)
                h = int(k[s] - q)  # held reviewers of that stage (up to the minimum)
                besides = f", {h} already on its panel" if h else ""
                why = (f"only {_plural(a, 'eligible reviewer')} in career stage {name} for "
                       f"proposal {i} ({k[s]} wanted{besides})" if a < q else
                       f"proposal {i} has {g + h} of {k[s]} reviewers in career stage {name}: the other "
                       f"{a - g} eligible ones are needed by other proposals or other rules")
                found.append(RuleShortfall(int(i), "min_per_stage", int(k[s]), g + h, a, why))
    for rule, key, limit, what in (
            ("max_per_institution", rules.institution, rules.max_per_institution,
             ("institution", "institutions")),
            ("max_per_country", rules.country, rules.max_per_country, ("country", "countries"))):
        if limit is None:
            continue
        # The most places the cap leaves each proposal if every eligible reviewer were free
        # (less what its held reviewers take of each group).
        g = key[r_all]
        width = int(key.max()) + 1 if len(key) else 1
        counts = np.bincount(p_all[g >= 0] * width + g[g >= 0], minlength=n_p * width)
        cells = np.flatnonzero(counts)
        left = np.maximum(limit - panels.held_in_cap(rules, rule, cells // width, cells % width), 0)
        reach = np.bincount(cells // width, weights=np.minimum(counts[cells], left), minlength=n_p)
        reach += np.bincount(p_all[g < 0], minlength=n_p)
        groups = np.bincount(cells // width, minlength=n_p)
        holding = np.bincount(panels.held_pairs(rules)[0], minlength=n_p) > 0
        for i in np.flatnonzero((assigned < wanted) & (reach < wanted)):
            counting, places = (", counting the reviewers it has", "open places") if holding[i] else ("", "places")
            found.append(RuleShortfall(
                int(i), rule, int(wanted[i]), int(assigned[i]), int(reach[i]),
                f"proposal {i}'s eligible reviewers come from {_plural(int(groups[i]), *what)} "
                f"(at most {limit} each{counting}): at most {int(reach[i])} of its "
                f"{int(wanted[i])} {places} can be filled"))
    return found
