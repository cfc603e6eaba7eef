"""FeaturePruner on scipy.sparse matrices: scores from the nonzeros, never densified."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_selection import SelectKBest, chi2

from skprune import FeaturePruner


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    X = rng.poisson(0.3, (3000, 40)).astype(float)
    y = (X[:, 0] + X[:, 1] + rng.normal(0, 0.5, 3000) > 0.8).astype(int)
    return X, y


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_scores_equal_the_dense_ones_on_count_columns(counts, criterion, fmt):
    X, y = counts  # few distinct values per column: the same levels either way
    dense = FeaturePruner(criterion, threshold=None).fit(X, y)
    sparse = FeaturePruner(criterion, threshold=None).fit(
        sp.csr_matrix(X).asformat(fmt), y
    )
    np.testing.assert_allclose(sparse.scores_, dense.scores_, atol=1e-12)
    np.testing.assert_allclose(sparse.pvalues_, dense.pvalues_, atol=1e-10)
    assert list(sparse.selection_order_[:2]) == [0, 1]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_transform_returns_the_same_sparse_format(counts, fmt):
    X, y = counts
    matrix = sp.csr_matrix(X).asformat(fmt)
    pruner = FeaturePruner(threshold=None, max_features=5).fit(matrix, y)
    out = pruner.transform(matrix)
    assert out.format == fmt and out.shape == (3000, 5)
    np.testing.assert_array_equal(out.toarray(), X[:, pruner.support_])


def test_continuous_nonzeros_are_binned_and_nan_is_a_level():
    rng = np.random.default_rng(1)
    n = 4000
    signal = rng.normal(size=n)
    y = (signal > 0.5).astype(int)
    X = sp.random(n, 30, density=0.2, random_state=1, format="csc")
    X = X.tolil()
    X[:, 0] = np.where(rng.random(n) < 0.5, signal, 0.0)[:, None]  # half present
    X[:5, 1] = np.nan
    pruner = FeaturePruner(threshold=None).fit(X.tocsr(), y)
    assert pruner.selection_order_[0] == 0
    assert np.isfinite(pruner.scores_).all()


def test_a_rare_column_is_present_or_absent():
    rng = np.random.default_rng(2)
    n = 2000
    y = rng.integers(0, 2, n)
    X = sp.lil_matrix((n, 3))
    rows = rng.choice(np.flatnonzero(y == 1), 20, replace=False)
    X[rows, 0] = rng.random(20)[:, None] + 0.1  # 20 distinct values: 4 levels at most
    X[rows[:8], 1] = rng.random(8)[:, None] + 0.1  # 8 values: present or absent
    X[rows[:8], 2] = 1.0
    pruner = FeaturePruner(threshold=None).fit(X.tocsr(), y)
    assert pruner.scores_[1] == pytest.approx(pruner.scores_[2])
    tables = pruner._tables
    assert list(tables["binned"]) == [0]  # columns 1 and 2: present or absent
    assert np.isfinite(tables["edges"][0]).sum() == 3  # 4 levels of 5 rows


def test_a_matrix_whose_dense_copy_would_not_fit_is_never_densified():
    # 10^5 x 10^6 with 10^6 nonzeros: a dense copy would take 745 GiB
    rng = np.random.default_rng(2)
    n, p, nnz = 100_000, 1_000_000, 1_000_000
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, p, nnz)
    X = sp.csr_matrix((np.ones(nnz), (rows, cols)), shape=(n, p))
    y = rng.integers(0, 2, n)
    y[X[:, 7].nonzero()[0]] = 1  # column 7 predicts the class a little
    pruner = FeaturePruner(threshold=None, max_features=100).fit(X, y)
    assert pruner.transform(X).shape == (n, 100)
    assert pruner.transform(X).format == "csr"


def test_ranking_agrees_with_chi2_on_text_like_counts():
    rng = np.random.default_rng(3)
    X = sp.random(2000, 300, density=0.02, random_state=3, format="csr")
    X.data = np.ceil(X.data * 3)
    y = rng.integers(0, 2, 2000)
    signal = np.flatnonzero(y == 1)[:300]
    X = X.tolil()
    for j in range(5):
        X[signal[j * 60 : (j + 1) * 60], j] = 2.0
    X = X.tocsr()
    ours = set(
        np.flatnonzero(FeaturePruner(threshold=None, max_features=5).fit(X, y).support_)
    )
    theirs = set(np.flatnonzero(SelectKBest(chi2, k=5).fit(X, y).get_support()))
    assert ours == theirs == set(range(5))


def test_sparse_chunks_add_up_to_fit(counts):
    X, y = counts
    # values 0, 1, 2 only: the first chunk sees them all, so its levels (fixed, as
    # for dense chunks) are every chunk's
    X = np.minimum(X, 2.0)
    whole = FeaturePruner(threshold=None).fit(sp.csr_matrix(X), y)
    chunked = FeaturePruner(threshold=None)
    for start in range(0, len(y), 1000):
        rows = slice(start, start + 1000)
        chunked.partial_fit(sp.csc_matrix(X[rows]), y[rows], classes=[0, 1])
    np.testing.assert_allclose(chunked.scores_, whole.scores_, atol=1e-12)
    np.testing.assert_array_equal(chunked.support_, whole.support_)


def test_sparse_refusals_name_the_problem(counts):
    X, y = counts
    with pytest.raises(TypeError, match="sparse"):
        FeaturePruner(redundancy="mrmr").fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match="sparse chunks"):
        FeaturePruner().partial_fit(sp.csr_matrix(X), y).partial_fit(X, y)
    with pytest.raises(TypeError, match="dense chunks"):
        FeaturePruner().partial_fit(X, y).partial_fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("scale", [1e-200, 1.0, 1e20])
def test_compiled_scores_match_the_reference_at_any_weight_scale(scale):
    from skprune.feature_pruning._criteria import adjusted_gain, g_test
    from skprune.feature_pruning._sparse import batch_scores

    rng = np.random.default_rng(4)
    tables = rng.integers(0, 30, (60, 6, 3)).astype(float) * scale
    tables[:10, 3:] = 0.0  # unused levels
    tables[10:20] = tables[:10]  # repeated tables share one computation
    for criterion in ("entropy", "gini"):
        scores, pvalues = batch_scores(tables, criterion)
        reference = [adjusted_gain(t, criterion) for t in tables]
        np.testing.assert_allclose(scores, reference, atol=1e-12)
        np.testing.assert_allclose(pvalues, [g_test(t)[2] for t in tables], atol=1e-12)


def test_variance_criterion_on_sparse_counts_equals_the_dense_path(counts):
    X, _ = counts
    y = X[:, 0] * 2.0 + np.random.default_rng(5).normal(size=len(X))  # regression
    dense = FeaturePruner("variance", threshold=None).fit(X, y)
    sparse = FeaturePruner("variance", threshold=None).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.scores_, dense.scores_, atol=1e-12)
    np.testing.assert_allclose(sparse.pvalues_, dense.pvalues_, atol=1e-10)
    assert sparse.selection_order_[0] == 0


def test_duplicate_and_unsorted_entries_count_as_scipy_reads_them(counts):
    X, y = counts
    canonical = sp.csr_matrix(X)
    # every stored value split in two halves: the same matrix, each entry twice
    doubled = sp.csr_matrix(
        (
            np.repeat(canonical.data / 2, 2),
            np.repeat(canonical.indices, 2),
            canonical.indptr * 2,
        ),
        shape=X.shape,
    )
    doubled.has_canonical_format = False
    shuffled = canonical.copy()
    for i in range(shuffled.shape[0]):  # reverse each row's entries
        row = slice(shuffled.indptr[i], shuffled.indptr[i + 1])
        shuffled.indices[row] = shuffled.indices[row][::-1]
        shuffled.data[row] = shuffled.data[row][::-1]
    shuffled.has_sorted_indices = False
    expected = FeaturePruner(threshold=None).fit(canonical, y).scores_
    for matrix in (doubled, shuffled):
        scores = FeaturePruner(threshold=None).fit(matrix, y).scores_
        np.testing.assert_allclose(scores, expected, atol=1e-12)
    assert doubled.nnz == 2 * canonical.nnz  # the caller's matrix is not changed


def test_a_sparse_fit_round_trips_through_skops_and_streams_on(counts):
    import skops.io as sio

    X, y = counts
    X = sp.csr_matrix(np.minimum(X, 2.0))
    pruner = FeaturePruner(threshold=None, max_features=5).partial_fit(
        X[:1500], y[:1500]
    )
    dumped = sio.dumps(pruner)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["skprune.feature_pruning._pruner.FeaturePruner"]
    loaded = sio.loads(dumped, trusted=untrusted)
    loaded.partial_fit(X[1500:], y[1500:])
    whole = FeaturePruner(threshold=None, max_features=5).fit(X, y)
    np.testing.assert_allclose(loaded.scores_, whole.scores_, atol=1e-12)


@pytest.mark.parametrize("form", ["csr", "csc"])
@pytest.mark.parametrize("column", [0, 2])
def test_infinity_in_sparse_input_is_refused_naming_its_column(form, column):
    rng = np.random.default_rng(0)
    X = np.where(rng.random((100, 3)) < 0.3, rng.normal(size=(100, 3)), 0.0)
    X[5, column] = -np.inf
    y = rng.integers(0, 2, 100)
    with pytest.raises(ValueError, match=f"infinity in column {column}"):
        FeaturePruner(threshold=None).fit(sp.csr_matrix(X).asformat(form), y)
    with pytest.raises(ValueError, match=f"infinity in column {column}"):
        FeaturePruner(threshold=None).fit(X, y)
