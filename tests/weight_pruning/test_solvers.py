"""The solvers of weight pruning (``weight_pruning/_solvers``) against
scikit-learn's own at tight tolerances."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skprune.weight_pruning._solvers import (
    binary_log_loss,
    l1_logistic,
    multinomial_log_loss,
    newton_logistic,
    probabilities,
)


def test_the_logistic_loss_and_probabilities_match_scikit_learns():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 3)) * 5
    codes = rng.integers(0, 3, 50)
    proba = probabilities(scores)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    expected = log_loss(codes, proba, labels=[0, 1, 2], normalize=False)
    assert multinomial_log_loss(scores, codes).sum() == pytest.approx(expected)
    binary = probabilities(scores[:, :1])
    target = (codes == 1).astype(float)
    expected = log_loss(target, binary[:, 1], normalize=False)
    assert binary_log_loss(scores[:, 0], target).sum() == pytest.approx(expected)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.01, 1.0, 1e4])
def test_newton_logistic_reaches_scikit_learns_optimum(fit_intercept, C):
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 12, n_informative=4, random_state=1)
    weights = np.random.default_rng(0).uniform(0.2, 3.0, 300)
    reference = LogisticRegression(
        C=C, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000
    ).fit(X, y, sample_weight=weights)
    coef, intercept = newton_logistic(
        X, y.astype(float), weights, np.zeros(12), 0.0, 1.0 / C, fit_intercept
    )
    np.testing.assert_allclose(coef, reference.coef_[0], rtol=1e-5, atol=1e-6)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-5)


def _l1_objective(X, y, weights, C, coef, intercept, penalised_intercept):
    z = X @ coef + intercept
    loss = weights @ (np.logaddexp(0.0, z) - y * z)
    return C * loss + np.abs(coef).sum() + penalised_intercept * abs(intercept)


@pytest.mark.parametrize("solver", ["liblinear", "saga"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.02, 0.3, 10.0])
def test_l1_logistic_reaches_the_optimum_of_liblinear_and_saga(
    solver, fit_intercept, C
):
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 12, n_informative=4, random_state=1)
    X = StandardScaler().fit_transform(X)
    weights = np.random.default_rng(0).uniform(0.2, 3.0, 300)
    reference = LogisticRegression(
        C=C,
        l1_ratio=1.0,
        solver=solver,
        fit_intercept=fit_intercept,
        tol=1e-12,
        max_iter=100_000,
        random_state=0,
    ).fit(X, y, sample_weight=weights)
    # liblinear penalises its intercept (a constant column), saga does not
    column = None if not fit_intercept else ("penalised", 1.0)
    if fit_intercept and solver == "saga":
        column = ("free", 1.0)
    start = np.random.default_rng(1).normal(size=12)  # a poor warm start
    coef, intercept = l1_logistic(X, y.astype(float), weights, start, 0.5, C, column)
    np.testing.assert_allclose(coef, reference.coef_[0], atol=1e-4)
    assert (coef == 0).sum() == (reference.coef_ == 0).sum()
    penalised = float(column is not None and column[0] == "penalised")
    ours = _l1_objective(X, y, weights, C, coef, intercept, penalised)
    their_intercept = np.ravel(reference.intercept_)[0]
    theirs = _l1_objective(
        X, y, weights, C, reference.coef_[0], their_intercept, penalised
    )
    assert ours <= theirs + 1e-9 * abs(theirs)
    assert intercept == pytest.approx(their_intercept, abs=1e-4)


@pytest.mark.parametrize("C", [1e2, 1e4, 1e6])
def test_l1_logistic_reaches_the_optimum_on_separable_rows(C):
    # weak penalties on separable rows: weights grow large, curvature vanishes
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5))
    y = (X[:, 0] > 0).astype(float)
    coef, intercept = l1_logistic(X, y, None, np.zeros(5), 0.0, C, ("penalised", 1.0))
    reference = LogisticRegression(
        C=C, l1_ratio=1.0, solver="liblinear", tol=1e-12, max_iter=100_000
    ).fit(X, y)
    ours = _l1_objective(X, y, np.ones(100), C, coef, intercept, 1.0)
    theirs = _l1_objective(
        X, y, np.ones(100), C, reference.coef_[0], reference.intercept_[0], 1.0
    )
    assert ours <= theirs * (1 + 1e-9)
