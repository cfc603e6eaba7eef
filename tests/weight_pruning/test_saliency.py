import numpy as np
import pytest

from skprune.weight_pruning import (
    cubic_schedule,
    magnitude_saliency,
    obs_path,
    obs_saliency,
)
from skprune.weight_pruning._saliency import _Output


def _spd(n, seed):
    A = np.random.default_rng(seed).normal(size=(3 * n, n))
    return A.T @ A + 0.1 * np.eye(n)


def _current_inverse(output, coordinates):
    """The downdated ``H^-1`` of an :class:`_Output` over ``coordinates``."""
    local = output.position[coordinates]
    factor = output.low_rank[local]
    return output.hinv[np.ix_(local, local)] - factor @ factor.T


@pytest.mark.parametrize("removed", [[2], [0, 3], [1, 2, 4]])  # lazy / compacted
def test_obs_removal_is_the_constrained_quadratic_minimum(removed):
    H = _spd(6, 0)  # 5 weights and the intercept
    w_star = np.random.default_rng(1).normal(size=6)
    w, output = w_star.copy(), _Output(np.linalg.inv(H), 5)
    loss = output.remove(w, removed)
    keep = np.setdiff1d(np.arange(6), removed)
    # argmin (v - w*)' H (v - w*) / 2 with v[removed] = 0, solved directly
    v = np.zeros(6)
    rhs = (
        H[np.ix_(keep, keep)] @ w_star[keep]
        + H[np.ix_(keep, removed)] @ w_star[removed]
    )
    v[keep] = np.linalg.solve(H[np.ix_(keep, keep)], rhs)
    np.testing.assert_allclose(w, v, atol=1e-10)
    assert loss == pytest.approx(0.5 * (v - w_star) @ H @ (v - w_star))
    # H^-1 is downdated to the inverse of H restricted to the kept coordinates
    np.testing.assert_allclose(
        _current_inverse(output, keep),
        np.linalg.inv(H[np.ix_(keep, keep)]),
        atol=1e-10,
    )
    np.testing.assert_allclose(
        output.diagonal(5)[keep[:-1]],
        np.diag(np.linalg.inv(H[np.ix_(keep, keep)]))[:-1],
    )


def test_obs_saliency_is_the_single_removal_loss():
    H = _spd(4, 2)
    w = np.array([0.5, -1.0, 2.0, 0.1])
    hinv = np.linalg.inv(H)
    saliency = obs_saliency(w[None, :], np.diag(hinv)[None, :])[0]
    for q in range(4):
        removal = _Output(hinv, 3).remove(w.copy(), [q])
        assert saliency[q] == pytest.approx(removal)


def test_obs_path_reaches_the_target_with_nested_masks():
    coef = np.random.default_rng(3).normal(size=(3, 8))
    hinvs = [np.linalg.inv(_spd(9, k)) for k in range(3)]
    alive = np.ones(coef.shape, dtype=bool)
    path = obs_path(coef, np.zeros(3), hinvs, alive, 18, "unstructured", 4)
    assert [level.n_pruned for level in path] == [0, 4, 8, 12, 16, 18]
    for before, after in zip(path[:-1], path[1:], strict=True):
        assert np.all(after.alive <= before.alive)
        assert after.loss_increase >= before.loss_increase
    assert np.count_nonzero(path[-1].coef) == 6


def test_obs_path_feature_structure_removes_whole_columns():
    coef = np.random.default_rng(4).normal(size=(3, 8))
    hinvs = [np.linalg.inv(_spd(9, k)) for k in range(3)]
    path = obs_path(coef, np.zeros(3), hinvs, np.ones((1, 8), bool), 5, "feature", 2)
    final = path[-1].coef
    assert np.count_nonzero(np.abs(final).sum(axis=0)) == 3
    assert np.all((final == 0).all(axis=0) == ~path[-1].alive[0])


def test_magnitude_saliency_uses_column_scale():
    coef = np.array([[1.0, 1.0]])
    assert np.argmin(magnitude_saliency(coef, np.array([10.0, 0.1]))) == 1


def test_cubic_schedule_is_increasing_and_ends_at_the_target():
    steps = cubic_schedule(0.95, 10)
    assert np.all(np.diff(steps) > 0)
    assert steps[-1] == pytest.approx(0.95)
    assert steps[0] > 0.95 / 10  # prunes fast first


@pytest.mark.parametrize("n_classes, structure", [(2, "unstructured"), (3, "feature")])
def test_a_path_after_pruned_columns_inverts_only_the_columns_left(
    n_classes, structure
):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from skprune.weight_pruning._hessian import inverse_hessians
    from skprune.weight_pruning._linear import Problem
    from skprune.weight_pruning._repair import as_2d, repair_problem
    from skprune.weight_pruning._schedule import pruning_path

    X, y = make_classification(
        300, 20, n_informative=6, n_classes=n_classes, random_state=0
    )
    problem = Problem(LogisticRegression(C=0.5), (X, y, {}), True)
    coef, intercept = as_2d(problem.final.coef_, problem.final.intercept_)
    alive = np.ones((1, 20), bool)
    alive[0, [1, 4, 5, 9, 13, 17]] = False  # a step already removed these
    coef, intercept = repair_problem(problem.final, problem, coef, intercept, alive)
    if structure == "unstructured":
        alive = np.broadcast_to(alive, coef.shape).copy()
    args = (problem.y_codes, problem.sample_weight, 1e-3)
    n_units, n_target = alive.size, alive.size - 4
    ours = pruning_path(
        "obs", problem, coef, intercept, alive, n_target, structure, 2, 1e-3, None
    )
    # the same path from the full-width inverse, its dead columns removed by OBS
    hinvs = inverse_hessians(problem.final, problem.Z, coef, intercept, *args)
    theirs = obs_path(coef, intercept, hinvs, alive, n_target, structure, 2)
    assert [level.n_pruned for level in ours] == [level.n_pruned for level in theirs]
    assert ours[-1].n_pruned == n_target and n_units - n_target == 4
    # the same choices; the weights differ only through the damping, a fraction
    # of the mean Hessian diagonal over the columns each inverse covers
    for mine, full in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.alive, full.alive)
        np.testing.assert_allclose(mine.coef, full.coef, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(mine.intercept, full.intercept, rtol=1e-3)


@pytest.mark.parametrize(
    "model, n_outputs",
    [
        ("logistic", 1),
        ("logistic", 3),
        ("ridge_no_intercept", 2),
        ("svc", 1),  # rows inside the margin have zero curvature
    ],
)
@pytest.mark.parametrize("n_samples", [30, 200])  # low-rank / direct inverse
def test_inverse_hessians_equal_the_explicit_inverse(model, n_outputs, n_samples):
    from scipy.special import expit, softmax
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.svm import LinearSVC

    from skprune.weight_pruning._hessian import inverse_hessians

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(n_samples, 80))
    coef = rng.normal(scale=0.3, size=(n_outputs, 80))
    intercept = rng.normal(size=n_outputs)
    y_codes = rng.integers(0, max(n_outputs, 2), n_samples)
    weights = rng.uniform(0.5, 2.0, n_samples)
    scores = Z @ coef.T + intercept
    ones = np.ones((n_samples, 1))
    if model == "logistic":
        estimator, l2 = LogisticRegression(C=0.5), 2.0
        p = expit(scores) if n_outputs == 1 else softmax(scores, axis=1)
        curvature, A = p * (1 - p), np.hstack([Z, ones])
    elif model == "ridge_no_intercept":
        estimator, l2 = Ridge(alpha=3.0, fit_intercept=False), 3.0
        curvature, A = np.ones_like(scores), Z
    else:
        estimator, l2 = LinearSVC(C=0.5), 1.0
        margin = np.where(y_codes == 1, 1.0, -1.0)[:, None] * scores
        curvature, A = (margin < 1.0).astype(float), np.hstack([Z, ones])
        assert 0 < curvature.sum() < n_samples
    damping = 1e-3
    ours = inverse_hessians(estimator, Z, coef, intercept, y_codes, weights, damping)
    for k in range(n_outputs):
        d = curvature[:, k] * weights
        H = A.T @ (A * d[:, None])
        H[np.arange(80), np.arange(80)] += l2
        H += damping * np.mean(np.diag(H)[:80]) * np.eye(len(H))
        expected = np.linalg.inv(H)
        if A.shape[1] == 80:  # no intercept: its row and column are left out
            expected = np.pad(expected, (0, 1))
            expected[-1, -1] = 1.0
        np.testing.assert_allclose(ours[k], expected, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("n_kept", [2, 9])  # gathered columns / one full product
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_decision_scores_read_the_kept_columns_of_any_layout(order, n_kept, dtype):
    from skprune.weight_pruning._gather import decision_scores, kept_columns

    rng = np.random.default_rng(0)
    X = np.asarray(rng.normal(size=(40, 10)) * 5, dtype=dtype, order=order)
    columns = np.sort(rng.choice(10, n_kept, replace=False))
    weights, intercept = rng.normal(size=(2, n_kept)), np.array([0.5, -1.0])
    kept = kept_columns(columns, weights, intercept, 10)
    expected = X[:, columns].astype(np.float64) @ weights.T + intercept
    np.testing.assert_allclose(decision_scores(X, **kept), expected, rtol=1e-12)
    if dtype != np.int64:
        X[3, 0] = np.nan  # a pruned or a kept column: both are checked
        with pytest.raises(ValueError, match="NaN or infinity"):
            decision_scores(X, **kept)
        np.testing.assert_allclose(
            decision_scores(X, **kept, check_finite=False)[4:], expected[4:]
        )


def test_spd_inverse_falls_back_to_lu_on_an_indefinite_matrix():
    from skprune.weight_pruning._hessian import _spd_inverse

    spd = _spd(5, 1)
    np.testing.assert_allclose(_spd_inverse(spd) @ spd, np.eye(5), atol=1e-10)
    indefinite = np.diag([2.0, -1.0, 3.0])  # no Cholesky factor, still invertible
    np.testing.assert_allclose(_spd_inverse(indefinite), np.diag([0.5, -1.0, 1 / 3]))
