"""WeightPrunerCV, the default sparsity, get_support and metadata routing."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from skprune import WeightPruner, WeightPrunerCV


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True, as_frame=True)


def _model(C=1.0):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))


# -- WeightPrunerCV ---------------------------------------------------------------


def test_cv_chooses_the_strength_with_the_pruning_rerun_in_each_fold(cancer):
    X, y = cancer
    pruner = WeightPrunerCV(_model(), sparsity=0.8, strengths=4, cv=3).fit(X, y)
    results = pruner.cv_results_
    # 569 rows for 30 columns: the model as given ranks the weights
    assert results["param_selection_strength"].tolist() == [1.0] * 8
    # an int: the L1 and the L2 repair, each over the 4 strengths
    assert results["param_penalty"].tolist() == ["l1"] * 4 + ["l2"] * 4
    assert results["param_C"].tolist() == 2 * sorted(results["param_C"][:4].tolist())
    assert pruner.best_params_["C"] == results["param_C"][pruner.best_index_]
    best = pruner.best_index_
    assert pruner.best_params_["penalty"] == results["param_penalty"][best]
    chosen = (
        results["param_selection_strength"]
        == (pruner.best_params_["selection_strength"])
    ) & (results["param_penalty"] == pruner.best_params_["penalty"])
    # the best strength of the chosen penalty (NaN: skipped past a chain's best)
    assert pruner.best_score_ == np.nanmax(results["mean_test_score"][chosen])
    # the repair never adds weights: at most the 20% kept
    assert np.count_nonzero(pruner.coef_) <= 6
    assert pruner.sparsity_ >= 0.8
    assert np.array_equal(pruner.mask_, pruner.coef_ != 0)
    # the chosen strength is the one refitted on all the data
    assert pruner.estimator_[-1].C == pruner.best_params_["C"]
    l1_ratio = {"l1": 1.0, "l2": 0.0}[pruner.best_params_["penalty"]]
    assert pruner.estimator_[-1].l1_ratio == l1_ratio
    assert pruner.score(X, y) > 0.93


def test_a_chain_of_strengths_stops_two_clearly_past_its_best_in_each_fold(monkeypatch):
    from sklearn.datasets import make_classification

    from skprune.weight_pruning import _folds

    X, y = make_classification(150, 40, n_informative=4, random_state=0)
    kwargs = {"sparsity": 0.5, "strengths": np.logspace(-3, 3, 9), "cv": 3}
    kwargs["random_state"] = 0  # liblinear shuffles
    pruner = WeightPrunerCV(_model(), **kwargs).fit(X, y)
    results = pruner.cv_results_
    splits = np.array([results[f"split{k}_test_score"] for k in range(3)])
    assert np.isnan(splits).any()  # the weakest penalties were skipped somewhere
    # skipped candidates rank last and are never chosen
    skipped = np.isnan(results["mean_test_score"])
    assert (
        results["rank_test_score"][skipped].min()
        > results["rank_test_score"][~skipped].max()
    )
    assert not skipped[pruner.best_index_]
    # the scores of the strengths run are those of the full chains
    monkeypatch.setattr(_folds, "_PATIENCE", 10**9)
    full = WeightPrunerCV(_model(), **kwargs).fit(X, y).cv_results_
    full_splits = np.array([full[f"split{k}_test_score"] for k in range(3)])
    np.testing.assert_allclose(
        splits[~np.isnan(splits)], full_splits[~np.isnan(splits)]
    )
    # each chain (L1, then L2) ran until two strengths in a row scored more than
    # 2% below its best so far
    for fold, full_fold in zip(splits, full_splits, strict=True):
        for chain in (slice(0, 9), slice(9, 18)):
            best, falls, expected = -np.inf, 0, 0
            for value in full_fold[chain]:
                if falls == 2:
                    break
                expected += 1
                falls = falls + 1 if value < best - 0.02 * abs(best) else 0
                best = max(best, value)
            # the candidates run score as in the full chain (NaN where the
            # repair zeroed every weight), the rest are skipped
            np.testing.assert_array_equal(
                np.isnan(fold[chain][:expected]),
                np.isnan(full_fold[chain][:expected]),
            )
            assert np.isnan(fold[chain][expected:]).all()


def test_cv_scores_match_a_hand_run_fold():
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(3)
    pruner = WeightPrunerCV(
        _model(), sparsity=0.8, strengths={"l2": [0.1]}, cv=cv, scoring="accuracy"
    ).fit(X, y)
    for k, (train, test) in enumerate(cv.split(X, y)):
        by_hand = WeightPruner(_model(), sparsity=0.8).fit(X[train], y[train])
        # penalty l2 with C=0.1 repairs differently from C=1: recompute
        model = _model(C=0.1)
        model.fit(X[train][:, by_hand.support_], y[train])
        expected = model.score(X[test][:, by_hand.support_], y[test])
        assert pruner.cv_results_[f"split{k}_test_score"][0] == pytest.approx(
            expected, abs=0.02
        )


def test_cv_tolerance_keeps_the_sparsest_level_within_it(cancer):
    X, y = cancer
    pruner = WeightPrunerCV(
        _model(), sparsity=0.95, tolerance=0.01, strengths=3, cv=3
    ).fit(X, y)
    results = pruner.cv_results_
    assert len(np.unique(results["param_sparsity"])) == 10
    dense = results["dense_test_score"][0]
    chosen = pruner.best_params_["sparsity"]
    assert pruner.best_score_ >= dense - 0.01
    sparser = results["param_sparsity"] > chosen
    best_sparser = results["mean_test_score"][sparser]
    assert best_sparser.size == 0 or best_sparser.max() < dense - 0.01
    n_columns = X.shape[1]
    assert pruner.sparsity_ >= int(chosen * n_columns) / n_columns


def test_cv_warns_when_no_level_is_within_tolerance(cancer):
    X, y = cancer
    # every column carries signal, and the repair is the dense model's own
    X = np.random.default_rng(0).normal(size=(300, 20))
    y = (X.sum(axis=1) > 0).astype(int)
    with pytest.warns(UserWarning, match="No sparsity tried keeps") as record:
        WeightPrunerCV(
            _model(), sparsity=0.99, tolerance=0.0, strengths={"l2": [1.0]}, cv=2
        ).fit(X, y)
    assert [w.filename for w in record if "No sparsity" in str(w.message)] == [
        __file__
    ]  # it points at the caller's line


@pytest.mark.parametrize(
    "model, param, penalties",
    [
        (Ridge(), "alpha", ["l2"]),
        (RidgeClassifier(), "alpha", ["l2"]),
        (LinearSVC(), "C", ["l1", "l2"]),
        (SGDClassifier(random_state=0), "alpha", ["l1", "l2"]),
    ],
)
def test_cv_tunes_each_models_own_parameter(model, param, penalties):
    classifier = not isinstance(model, Ridge)
    X, y = (load_breast_cancer if classifier else load_diabetes)(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pruner = WeightPrunerCV(model, sparsity=0.5, strengths=3, cv=3).fit(X, y)
    assert set(pruner.best_params_) == {
        "sparsity",
        param,
        "penalty",
        "selection_strength",
        "n_steps",
    }
    assert sorted(set(pruner.cv_results_["param_penalty"])) == penalties
    assert pruner.best_params_["penalty"] in penalties
    assert np.count_nonzero(pruner.coef_) <= X.shape[1] // 2 + 1


def test_cv_without_a_penalty_tunes_only_the_sparsity():
    X, y = load_diabetes(return_X_y=True)
    pruner = WeightPrunerCV(LinearRegression(), sparsity=0.8, tolerance=0.05, cv=3)
    pruner.fit(X, y)
    assert set(pruner.best_params_) == {"sparsity", "n_steps"}
    assert len(pruner.cv_results_["mean_test_score"]) == 10


def test_cv_multiclass_unstructured_is_l2_and_l1_is_a_clear_error():
    X, y = load_wine(return_X_y=True)
    pruner = WeightPrunerCV(_model(), sparsity=0.7, strengths=3, cv=3).fit(X, y)
    assert pruner.best_params_["penalty"] == "l2"
    assert pruner.score(X, y) > 0.9
    with pytest.raises(ValueError, match='structure="feature"'):
        WeightPrunerCV(_model(), strengths={"l1": 2}, cv=2).fit(X, y)


def test_a_grid_per_penalty_of_its_own_length(cancer):
    X, y = cancer
    grid = {"l2": [0.1, 1.0, 10.0], "l1": [0.5]}
    pruner = WeightPrunerCV(_model(), sparsity=0.8, strengths=grid, cv=3).fit(X, y)
    results = pruner.cv_results_
    # L1 first, L2 last (the reference), each over its own values
    assert results["param_penalty"].tolist() == ["l1", "l2", "l2", "l2"]
    assert results["param_C"].tolist() == [0.5, 0.1, 1.0, 10.0]
    penalty, C = pruner.best_params_["penalty"], pruner.best_params_["C"]
    assert C in grid[penalty]
    assert pruner.estimator_[-1].C == C


@pytest.mark.parametrize("strengths", [{"l3": 2}, {}])
def test_a_grid_naming_no_known_penalty_is_refused(cancer, strengths):
    X, y = cancer
    with pytest.raises(ValueError, match="maps a penalty, 'l1' or 'l2'"):
        WeightPrunerCV(_model(), strengths=strengths, cv=2).fit(X, y)


def test_cv_in_grid_search_and_default_scoring(cancer):
    X, y = cancer
    search = GridSearchCV(
        WeightPrunerCV(_model(), strengths=2, cv=2), {"sparsity": [0.5, 0.9]}, cv=2
    ).fit(X, y)
    assert search.best_estimator_.n_splits_ == 2
    # classifiers with probabilities are tuned on the log-loss by default
    pruner = WeightPrunerCV(_model(), strengths=2, cv=2).fit(X, y)
    assert pruner.best_score_ < 0


# -- the default sparsity ----------------------------------------------------------


def test_default_prunes_what_is_free_on_the_training_data(cancer):
    X, y = cancer
    dense = _model().fit(X, y).score(X, y)
    pruner = WeightPruner(_model()).fit(X, y)
    assert pruner.sparsity_ > 0.3  # it does prune
    assert pruner.score(X, y) >= dense - 0.01 - 1e-12
    assert np.isnan(pruner.history_[-1]["validation_score"])
    # a fixed sparsity is still a fixed sparsity
    assert WeightPruner(_model(), sparsity=0.9).fit(X, y).sparsity_ == pytest.approx(
        0.9, abs=0.02
    )


# -- get_support, get_feature_names_out ---------------------------------------------


def test_support_and_feature_names_of_the_kept_columns(cancer):
    X, y = cancer
    pruner = WeightPruner(_model(), sparsity=0.8).fit(X, y)
    kept = pruner.get_support(indices=True)
    assert np.array_equal(pruner.get_support(), pruner.support_)
    assert pruner.get_feature_names_out().tolist() == X.columns[kept].tolist()
    frame = X.assign(kind=np.where(X.iloc[:, 0] > 14, "big", "small"))
    model = make_pipeline(
        sklearn.compose.make_column_transformer(
            (OneHotEncoder(), ["kind"]), remainder=StandardScaler()
        ),
        LogisticRegression(max_iter=1000),
    )
    pruner = WeightPruner(model, sparsity=0.8).fit(frame, y)
    names = pruner.get_feature_names_out()
    assert len(names) == pruner.support_.sum()
    assert all(name.startswith(("onehotencoder__", "remainder__")) for name in names)


# -- metadata routing -----------------------------------------------------------------


def test_sample_weight_follows_the_inner_models_request(cancer):
    X, y = cancer
    weights = np.where(y == 1, 3.0, 1.0)

    def pipeline(scaler_request, model_request):
        scaler = StandardScaler()
        model = LogisticRegression(max_iter=1000)
        if scaler_request is not None:
            scaler.set_fit_request(sample_weight=scaler_request)
        model.set_fit_request(sample_weight=model_request)
        return make_pipeline(scaler, model)

    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(Exception, match="sample_weight"):
            # StandardScaler has not said what to do with sample_weight
            WeightPruner(pipeline(None, True), sparsity=0.5).fit(
                X, y, sample_weight=weights
            )
        to_model = WeightPruner(pipeline(False, True), sparsity=0.5)
        to_model.fit(X, y, sample_weight=weights)
        to_scaler = WeightPruner(pipeline(True, False), sparsity=0.5)
        to_scaler.fit(X, y, sample_weight=weights)
    # the same fits by hand, routing off
    plain = StandardScaler().fit_transform(X)
    weighted = StandardScaler().fit(X, sample_weight=weights).transform(X)
    model = LogisticRegression(max_iter=1000)
    expected = WeightPruner(model, sparsity=0.5).fit(plain, y, sample_weight=weights)
    assert np.allclose(to_model.coef_, expected.coef_, atol=1e-4)
    expected = WeightPruner(model, sparsity=0.5).fit(weighted, y)
    assert np.allclose(to_scaler.coef_, expected.coef_, atol=1e-4)


def test_fit_params_reach_the_wrapped_model():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SGDClassifier(random_state=0, max_iter=5, tol=None)
    start = np.zeros((1, X.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pruner = WeightPruner(model, sparsity=0.5).fit(X, y, coef_init=start)
    assert pruner.sparsity_ == pytest.approx(0.5, abs=0.04)
    with pytest.raises(ValueError, match="step__parameter"):
        WeightPruner(_model(), sparsity=0.5).fit(X, y, C=3)


def test_cv_with_kfold_for_a_regressor():
    X, y = load_diabetes(return_X_y=True)
    pruner = WeightPrunerCV(Ridge(), sparsity=0.5, strengths=3, cv=KFold(3)).fit(X, y)
    assert pruner.n_splits_ == 3
    assert np.isfinite(pruner.best_score_)


def test_cv_with_a_class_missing_from_a_fold():
    X, y = load_wine(return_X_y=True)
    y = y.copy()
    y[:4] = 3  # a class of four rows: some folds' test parts lack it
    pruner = WeightPrunerCV(
        _model(), sparsity=0.5, structure="feature", strengths=2, cv=5
    ).fit(X, y)
    results = pruner.cv_results_
    scores = results["mean_test_score"]
    assert not np.isinf(scores).any()
    # L2 repairs keep every column: never the intercept-only model's NaN
    assert np.isfinite(scores[results["param_penalty"] == "l2"]).all()


def test_the_fold_log_loss_equals_scikit_learns():
    from sklearn.metrics import get_scorer

    from skprune.weight_pruning._choice import NegLogLoss

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 120)]
    model = LogisticRegression().fit(X, y)
    weights = rng.random(120)
    ours = NegLogLoss(np.unique(y))
    theirs = get_scorer("neg_log_loss")
    assert ours(model, X, y) == pytest.approx(theirs(model, X, y), rel=1e-12)
    assert ours(model, X, y, sample_weight=weights) == pytest.approx(
        theirs(model, X, y, sample_weight=weights), rel=1e-12
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_fold_log_loss_of_new_weights_equals_scikit_learns(n_classes):
    from sklearn.metrics import get_scorer

    from skprune.weight_pruning._choice import NegLogLoss
    from skprune.weight_pruning._linear import with_weights

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = np.array(["a", "b", "c"][:n_classes])[rng.integers(0, n_classes, 120)]
    model = LogisticRegression().fit(X, y)
    coef = np.atleast_2d(model.coef_).copy()
    coef[:, 1] = 0.0  # a pruned column
    intercept = np.atleast_1d(model.intercept_) + 0.3
    weights = rng.random(120)
    direct = NegLogLoss(np.unique(y)).weights_scorer(model, X, y, weights)
    pruned = with_weights(model, coef, intercept)
    expected = get_scorer("neg_log_loss")(pruned, X, y, sample_weight=weights)
    assert direct(coef, intercept) == pytest.approx(expected, rel=1e-12)
    # other models and inputs are scored through the model
    assert NegLogLoss(np.unique(y)).weights_scorer(model, X.tolist(), y) is None


def test_cv_picks_a_more_shrunk_ranking_model_where_it_scores_clearly_better(cancer):
    X, y = cancer
    pruner = WeightPrunerCV(
        _model(C=100.0),
        sparsity=0.9,
        strengths=3,
        rankings=[(1.0, 1), (1000.0, 1)],  # the model as given first
        swaps=False,  # the path's columns, as ranked
    ).fit(X, y)
    results = pruner.cv_results_
    best = {
        m: results["mean_test_score"][results["param_selection_strength"] == m].max()
        for m in (1.0, 1000.0)
    }
    chosen = pruner.best_params_["selection_strength"]
    assert best[chosen] == max(best.values())
    rows = (results["param_selection_strength"] == chosen) & (
        results["param_penalty"] == pruner.best_params_["penalty"]
    )
    assert pruner.best_score_ == results["mean_test_score"][rows].max()
    # the final fit ranks with the chosen model: its columns are the ones kept
    ranking = make_pipeline(
        StandardScaler(), LogisticRegression(C=100.0 / chosen, max_iter=1000)
    )
    by_hand = WeightPruner(ranking, sparsity=0.9, structure="unstructured").fit(X, y)
    assert np.all(pruner.support_ <= by_hand.support_)
    for bad in ([(0.0, 1)], [(1.0, 0)], [(1.0, "cubic")], [1.0], [(1.0, True)]):
        with pytest.raises(ValueError, match="selection_strength, n_steps"):
            WeightPrunerCV(_model(), rankings=bad).fit(X, y)


def test_auto_rankings_try_the_model_as_given_beside_10x_on_few_rows(cancer):
    X, y = cancer
    wide = np.hstack(
        [X.to_numpy()[:80], np.random.default_rng(0).normal(size=(80, 30))]
    )
    pruner = WeightPrunerCV(_model(), sparsity=0.9, strengths=2)
    pruner.fit(wide, y[:80])
    results = pruner.cv_results_
    # 80 rows < 2.5 x 60 columns; 10x first, kept unless another ranking is
    # better beyond the folds' noise
    assert results["param_selection_strength"][0] == 10.0
    assert results["param_n_steps"][0] == 1
    scores = np.stack(
        [results[f"split{k}_test_score"] for k in range(pruner.n_splits_)]
    ).reshape(pruner.n_splits_, 4, -1)  # (folds, rankings, candidates)
    # each ranking at its best candidate on average, compared fold by fold
    best = scores[:, np.arange(4), scores.mean(axis=0).argmax(axis=1)]
    gains = best - best[:, :1]
    clear = gains.mean(axis=0) - gains.std(axis=0, ddof=1) / np.sqrt(len(gains))
    clear[0] = 0.0
    kept = int(np.argmax(clear)) if clear.max() > 0 else 0
    first = kept * scores.shape[2]
    assert (
        pruner.best_params_["selection_strength"]
        == (results["param_selection_strength"][first])
    )
    assert pruner.best_params_["n_steps"] == results["param_n_steps"][first]
    # many rows per column: the model as given only
    pruner = WeightPrunerCV(_model(), sparsity=0.9, strengths=2).fit(X, y)
    assert set(pruner.cv_results_["param_selection_strength"]) == {1.0}


def test_auto_rankings_try_a_halving_schedule_on_few_rows(cancer):
    X, y = cancer
    wide = np.hstack(
        [X.to_numpy()[:80], np.random.default_rng(0).normal(size=(80, 30))]
    )
    kwargs = {"sparsity": 0.9, "strengths": 2, "cv": 3, "random_state": 0}
    pruner = WeightPrunerCV(_model(), **kwargs).fit(wide, y[:80])
    results = pruner.cv_results_
    # (10x, 1x) x (one step, halving), the one-step 10x ranking the reference
    rankings = list(
        zip(results["param_selection_strength"], results["param_n_steps"], strict=True)
    )
    assert list(dict.fromkeys(rankings)) == [
        (10.0, 1),
        (1.0, 1),
        (10.0, "halving"),
        (1.0, "halving"),
    ]
    # every fold scored every ranking
    for k in range(pruner.n_splits_):
        scores = results[f"split{k}_test_score"].reshape(4, -1)
        assert np.isfinite(scores).any(axis=1).all()
    # the final fit prunes along the chosen ranking: asked for alone, the same
    chosen = (pruner.best_params_["selection_strength"], pruner.best_params_["n_steps"])
    alone = WeightPrunerCV(_model(), rankings=[chosen], **kwargs).fit(wide, y[:80])
    np.testing.assert_array_equal(alone.support_, pruner.support_)
    assert pruner.sparsity_ >= 0.9 - 1e-9
    # many rows per column: one step only
    pruner = WeightPrunerCV(_model(), sparsity=0.9, strengths=2, cv=3).fit(X, y)
    assert set(pruner.cv_results_["param_n_steps"]) == {1}


def test_the_model_as_given_ranks_unless_another_is_clearly_better():
    from skprune.weight_pruning._choice import clearly_better

    folds = np.array([[-0.50, -0.49], [-0.52, -0.53], [-0.51, -0.505]])[:, :, None]
    assert clearly_better(folds) == 0  # ahead on average, not beyond the folds' noise
    folds[:, 1] += 0.05
    assert clearly_better(folds) == 1


def test_the_l2_repair_is_kept_unless_the_l1_one_is_clearly_better():
    from skprune.weight_pruning._shrinkage import Shrinkage

    candidates = Shrinkage.candidates(LogisticRegression(), [0.1, 1.0], 2, False)

    def chosen(fold_scores):  # (folds, candidates): L1 at 0.1, 1; L2 at 0.1, 1
        pruner = WeightPrunerCV(_model())
        pruner.n_splits_ = len(fold_scores)
        folds = [
            (-0.4, np.asarray(row, float)[None, None, :], np.ones((1, 1, 4), int))
            for row in fold_scores
        ]
        pruner._choose(folds, candidates, np.array([0.9]), [(1.0, 1)])
        return pruner.best_params_["penalty"], pruner.best_params_["C"]

    # L1 ahead on average, within the folds' noise: L2, at its best strength
    noisy = [[-0.50, -0.60, -0.52, -0.51], [-0.53, -0.60, -0.52, -0.55]]
    assert chosen(noisy + [[-0.50, -0.60, -0.52, -0.53]]) == ("l2", 0.1)
    # ahead in every fold: L1
    clear = [[-0.45, -0.60, -0.52, -0.51], [-0.46, -0.60, -0.53, -0.55]]
    assert chosen(clear + [[-0.44, -0.60, -0.52, -0.53]]) == ("l1", 0.1)


def test_auto_ranks_a_10x_more_shrunk_model_when_rows_are_few_per_column():
    from sklearn.datasets import make_classification

    X, y = make_classification(120, 60, n_informative=5, random_state=0)
    pruner = WeightPrunerCV(
        _model(C=0.5), sparsity=0.9, strengths=3, cv=3, swaps=False
    )  # the path's columns, as ranked
    pruner.fit(X, y)
    assert pruner.best_params_["selection_strength"] == 10.0
    ranking = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=1000))
    by_hand = WeightPruner(ranking, sparsity=0.9).fit(X, y)
    assert np.all(pruner.support_ <= by_hand.support_)


def test_cv_ranking_in_steps_prunes_as_weight_pruner_does(cancer):
    X, y = cancer
    gradual = WeightPrunerCV(
        _model(),
        sparsity=0.8,
        rankings=[(1.0, 4)],  # the model as given, 4 steps
        strengths={"l2": [1.0]},
        cv=3,
        swaps=False,  # WeightPruner's default
    ).fit(X, y)
    by_hand = WeightPruner(_model(), sparsity=0.8, n_steps=4).fit(X, y)
    # the same re-ranked columns: intermediate repairs with the model as given
    np.testing.assert_array_equal(gradual.support_, by_hand.support_)
    sparsities = [level["sparsity"] for level in gradual.path_]
    assert sparsities == sorted(sparsities) and sparsities[-1] == pytest.approx(0.8)
    # each step's path starts from repaired weights: its predicted loss restarts
    losses = np.array([level["predicted_loss_increase"] for level in gradual.path_])
    assert (np.diff(losses) < 0).sum() == 3


def test_cv_in_parallel_folds_gives_the_sequential_result(cancer):
    # the folds run in worker processes; the parent's one-BLAS-thread limit
    # (narrow models) neither travels nor changes a result
    X, y = cancer
    kwargs = {"sparsity": 0.8, "strengths": 3, "cv": 3, "random_state": 0}
    one = WeightPrunerCV(_model(), **kwargs).fit(X, y)
    two = WeightPrunerCV(_model(), n_jobs=2, **kwargs).fit(X, y)
    assert two.best_params_ == one.best_params_
    np.testing.assert_allclose(
        two.cv_results_["mean_test_score"], one.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(two.coef_, one.coef_)


def test_narrow_models_are_pruned_on_one_blas_thread(cancer, monkeypatch):
    from threadpoolctl import threadpool_info

    import skprune.weight_pruning._pruner as pruner_module

    seen, run = [], pruner_module.WeightPruner._prune

    def recording(self, *args, **kwargs):
        seen.append(
            {
                info["num_threads"]
                for info in threadpool_info()
                if info["user_api"] == "blas"
            }
        )
        return run(self, *args, **kwargs)

    monkeypatch.setattr(pruner_module.WeightPruner, "_prune", recording)
    before = {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }
    X, y = cancer
    WeightPruner(_model(), sparsity=0.8).fit(X, y)
    assert seen == [{1}]
    after = {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }
    assert after == before  # restored


def test_swap_columns_leaves_a_bad_support_for_the_informative_columns():
    from sklearn.datasets import make_classification

    from skprune.weight_pruning._linear import Problem
    from skprune.weight_pruning._repair import as_2d, repair_problem
    from skprune.weight_pruning._swaps import penalised_loss, swap_columns

    X, y = make_classification(
        300, 20, n_informative=2, n_redundant=0, shuffle=False, random_state=0
    )  # columns 0 and 1 informative
    model = LogisticRegression(C=1.0)
    problem = Problem(model, (X, y, {}), True)
    alive = np.zeros((1, 20), bool)
    alive[0, [7, 12]] = True  # two noise columns
    coef, intercept = as_2d(problem.final.coef_, problem.final.intercept_)
    coef, intercept = repair_problem(model, problem, coef * alive, intercept, alive)
    before = penalised_loss(model, problem, coef, intercept, np.flatnonzero(alive))
    coef, intercept, alive, n = swap_columns(model, problem, coef, intercept, alive)
    assert np.flatnonzero(alive[0]).tolist() == [0, 1] and n >= 2
    assert np.all(coef[:, 2:] == 0)
    after = penalised_loss(model, problem, coef, intercept, np.array([0, 1]))
    assert after < before
    # the result is the repair of those columns
    direct = LogisticRegression(C=1.0).fit(X[:, :2], y)
    np.testing.assert_allclose(coef[0, :2], direct.coef_[0], rtol=1e-3)


def _repaired_support(model, problem, dense, columns):
    """The penalised loss and weights of ``model`` repaired on ``columns``."""
    from skprune.weight_pruning._repair import repair_problem
    from skprune.weight_pruning._swaps import penalised_loss

    alive = np.zeros((1, dense[0].shape[1]), bool)
    alive[0, list(columns)] = True
    coef, intercept = repair_problem(model, problem, dense[0] * alive, dense[1], alive)
    loss = penalised_loss(model, problem, coef, intercept, np.array(columns))
    return loss, coef, intercept, alive


def test_swap_columns_reach_the_best_pair_from_most_starts():
    import itertools

    from sklearn.datasets import make_classification

    from skprune.weight_pruning._linear import Problem
    from skprune.weight_pruning._repair import as_2d
    from skprune.weight_pruning._swaps import swap_columns

    reached = tried = 0
    for seed in range(8):
        # 3 informative columns, 3 combinations of them (correlated), 6 noise
        X, y = make_classification(
            300,
            12,
            n_informative=3,
            n_redundant=3,
            shuffle=False,
            flip_y=0.1,
            random_state=seed,
        )
        model = LogisticRegression(C=1.0)
        problem = Problem(model, (X, y, {}), True)
        dense = as_2d(problem.final.coef_, problem.final.intercept_)
        supports = {
            pair: _repaired_support(model, problem, dense, pair)
            for pair in itertools.combinations(range(12), 2)
        }
        losses = {pair: found[0] for pair, found in supports.items()}
        for start in (max(losses, key=losses.get), (3, 4), (5, 11)):
            _, coef, intercept, alive = supports[start]
            _, _, alive, _ = swap_columns(model, problem, coef, intercept, alive)
            found = tuple(np.flatnonzero(alive[0]).tolist())
            # within the exchange threshold (0.086 here) of the best pair
            reached += losses[found] <= min(losses.values()) + 0.09
            tried += 1
    # single exchanges found after a repair without each kept column reach
    # the best pair from 19 of 24 starts (block exchanges alone: 10)
    assert reached >= 17, (reached, tried)


@pytest.mark.parametrize(
    "n_classes, structure",  # several classes: swaps need whole columns
    [(2, "unstructured"), (3, "feature")],
)
def test_cv_swaps_lower_the_training_loss_of_few_kept_columns(n_classes, structure):
    from sklearn.datasets import make_classification

    from skprune.weight_pruning._swaps import penalised_loss

    X, y = make_classification(  # few rows per column, redundant columns
        90, 40, n_informative=4, n_redundant=6, n_classes=n_classes, random_state=1
    )
    X = StandardScaler().fit_transform(X)
    kwargs = {"sparsity": 0.9, "strengths": 3, "cv": 3, "structure": structure}
    fits = {
        swaps: WeightPrunerCV(
            LogisticRegression(max_iter=1000), swaps=swaps, random_state=0, **kwargs
        ).fit(X, y)
        for swaps in ("auto", False, True)
    }
    assert fits[False].n_swaps_ == 0
    assert fits["auto"].n_swaps_ > 0
    assert fits[True].n_swaps_ == fits["auto"].n_swaps_  # 4 columns: auto swaps
    assert fits["auto"].best_params_ == fits[False].best_params_  # folds unswapped

    def loss(pruner):
        model = pruner.estimator_
        columns = np.flatnonzero(pruner.support_)

        class Data:  # what penalised_loss reads of a Problem
            Z, sample_weight = X, None
            y_codes = np.searchsorted(model.classes_, y)
            binary_target = (y_codes == 1).astype(float)

        coef = np.atleast_2d(pruner.coef_)
        return penalised_loss(model, Data, coef, pruner.intercept_, columns)

    assert loss(fits["auto"]) <= loss(fits[False]) + 1e-9
    assert fits["auto"].support_.sum() <= fits[False].support_.sum()


def test_cv_swaps_leave_other_models_alone():
    X, y = load_diabetes(return_X_y=True)
    pruner = WeightPrunerCV(Ridge(), sparsity=0.8, strengths=3, cv=3).fit(X, y)
    assert pruner.n_swaps_ == 0


def test_swap_columns_leave_a_model_the_penalty_zeroed():
    from sklearn.datasets import make_classification

    from skprune.weight_pruning._linear import Problem
    from skprune.weight_pruning._swaps import swap_columns

    X, y = make_classification(100, 10, random_state=0)
    model = LogisticRegression(C=1e-4, l1_ratio=1.0, solver="liblinear")
    problem = Problem(LogisticRegression(), (X, y, {}), True)
    alive = np.zeros((1, 10), bool)
    alive[0, :2] = True
    coef, intercept = np.zeros((1, 10)), np.zeros(1)
    out = swap_columns(model, problem, coef, intercept, alive)
    assert out[3] == 0 and np.array_equal(out[2], alive)


def test_weight_pruner_swaps_only_when_asked():
    from sklearn.datasets import make_classification

    from skprune.weight_pruning._linear import Problem
    from skprune.weight_pruning._swaps import penalised_loss

    X, y = make_classification(90, 40, n_informative=4, n_redundant=6, random_state=5)
    X = StandardScaler().fit_transform(X)
    model = LogisticRegression(C=1.0, max_iter=1000)
    fits = {
        swaps: WeightPruner(model, sparsity=0.9, structure="feature", swaps=swaps).fit(
            X, y
        )
        for swaps in (False, "auto")
    }
    assert fits[False].n_swaps_ == 0 and fits["auto"].n_swaps_ > 0
    problem = Problem(model, (X, y, {}), True)

    def loss(pruner):
        columns = np.flatnonzero(pruner.support_)
        return penalised_loss(model, problem, pruner.coef_, pruner.intercept_, columns)

    assert loss(fits["auto"]) < loss(fits[False])
    assert fits["auto"].support_.sum() == fits[False].support_.sum() == 4


def test_cv_never_chooses_a_repair_that_zeroes_every_weight():
    from sklearn.datasets import make_classification

    # a near-chance target: the strongest L1 repairs zero every weight
    X, y = make_classification(
        150, 30, n_informative=2, flip_y=0.45, class_sep=0.3, random_state=0
    )
    pruner = WeightPrunerCV(
        _model(), sparsity=0.8, strengths={"l1": np.logspace(-4, 1, 6)}, cv=3
    ).fit(X, y)
    results = pruner.cv_results_
    empty = results["mean_n_nonzero"] == 0
    assert empty.any() and np.isnan(results["mean_test_score"][empty]).all()
    assert pruner.support_.sum() > 0


def _binary(n=120, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return X, (X[:, 0] + 0.7 * rng.normal(size=n) > 0).astype(int)


@pytest.mark.parametrize(
    "params",
    [
        {"penalty": "l1", "solver": "liblinear"},
        {"penalty": "l1", "solver": "saga"},
        {"penalty": "elasticnet", "l1_ratio": 0.5, "solver": "saga"},
        {"penalty": "l2", "solver": "liblinear"},
        {"l1_ratio": 1.0, "solver": "liblinear"},
        {"penalty": None},
    ],
)
def test_every_logistic_penalty_spelling_is_repaired(params):
    X, y = _binary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty is deprecated
        warnings.simplefilter("ignore", ConvergenceWarning)
        pruner = WeightPrunerCV(
            LogisticRegression(**params), sparsity=0.5, cv=3, random_state=0
        ).fit(X, y)
    assert pruner.best_params_["penalty"] in ("l1", "l2")
    assert np.count_nonzero(pruner.coef_) <= 3
    assert pruner.score(X, y) > 0.7


def test_a_subclass_of_logistic_regression_is_pruned_as_one():
    class MyLR(LogisticRegression):
        pass

    X, y = _binary()
    sub = WeightPrunerCV(MyLR(), sparsity=0.5, cv=3, random_state=0).fit(X, y)
    base = WeightPrunerCV(LogisticRegression(), sparsity=0.5, cv=3, random_state=0).fit(
        X, y
    )
    assert sub.best_params_ == base.best_params_
    np.testing.assert_allclose(sub.coef_, base.coef_)


def test_a_fold_whose_held_out_rows_weigh_nothing_is_a_clear_error():
    X, y = _binary(40, 4)
    y = np.tile([0, 1], 20)
    weight = np.ones(40)
    weight[:20] = 0.0
    with pytest.raises(ValueError, match="fold 0: every held-out row has"):
        WeightPrunerCV(LogisticRegression(), sparsity=0.5, cv=2).fit(
            X, y, sample_weight=weight
        )
    # shuffled folds see weighted rows in every held-out part
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    pruner = WeightPrunerCV(LogisticRegression(), sparsity=0.5, cv=cv)
    assert pruner.fit(X, y, sample_weight=weight).sparsity_ == 0.5


def test_swaps_with_a_single_kept_column():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.array(["a", "b", "c"])[np.argmax(X + rng.normal(size=(30, 3)), axis=1)]
    pruner = WeightPrunerCV(
        LogisticRegression(), sparsity=0.75, structure="feature", swaps=True, cv=2
    ).fit(X, y)
    assert pruner.support_.sum() == 1
    assert set(pruner.predict(X)) <= {"a", "b", "c"}


def test_random_state_seeds_a_shuffling_model_so_refits_repeat():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(solver="saga", tol=1e-2))
    fits = [
        WeightPrunerCV(model, sparsity=0.8, cv=3, random_state=7).fit(X, y)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].best_params_ == fits[1].best_params_
    assert model[-1].random_state is None  # the given model is never changed
