"""The command line: ``python -m skprune demo``."""

import argparse
import sys


def demo():
    """Prune the breast-cancer table padded with noise; show what was kept."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skprune import FeaturePruner

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(
        rng.normal(size=(len(X), 20)), columns=[f"noise_{i}" for i in range(20)]
    )
    X = pd.concat([X, noise], axis=1)
    X["patient_id"] = [f"P{i:05d}" for i in range(len(X))]
    print(
        f"load_breast_cancer: {len(X)} rows, {X.shape[1]} columns "
        "(30 real, 20 Gaussian noise, 1 string ID)\n"
    )

    pruner = FeaturePruner().fit(X, y)
    ranked = pd.DataFrame(
        {
            "score (bits)": pruner.scores_,
            "p-value": pruner.pvalues_,
            "kept": pruner.get_support(),
        },
        index=X.columns,
    ).sort_values("score (bits)", ascending=False)
    with pd.option_context("display.max_rows", 100, "display.width", 100):
        print(ranked.to_string(float_format=lambda v: f"{v:.3g}"))
    kept = pruner.get_support().sum()
    print(f"\nkept {kept} of {X.shape[1]} columns (threshold='auto': G-test, Holm)")

    numeric = X.drop(columns="patient_id")
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    before = cross_val_score(model, numeric, y, cv=5).mean()
    pruned = make_pipeline(FeaturePruner(), StandardScaler(), LogisticRegression())
    after = cross_val_score(pruned, numeric, y, cv=5).mean()
    print(
        f"5-fold accuracy, LogisticRegression: all {numeric.shape[1]} numeric "
        f"columns {before:.3f} -> after FeaturePruner {after:.3f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skprune", description="Make scikit-learn models smaller."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="prune a bundled dataset and show the result")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
