"""``hungarian``: the same optimum as ``minmax``, found as a one-to-one assignment of slots.

Proposal p has min(d_p, its pairs) slots σ, reviewer r has min(cap_r, its pairs) slots ρ (the
first L_r of them "lower" slots). Two slots alone would let a proposal take the same reviewer
twice, so every candidate pair e = (p, r) also becomes two nodes a_e, b_e:

    left  (rows):    a_e for every pair,  ρ for every reviewer slot,  one spare per σ
    right (columns): b_e for every pair,  σ for every proposal slot

    a_e – b_e          pair unused                       gain Z
    a_e – σ of p       pair used, p's side               gain Z + W1 + ŝ_e
    ρ – b_e            pair used, r's side               gain W2 on a lower slot, else 0
    spare – its σ      slot left empty                   gain 0

Every column is matched (scipy's LAPJVsp ``min_weight_full_bipartite_matching`` covers the smaller
side), so each b_e takes a_e or a reviewer slot; Z > W2 makes leaving some a_e unmatched (to free
b_e for a slot) a loss, so a pair is used on both sides or on neither. Integer weights keep the
lexicographic order exact: with ŝ = round(s·scale), Δ = max ŝ − min ŝ, A = max |ŝ| and K = 1 +
min(active proposals, active reviewers) (most new pairs on one alternating path or cycle), no
exchange changes the score by more than G = K·Δ + A, so W1 = W2 = G + 1 put coverage first,
lower loads second and score third (see docs/benchmarks.md for the argument).

The matcher works in float64, so the weights stay below 2^46 (exact integers, with headroom for the
sums it forms) and the result is *certified*: node potentials of the equivalent flow
(source →(d_p, −W1) proposal →(1, −ŝ) reviewer →(L_r, −W2 | cap_r − L_r, 0) sink, plus a
zero-cost source → sink bypass for empty slots) prove it optimal in exact int64 arithmetic, and the
same potentials price the pairs left out of the subset (network.pricing_rounds), as for minmax.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from ..diversity import DiversityRules
from ..problem import Problem
from .minmax import solve_minmax
from .network import PairArcs, feasible_subset, max_abs_score, pricing_rounds, residual_arcs

SLOT_MARGINS = (5, 3)  # a smaller start than the flow solvers' (network.MARGINS)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _scale(problem: Problem, n_nodes: int) -> tuple[float, int]:
    """(score scale, K) so that the largest gain, Z + W1 + A ≈ 2·K·Δ + 3·A (budgeted with room
    as 3·K·Δ + 4·A), stays below the budget."""
    p, r = problem.proposal_idx, problem.reviewer_idx
    active = (problem.demand[p] > 0) & (problem.capacity[r] > 0)
    k = 1 + min(len(np.unique(p[active])), len(np.unique(r[active])))
    s = problem.score[active]
    span = float(s.max() - s.min()) if len(s) else 0.0
    per_unit = 3 * k * span + 4 * max_abs_score(problem)
    # Potentials in int64 reach n_nodes × the largest cost; LAPJVsp's float64 must stay exact.
    budget = min(2**46, 2**62 // (n_nodes + 1)) - 3 * k - 8
    return (budget / per_unit if per_unit > 0 else 1.0), k


def solve_hungarian(problem: Problem, progress=None, rules: DiversityRules | None = None) -> np.ndarray:
    if rules is not None:
        # Group caps have no place in a one-to-one matching of slots: the same optimum (§5.4)
        # comes from minmax's network with the group nodes (docs/decisions.md, issue 14).
        return solve_minmax(problem, progress, rules)
    n_p, n_r = problem.n_proposals, problem.n_reviewers
    src, sink, n_nodes = n_p + n_r, n_p + n_r + 1, n_p + n_r + 2
    scale, k_path = _scale(problem, n_nodes)
    arcs = PairArcs(problem, scale)
    if not len(arcs):
        return np.zeros(0, dtype=np.int64)
    gains = arcs.gain
    w = k_path * int(gains.max() - gains.min()) + int(np.abs(gains).max()) + 1  # W1 = W2 = G + 1
    z = w + 1
    demand, cap, lower = (problem.demand.astype(np.int64), problem.capacity.astype(np.int64),
                          problem.lower.astype(np.int64))

    def match(subset) -> np.ndarray:
        """Positions (into arcs) of the pairs used by an optimal slot matching on ``subset``."""
        p, r, g = arcs.tail[subset], arcs.head[subset] - n_p, gains[subset]
        n_e = len(subset)
        d_sub = np.minimum(demand, np.bincount(p, minlength=n_p))
        c_sub = np.minimum(cap, np.bincount(r, minlength=n_r))
        n_sig, n_rho = int(d_sub.sum()), int(c_sub.sum())
        sig_start, rho_start = np.cumsum(d_sub) - d_sub, np.cumsum(c_sub) - c_sub
        e = np.arange(n_e)
        e_sig, sig = np.repeat(e, d_sub[p]), np.repeat(sig_start[p], d_sub[p]) + _ranks(d_sub[p])
        e_rho, slot = np.repeat(e, c_sub[r]), _ranks(c_sub[r])
        rho = np.repeat(rho_start[r], c_sub[r]) + slot
        # Rows: a_e | ρ | spare per σ.  Columns: b_e | σ.
        rows = np.concatenate([e, e_sig, n_e + rho, n_e + n_rho + np.arange(n_sig)])
        cols = np.concatenate([e, n_e + sig, e_rho, n_e + np.arange(n_sig)])
        gain = np.concatenate([np.full(n_e, z), z + w + g[e_sig],
                               np.where(slot < lower[r[e_rho]], w, 0), np.zeros(n_sig, np.int64)])
        cost = (gain.max() + 1 - gain).astype(float)  # positive: LAPJVsp ignores zero weights
        graph = sparse.csr_matrix((cost, (rows, cols)), shape=(n_e + n_rho + n_sig, n_e + n_sig))
        row, col = min_weight_full_bipartite_matching(graph)
        partner = np.full(graph.shape[0], -1)
        partner[row] = col
        return subset[partner[:n_e] >= n_e]  # a_e matched to a proposal slot σ

    def solve_subset(subset):
        """Match, then express the matching as a flow of the certificate network."""
        chosen = match(subset)
        used = np.zeros(len(arcs), dtype=bool)
        used[chosen] = True
        p, r = arcs.tail[chosen], arcs.head[chosen] - n_p
        assigned = np.bincount(p, minlength=n_p)
        load = np.bincount(r, minlength=n_r)
        on_lower = np.minimum(load, lower)
        reviewers = n_p + np.arange(n_r)
        tails = np.concatenate([arcs.tail[subset], np.full(n_p, src), reviewers, reviewers, [src]])
        heads = np.concatenate([arcs.head[subset], np.arange(n_p), np.full(2 * n_r, sink), [sink]])
        caps = np.concatenate([np.ones(len(subset), np.int64), demand, lower, cap - lower,
                               [demand.sum()]])
        costs = np.concatenate([-gains[subset], np.full(n_p + n_r, -w),
                                np.zeros(n_r + 1, np.int64)])
        flows = np.concatenate([used[subset], assigned, on_lower, load - on_lower,
                                [demand.sum() - assigned.sum()]]).astype(np.int64)
        return chosen, residual_arcs(tails, heads, caps, costs, flows), n_nodes, None

    # Start from a subset that reaches the optimal levels, so that few (slow) matchings are run.
    subset = feasible_subset(arcs, SLOT_MARGINS)[0]
    chosen = pricing_rounds(arcs, subset, solve_subset, certify=True, progress=progress)
    return arcs.active[chosen]
