"""The heatmap's order, blocks and best columns (referee.matching.ordering): on a matrix built with
known clusters, shuffled, each cluster of rows and of columns comes out as one contiguous run,
paired near the diagonal; blocks average exactly; a large call orders in well under a second."""

import time

import numpy as np
import pytest

from referee.matching.ordering import best_columns, block_edges, block_means, cluster_order


def clustered(sizes_rows, sizes_cols, *, inside=0.8, noise=0.1, seed=1):
    """A shuffled block-diagonal matrix with uniform noise, and the cluster of each row and column."""
    rng = np.random.default_rng(seed)
    row_cluster = np.repeat(np.arange(len(sizes_rows)), sizes_rows)
    col_cluster = np.repeat(np.arange(len(sizes_cols)), sizes_cols)
    values = rng.uniform(0, noise, (len(row_cluster), len(col_cluster)))
    values += inside * (row_cluster[:, None] == col_cluster[None, :])
    rows, cols = rng.permutation(len(row_cluster)), rng.permutation(len(col_cluster))
    return values[rows][:, cols], row_cluster[rows], col_cluster[cols]


def runs(labels) -> int:
    """How many contiguous runs of equal labels a sequence has."""
    labels = np.asarray(labels)
    return 1 + int(np.count_nonzero(labels[1:] != labels[:-1]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_cluster_of_rows_and_of_columns_is_contiguous_after_ordering(seed):
    values, row_cluster, col_cluster = clustered([30, 12, 25, 8, 40], [10, 6, 15, 4, 20], seed=seed)
    assert runs(row_cluster) > 20 and runs(col_cluster) > 20  # well shuffled before
    rows, cols = cluster_order(values)
    assert sorted(rows) == list(range(len(row_cluster))) and sorted(cols) == list(range(len(col_cluster)))
    assert runs(row_cluster[rows]) == 5
    assert runs(col_cluster[cols]) == 5
    # The column clusters come in the order of the row clusters they belong to: a diagonal of blocks.
    row_sequence = [c for i, c in enumerate(row_cluster[rows]) if i == 0 or c != row_cluster[rows][i - 1]]
    col_sequence = [c for i, c in enumerate(col_cluster[cols]) if i == 0 or c != col_cluster[cols][i - 1]]
    assert row_sequence == col_sequence


def test_the_order_is_the_same_every_time_and_empty_or_tiny_matrices_pass_through():
    values, _, _ = clustered([10, 10], [5, 5])
    first, again = cluster_order(values), cluster_order(values.copy())
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert [list(order) for order in cluster_order(np.zeros((0, 4)))] == [[], [0, 1, 2, 3]]
    assert [list(order) for order in cluster_order(np.array([[0.2, 0.9]]))] == [[0], [1, 0]]  # the higher first
    rows, cols = cluster_order(np.zeros((4, 3)))  # nothing in common anywhere: any order, all kept
    assert sorted(rows) == [0, 1, 2, 3] and list(cols) == [0, 1, 2]


def test_blocks_are_the_exact_means_of_nearly_equal_runs():
    assert list(block_edges(10, 3)) == [0, 3, 7, 10]
    assert list(block_edges(2, 60)) == [0, 1, 2]
    assert list(block_edges(0, 60)) == [0]
    values = np.arange(20, dtype=float).reshape(4, 5)
    means = block_means(values, block_edges(4, 2), block_edges(5, 2))
    assert means.tolist() == [[values[:2, :2].mean(), values[:2, 2:].mean()],
                              [values[2:, :2].mean(), values[2:, 2:].mean()]]
    assert block_means(values, block_edges(4, 60), block_edges(5, 60)).tolist() == values.tolist()


def test_best_columns_are_the_highest_scores_best_first():
    values = np.array([[0.1, 0.9, 0.5, 0.9], [0.0, 0.1, 0.3, 0.2]])
    top, scores = best_columns(values, 3)
    assert top.tolist() == [[1, 3, 2], [2, 3, 1]]
    assert scores.tolist() == [[0.9, 0.9, 0.5], [0.3, 0.2, 0.1]]
    top, scores = best_columns(values, 10)  # fewer columns than asked: all of them
    assert top.shape == (2, 4)
    assert best_columns(np.zeros((3, 0)), 5)[0].shape == (3, 0)


def test_a_call_of_3000_proposals_and_1500_reviewers_is_ordered_and_aggregated_quickly():
    values, row_cluster, _ = clustered([600] * 5, [300] * 5, seed=4)
    started = time.perf_counter()
    rows, cols = cluster_order(values)
    ordered = values[rows][:, cols]
    blocks = block_means(ordered, block_edges(3000, 60), block_edges(1500, 60))
    best_columns(values, 5)
    assert time.perf_counter() - started < 5  # a few tenths of a second here; generous for a busy machine
    assert runs(row_cluster[rows]) == 5 and blocks.shape == (60, 60)
