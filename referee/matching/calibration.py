"""Calibrated affinity (issue 10): one scale on every call, whatever its vocabulary.

The raw similarities of §5.1 depend on the call: real abstracts share few words, so a perfectly
suited reviewer may reach a text cosine of 0.2 on one call and 0.6 on another, and a fixed
threshold on them means nothing. Two corrections make the affinity comparable:

- **Publication count.** A reviewer's text score takes their best publication, and the best of
  many publications is higher than the best of few even when none fits: on a real call, load grew
  with publication count (r = 0.60). Across the call's reviewers, the upper quartile of each
  one's best-publication cosine (over the call's proposals) is fitted as c·n^b against their
  publication count n; every best-publication cosine is then divided by (n / median n)^b. The
  correction depends on the count only, the same for every reviewer with that count, so a
  reviewer who fits many proposals keeps that advantage.
- **Share of the proposal's best.** Each source, and then the blend of the sources, is divided by
  the proposal's highest value over the pool's reviewers: 1 is the proposal's best-fitting
  reviewer, 0.5 a reviewer half as similar, 0 one with nothing in common. Dividing a proposal's
  row by one number never changes who ranks above whom for that proposal.
"""

from __future__ import annotations

import numpy as np

# Below this many reviewers with publications, a fitted exponent would be noise: no correction.
MIN_REVIEWERS_FOR_COUNT_FIT = 8
# The level fitted against the publication count: a reviewer's upper-quartile best cosine, where
# the proposals they are offered come from (the mean is dominated by proposals far from them).
LEVEL_PERCENTILE = 75


def count_exponent(best_publication: np.ndarray, counts: np.ndarray) -> float:
    """b in level ≈ c·n^b across reviewers with publications (least squares on logarithms),
    clipped to [0, 1]; 0 when too few reviewers, proposals or distinct counts to fit it."""
    with_publications = counts > 0
    if best_publication.shape[0] < 2 or with_publications.sum() < MIN_REVIEWERS_FOR_COUNT_FIT:
        return 0.0
    level = np.percentile(best_publication[:, with_publications], LEVEL_PERCENTILE, axis=0)
    fitted = level > 0
    x, y = np.log(counts[with_publications][fitted]), np.log(level[fitted])
    if len(x) < MIN_REVIEWERS_FOR_COUNT_FIT or np.ptp(x) == 0:
        return 0.0
    slope = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
    return float(np.clip(slope, 0.0, 1.0))


def correct_for_count(best_publication: np.ndarray, counts: np.ndarray, exponent: float) -> np.ndarray:
    """Each reviewer's column divided by (n / median n)^exponent (reviewers with publications)."""
    if exponent == 0.0 or not (counts > 0).any():
        return best_publication
    reference = np.exp(np.median(np.log(counts[counts > 0])))
    factor = (np.maximum(counts, 1) / reference) ** -exponent
    return best_publication * factor


def share_of_best(scores: np.ndarray) -> np.ndarray:
    """Each row divided by its maximum (a row of zeros stays zero)."""
    best = scores.max(axis=1, keepdims=True) if scores.shape[1] else np.zeros((scores.shape[0], 1))
    return np.divide(scores, best, out=np.zeros_like(scores, dtype=float), where=best > 0)


def blend_present(parts: list[tuple[float, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Σ weight·score over the sources present for a pair, divided by the sum of their weights.

    `parts` holds (weight, P×R scores, P×R booleans: the source is present for the pair). A
    missing source does not count as a zero: its weight goes to the others. Without any, 0."""
    total = sum(weight * np.where(present, scores, 0.0) for weight, scores, present in parts)
    weights = sum(weight * present.astype(float) for weight, _, present in parts)
    return np.divide(total, weights, out=np.zeros_like(total), where=weights > 0)


def present(has_source: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """P×R: the reviewer has the source and it matches some reviewer of the proposal. A source
    that matches nobody for a proposal says nothing about who fits it, so it does not count
    against the reviewers who have it (keywords that no proposal word matches, for example)."""
    return has_source[None, :] & (scores.max(axis=1, initial=0.0) > 0)[:, None]
