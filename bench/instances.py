"""Benchmark instances: MIDL 2018 (real) and a seeded generator of clustered calls.

Generated calls imitate real ones: proposals and reviewers each lean towards one research topic,
topics are unevenly popular on the two sides (so some proposals find few close reviewers, which is
what fairness is about), ~2 % of pairs are conflicts of interest removed from the candidates, and a
few reviewers bid (eager/willing/not willing, bid weight 0.1) so that score ≠ affinity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from referee.matching.problem import Problem

# Where the MIDL files may be: named by REFEREE_MIDL_DIR, beside the checkout (../shared, as in
# the team's work tree), or in the machine's shared folder (for clones elsewhere, e.g. CI's).
MIDL_PLACES = (os.environ.get("REFEREE_MIDL_DIR"), Path(__file__).resolve().parents[2] / "shared" / "data" / "midl",
               "/work/shared/data/midl")


def midl_dir() -> Path | None:
    """The first place holding the MIDL scores, or None."""
    return next((Path(place) for place in MIDL_PLACES if place and (Path(place) / "scores.npy").exists()), None)

BID_WEIGHT = 0.1
BID_VALUES = np.array([1.0, 0.5, -0.5])  # eager, willing, not willing
_ROWS_PER_BLOCK = 500  # proposals whose full affinity row is materialised at once (sparse sets)


@dataclass
class Instance:
    name: str
    problem: Problem
    conflicts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    note: str = ""  # how it was built, for the report


def midl(lower_loads: bool = False, data_dir: Path | None = None) -> Instance:
    """MIDL 2018: 118 papers × 177 reviewers, 3 reviews per paper, at most 4 papers per reviewer
    (and at least 2 with ``lower_loads``); every pair eligible, score = affinity."""
    data_dir = data_dir or midl_dir()
    if data_dir is None:
        raise FileNotFoundError(f"MIDL data not found in any of {[p for p in MIDL_PLACES if p]}")
    scores = np.load(data_dir / "scores.npy").T  # rows are reviewers in the file
    lower = np.load(data_dir / "loads-lb.npy") if lower_loads else None
    problem = Problem.from_dense(scores, demand=np.load(data_dir / "covs.npy"),
                                 capacity=np.load(data_dir / "loads.npy"), lower=lower)
    name = "midl-lower2-upper4" if lower_loads else "midl-upper4"
    return Instance(name, problem, note="real affinities in [-1, 1], all pairs eligible")


def _topic_vectors(rng, n: int, n_topics: int, popularity: np.ndarray) -> np.ndarray:
    # Stratified main topics (exact shares, shuffled): random counts would leave some small
    # topics short of reviewers by chance, which `mismatch` controls instead.
    counts = np.floor(n * popularity).astype(np.int64)
    counts[np.argsort(n * popularity - counts)[::-1][: n - counts.sum()]] += 1
    main = rng.permutation(np.repeat(np.arange(n_topics), counts))
    vec = 0.3 * rng.dirichlet(np.full(n_topics, 0.2), size=n)
    vec[np.arange(n), main] += 0.7
    return vec / np.linalg.norm(vec, axis=1, keepdims=True)


def _affinity_block(rng, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.clip(0.85 * (u @ v.T) + 0.15 * rng.random((len(u), len(v))), 0.0, 1.0)


def clustered(n_proposals: int, n_reviewers: int, *, demand: int, max_load: int,
              min_load: int = 0, top_k: int | None = None, conflict_rate: float = 0.02,
              mismatch: float = 0.5, seed: int = 0) -> Instance:
    """A clustered call; ``top_k`` keeps only each proposal's best ``top_k`` reviewers (sparse
    candidate sets, as a threshold or a pre-filter would), otherwise every pair is a candidate.
    ``mismatch`` is the share of the reviewers' topic popularity drawn independently of the
    proposals'."""
    rng = np.random.default_rng(seed)
    n_topics = max(8, min(n_proposals, n_reviewers) // 60)
    pop = 1.0 / np.arange(1, n_topics + 1) ** 0.8
    u = _topic_vectors(rng, n_proposals, n_topics, pop / pop.sum())
    # Reviewers' topic popularity is only partly aligned with the proposals': some topics are
    # short of reviewers (their proposals compete for few experts), others have a surplus.
    pop_r = (1 - mismatch) * pop + mismatch * rng.permutation(pop)
    v = _topic_vectors(rng, n_reviewers, n_topics, pop_r / pop_r.sum())
    if top_k is None:
        aff = _affinity_block(rng, u, v)
        p, r = np.nonzero(np.ones_like(aff, dtype=bool))
        a = aff.ravel()
    else:
        blocks = []
        for start in range(0, n_proposals, _ROWS_PER_BLOCK):
            aff = _affinity_block(rng, u[start:start + _ROWS_PER_BLOCK], v)
            best = np.sort(np.argpartition(-aff, top_k - 1, axis=1)[:, :top_k], axis=1)
            rows = np.repeat(np.arange(start, start + len(aff)), top_k)
            blocks.append((rows, best.ravel(), np.take_along_axis(aff, best, axis=1).ravel()))
        p, r, a = (np.concatenate(x) for x in zip(*blocks, strict=True))
    conflict = rng.random(len(p)) < conflict_rate
    bid = rng.random(len(p)) < 0.05
    score = a + BID_WEIGHT * np.where(bid, rng.choice(BID_VALUES, size=len(p)), 0.0)
    keep = ~conflict
    problem = Problem(
        n_proposals=n_proposals, n_reviewers=n_reviewers, proposal_idx=p[keep],
        reviewer_idx=r[keep], score=score[keep], affinity=a[keep],
        demand=np.full(n_proposals, demand), capacity=np.full(n_reviewers, max_load),
        lower=np.full(n_reviewers, min_load))
    kind = "dense" if top_k is None else f"top-{top_k}"
    name = f"clustered-{n_proposals}x{n_reviewers}-{kind}-k{demand}-load{min_load}..{max_load}"
    note = (f"{n_topics} topics, {kind} candidates, {conflict.sum():,} conflicts removed, "
            f"{keep.sum():,} candidate pairs, seed {seed}")
    return Instance(name, problem, np.stack([p[conflict], r[conflict]], axis=1), note)


# The bench's instance catalogue: name -> (factory, what it is for). Sizes follow the targets.
CATALOGUE = {
    "midl": lambda: midl(False),
    "midl-lower": lambda: midl(True),
    "small-scarce": lambda: clustered(300, 150, demand=3, max_load=7, seed=1),
    "small-scarce-lower": lambda: clustered(300, 150, demand=3, max_load=7, min_load=4, seed=2),
    "dense": lambda: clustered(3000, 1500, demand=3, max_load=7, mismatch=0.0, seed=3),
    "dense-lower": lambda: clustered(3000, 1500, demand=3, max_load=7, min_load=5, mismatch=0.0,
                                     seed=4),
    "dense-scarce": lambda: clustered(3000, 1500, demand=3, max_load=7, seed=6),
    "sparse": lambda: clustered(20000, 20000, demand=4, max_load=6, top_k=200, mismatch=0.2,
                                seed=5),
    "infeasible": lambda: clustered(1000, 500, demand=3, max_load=5, min_load=2, top_k=20,
                                    mismatch=0.8, seed=7),
}
