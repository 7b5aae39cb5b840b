"""Pieces shared by the exact solvers: integer costs, candidate subsets, optimality certificates.

Both exact models are networks on the same nodes: proposal ``i`` is node ``i``, reviewer ``j`` is
node ``P + j``, then a few model-specific nodes (source, sinks). A pair arc runs from its proposal
to its reviewer with cost ``-round(score · scale)``.

Solving a big instance whole is wasteful: an optimum uses a handful of each proposal's pairs. So
the solvers work on a *subset* of the pairs and grow it until it provably carries an optimum of the
full problem:

1. :func:`candidate_subset`: each proposal's and each reviewer's best pairs by score.
2. :func:`feasible_subset`: max-flows on the subset find the levels (most filled slots F, largest
   Σ min(load, lower) M); whenever the subset falls short, every left-out pair crossing the
   subset's minimum cut could raise the flow, and the best of them are added. When none crosses,
   the cut bounds the full problem too, so the levels found are the full problem's.
3. :func:`pricing_rounds`: the solver's optimum on the subset yields node potentials (shortest
   distances in its residual network, :func:`potentials`); a left-out pair with a negative reduced
   cost could improve it and is added. When none is left, the potentials certify (LP duality)
   that the subset optimum is optimal for all pairs.

So the subset affects speed only, never the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow

from ..diversity import Family
from ..problem import Problem

# Each proposal starts with about demand + 20 of its best pairs, each reviewer capacity + 10 of
# its best: pricing then adds few pairs on the bench instances (docs/benchmarks.md). The slot
# matching of hungarian grows faster with the subset than a flow does, so it starts smaller
# (demand + 5, capacity + 3) and lets pricing add the rest: 3-4 times faster on 3,000 × 1,500.
MARGINS = (20, 10)
# Instances with fewer than WHOLE_FACTOR × (Σ wanted per proposal + Σ wanted per reviewer) pairs
# are solved whole: the subset would hardly be smaller.
WHOLE_FACTOR = 2
CUT_PAIRS = 16  # best left-out pairs per proposal added per max-flow round
# Cap groups (diversity rules) that a min-cost flow carries from its first solve: those holding
# more than their cap among each proposal's demand + WATCH_MARGIN best pairs (likely_binding). On
# the bench's dense call with the geographic rules: ~5,100 of ~15,600 groups, no second solve.
WATCH_MARGIN = 4
PRICING_SLACK = 0.01  # pricing also adds pairs within 1 % of the score range of improving
_BINS = 128  # histogram resolution of per-node score quantiles


class PairArcs:
    """The pairs that can carry flow (demand > 0 and capacity > 0), with integer costs. Each
    carries at most `pair_capacity` units: 1 for an assignment; more for the scaled fractional
    problem of the randomized solver (`randomized.py`), whose units are fractions of a pair."""

    def __init__(self, problem: Problem, scale: float | None, pair_capacity: int = 1,
                 family_of=None):
        p, r, score = problem.proposal_idx, problem.reviewer_idx, problem.score
        self.problem = problem
        self.active = active_pairs(problem)
        if self.active is not None:
            p, r, score = p[self.active], r[self.active], score[self.active]
        else:
            self.active = np.arange(len(p))
        self.tail = p.astype(np.int32)  # the proposal
        self.head = (problem.n_proposals + r).astype(np.int32)
        # Diversity rules (``family_of(p, r, base)`` -> diversity.Family): group nodes after the
        # models' own nodes; a pair arc then starts at its deepest group node, `node_tail`.
        self.family = family_of(p, r, group_base(problem)) if family_of else None
        self.node_tail = self.tail if self.family is None else self.family.pair_tail
        self.pair_capacity = pair_capacity
        self.score = score
        if scale is not None:
            self.set_scale(scale)

    def __len__(self) -> int:
        return len(self.active)

    def set_scale(self, scale: float) -> None:
        """Integer costs: a model whose node count depends on the group nodes sets its scale
        after they are known."""
        score = self.score
        self.scale = scale
        # Scaled, rounded scores: a solution of k pairs is within k / scale of the float optimum
        # (each of two solutions is off by at most k / (2·scale)).
        self.gain = np.rint(score * scale).astype(np.int64)
        lo, hi = (float(score.min()), float(score.max())) if len(score) else (0.0, 0.0)
        width = _BINS / (hi - lo) if hi > lo else 0.0
        self.bins = np.minimum((score - lo) * width, _BINS - 1).astype(np.int64)
        self.slack = int(PRICING_SLACK * (hi - lo) * scale)

    def n_nodes(self, model_nodes: int) -> int:
        """Most nodes of a network of a model with `model_nodes` nodes of its own (proposals,
        reviewers, sinks): every group node of the family may be in it."""
        return model_nodes if self.family is None else self.family.base + self.family.n_groups

    def groups_for(self, subset, watched: np.ndarray | None = None) -> SubsetGroups:
        """The group arcs a network on `subset` needs, their nodes renumbered compactly after
        the models' own nodes (OR-Tools sizes its work by the largest node id); with ``watched``
        (bool per group), only the cap groups in it (SubsetGroups.without)."""
        if self.family is None:
            return SubsetGroups(self.node_tail[subset], *([np.zeros(0, dtype=np.int64)] * 4), None)
        cached = getattr(self, "_groups_cache", None)
        if cached is None or cached[0] is not subset:
            f = self.family
            keep, stand = f.network_arcs(subset, self.pair_capacity)
            needed = keep[f.head - f.base]
            ids = f.base + np.flatnonzero(keep)
            compact = np.arange(f.base + f.n_groups)
            compact[ids] = f.base + np.arange(len(ids))
            cached = (subset, SubsetGroups(
                compact[stand[self.node_tail[subset]]], compact[stand[f.tail[needed]]],
                compact[f.head[needed]], f.cap[needed], ids, needed))
            self._groups_cache = cached
        return cached[1] if watched is None else cached[1].without(self.family, watched)

    def at_tails(self, values: np.ndarray, groups: SubsetGroups, combine) -> np.ndarray:
        """``values`` (per node of a network on a subset) at every pair's tail, groups left out
        of that network included (diversity.Family.complete)."""
        if self.family is None:
            return values[self.node_tail]
        f = self.family
        full = np.zeros(f.base + f.n_groups, dtype=values.dtype)
        full[: f.base] = values[: f.base]
        full[groups.ids] = values[f.base: f.base + len(groups.ids)]
        f.complete(full, groups.needed, combine)
        return full[self.node_tail]


@dataclass
class SubsetGroups:
    pair_tails: np.ndarray  # where the subset's pair arcs start, compact ids
    tails: np.ndarray  # group arcs, compact ids
    heads: np.ndarray
    caps: np.ndarray
    ids: np.ndarray | None  # the full id of each compact group node
    needed: np.ndarray | None  # bool per family arc: in this network

    @property
    def n_nodes(self) -> int:
        return 0 if self.ids is None else len(self.ids)

    def without(self, family: Family, watched: np.ndarray) -> SubsetGroups:
        """This network with its cap groups outside ``watched`` (bool per group) merged into their
        parents, as Family.network_arcs merges the groups that cannot bind; but these could, so
        the network is a relaxation (minmax checks its flow against them). Works on this network's
        arcs only, not the family's."""
        at = np.flatnonzero(self.needed)  # the family arcs of this network, in its order
        depth = family.depth[at]
        drop = (depth >= 3) & ~watched[family.head[at] - family.base]
        stand = np.arange(family.base + len(self.ids))
        for d in np.unique(depth[drop]):  # shallowest first: a parent's stand is final
            merged = drop & (depth == d)
            stand[self.heads[merged]] = stand[self.tails[merged]]
        kept = np.unique(self.heads[~drop])
        compact = np.arange(family.base + len(self.ids))
        compact[kept] = family.base + np.arange(len(kept))
        compact = compact[stand]
        needed = self.needed.copy()
        needed[at[drop]] = False
        return SubsetGroups(compact[self.pair_tails], compact[self.tails[~drop]],
                            compact[self.heads[~drop]], self.caps[~drop],
                            self.ids[kept - family.base], needed)


def active_pairs(problem: Problem) -> np.ndarray | None:
    """Positions of the pairs that can carry flow (demand > 0 and capacity > 0); None: all."""
    if np.all(problem.demand > 0) and np.all(problem.capacity > 0):
        return None  # the common case: no gathering needed
    p, r = problem.proposal_idx, problem.reviewer_idx
    return np.flatnonzero((problem.demand[p] > 0) & (problem.capacity[r] > 0))


def group_base(problem: Problem) -> int:
    """First group node: after proposals, reviewers and the four nodes of the largest model."""
    return problem.n_proposals + problem.n_reviewers + 4


def max_abs_score(problem: Problem) -> float:
    return float(np.abs(problem.score).max()) if problem.n_pairs else 0.0


def best_per_node(node: np.ndarray, bins: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Mask of each node's ≈``want`` best pairs (all pairs of the node's lowest kept score bin
    are kept, so ties never make the choice order-dependent). Histogram-based: no sort."""
    n = len(want)
    node = node.astype(np.int64)
    counts = np.bincount(node * _BINS + bins, minlength=n * _BINS).reshape(n, _BINS)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    threshold = np.maximum((at_least >= want[:, None]).sum(axis=1) - 1, 0)
    return bins >= threshold[node]


def candidate_subset(arcs: PairArcs, margins=None) -> np.ndarray | None:
    """Positions (into ``arcs``) of the starting subset, or None to solve on all pairs.
    ``margins``: (per proposal, per reviewer) pairs beyond demand/capacity, MARGINS if None."""
    problem = arcs.problem
    margins = margins or MARGINS
    want_p = np.where(problem.demand > 0, problem.demand + margins[0], 0)
    want_r = np.where(problem.capacity > 0, problem.capacity + margins[1], 0)
    if len(arcs) <= WHOLE_FACTOR * (want_p.sum() + want_r.sum()):
        return None
    keep = best_per_node(arcs.tail, arcs.bins, want_p)
    keep |= best_per_node(arcs.head - problem.n_proposals, arcs.bins, want_r)
    return np.flatnonzero(keep)


def likely_binding(arcs: PairArcs, subset) -> np.ndarray:
    """bool per group of ``arcs.family``: the cap groups holding more than their cap among each
    proposal's ≈ d_p / pair capacity + WATCH_MARGIN best pairs in ``subset`` (positions)."""
    want = -(-arcs.problem.demand // arcs.pair_capacity) + WATCH_MARGIN
    tails = arcs.tail[subset]
    best = best_per_node(tails, arcs.bins[subset], np.maximum(want, 0)) & (want[tails] > 0)
    return arcs.family.over_cap(subset[best], arcs.pair_capacity, capped=True)


def _max_flow(arcs: PairArcs, subset, to_low: int, to_sink: int):
    """Max-flow value and a function giving, for each pair, whether its tail and its head are on
    the source side of a minimum cut (read only when the value falls short: it walks every pair) of:
    source →(d_p) proposal [→ group nodes] →(pair capacity) reviewer, reviewer →(L_r) low
    →(to_low) end, reviewer →(cap_r − L_r) sink →(to_sink) end."""
    pr = arcs.problem
    n_p, n_r = pr.n_proposals, pr.n_reviewers
    src, low, sink, end = n_p + n_r, n_p + n_r + 1, n_p + n_r + 2, n_p + n_r + 3
    reviewers = n_p + np.arange(n_r)
    groups = arcs.groups_for(subset)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.concatenate([np.full(n_p, src), groups.tails, groups.pair_tails, reviewers, reviewers,
                        [low, sink]]),
        np.concatenate([np.arange(n_p), groups.heads, arcs.head[subset], np.full(n_r, low),
                        np.full(n_r, sink), [end, end]]),
        np.concatenate([pr.demand, groups.caps, np.full(len(subset), arcs.pair_capacity), pr.lower,
                        pr.capacity - pr.lower, [to_low, to_sink]]).astype(np.int64))
    if flow.solve(src, end) != flow.OPTIMAL:
        raise RuntimeError("max-flow failed")

    def cut_sides():
        side = np.zeros(n_p + n_r + 4 + groups.n_nodes, dtype=bool)
        side[flow.get_source_side_min_cut()] = True
        return arcs.at_tails(side, groups, np.logical_or), side[arcs.head]

    return int(flow.optimal_flow()), cut_sides


def _grow(arcs: PairArcs, subset, to_low: int, to_sink: int, target: int):
    """Add cut-crossing pairs until the subset's max-flow reaches ``target`` or equals the full
    problem's. Returns (subset, value)."""
    n_p = arcs.problem.n_proposals
    while True:
        value, cut_sides = _max_flow(arcs, subset, to_low, to_sink)
        if value >= target:
            return subset, value
        tail_side, head_side = cut_sides()
        crossing = tail_side & ~head_side
        crossing[subset] = False
        if not crossing.any():
            return subset, value
        at = np.flatnonzero(crossing)
        best = best_per_node(arcs.tail[at], arcs.bins[at], np.full(n_p, CUT_PAIRS))
        subset = _union(subset, at[best], len(arcs))


def _union(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[a] = True
    mask[b] = True
    return np.flatnonzero(mask)


def feasible_subset(arcs: PairArcs, margins=None):
    """(subset or None, F, M): the levels of the full problem and a subset that reaches them."""
    pr = arcs.problem
    total_d, total_l = int(pr.demand.sum()), int(pr.lower.sum())
    subset = candidate_subset(arcs, margins)
    whole = np.arange(len(arcs)) if subset is None else subset
    target_m = min(total_d, total_l)
    # Fast path: the upper bounds (Σd, ΣL) are reached, which proves them optimal.
    grown, value = _grow(arcs, whole, target_m, total_d - target_m, total_d)
    if value < total_d:
        grown, filled = _grow(arcs, grown, total_d, total_d, total_d)  # F*: reviewer caps only
        grown, target_m = _grow(arcs, grown, total_l, 0, total_l)  # M*: lower bounds as caps
        grown, value = _grow(arcs, grown, target_m, filled - target_m, filled)
        if value != filled:
            raise RuntimeError("levels F* and M* not reachable together")
        total_d = filled
    return (None if subset is None else grown), total_d, target_m


def residual_arcs(tails, heads, caps, costs, flows):
    """Arcs of the residual network: forward where capacity is left, backward where flow runs."""
    fwd, bwd = flows < caps, flows > 0
    return (np.concatenate([tails[fwd], heads[bwd]]), np.concatenate([heads[fwd], tails[bwd]]),
            np.concatenate([costs[fwd], -costs[bwd]]))


def potentials(n_nodes: int, tails, heads, costs) -> np.ndarray:
    """Shortest distances from a virtual root joined to every node at cost 0.

    They make every residual arc's reduced cost ``cost + pi[tail] - pi[head]`` non-negative: the
    certificate that the flow is optimal. Bellman–Ford relaxing only arcs out of the nodes that
    improved in the previous round (vectorised per round). Raises RuntimeError on a negative
    cycle, i.e. when the flow is not optimal after all.
    """
    order = np.argsort(tails, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n_nodes), out=start[1:])
    dist = np.zeros(n_nodes, dtype=np.int64)
    frontier = np.arange(n_nodes)
    improved = np.zeros(n_nodes, dtype=bool)
    for _ in range(n_nodes + 1):
        first, count = start[frontier], start[frontier + 1] - start[frontier]
        arc = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
        cand, head = dist[tails[arc]] + costs[arc], heads[arc]
        better = cand < dist[head]
        if not better.any():
            return dist
        head = head[better]
        np.minimum.at(dist, head, cand[better])
        improved[head] = True
        frontier = np.flatnonzero(improved)
        improved[frontier] = False
    raise RuntimeError("negative cycle in the residual network: the flow is not optimal")


def pricing_rounds(arcs: PairArcs, subset, solve_subset, *, certify: bool, progress=None,
                   max_rounds: int = 12) -> np.ndarray:
    """Solve on a growing subset until no left-out pair can improve the solution.

    ``solve_subset(positions)`` returns ``(chosen, (tails, heads, costs) of its residual network,
    n_nodes, groups)``, where ``chosen`` is what the solver reports (positions into ``arcs``, or
    positions with their flows), and that is returned, and ``groups`` the group arcs of that
    network (:meth:`PairArcs.groups_for`; None without rules). ``subset`` None means all
    pairs (then potentials are computed only if ``certify``). After ``max_rounds`` (never reached
    on the bench instances) it solves on all pairs.
    """
    for step in range(max_rounds):
        if subset is None:
            break
        chosen, residual, n_nodes, groups = solve_subset(subset)
        pi = potentials(n_nodes, *residual)
        tail_pi = arcs.at_tails(pi, groups, np.minimum)
        reduced = tail_pi - pi[arcs.head] - arcs.gain
        reduced[subset] = 0
        if progress:
            progress(step + 1, max_rounds + 1)
        if not (reduced < 0).any():
            return chosen
        # Add the near-violators too: the next optimum shifts the potentials a little, and the
        # pairs it would then expose are mostly these, so this saves pricing rounds.
        subset = np.flatnonzero(reduced < max(arcs.slack, 1))  # reduced is 0 on the subset
    chosen, residual, n_nodes, _ = solve_subset(np.arange(len(arcs)))
    if certify:
        potentials(n_nodes, *residual)
    return chosen
