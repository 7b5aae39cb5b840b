"""The diversity rules (issue 14) over whole panels: what the reviewers a proposal already holds
take of each rule before a top-up solve, whether a panel meets each rule, and which rule an edit
of a panel breaks. Pure: arrays in, records out. A panel is given as pairs (proposal p,
reviewer r), indices into the rules' arrays, as :class:`.diversity.DiversityRules.held` is. `rules`
is always such a DiversityRules (not imported here: diversity.py imports this module)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAPS = ("max_per_institution", "max_per_country")
MINIMUMS = ("min_foreign", "min_per_stage")


def count_in(p: np.ndarray, key: np.ndarray, at_p: np.ndarray, at_key: np.ndarray) -> np.ndarray:
    """int64 per query cell (at_p, at_key): how many of the pairs (p, key) fall in it. A key < 0
    (unknown) belongs to no cell."""
    at_p, at_key = np.asarray(at_p, dtype=np.int64), np.asarray(at_key, dtype=np.int64)
    known = key >= 0
    width = max(int(key.max(initial=-1)), int(at_key.max(initial=-1))) + 1
    cells, counts = np.unique(p[known].astype(np.int64) * width + key[known], return_counts=True)
    if not len(cells):
        return np.zeros(len(at_p), dtype=np.int64)
    query = at_p * width + at_key
    position = np.minimum(np.searchsorted(cells, query), len(cells) - 1)
    return np.where((at_key >= 0) & (cells[position] == query), counts[position], 0)


def cap_key(rules, rule: str) -> np.ndarray:
    """Each reviewer's group under a cap rule (−1: unknown, never capped)."""
    return rules.institution if rule == "max_per_institution" else rules.country


def cap_limit(rules, rule: str) -> int | None:
    return rules.max_per_institution if rule == "max_per_institution" else rules.max_per_country


def outside_count(rules, p: np.ndarray, r: np.ndarray, n_p: int) -> np.ndarray:
    """int64[P]: each proposal's reviewers from outside its applicants' countries."""
    if not len(p):
        return np.zeros(n_p, dtype=np.int64)
    return np.bincount(p, weights=rules.outside(p, r), minlength=n_p).astype(np.int64)


def stage_counts(rules, p: np.ndarray, r: np.ndarray, n_p: int) -> np.ndarray:
    """int64[P, S + 1]: each proposal's reviewers per career stage, the last column unknown."""
    n_s = len(rules.min_per_stage)
    stage = np.where(rules.stage[r] >= 0, rules.stage[r], n_s)
    return np.bincount(p.astype(np.int64) * (n_s + 1) + stage, minlength=n_p * (n_s + 1)).reshape(n_p, n_s + 1)


def held_pairs(rules) -> tuple[np.ndarray, np.ndarray]:
    held = np.zeros((0, 2), dtype=np.int64) if rules.held is None else rules.held
    return held[:, 0], held[:, 1]


def held_in_cap(rules, rule: str, at_p: np.ndarray, at_key: np.ndarray) -> np.ndarray:
    """Places the held reviewers already take in each (proposal, group) of a cap rule."""
    hp, hr = held_pairs(rules)
    return count_in(hp, cap_key(rules, rule)[hr], at_p, at_key)


def foreign_still_needed(rules, n_p: int) -> np.ndarray:
    """int64[P]: the places from outside the applicants' countries a top-up must still reserve."""
    hp, hr = held_pairs(rules)
    return np.maximum(rules.min_foreign - outside_count(rules, hp, hr, n_p), 0)


def stages_still_needed(rules, n_p: int) -> np.ndarray:
    """int64[P, S + 1]: the places per career stage a top-up must still reserve (unknown: 0)."""
    hp, hr = held_pairs(rules)
    k = np.r_[rules.min_per_stage, 0].astype(np.int64)
    return np.maximum(k - stage_counts(rules, hp, hr, n_p), 0)


@dataclass
class Breach:
    """A rule an edit breaks on one proposal's panel."""

    proposal: int
    rule: str  # one of CAPS or MINIMUMS
    limit: int  # the cap, or the minimum
    count: int  # the panel's count after the edit
    reviewers: list[int]  # over a cap: the group's reviewers after; a minimum: those the edit takes away
    group: int = -1  # the institution or country over its cap
    stage: int = -1  # the career stage whose minimum is missed


def breaches(rules, before: tuple[np.ndarray, np.ndarray],
             after: tuple[np.ndarray, np.ndarray], n_p: int) -> list[Breach]:
    """Where changing the panels from `before` to `after` (pairs (p, r)) breaks a rule: a group
    over its cap that the edit makes larger, or a minimum that was met and no longer is (the
    "outside" minimum only where the applicants' countries are known)."""
    (bp, br), (ap, ar) = before, after
    found: list[Breach] = []
    for rule in CAPS:
        limit = cap_limit(rules, rule)
        if limit is None:
            continue
        key = cap_key(rules, rule)
        now = count_in(ap, key[ar], ap, key[ar])
        grew = (now > limit) & (now > count_in(bp, key[br], ap, key[ar]))
        for p, g in sorted({(int(p), int(g)) for p, g in zip(ap[grew], key[ar][grew], strict=True)}):
            members = [int(r) for r in ar[(ap == p) & (key[ar] == g)]]
            found.append(Breach(p, rule, limit, len(members), members, group=g))
    if rules.min_foreign > 0:
        was, now = outside_count(rules, bp, br, n_p), outside_count(rules, ap, ar, n_p)
        known = rules.applicant_countries.any(axis=1)
        for p in np.flatnonzero(known & (was >= rules.min_foreign) & (now < rules.min_foreign)):
            gone = _gone(bp, br, ap, ar, p, rules.outside(bp, br))
            found.append(Breach(int(p), "min_foreign", rules.min_foreign, int(now[p]), gone))
    if rules.min_per_stage is not None:
        k = rules.min_per_stage
        was, now = stage_counts(rules, bp, br, n_p)[:, :-1], stage_counts(rules, ap, ar, n_p)[:, :-1]
        for p, s in zip(*np.nonzero((k > 0) & (was >= k) & (now < k)), strict=True):
            gone = _gone(bp, br, ap, ar, p, rules.stage[br] == s)
            found.append(Breach(int(p), "min_per_stage", int(k[s]), int(now[p, s]), gone, stage=int(s)))
    return found


def _gone(bp, br, ap, ar, p, counted) -> list[int]:
    """The reviewers of proposal p's panel that count for a minimum and leave it."""
    staying = set(ar[ap == p].tolist())
    return [int(r) for r in br[(bp == p) & counted] if r not in staying]


def meets(rules, p: np.ndarray, r: np.ndarray, n_p: int) -> dict[str, np.ndarray]:
    """Per configured rule, float[P]: 1 where a proposal's panel meets it, 0 where it does not,
    NaN where it does not apply (the "outside" minimum without the applicants' countries)."""
    found = {}
    for rule in CAPS:
        limit = cap_limit(rules, rule)
        if limit is not None:
            key = cap_key(rules, rule)
            over = count_in(p, key[r], p, key[r]) > limit
            found[rule] = (np.bincount(p[over], minlength=n_p) == 0).astype(float)
    if rules.min_foreign > 0:
        met = (outside_count(rules, p, r, n_p) >= rules.min_foreign).astype(float)
        found["min_foreign"] = np.where(rules.applicant_countries.any(axis=1), met, np.nan)
    if rules.min_per_stage is not None and np.any(rules.min_per_stage > 0):
        found["min_per_stage"] = np.all(stage_counts(rules, p, r, n_p)[:, :-1] >= rules.min_per_stage,
                                        axis=1).astype(float)
    return found
