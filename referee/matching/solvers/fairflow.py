"""``fairflow``: the best worst-off proposal, then the largest total under that floor (§5.4).

A proposal's total is ``existing[p] + Σ a`` over its new pairs; the floor is the smallest total over
the proposals with demand > 0. Proposals that cannot get any new pair (no candidate, or only
reviewers without capacity) have a fixed total: they count in the reported floor but are left out
of the optimisation, so one of them does not make every assignment look equally fair.

Levels (1)–(2) are held at minmax's values (F filled slots, M on lower bounds) as constraints of a
MILP (SciPy's HiGHS): x_e ∈ {0,1} per pair, y_r ∈ [0, L_r] the part of r's load counting towards
its lower bound, and the floor t:

    Σ_p x ≤ d_p,  Σ_r x ≤ cap_r,  Σ x = F,  y_r ≤ Σ_r x,  Σ y ≥ M,  t ≤ existing_p + Σ_p a·x

* Up to ``EXACT_PAIRS`` pairs it is solved exactly: max t, then max Σ s with t ≥ t*.
* Beyond, "max t" is too flat for branch and bound (HiGHS stalls on MIDL), while "max Σ s with
  t ≥ T" solves quickly: so T is searched instead. First the cheap upper bound T_UB = min_p
  (existing_p + its d_p best positive affinities); reaching it proves the floor optimal (MIDL and
  the bench's clustered calls do). Otherwise the LP bound (interior point) caps T and a short
  bisection between minmax's floor (always reachable) and that cap picks the best reachable one.
  Above ``ALL_PAIRS`` the MILP only offers each proposal its d_p + ``EXTRA_PAIRS`` best pairs by
  affinity, by score and among reviewers minmax leaves with spare capacity, plus minmax's pairs,
  so minmax's solution stays feasible: the floor is never below minmax's and levels (1)–(2) are
  equal by construction. Above ``MILP_PAIRS`` restricted pairs only the worst-off proposals are
  re-optimised; the others keep minmax's pairs.

Branch and bound is bounded by a node limit (deterministic); the time limit is only a safety valve.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..diversity import DiversityRules
from ..problem import Problem
from .crossing import group_rows
from .minmax import solve_minmax
from .network import best_per_node

EXACT_PAIRS = 300
ALL_PAIRS = 25_000  # up to this many pairs the MILP sees all of them
EXTRA_PAIRS = 3
MILP_PAIRS = 60_000  # larger restricted sets: only the worst-off proposals are re-optimised
BISECTION_STEPS = 4
MILP_OPTIONS = {"mip_rel_gap": 1e-4, "node_limit": 200, "time_limit": 120.0}
EXACT_OPTIONS = {"mip_rel_gap": 0.0, "time_limit": 120.0}


def solve_fairflow(problem: Problem, progress=None, rules: DiversityRules | None = None) -> np.ndarray:
    base = solve_minmax(problem, rules=rules)
    p, r = problem.proposal_idx, problem.reviewer_idx
    active = (problem.demand[p] > 0) & (problem.capacity[r] > 0)
    fair = np.zeros(problem.n_proposals, dtype=bool)
    fair[p[active]] = True
    if not fair.any() or not len(base):
        return base
    pairs = _pairs(problem, active, base)
    if len(pairs) > MILP_PAIRS:
        return _worst_off_only(problem, pairs, base, progress, rules)
    model = _Model(problem, pairs, base, fair, rules)
    steps = 2 + BISECTION_STEPS
    report = (lambda i: progress(i, steps)) if progress else (lambda i: None)
    report(1)
    if model.n_x <= EXACT_PAIRS:
        best = model.max_floor()
        if best is None:
            return base
        total = model.max_total(model.floor(best))
        return best if total is None else total

    floor0 = model.floor(base)
    best = model.max_total(model.upper_bound())
    report(2)
    if best is not None:
        return best
    best, low, high = base, floor0, model.lp_floor()
    target = high  # the LP bound itself is often reachable
    for step in range(BISECTION_STEPS):
        if high - low <= 1e-6 * max(1.0, abs(high)):
            break
        found = model.max_total(target)
        report(3 + step)
        if found is None:
            high = target
        else:
            best, low = found, model.floor(found)
        target = (low + high) / 2
    return best


def _worst_off_only(problem: Problem, pairs: np.ndarray, base: np.ndarray, progress, rules):
    """Re-optimise only the worst-off proposals (as many as MILP_PAIRS restricted pairs allow),
    keeping minmax's pairs for the others. The others' loads come off the reviewers' capacities
    and lower bounds, so the levels stay minmax's and the floor can only rise."""
    pr = problem
    totals = pr.existing + np.bincount(pr.proposal_idx[base], weights=pr.affinity[base],
                                       minlength=pr.n_proposals)
    per_proposal = np.bincount(pr.proposal_idx[pairs], minlength=pr.n_proposals)
    order = np.argsort(totals, kind="stable")
    order = order[pr.demand[order] > 0]
    free = np.zeros(pr.n_proposals, dtype=bool)
    free[order[np.cumsum(per_proposal[order]) <= MILP_PAIRS]] = True
    kept = base[~free[pr.proposal_idx[base]]]
    kept_load = np.bincount(pr.reviewer_idx[kept], minlength=pr.n_reviewers)
    sub_pairs = np.flatnonzero(free[pr.proposal_idx])
    sub = Problem(
        n_proposals=pr.n_proposals, n_reviewers=pr.n_reviewers,
        proposal_idx=pr.proposal_idx[sub_pairs], reviewer_idx=pr.reviewer_idx[sub_pairs],
        score=pr.score[sub_pairs], affinity=pr.affinity[sub_pairs],
        demand=np.where(free, pr.demand, 0), capacity=pr.capacity - kept_load,
        lower=np.maximum(pr.lower - kept_load, 0), existing=pr.existing)
    chosen = np.sort(np.concatenate([kept, sub_pairs[solve_fairflow(sub, progress, rules)]]))
    wanted = pr.demand > 0
    floor = (pr.existing + np.bincount(pr.proposal_idx[chosen], weights=pr.affinity[chosen],
                                       minlength=pr.n_proposals))[wanted].min()
    return chosen if floor >= totals[wanted].min() else base  # the sub-problem's own minmax
    # may start lower than `base`; never hand back a worse floor than minmax's


def _pairs(problem: Problem, active: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Pair indices the MILP may use: all active pairs, or at scale minmax's pairs plus, for each
    proposal, its d_p + EXTRA_PAIRS best pairs by affinity, by score, and by affinity among the
    reviewers minmax leaves with spare capacity (without those, raising a proposal means taking a
    busy reviewer from someone who then has nowhere else to go)."""
    positions = np.flatnonzero(active)
    if len(positions) <= ALL_PAIRS:
        return positions
    p, r = problem.proposal_idx[positions], problem.reviewer_idx[positions]
    load = np.bincount(problem.reviewer_idx[base], minlength=problem.n_reviewers)
    spare = (load < problem.capacity)[r]
    want = problem.demand.astype(np.int64) + EXTRA_PAIRS
    keep = np.zeros(len(positions), dtype=bool)
    for values, among in ((problem.affinity, None), (problem.score, None),
                          (problem.affinity, spare)):
        values = values[positions]
        lo, hi = float(values.min()), float(values.max())
        bins = np.minimum((values - lo) * (128 / (hi - lo) if hi > lo else 0), 127)
        bins = bins.astype(np.int64)
        if among is None:
            keep |= best_per_node(p, bins, want)
        else:
            keep[among] |= best_per_node(p[among], bins[among], want)
    chosen = np.zeros(problem.n_pairs, dtype=bool)
    chosen[positions[keep]] = True
    chosen[base] = True
    return np.flatnonzero(chosen)


class _Model:
    """The MILP over ``pairs``; variables are [x (pairs), y (reviewers with L_r > 0), w (group
    arcs of the diversity rules, crossing.group_rows), t]."""

    def __init__(self, problem: Problem, pairs: np.ndarray, base: np.ndarray, fair: np.ndarray,
                 rules: DiversityRules | None = None):
        self.problem, self.pairs, self.fair = problem, pairs, fair
        n_p, n_r, n = problem.n_proposals, problem.n_reviewers, len(pairs)
        groups, w_upper, self.families = (group_rows(problem, rules, pairs) if rules is not None
                                          else (sparse.csr_matrix((0, n)), np.zeros(0), []))
        n_w = len(w_upper)
        p, r = problem.proposal_idx[pairs], problem.reviewer_idx[pairs]
        a = problem.affinity[pairs]
        lower = problem.lower.astype(float)
        bounded = np.flatnonzero(lower > 0)
        n_y = len(bounded)
        self.n_x, self.n_vars = n, n + n_y + n_w + 1
        filled = len(base)
        on_lower = float(np.minimum(np.bincount(problem.reviewer_idx[base], minlength=n_r),
                                    lower).sum())
        x = np.arange(n)
        y = n + np.arange(n_y)
        t = n + n_y + n_w
        fair_rows = np.flatnonzero(fair)
        row_of_fair = np.full(n_p, -1)
        row_of_fair[fair_rows] = np.arange(len(fair_rows))
        in_fair = row_of_fair[p] >= 0
        row_of_bounded = np.full(n_r, -1)
        row_of_bounded[bounded] = np.arange(n_y)
        in_bounded = row_of_bounded[r] >= 0
        blocks = [  # (rows, cols, values, lower, upper) of each constraint family
            (p, x, np.ones(n), np.zeros(n_p), problem.demand.astype(float)),
            (r, x, np.ones(n), np.zeros(n_r), problem.capacity.astype(float)),
            (np.zeros(n, int), x, np.ones(n), [filled], [filled]),
            (np.r_[np.arange(n_y), row_of_bounded[r[in_bounded]]], np.r_[y, x[in_bounded]],
             np.r_[np.ones(n_y), -np.ones(in_bounded.sum())], np.full(n_y, -np.inf),
             np.zeros(n_y)),
            (np.zeros(n_y, int), y, np.ones(n_y), [on_lower], [np.inf]),
            (np.r_[np.arange(len(fair_rows)), row_of_fair[p[in_fair]]],
             np.r_[np.full(len(fair_rows), t), x[in_fair]],
             np.r_[np.ones(len(fair_rows)), -a[in_fair]], np.full(len(fair_rows), -np.inf),
             problem.existing[fair_rows].astype(float)),
        ]
        g = groups.tocoo()
        blocks.append((g.row, np.where(g.col < n, g.col, g.col + n_y), g.data,  # w after y
                       np.zeros(g.shape[0]), np.zeros(g.shape[0])))
        mats, lows, ups = [], [], []
        for rows, cols, vals, lo, up in blocks:
            mats.append(sparse.csr_matrix((vals, (rows, cols)), shape=(len(lo), self.n_vars)))
            lows.append(np.asarray(lo, float))
            ups.append(np.asarray(up, float))
        self.matrix = sparse.vstack(mats).tocsr()
        self.lows, self.ups = np.concatenate(lows), np.concatenate(ups)
        self.var_upper = np.r_[np.ones(n), lower[bounded], w_upper, np.inf]
        self.integrality = np.r_[np.ones(n), np.zeros(n_y + n_w + 1)]
        self.n_y = n_y
        self.score = problem.score[pairs]

    def floor(self, edges: np.ndarray) -> float:
        pr = self.problem
        totals = pr.existing + np.bincount(pr.proposal_idx[edges], weights=pr.affinity[edges],
                                           minlength=pr.n_proposals)
        return float(totals[self.fair].min())

    def upper_bound(self) -> float:
        """min over fair proposals of existing + its d_p best positive affinities."""
        pr = self.problem
        p = pr.proposal_idx[self.pairs]
        a = np.maximum(pr.affinity[self.pairs], 0.0)
        order = np.lexsort((-a, p))
        p, a = p[order], a[order]
        rank = np.arange(len(p)) - np.searchsorted(p, p)
        top = rank < pr.demand[p]
        best = pr.existing + np.bincount(p[top], weights=a[top], minlength=pr.n_proposals)
        return float(best[self.fair].min())

    def _solve(self, objective, t_low, options):
        lower = np.r_[np.zeros(self.n_vars - 1), t_low]
        return milp(objective, constraints=LinearConstraint(self.matrix, self.lows, self.ups),
                    bounds=Bounds(lower, self.var_upper), integrality=self.integrality,
                    options=options)

    def _chosen(self, result) -> np.ndarray | None:
        if result.x is None:
            return None
        chosen = self.pairs[np.flatnonzero(result.x[: self.n_x] > 0.5)]
        return chosen if self._valid(chosen) else None

    def max_floor(self) -> np.ndarray | None:
        """Pairs of an assignment with the best floor (exact; small instances only)."""
        objective = np.zeros(self.n_vars)
        objective[-1] = -1.0
        return self._chosen(self._solve(objective, -np.inf, EXACT_OPTIONS))

    def lp_floor(self) -> float:
        """Best floor of the LP relaxation, an upper bound for the MILP (interior point: the
        simplex stalls on this flat objective)."""
        objective = np.zeros(self.n_vars)
        objective[-1] = -1.0
        eq = self.lows == self.ups
        has_up, has_low = ~eq & (self.ups < np.inf), ~eq & (self.lows > -np.inf)
        bounds = [(0.0, u) for u in self.var_upper[:-1]] + [(None, None)]
        a_ub = sparse.vstack([self.matrix[has_up], -self.matrix[has_low]])
        result = linprog(objective, A_ub=a_ub,
                         b_ub=np.r_[self.ups[has_up], -self.lows[has_low]],
                         A_eq=self.matrix[eq], b_eq=self.lows[eq], bounds=bounds,
                         method="highs-ipm")
        return float(result.x[-1]) if result.x is not None else np.inf

    def max_total(self, target: float) -> np.ndarray | None:
        """Pairs of the largest-score assignment whose floor is ≥ target, or None."""
        if not np.isfinite(target):
            return None
        objective = np.r_[-self.score, np.zeros(self.n_vars - self.n_x)]
        slack = 1e-9 * max(1.0, abs(target))  # the top-d bound is met with equality
        options = EXACT_OPTIONS if self.n_x <= EXACT_PAIRS else MILP_OPTIONS
        return self._chosen(self._solve(objective, target - slack, options))

    def _valid(self, edges: np.ndarray) -> bool:
        """Guard against a rounded MILP answer breaking a bound (its tolerances are 1e-6)."""
        pr = self.problem
        x = np.zeros(self.n_vars)
        x[np.searchsorted(self.pairs, edges)] = 1.0
        load = np.bincount(pr.reviewer_idx[edges], minlength=pr.n_reviewers)
        x[self.n_x:self.n_x + self.n_y] = np.minimum(load, pr.lower)[pr.lower > 0]
        pair_flow = x[: self.n_x].astype(np.int64)
        x[self.n_x + self.n_y:-1] = np.concatenate([f.arc_flows(pair_flow) for f in self.families]
                                                   or [np.zeros(0)])
        x[-1] = -1e18  # floor rows hold trivially; the caller measures the floor itself
        rows = self.matrix @ x
        return bool(np.all(rows >= self.lows - 1e-6) and np.all(rows <= self.ups + 1e-6)
                    and np.all(x[:-1] <= self.var_upper[:-1]))
