import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skprune import WeightPruner

CLASSIFIERS = [
    LogisticRegression(max_iter=2000),
    LinearSVC(),
    SGDClassifier(random_state=0),
    RidgeClassifier(),
    Perceptron(random_state=0),
]
REGRESSORS = [
    Ridge(),
    Lasso(alpha=0.01),
    ElasticNet(alpha=0.01),
    LinearRegression(),
    SGDRegressor(random_state=0),
]


@pytest.fixture
def logistic_fits(monkeypatch):
    """The parameters of every LogisticRegression fit the test makes."""
    fits, fit = [], LogisticRegression.fit

    def recording_fit(self, X, y, **kwargs):
        fits.append(self.get_params())
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(LogisticRegression, "fit", recording_fit)
    return fits


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "estimator", CLASSIFIERS + REGRESSORS, ids=lambda e: type(e).__name__
)
@pytest.mark.parametrize("method", ["magnitude", "obs", "random"])
@pytest.mark.parametrize("structure", ["unstructured", "feature"])
def test_every_linear_model_is_pruned_exactly_to_the_target(
    estimator, method, structure
):
    X, y = _wine() if estimator in CLASSIFIERS else _diabetes()
    pruner = WeightPruner(
        estimator, sparsity=0.5, method=method, structure=structure, random_state=0
    ).fit(X, y)
    n_units = pruner.coef_.size if structure == "unstructured" else X.shape[1]
    assert pruner.sparsity_ == pytest.approx(int(0.5 * n_units) / n_units)
    assert np.all(pruner.coef_[~pruner.mask_] == 0)
    if structure == "feature":
        assert pruner.support_.sum() == X.shape[1] - int(0.5 * X.shape[1])
        assert np.all(pruner.mask_ == pruner.support_)
    # the compact predictor (kept columns only) agrees with the full-shape model
    if estimator in CLASSIFIERS:
        np.testing.assert_array_equal(pruner.predict(X), pruner.estimator_.predict(X))
        np.testing.assert_array_equal(pruner.classes_, np.unique(y))
    else:
        np.testing.assert_allclose(
            pruner.predict(X), pruner.estimator_.predict(X), atol=1e-8
        )
    assert not hasattr(estimator, "coef_")  # the given estimator is never fitted


@pytest.mark.parametrize(
    "estimator", CLASSIFIERS + REGRESSORS, ids=lambda e: type(e).__name__
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_prediction_method_reads_out_as_the_model(estimator, n_classes):
    X, y = _wine() if estimator in CLASSIFIERS else _diabetes()
    if estimator in CLASSIFIERS and n_classes == 2:
        X, y = X[y < 2], y[y < 2]
    _assert_reads_out_as_the_model(WeightPruner(estimator, sparsity=0.5), X, y)


def _assert_reads_out_as_the_model(pruner, X, y):
    pruner.fit(X, y)
    methods = ("predict", "predict_proba", "predict_log_proba", "decision_function")
    for method in methods:
        if hasattr(pruner, method):
            expected = getattr(pruner.estimator_, method)(X)
            found = getattr(pruner, method)(X)
            assert found.shape == expected.shape and found.dtype == expected.dtype
            np.testing.assert_allclose(found, expected, atol=1e-8)


class _ShiftedRidge(Ridge):
    def predict(self, X):
        return super().predict(X) + 1.0


def test_models_with_a_rule_of_their_own_read_out_as_the_model():
    from sklearn.linear_model import PoissonRegressor, TweedieRegressor

    X, y = _diabetes()
    for model in (PoissonRegressor(), TweedieRegressor(power=1.5), _ShiftedRidge()):
        _assert_reads_out_as_the_model(WeightPruner(model, sparsity=0.5), X, y)
    X, labels = _wine()
    multilabel = np.column_stack([labels == 0, labels == 1]).astype(int)
    _assert_reads_out_as_the_model(
        WeightPruner(RidgeClassifier(), sparsity=0.5), X, multilabel
    )


def test_pruned_columns_are_never_read_at_predict_time():
    X, y = _wine()
    pruner = WeightPruner(LogisticRegression(), sparsity=0.6, structure="feature").fit(
        X, y
    )
    garbage = X.copy()
    garbage[:, ~pruner.support_] = 1e6
    np.testing.assert_array_equal(
        pruner.predict_proba(garbage), pruner.predict_proba(X)
    )


def test_obs_keeps_accuracy_where_magnitude_and_random_lose_it():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    model = make_pipeline(StandardScaler(), LogisticRegression())
    dense = clone(model).fit(X_train, y_train).score(X_test, y_test)
    scores = {
        method: WeightPruner(model, sparsity=0.9, method=method, random_state=0)
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for method in ("obs", "magnitude", "random")
    }
    assert scores["obs"] >= dense - 0.03
    assert scores["obs"] >= scores["magnitude"]
    assert scores["obs"] >= scores["random"]


def test_refit_equals_the_model_fitted_on_the_kept_columns():
    X, y = _diabetes()
    pruner = WeightPruner(Ridge(alpha=1.0), sparsity=0.6).fit(X, y)
    kept = pruner.support_
    direct = Ridge(alpha=1.0).fit(X[:, kept], y)
    np.testing.assert_allclose(pruner.coef_[0, kept], direct.coef_, rtol=1e-8)
    np.testing.assert_allclose(pruner.intercept_, direct.intercept_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_newton_refit_of_few_columns_reaches_the_lbfgs_optimum(
    n_classes, logistic_fits
):
    from sklearn.datasets import make_classification

    # few kept weights: the L2 LogisticRegression repair takes Newton steps
    X, y = make_classification(
        400, 30, n_informative=6, n_classes=n_classes, random_state=0
    )
    model = LogisticRegression(C=0.3, tol=1e-10, max_iter=10_000)
    pruner = WeightPruner(model, sparsity=0.7, structure="feature").fit(X, y)
    # the dense fit with L-BFGS, the repair of 9 columns with Newton steps:
    # skprune's own for two classes (no scikit-learn fit), else newton-cholesky
    two = n_classes == 2
    solvers = [params["solver"] for params in logistic_fits]
    assert solvers == (["lbfgs"] if two else ["lbfgs", "newton-cholesky"])
    kept = pruner.support_
    direct = LogisticRegression(C=0.3, tol=1e-10, max_iter=10_000).fit(X[:, kept], y)
    assert pruner.estimator_.solver == "lbfgs"  # the model keeps its own solver
    np.testing.assert_allclose(
        pruner.coef_[:, kept], np.atleast_2d(direct.coef_), rtol=1e-4, atol=1e-6
    )


def test_the_sparse_refit_of_many_columns_takes_newton_cg(logistic_fits):
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(400, 1400, density=0.02, format="csr", random_state=0)
    y = (X[:, :20].sum(axis=1).A1 + 0.1 * rng.normal(size=400) > 0.1).astype(int)
    model = LogisticRegression(C=10.0, tol=1e-10, max_iter=10_000)
    pruner = WeightPruner(model, sparsity=0.6).fit(X, y)  # 560 weights kept
    assert [params["solver"] for params in logistic_fits] == ["lbfgs", "newton-cg"]
    kept = pruner.support_
    direct = LogisticRegression(C=10.0, tol=1e-10, max_iter=10_000).fit(X[:, kept], y)
    np.testing.assert_allclose(pruner.coef_[0, kept], direct.coef_[0], atol=1e-5)
    assert pruner.estimator_.solver == "lbfgs"  # the model keeps its own solver


def test_the_l1_repair_of_two_classes_needs_no_scikit_learn_fit(logistic_fits):
    from sklearn.datasets import make_classification

    X, y = make_classification(400, 30, n_informative=6, random_state=0)
    model = LogisticRegression(C=0.1, l1_ratio=1.0, solver="liblinear", tol=1e-10)
    pruner = WeightPruner(model, sparsity=0.7, structure="feature").fit(X, y)
    # the dense fit only
    assert [params["solver"] for params in logistic_fits] == ["liblinear"]
    # the repair is liblinear's optimum on the kept columns (some zeroed by L1)
    kept = pruner.support_
    direct = LogisticRegression(
        C=0.1, l1_ratio=1.0, solver="liblinear", tol=1e-10, max_iter=10_000
    ).fit(X[:, kept], y)
    np.testing.assert_allclose(pruner.coef_[0, kept], direct.coef_[0], atol=1e-5)
    assert pruner.intercept_[0] == pytest.approx(direct.intercept_[0], abs=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "liblinear"},
        {"class_weight": "balanced"},
        {"C": np.inf},
        {"l1_ratio": 1.0, "solver": "liblinear", "class_weight": "balanced"},
        {"l1_ratio": 0.5, "solver": "saga"},
    ],
)
def test_repairs_the_newton_steps_do_not_match_go_to_scikit_learn(
    params, logistic_fits
):
    from sklearn.datasets import make_classification

    X, y = make_classification(200, 20, n_informative=4, random_state=0)
    model = LogisticRegression(max_iter=1000, **params)
    WeightPruner(model, sparsity=0.7, structure="feature").fit(X, y)
    assert len(logistic_fits) == 2  # the dense fit and the repair's own
    for key, value in params.items():
        assert logistic_fits[1][key] == value


def test_obs_without_refit_compensates_the_survivors_on_squared_loss():
    X, y = _diabetes()
    dense = LinearRegression().fit(X, y)
    compensated = WeightPruner(
        LinearRegression(), sparsity=0.5, refit=False, damping=0.0
    ).fit(X, y)
    zeroed = WeightPruner(
        LinearRegression(), sparsity=0.5, refit=False, method="magnitude"
    ).fit(X, y)
    assert compensated.score(X, y) > zeroed.score(X, y)
    assert not np.allclose(
        compensated.coef_[compensated.mask_], dense.coef_[compensated.mask_[0]]
    )
    # OBS on a quadratic loss is exact: the same as refitting the kept columns
    refit = LinearRegression().fit(X[:, compensated.support_], y)
    np.testing.assert_allclose(compensated.coef_[0, compensated.support_], refit.coef_)
    np.testing.assert_allclose(compensated.intercept_, refit.intercept_)


def test_multinomial_masked_refit_reaches_a_stationary_point():
    X, y = _wine()
    model = LogisticRegression(C=1.0, max_iter=5000)
    pruner = WeightPruner(model, sparsity=0.6, method="obs").fit(X, y)
    W, b = pruner.coef_, pruner.intercept_
    scores = X @ W.T + b
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grad = (p - np.eye(3)[y]).T @ X + W / 1.0  # C * sum loss + ||W||^2 / 2, over C
    assert np.abs(grad[pruner.mask_]).max() < 1e-3
    assert pruner.score(X, y) > 0.95


def test_gradual_schedule_records_each_step():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    pruner = WeightPruner(model, sparsity=0.9, n_steps=4).fit(X, y)
    sparsities = [record["sparsity"] for record in pruner.history_]
    assert len(sparsities) == 5 and sparsities[0] == 0.0
    assert np.all(np.diff(sparsities) > 0)
    assert sparsities[-1] == pytest.approx(int(0.9 * 30) / 30)
    assert all(record["train_score"] > 0.9 for record in pruner.history_)
    assert np.all(np.diff([r["seconds"] for r in pruner.history_]) >= 0)


@pytest.mark.parametrize("n_steps", [1, 5])
def test_tolerance_stops_at_the_last_level_within_it(n_steps):
    X, y = make_classification(
        n_samples=1500, n_features=40, n_informative=6, random_state=0
    )
    model = make_pipeline(StandardScaler(), LogisticRegression())
    pruner = WeightPruner(
        model, sparsity=0.99, n_steps=n_steps, tolerance=0.02, random_state=0
    ).fit(X, y)
    baseline = pruner.history_[0]["validation_score"]
    assert 0.5 < pruner.sparsity_ < 0.99
    assert baseline - pruner.history_[-1]["validation_score"] <= 0.02
    assert np.isfinite(baseline)


def test_path_records_the_predicted_loss_of_each_block():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    pruner = WeightPruner(model, sparsity=0.9, block_fraction=0.1).fit(X, y)
    losses = [level["predicted_loss_increase"] for level in pruner.path_]
    assert pruner.path_[-1]["sparsity"] == pytest.approx(0.9)
    assert len(losses) == 10 and np.all(np.diff(losses) >= 0)


def test_grid_search_over_sparsity_method_and_inner_parameters():
    X, y = load_breast_cancer(return_X_y=True)
    pruner = WeightPruner(make_pipeline(StandardScaler(), LogisticRegression()))
    search = GridSearchCV(
        pruner,
        {
            "sparsity": [0.5, 0.9],
            "method": ["obs", "magnitude"],
            "estimator__logisticregression__C": [0.1, 1.0],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.95
    plain = GridSearchCV(
        WeightPruner(LogisticRegression(max_iter=5000)),
        {"estimator__C": [0.1, 1]},
        cv=3,
    )
    assert plain.fit(X, y).best_score_ > 0.9
    assert cross_val_score(WeightPruner(Ridge()), *_diabetes(), cv=3).mean() > 0.3


def test_clone_and_pickle():
    X, y = _wine()
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.7
    )
    pruner.fit(X, y)
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored.predict_proba(X), pruner.predict_proba(X))
    assert not hasattr(clone(pruner), "estimator_")


def test_delegation_follows_the_wrapped_model():
    assert not hasattr(WeightPruner(Ridge()), "predict_proba")
    assert not hasattr(WeightPruner(LinearSVC()), "predict_proba")
    assert hasattr(WeightPruner(LinearSVC()), "decision_function")
    assert hasattr(WeightPruner(LogisticRegression()), "predict_log_proba")


def test_sample_weight_reaches_every_pipeline_step():
    X, y = load_breast_cancer(return_X_y=True)
    weights = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    weighted = WeightPruner(model, sparsity=0.5).fit(X, y, sample_weight=weights)
    repeated = WeightPruner(model, sparsity=0.5).fit(
        np.repeat(X, weights.astype(int), axis=0), np.repeat(y, weights.astype(int))
    )
    np.testing.assert_array_equal(weighted.mask_, repeated.mask_)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-3, atol=1e-4)


def test_non_linear_estimator_is_a_type_error_naming_coef():
    X, y = _wine()
    with pytest.raises(TypeError, match="coef_"):
        WeightPruner(DecisionTreeClassifier()).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"sparsity": 1.0}, "sparsity"),
        ({"sparsity": -0.1}, "sparsity"),
        ({"method": "taylor"}, "method"),
        ({"structure": "row"}, "structure"),
        ({"n_steps": 0}, "n_steps"),
        (
            {"tolerance": 0.01, "validation_fraction": None},
            "tolerance needs validation",
        ),
    ],
)
def test_bad_parameters_raise_clear_errors(params, match):
    X, y = _wine()
    with pytest.raises(ValueError, match=match):
        WeightPruner(LogisticRegression(), **params).fit(X, y)


def test_verbose_prints_a_line_per_step(capsys):
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    WeightPruner(model, sparsity=0.9, n_steps=3, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("[WeightPruner] step 3/3: sparsity 0.900")
    assert "elapsed" in lines[-1]
    assert "nan" not in captured.out and "validation" not in captured.out
    assert "OBS blocks" in captured.err  # the progress bar
    WeightPruner(model, tolerance=0.05, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "validation score" in out and "nan" not in out
    assert "  block: sparsity" in out


def test_swaps_from_a_single_kept_column_find_the_informative_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 1] + 0.3 * rng.normal(size=200) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty is deprecated
        pruner = WeightPruner(
            LogisticRegression(solver="liblinear", C=100, penalty="l1"),
            sparsity=0.5,
            structure="feature",
            swaps=True,
        ).fit(X, y)
    np.testing.assert_array_equal(pruner.support_, [False, True])


def test_frames_are_predicted_and_scored_without_feature_name_warnings():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.8
    )
    plain = WeightPruner(LogisticRegression(max_iter=5000), sparsity=0.8)
    for model in (pruner, plain):
        model.fit(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert model.score(X, y) > 0.9
            assert model.predict(X).shape == y.shape
            np.testing.assert_allclose(
                model.score(X, y), np.mean(model.predict(X) == y)
            )


def test_prefit_prunes_the_fitted_model_without_refitting_it_dense():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3)).fit(X, y)
    coef = model[-1].coef_.copy()
    pruner = WeightPruner(model, sparsity=0.8, prefit=True).fit(X, y)
    np.testing.assert_array_equal(model[-1].coef_, coef)  # never changed
    assert pruner.estimator_[0] is not model[0]
    # the dense row of the history is the given model's own score
    assert pruner.history_[0]["score"] == pytest.approx(model.score(X, y))
    refit = WeightPruner(make_pipeline(StandardScaler(), LogisticRegression(C=0.3)))
    refit.set_params(sparsity=0.8).fit(X, y)
    np.testing.assert_allclose(pruner.coef_, refit.coef_, atol=1e-6)
    with pytest.raises(ValueError, match="needs a fitted estimator"):
        WeightPruner(LogisticRegression(), prefit=True).fit(X, y)
    with pytest.raises(ValueError, match="cannot hold rows out"):
        WeightPruner(model, prefit=True, tolerance=0.01).fit(X, y)
