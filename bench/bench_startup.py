"""Start-up: the first fit in a fresh process with an empty numba cache, the
same in a process with the cache written (warm), and what importing skprune
adds to importing scikit-learn. Each figure is the median over fresh processes.

    python -m bench.bench_startup [--repeats 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from bench._harness import write_section

DATA = """
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
def frame(n, p):
    columns = {f"x{j}": rng.normal(size=n) for j in range(p - 2)}
    columns["count"] = rng.integers(0, 5, n)
    columns["city"] = rng.choice(["a", "b", "c"], n)
    X = pd.DataFrame(columns)
    return X, (X["x0"] + rng.normal(size=n) > 0).astype(int)
"""

CASES = {
    "FeaturePruner().fit, 2,000 x 3": "FeaturePruner().fit(*frame(2000, 3))",
    "FeaturePruner().fit, 10,000 x 8": "FeaturePruner().fit(*frame(10000, 8))",
    "FeaturePruner(redundancy='mrmr', max_features=3).fit, 10,000 x 8": (
        "FeaturePruner(redundancy='mrmr', max_features=3).fit(*frame(10000, 8))"
    ),
    "WeightPruner(...).fit + predict, breast cancer": (
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "model = make_pipeline(StandardScaler(), LogisticRegression())\n"
        "WeightPruner(model, sparsity=0.8).fit(X, y).predict(X)"
    ),
}


def _printed_seconds(script, environment):
    """The last line ``script`` prints in a fresh process, as a float."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return float(result.stdout.strip().splitlines()[-1])


def _seconds(code, environment):
    """Seconds the timed part of ``code`` takes in a fresh process."""
    script = (
        "import time\n"
        + DATA
        + "from skprune import FeaturePruner, WeightPruner\n"
        + "start = time.perf_counter()\n"
        + code
        + "\nprint(time.perf_counter() - start)\n"
    )
    return _printed_seconds(script, environment)


def _import_seconds(module, environment):
    script = f"import time; t = time.perf_counter(); import {module}; "
    return _printed_seconds(script + "print(time.perf_counter() - t)", environment)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, code in CASES.items():
        cold, warm = [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
                cold.append(_seconds(code, environment))
                warm.append(_seconds(code, environment))
        rows.append((name, statistics.median(cold), statistics.median(warm)))
        print(f"{name}: empty cache {rows[-1][1]:.3f} s, warm {rows[-1][2]:.3f} s")
    sklearn, skprune = [], []
    for _ in range(args.repeats):
        sklearn.append(_import_seconds("sklearn.linear_model", dict(os.environ)))
        skprune.append(_import_seconds("skprune", dict(os.environ)))
    added = statistics.median(skprune) - statistics.median(sklearn)
    print(f"import skprune adds {added:.3f} s to import sklearn.linear_model")
    lines = [
        f"Median of {args.repeats} fresh processes each; "
        "`python -m bench.bench_startup`.",
        "",
        "| first call | empty numba cache (s) | cache written (s) |",
        "|---|---:|---:|",
        *[f"| `{name}` | {cold:.3f} | {warm:.3f} |" for name, cold, warm in rows],
        "",
        f"`import skprune` takes {statistics.median(skprune):.2f} s, "
        f"{added:+.2f} s beside `import sklearn.linear_model` "
        f"({statistics.median(sklearn):.2f} s).",
    ]
    write_section("startup", "\n".join(lines))


if __name__ == "__main__":
    main()
