"""``minmax``: maximum total score under all bounds, as one min-cost flow (contract §5.4).

Network: source → proposal (capacity d_p) → reviewer (one arc per candidate pair, capacity 1,
cost −ŝ) → two sinks: ``low`` through an arc of capacity L_r and ``sink`` through an arc of
capacity cap_r − L_r. The source supplies F units, ``low`` absorbs M and ``sink`` absorbs F − M.

The lexicographic levels are constraints here, not weights: F is the most slots that can be filled
and M the largest Σ_r min(load_r, L_r), both found by max-flows (network.feasible_subset). Every
flow with these supplies fills F slots and routes M units through lower-bound arcs, so
Σ min(load, L) = M; conversely every assignment at levels (F, M) routes that way. So the min-cost
flow maximises the score among exactly the assignments optimal on levels (1)–(2), and with no big
constants the whole int64 budget goes to the score's precision. (F* and M* are reachable together:
from a flow reaching M*, augmenting paths up to F* only ever add load to reviewers.)
"""

from __future__ import annotations

from functools import partial

import numpy as np
from ortools.graph.python import min_cost_flow

from ..diversity import DiversityRules, n_families
from ..problem import Problem
from .crossing import one_family, solve_crossing
from .network import PairArcs, feasible_subset, likely_binding, max_abs_score, pricing_rounds, residual_arcs

# A min-cost flow on a subset first carries only the cap groups of the diversity rules likely to
# bind (network.likely_binding): each group node slows OR-Tools down, and most never bind. Without
# them the network is a relaxation; when its optimum breaks no cap it is the rules' optimum (the
# potentials price the left-out pairs for the relaxation, whose optimum it then is too), else the
# broken groups join the network and it is solved again; after RESOLVES such solves, it carries
# every group (never reached on the bench instances, docs/benchmarks.md).
RESOLVES = 4


def integer_budget(n_nodes: int) -> int:
    """Largest |cost| OR-Tools' cost scaling handles without int64 overflow: it multiplies costs
    by n + 1 and lets potentials fall to about n·(n + 1)·max|cost|; capped at 2^50."""
    return min(2**62 // (n_nodes + 1) ** 2, 2**50)


def solve_minmax(problem: Problem, progress=None, rules: DiversityRules | None = None) -> np.ndarray:
    """Edge indices of a lexicographically optimal assignment (coverage, lower loads, score),
    under the diversity ``rules`` if given (a MILP when they are not one laminar family)."""
    if rules is not None and n_families(rules) > 1:
        return solve_crossing(problem, rules)
    edges, _ = optimal_flow(problem, progress=progress, rules=rules)
    return edges


def optimal_flow(problem: Problem, *, pair_capacity: int = 1, progress=None,
                 rules: DiversityRules | None = None, units: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(edge indices, their flows) of a lexicographically optimal flow in which each pair carries
    at most `pair_capacity` units (1: an assignment, flows all 1), under the diversity ``rules``
    (one laminar family; a place is worth ``units`` units)."""
    n_p, n_r = problem.n_proposals, problem.n_reviewers
    src, low, sink = n_p + n_r, n_p + n_r + 1, n_p + n_r + 2
    family_of = None
    if rules is not None:
        family_of = partial(one_family, problem, rules, units=units)
    peak = max_abs_score(problem)
    arcs = PairArcs(problem, None, pair_capacity, family_of)  # scale: once n_nodes is known
    n_nodes = arcs.n_nodes(n_p + n_r + 3)
    arcs.set_scale(integer_budget(n_nodes) / peak if peak > 0 else 1.0)
    if not len(arcs):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    subset, filled, on_lower = feasible_subset(arcs)

    lower = problem.lower.astype(np.int64)
    reviewers = n_p + np.arange(n_r)
    fixed_tails = np.concatenate([np.full(n_p, src), reviewers, reviewers])
    fixed_heads = np.concatenate([np.arange(n_p), np.full(n_r, low), np.full(n_r, sink)])
    fixed_caps = np.concatenate([problem.demand, lower, problem.capacity - lower]).astype(np.int64)

    # Cap groups the min-cost flows carry (RESOLVES); None: all of them, or no rules.
    family = arcs.family
    watched = None if family is None else np.zeros(family.n_groups, dtype=bool)

    def solve_subset(subset):
        nonlocal watched
        if watched is not None:
            watched = watched | likely_binding(arcs, subset)
        for attempt in range(RESOLVES + 1):
            groups = arcs.groups_for(subset, watched)
            tails = np.concatenate([groups.pair_tails, fixed_tails, groups.tails])
            heads = np.concatenate([arcs.head[subset], fixed_heads, groups.heads])
            caps = np.concatenate([np.full(len(subset), pair_capacity, dtype=np.int64), fixed_caps,
                                   groups.caps])
            costs = np.concatenate([-arcs.gain[subset],
                                    np.zeros(len(fixed_caps) + len(groups.caps), dtype=np.int64)])
            flows = _min_cost_flow(tails, heads, caps, costs, np.array([src, low, sink]),
                                   np.array([filled, -on_lower, on_lower - filled]))
            used = flows[: len(subset)] > 0
            if watched is None:
                break
            # The network left out the other cap groups: a relaxation, whose optimum is the
            # rules' optimum when it breaks none of them; the broken ones join the next network.
            over = family.over_cap(subset[used], flows[: len(subset)][used])
            if not over.any():
                break
            watched = watched | over if attempt < RESOLVES - 1 else None
        size = n_nodes if family is None else family.base + groups.n_nodes
        return ((subset[used], flows[: len(subset)][used]),
                residual_arcs(tails, heads, caps, costs, flows), size, groups)

    chosen, flows = pricing_rounds(arcs, subset, solve_subset, certify=False, progress=progress)
    return arcs.active[chosen], flows


def _min_cost_flow(tails, heads, caps, costs, nodes, supplies) -> np.ndarray:
    """Flow per arc of a min-cost flow meeting ``supplies`` at ``nodes`` (OR-Tools)."""
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(nodes, supplies)
    status = mcf.solve()
    # Checked first: reading flows after a failed solve crashes OR-Tools.
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return mcf.flows(np.arange(len(tails)))
