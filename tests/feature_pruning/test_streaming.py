"""partial_fit: contingency tables add up over chunks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from skprune import FeaturePruner


def _chunks(n_chunks, *arrays):
    bounds = np.linspace(0, len(arrays[0]), n_chunks + 1).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        yield [a.iloc[lo:hi] if hasattr(a, "iloc") else a[lo:hi] for a in arrays]


def _mixed_table(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            "small_int": (y + rng.integers(0, 2, n)) % 4,
            "city": np.array(["oslo", "rome", "lima", "kyiv"])[
                (y + rng.integers(0, 2, n)) % 4
            ],
            "late_levels": [f"v{i}" for i in rng.integers(0, 50, n)],
            "noise": rng.integers(0, 3, n).astype(float),
        }
    )
    frame.loc[rng.random(n) < 0.05, "city"] = None
    return frame, y


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_chunks_give_the_scores_of_one_fit_when_levels_agree(criterion):
    frame, y = _mixed_table()
    whole = FeaturePruner(criterion).fit(frame, y)
    streamed = FeaturePruner(criterion)
    for X_chunk, y_chunk in _chunks(7, frame, y):
        streamed.partial_fit(X_chunk, y_chunk, classes=[0, 1, 2])
    np.testing.assert_allclose(streamed.scores_, whole.scores_, atol=1e-12)
    np.testing.assert_allclose(streamed.pvalues_, whole.pvalues_, rtol=1e-9)
    np.testing.assert_array_equal(streamed.get_support(), whole.get_support())
    assert list(streamed.get_feature_names_out()) == ["small_int", "city"]


def test_edges_from_a_representative_first_chunk_barely_matter():
    X, y = make_classification(
        n_samples=20_000,
        n_features=12,
        n_informative=4,
        n_redundant=0,
        shuffle=False,
        random_state=2,
    )
    rows = np.random.default_rng(0).permutation(len(y))  # chunks are iid samples
    X, y = X[rows], y[rows]
    whole = FeaturePruner().fit(X, y)
    streamed = FeaturePruner()
    for X_chunk, y_chunk in _chunks(10, X, y):
        streamed.partial_fit(X_chunk, y_chunk)
    # 2,000 rows place the deciles within ~1% of mass: scores move by < 0.002 bit
    np.testing.assert_allclose(streamed.scores_[:4], whole.scores_[:4], atol=0.002)
    assert np.abs(streamed.scores_[4:]).max() < 0.002
    np.testing.assert_array_equal(streamed.get_support(), whole.get_support())


def test_a_sorted_first_chunk_gives_poor_edges():
    X, y = make_classification(
        n_samples=20_000,
        n_features=6,
        n_informative=3,
        n_redundant=0,
        shuffle=False,
        random_state=2,
    )
    order = np.argsort(X[:, 0])  # the first chunk holds only the lowest x0
    whole = FeaturePruner().fit(X, y)
    streamed = FeaturePruner()
    for X_chunk, y_chunk in _chunks(10, X[order], y[order]):
        streamed.partial_fit(X_chunk, y_chunk)
    # x0's bins all fall inside the first tenth of its range: most rows share one
    assert streamed.scores_[0] < 0.5 * whole.scores_[0]


def test_regression_target_and_weights_stream_too():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, (8000, 3)).astype(float)
    y = X[:, 0] * 2.5 + rng.normal(size=8000)
    weights = rng.integers(1, 3, 8000).astype(float)
    whole = FeaturePruner().fit(X, y, sample_weight=weights)
    streamed = FeaturePruner()
    for X_chunk, y_chunk, w_chunk in _chunks(4, X, y, weights):
        streamed.partial_fit(X_chunk, y_chunk, sample_weight=w_chunk)
    # the target's bin edges come from the first quarter: close, not equal
    np.testing.assert_allclose(streamed.scores_, whole.scores_, rtol=0.02, atol=2e-3)
    assert streamed.get_support()[0] and whole.get_support()[0]


def test_unseen_class_in_a_later_chunk_is_an_error():
    X, y = make_classification(
        n_samples=300, n_classes=3, n_informative=3, random_state=0
    )
    pruner = FeaturePruner().partial_fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match=r"labels \[np.int64\(2\)\] not among classes"):
        pruner.partial_fit(X[y == 2], y[y == 2])
    assert (
        FeaturePruner()
        .partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
        .partial_fit(X[y == 2], y[y == 2])
    )


def test_partial_fit_after_fit_adds_rows_and_checks_columns():
    frame, y = _mixed_table()
    pruner = FeaturePruner().fit(frame.iloc[:1000], y[:1000])
    pruner.partial_fit(frame.iloc[1000:], y[1000:])
    whole = FeaturePruner().fit(frame, y)
    np.testing.assert_allclose(pruner.scores_, whole.scores_, atol=1e-12)
    with pytest.raises(ValueError, match="feature"):
        pruner.partial_fit(frame.iloc[:10, :3], y[:10])


def test_no_partial_fit_with_redundancy():
    assert not hasattr(FeaturePruner(redundancy="mrmr"), "partial_fit")
