"""Assignment problem and solution types (contract §5.3–§5.5): arrays in, arrays out, no Django.

A problem lists its candidate (eligible) reviewer–proposal pairs in COO form: pair ``e`` joins
proposal ``proposal_idx[e]`` and reviewer ``reviewer_idx[e]`` with objective weight ``score[e]``
(s = a + bid_weight·w, may be negative) and raw affinity ``affinity[e]`` (a, used for fairness and
reporting). A pair that is not listed cannot be assigned: ineligible pairs are simply left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Up to this many proposal × reviewer cells, duplicate pairs are found with a bitmap (O(E + P·R)
# bytes) instead of a sort (O(E log E)); 64 MB of booleans.
_BITMAP_CELLS = 1 << 26


@dataclass(frozen=True)
class Problem:
    n_proposals: int
    n_reviewers: int
    proposal_idx: np.ndarray  # int[E], candidate pairs only
    reviewer_idx: np.ndarray  # int[E]
    score: np.ndarray  # float64[E], objective weight s
    affinity: np.ndarray  # float64[E], raw affinity a
    demand: np.ndarray  # int[P], new reviewers wanted per proposal
    capacity: np.ndarray  # int[R], most new proposals per reviewer
    lower: np.ndarray  # int[R], wanted least new load, 0 <= lower <= capacity
    existing: np.ndarray = field(default=None)  # float64[P], affinity already held; zeros if None

    def __post_init__(self):
        # Accept lists and other array-likes; dtype checks are left to validate() so that a float
        # index array is reported, never silently truncated.
        for name in ("proposal_idx", "reviewer_idx", "score", "affinity", "demand", "capacity",
                     "lower"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)))
        existing = self.existing
        existing = np.zeros(self.n_proposals) if existing is None else np.asarray(existing)
        object.__setattr__(self, "existing", existing)

    @property
    def n_pairs(self) -> int:
        return len(self.proposal_idx)

    @classmethod
    def from_dense(cls, score, *, demand, capacity, lower=None, affinity=None, existing=None,
                   eligible=None) -> Problem:
        """Build from a P×R ``score`` matrix (proposals are rows).

        A pair is a candidate when its score is not NaN and, if given, ``eligible`` (a P×R boolean
        mask) is true there. ``affinity`` (P×R) defaults to ``score``; ``lower`` to zeros.
        Candidates are listed row-major, so pair order is deterministic.
        """
        score = np.asarray(score, dtype=float)
        if score.ndim != 2:
            raise ValueError("score must be a P×R matrix")
        mask = ~np.isnan(score)
        if eligible is not None:
            eligible = np.asarray(eligible, dtype=bool)
            if eligible.shape != score.shape:
                raise ValueError("eligible must have the shape of score")
            mask &= eligible
        p, r = np.nonzero(mask)
        if affinity is None:
            aff = score[p, r]
        else:
            affinity = np.asarray(affinity, dtype=float)
            if affinity.shape != score.shape:
                raise ValueError("affinity must have the shape of score")
            aff = affinity[p, r]
        n_p, n_r = score.shape
        return cls(n_proposals=n_p, n_reviewers=n_r, proposal_idx=p, reviewer_idx=r,
                   score=score[p, r], affinity=aff, demand=_counts(demand),
                   capacity=_counts(capacity),
                   lower=np.zeros(n_r, dtype=np.int64) if lower is None else _counts(lower),
                   existing=existing)

    def validate(self) -> None:
        """Raise ValueError unless shapes, dtypes and values are consistent."""
        n_p, n_r = self.n_proposals, self.n_reviewers
        if not (isinstance(n_p, (int, np.integer)) and isinstance(n_r, (int, np.integer))
                and n_p >= 0 and n_r >= 0):
            raise ValueError("n_proposals and n_reviewers must be non-negative integers")
        n_e = self.n_pairs
        for name, length, kind in (
            ("proposal_idx", n_e, "iu"), ("reviewer_idx", n_e, "iu"), ("score", n_e, "iuf"),
            ("affinity", n_e, "iuf"), ("demand", n_p, "iu"), ("capacity", n_r, "iu"),
            ("lower", n_r, "iu"), ("existing", n_p, "iuf"),
        ):
            arr = getattr(self, name)
            if arr.ndim != 1 or len(arr) != length:
                raise ValueError(f"{name} must be a 1-D array of length {length}")
            if arr.dtype.kind not in kind:
                raise ValueError(f"{name} has dtype {arr.dtype}, expected "
                                 + ("integers" if kind == "iu" else "numbers"))
            if kind == "iuf" and not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be finite")
        if n_e:
            if self.proposal_idx.min() < 0 or self.proposal_idx.max() >= n_p:
                raise ValueError("proposal_idx out of range")
            if self.reviewer_idx.min() < 0 or self.reviewer_idx.max() >= n_r:
                raise ValueError("reviewer_idx out of range")
        if np.any(self.demand < 0) or np.any(self.capacity < 0):
            raise ValueError("demand and capacity must be >= 0")
        if np.any(self.lower < 0) or np.any(self.lower > self.capacity):
            raise ValueError("lower must satisfy 0 <= lower <= capacity")
        if _has_duplicates(self.proposal_idx, self.reviewer_idx, n_r, n_p * n_r):
            raise ValueError("a reviewer-proposal pair is listed twice")


def _counts(values) -> np.ndarray:
    """An empty list reads as float64; give it the integer dtype validate() expects."""
    arr = np.asarray(values)
    return arr.astype(np.int64) if arr.size == 0 else arr


def _has_duplicates(p: np.ndarray, r: np.ndarray, n_r: int, cells: int) -> bool:
    if len(p) < 2:
        return False
    key = p.astype(np.int64) * n_r + r
    if cells <= _BITMAP_CELLS:
        seen = np.zeros(cells, dtype=bool)
        seen[key] = True
        return int(np.count_nonzero(seen)) != len(key)
    key.sort()
    return bool(np.any(key[1:] == key[:-1]))


@dataclass
class Shortfall:
    proposal: int
    required: int
    assigned: int
    reason: str  # "no_eligible": no candidate pair at all | "not_enough"


@dataclass
class UnmetLower:
    reviewer: int
    required: int
    assigned: int


@dataclass
class Solution:
    edges: np.ndarray  # int[k], indices of the chosen pairs, ascending
    assigned: np.ndarray  # int[P], new reviewers per proposal
    load: np.ndarray  # int[R], new proposals per reviewer
    total_score: float  # Σ s over chosen pairs
    total_affinity: float  # Σ a over chosen pairs
    proposal_score: np.ndarray  # float[P], existing + Σ a of chosen pairs
    min_proposal_score: float  # over proposals with demand > 0 (nan if none)
    shortfalls: list[Shortfall]
    unmet_lower: list[UnmetLower]
    algorithm: str
    rule_shortfalls: list = field(default_factory=list)  # diversity.RuleShortfall, in words


def make_solution(problem: Problem, edges: np.ndarray, algorithm: str) -> Solution:
    """Derive every reported figure from the chosen pairs, always from the float scores."""
    edges = np.sort(np.asarray(edges, dtype=np.int64))
    p, r = problem.proposal_idx[edges], problem.reviewer_idx[edges]
    assigned = np.bincount(p, minlength=problem.n_proposals).astype(np.int64)
    load = np.bincount(r, minlength=problem.n_reviewers).astype(np.int64)
    proposal_score = problem.existing.astype(float) + np.bincount(
        p, weights=problem.affinity[edges], minlength=problem.n_proposals)
    wanted = problem.demand > 0
    degree = np.bincount(problem.proposal_idx, minlength=problem.n_proposals)
    shortfalls = [
        Shortfall(int(i), int(problem.demand[i]), int(assigned[i]),
                  "no_eligible" if degree[i] == 0 else "not_enough")
        for i in np.flatnonzero(assigned < problem.demand)
    ]
    unmet = [UnmetLower(int(j), int(problem.lower[j]), int(load[j]))
             for j in np.flatnonzero(load < problem.lower)]
    return Solution(
        edges=edges, assigned=assigned, load=load,
        total_score=float(problem.score[edges].sum()),
        total_affinity=float(problem.affinity[edges].sum()),
        proposal_score=proposal_score,
        min_proposal_score=float(proposal_score[wanted].min()) if wanted.any() else float("nan"),
        shortfalls=shortfalls, unmet_lower=unmet, algorithm=algorithm,
    )
