"""criterion="variance": the share of a regression target's variance explained."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.feature_selection import f_regression

from skprune import FeaturePruner
from skprune.feature_pruning._criteria import (
    adjusted_variance_reduction,
    f_test,
    variance_reduction,
)


def test_eta_squared_from_a_table_matches_the_direct_computation():
    rng = np.random.default_rng(0)
    levels = rng.integers(0, 4, 500)
    y = levels * 0.5 + rng.normal(size=500)
    # one target bin per distinct value: the table's bin means are exact
    values, codes = np.unique(y, return_inverse=True)
    table = np.zeros((4, len(values)))
    np.add.at(table, (levels, codes), 1)
    total = ((y - y.mean()) ** 2).sum()
    means = np.array([y[levels == k].mean() for k in range(4)])
    counts = np.bincount(levels)
    between = (counts * (means - y.mean()) ** 2).sum()
    assert variance_reduction(table, values, total) == pytest.approx(between / total)
    f, dof, p = f_test(table, values, total)
    assert dof == 3 and p < 1e-6


def test_chance_correction_is_zero_on_average_for_noise():
    rng = np.random.default_rng(1)
    scores = []
    for _ in range(200):
        levels = rng.integers(0, 8, 100)
        y = rng.normal(size=100)
        values, codes = np.unique(y, return_inverse=True)
        table = np.zeros((8, 100))
        np.add.at(table, (levels, codes), 1)
        total = ((y - y.mean()) ** 2).sum()
        scores.append(adjusted_variance_reduction(table, values, total))
    assert abs(np.mean(scores)) < 0.01


def test_variance_ranks_a_mean_shift_above_a_spread_change():
    rng = np.random.default_rng(2)
    n = 4000
    spread, shift = rng.integers(0, 2, n), rng.integers(0, 2, n)
    # "spread" changes only the target's variance; "shift" moves its mean a little
    y = rng.normal(size=n) * (1 + 3 * spread) + 0.4 * shift
    X = np.column_stack([spread, shift]).astype(float)
    entropy = FeaturePruner("entropy", threshold=None).fit(X, y)
    variance = FeaturePruner("variance", threshold=None).fit(X, y)
    assert entropy.selection_order_[0] == 0  # information also sees the spread
    assert variance.selection_order_[0] == 1  # what R^2 can use is the shift
    assert variance.pvalues_[1] < 1e-3 and variance.pvalues_[0] > 1e-3


def test_variance_agrees_with_f_regression_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    pruner = FeaturePruner("variance", threshold=None).fit(X, y)
    f = f_regression(X, y)[0]
    top = set(np.argsort(-f)[:4])
    assert set(pruner.selection_order_[:4]) == top
    assert FeaturePruner("variance").fit(X, y).support_.sum() >= 6


def test_partial_fit_adds_up_to_fit():
    X, y = load_diabetes(return_X_y=True)
    whole = FeaturePruner("variance").fit(X, y)
    chunked = FeaturePruner("variance")
    for start in range(0, len(y), 150):
        chunked.partial_fit(X[start : start + 150], y[start : start + 150])
    # bins are fixed from the first chunk, so scores differ slightly
    assert np.corrcoef(whole.scores_, chunked.scores_)[0, 1] > 0.95


def test_variance_errors_name_the_problem():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="regression target"):
        FeaturePruner("variance").fit(X, (y > 140).astype(int))


@pytest.mark.parametrize("redundancy", ["mrmr", "jmi"])
def test_variance_redundancy_drops_copies_and_keeps_k(redundancy):
    X, y = load_diabetes(return_X_y=True)
    X = np.column_stack([X, 2 * X[:, 2] + 1, X[:, 8]])  # 10, 11 copy bmi, s5
    plain = FeaturePruner("variance", threshold=None, max_features=4).fit(X, y)
    assert {2, 10} <= set(plain.selection_order_)  # ranking keeps both copies
    pruner = FeaturePruner(
        "variance", redundancy=redundancy, threshold=None, max_features=4
    ).fit(X, y)
    kept = set(pruner.selection_order_)
    assert len(kept) == 4
    assert len(kept & {2, 10}) == 1 and len(kept & {8, 11}) == 1
    auto = FeaturePruner("variance", redundancy=redundancy).fit(X, y)
    assert 1 <= len(auto.selection_order_) < 12
