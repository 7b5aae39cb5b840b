"""The randomized solver (issue 14): its probabilities are the LP optimum under the cap (against
SciPy's HiGHS on random instances), its draws are valid assignments whose pair frequencies match
those probabilities, and a seed reproduces a draw. Pure library tests: no database."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.instances import clustered
from referee.matching.problem import Problem
from referee.matching.randomized import cap_fraction, draw, solve_fractional, solve_randomized
from referee.matching.solvers import solve
from tests.matching.test_solvers import assert_valid, lex_lp, problems

CAPS = (1.0, 0.5, 1 / 3, 0.25, 0.7)


@pytest.mark.parametrize(("q", "fraction"), [(1.0, Fraction(1)), (0.5, Fraction(1, 2)), (1 / 3, Fraction(1, 3)),
                                             (0.7, Fraction(7, 10)), (0.333, Fraction(33, 100)),
                                             (0.3349, Fraction(1, 3)), (0.01, Fraction(1, 100))])
def test_the_cap_is_the_largest_fraction_not_above_it_with_a_small_denominator(q, fraction):
    assert cap_fraction(q) == fraction and cap_fraction(q) <= q + 1e-12  # 1/3 as a float is taken as 1/3


@pytest.mark.parametrize("q", [0.0, -0.5, 1.5, 0.005])
def test_a_cap_outside_its_range_is_refused(q):
    with pytest.raises(ValueError, match="probability cap"):
        cap_fraction(q)


@given(problems(max_side=7), st.sampled_from(CAPS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_probabilities_are_the_lexicographic_lp_optimum_under_the_cap(pr, q):
    fractional = solve_fractional(pr, q)
    cap = cap_fraction(q)
    x = fractional.probability
    assert np.all(x >= 0) and np.all(x <= float(cap) + 1e-12)
    filled, on_lower, score = lex_lp(pr, cap)
    assert x.sum() == pytest.approx(filled, abs=1e-6)
    load = np.bincount(pr.reviewer_idx, weights=x, minlength=pr.n_reviewers)
    assert np.minimum(load, pr.lower).sum() == pytest.approx(on_lower, abs=1e-6)
    assert fractional.expected_total_score == pytest.approx(score, abs=1e-6)
    assert np.all(np.bincount(pr.proposal_idx, weights=x, minlength=pr.n_proposals) <= pr.demand + 1e-9)
    assert np.all(load <= pr.capacity + 1e-9)


@given(problems(max_side=7), st.sampled_from(CAPS), st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_draw_is_a_valid_assignment_rounding_each_count_and_load_down_or_up(pr, q, seed):
    solution, fractional = solve_randomized(pr, q, seed)
    assert_valid(pr, solution)
    x = fractional.probability
    assert set(solution.edges) >= set(np.flatnonzero(x == 1))  # certain pairs are always drawn
    assert not set(solution.edges) & set(np.flatnonzero(x == 0))
    for index, size, drawn in ((pr.proposal_idx, pr.n_proposals, solution.assigned),
                               (pr.reviewer_idx, pr.n_reviewers, solution.load)):
        expected = np.bincount(index, weights=x, minlength=size)
        assert np.all(drawn >= np.floor(expected + 1e-9)) and np.all(drawn <= np.ceil(expected - 1e-9))


def test_two_thousand_draws_give_each_pair_its_probability_within_four_standard_errors():
    pr = clustered(12, 9, demand=2, max_load=4, min_load=1, seed=11).problem
    fractional = solve_fractional(pr, 0.5)
    x = fractional.probability
    assert 0 < ((x > 0) & (x < 1)).sum()  # the cap makes some pairs uncertain
    runs = 2000
    counts = np.zeros(pr.n_pairs)
    for seed in range(runs):
        edges = draw(fractional, seed)
        counts[edges] += 1
    frequency = counts / runs
    standard_error = np.sqrt(x * (1 - x) / runs)
    assert np.all(np.abs(frequency - x) <= 4 * standard_error + 1e-12)


def test_a_seed_reproduces_its_draw_and_other_seeds_draw_differently():
    pr = clustered(60, 30, demand=3, max_load=7, seed=5).problem
    fractional = solve_fractional(pr, 0.5)
    first = draw(fractional, 42)
    np.testing.assert_array_equal(first, draw(fractional, 42))
    assert any(not np.array_equal(first, draw(fractional, seed)) for seed in range(5))


def test_without_a_cap_the_expected_total_is_the_deterministic_optimum():
    pr = clustered(60, 30, demand=3, max_load=7, min_load=2, seed=8).problem
    solution, fractional = solve_randomized(pr, 1.0, seed=0)
    deterministic = solve(pr, "minmax")
    assert fractional.expected_total_score == pytest.approx(deterministic.total_score, abs=1e-6)
    assert solution.total_score == pytest.approx(deterministic.total_score, abs=1e-6)


def test_the_cap_costs_total_score_and_spreads_each_proposal_over_more_reviewers():
    pr = clustered(60, 30, demand=2, max_load=8, seed=9).problem
    uncapped, capped = solve_fractional(pr, 1.0), solve_fractional(pr, 0.5)
    assert capped.expected_total_score < uncapped.expected_total_score
    assert capped.probability.max() == 0.5
    assert np.count_nonzero(capped.flow) > np.count_nonzero(uncapped.flow)


def test_an_empty_problem_draws_nothing():
    pr = Problem.from_dense(np.full((2, 2), np.nan), demand=[1, 1], capacity=[1, 1])
    solution, fractional = solve_randomized(pr, 0.5, seed=1)
    assert len(solution.edges) == 0 and fractional.expected_total_score == 0
