"""FeaturePruner on dask collections, and the library on a dask cluster."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from skprune import FeaturePruner

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")


def _data(n=60_000, seed=2):
    X, y = make_classification(
        n_samples=n,
        n_features=15,
        n_informative=4,
        n_redundant=0,
        shuffle=False,
        random_state=seed,
    )
    return X, y


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_dask_array_scores_equal_the_in_memory_ones(criterion):
    X, y = _data(n=150_000)  # larger than the edge sample: same sampled rows
    reference = FeaturePruner(criterion).fit(X, y)
    pruner = FeaturePruner(criterion).fit(
        da.from_array(X, chunks=(20_000, 5)), da.from_array(y, chunks=33_000)
    )
    np.testing.assert_allclose(
        pruner.scores_, reference.scores_, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(pruner.pvalues_, reference.pvalues_, rtol=1e-9)
    np.testing.assert_array_equal(pruner.get_support(), reference.get_support())


def test_dask_dataframe_with_strings_and_missing_values():
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    frame["city"] = np.where(y == 1, "oslo", "rome").astype(object)
    frame.loc[::13, "city"] = None
    frame.loc[::17, "c0"] = np.nan
    reference = FeaturePruner().fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=6)
    pruner = FeaturePruner().fit(ddf, dd.from_pandas(pd.Series(y), npartitions=6))
    np.testing.assert_allclose(pruner.scores_, reference.scores_, atol=1e-12)
    assert list(pruner.get_feature_names_out()) == list(
        reference.get_feature_names_out()
    )
    assert "city" in pruner.get_feature_names_out()


def test_transform_stays_lazy_and_selects_the_kept_columns():
    X, y = _data(n=20_000)
    Xd = da.from_array(X, chunks=(5_000, 15))
    pruner = FeaturePruner().fit(Xd, da.from_array(y, chunks=5_000))
    out = pruner.transform(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), X[:, pruner.get_support()])
    frame = dd.from_pandas(pd.DataFrame(X).add_prefix("c"), npartitions=4)
    fitted = FeaturePruner().fit(frame, dd.from_pandas(pd.Series(y), npartitions=4))
    lazy = fitted.transform(frame)
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == list(fitted.get_feature_names_out())


def test_regression_target_and_infinity_on_dask():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 4))
    y = 3 * X[:, 1] + rng.normal(size=30_000)
    pruner = FeaturePruner().fit(
        da.from_array(X, chunks=7_000), da.from_array(y, chunks=7_000)
    )
    assert pruner.get_support().tolist() == [False, True, False, False]
    X[12_345, 2] = np.inf
    with pytest.raises(ValueError, match="infinity in column 2"):
        FeaturePruner().fit(
            da.from_array(X, chunks=7_000), da.from_array(y, chunks=7_000)
        )


def test_dask_input_refuses_what_needs_all_rows():
    X, y = _data(n=2_000)
    with pytest.raises(ValueError, match="neither sample_weight nor redundancy"):
        FeaturePruner(redundancy="mrmr").fit(da.from_array(X), da.from_array(y))


def test_grid_search_on_a_local_cluster_with_the_dask_joblib_backend():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skprune import WeightPruner

    X, y = _data(n=1_500)
    rows = np.random.default_rng(0).permutation(len(y))  # folds of mixed classes
    X, y = X[rows], y[rows]
    pipe = make_pipeline(FeaturePruner(), WeightPruner(LogisticRegression()))
    grid = {"featurepruner__max_features": [2, 4], "weightpruner__sparsity": [0.0, 0.5]}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with parallel_backend("dask"):
            search = GridSearchCV(pipe, grid, cv=3, n_jobs=-1).fit(X, y)
        assert len(client.scheduler_info()["workers"]) == 2
    assert search.best_params_["featurepruner__max_features"] == 4
    assert search.best_score_ > 0.8


def test_import_does_not_load_dask():
    import subprocess
    import sys

    code = (
        "import sys, skprune\n"
        "print('dask' in sys.modules, 'distributed' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("as_target", [pd.Series, np.asarray])
def test_dask_frame_with_in_memory_target_scores_as_in_memory(as_target):
    rng = np.random.default_rng(0)
    n = 1000
    y = rng.integers(0, 2, n)
    X = pd.DataFrame(
        {
            "d": pd.date_range("2020", periods=n, freq="h"),
            "x": rng.normal(size=n) + y,
            "c": np.array(["a", "b"])[y],
        }
    )
    X.loc[::13, "d"] = pd.NaT
    memory = FeaturePruner(threshold=None).fit(X, y)
    lazy = FeaturePruner(threshold=None).fit(
        dd.from_pandas(X, npartitions=4), as_target(y)
    )
    np.testing.assert_allclose(lazy.scores_, memory.scores_)
