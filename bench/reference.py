"""Exact reference for the bench: the LP optimum of the lexicographic objective (SciPy HiGHS).

The b-matching polytope with the level constraints below is a network-flow polytope, so the LP
optimum is the integer optimum. The three levels are solved in turn — (1) most filled slots,
(2) most load on reviewers' lower bounds with (1) fixed, (3) largest total score with (1) and (2)
fixed — each as an LP over all candidate pairs, by column generation: HiGHS solves it on a working
set of pairs, the row duals price every pair left out, the pairs that would improve the objective
join the set, and the loop ends when none would. That is LP duality's optimality certificate for
the full LP, so the value is exact for every pair, yet HiGHS never holds the millions of pairs of
the big instances (a direct LP over 4.4 M pairs ran for more than 13 minutes in 4.3 GB).

It shares no code with the solvers: only the Problem arrays are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from referee.matching.problem import Problem

START_PER_PROPOSAL = 10  # each proposal's d_p + 10 best pairs start the working set ...
START_PER_REVIEWER = 5  # ... with each reviewer's cap_r + 5 best
ADD_PER_PROPOSAL = 10  # per pricing round, each proposal's most improving left-out pairs
TOLERANCE = 1e-7  # HiGHS's dual feasibility tolerance, relative to the largest |cost|


@dataclass
class Priced:
    value: float
    working: np.ndarray  # bool[n_pairs]: the working set at the optimum
    rounds: int


def _best(groups: np.ndarray, key: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Positions of the `quota[g]` smallest keys of each group g."""
    order = np.lexsort((key, groups))
    sorted_groups = groups[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_groups, sorted_groups)
    return order[rank < quota[sorted_groups]]


def _starting_set(problem: Problem) -> np.ndarray:
    working = np.zeros(problem.n_pairs, dtype=bool)
    working[_best(problem.proposal_idx, -problem.score, problem.demand + START_PER_PROPOSAL)] = True
    working[_best(problem.reviewer_idx, -problem.score, problem.capacity + START_PER_REVIEWER)] = True
    return working


def _solve_level(problem: Problem, working: np.ndarray, level: int, filled=None, on_lower=None,
                 method="highs", pair_cap: float = 1.0) -> Priced:
    """Level 1, 2 or 3 (module docstring) by column generation from `working`."""
    n_p, n_r = problem.n_proposals, problem.n_reviewers
    p_all, r_all = problem.proposal_idx, problem.reviewer_idx
    pair_cost = {1: -np.ones(problem.n_pairs), 2: np.zeros(problem.n_pairs), 3: -problem.score}[level]
    tolerance = TOLERANCE * max(1.0, float(np.abs(pair_cost).max(initial=0)))
    working = working.copy()
    rounds = 0
    while True:
        rounds += 1
        cols = np.flatnonzero(working)
        n_s, p, r = len(cols), p_all[cols], r_all[cols]
        e = np.arange(n_s)
        # Variables [x (working pairs), y (per reviewer: load counted towards its lower bound)].
        by_p = sparse.csr_matrix((np.ones(n_s), (p, e)), shape=(n_p, n_s))
        by_r = sparse.csr_matrix((np.ones(n_s), (r, e)), shape=(n_r, n_s))
        a_ub = [sparse.hstack([by_p, sparse.csr_matrix((n_p, n_r))]),
                sparse.hstack([by_r, sparse.csr_matrix((n_r, n_r))]),
                sparse.hstack([-by_r, sparse.identity(n_r)])]  # y_r − load_r ≤ 0
        b_ub = [problem.demand, problem.capacity, np.zeros(n_r)]
        if level == 3:
            a_ub.append(sparse.csr_matrix(np.r_[np.zeros(n_s), -np.ones(n_r)][None, :]))
            b_ub.append([-on_lower])
        a_eq = b_eq = None
        if level >= 2:
            a_eq, b_eq = sparse.csr_matrix(np.r_[np.ones(n_s), np.zeros(n_r)][None, :]), [filled]
        c = np.r_[pair_cost[cols], -np.ones(n_r) if level == 2 else np.zeros(n_r)]
        bounds = np.c_[np.zeros(n_s + n_r), np.r_[np.full(n_s, pair_cap), problem.lower]]
        res = linprog(c, A_ub=sparse.vstack(a_ub).tocsr(), b_ub=np.concatenate([np.asarray(b, float) for b in b_ub]),
                      A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=method)
        if res.status != 0:
            raise RuntimeError(f"reference LP (level {level}) failed: {res.message}")
        # Reduced cost of every pair: its cost minus the duals of the rows its column enters.
        dual = res.ineqlin.marginals
        dual_p, dual_r, dual_y = dual[:n_p], dual[n_p:n_p + n_r], dual[n_p + n_r:n_p + 2 * n_r]
        dual_eq = res.eqlin.marginals[0] if level >= 2 else 0.0
        reduced = pair_cost - (dual_p[p_all] + dual_r[r_all] - dual_y[r_all] + dual_eq)
        improving = np.flatnonzero(~working & (reduced < -tolerance))
        if not len(improving):
            return Priced(-res.fun, working, rounds)
        quota = np.full(n_p, ADD_PER_PROPOSAL)
        working[improving[_best(p_all[improving], reduced[improving], quota)]] = True


def lexicographic_optimum(problem: Problem, method: str = "highs-ipm", pair_cap: Fraction = Fraction(1)) -> dict:
    """{'filled', 'on_lower', 'score', 'rounds', 'working'}: the three lexicographic optima over
    all candidate pairs, the pricing rounds they took and the final working-set size. HiGHS's
    interior point method (with crossover, so the duals are those of a vertex): its dual simplex
    spent minutes finding a first feasible flow on the 20,000 × 20,000 instance. With `pair_cap`
    k/D below 1 (the randomized solver's probability cap) every pair is bounded by it, and the
    levels are multiples of 1/D."""
    if not problem.n_pairs:
        return {"filled": 0, "on_lower": 0, "score": 0.0, "rounds": 0, "working": 0}
    cap, units = float(pair_cap), pair_cap.denominator
    first = _solve_level(problem, _starting_set(problem), 1, method=method, pair_cap=cap)
    filled = round(first.value * units) / units
    if problem.lower.any():
        second = _solve_level(problem, first.working, 2, filled=filled, method=method, pair_cap=cap)
    else:  # nothing counts towards a lower bound: level (2) is 0 whatever the assignment
        second = Priced(0.0, first.working, 0)
    on_lower = round(second.value * units) / units
    third = _solve_level(problem, second.working, 3, filled=filled, on_lower=on_lower, method=method, pair_cap=cap)
    return {"filled": filled, "on_lower": on_lower, "score": third.value,
            "rounds": first.rounds + second.rounds + third.rounds, "working": int(third.working.sum())}
