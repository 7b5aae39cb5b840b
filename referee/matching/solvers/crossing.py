"""Diversity rules that cross (career stages beside a geographic rule, or institutions spanning
countries beside a country rule): the lexicographic optimum of §5.3 as a MILP (SciPy's HiGHS).

Each laminar family of :mod:`referee.matching.diversity` keeps its tree of group arcs, now as
continuous variables w (0 ≤ w ≤ cap) with flow conservation at every group node: a pair's x leaves
the group node its arc starts from. Two trees over the same x are what no single flow can carry;
as rows they are exact. Variables are [x (pairs, binary), y (reviewers with L_r > 0, y_r ≤ L_r and
y_r ≤ load_r), w]; three solves fix the levels one after the other: most filled places F, then the
largest Σ y = M, then the largest Σ score.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ..diversity import DiversityRules, Family, RulesRefused
from ..diversity_families import families
from ..problem import Problem
from .network import active_pairs

# Largest number of candidate pairs the MILP takes on: a 300 × 150 call with every pair eligible
# (44,091) takes about a minute (docs/benchmarks.md); the bench's dense call, 4.4 million, is far
# beyond branch and bound. Each of the three solves must also end within TIME_LIMIT seconds.
MILP_PAIRS = 50_000
TIME_LIMIT = 300.0
OPTIONS = {"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT}


def one_family(problem: Problem, rules: DiversityRules, p, r, base: int, *, units: int = 1) -> Family:
    """The rules as the one laminar family a flow can carry."""
    found = families(problem, rules, p, r, base=base, units=units)
    if len(found) != 1:
        raise ValueError("these diversity rules cross (career stages beside institutions or "
                         "countries, or institutions spanning countries beside a country rule): "
                         "no single flow carries them")
    return found[0]


def group_rows(problem: Problem, rules: DiversityRules, pairs: np.ndarray):
    """(matrix, upper bounds of w, families) for the rules over ``pairs`` (positions): the matrix
    has one column per pair, then one per group arc of every family (w); its rows, all = 0, are
    flow conservation at every group node."""
    p, r = problem.proposal_idx[pairs], problem.reviewer_idx[pairs]
    built = families(problem, rules, p, r, base=problem.n_proposals)
    n_x, n_w = len(pairs), sum(len(f.tail) for f in built)
    n_groups = sum(f.n_groups for f in built)
    rows, cols, vals = [], [], []
    offset = n_x
    for f in built:
        inner = f.pair_tail >= f.base
        rows += [f.pair_tail[inner], f.head, f.tail[f.tail >= f.base]]
        cols += [np.flatnonzero(inner), offset + np.arange(len(f.tail)),
                 offset + np.flatnonzero(f.tail >= f.base)]
        vals += [-np.ones(inner.sum()), np.ones(len(f.tail)), -np.ones((f.tail >= f.base).sum())]
        offset += len(f.tail)
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows) - problem.n_proposals,
                                                       np.concatenate(cols))),
                               shape=(n_groups, n_x + n_w))
    upper = np.concatenate([f.cap for f in built]).astype(float) if built else np.zeros(0)
    return matrix, upper, built


def honoured(built: list[Family], chosen_positions: np.ndarray, n_x: int) -> bool:
    x = np.zeros(n_x, dtype=np.int64)
    x[chosen_positions] = 1
    return all(f.honoured_by(x) for f in built)


def solve_crossing(problem: Problem, rules: DiversityRules) -> np.ndarray:
    """Edge indices of a lexicographically optimal assignment under crossing rules."""
    active = active_pairs(problem)
    pairs = np.arange(problem.n_pairs) if active is None else active
    if len(pairs) > MILP_PAIRS:
        raise RulesRefused(f"these diversity rules cross, so they are solved as a MILP, which takes "
                         f"at most {MILP_PAIRS:,} candidate pairs; this call has {len(pairs):,}: "
                         "drop the career-stage minimums (or the country limit) to solve it as a "
                         "flow")
    if not len(pairs):
        return np.zeros(0, dtype=np.int64)
    n_p, n_r, n = problem.n_proposals, problem.n_reviewers, len(pairs)
    p, r = problem.proposal_idx[pairs], problem.reviewer_idx[pairs]
    groups, w_upper, built = group_rows(problem, rules, pairs)
    bounded = np.flatnonzero(problem.lower > 0)
    n_y, n_w = len(bounded), len(w_upper)
    row_of = np.full(n_r, -1)
    row_of[bounded] = np.arange(n_y)
    on = row_of[r] >= 0
    x, width = np.arange(n), n + n_y + n_w
    pad = sparse.csr_matrix((groups.shape[0], n_y))
    blocks = [
        sparse.csr_matrix((np.ones(n), (p, x)), shape=(n_p, width)),
        sparse.csr_matrix((np.ones(n), (r, x)), shape=(n_r, width)),
        sparse.csr_matrix((np.r_[np.ones(n_y), -np.ones(on.sum())],
                           (np.r_[np.arange(n_y), row_of[r[on]]], np.r_[n + np.arange(n_y), x[on]])),
                          shape=(n_y, width)),
        sparse.hstack([groups[:, :n], pad, groups[:, n:]]),
    ]
    lows = np.r_[np.zeros(n_p + n_r), np.full(n_y, -np.inf), np.zeros(groups.shape[0])]
    ups = np.r_[problem.demand, problem.capacity, np.zeros(n_y + groups.shape[0])].astype(float)
    bounds = Bounds(np.zeros(width), np.r_[np.ones(n), problem.lower[bounded], w_upper])
    integrality = np.r_[np.ones(n), np.zeros(n_y + n_w)]
    levels = [np.r_[np.ones(n), np.zeros(n_y + n_w)], np.r_[np.zeros(n), np.ones(n_y), np.zeros(n_w)],
              np.r_[problem.score[pairs], np.zeros(n_y + n_w)]]
    fixed: list[tuple[np.ndarray, float]] = []
    result = None
    for level, objective in enumerate(levels):
        matrix = sparse.vstack(blocks + [sparse.csr_matrix(row) for row, _ in fixed]).tocsr()
        low = np.r_[lows, [level - 0.5 for _, level in fixed]]
        result = milp(-objective, constraints=LinearConstraint(matrix, low, np.r_[ups, [np.inf] * len(fixed)]),
                      bounds=bounds, integrality=integrality, options=OPTIONS)
        if result.status != 0:  # not proven optimal: refuse rather than hand back a guess
            raise RulesRefused(f"these diversity rules cross, so they are solved as a MILP, which did not "
                               f"prove its optimum within {TIME_LIMIT:.0f} s on this call: drop the "
                               "career-stage minimums (or the country limit) to solve it as a flow")
        if level < 2:
            fixed.append((objective, round(-result.fun)))  # levels (1)-(2) are whole numbers
    chosen = np.flatnonzero(result.x[:n] > 0.5)
    if not honoured(built, chosen, n):
        raise RuntimeError("the diversity MILP's answer breaks a rule (tolerance)")
    return pairs[chosen]
