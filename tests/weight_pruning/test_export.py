"""to_estimator() and report(): the plain model a user ships, and what it bought."""

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from skprune import WeightPruner, WeightPrunerCV


def _wide(n=300, p=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 5, size=p) + rng.normal(size=p)
    y = X[:, :5] @ np.ones(5) + rng.normal(size=n) > X[:, :5].sum(axis=1).mean()
    return X, y.astype(int)


def _same_predictions(pruner, shipped, X):
    np.testing.assert_array_equal(shipped.predict(X), pruner.predict(X))
    for method in ("predict_proba", "decision_function"):
        if hasattr(pruner, method):
            np.testing.assert_allclose(
                getattr(shipped, method)(X), getattr(pruner, method)(X), atol=1e-9
            )


@pytest.mark.parametrize(
    "head",
    [
        [],
        [StandardScaler()],
        [MinMaxScaler(), StandardScaler()],
        [RobustScaler()],
        [MaxAbsScaler()],
    ],
)
@pytest.mark.parametrize("structure", ["feature", "unstructured"])
def test_the_shipped_model_predicts_as_the_pruner(head, structure):
    X, y = load_wine(return_X_y=True)
    model = make_pipeline(*head, LogisticRegression(max_iter=5000))
    pruner = WeightPruner(model, sparsity=0.7, structure=structure).fit(X, y)
    shipped = pruner.to_estimator()
    assert isinstance(shipped, Pipeline)
    _same_predictions(pruner, shipped, X)
    # it reads only the kept columns: the others may hold anything
    X_other = X.copy()
    X_other[:, ~pruner.support_] = np.nan
    np.testing.assert_array_equal(shipped.predict(X_other), pruner.predict(X))


def test_a_head_that_is_not_per_column_stays_and_selection_follows_it():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "city": rng.choice(["a", "b", "c", "d"], 400),
            "size": rng.normal(size=400),
            "noise": rng.normal(size=400),
        }
    )
    y = ((X["city"] == "a") ^ (X["size"] > 1)).astype(int)
    encode = make_column_transformer(
        (OneHotEncoder(), ["city"]), remainder="passthrough"
    )
    model = make_pipeline(encode, StandardScaler(), LogisticRegression())
    pruner = WeightPruner(model, sparsity=0.5, structure="feature").fit(X, y)
    shipped = pruner.to_estimator()
    assert [name for name, _ in shipped.steps] == [
        "columntransformer",
        "select_kept_columns",
        "standardscaler",
        "logisticregression",
    ]
    assert shipped[-1].n_features_in_ == pruner.support_.sum() == 3
    _same_predictions(pruner, shipped, X)


def test_a_frame_fitted_model_reads_the_kept_columns_by_name():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()),
        sparsity=0.9,
        structure="feature",
    ).fit(X, y)
    shipped = pruner.to_estimator()
    kept = list(pruner.get_feature_names_out())
    _same_predictions(pruner, shipped, X)
    # upstream may send the kept columns only, in any order
    np.testing.assert_array_equal(shipped.predict(X[kept[::-1]]), pruner.predict(X))


def test_regressors_and_sparse_input_are_reduced():
    X, y = load_diabetes(return_X_y=True)
    pruner = WeightPruner(Ridge(), sparsity=0.6, structure="feature").fit(X, y)
    np.testing.assert_allclose(pruner.to_estimator().predict(X), pruner.predict(X))
    rng = np.random.default_rng(0)
    X = sp.random(200, 60, density=0.1, format="csr", random_state=0)
    y = np.asarray(X[:, :4].sum(axis=1)).ravel() + 0.1 * rng.normal(size=200) > 0.1
    pruner = WeightPruner(SGDClassifier(random_state=0), sparsity=0.8).fit(X, y)
    shipped = pruner.to_estimator()
    assert sp.issparse(shipped[:-1].transform(X))
    _same_predictions(pruner, shipped, X)


def test_the_cv_pruner_ships_the_chosen_repair():
    X, y = _wide(p=60)
    pruner = WeightPrunerCV(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.9, cv=3
    ).fit(X, y)
    _same_predictions(pruner, pruner.to_estimator(), X)


def test_the_shipped_model_is_smaller_and_loads_without_skprune(tmp_path):
    X, y = _wide()
    model = make_pipeline(StandardScaler(), LogisticRegression())
    pruner = WeightPruner(model, sparsity=0.9, structure="feature").fit(X, y)
    dense = model.fit(X, y)
    shipped = pruner.to_estimator()
    assert len(pickle.dumps(shipped)) < 0.5 * len(pickle.dumps(dense))
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(shipped))
    np.save(tmp_path / "X.npy", X)
    script = (
        "import sys, pickle, numpy as np\n"
        "sys.modules['skprune'] = None  # any import of skprune fails\n"
        f"model = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"print(model.predict_proba(np.load({str(tmp_path / 'X.npy')!r}))[:, 1].sum())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    total = pruner.predict_proba(X)[:, 1].sum()
    assert float(result.stdout) == pytest.approx(total, rel=1e-9)


def test_onnx_predictions_match():
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from skl2onnx.common.data_types import FloatTensorType

    X, y = load_wine(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    pruner = WeightPruner(model, sparsity=0.7, structure="feature").fit(X, y)
    onnx_model = skl2onnx.to_onnx(
        pruner.to_estimator(),
        initial_types=[("X", FloatTensorType([None, X.shape[1]]))],
        options={"zipmap": False},
    )
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, pruner.predict_proba(X), atol=1e-5)
    assert (labels == pruner.predict(X)).mean() > 0.99  # float32 ties aside


def test_a_reduction_that_would_predict_otherwise_is_a_clear_error():
    from skprune.weight_pruning._export import reduced_estimator

    class Unused(LogisticRegression):  # per-column state predict never reads
        def fit(self, X, y):
            self.column_notes_ = np.ones(X.shape[1])
            return super().fit(X, y)

    class Shifted(LogisticRegression):  # per-column state predict reads
        def decision_function(self, X):
            return super().decision_function(np.asarray(X) - self.shift_)

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    pruner = WeightPruner(Unused(), sparsity=0.5, structure="feature").fit(X, y)
    _same_predictions(pruner, pruner.to_estimator(), X)
    model = Shifted().fit(X, y)
    model.shift_ = np.linspace(-1.0, 1.0, X.shape[1])
    model.coef_[:, 10:] = 0.0
    support = np.arange(X.shape[1]) < 10
    with pytest.raises(ValueError, match="cannot be reduced to its kept columns"):
        reduced_estimator(model, support)


def test_report_shows_the_gain_in_parameters_bytes_and_flops():
    X, y = _wide()
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()),
        sparsity=0.9,
        structure="feature",
    ).fit(X, y)
    table = pruner.report(X, y, repeats=3)
    assert list(table.index) == ["dense", "pruned"]
    assert list(table.columns) == [
        "parameters",
        "bytes",
        "predict_seconds",
        "flops_per_row",
        "score",
    ]
    dense, pruned = table.loc["dense"], table.loc["pruned"]
    assert dense["parameters"] == 401 and pruned["parameters"] == 41
    assert pruned["flops_per_row"] == 80 and dense["flops_per_row"] == 800
    assert pruned["bytes"] < 0.5 * dense["bytes"]
    assert (table["predict_seconds"] > 0).all()
    assert pruned["score"] == pytest.approx(pruner.score(X, y))
    assert np.isnan(pruner.report(X, repeats=1)["score"]).all()


def test_pruners_are_selectors_in_a_pipeline():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    select = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()),
        sparsity=0.9,
        structure="feature",
    )
    kept = select.fit(X, y).get_feature_names_out()
    np.testing.assert_array_equal(select.transform(X), X[kept].to_numpy())
    select.set_output(transform="pandas")
    frame = select.transform(X)
    assert list(frame.columns) == list(kept)
    assert (frame.dtypes == X[kept].dtypes).all()
    model = make_pipeline(select, LogisticRegression(max_iter=1000)).fit(X, y)
    assert model[-1].n_features_in_ == len(kept) == 3
    assert model.score(X, y) > 0.9


def test_the_cv_default_keeps_the_sparsest_level_the_folds_cannot_tell_apart():
    X, y = load_wine(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    pruner = WeightPrunerCV(model, cv=3, random_state=0).fit(X, y)
    levels = np.unique(pruner.cv_results_["param_sparsity"])
    assert len(levels) == 10 and levels.max() == pytest.approx(38 / 39)
    assert 0 < pruner.sparsity_ < levels.max()
    assert pruner.score(X, y) > 0.95
