"""LayerPruner on a CUDA device: it runs there, and what removal gains there.

    python -m bench.layer_pruning.gpu_check

Trains the residual MLP of ``bench_layer_pruning.py`` with ``device="cuda"``,
prunes half of its blocks with each importance and the LeNet head's middle layer
(the least-squares bridge is fitted on the GPU), then times the forward pass and
``predict`` on 1,000,000 rows on the GPU, pruned versus unpruned.
"""

import copy
import statistics
import time

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from bench.layer_pruning.bench_residual import ResidualMLP, lenet_head
from skprune import LayerPruner


def gpu_time(fn, repeats=10):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    print(
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, "
        f"{torch.cuda.get_device_name()}"
    )
    X, y = load_digits(return_X_y=True)
    X, y = (X / 16).astype(np.float32), y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    torch.manual_seed(0)
    full = NeuralNetClassifier(
        ResidualMLP,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=60,
        batch_size=64,
        train_split=None,
        verbose=0,
        device="cuda",
    ).fit(X_train, y_train)
    print(f"unpruned test accuracy {full.score(X_test, y_test):.4f}")
    for importance in ("ablation", "kl", "angular"):
        pruner = LayerPruner(
            copy.deepcopy(full),
            n_layers=4,
            importance=importance,
            prefit=True,
            fine_tune_epochs=5,
            validation_fraction=0.15,
            random_state=0,
        ).fit(X_train, y_train)
        device = next(pruner.net_.module_.parameters()).device
        print(
            f"{importance}: removed {pruner.removed_layers_}, test accuracy "
            f"{pruner.score(X_test, y_test):.4f}, module on {device}"
        )
    head = NeuralNetClassifier(
        lenet_head(),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=40,
        batch_size=64,
        train_split=None,
        verbose=0,
        device="cuda",
    ).fit(X_train, y_train)
    bridged = LayerPruner(copy.deepcopy(head), prefit=True, random_state=0).fit(
        X_train, y_train
    )
    print(
        f"LeNet head: {head.score(X_test, y_test):.4f} -> "
        f"{bridged.score(X_test, y_test):.4f}; {bridged.net_.module_}"
    )

    rows = np.resize(X_test, (1_000_000, 64))
    tensor = torch.as_tensor(rows, device="cuda")
    pruned = pruner.net_.module_.eval()
    unpruned = full.module_.eval()
    with torch.inference_mode():
        t_full = gpu_time(lambda: unpruned(tensor))
        t_pruned = gpu_time(lambda: pruned(tensor))
    p_full = gpu_time(lambda: full.predict(rows), repeats=3)
    p_pruned = gpu_time(lambda: pruner.predict(rows), repeats=3)
    print(
        f"forward on 1,000,000 rows (GPU): {t_full * 1e3:.2f} ms -> "
        f"{t_pruned * 1e3:.2f} ms, {t_full / t_pruned:.2f}x"
    )
    print(
        f"predict on 1,000,000 rows: skorch unpruned {p_full:.3f} s -> "
        f"LayerPruner {p_pruned:.3f} s, {p_full / p_pruned:.2f}x"
    )


if __name__ == "__main__":
    main()
