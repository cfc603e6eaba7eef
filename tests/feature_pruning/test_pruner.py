import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import FeaturePruner


def _informative_data(n_samples=3000, n_features=30, n_informative=5, seed=2):
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        n_repeated=0,
        shuffle=False,
        random_state=seed,
    )


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize("seed", [1, 2, 6, 7])
def test_auto_threshold_keeps_informative_columns_and_little_noise(criterion, seed):
    # In these seeds every informative column depends on y on its own (with
    # make_classification's clusters on hypercube vertices, some seeds make a
    # column informative only jointly, which no univariate score can see).
    X, y = _informative_data(seed=seed)
    pruner = FeaturePruner(criterion).fit(X, y)
    kept = set(pruner.get_support(indices=True))
    assert set(range(5)) <= kept
    assert len(kept - set(range(5))) <= 1
    assert pruner.scores_[:5].min() > pruner.scores_[5:].max()


def test_auto_threshold_recall_and_false_positives_over_many_seeds():
    found = noise_kept = 0
    for seed in range(12):
        X, y = _informative_data(seed=seed)
        kept = FeaturePruner().fit(X, y).get_support()
        found += kept[:5].sum()
        noise_kept += kept[5:].sum()
    assert found >= 0.9 * 12 * 5
    assert noise_kept <= 0.01 * 12 * 25


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_scores_order_strong_weak_noise(criterion):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    flip = lambda p: np.where(rng.random(y.size) < p, 1 - y, y)  # noqa: E731
    X = np.column_stack([flip(0.05), flip(0.3), rng.integers(0, 2, y.size)])
    scores = FeaturePruner(criterion).fit(X, y).scores_
    assert scores[0] > scores[1] > scores[2]
    assert abs(scores[2]) < 1e-3


def test_pure_noise_keeps_only_the_best_column_and_says_so():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 20)), rng.integers(0, 2, 2000)
    with pytest.warns(UserWarning, match="No column passed threshold='auto'"):
        pruner = FeaturePruner().fit(X, y)
    assert pruner.get_support(indices=True).tolist() == [np.argmax(pruner.scores_)]
    assert pruner.pvalues_.min() > 0.05 / 20  # none significant: the warning's case
    # the next Pipeline step gets a column, never an empty array
    assert pruner.transform(X).shape == (2000, 1)


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_high_cardinality_columns_are_not_rewarded(criterion):
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "signal": np.where(rng.random(n) < 0.2, 1 - y, y),
            "int_id": np.arange(n),
            "str_id": [f"row-{i}" for i in range(n)],
            "cat500": pd.Categorical(rng.integers(0, 500, n).astype(str)),
        }
    )
    pruner = FeaturePruner(criterion, threshold=None).fit(frame, y)
    assert np.abs(pruner.scores_[1:]).max() < 0.01 * pruner.scores_[0]
    auto = FeaturePruner(criterion).fit(frame, y)
    assert list(auto.get_feature_names_out()) == ["signal"]


def test_dataframe_with_strings_and_missing_values_round_trips():
    rng = np.random.default_rng(0)
    n = 1500
    y = rng.integers(0, 3, n)
    city = np.array(["paris", "oslo", "rome"])[y].astype(object)
    city[rng.random(n) < 0.1] = None
    amount = y * 10.0 + rng.normal(size=n)
    amount[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {
            "city": city,
            "amount": amount,
            "flag": rng.random(n) < 0.5,
            "level": pd.Categorical(rng.choice(["a", "b"], n)),
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        }
    )
    frame.loc[::7, "count"] = pd.NA
    pruner = FeaturePruner().set_output(transform="pandas").fit(frame, y)
    out = pruner.transform(frame)
    assert list(out.columns) == ["city", "amount"]
    assert out.dtypes.equals(frame.dtypes[["city", "amount"]])
    pd.testing.assert_frame_equal(out, frame[["city", "amount"]])
    assert list(pruner.get_feature_names_out()) == ["city", "amount"]
    plain = clone(pruner).set_output(transform="default").fit(frame, y)
    assert plain.transform(frame).shape == (n, 2)


def test_missing_values_carry_signal():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    x = rng.normal(size=2000)
    x[y == 1] = np.nan  # missingness is the signal
    pruner = FeaturePruner().fit(x[:, None], y)
    assert pruner.get_support()[0]
    assert pruner.scores_[0] > 0.9


def test_regression_target_is_binned():
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    X = np.column_stack([X, rng.normal(size=(X.shape[0], 5))])
    pruner = FeaturePruner().fit(X, y)
    kept = pruner.get_support(indices=True)
    assert {2, 8} <= set(kept)  # bmi and s5, the strongest known predictors
    assert not set(kept) & set(range(10, 15))


def test_max_features_and_threshold_apply_together():
    X, y = _informative_data()
    assert FeaturePruner(max_features=3).fit(X, y).get_support().sum() == 3
    assert FeaturePruner(max_features=0.5).fit(X, y).get_support().sum() == 5
    top = FeaturePruner(threshold=None, max_features=7).fit(X, y)
    assert top.get_support().sum() == 7
    mean = FeaturePruner(threshold="mean").fit(X, y)
    assert np.all(mean.scores_[mean.get_support()] >= mean.scores_.mean())
    scaled = FeaturePruner(threshold="1.5*median").fit(X, y)
    cut = 1.5 * np.median(scaled.scores_)
    assert np.array_equal(scaled.get_support(), scaled.scores_ >= cut)
    order = top.selection_order_
    assert np.all(np.diff(top.scores_[order]) <= 0)


def test_mrmr_keeps_one_of_several_copies():
    X, y = _informative_data(n_features=10)
    X = np.column_stack([X, X[:, 0], X[:, 0], X[:, 0]])  # 10, 11, 12 copy column 0
    plain = FeaturePruner().fit(X, y)
    assert {0, 10, 11, 12} <= set(plain.get_support(indices=True))
    mrmr = FeaturePruner(redundancy="mrmr").fit(X, y)
    kept = set(mrmr.get_support(indices=True))
    assert len(kept & {0, 10, 11, 12}) == 1
    assert {1, 2, 3, 4} <= kept
    assert len(mrmr.selection_order_) == len(kept)


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_jmi_finds_columns_informative_only_jointly(criterion):
    rng = np.random.default_rng(0)
    n = 4000
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y = a ^ b
    X = np.column_stack([rng.integers(0, 2, (n, 4)), a, rng.normal(size=n), b])
    with pytest.warns(UserWarning, match="No column passed"):
        univariate = FeaturePruner(criterion).fit(X, y)
    assert univariate.pvalues_.min() > 0.05 / 7
    with pytest.warns(UserWarning, match="No column passed"):
        mrmr = FeaturePruner(criterion, redundancy="mrmr").fit(X, y)
    assert mrmr.get_support().sum() == 1
    jmi = FeaturePruner(criterion, redundancy="jmi").fit(X, y)
    assert sorted(jmi.selection_order_) == [4, 6]


def test_jmi_stops_at_copies_and_noise():
    X, y = _informative_data(n_features=12, n_informative=3)
    X = np.column_stack([X, X[:, 0]])
    jmi = FeaturePruner(redundancy="jmi").fit(X, y)
    kept = set(jmi.get_support(indices=True))
    assert {1, 2} <= kept
    assert len(kept & {0, 12}) >= 1
    assert len(kept - {0, 1, 2, 12}) <= 1


def test_sample_weight_weights_the_counts():
    X, y = _informative_data(n_samples=600, n_features=6, n_informative=2)
    weights = np.random.default_rng(0).integers(0, 3, y.size)
    weighted = FeaturePruner(threshold=None).fit(X, y, sample_weight=weights)
    repeated = FeaturePruner(threshold=None).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(weighted.scores_, repeated.scores_)
    np.testing.assert_allclose(weighted.pvalues_, repeated.pvalues_)


def test_pipeline_grid_search_and_cross_validation():
    X, y = _informative_data(n_samples=800, n_features=15)
    pipe = make_pipeline(FeaturePruner(), StandardScaler(), LogisticRegression())
    search = GridSearchCV(
        pipe,
        {
            "featurepruner__max_features": [2, 5],
            "featurepruner__criterion": ["entropy", "gini"],
            "featurepruner__threshold": ["auto", None],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_params_["featurepruner__max_features"] == 5
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.8


def test_clone_pickle_and_determinism():
    X, y = _informative_data(n_samples=500)
    pruner = FeaturePruner(redundancy="mrmr").fit(X, y)
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored.transform(X), pruner.transform(X))
    again = clone(pruner).fit(X, y)
    np.testing.assert_array_equal(again.scores_, pruner.scores_)
    np.testing.assert_array_equal(again.selection_order_, pruner.selection_order_)
    assert not hasattr(clone(pruner), "scores_")


def test_inverse_transform_restores_kept_columns():
    X, y = _informative_data(n_samples=500, n_features=8)
    pruner = FeaturePruner().fit(X, y)
    back = pruner.inverse_transform(pruner.transform(X))
    support = pruner.get_support()
    np.testing.assert_array_equal(back[:, support], X[:, support])
    assert np.all(back[:, ~support] == 0)


def test_fortran_ordered_and_float32_input_give_the_same_scores():
    X, y = _informative_data(n_samples=1000, n_features=8)
    reference = FeaturePruner().fit(X, y).scores_
    np.testing.assert_allclose(
        FeaturePruner().fit(np.asfortranarray(X), y).scores_, reference
    )
    np.testing.assert_allclose(
        FeaturePruner().fit(X.astype(np.float32), y).scores_, reference, atol=1e-3
    )


@pytest.mark.parametrize(
    "params, X_change, y_change, match",
    [
        (
            {},
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X),
            None,
            "infinity in column 7",
        ),
        ({}, None, lambda y: np.where(np.arange(y.size) == 3, np.nan, y), "NaN"),
        ({"criterion": "variance"}, None, None, "criterion"),
        ({"max_features": 50}, None, None, "max_features=50 is larger"),
        ({"max_features": 1.5}, None, None, "max_features"),
        ({"max_features": 0}, None, None, "max_features"),
        ({"threshold": "2*mode"}, None, None, "threshold='2\\*mode' is not understood"),
        ({"alpha": 1.5}, None, None, "alpha"),
    ],
)
def test_bad_input_raises_clear_errors(params, X_change, y_change, match):
    X, y = _informative_data(n_samples=200, n_features=10)
    X = X_change(X) if X_change else X
    y = y_change(y.astype(float)) if y_change else y
    with pytest.raises(ValueError, match=match):
        FeaturePruner(**params).fit(X, y)


def test_missing_target_in_object_labels_is_an_error():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="y contains 1 missing value"):
        FeaturePruner().fit(X, np.array(["a", None, "b", "a"], dtype=object))


def test_infinity_in_a_dataframe_column_is_an_error():
    frame = pd.DataFrame({"a": [1.0, 2.0, np.inf, 4.0], "b": ["x", "y", "x", "y"]})
    with pytest.raises(ValueError, match="infinity in column 0"):
        FeaturePruner().fit(frame, [0, 1, 0, 1])


def test_transform_checks_columns():
    X, y = _informative_data(n_samples=300, n_features=6)
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    pruner = FeaturePruner().fit(frame, y)
    with pytest.raises(ValueError, match="features"):
        pruner.transform(X[:, :5])
    with pytest.raises(ValueError, match="feature names"):
        pruner.transform(frame.rename(columns={"c0": "other"}))


def test_verbose_reports_the_scoring_and_the_order(capsys):
    X, y = _informative_data(n_samples=500, n_features=8)
    FeaturePruner(redundancy="mrmr", verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out.startswith("[FeaturePruner] scored 8 columns by entropy")
    assert "elapsed" in captured.out and len(captured.out.splitlines()) == 1
    assert "mrmr selection" in captured.err  # the progress bar
    FeaturePruner(redundancy="mrmr", verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "    1. x" in out  # the selection order, one line each
    FeaturePruner().fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_partial_fit_reports_each_chunk_only_at_verbose_2(capsys):
    X, y = _informative_data(n_samples=500, n_features=8)
    pruner = FeaturePruner(verbose=1)
    for chunk in np.array_split(np.arange(500), 5):
        pruner.partial_fit(X[chunk], y[chunk])
    assert capsys.readouterr().out == ""
    pruner.set_params(verbose=2).partial_fit(X, y)
    assert "on 1,000 (weighted) rows" in capsys.readouterr().out


def _small_wide_table():
    # 266 rows, 130 columns: too few rows for any pair test to pass after a
    # correction over ~8,400 pairs (JMI returned no column here before)
    X, y = make_classification(
        n_samples=266, n_features=127, n_informative=6, random_state=3
    )
    return np.column_stack([X, X[:, 0], X[:, 1], X[:, 0]]), y  # 127..129 are copies


@pytest.mark.parametrize("redundancy", [None, "mrmr", "jmi"])
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize("k", [5, 10, 20])
def test_max_features_k_gives_k_columns_in_every_mode(redundancy, criterion, k):
    X, y = _small_wide_table()
    pruner = FeaturePruner(
        criterion, redundancy=redundancy, max_features=k, threshold=None
    ).fit(X, y)
    assert pruner.support_.sum() == k
    assert len(set(pruner.selection_order_)) == k
    if redundancy is not None:  # an exact copy is never kept beside its original
        kept = set(pruner.selection_order_)
        assert len(kept & {0, 127, 129}) <= 1 and len(kept & {1, 128}) <= 1


@pytest.mark.parametrize("redundancy", [None, "mrmr", "jmi"])
def test_minus_infinity_threshold_is_no_threshold(redundancy):
    X, y = _small_wide_table()
    none = FeaturePruner(redundancy=redundancy, threshold=None, max_features=7)
    minus_inf = FeaturePruner(redundancy=redundancy, threshold=-np.inf, max_features=7)
    order = none.fit(X, y).selection_order_
    assert np.array_equal(order, minus_inf.fit(X, y).selection_order_)
    assert len(order) == 7


@pytest.mark.parametrize("redundancy", ["mrmr", "jmi"])
def test_copies_come_last_when_k_needs_them(redundancy):
    X, y = _informative_data(n_features=4, n_informative=2)
    X = np.column_stack([X, X[:, 0] * 3 + 1, X[:, 1]])  # 4, 5 copy columns 0, 1
    pruner = FeaturePruner(redundancy=redundancy, threshold=None, max_features=6)
    order = list(pruner.fit(X, y).selection_order_)
    assert sorted(order) == list(range(6))
    assert len(set(order[:4]) & {0, 4}) == 1 and len(set(order[:4]) & {1, 5}) == 1


def test_pair_tables_match_one_at_a_time():
    from skprune.feature_pruning._binning import find_levels, level_codes
    from skprune.feature_pruning._criteria import adjusted_gain
    from skprune.feature_pruning._redundancy import PairScores

    X, y = _informative_data(n_samples=300, n_features=5)
    levels = find_levels(X, 4)
    codes, n_levels = level_codes(levels)
    tables = [np.zeros((n, 2)) for n in n_levels]
    for j, t in enumerate(tables):
        np.add.at(t, (codes[j], y), 1.0)
    pairs = PairScores(codes, n_levels, tables, y, None, "entropy")
    gains, copies = pairs.joint_gains(0, np.array([1, 2, 3]))
    for g, f in zip(gains, [1, 2, 3], strict=True):
        joint = np.zeros((n_levels[f] * n_levels[0], 2))
        np.add.at(joint, (codes[f] * n_levels[0] + codes[0], y), 1.0)
        assert g == pytest.approx(adjusted_gain(joint))
    share, copy = pairs.redundancy(0, np.array([0, 1]))
    cross = np.zeros((n_levels[1], n_levels[0]))
    np.add.at(cross, (codes[1], codes[0]), 1.0)
    own = np.diag(np.bincount(codes[0], minlength=n_levels[0]).astype(float))
    assert share[1] == pytest.approx(adjusted_gain(cross) / adjusted_gain(own))
    assert share[0] == 1.0 and copy[0] and not copy[1] and not copies.any()


def test_auto_jmi_does_not_collapse_on_small_data():
    X, y = _small_wide_table()
    pruner = FeaturePruner(redundancy="jmi", max_features=10).fit(X, y)
    assert pruner.support_.sum() >= 1
    assert pruner.selection_order_[0] == np.argmax(
        np.where(pruner._threshold_mask(), pruner.scores_, -np.inf)
    )


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_mrmr_keeps_one_of_two_near_copies_while_distinct_columns_are_left(criterion):
    # a strong column and a copy of it with noise at 1% of its scale, beside
    # three weak distinct columns: at k = 4 the copy is the one to leave out
    rng = np.random.default_rng(8)
    n = 6000
    Z = rng.normal(size=(n, 4))
    y = Z @ [2.7, 0.5, 2.1, 0.4] + rng.normal(size=n)
    X = np.column_stack([Z, Z[:, 0] + 0.01 * rng.normal(size=n)])
    pruner = FeaturePruner(
        criterion, redundancy="mrmr", threshold=None, max_features=4
    ).fit(X, y)
    kept = set(pruner.get_support(indices=True).tolist())
    assert {1, 2, 3} <= kept and len(kept & {0, 4}) == 1
    (left,) = {0, 4} - kept
    assert pruner.redundant_with_[left] == ({0, 4} - {left}).pop()
