"""Panel diversity rules (issue 14): what a proposal's new reviewers must look like, as arrays.

Per proposal, over the reviewers this solve assigns to it:

* ``max_per_institution`` n: at most n from any one institution (unknown institution: no limit);
* ``max_per_country`` n: at most n from any one country (unknown country: no limit);
* ``min_foreign`` m: m of its d_p places are *reserved* for reviewers from a country outside its
  applicants' countries (a reviewer whose country is unknown is not known to be outside); the rule
  applies to proposals whose applicants' countries are known;
* ``min_per_stage`` k_s: k_s of its places are reserved for career stage s.

Reviewers a proposal already holds (``held``, a top-up) count too: they take their part of each
cap and minimum first, and the solve gets what is left (:mod:`.diversity_panels`).

"Reserved places" is how an "at least" becomes exact without ever making the problem infeasible:
with counts c_s per class (outside / not outside, or each stage), a reserve asks
Σ_s max(c_s − k_s, 0) ≤ max(d_p − Σ_s k_s, 0), i.e. the places beyond the reserved ones are the
only ones a class may take beyond its minimum. When the proposal is fully covered (Σ c_s = d_p)
and Σ k_s ≤ d_p this is exactly "c_s ≥ k_s for every s"; when it is not (the pool is short), the
reserved places stay empty rather than go to someone else, and the shortfall is reported in words
(:mod:`.diversity_shortfalls`). For one reserved class this is the cap "at most d_p − m not outside".

**Encoding.** A *family* is a laminar set of these limits, written as a tree of group nodes
between a proposal and its pair arcs (the pair arc's tail becomes its deepest group node):

    proposal →(max(d_p − Σk, 0)) free_p →(d_p) class_{p,c};  proposal →(k_c) class_{p,c}
    class (or proposal) →(n) country_{p,·} →(n) institution_{p,·} → pair arcs

With one reserved class (the "outside" rule, or a single stage minimum) the reserve is exactly a
cap, "the other classes take at most max(d_p − k, 0)": one group instead of three.

The geographic rules nest (outside-or-not is a function of the country) provided every
institution lies in one country; career stages cut across institutions and countries. So one
family is a flow (the solvers' min-cost flow, :mod:`.solvers.network`); two families (stages with
a geographic rule, or institutions spanning countries with a country rule) are solved as a MILP
over the pairs and every family's group arcs (:mod:`.solvers.crossing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .problem import Problem


class RulesRefused(ValueError):
    """Rules a solver cannot take on this call, in words for the call manager (a bad input is a
    plain ValueError)."""


@dataclass(frozen=True)
class DiversityRules:
    institution: np.ndarray | None = None  # int[R], −1 unknown
    country: np.ndarray | None = None  # int[R], −1 unknown
    applicant_countries: np.ndarray | None = None  # bool[P, C]; a row without True: unknown
    stage: np.ndarray | None = None  # int[R], −1 unknown
    max_per_institution: int | None = None
    max_per_country: int | None = None
    min_foreign: int = 0
    min_per_stage: np.ndarray | None = None  # int[S], places reserved for each stage
    country_names: tuple[str, ...] = ()  # for the shortfalls' words; "country 3" otherwise
    stage_names: tuple[str, ...] = ()
    # int[H, 2]: (proposal, reviewer) pairs already on the panels (a top-up): the rules count
    # them too, so a solve gets only what they leave of each cap and minimum (diversity_panels).
    held: np.ndarray | None = None

    def __post_init__(self):
        for name in ("institution", "country", "applicant_countries", "stage", "min_per_stage", "held"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, np.asarray(value))

    @property
    def active(self) -> bool:
        return (self.max_per_institution is not None or self.max_per_country is not None
                or self.min_foreign > 0
                or (self.min_per_stage is not None and bool(np.any(self.min_per_stage > 0))))

    def validate(self, problem: Problem) -> None:
        """Raise ValueError (in words) unless the rules fit the problem."""
        n_p, n_r = problem.n_proposals, problem.n_reviewers
        for name, limit in (("max_per_institution", self.max_per_institution),
                            ("max_per_country", self.max_per_country)):
            if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 1):
                raise ValueError(f"{name} must be a whole number of at least 1")
        if not isinstance(self.min_foreign, (int, np.integer)) or self.min_foreign < 0:
            raise ValueError("min_foreign must be a whole number of at least 0")
        needs = {"institution": self.max_per_institution is not None,
                 "country": self.max_per_country is not None or self.min_foreign > 0,
                 "stage": self.min_per_stage is not None}
        for name, needed in needs.items():
            value = getattr(self, name)
            if needed and value is None:
                raise ValueError(f"the rules need each reviewer's {name}")
            if value is not None and (value.shape != (n_r,) or value.dtype.kind not in "iu"
                                      or (n_r and value.min() < -1)):
                raise ValueError(f"{name} must hold one id per reviewer (−1: unknown)")
        if self.min_per_stage is not None:
            k = self.min_per_stage
            if k.ndim != 1 or k.dtype.kind not in "iu" or (len(k) and k.min() < 0):
                raise ValueError("min_per_stage must hold a whole number ≥ 0 per stage")
            if n_r and self.stage.max() >= len(k):
                raise ValueError("a reviewer's stage has no entry in min_per_stage")
        if self.min_foreign > 0:
            mask = self.applicant_countries
            if mask is None or mask.ndim != 2 or mask.shape[0] != n_p or mask.dtype != bool:
                raise ValueError("applicant_countries must be a proposals × countries boolean mask")
            if n_r and self.country.max() >= mask.shape[1]:
                raise ValueError("a reviewer's country has no column in applicant_countries")
        held = self.held
        if held is not None and (held.ndim != 2 or held.shape[1] != 2 or held.dtype.kind not in "iu" or (
                len(held) and (held.min() < 0 or held[:, 0].max() >= n_p or held[:, 1].max() >= n_r))):
            raise ValueError("held must hold (proposal, reviewer) index pairs")

    def outside(self, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        """bool per pair: the reviewer's country is known and none of the applicants'."""
        return self.outside_country(p, self.country[r])

    def outside_country(self, p: np.ndarray, c: np.ndarray) -> np.ndarray:
        return (c >= 0) & ~self.applicant_countries[p, np.maximum(c, 0)]

    def country_name(self, c: int) -> str:
        return self.country_names[c] if 0 <= c < len(self.country_names) else f"country {c}"

    def stage_name(self, s: int) -> str:
        return self.stage_names[s] if 0 <= s < len(self.stage_names) else str(s)


@dataclass
class Family:
    """A laminar family of group limits as a tree of group arcs (see the module docstring).

    Group g is node ``base + g``; a proposal is node p. Arcs are ordered by their head's depth, and
    each head has at most one in-arc from a group node (the free node of a reserve), any others
    come from the proposal."""

    base: int
    n_groups: int
    tail: np.ndarray  # int64[A]
    head: np.ndarray  # int64[A]
    cap: np.ndarray  # int64[A]
    depth: np.ndarray  # int64[A], depth of the head (ascending)
    pair_tail: np.ndarray  # int64[E], where each pair's arc starts

    @cached_property
    def _levels(self) -> list[np.ndarray]:
        """Positions of the arcs into each depth's groups, shallowest first (a range each)."""
        cuts = np.r_[0, np.flatnonzero(np.diff(self.depth)) + 1, len(self.depth)]
        return [np.arange(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]

    @cached_property
    def _inner_levels(self) -> list[np.ndarray]:  # per level, its arcs out of a group node
        return [at[self.tail[at] >= self.base] for at in self._levels]

    @cached_property
    def _capped(self) -> tuple[np.ndarray, np.ndarray]:  # (group, cap) of each cap group (depth ≥ 3)
        at = slice(int(np.searchsorted(self.depth, 3)), None)
        return self.head[at] - self.base, self.cap[at]

    def network_arcs(self, pairs: np.ndarray, pair_capacity: int) -> tuple[np.ndarray, np.ndarray]:
        """(bool per group: kept in a network on ``pairs`` (positions), the node standing for
        each node with pairs there). A group without pairs there is left out; so is a cap group
        whose pairs there cannot exceed its cap (each cap group below passing at most its own):
        merged into its parent (its pairs start there), exact as the cap cannot bind there, and
        the parent's potential is valid for it (reduced cost 0). Reserve groups are kept."""
        below = self._below(pairs, pair_capacity, capped=True)
        keep, groups = below > 0, self._capped[0]
        keep[groups] = below[groups] > self._capped[1]
        merged = (below > 0) & ~keep
        stand = np.arange(self.base + self.n_groups)
        for at in self._levels:
            at = at[merged[self.head[at] - self.base]]
            stand[self.head[at]] = stand[self.tail[at]]
        return keep, stand

    def _below(self, pairs: np.ndarray, amount, capped: bool = False) -> np.ndarray:
        """Per group: what the pairs at ``pairs`` below it carry, ``amount`` (array or one) each;
        ``capped``: no more than its cap through each cap group (all a flow honouring them can)."""
        tails = self.pair_tail[pairs]
        inner = tails >= self.base
        each = np.broadcast_to(amount, tails.shape)[inner]
        total = np.bincount(tails[inner] - self.base, weights=each, minlength=self.n_groups)
        for at in reversed(self._inner_levels):
            at = at[total[self.head[at] - self.base] > 0]  # most groups hold none of the pairs
            carried = total[self.head[at] - self.base]
            if capped and len(at) and self.depth[at[0]] >= 3:
                np.minimum(carried, self.cap[at], out=carried)
            np.add.at(total, self.tail[at] - self.base, carried)
        return total

    def over_cap(self, pairs: np.ndarray, amount, capped: bool = False) -> np.ndarray:
        """bool per group: a cap group whose pairs at ``pairs`` carry more than its cap when each
        carries ``amount`` (per pair, or one for all); ``capped``: see :meth:`_below`."""
        groups, caps = self._capped
        over = np.zeros(self.n_groups, dtype=bool)
        over[groups] = self._below(pairs, amount, capped)[groups] > caps
        return over

    def complete(self, values: np.ndarray, needed: np.ndarray, combine) -> None:
        """Give the groups left out of a network (no needed arc into them) the value a network
        with them would give: ``combine`` (np.minimum for potentials, np.logical_or for the
        source side of a cut) over the tails of their in-arcs with capacity left. In place."""
        absent = ~needed & (self.cap > 0)
        for at in self._levels:
            at = at[absent[at]]
            combine.at(values, self.head[at], values[self.tail[at]])

    def arc_flows(self, pair_flow: np.ndarray) -> np.ndarray:
        """int64[A]: group arc flows carrying ``pair_flow`` (int per pair): subtree sums, and at a
        reserve the proposal's own arc first (up to the reserved places), the free node the rest.
        Only a flow that honours the family fits under the caps."""
        total = np.bincount(self.pair_tail[self.pair_tail >= self.base] - self.base,
                            weights=pair_flow[self.pair_tail >= self.base],
                            minlength=self.n_groups).astype(np.int64)
        flow = np.zeros(len(self.tail), dtype=np.int64)
        for at in reversed(self._levels):
            own = at[self.tail[at] < self.base]
            flow[own] = np.minimum(self.cap[own], total[self.head[own] - self.base])
            np.subtract.at(total, self.head[own] - self.base, flow[own])
            inner = at[self.tail[at] >= self.base]
            flow[inner] = total[self.head[inner] - self.base]
            total[self.head[inner] - self.base] = 0
            np.add.at(total, self.tail[inner] - self.base, flow[inner])
        return flow

    def honoured_by(self, pair_flow: np.ndarray) -> bool:
        flow = self.arc_flows(pair_flow)
        left = np.bincount(self.head - self.base, weights=flow, minlength=self.n_groups)
        inner = self.pair_tail >= self.base
        below = np.bincount(self.pair_tail[inner] - self.base, weights=pair_flow[inner],
                            minlength=self.n_groups)
        below += np.bincount(self.tail[self.tail >= self.base] - self.base,
                             weights=flow[self.tail >= self.base], minlength=self.n_groups)
        return bool(np.all(flow <= self.cap) and np.all(left == below))


def nests_in_countries(rules: DiversityRules) -> bool:
    """Every institution's reviewers share one country (unknown counts as one)."""
    known = rules.institution >= 0
    pairs = np.unique(np.c_[rules.institution[known], rules.country[known]], axis=0)
    return len(np.unique(pairs[:, 0])) == len(pairs)


def layout(rules: DiversityRules) -> tuple[bool, bool, bool]:
    """(a geographic family, institutions in a family of their own, a stage family)."""
    geo = rules.min_foreign > 0 or rules.max_per_country is not None
    split = rules.max_per_institution is not None and geo and not nests_in_countries(rules)
    stages = rules.min_per_stage is not None and bool(np.any(rules.min_per_stage > 0))
    return geo or rules.max_per_institution is not None, split, stages


def n_families(rules: DiversityRules) -> int:
    """How many laminar families the rules need: 1 is a flow, more a MILP."""
    return sum(layout(rules))
