"""The laminar families of the diversity rules (:mod:`.diversity`) as group nodes over the pairs:
what the flow (:mod:`.solvers.network`) and the MILP (:mod:`.solvers.crossing`) encode. The
encoding is described in :mod:`.diversity`; held reviewers' share of each cap and minimum comes
from :mod:`.diversity_panels`."""

from __future__ import annotations

import numpy as np

from . import diversity_panels as panels
from .diversity import DiversityRules, Family, layout
from .problem import Problem


class _Builder:
    """Builds a family level by level over *items*: cells (proposal, reviewer type) holding
    ``weight`` pairs each, a type being what the family's levels can tell reviewers apart by.
    A group is identified by (proposal, key), exact because each level nests in the one above
    (checked by :func:`.diversity.layout`), so group ids come from flags over the P × keys cells."""

    def __init__(self, p: np.ndarray, weight: np.ndarray, demand: np.ndarray, base: int):
        self.p, self.weight = p, weight
        self.demand, self.base = demand.astype(np.int64), base
        self.node = self.p.copy()  # each item's current parent
        self.bound = self.demand[self.p]  # the least cap above each item's current parent
        self.arcs: list[tuple] = []  # (tails, heads, caps, depth)
        self.n = 0

    def _groups(self, items: np.ndarray, cell: np.ndarray, cells: int):
        """Groups of ``items`` by ``cell`` (< cells): (each item's group, each group's id, cell
        and parent)."""
        present = np.zeros(cells, dtype=bool)
        present[cell] = True
        rank = np.cumsum(present) - 1
        count = int(rank[-1]) + 1 if cells else 0
        ids = self.base + self.n + np.arange(count)
        self.n += count
        parent = np.empty(count, dtype=np.int64)
        parent[rank[cell]] = self.node[items]
        return ids[rank[cell]], ids, np.flatnonzero(present), parent

    def reserve(self, cls: np.ndarray, reserved: np.ndarray, units: int) -> None:
        """Reserved places by class: ``cls`` per item, ``reserved`` per (proposal, class) as an
        int[P, C] array (in places; scaled by ``units``)."""
        n_p, n_cls = reserved.shape
        total = reserved.sum(axis=1) * units
        with_places = np.flatnonzero(reserved.any(axis=0))
        if len(with_places) == 1:
            # One class c with places: Σ max(n − k, 0) ≤ max(d − k_c, 0) is then exactly "the
            # other classes take at most max(d − k_c, 0)": one cap group, which a subset network
            # can merge away where it cannot bind (Family.network_arcs).
            items = np.flatnonzero((total[self.p] > 0) & (cls != with_places[0]))
            group_of, ids, props, parent = self._groups(items, self.p[items], n_p)
            self.arcs.append((parent, ids, np.maximum(self.demand[props] - total[props], 0), 3))
            self.node[items] = group_of
            self.bound[items] = np.maximum(self.demand[self.p[items]] - total[self.p[items]], 0)
            return
        items = np.flatnonzero(total[self.p] > 0)
        _, free_ids, props, _ = self._groups(items, self.p[items], n_p)
        free = np.full(n_p, -1, dtype=np.int64)
        free[props] = free_ids
        self.arcs.append((props, free_ids, np.maximum(self.demand[props] - total[props], 0), 1))
        group_of, groups, cells, _ = self._groups(items, self.p[items] * n_cls + cls[items],
                                                  n_p * n_cls)
        kp, kc = cells // n_cls, cells % n_cls
        direct = reserved[kp, kc] > 0
        self.arcs.append((np.r_[kp[direct], free[kp]], np.r_[groups[direct], groups],
                          np.r_[reserved[kp, kc][direct] * units, self.demand[kp]], 2))
        self.node[items] = group_of

    def cap(self, key: np.ndarray, limit: int, units: int, depth: int, used: np.ndarray | None = None,
            alone: bool = False) -> None:
        """At most ``limit`` places per (proposal, key) for items with key ≥ 0, less what held
        reviewers already ``used`` of the item's group. A group that can never exceed it gets no
        node: no more pairs than that, or a cap above no larger (2 per country inside "2 from the
        applicants' countries"). ``alone``: no two items share a cell."""
        has = key >= 0
        left = np.broadcast_to(np.maximum(limit - (0 if used is None else used), 0), key.shape)  # places
        first = self.base + self.n
        if alone:
            items = np.flatnonzero(has & (self.weight > left) & (self.bound > left * units))
            ids = group_of = first + np.arange(len(items))
            parent, self.n = self.node[items], self.n + len(items)
        else:
            width = int(key.max()) + 1 if len(key) and key.max() >= 0 else 1
            cell = self.p * width + key
            counts = np.bincount(cell[has], weights=self.weight[has], minlength=len(self.demand) * width)
            items = np.flatnonzero(has & (counts[np.where(has, cell, 0)] > left) & (self.bound > left * units))
            group_of, ids, _, parent = self._groups(items, cell[items], len(self.demand) * width)
        caps = np.zeros(len(ids), dtype=np.int64)
        caps[group_of - first] = left[items] * units
        self.arcs.append((parent, ids, caps, depth))
        self.node[items] = group_of
        self.bound[items] = left[items] * units

    def family(self, cells: tuple) -> Family:
        """The family, each pair starting where its item ends (``cells``: from :func:`_items`)."""
        tails, heads, caps, depths = zip(*self.arcs, strict=True)
        depth = np.concatenate([np.full(len(h), d) for h, d in zip(heads, depths, strict=True)])
        item_cell, pair_cell, n_cells = cells
        node = np.zeros(n_cells, dtype=np.int64)  # by cell: each pair's cell is its item's
        node[item_cell] = self.node
        return Family(self.base, self.n, np.concatenate(tails).astype(np.int64),
                      np.concatenate(heads).astype(np.int64),
                      np.concatenate(caps).astype(np.int64), depth, node[pair_cell])


def _items(p: np.ndarray, r: np.ndarray, kind: np.ndarray, n_p: int, n_kinds: int):
    """(proposal, kind, weight) of the non-empty (proposal, reviewer kind) cells, and (their ids,
    each pair's, how many): the builder works on these instead of millions of pairs."""
    cell = np.multiply(p, n_kinds, dtype=np.int64)
    cell += kind[r]  # in place: the pair-sized arrays are the big ones
    weight = np.bincount(cell, minlength=n_p * n_kinds)
    cells = np.flatnonzero(weight)
    return cells // n_kinds, cells % n_kinds, weight[cells], (cells, cell, n_p * n_kinds)


def _ids(values: np.ndarray) -> int:
    return int(values.max()) + 1 if len(values) and values.max() >= 0 else 0


def families(problem: Problem, rules: DiversityRules, p: np.ndarray, r: np.ndarray, *,
             base: int, units: int = 1) -> list[Family]:
    """The laminar families of ``rules`` over the pairs (p, r), group ids from ``base`` on (each
    family after the previous one). ``units``: places are worth this many flow units (the
    randomized solver's 1/D); ``problem.demand`` is already in units."""
    geo, split, stages = layout(rules)
    n_p = problem.n_proposals
    built: list[Family] = []

    def start(kind: np.ndarray, n_kinds: int):
        ip, ik, weight, cells = _items(p, r, kind, n_p, n_kinds)
        return _Builder(ip, weight, problem.demand, base + sum(f.n_groups for f in built)), ik, cells

    with_institutions = rules.max_per_institution is not None and not split
    if geo or with_institutions:
        # Reviewer kinds: institution i (when institutions are capped here), else country c,
        # else "unknown"; each kind has one institution and one country (they nest).
        n_i = _ids(rules.institution) if with_institutions else 0
        country = rules.country if rules.country is not None else np.full(problem.n_reviewers, -1)
        n_c = _ids(country)
        institution_country = np.full(n_i, -1)
        kind = np.where(country >= 0, n_i + country, n_i + n_c)
        if with_institutions:
            known = rules.institution >= 0
            institution_country[rules.institution[known]] = country[known]
            kind = np.where(known, rules.institution, kind)
        kind_country = np.r_[institution_country, np.arange(n_c), -1]
        kind_institution = np.r_[np.arange(n_i), np.full(n_c + 1, -1)]
        b, ik, cells = start(kind, n_i + n_c + 1)
        if rules.min_foreign > 0:
            reserved = np.zeros((n_p, 2), dtype=np.int64)
            known = rules.applicant_countries.any(axis=1)
            reserved[known, 1] = panels.foreign_still_needed(rules, n_p)[known]
            b.reserve(rules.outside_country(b.p, kind_country[ik]).astype(np.int64), reserved, units)
        if rules.max_per_country is not None:
            b.cap(kind_country[ik], rules.max_per_country, units, 4,
                  panels.held_in_cap(rules, "max_per_country", b.p, kind_country[ik]))
        if with_institutions:
            b.cap(kind_institution[ik], rules.max_per_institution, units, 5,
                  panels.held_in_cap(rules, "max_per_institution", b.p, kind_institution[ik]), alone=True)
        built.append(b.family(cells))
    if split:
        n_i = _ids(rules.institution)
        b, ik, cells = start(np.where(rules.institution >= 0, rules.institution, n_i), n_i + 1)
        b.cap(np.where(ik < n_i, ik, -1), rules.max_per_institution, units, 5,
              panels.held_in_cap(rules, "max_per_institution", b.p, np.where(ik < n_i, ik, -1)), alone=True)
        built.append(b.family(cells))
    if stages:
        k = panels.stages_still_needed(rules, n_p)  # the last class: stage unknown
        b, ik, cells = start(np.where(rules.stage >= 0, rules.stage, k.shape[1] - 1), k.shape[1])
        b.reserve(ik, k, units)
        built.append(b.family(cells))
    return built
