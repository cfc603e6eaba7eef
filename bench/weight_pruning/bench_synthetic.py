"""WeightPruner against its anchors: L1-regularised fits and RFE, in one run.

    python -m bench.weight_pruning.bench_synthetic [--quick]

For each dataset (75/25 split) and sparsity, prints the test accuracy of
``make_pipeline(StandardScaler(), LogisticRegression())`` pruned by magnitude, OBS
and random choice, with and without repair; of an L1-regularised LogisticRegression
whose C is bisected to the same number of nonzero weights; and of RFE(step=0.1) to
the same count. Then the fit times (median of 3) as ratios to one plain fit, and
the predict time on 100,000 rows, pruned versus dense.
"""

import argparse
import copy
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import RFE
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench._harness import timed
from skprune import WeightPruner

SPARSITIES = (0.5, 0.8, 0.9, 0.95)


def model():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def l1_model(C):
    return make_pipeline(
        StandardScaler(),
        LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", max_iter=1000),
    )


def l1_to_count(X, y, n_nonzero, iterations=30):
    """Bisect log C until the L1 model has ``n_nonzero`` weights (or just fewer)."""
    low, high, best = -5.0, 2.0, None
    for _ in range(iterations):
        middle = (low + high) / 2
        fitted = l1_model(10**middle).fit(X, y)
        count = int(np.count_nonzero(fitted[-1].coef_))
        if count <= n_nonzero:
            low, best = middle, fitted
            if count == n_nonzero:
                break
        else:
            high = middle
    return best


def datasets(quick):
    n = 5_000 if quick else 20_000
    wide = make_classification(
        n_samples=n, n_features=500, n_informative=30, n_redundant=20, random_state=0
    )
    yield f"make_classification {n:,} x 500", wide
    yield "load_breast_cancer 569 x 30", load_breast_cancer(return_X_y=True)


def accuracy_table(name, X_train, X_test, y_train, y_test):
    dense = model().fit(X_train, y_train).score(X_test, y_test)
    print(f"\n### {name}: test accuracy (dense model {dense:.4f})\n")
    header = "| sparsity | " + " | ".join(
        f"{m}{'' if r else ' (no repair)'}"
        for m in ("obs", "magnitude", "random")
        for r in (True, False)
    )
    print(header + " | L1 bisection | RFE(step=0.1) |")
    print("|---" * 9 + "|")
    for sparsity in SPARSITIES:
        cells = []
        for method in ("obs", "magnitude", "random"):
            for refit in (True, False):
                pruner = WeightPruner(
                    model(),
                    sparsity=sparsity,
                    method=method,
                    refit=refit,
                    random_state=0,
                ).fit(X_train, y_train)
                cells.append(pruner.score(X_test, y_test))
        n_kept = int(pruner.mask_.sum())
        l1 = l1_to_count(X_train, y_train, n_kept)
        l1_kept = int(np.count_nonzero(l1[-1].coef_))
        rfe = make_pipeline(
            StandardScaler(),
            RFE(
                LogisticRegression(max_iter=1000), n_features_to_select=n_kept, step=0.1
            ),
        ).fit(X_train, y_train)
        cells += [l1.score(X_test, y_test), rfe.score(X_test, y_test)]
        text = " | ".join(f"{c:.4f}" for c in cells)
        print(f"| {sparsity:.0%} ({n_kept} kept; L1 {l1_kept}) | {text} |")


def speed_table(X_train, y_train, n_kept_fraction=0.9):
    n_kept = int(round((1 - n_kept_fraction) * X_train.shape[1]))
    plain, dense = timed(lambda: model().fit(X_train, y_train))
    obs, pruner = timed(
        lambda: WeightPruner(model(), sparsity=n_kept_fraction).fit(X_train, y_train)
    )
    l1, _ = timed(lambda: l1_to_count(X_train, y_train, n_kept), repeats=1)
    rfe, _ = timed(
        lambda: make_pipeline(
            StandardScaler(),
            RFE(
                LogisticRegression(max_iter=1000), n_features_to_select=n_kept, step=0.1
            ),
        ).fit(X_train, y_train),
        repeats=1,
    )
    print("\n| fit at 90% sparsity | seconds | / one plain fit |\n|---|---:|---:|")
    for label, seconds in [
        ("plain LogisticRegression pipeline", plain),
        ("WeightPruner(method='obs'), dense fit included", obs),
        ("L1 bisection on C (liblinear)", l1),
        ("RFE(step=0.1)", rfe),
    ]:
        print(f"| {label} | {seconds:.3f} | {seconds / plain:.2f}x |")
    rows = np.resize(X_train, (100_000, X_train.shape[1]))
    scaled_train = StandardScaler().fit_transform(X_train)
    scaled_rows = np.resize(scaled_train, rows.shape)
    plain_dense = LogisticRegression(max_iter=1000).fit(scaled_train, y_train)
    plain_pruned = WeightPruner(LogisticRegression(max_iter=1000), sparsity=0.9)
    plain_pruned.fit(scaled_train, y_train)
    cases = [
        ("LogisticRegression", plain_dense, scaled_rows),
        ("WeightPruner(LogisticRegression), 90% sparse", plain_pruned, scaled_rows),
        (
            "LogisticRegression after coef_.sparsify()",
            _sparsified(plain_dense),
            scaled_rows,
        ),
        ("StandardScaler + LogisticRegression pipeline", dense, rows),
        ("WeightPruner(pipeline), 90% sparse, scaler folded", pruner, rows),
    ]
    print("\n| predict 100,000 rows | seconds | speed-up vs its dense model |")
    print("|---|---:|---:|")
    reference = None
    for label, fitted, data in cases:
        seconds, _ = timed(lambda f=fitted, d=data: f.predict(d), repeats=7)
        if "WeightPruner" not in label and "sparsify" not in label:
            reference = seconds
        print(f"| {label} | {seconds:.4f} | {reference / seconds:.2f}x |")


def _sparsified(fitted):
    """The dense model with its 90% smallest weights zeroed, stored sparse."""
    clone = copy.deepcopy(fitted)
    coef = clone.coef_
    coef[np.abs(coef) < np.quantile(np.abs(coef), 0.9)] = 0.0
    return clone.sparsify()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows, not 20,000")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for index, (name, (X, y)) in enumerate(datasets(args.quick)):
        split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        accuracy_table(name, *split)
        if index == 0:
            speed_table(split[0], split[2])


if __name__ == "__main__":
    main()
