"""Randomized assignment with a probability cap (issue 14; Jecmen et al., NeurIPS 2020).

Given a cap q in (0, 1], find the fractional assignment x (x_e = the probability that pair e is
drawn) that is lexicographically optimal as §5.3 asks (most filled places, then lower loads, then
the largest Σ score) under every pair's x_e ≤ q, then draw one integral assignment whose marginals
are exactly x.

**The fractional optimum is an integral flow.** q is taken as a fraction k / D (the largest one
with D ≤ `MAX_DENOMINATOR` not above q). Measured in units of 1/D, the problem is the integral
one with demand D·d_p, capacity D·c_r, lower load D·L_r, and each pair able to carry k units:
min-cost flow (solvers.minmax's network and its pricing) solves it exactly, and f_e / D is an
optimal vertex of the LP. No LP solver, no float tolerance.

**The draw is dependent rounding** (Gandhi, Khuller, Parthasarathy, Srinivasan, JACM 2006) on the
bipartite graph of fractional pairs, in the same integer units: repeatedly take a cycle or a
maximal path of fractional pairs, split it into its two alternating halves, and move α units
onto one half and off the other (or β the other way) with the probabilities that keep every
pair's expectation unchanged; each step makes at least one pair integral. So every pair is drawn
with probability exactly x_e, every proposal's reviewer count and every reviewer's load is its
fractional value rounded down or up (never above a capacity), and a seed fixes the draw."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .diversity import DiversityRules, RulesRefused, n_families
from .diversity_families import families
from .diversity_shortfalls import rule_shortfalls
from .problem import Problem, Solution, make_solution
from .rounding import round_flow
from .solvers.minmax import optimal_flow

MAX_DENOMINATOR = 100


@dataclass
class FractionalAssignment:
    problem: Problem
    units: int  # D: a pair drawn with certainty carries D units
    flow: np.ndarray  # int[E], units each pair carries (0..k)
    rules: DiversityRules | None = None  # the draw keeps them (rounding.round_flow)

    @property
    def probability(self) -> np.ndarray:
        """float[E]: each pair's probability of being drawn."""
        return self.flow / self.units

    @property
    def expected_total_score(self) -> float:
        return float(self.problem.score @ self.flow) / self.units

    @property
    def expected_total_affinity(self) -> float:
        return float(self.problem.affinity @ self.flow) / self.units


def cap_fraction(q: float) -> Fraction:
    """The largest k / D ≤ q with D ≤ MAX_DENOMINATOR (q itself for 0.5, 1/3, 0.25 …)."""
    if not 0 < q <= 1:
        raise ValueError("the probability cap must be in (0, 1]")
    best = Fraction(0)
    for d in range(1, MAX_DENOMINATOR + 1):
        k = int(np.floor(q * d + 1e-12))
        if Fraction(k, d) > best:
            best = Fraction(k, d)
    if best == 0:
        raise ValueError(f"the probability cap must be at least 1/{MAX_DENOMINATOR}")
    return best


def solve_fractional(problem: Problem, q: float, progress=None,
                     rules: DiversityRules | None = None) -> FractionalAssignment:
    """The lexicographically optimal assignment probabilities with every pair's ≤ q, under the
    diversity ``rules`` when they are one laminar family (their caps scale by D like the rest)."""
    problem.validate()
    if rules is not None:
        rules.validate(problem)
        rules = rules if rules.active else None
    if rules is not None and n_families(rules) > 1:
        raise RulesRefused("a probability cap cannot be combined with diversity rules that cross "
                         "(career-stage minimums beside institution or country rules, or "
                         "institutions spanning countries beside a country limit): the capped "
                         "optimum is computed as a flow, and crossing rules are not one; keep "
                         "one kind of rule or drop the cap")
    cap = cap_fraction(q)
    d = cap.denominator
    scaled = Problem(
        n_proposals=problem.n_proposals, n_reviewers=problem.n_reviewers, proposal_idx=problem.proposal_idx,
        reviewer_idx=problem.reviewer_idx, score=problem.score, affinity=problem.affinity,
        demand=problem.demand * d, capacity=problem.capacity * d, lower=problem.lower * d,
        existing=problem.existing)
    edges, units = optimal_flow(scaled, pair_capacity=cap.numerator, progress=progress,
                                rules=rules, units=d)
    flow = np.zeros(problem.n_pairs, dtype=np.int64)
    flow[edges] = units
    return FractionalAssignment(problem, d, flow, rules)


def draw(fractional: FractionalAssignment, seed: int) -> np.ndarray:
    """Edge indices of one integral assignment drawn with marginals `fractional.probability`."""
    rng = np.random.default_rng(seed)
    problem, d = fractional.problem, fractional.units
    if fractional.rules is not None:
        return _draw_under_rules(fractional, rng)
    value = fractional.flow.copy()
    fractional_pairs = np.flatnonzero((value > 0) & (value < d))
    n_p = problem.n_proposals
    # Both ends of each pair as graph nodes: proposals 0..P-1, reviewers P..P+R-1.
    ends = {int(e): (int(problem.proposal_idx[e]), n_p + int(problem.reviewer_idx[e])) for e in fractional_pairs}
    incident: dict[int, set[int]] = {}
    for e, (a, b) in ends.items():
        incident.setdefault(a, set()).add(e)
        incident.setdefault(b, set()).add(e)
    rounding = _Rounding(value, d, ends, incident, rng)
    # Maximal paths start at nodes with one fractional pair; what is left then consists of cycles.
    for node in sorted(incident):
        while len(incident.get(node, ())) == 1:
            rounding.walk(node)
    for node in sorted(incident):
        while incident.get(node):
            rounding.walk(node)
    return np.flatnonzero(value == d)


def _draw_under_rules(fractional: FractionalAssignment, rng) -> np.ndarray:
    """The draw on the whole network, group arcs included, so that every drawn panel keeps the
    rules (rounding.round_flow): source → proposal → groups → reviewer → sink → source."""
    problem, d = fractional.problem, fractional.units
    n_p, n_r = problem.n_proposals, problem.n_reviewers
    pairs = np.flatnonzero(fractional.flow)
    p, r, flow = problem.proposal_idx[pairs], problem.reviewer_idx[pairs], fractional.flow[pairs]
    scaled = Problem(n_proposals=n_p, n_reviewers=n_r, proposal_idx=p, reviewer_idx=r,
                     score=problem.score[pairs], affinity=problem.affinity[pairs],
                     demand=problem.demand * d, capacity=problem.capacity * d,
                     lower=problem.lower * d)
    src, sink = n_p + n_r, n_p + n_r + 1
    (family,) = families(scaled, fractional.rules, p, r, base=n_p + n_r + 2, units=d)
    proposals, reviewers = np.arange(n_p), n_p + np.arange(n_r)
    tails = np.concatenate([family.pair_tail, family.tail, np.full(n_p, src), reviewers, [sink]])
    heads = np.concatenate([n_p + r, family.head, proposals, np.full(n_r, sink), [src]])
    values = np.concatenate([flow, family.arc_flows(flow), np.bincount(p, flow, n_p),
                             np.bincount(r, flow, n_r), [flow.sum()]]).astype(np.int64)
    rounded = round_flow(tails, heads, values, d, rng)
    return np.sort(pairs[rounded[: len(pairs)] == d])


def solve_randomized(problem: Problem, q: float, seed: int, progress=None,
                     rules: DiversityRules | None = None) -> tuple[Solution, FractionalAssignment]:
    """One drawn assignment (with, as `solve` gives, where it misses a diversity rule) and the
    probabilities it was drawn from."""
    fractional = solve_fractional(problem, q, progress=progress, rules=rules)
    solution = make_solution(problem, draw(fractional, seed), "randomized")
    if fractional.rules is not None:
        solution.rule_shortfalls = rule_shortfalls(problem, fractional.rules, solution.edges)
    return solution, fractional


class _Rounding:
    """The dependent-rounding walk over the fractional pairs (`incident` shrinks as pairs become
    integral: 0 or D units)."""

    def __init__(self, value, d, ends, incident, rng):
        self.value, self.d, self.ends, self.incident, self.rng = value, d, ends, incident, rng

    def walk(self, start: int) -> None:
        """From `start`, follow fractional pairs until a node repeats (a cycle) or none is left
        (a path, maximal when `start` has one fractional pair), and round what was found."""
        nodes, pairs, seen = [start], [], {start: 0}
        while True:
            here = nodes[-1]
            came_by = pairs[-1] if pairs else None
            onward = next((e for e in self.incident.get(here, ()) if e != came_by), None)
            if onward is None:
                if pairs and len(self.incident[start]) > 1:
                    # A dead end reached from inside: `here` has one fractional pair, so a walk
                    # from it finds a maximal path (or a cycle); shifting this path would move
                    # units off `start`, whose total must stay.
                    return self.walk(here)
                if pairs:
                    self._shift(pairs)
                return
            a, b = self.ends[onward]
            there = b if a == here else a
            if there in seen:
                self._shift(pairs[seen[there]:] + [onward])
                return
            seen[there] = len(nodes)
            nodes.append(there)
            pairs.append(onward)

    def _shift(self, pairs: list[int]) -> None:
        """Move units between the two alternating halves of a cycle or path; each pair keeps its
        expectation, and at least one becomes integral."""
        value, d = self.value, self.d
        up, down = pairs[0::2], pairs[1::2]
        alpha = min(min(d - value[e] for e in up), min((value[e] for e in down), default=d))
        beta = min(min(value[e] for e in up), min((d - value[e] for e in down), default=d))
        if self.rng.random() * (alpha + beta) < beta:
            step = alpha
        else:
            step = -beta
        for e in up:
            value[e] += step
        for e in down:
            value[e] -= step
        for e in pairs:
            if value[e] in (0, d):
                a, b = self.ends[e]
                self.incident[a].discard(e)
                self.incident[b].discard(e)
