"""Solvers against independent references: an LP of the lexicographic objective (SciPy HiGHS) and,
on tiny instances, exhaustive search. Pure library tests: no database."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import linprog

from bench.instances import MIDL_PLACES, midl_dir
from bench.instances import midl as bench_midl
from referee.matching.problem import Problem, make_solution
from referee.matching.solvers import ALGORITHMS, hungarian, network, solve

EXACT = ("minmax", "hungarian")


# --- references ------------------------------------------------------------------------------

def lex_lp(pr: Problem, cap: Fraction = Fraction(1)) -> tuple[float, float, float]:
    """(most filled slots, largest Σ min(load, lower), largest Σ score) by three LPs, each pair at
    most `cap` (1: the assignment polytope; less: the randomized solver's probability cap)."""
    n_e, n_p, n_r = pr.n_pairs, pr.n_proposals, pr.n_reviewers
    if n_e == 0:
        return 0.0, 0.0, 0.0
    e = np.arange(n_e)
    by_p = sparse.csr_matrix((np.ones(n_e), (pr.proposal_idx, e)), shape=(n_p, n_e))
    by_r = sparse.csr_matrix((np.ones(n_e), (pr.reviewer_idx, e)), shape=(n_r, n_e))
    # Variables [x (pairs), y (reviewers)], y_r <= lower_r and y_r <= load_r.
    a_ub = sparse.vstack([sparse.hstack([by_p, sparse.csr_matrix((n_p, n_r))]),
                          sparse.hstack([by_r, sparse.csr_matrix((n_r, n_r))]),
                          sparse.hstack([-by_r, sparse.identity(n_r)])]).tocsr()
    b_ub = np.r_[pr.demand, pr.capacity, np.zeros(n_r)].astype(float)
    bounds = np.c_[np.zeros(n_e + n_r), np.r_[np.full(n_e, float(cap)), pr.lower]]
    x_part, y_part = np.r_[np.ones(n_e), np.zeros(n_r)], np.r_[np.zeros(n_e), np.ones(n_r)]
    values, a_eq, b_eq = [], [], []
    for objective in (x_part, y_part, np.r_[pr.score, np.zeros(n_r)]):
        res = linprog(-objective, A_ub=a_ub, b_ub=b_ub, A_eq=np.array(a_eq) if a_eq else None,
                      b_eq=b_eq or None, bounds=bounds, method="highs")
        assert res.status == 0, res.message
        values.append(-res.fun)
        a_eq.append(objective)
        b_eq.append(round(-res.fun * cap.denominator) / cap.denominator)  # levels (1)-(2): multiples of 1/D
    return tuple(values)


def exhaustive(pr: Problem) -> tuple[tuple, float, float, float]:
    """(levels, best floor, best floor over proposals that can get a pair, best total at that
    floor) over every valid assignment. fairflow optimises the second floor: a proposal that
    cannot get any pair has a fixed total and would otherwise make every assignment equally fair
    (the first floor, the contract's, is maximised all the same)."""
    best = None
    wanted = pr.demand > 0
    can_get = np.zeros(pr.n_proposals, dtype=bool)
    can_get[pr.proposal_idx[pr.capacity[pr.reviewer_idx] > 0]] = True
    can_get &= wanted
    for k in range(pr.n_pairs + 1):
        for edges in itertools.combinations(range(pr.n_pairs), k):
            edges = np.array(edges, dtype=np.int64)
            assigned = np.bincount(pr.proposal_idx[edges], minlength=pr.n_proposals)
            load = np.bincount(pr.reviewer_idx[edges], minlength=pr.n_reviewers)
            if np.any(assigned > pr.demand) or np.any(load > pr.capacity):
                continue
            totals = pr.existing + np.bincount(pr.proposal_idx[edges], weights=pr.affinity[edges],
                                               minlength=pr.n_proposals)
            floor = totals[wanted].min() if wanted.any() else 0.0
            fair_floor = totals[can_get].min() if can_get.any() else 0.0
            key = (k, int(np.minimum(load, pr.lower).sum()), round(fair_floor, 9),
                   round(pr.score[edges].sum(), 9), floor)
            best = key if best is None or key[:4] > best[:4] else best
    return best[:2], best[4], best[2], best[3]


def assert_valid(pr: Problem, sol) -> None:
    edges = sol.edges
    assert len(np.unique(edges)) == len(edges)
    assert np.all((edges >= 0) & (edges < pr.n_pairs))  # candidate pairs only
    assigned = np.bincount(pr.proposal_idx[edges], minlength=pr.n_proposals)
    load = np.bincount(pr.reviewer_idx[edges], minlength=pr.n_reviewers)
    assert np.all(assigned <= pr.demand) and np.all(load <= pr.capacity)
    np.testing.assert_array_equal(sol.assigned, assigned)
    np.testing.assert_array_equal(sol.load, load)
    assert sol.total_score == pytest.approx(pr.score[edges].sum(), abs=1e-9)
    assert sol.total_affinity == pytest.approx(pr.affinity[edges].sum(), abs=1e-9)
    short = {s.proposal: s for s in sol.shortfalls}
    assert set(short) == set(np.flatnonzero(assigned < pr.demand))
    degree = np.bincount(pr.proposal_idx, minlength=pr.n_proposals)
    for i, s in short.items():
        assert (s.required, s.assigned) == (pr.demand[i], assigned[i])
        assert s.reason == ("no_eligible" if degree[i] == 0 else "not_enough")
    assert {u.reviewer for u in sol.unmet_lower} == set(np.flatnonzero(load < pr.lower))


def levels(pr: Problem, sol) -> tuple[int, int]:
    return int(sol.assigned.sum()), int(np.minimum(sol.load, pr.lower).sum())


# --- generators ------------------------------------------------------------------------------

@st.composite
def problems(draw, max_side=6, max_pairs=None):
    n_p, n_r = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((n_p, n_r)) < draw(st.sampled_from([0.3, 0.6, 1.0]))
    if max_pairs is not None and mask.sum() > max_pairs:
        drop = rng.permutation(np.flatnonzero(mask))[max_pairs:]
        mask[np.unravel_index(drop, mask.shape)] = False
    affinity = np.round(rng.random((n_p, n_r)), 2)
    bids = rng.choice([-0.5, 0.5, 1], (n_p, n_r))
    score = affinity + np.where(rng.random((n_p, n_r)) < 0.3, bids, 0)
    capacity = rng.integers(0, 4, n_r)
    return Problem.from_dense(np.where(mask, score, np.nan), affinity=affinity,
                              demand=rng.integers(0, 4, n_p), capacity=capacity,
                              lower=np.minimum(capacity, rng.integers(0, 3, n_r)),
                              existing=np.round(rng.random(n_p) * rng.integers(0, 2, n_p), 2))


def clustered(n_p, n_r, *, demand, capacity, lower=0, scarce=0.6, seed=0) -> Problem:
    """Topic-clustered affinities, big enough for the solvers to prune and price; ``scarce``
    skews reviewers towards few topics so that the first subsets fall short."""
    rng = np.random.default_rng(seed)
    topics = 6
    t_p = rng.integers(0, topics, n_p)
    t_r = np.where(rng.random(n_r) < scarce, 0, rng.integers(0, topics, n_r))
    aff = np.where(t_p[:, None] == t_r[None, :], 0.7, 0.1) + 0.3 * rng.random((n_p, n_r))
    aff[rng.random((n_p, n_r)) < 0.02] = np.nan  # conflicts
    return Problem.from_dense(aff, demand=np.full(n_p, demand), capacity=np.full(n_r, capacity),
                              lower=np.full(n_r, lower))


def midl(lower: bool) -> Problem:
    if midl_dir() is None:
        pytest.skip(f"MIDL data not found in any of {[p for p in MIDL_PLACES if p]}")
    return bench_midl(lower).problem


# --- properties ------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_exact_solvers_are_valid_and_reach_the_lp_optimum(pr):
    reference = lex_lp(pr)
    for algorithm in EXACT:
        sol = solve(pr, algorithm)
        assert_valid(pr, sol)
        assert levels(pr, sol) == (round(reference[0]), round(reference[1]))
        assert sol.total_score == pytest.approx(reference[2], rel=1e-9, abs=1e-9)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_side=4, max_pairs=9))
def test_fairflow_reaches_the_exhaustive_best_floor(pr):
    best_levels, best_floor, _, best_total = exhaustive(pr)
    sol = solve(pr, "fairflow")
    assert_valid(pr, sol)
    assert levels(pr, sol) == best_levels == levels(pr, solve(pr, "minmax"))
    if (pr.demand > 0).any():
        assert sol.min_proposal_score == pytest.approx(best_floor, abs=1e-6)
        assert sol.total_score == pytest.approx(best_total, abs=1e-6)


@pytest.fixture
def tiny_subsets(monkeypatch):
    """Start every solve from a deliberately poor subset (one pair per proposal and reviewer),
    so that cut pricing (feasibility) and reduced-cost pricing (optimality) must do the work."""
    monkeypatch.setattr(network, "WHOLE_FACTOR", 0)
    monkeypatch.setattr(network, "MARGINS", (-2, -6))
    monkeypatch.setattr(hungarian, "SLOT_MARGINS", (-2, -6))
    monkeypatch.setattr(network, "CUT_PAIRS", 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(problems(max_side=8))
def test_exact_solvers_reach_the_lp_optimum_from_poor_subsets(tiny_subsets, pr):
    reference = lex_lp(pr)
    for algorithm in EXACT:
        sol = solve(pr, algorithm)
        assert_valid(pr, sol)
        assert levels(pr, sol) == (round(reference[0]), round(reference[1]))
        assert sol.total_score == pytest.approx(reference[2], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("scarce,lower", [(0.0, 0), (0.6, 0), (0.6, 3), (0.95, 2)])
def test_pruned_and_priced_solvers_match_the_lp(tiny_subsets, scarce, lower):
    """Clustered calls whose first subsets fall short of coverage, lower loads and score."""
    pr = clustered(60, 30, demand=3, capacity=7, lower=lower, scarce=scarce, seed=7)
    reference = lex_lp(pr)
    for algorithm in EXACT:
        sol = solve(pr, algorithm)
        assert_valid(pr, sol)
        assert levels(pr, sol) == (round(reference[0]), round(reference[1]))
        assert sol.total_score == pytest.approx(reference[2], rel=1e-9)
    fair = solve(pr, "fairflow")
    assert_valid(pr, fair)
    minmax = solve(pr, "minmax")
    assert levels(pr, fair) == levels(pr, minmax)
    assert fair.min_proposal_score >= minmax.min_proposal_score - 1e-9


def test_rounding_to_integer_costs_loses_nothing_measurable():
    """Scores 1000 + k·1e-9 (k integer): only the 12th significant digit tells pairs apart, too
    fine for a float LP, yet the solvers' choice must be optimal for the integer weights k."""
    rng = np.random.default_rng(3)
    k = rng.integers(0, 1000, (40, 30))
    pr = Problem.from_dense(1e3 + k * 1e-9, demand=np.full(40, 2), capacity=np.full(30, 3))
    by_k = Problem.from_dense(k.astype(float), demand=np.full(40, 2), capacity=np.full(30, 3))
    best = lex_lp(by_k)[2]
    for algorithm in EXACT:
        assert by_k.score[solve(pr, algorithm).edges].sum() == best


# --- MIDL published rows ---------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", EXACT)
def test_midl_reproduces_the_published_totals(algorithm):
    upper = solve(midl(False), algorithm)
    assert round(upper.total_score, 2) == 201.88
    assert round(upper.min_proposal_score, 2) == 0.90
    bounded = solve(midl(True), algorithm)
    assert round(bounded.total_score, 2) == 150.04
    assert np.all(bounded.load >= 2) and np.all(bounded.load <= 4)


def test_midl_fairflow_reaches_the_lp_floor_at_almost_no_cost():
    sol = solve(midl(False), "fairflow")
    assert round(sol.min_proposal_score, 3) >= 0.945  # LP bound 0.94484
    assert sol.total_score >= 0.999 * 201.88
    assert sol.assigned.min() == 3 and sol.load.max() <= 4


# --- infeasible instances, determinism, input errors -----------------------------------------

@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_infeasible_instance_gets_the_best_partial_assignment(algorithm):
    score = np.array([[0.9, 0.8, np.nan],
                      [0.7, np.nan, np.nan],
                      [np.nan, np.nan, np.nan],   # no candidate at all
                      [0.2, 0.3, 0.4]])
    pr = Problem.from_dense(score, demand=[2, 2, 1, 1], capacity=[1, 2, 1], lower=[1, 2, 1])
    sol = solve(pr, algorithm)
    assert_valid(pr, sol)
    filled, on_lower, total = lex_lp(pr)
    assert levels(pr, sol) == (filled, on_lower) == (3, 3)  # reviewer 0 is wanted by all
    reasons = {s.proposal: s.reason for s in sol.shortfalls}
    assert reasons.pop(2) == "no_eligible" and set(reasons.values()) == {"not_enough"}
    if algorithm != "fairflow":
        assert sol.total_score == pytest.approx(total)


def test_unmet_lower_loads_are_reported():
    pr = Problem.from_dense(np.array([[0.5, 0.4], [0.3, np.nan]]), demand=[1, 1],
                            capacity=[2, 2], lower=[2, 2])
    sol = solve(pr, "minmax")
    # Both ways of covering both proposals meet one lower bound; the better score loads r0 twice.
    assert [(u.reviewer, u.required, u.assigned) for u in sol.unmet_lower] == [(1, 2, 0)]


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_identical_input_gives_identical_output(algorithm):
    first = solve(clustered(60, 30, demand=3, capacity=7, lower=2, seed=4), algorithm)
    again = solve(clustered(60, 30, demand=3, capacity=7, lower=2, seed=4), algorithm)
    np.testing.assert_array_equal(first.edges, again.edges)
    assert first.total_score == again.total_score


def test_progress_is_reported():
    calls = []
    solve(clustered(200, 100, demand=3, capacity=7, seed=1), "minmax",
          progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert all(0 < done <= total for done, total in calls)


def test_empty_and_trivial_problems():
    for pr in (Problem.from_dense(np.zeros((0, 3)), demand=[], capacity=[1, 1, 1]),
               Problem.from_dense(np.full((2, 2), np.nan), demand=[1, 0], capacity=[1, 1]),
               Problem.from_dense(np.ones((2, 2)), demand=[0, 0], capacity=[0, 1])):
        for algorithm in ALGORITHMS:
            sol = solve(pr, algorithm)
            assert_valid(pr, sol)
            assert len(sol.edges) == 0


def test_min_proposal_score_is_nan_without_demand():
    sol = solve(Problem.from_dense(np.ones((1, 1)), demand=[0], capacity=[1]))
    assert np.isnan(sol.min_proposal_score)


def _pr(**changes):
    fields = dict(n_proposals=2, n_reviewers=2, proposal_idx=np.array([0, 1]),
                  reviewer_idx=np.array([1, 0]), score=np.array([0.5, 0.2]),
                  affinity=np.array([0.5, 0.2]), demand=np.array([1, 1]),
                  capacity=np.array([1, 1]), lower=np.array([0, 0]))
    fields.update(changes)
    return Problem(**fields)


@pytest.mark.parametrize("changes", [
    {"proposal_idx": np.array([0, 2])},
    {"reviewer_idx": np.array([-1, 0])},
    {"score": np.array([0.5])},
    {"score": np.array([np.nan, 0.2])},
    {"affinity": np.array([np.inf, 0.2])},
    {"demand": np.array([-1, 1])},
    {"capacity": np.array([1])},
    {"lower": np.array([2, 0])},
    {"proposal_idx": np.array([0.0, 1.0])},
    {"proposal_idx": np.array([0, 0]), "reviewer_idx": np.array([1, 1])},
    {"existing": np.array([0.0])},
    {"n_proposals": -1},
])
def test_bad_input_raises_value_error(changes):
    with pytest.raises(ValueError):
        solve(_pr(**changes))


def test_unknown_algorithm_raises_value_error():
    with pytest.raises(ValueError, match="unknown algorithm"):
        solve(_pr(), "greedy")


def test_from_dense_reads_nan_and_mask_as_ineligible():
    score = np.array([[0.1, np.nan], [0.3, 0.4]])
    pr = Problem.from_dense(score, demand=[1, 1], capacity=[1, 1],
                            eligible=np.array([[True, True], [False, True]]))
    assert list(zip(pr.proposal_idx, pr.reviewer_idx, strict=True)) == [(0, 0), (1, 1)]
    np.testing.assert_array_equal(pr.affinity, [0.1, 0.4])
    with pytest.raises(ValueError):
        Problem.from_dense(score, demand=[1, 1], capacity=[1, 1], eligible=np.ones((3, 3)))


def test_make_solution_reports_from_float_scores():
    pr = _pr(existing=np.array([1.0, 0.0]))
    sol = make_solution(pr, np.array([1, 0]), "minmax")
    np.testing.assert_array_equal(sol.edges, [0, 1])
    np.testing.assert_allclose(sol.proposal_score, [1.5, 0.2])
    assert sol.min_proposal_score == pytest.approx(0.2)
