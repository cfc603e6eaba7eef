"""What users feed FeaturePruner: every frame fit takes, the other methods take;
bad input gets an error that names the problem."""

import time
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline

from skprune import FeaturePruner
from skprune.feature_pruning import information_gain

Y = np.array([0, 1] * 50)


def _mixed_frames():
    yield pd.DataFrame(
        {"n": pd.array(Y, dtype="Int64"), "c": pd.Categorical(np.array(["x", "y"])[Y])}
    )
    yield pd.DataFrame({"d": pd.date_range("2020", periods=100), "i": Y})
    yield pd.DataFrame({"t": pd.to_timedelta(Y * 3, unit="s"), "b": Y.astype(bool)})
    yield pd.DataFrame(
        {
            "tz": pd.date_range("2020", periods=100, tz="Europe/Oslo"),
            "s": np.array(["a", "b"])[Y],
            "f": np.where(Y == 1, 1.5, np.nan),
        }
    )


@pytest.mark.parametrize("frame", list(_mixed_frames()))
def test_transform_returns_kept_columns_with_values_unchanged(frame):
    pruner = FeaturePruner(threshold=None).fit(frame, Y)
    out = pruner.transform(frame)
    expected = frame.to_numpy()
    assert out.shape == expected.shape
    assert all(
        (a == b) or (pd.isna(a) and pd.isna(b))
        for a, b in zip(out.ravel(), expected.ravel(), strict=True)
    )
    assert [type(v) for v in out[0]] == [type(v) for v in expected[0]]
    framed = pruner.set_output(transform="pandas").transform(frame)
    pd.testing.assert_frame_equal(framed, frame)


def test_pandas_output_keeps_category_columns_for_gradient_boosting():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    X = pd.DataFrame(
        {
            "c": pd.Categorical(np.where(y == 1, "hot", "cold")),
            "x": y + rng.normal(scale=0.5, size=400),
            "noise": rng.normal(size=400),
        }
    )
    model = make_pipeline(
        FeaturePruner(),
        HistGradientBoostingClassifier(categorical_features="from_dtype"),
    ).set_output(transform="pandas")
    model.fit(X, y)
    assert isinstance(model[0].transform(X)["c"].dtype, pd.CategoricalDtype)
    assert model.score(X, y) > 0.9


def test_polars_in_polars_out_keeps_dtypes():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(
        {
            "f32": pl.Series(Y + 0.5, dtype=pl.Float32),
            "i8": pl.Series(Y, dtype=pl.Int8),
            "cat": pl.Series(np.array(["x", "y"])[Y]).cast(pl.Categorical),
        }
    )
    pruner = FeaturePruner(threshold=None).set_output(transform="polars")
    out = pruner.fit(frame, Y).transform(frame)
    assert out.schema == frame.schema


def test_nat_scores_like_nan_in_the_same_column_as_float():
    stamps = pd.Series(pd.date_range("2020", periods=100, freq="D"))
    stamps[::7] = pd.NaT
    as_float = stamps.astype("int64").astype(float)
    as_float[stamps.isna()] = np.nan
    rng = np.random.default_rng(0)
    y = (rng.random(100) < np.linspace(0.2, 0.8, 100)).astype(int)
    a = FeaturePruner(threshold=None).fit(stamps.to_frame(), y)
    b = FeaturePruner(threshold=None).fit(as_float.to_frame(), y)
    np.testing.assert_allclose(a.scores_, b.scores_)
    np.testing.assert_allclose(a.pvalues_, b.pvalues_)


@pytest.mark.parametrize("weight", [1e-200, 1e-3, 1.0, 1e14, 1e20])
def test_extreme_sample_weights_give_finite_scores_quickly(weight):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    X[:, 0] += 3 * Y
    start = time.perf_counter()
    expect = (
        pytest.warns(UserWarning, match="less than one sample")
        if weight * 100 < 1
        else nullcontext()
    )
    with expect:
        pruner = FeaturePruner().fit(X, Y, sample_weight=np.full(100, weight))
    assert time.perf_counter() - start < 1.0
    assert np.isfinite(pruner.scores_).all() and np.isfinite(pruner.pvalues_).all()
    # the raw gains do not depend on the scale of the weights
    assert pruner.scores_.argmax() == 0


def test_huge_weights_make_informative_columns_certain_not_noise():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    X[:, 0] += Y.repeat(2)
    y = Y.repeat(2)
    pruner = FeaturePruner().fit(X, y, sample_weight=np.full(200, 1e14))
    assert pruner.pvalues_[0] < 1e-12
    # 2e16 samples: nothing is left to chance, the score is the raw gain
    unit = FeaturePruner().fit(X, y)
    raw = information_gain(unit._tables[0])
    np.testing.assert_allclose(pruner.scores_[0], raw, rtol=1e-9)
    assert unit.scores_[0] < raw


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (pd.DataFrame({"l": [[1]] * 100}), Y, TypeError, "Column 'l' holds unhashable"),
        (
            np.zeros((100, 1)),
            np.array([1, "a"] * 50, dtype=object),
            TypeError,
            "y mixes strings and numbers",
        ),
    ],
)
def test_bad_input_errors_name_the_problem(X, y, error, match):
    with pytest.raises(error, match=match):
        FeaturePruner().fit(X, y)


def test_malformed_threshold_names_the_parameter():
    with pytest.raises(ValueError, match=r"threshold='1.2.3\*mean' is not understood"):
        FeaturePruner(threshold="1.2.3*mean").fit(np.zeros((100, 1)), Y)


def test_huge_n_bins_is_capped_by_the_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    pruner = FeaturePruner(n_bins=10**9, threshold=None).fit(X, X[:, 0])
    assert np.isfinite(pruner.scores_).all()


@pytest.mark.parametrize("redundancy", [None, "mrmr"])
def test_skops_round_trips_a_pruner_fitted_on_mixed_columns(redundancy):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "s": np.array(["a", "b"])[Y],
            "c": pd.Categorical(np.array(["u", "v"])[Y]),
            "x": rng.normal(size=100) + Y,
            "d": pd.date_range("2020", periods=100),
        }
    )
    pruner = FeaturePruner(redundancy=redundancy).fit(X, Y)
    dumped = sio.dumps(pruner)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["skprune.feature_pruning._pruner.FeaturePruner"]
    loaded = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(loaded.scores_, pruner.scores_)
    pd.testing.assert_frame_equal(
        loaded.set_output(transform="pandas").transform(X),
        pruner.set_output(transform="pandas").transform(X),
    )
    if redundancy is None:  # partial_fit goes on from the persisted plan
        loaded.partial_fit(X, Y)
        assert loaded._tables[0].sum() == 200
