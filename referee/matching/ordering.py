"""How to draw a large affinity matrix so that its clusters show (the console's heatmap, issue 13):
an order of its rows and columns, its aggregation into at most a screenful of blocks, and each
row's best columns. Arrays in, arrays out.

Rows are ordered by the leaves of a hierarchical clustering (Ward) of their profiles, so every
cluster of similar rows is one contiguous run; columns then follow the rows they score highest
on, so a group of proposals and the reviewers who fit them form a block near the diagonal. The clustering works on a few leading
singular directions of the row profiles rather than all columns: that keeps a call of 3,000 ×
1,500 to a fraction of a second and drops the noise of the minor directions."""

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.ndimage import uniform_filter1d

DIRECTIONS = 16  # singular directions the rows are clustered on
OVERSAMPLE = 10  # extra random directions of the range finder (Halko et al. 2011)


def cluster_order(matrix) -> tuple[np.ndarray, np.ndarray]:
    """Permutations (row order, column order) of a non-negative rows × columns matrix under which
    similar rows are contiguous and each column sits beside the rows it fits."""
    values = np.nan_to_num(np.asarray(matrix, dtype=float))
    n_rows, n_cols = values.shape
    if n_rows == 0 or n_cols == 0:
        return np.arange(n_rows), np.arange(n_cols)
    rows = _row_order(values)
    return rows, _column_order(values[rows])


def _row_order(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return np.arange(len(values))
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    profiles = np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)
    return leaves_list(linkage(_leading_coordinates(profiles), method="ward"))


def _leading_coordinates(profiles: np.ndarray) -> np.ndarray:
    """The rows' coordinates on the leading right singular directions: a randomised range finder
    with a fixed seed, so the same matrix always gets the same order."""
    k = min(DIRECTIONS, *profiles.shape)
    if k == min(profiles.shape):  # small: the exact decomposition is as cheap
        return profiles
    rng = np.random.default_rng(0)
    sketch = profiles.T @ (profiles @ rng.standard_normal((profiles.shape[1], k + OVERSAMPLE)))
    basis, _ = np.linalg.qr(sketch)  # columns × (k + oversample), orthonormal
    _, _, right = np.linalg.svd(profiles @ basis, full_matrices=False)
    return profiles @ (basis @ right[:k].T)


def _column_order(ordered_values: np.ndarray) -> np.ndarray:
    """Columns by the position of the rows (already in order) they score highest on: the peak of
    each column smoothed over a window of neighbouring rows (a hundredth of them), so that one
    stray high score outside a column's cluster does not carry it away. A weighted mean of the
    positions would be pulled to the middle by the many low scores elsewhere, and small clusters
    would mingle. Columns with no score at all go last; ties by index."""
    window = max(1, len(ordered_values) // 100)
    smoothed = uniform_filter1d(ordered_values, size=window, axis=0, mode="nearest")
    peak = smoothed.argmax(axis=0).astype(float)
    peak[~ordered_values.any(axis=0)] = np.inf
    height = smoothed.max(axis=0)
    return np.lexsort((np.arange(len(peak)), -height, peak))


def block_edges(n: int, most: int) -> np.ndarray:
    """Boundaries of at most `most` nearly equal consecutive blocks over n items (n + 1 edges at
    most; the first 0, the last n)."""
    blocks = max(1, min(n, most))
    return np.unique(np.linspace(0, n, blocks + 1).round().astype(int))


def block_means(matrix, row_edges: np.ndarray, column_edges: np.ndarray) -> np.ndarray:
    """The mean of each block of `matrix` between consecutive edges (from `block_edges`)."""
    values = np.nan_to_num(np.asarray(matrix, dtype=float))
    if values.size == 0:
        return np.zeros((len(row_edges) - 1, len(column_edges) - 1))
    sums = np.add.reduceat(np.add.reduceat(values, row_edges[:-1], axis=0), column_edges[:-1], axis=1)
    return sums / np.outer(np.diff(row_edges), np.diff(column_edges))


def best_columns(matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k highest-scoring columns, best first, and their scores: two rows × min(k,
    columns) arrays. Partitioned before sorting: a full sort of every row of a large call would
    cost ten times more."""
    values = np.nan_to_num(np.asarray(matrix, dtype=float))
    k = min(k, values.shape[1])
    if k == 0:
        return np.zeros((len(values), 0), dtype=int), np.zeros((len(values), 0))
    top = np.argpartition(-values, k - 1, axis=1)[:, :k]
    scores = np.take_along_axis(values, top, axis=1)
    order = np.lexsort((top, -scores))  # by score, then by column, within each row
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(scores, order, axis=1)
