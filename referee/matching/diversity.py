"""Panel diversity rules (issue 14): what a proposal's new reviewers must look like, as arrays.

Per proposal, over the reviewers this solve assigns to it:

* ``max_per_institution`` n: at most n from any one institution (unknown institution: no limit);
* ``max_per_country`` n: at most n from any one country (unknown country: no limit);
* ``min_foreign`` m: m of its d_p places are *reserved* for reviewers from a country outside its
  applicants' countries (a reviewer whose country is unknown is not known to be outside); the rule
  applies to proposals whose applicants' countries are known;
* ``min_per_stage`` k_s: k_s of its places are reserved for career stage s.

"Reserved places" is how an "at least" becomes exact without ever making the problem infeasible:
with counts c_s per class (outside / not outside, or each stage), a reserve asks
Σ_s max(c_s − k_s, 0) ≤ max(d_p − Σ_s k_s, 0), i.e. the places beyond the reserved ones are the
only ones a class may take beyond its minimum. When the proposal is fully covered (Σ c_s = d_p)
and Σ k_s ≤ d_p this is exactly "c_s ≥ k_s for every s"; when it is not (the pool is short), the
reserved places stay empty rather than go to someone else, and the shortfall is reported in words
(:func:`rule_shortfalls`). For one reserved class this is the cap "at most d_p − m not outside".

**Encoding.** A *family* is a laminar set of these limits, written as a tree of group nodes
between a proposal and its pair arcs (the pair arc's tail becomes its deepest group node):

    proposal →(max(d_p − Σk, 0)) free_p →(d_p) class_{p,c};  proposal →(k_c) class_{p,c}
    class (or proposal) →(n) country_{p,·} →(n) institution_{p,·} → pair arcs

The geographic rules nest (outside-or-not is a function of the country) provided every
institution lies in one country; career stages cut across institutions and countries. So one
family is a flow (the solvers' min-cost flow, :mod:`.solvers.network`); two families (stages with
a geographic rule, or institutions spanning countries with a country rule) are solved as a MILP
over the pairs and every family's group arcs (:mod:`.solvers.crossing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem


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

    def __post_init__(self):
        for name in ("institution", "country", "applicant_countries", "stage", "min_per_stage"):
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

    def outside(self, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        """bool per pair: the reviewer's country is known and none of the applicants'."""
        c = self.country[r]
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

    def needed_arcs(self, pairs: np.ndarray) -> np.ndarray:
        """bool[A]: the arcs on the way from the proposals to ``pairs`` (positions)."""
        needed = np.zeros(self.n_groups, dtype=bool)
        tails = self.pair_tail[pairs]
        needed[tails[tails >= self.base] - self.base] = True
        for d in np.unique(self.depth)[::-1]:
            at = np.flatnonzero((self.depth == d) & needed[self.head - self.base])
            inner = self.tail[at] >= self.base
            needed[self.tail[at[inner]] - self.base] = True
        return needed[self.head - self.base]

    def complete(self, values: np.ndarray, needed: np.ndarray, combine) -> None:
        """Give the groups left out of a network (no needed arc into them) the value a network
        with them would give: ``combine`` (np.minimum for potentials, np.logical_or for the
        source side of a cut) over the tails of their in-arcs with capacity left. In place."""
        absent = ~needed & (self.cap > 0)
        for d in np.unique(self.depth[absent]):
            at = np.flatnonzero(absent & (self.depth == d))
            combine.at(values, self.head[at], values[self.tail[at]])

    def arc_flows(self, pair_flow: np.ndarray) -> np.ndarray:
        """int64[A]: group arc flows carrying ``pair_flow`` (int per pair): subtree sums, and at a
        reserve the proposal's own arc first (up to the reserved places), the free node the rest.
        Only a flow that honours the family fits under the caps."""
        total = np.bincount(self.pair_tail[self.pair_tail >= self.base] - self.base,
                            weights=pair_flow[self.pair_tail >= self.base],
                            minlength=self.n_groups).astype(np.int64)
        flow = np.zeros(len(self.tail), dtype=np.int64)
        for d in np.unique(self.depth)[::-1]:
            at = np.flatnonzero(self.depth == d)
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


class _Builder:
    def __init__(self, p: np.ndarray, demand: np.ndarray, base: int):
        self.p, self.demand, self.base = p.astype(np.int64), demand.astype(np.int64), base
        self.node = self.p.copy()  # each pair's current parent
        self.arcs: list[tuple] = []  # (tails, heads, caps, depth)
        self.n = 0

    def _new(self, count: int) -> np.ndarray:
        ids = self.base + self.n + np.arange(count)
        self.n += count
        return ids

    def reserve(self, cls: np.ndarray, reserved: np.ndarray, units: int) -> None:
        """Reserved places by class: ``cls`` per pair, ``reserved`` per (proposal, class) as an
        int[P, C] array (in places; scaled by ``units``)."""
        total = reserved.sum(axis=1) * units
        applies = total[self.p] > 0
        props = np.unique(self.p[applies])
        free = np.full(len(self.demand), -1, dtype=np.int64)
        free[props] = self._new(len(props))
        self.arcs.append((props, free[props], np.maximum(self.demand[props] - total[props], 0), 1))
        n_cls = reserved.shape[1]
        keys, inverse = np.unique(self.p[applies] * n_cls + cls[applies], return_inverse=True)
        groups = self._new(len(keys))
        kp, kc = keys // n_cls, keys % n_cls
        direct = reserved[kp, kc] > 0
        self.arcs.append((np.r_[kp[direct], free[kp]], np.r_[groups[direct], groups],
                          np.r_[reserved[kp, kc][direct] * units, self.demand[kp]], 2))
        self.node[applies] = groups[inverse.ravel()]

    def cap(self, key: np.ndarray, limit: int, depth: int) -> None:
        """At most ``limit`` (scaled) pairs per (current parent, key) for pairs with key ≥ 0."""
        has = key >= 0
        width = int(key.max()) + 1 if has.any() else 1
        keys, inverse = np.unique(self.node[has] * width + key[has], return_inverse=True)
        groups = self._new(len(keys))
        self.arcs.append((keys // width, groups, np.full(len(keys), limit, dtype=np.int64), depth))
        self.node[has] = groups[inverse.ravel()]

    def family(self) -> Family:
        tails, heads, caps, depths = zip(*self.arcs, strict=True)
        depth = np.concatenate([np.full(len(h), d) for h, d in zip(heads, depths, strict=True)])
        return Family(self.base, self.n, np.concatenate(tails).astype(np.int64),
                      np.concatenate(heads).astype(np.int64),
                      np.concatenate(caps).astype(np.int64), depth, self.node)


def nests_in_countries(rules: DiversityRules) -> bool:
    """Every institution's reviewers share one country (unknown counts as one)."""
    known = rules.institution >= 0
    pairs = np.unique(np.c_[rules.institution[known], rules.country[known]], axis=0)
    return len(np.unique(pairs[:, 0])) == len(pairs)


def _layout(rules: DiversityRules) -> tuple[bool, bool, bool]:
    """(a geographic family, institutions in a family of their own, a stage family)."""
    geo = rules.min_foreign > 0 or rules.max_per_country is not None
    split = rules.max_per_institution is not None and geo and not nests_in_countries(rules)
    stages = rules.min_per_stage is not None and bool(np.any(rules.min_per_stage > 0))
    return geo or rules.max_per_institution is not None, split, stages


def n_families(rules: DiversityRules) -> int:
    """How many laminar families the rules need: 1 is a flow, more a MILP."""
    return sum(_layout(rules))


def families(problem: Problem, rules: DiversityRules, p: np.ndarray, r: np.ndarray, *,
             base: int, units: int = 1) -> list[Family]:
    """The laminar families of ``rules`` over the pairs (p, r), group ids from ``base`` on (each
    family after the previous one). ``units``: places are worth this many flow units (the
    randomized solver's 1/D); ``problem.demand`` is already in units."""
    geo, split, stages = _layout(rules)
    built: list[Family] = []

    def start() -> _Builder:
        return _Builder(p, problem.demand, base + sum(f.n_groups for f in built))

    if geo:
        b = start()
        if rules.min_foreign > 0:
            reserved = np.zeros((problem.n_proposals, 2), dtype=np.int64)
            reserved[rules.applicant_countries.any(axis=1), 1] = rules.min_foreign
            b.reserve(rules.outside(p, r).astype(np.int64), reserved, units)
        if rules.max_per_country is not None:
            b.cap(rules.country[r], rules.max_per_country * units, 3)
        if rules.max_per_institution is not None and not split:
            b.cap(rules.institution[r], rules.max_per_institution * units, 4)
        built.append(b.family())
    if split:
        b = start()
        b.cap(rules.institution[r], rules.max_per_institution * units, 4)
        built.append(b.family())
    if stages:
        b = start()
        k = np.r_[rules.min_per_stage, 0].astype(np.int64)  # the last class: stage unknown
        stage = np.where(rules.stage[r] >= 0, rules.stage[r], len(k) - 1)
        b.reserve(stage, np.broadcast_to(k, (problem.n_proposals, len(k))), units)
        built.append(b.family())
    return built


@dataclass
class RuleShortfall:
    proposal: int
    rule: str  # "min_foreign" | "min_per_stage" | "max_per_institution" | "max_per_country"
    required: int  # places the rule asks for (reserved places, or the demand a cap leaves short)
    reached: int  # what the solution gives
    available: int  # eligible reviewers who could count (with capacity)
    message: str


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def rule_shortfalls(problem: Problem, rules: DiversityRules, edges: np.ndarray) -> list[RuleShortfall]:
    """Where the solution misses an "at least" rule, or a cap leaves a proposal short, and why."""
    n_p = problem.n_proposals
    usable = problem.capacity[problem.reviewer_idx] > 0
    p_all, r_all = problem.proposal_idx[usable], problem.reviewer_idx[usable]
    p_sel, r_sel = problem.proposal_idx[edges], problem.reviewer_idx[edges]
    assigned = np.bincount(p_sel, minlength=n_p)
    wanted = problem.demand.astype(np.int64)
    found: list[RuleShortfall] = []
    if rules.min_foreign > 0:
        known = rules.applicant_countries.any(axis=1)
        available = np.bincount(p_all, weights=rules.outside(p_all, r_all), minlength=n_p)
        got = np.bincount(p_sel, weights=rules.outside(p_sel, r_sel), minlength=n_p)
        required = np.minimum(wanted, rules.min_foreign)
        for i in np.flatnonzero(known & (got < required)):
            where = " or ".join(rules.country_name(c)
                                for c in np.flatnonzero(rules.applicant_countries[i]))
            a, g, q = int(available[i]), int(got[i]), int(required[i])
            why = (f"only {_plural(a, 'eligible reviewer')} outside {where} for proposal {i}"
                   if a < q else
                   f"proposal {i} has {g} of {q} reviewers from outside {where}: the other "
                   f"{a - g} eligible ones are needed by other proposals or other rules")
            found.append(RuleShortfall(int(i), "min_foreign", q, g, a, why))
    if rules.min_per_stage is not None and np.any(rules.min_per_stage > 0):
        k = rules.min_per_stage.astype(np.int64)
        over = np.flatnonzero((wanted > 0) & (wanted < k.sum()))
        for i in over:
            found.append(RuleShortfall(
                int(i), "min_per_stage", int(k.sum()), int(assigned[i]), 0,
                f"proposal {i} wants {_plural(int(wanted[i]), 'reviewer')} but the career-stage "
                f"minimums add up to {int(k.sum())}"))
        stage_all, stage_sel = rules.stage[r_all], rules.stage[r_sel]
        for s in np.flatnonzero(k > 0):
            available = np.bincount(p_all[stage_all == s], minlength=n_p)
            got = np.bincount(p_sel[stage_sel == s], minlength=n_p)
            short = (wanted >= k.sum()) & (got < k[s])
            for i in np.flatnonzero(short):
                a, g, name = int(available[i]), int(got[i]), rules.stage_name(s)
                why = (f"only {_plural(a, 'eligible reviewer')} in career stage {name} for "
                       f"proposal {i} ({k[s]} wanted)" if a < k[s] else
                       f"proposal {i} has {g} of {k[s]} reviewers in career stage {name}: the other "
                       f"{a - g} eligible ones are needed by other proposals or other rules")
                found.append(RuleShortfall(int(i), "min_per_stage", int(k[s]), g, a, why))
    for rule, key, limit, what in (
            ("max_per_institution", rules.institution, rules.max_per_institution,
             ("institution", "institutions")),
            ("max_per_country", rules.country, rules.max_per_country, ("country", "countries"))):
        if limit is None:
            continue
        # The most places the cap leaves each proposal if every eligible reviewer were free.
        g = key[r_all]
        width = int(key.max()) + 1 if len(key) else 1
        cells, counts = np.unique(p_all[g >= 0] * width + g[g >= 0], return_counts=True)
        reach = np.bincount(cells // width, weights=np.minimum(counts, limit), minlength=n_p)
        reach += np.bincount(p_all[g < 0], minlength=n_p)
        groups = np.bincount(cells // width, minlength=n_p)
        for i in np.flatnonzero((assigned < wanted) & (reach < wanted)):
            found.append(RuleShortfall(
                int(i), rule, int(wanted[i]), int(assigned[i]), int(reach[i]),
                f"proposal {i}'s eligible reviewers come from {_plural(int(groups[i]), *what)} "
                f"(at most {limit} each): at most {int(reach[i])} of its "
                f"{int(wanted[i])} places can be filled"))
    return found
