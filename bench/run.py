"""Run every benchmark and write its output into docs/benchmarks.md.

    python -m bench.run [--only layers ...]      (what ``make bench`` runs)

Each family's section of the page (between its ``<!-- bench-NAME-start -->``
and ``-end -->`` markers) is replaced by the output of its scripts, each
under the command that reproduces it; nothing on the page is pasted by hand.
Hours on a 2-core machine (the feature selection and the dask scaling are
the longest); ``--only`` runs some families.
"""

import argparse
import importlib
import subprocess
import sys

from bench._harness import write_section

FAMILIES = {
    "startup": ["bench_startup"],  # writes its own section
    "features": [
        "feature_pruning.bench_scoring",
        "feature_pruning.bench_selection",
        "feature_pruning.bench_regression",
        "feature_pruning.bench_text",
    ],
    "weights": [
        "weight_pruning.bench_real",
        "weight_pruning.bench_overhead",
        "weight_pruning.bench_synthetic",
    ],
    "layers": [
        "layer_pruning.bench_width",
        "layer_pruning.bench_plain",
        "layer_pruning.bench_residual",
    ],
    "dask": ["feature_pruning.bench_dask_scaling"],
}


def run(module):
    """The module's standard output (also echoed), or an error."""
    command = [sys.executable, "-m", f"bench.{module}"]
    print("$", " ".join(command[1:]), flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if process.wait() != 0:
        raise SystemExit(f"bench.{module} failed (exit {process.returncode})")
    return "".join(lines)


def summary(module):
    """The first line of the module's docstring."""
    doc = importlib.import_module(f"bench.{module}").__doc__ or ""
    return doc.strip().splitlines()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(FAMILIES))
    args = parser.parse_args()
    for family in args.only or FAMILIES:
        if family == "startup":
            run("bench_startup")
            continue
        blocks = [
            f"`python -m bench.{module}`: {summary(module)}\n\n{run(module).strip()}"
            for module in FAMILIES[family]
        ]
        write_section(family, "\n\n".join(blocks))


if __name__ == "__main__":
    main()
