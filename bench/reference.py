"""Exact reference for the bench: the LP optimum of the lexicographic objective (SciPy HiGHS).

The b-matching polytope with the level constraints below is a network-flow polytope, so the LP
optimum is the integer optimum. Levels (1)–(2) are LPs of their own, solved only when the
solver's valid assignment does not already reach the trivial bounds Σd and ΣL (reaching a bound
proves it optimal).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from referee.matching.problem import Problem


def _matrices(problem: Problem):
    n_e, n_p, n_r = problem.n_pairs, problem.n_proposals, problem.n_reviewers
    e = np.arange(n_e)
    by_p = sparse.csr_matrix((np.ones(n_e), (problem.proposal_idx, e)), shape=(n_p, n_e))
    by_r = sparse.csr_matrix((np.ones(n_e), (problem.reviewer_idx, e)), shape=(n_r, n_e))
    return by_p, by_r


def _lp(c, a_ub, b_ub, a_eq=None, b_eq=None, upper=None, method="highs"):
    bounds = np.c_[np.zeros(len(c)), upper]
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=method)
    if res.status != 0:
        raise RuntimeError(f"reference LP failed: {res.message}")
    return -res.fun


def lexicographic_optimum(problem: Problem, filled: int | None = None,
                          on_lower: int | None = None, method: str = "highs") -> dict:
    """{'filled', 'on_lower', 'score'}: the three lexicographic optima. ``filled``/``on_lower``
    may be passed when known to equal the bounds Σd / ΣL (they are then not re-derived)."""
    by_p, by_r = _matrices(problem)
    n_e, n_r = problem.n_pairs, problem.n_reviewers
    d, cap, low = (problem.demand.astype(float), problem.capacity.astype(float),
                   problem.lower.astype(float))
    ones = np.ones(n_e)
    base_ub, base_b = sparse.vstack([by_p, by_r]), np.r_[d, cap]
    if filled is None:
        filled = round(_lp(-ones, base_ub, base_b, upper=ones, method=method))
    # Variables [x, y]: y_r ≤ L_r is the part of r's load that counts towards its lower bound.
    zeros_y = sparse.csr_matrix((problem.n_proposals + n_r, n_r))
    a_ub = sparse.vstack([
        sparse.hstack([base_ub, zeros_y]),
        sparse.hstack([-by_r, sparse.identity(n_r)]),  # y_r - load_r <= 0
    ]).tocsr()
    b_ub = np.r_[base_b, np.zeros(n_r)]
    cover = sparse.csr_matrix(np.r_[ones, np.zeros(n_r)][None, :])
    upper = np.r_[ones, low]
    if on_lower is None:
        on_lower = round(_lp(np.r_[np.zeros(n_e), -np.ones(n_r)], a_ub, b_ub, cover, [filled],
                             upper, method))
    a_ub = sparse.vstack([a_ub, sparse.csr_matrix(np.r_[np.zeros(n_e), -np.ones(n_r)][None, :])])
    b_ub = np.r_[b_ub, -on_lower]
    score = _lp(np.r_[-problem.score, np.zeros(n_r)], a_ub, b_ub, cover, [filled], upper, method)
    return {"filled": filled, "on_lower": on_lower, "score": score}
