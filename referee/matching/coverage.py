"""Why a call cannot be fully covered, and what would cover it, from the flow's minimum cut
(issue 13). Arrays in (demand per proposal, capacity per reviewer, eligible pairs), findings out.

The most reviews any assignment can give is the max-flow F of source →(d_p) proposal →(1)
reviewer →(cap_r) sink; the solvers fill exactly F slots (§5.3, level 1). What is missing,
Σd − F, splits in two:

* **too few eligible reviewers**: a proposal with deg_p < d_p eligible pairs misses d_p − deg_p
  whatever the capacities. Only new eligible reviewers (or relaxed rules) help.
* **capacity**: with each demand capped at deg_p, the rest, D = Σ min(d_p, deg_p) − F, is Hall's
  deficiency. The source side of the minimum cut (what the residual network reaches from the
  source) holds the proposals A that together need D more reviews than their eligible reviewers
  can give, and the reviewers B of A that are all at capacity: d(A) − cap(B) − e(A, R∖B) = D.
  A is the smallest such set (any other set with a shortfall contains it), so the fix is said
  for these proposals and reviewers only.

Each fix is the least of its kind, found by max-flows (so it is checked, not estimated; the lower
bound ⌈D / |B|⌉ or ⌈D / min(c, |A|)⌉ is usually it, so mostly one solve each): raising
the capacity of every reviewer of B by `raise_by` covers A (raising them to e(A, r) always does),
and so do `invite` new reviewers eligible for all of A with the capacity a new reviewer gets
(D of them always do). Both fixes together with the first part's invitations cover the call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow


@dataclass
class TooFewEligible:
    proposals: np.ndarray  # indices of proposals with fewer eligible reviewers than they need
    missing: np.ndarray  # per listed proposal, d_p − deg_p
    invite: int  # new reviewers, each eligible for all of them, that make up the difference


@dataclass
class CapacityCut:
    proposals: np.ndarray  # A: the source side's proposals
    reviewers: np.ndarray  # B: their reviewers, all at capacity
    missing: int  # D, Hall's deficiency of A
    raise_by: int  # raising each of B's capacities by this covers A
    invite: int  # or this many new reviewers eligible for all of A


@dataclass
class Diagnosis:
    demand: int  # Σ d_p
    max_flow: int  # F: the most reviews any assignment gives
    too_few_eligible: TooFewEligible | None
    capacity: CapacityCut | None

    @property
    def deficiency(self) -> int:
        return self.demand - self.max_flow


def diagnose(demand, capacity, proposal_idx, reviewer_idx, *, new_capacity: int) -> Diagnosis:
    """What falls short and what covers it; `new_capacity` (≥ 1) is how many proposals a newly
    invited reviewer may take. Pairs are the eligible (proposal, reviewer) pairs, each once."""
    if new_capacity < 1:
        raise ValueError("new_capacity must be at least 1")
    demand, capacity = np.asarray(demand, dtype=np.int64), np.asarray(capacity, dtype=np.int64)
    p, r = np.asarray(proposal_idx, dtype=np.int64), np.asarray(reviewer_idx, dtype=np.int64)
    network = _Network(len(demand), len(capacity), p, r)
    degree = np.bincount(p, minlength=len(demand))
    # A proposal gets at most one unit per eligible pair, so capping its demand at its degree
    # leaves the max-flow unchanged: one solve gives F and the capacity part's cut.
    reachable = np.minimum(demand, degree)
    flow, side = network.solve(reachable, capacity) if reachable.any() else (0, None)
    total = int(demand.sum())
    if flow == total:
        return Diagnosis(total, flow, None, None)
    short = np.flatnonzero(degree < demand)
    too_few = None
    if len(short):
        missing = demand[short] - degree[short]
        too_few = TooFewEligible(short, missing, reviewers_to_invite(missing, new_capacity))
    cut = None
    if flow < reachable.sum():
        cut = _capacity_cut(network, reachable, capacity, side, int(reachable.sum()) - flow, new_capacity)
    return Diagnosis(total, flow, too_few, cut)


def reviewers_to_invite(missing, new_capacity: int) -> int:
    """New reviewers, each eligible for every listed proposal and taking at most `new_capacity`,
    that give proposal i `missing[i]` more reviewers: one each per proposal, and enough places."""
    missing = np.asarray(missing)
    if not missing.sum():
        return 0
    return max(int(missing.max()), math.ceil(int(missing.sum()) / new_capacity))


def _capacity_cut(network, demand, capacity, side, missing: int, new_capacity: int) -> CapacityCut:
    n_p = len(demand)
    proposals = np.flatnonzero(side[:n_p])
    reviewers = np.flatnonzero(side[n_p:n_p + len(capacity)])
    target = int(demand.sum())
    in_a = side[:n_p][network.p]
    into_b = np.bincount(network.r[in_a], minlength=len(capacity))[reviewers]  # e(A, r) for r in B

    def raised(x):
        more = capacity.copy()
        more[reviewers] += x
        return network.solve(demand, more)[0] == target

    def invited(n):
        return network.solve(demand, capacity, invited=(proposals, n, new_capacity))[0] == target

    raise_by = _least(raised, math.ceil(missing / len(reviewers)), int(into_b.max()))
    invite = _least(invited, math.ceil(missing / min(new_capacity, len(proposals))), missing)
    return CapacityCut(proposals, reviewers, missing, raise_by, invite)


def _least(covers, low: int, high: int) -> int:
    """The least x in [low, high] with covers(x), which holds at high (monotone: more helps).
    The lower bound is usually it, so steps grow from there (each step is a max-flow)."""
    fails, x, step = max(1, min(low, high)) - 1, max(1, min(low, high)), 1
    while x < high and not covers(x):
        fails, x, step = x, min(high, x + step), step * 2
    while fails + 1 < x:  # covers(x), not covers(fails)
        middle = (fails + x) // 2
        fails, x = (fails, middle) if covers(middle) else (middle, x)
    return x


class _Network:
    """source → proposal (d_p) → reviewer (1 per eligible pair) → sink (cap_r). Pairs of zero
    capacity stay in the network, so a reviewer with no place left is still found on the cut's
    source side."""

    def __init__(self, n_p: int, n_r: int, p: np.ndarray, r: np.ndarray):
        self.n_p, self.n_r, self.p, self.r = n_p, n_r, p, r

    def solve(self, demand, capacity, invited=None) -> tuple[int, np.ndarray]:
        """(max-flow value, source side of the minimal minimum cut as a mask over the nodes).

        `invited` = (proposals, n, c) adds n new reviewers, each eligible for all those proposals
        and taking c, as one node: proposal →(n) new →(n·c) sink. Identical reviewers eligible for
        the same proposals can carry any such flow (each proposal gets at most one unit from each,
        and at most n in all), so the one node is exact and adds |proposals| arcs, not n times that."""
        n_p, n_r = self.n_p, self.n_r
        proposals, n_new, new_capacity = invited if invited is not None else (np.zeros(0, dtype=np.int64), 0, 0)
        new, source, sink = n_p + n_r, n_p + n_r + 1, n_p + n_r + 2
        flow = max_flow.SimpleMaxFlow()
        flow.add_arcs_with_capacity(
            np.concatenate([np.full(n_p, source), self.p, n_p + np.arange(n_r), proposals, [new]]).astype(np.int32),
            np.concatenate([np.arange(n_p), n_p + self.r, np.full(n_r, sink), np.full(len(proposals), new),
                            [sink]]).astype(np.int32),
            np.concatenate([demand, np.ones(len(self.p)), capacity, np.full(len(proposals), n_new),
                            [n_new * new_capacity]]).astype(np.int64))
        if flow.solve(source, sink) != flow.OPTIMAL:
            raise RuntimeError("max-flow failed")
        side = np.zeros(sink + 1, dtype=bool)
        side[flow.get_source_side_min_cut()] = True
        return int(flow.optimal_flow()), side
