"""LayerPruner on load_digits: accuracy kept and speed gained, in one run.

    python -m bench.layer_pruning.bench_residual [--repeats 7]

A residual MLP (input layer, 8 residual blocks of width 256, output layer) is trained
once; half of its blocks are removed with each importance and with a random choice
(3 seeds), healed at the defaults, and compared on the test
split (75/25). Then the median time of the module's forward pass and of ``predict``
on 50,000 rows, pruned versus unpruned, and the same for a LeNet-style head
(``Linear(64,120) -> ReLU -> Linear(120,84) -> ReLU -> Linear(84,10)``) whose middle
layer is bridged away.
"""

import argparse
import copy
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from bench._harness import median_time
from skprune import LayerPruner


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.inner = nn.Linear(width, width)
        self.outer = nn.Linear(width, width)

    def forward(self, x):
        return x + self.outer(torch.relu(self.inner(x)))


class ResidualMLP(nn.Module):
    def __init__(self, n_in=64, width=256, n_blocks=8, n_out=10):
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(n_blocks)])
        self.out = nn.Linear(width, n_out)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.inp(x))))


def lenet_head():
    return nn.Sequential(
        nn.Linear(64, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)
    )


def make_net(module, epochs):
    return NeuralNetClassifier(
        module,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
    )


def forward(module, rows):
    """The module's outputs in evaluation mode, without autograd."""
    with torch.inference_mode():
        return module.eval()(rows)


def n_parameters(module):
    return sum(p.numel() for p in module.parameters())


def speed(full_net, pruner, rows, repeats):
    tensor = torch.as_tensor(rows)
    full, pruned = full_net.module_.eval(), pruner.net_.module_.eval()
    with torch.inference_mode():
        t_full = median_time(lambda: full(tensor), repeats)
        t_pruned = median_time(lambda: pruned(tensor), repeats)
    p_full = median_time(lambda: full_net.predict(rows), repeats)
    p_pruned = median_time(lambda: pruner.predict(rows), repeats)
    p_skorch = median_time(lambda: pruner.net_.predict(rows), repeats)
    p_lean_full = median_time(lambda: forward(full, tensor).argmax(1), repeats)
    return t_full, t_pruned, p_full, p_pruned, p_skorch, p_lean_full


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(2)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    torch.manual_seed(0)
    full = make_net(ResidualMLP(), 60).fit(X_train, y_train)
    dense_acc = full.score(X_test, y_test)
    print(
        f"unpruned residual MLP: test accuracy {dense_acc:.4f}, "
        f"{n_parameters(full.module_):,} parameters\n"
    )
    print(
        "| removal of 4 of 8 blocks | accuracy right after | after healing | "
        "parameters | seconds |"
    )
    print("|---|---:|---:|---:|---:|")
    pruners = {}
    runs = [(imp, {"importance": imp}) for imp in ("ablation", "kl", "angular")]
    rng = np.random.default_rng(0)
    runs += [
        (
            f"random #{i}",
            {"layers": [f"blocks.{j}" for j in rng.choice(8, 4, replace=False)]},
        )
        for i in range(3)
    ]
    for label, params in runs:
        start = time.perf_counter()
        pruner = LayerPruner(
            copy.deepcopy(full),
            n_layers=4,
            prefit=True,
            random_state=0,
            validation_fraction=0.15,
            **params,
        ).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        before = _score_before_healing(full, pruner, X_test, y_test)
        after = pruner.score(X_test, y_test)
        pruners[label] = pruner
        print(
            f"| {label}: {', '.join(pruner.removed_layers_)} | {before:.4f} | "
            f"{after:.4f} | {n_parameters(pruner.net_.module_):,} | {seconds:.1f} |"
        )

    rows = np.resize(X_test, (50_000, X.shape[1]))
    t = speed(full, pruners["ablation"], rows, args.repeats)
    print("\n| residual MLP, 50,000 rows | unpruned s | pruned s | speed-up |")
    print("|---|---:|---:|---:|")
    print(f"| module forward | {t[0]:.4f} | {t[1]:.4f} | {t[0] / t[1]:.2f}x |")
    print(
        f"| predict (skorch, unpruned) vs LayerPruner.predict | {t[2]:.4f} | "
        f"{t[3]:.4f} | {t[2] / t[3]:.2f}x |"
    )
    print(
        f"| predict through skorch on both | {t[2]:.4f} | {t[4]:.4f} | "
        f"{t[2] / t[4]:.2f}x |"
    )
    print(
        f"| predict through the lean path on both | {t[5]:.4f} | {t[3]:.4f} | "
        f"{t[5] / t[3]:.2f}x |"
    )

    torch.manual_seed(0)
    head = make_net(lenet_head(), 40).fit(X_train, y_train)
    pruner = LayerPruner(
        copy.deepcopy(head), n_layers=1, prefit=True, random_state=0
    ).fit(X_train, y_train)
    t = speed(head, pruner, rows, args.repeats)
    print(
        f"\nLeNet head: removed {pruner.removed_layers_}, accuracy "
        f"{head.score(X_test, y_test):.4f} -> {pruner.score(X_test, y_test):.4f}, "
        f"parameters {n_parameters(head.module_):,} -> "
        f"{n_parameters(pruner.net_.module_):,}; forward {t[0] / t[1]:.2f}x, "
        f"predict {t[2] / t[3]:.2f}x faster"
    )
    print(pruner.net_.module_)


def _score_before_healing(full, pruner, X_test, y_test):
    """Test accuracy of the pruned module before fine-tuning, rebuilt from the
    removed names (the history records validation scores only)."""
    module = copy.deepcopy(full.module_)
    for name in pruner.removed_layers_:
        module.set_submodule(name, nn.Identity())
    with torch.inference_mode():
        predictions = module.eval()(torch.as_tensor(X_test)).argmax(1).numpy()
    return float((predictions == y_test).mean())


if __name__ == "__main__":
    main()
