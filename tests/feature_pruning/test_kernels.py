"""Small inputs take numpy paths that need no compilation; large ones the
compiled kernels. Both give the same tables, codes and scores."""

import numpy as np
import pytest

from skprune.feature_pruning._binning import (
    _count_by_rows,
    _count_numpy,
    _digitize,
    _digitize_numpy,
)
from skprune.feature_pruning._criteria import (
    _expected_mutual_information_nats,
    expected_mutual_information_nats,
)
from skprune.feature_pruning._sparse import _batch, _distinct_rows, _one_by_one


def _binned(rng):
    n, p, n_edges = rng.integers(1, 300), rng.integers(1, 6), rng.integers(1, 9)
    X = rng.normal(size=(n, p))
    edges = np.sort(rng.normal(size=(p, n_edges)), axis=1)
    if rng.random() < 0.5:
        edges[:, -1] = np.inf  # padding, as columns with fewer edges get
    X[rng.random((n, p)) < 0.1] = edges[0, 0]  # on an edge
    X[rng.random((n, p)) < 0.1] = np.nan
    return X, edges


@pytest.mark.parametrize("seed", range(20))
def test_numpy_counts_and_codes_equal_the_kernels(seed):
    rng = np.random.default_rng(seed)
    X, edges = _binned(rng)
    n_classes = int(rng.integers(1, 4))
    y, weights = rng.integers(0, n_classes, len(X)), rng.random(len(X))
    counts, inf_column = _count_numpy(X, edges, y, weights, n_classes)
    chunks, kernel_inf = _count_by_rows(X, edges, y, weights, n_classes, 2)
    np.testing.assert_allclose(counts, chunks.sum(axis=0))
    assert (inf_column >= 0) == (kernel_inf >= 0) == bool(np.isinf(X).any())
    codes = _digitize_numpy(X, edges)
    np.testing.assert_array_equal(codes, _digitize(np.ascontiguousarray(X.T), edges))


@pytest.mark.parametrize("seed", range(20))
def test_scores_one_by_one_equal_the_batched_kernel(seed):
    rng = np.random.default_rng(seed)
    shape = (6, rng.integers(1, 12), rng.integers(1, 5))
    tables = rng.poisson(rng.uniform(0, 50), size=shape) * (rng.random(shape) < 0.8)
    tables = tables * (rng.uniform(0.1, 3) if seed % 3 == 0 else 1.0)  # weighted
    tables[0] = tables[1]  # a duplicate
    for criterion in ("entropy", "gini"):
        found = _one_by_one(tables.astype(np.float64), criterion)
        expected = _batch(tables.astype(np.float64), criterion == "gini")
        for a, b in zip(found, expected, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    first, inverse = _distinct_rows(tables.reshape(len(tables), -1).astype(float))
    assert len(first) == len(np.unique(tables.reshape(len(tables), -1), axis=0))
    np.testing.assert_array_equal(tables[first][inverse], tables)


@pytest.mark.parametrize("seed", range(10))
def test_expected_information_in_numpy_equals_the_kernel(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 20000))
    rows = np.bincount(rng.integers(0, rng.integers(2, 40), n)).astype(float)
    cols = np.bincount(rng.integers(0, rng.integers(2, 10), n)).astype(float)
    rows, cols = rows[rows > 0], cols[cols > 0]
    values, counts = np.unique(rows, return_counts=True)
    args = (values, counts.astype(float), cols, float(n))
    assert expected_mutual_information_nats(*args) == pytest.approx(
        _expected_mutual_information_nats(*args), rel=1e-9, abs=1e-14
    )
