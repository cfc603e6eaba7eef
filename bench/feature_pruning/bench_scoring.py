"""FeaturePruner's scoring against scikit-learn's anchors, in one run.

    python -m bench.feature_pruning.bench_scoring [--rows 1000000] [--repeats 3]

Prints a table of median times (of ``--repeats`` runs) and ratios, the number of
truly informative columns each method ranks in its top 10, and the extra memory the
fit needs (measured in a fresh subprocess, as the growth of its peak RSS).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.feature_selection import SelectFromModel, f_classif, mutual_info_classif

from bench._harness import median_time
from skprune import FeaturePruner


def data(n_samples, seed=0):
    # 5 informative + 5 redundant columns first (shuffle=False keeps the columns in
    # place), 90 noise columns; the rows shuffled (make_classification without
    # shuffling orders them by class, which flatters every sort).
    X, y = make_classification(
        n_samples=n_samples,
        n_features=100,
        n_informative=5,
        n_redundant=5,
        shuffle=False,
        random_state=seed,
    )
    rows = np.random.default_rng(seed).permutation(n_samples)
    return X[rows], y[rows]


def informative_in_top10(scores):
    return int(np.sum(np.argsort(-np.asarray(scores), kind="stable")[:10] < 10))


def peak_memory_ratio(n_samples):
    """Extra peak RSS of a fit on (n_samples, 100) float64, over the array's size.

    Runs in a fresh process; resets the kernel's high-water mark just before the
    fit (``/proc/self/clear_refs``) and reads it after (``VmHWM``).
    """
    code = f"""
import numpy as np
from skprune import FeaturePruner

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key)) * 1024

rng = np.random.default_rng(0)
X = np.empty(({n_samples}, 100)); rng.standard_normal(out=X)
y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
FeaturePruner(threshold=None).fit(X[:1000], y[:1000])  # load the compiled kernels
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
FeaturePruner(threshold=None).fit(X, y)
print((status("VmHWM") - before) / X.nbytes)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip())


def compile_time():
    """Seconds of the first fit in a fresh process whose numba cache is empty."""
    code = (
        "import time; from sklearn.datasets import make_classification\n"
        "X, y = make_classification(n_samples=500, random_state=0)\n"
        "from skprune import FeaturePruner\n"
        "start = time.perf_counter(); FeaturePruner().fit(X, y)\n"
        "print(time.perf_counter() - start)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env
        )
    return float(out.stdout.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    FeaturePruner().fit(*data(500))
    first_call = time.perf_counter() - start
    print(f"first call in this process (numba cache loaded): {first_call:.2f} s")
    print(f"first call with an empty numba cache (compiles): {compile_time():.2f} s\n")

    rows = []
    X, y = data(args.rows)
    t_f = median_time(lambda: f_classif(X, y), args.repeats)
    t_fp = median_time(lambda: FeaturePruner(threshold=None).fit(X, y), args.repeats)
    t_fp1 = median_time(
        lambda: FeaturePruner(threshold=None, n_jobs=1).fit(X, y), args.repeats
    )
    shape = f"{args.rows:,} x 100"
    rows.append((shape, "f_classif", t_f, t_f / t_fp, None))
    rows.append((shape, "FeaturePruner (2 threads)", t_fp, 1.0, None))
    rows.append((shape, "FeaturePruner (n_jobs=1)", t_fp1, t_fp1 / t_fp, None))
    del X, y

    X, y = data(20_000)
    pruner = FeaturePruner(threshold=None)
    t_fp = median_time(lambda: pruner.fit(X, y), args.repeats)
    top_fp = informative_in_top10(pruner.scores_)
    mi = []
    t_mi = median_time(
        lambda: mi.append(mutual_info_classif(X, y, random_state=0)), args.repeats
    )
    model = SelectFromModel(ExtraTreesClassifier(n_estimators=100, random_state=0))
    t_et = median_time(lambda: model.fit(X, y), args.repeats)
    rows.append(("20,000 x 100", "FeaturePruner", t_fp, 1.0, top_fp))
    rows.append(
        (
            "20,000 x 100",
            "mutual_info_classif",
            t_mi,
            t_mi / t_fp,
            informative_in_top10(mi[-1]),
        )
    )
    rows.append(
        (
            "20,000 x 100",
            "SelectFromModel(ExtraTrees(100))",
            t_et,
            t_et / t_fp,
            informative_in_top10(model.estimator_.feature_importances_),
        )
    )

    print("| data | method | median s | time / FeaturePruner | informative in top 10 |")
    print("|---|---|---:|---:|---:|")
    for shape, name, seconds, ratio, top in rows:
        top = "" if top is None else f"{top}/10"
        print(f"| {shape} | {name} | {seconds:.3f} | {ratio:.2f}x | {top} |")

    ratio = peak_memory_ratio(args.rows)
    print(
        f"\npeak extra memory of FeaturePruner.fit on {args.rows:,} x 100 float64: "
        f"{ratio:.2f}x the input array (target: at most 1.5x)"
    )


if __name__ == "__main__":
    main()
