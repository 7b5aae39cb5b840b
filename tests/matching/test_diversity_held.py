"""Diversity rules over whole panels (issue 14): reviewers a proposal already holds count toward
every cap and minimum of a top-up solve (DiversityRules.held), against the independent MILP of
test_diversity read with them; the shortfalls say so in words; and the panel checks a preview
edit and the console's summary use (diversity_panels.breaches, meets). Pure: no database."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referee.matching.diversity import DiversityRules
from referee.matching.diversity_panels import Breach, breaches, meets
from referee.matching.problem import Problem
from referee.matching.randomized import cap_fraction, draw, solve_fractional
from referee.matching.solvers import ALGORITHMS, solve

from .test_diversity import (
    assert_reach_the_reference,
    assert_the_lp_optimum,
    honours,
    laminar_ruled_problems,
    reference,
    ruled_problems,
)


@st.composite
def with_held(draw, cases):
    """A ruled problem whose proposals already hold some reviewers, none of them a candidate
    pair (generation leaves held pairs out of the candidates)."""
    pr, rules = draw(cases)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    candidate = set(zip(pr.proposal_idx.tolist(), pr.reviewer_idx.tolist(), strict=True))
    free = [(i, j) for i in range(pr.n_proposals) for j in range(pr.n_reviewers) if (i, j) not in candidate]
    chosen = [pair for pair in free if rng.random() < 0.4]
    held = np.array(chosen, dtype=np.int64).reshape(-1, 2)
    return pr, DiversityRules(**{**rules.__dict__, "held": held})


def combined_caps_hold(pr: Problem, rules: DiversityRules, edges) -> bool:
    """Held and new reviewers together keep every cap the held ones alone kept."""
    p = np.r_[rules.held[:, 0], pr.proposal_idx[edges]]
    r = np.r_[rules.held[:, 1], pr.reviewer_idx[edges]]
    for key, limit in ((rules.institution, rules.max_per_institution), (rules.country, rules.max_per_country)):
        if limit is None:
            continue
        cells, counts = np.unique(np.c_[p, key[r]][key[r] >= 0], axis=0, return_counts=True)
        held_cells, held_counts = np.unique(np.c_[rules.held[:, 0], key[rules.held[:, 1]]][key[rules.held[:, 1]] >= 0],
                                            axis=0, return_counts=True)
        before = {tuple(c): n for c, n in zip(held_cells.tolist(), held_counts, strict=True)}
        if any(n > max(limit, before.get(tuple(c), 0)) for c, n in zip(cells.tolist(), counts, strict=True)):
            return False
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_held(ruled_problems()))
def test_a_top_up_reaches_the_milp_optimum_with_held_reviewers_counted(case):
    pr, rules = case
    assert_reach_the_reference(pr, rules, ALGORITHMS)
    for algorithm in ALGORITHMS:
        assert combined_caps_hold(pr, rules, solve(pr, algorithm, rules=rules).edges)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_held(laminar_ruled_problems()), st.sampled_from([0.5, 0.7]))
def test_randomized_top_up_counts_held_reviewers(case, q):
    pr, rules = case
    fractional = solve_fractional(pr, q, rules=rules)
    *_, best = reference(pr, rules, cap=float(cap_fraction(q)))
    assert_the_lp_optimum(fractional.expected_total_score, best)
    for seed in range(3):
        drawn = draw(fractional, seed)
        assert honours(pr, rules, drawn) and combined_caps_hold(pr, rules, drawn)


def geography():
    """Reviewers 0, 1 at institution 0 in Germany (0), reviewer 2 at institution 1 in France (1),
    reviewer 3 at institution 2 in Germany; the applicants are German."""
    return dict(institution=np.array([0, 0, 1, 2]), country=np.array([0, 0, 1, 0]),
                applicant_countries=np.array([[True, False]]), country_names=("Germany", "France"))


def test_held_reviewers_take_their_institution_and_foreign_places_first():
    # The proposal holds reviewer 0 (institution 0, Germany) and wants one more; reviewer 1 (the
    # best, same institution) is out under "1 per institution"; reviewer 3 (Germany, another
    # institution) is next. With a held reviewer from France, "1 from abroad" asks nothing more.
    pr = Problem.from_dense(np.array([[np.nan, 0.9, 0.5, 0.7]]), demand=[1], capacity=[1, 1, 1, 1])
    rules = DiversityRules(**geography(), max_per_institution=1, held=np.array([[0, 0]]))
    assert chosen(pr, rules) == [3]
    assert chosen(pr, DiversityRules(**geography(), max_per_institution=1)) == [1]  # without the held one
    assert chosen(pr, DiversityRules(**geography(), min_foreign=1, held=np.array([[0, 0]]))) == [2]
    pr = Problem.from_dense(np.array([[0.9, 0.8, np.nan, 0.7]]), demand=[1], capacity=[1, 1, 1, 1])
    held_abroad = DiversityRules(**geography(), min_foreign=1, held=np.array([[0, 2]]))
    assert chosen(pr, held_abroad) == [0]
    assert solve(pr, "minmax", rules=held_abroad).rule_shortfalls == []


def chosen(pr: Problem, rules: DiversityRules) -> list[int]:
    """The reviewers every algorithm gives (the same here)."""
    found = {tuple(pr.reviewer_idx[solve(pr, algorithm, rules=rules).edges].tolist()) for algorithm in ALGORITHMS}
    assert len(found) == 1
    return list(found.pop())


def test_shortfalls_count_the_held_reviewers_in_words():
    pr = Problem.from_dense(np.array([[0.9, 0.8, np.nan, np.nan]]), demand=[2], capacity=[1, 1, 1, 1])
    rules = DiversityRules(**geography(), min_foreign=2, held=np.array([[0, 2]]))
    words = [s.message for s in solve(pr, "minmax", rules=rules).rule_shortfalls]
    assert words == ["only 0 eligible reviewers outside Germany for proposal 0 besides the 1 it has"]
    capped = DiversityRules(**geography(), max_per_institution=1, held=np.array([[0, 2], [0, 3]]))
    words = [s.message for s in solve(pr, "minmax", rules=capped).rule_shortfalls]
    assert words == ["proposal 0's eligible reviewers come from 1 institution (at most 1 each, counting the "
                     "reviewers it has): at most 1 of its 2 open places can be filled"]
    staged = DiversityRules(stage=np.array([0, 0, 1, 1]), min_per_stage=np.array([2, 1]),
                            stage_names=("postdoc", "senior"), held=np.array([[0, 2]]))
    pr3 = Problem.from_dense(np.array([[0.9, np.nan, np.nan, 0.8]]), demand=[1], capacity=[1, 1, 1, 1])
    words = [s.message for s in solve(pr3, "minmax", rules=staged).rule_shortfalls]
    assert words == ["proposal 0 wants 1 reviewer but the career-stage minimums still need 2"]


def test_held_pairs_must_fit_the_problem():
    pr = Problem.from_dense(np.array([[0.9, 0.8, 0.1, 0.2]]), demand=[1], capacity=[1, 1, 1, 1])
    with pytest.raises(ValueError, match="held must hold"):
        solve(pr, "minmax", rules=DiversityRules(**geography(), max_per_institution=1, held=np.array([[1, 0]])))


def test_breaches_name_the_rule_the_group_and_the_reviewers():
    rules = DiversityRules(**geography(), stage=np.array([0, 1, 1, 0]), max_per_institution=1, max_per_country=2,
                           min_foreign=1, min_per_stage=np.array([0, 1]))
    panel = (np.array([0, 0]), np.array([0, 2]))  # institution 0 in Germany (stage 0); France (stage 1)
    # Reviewer 2 swapped for 1: a second one from institution 0, and none from abroad; reviewer 1
    # is in stage 1 too, so that minimum still holds.
    after = (np.array([0, 0]), np.array([0, 1]))
    found = breaches(rules, panel, after, 1)
    assert found == [Breach(0, "max_per_institution", 1, 2, [0, 1], group=0),
                     Breach(0, "min_foreign", 1, 0, [2])]
    added = (np.array([0, 0, 0, 0]), np.array([0, 2, 3, 1]))  # Germany thrice
    assert [(b.rule, b.group, b.reviewers) for b in breaches(rules, panel, added, 1)] == [
        ("max_per_institution", 0, [0, 1]), ("max_per_country", 0, [0, 3, 1])]
    # Already over a cap before the edit, and the edit does not add to that group: no breach.
    assert breaches(rules, added, (np.array([0, 0, 0]), np.array([0, 2, 1])), 1) == []
    met = meets(rules, *added, 1)
    assert {rule: met[rule].tolist() for rule in met} == {
        "max_per_institution": [0.0], "max_per_country": [0.0], "min_foreign": [1.0], "min_per_stage": [1.0]}
