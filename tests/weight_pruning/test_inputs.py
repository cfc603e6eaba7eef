"""WeightPruner on the inputs linear pipelines are fed: one-hot and sparse."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skprune import WeightPruner, WeightPrunerCV


@pytest.mark.parametrize("method", ["obs", "magnitude"])
def test_one_hot_pipeline_is_pruned_and_keeps_its_accuracy(method):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(600, 6))
    y = (X[:, 0] + X[:, 1] > 4).astype(int)
    model = make_pipeline(OneHotEncoder(), LogisticRegression())
    dense = model.fit(X, y).score(X, y)
    pruner = WeightPruner(model, sparsity=0.5, method=method).fit(X, y)
    assert pruner.sparsity_ == pytest.approx(0.5, abs=0.02)
    assert pruner.score(X, y) >= dense - 0.01
    np.testing.assert_array_equal(pruner.predict(X), pruner.estimator_.predict(X))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_csr_input_stays_sparse_and_predicts_like_its_estimator(n_classes):
    rng = np.random.default_rng(0)
    X = sp.random(1500, 200, density=0.05, random_state=0, format="csr")
    y = np.digitize(X @ rng.normal(size=200), [-0.3, 0.3][: n_classes - 1])
    pruner = WeightPruner(LogisticRegression(C=10), sparsity=0.8).fit(X, y)
    assert pruner.sparsity_ == pytest.approx(0.8, abs=0.02)
    np.testing.assert_allclose(
        pruner.predict_proba(X), pruner.estimator_.predict_proba(X), atol=1e-10
    )
    np.testing.assert_array_equal(pruner.predict(X.tocsc()), pruner.predict(X))


def test_wide_sparse_input_uses_the_diagonal_hessian_and_never_densifies():
    # 10^5 x 10^6 with 3 * 10^5 nonzeros: a dense copy would take 745 GiB
    rng = np.random.default_rng(0)
    n, d = 100_000, 1_000_000
    rows = np.repeat(np.arange(n), 3)
    cols = rng.integers(0, d, rows.size)
    cols[::3] = rng.integers(0, 20, n)  # every row has one of 20 frequent columns
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, d))
    y = (cols[::3] < 10).astype(int)
    pruner = WeightPruner(LogisticRegression(), sparsity=0.999).fit(X, y)
    assert set(range(20)) <= set(np.flatnonzero(pruner.support_))
    assert pruner.score(X, y) > 0.99


def test_sparse_inf_is_refused_at_predict():
    X = sp.random(100, 10, density=0.3, random_state=0, format="csr")
    y = np.arange(100) % 2
    pruner = WeightPruner(LogisticRegression(), sparsity=0.5).fit(X, y)
    X = X.copy()
    X.data[0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        pruner.predict(X)


def test_skops_round_trips_a_weight_pruner():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 5)), columns=list("abcde"))
    y = (X["a"] > 0).astype(int)
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.6
    ).fit(X, y)
    dumped = sio.dumps(pruner)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["skprune.weight_pruning._pruner.WeightPruner"]
    loaded = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), pruner.predict_proba(X))


def test_skops_round_trips_a_weight_pruner_cv_trusting_only_its_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 6))
    y = (X[:, 0] + 0.5 * rng.normal(size=150) > 0).astype(int)
    pruner = WeightPrunerCV(LogisticRegression(), sparsity=0.5, cv=3).fit(X, y)
    dumped = sio.dumps(pruner)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["skprune.weight_pruning._cv.WeightPrunerCV"]
    loaded = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), pruner.predict_proba(X))


def test_ridge_on_csr_matches_ridge_on_dense():
    X = sp.random(300, 30, density=0.2, random_state=1, format="csr")
    y = np.asarray(X @ np.arange(30.0)).ravel()
    a = WeightPruner(Ridge(), sparsity=0.5).fit(X, y)
    b = WeightPruner(Ridge(), sparsity=0.5).fit(X.toarray(), y)
    np.testing.assert_array_equal(a.mask_, b.mask_)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-3)  # solvers differ


@pytest.mark.parametrize("sparse", [False, True])
def test_compiled_and_numpy_decision_scores_agree(sparse):
    from skprune.weight_pruning._gather import decision_scores

    rng = np.random.default_rng(0)
    if sparse:
        X = sp.random(3000, 400, density=0.1, format="csr", random_state=0)
    else:
        X = rng.normal(size=(600, 200))  # above the numpy path's size
    columns = np.sort(rng.choice(X.shape[1], 40, replace=False))
    weights, intercept = rng.normal(size=(3, 40)), rng.normal(size=3)
    compiled = decision_scores(X, columns, weights, intercept)
    small = decision_scores(X[:50], columns, weights, intercept)  # numpy path
    np.testing.assert_allclose(small, compiled[:50], rtol=1e-12, atol=1e-12)
    dense = X.toarray() if sparse else X
    np.testing.assert_allclose(compiled, dense[:, columns] @ weights.T + intercept)
    bad = X.copy()
    (bad.data if sparse else bad)[5] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        decision_scores(bad, columns, weights, intercept)
