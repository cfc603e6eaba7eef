"""The nets and tables the layer-pruning benchmarks share."""

import copy
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier, NeuralNetRegressor
from torch import nn

from bench._harness import rdataset

EPOCHS = 30


def mlp(n_in, n_out, widths=(256,) * 6):
    """[Linear-BatchNorm-ReLU-Dropout(0.1)] per width, then a Linear output."""
    layers, previous = [], n_in
    for width in widths:
        layers += [
            nn.Linear(previous, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Dropout(0.1),
        ]
        previous = width
    return nn.Sequential(*layers, nn.Linear(previous, n_out))


def cnn(n_in, n_out, widths=(32,) * 4):
    """Rows of 64 pixels as 1x8x8 images, [Conv(3x3)-BatchNorm-ReLU] per width,
    then Flatten and a Linear output."""
    layers, previous = [nn.Unflatten(1, (1, 8, 8))], 1
    for width in widths:
        layers += [
            nn.Conv2d(previous, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        previous = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(previous * 64, n_out))


def make_net(module, kind="classifier", epochs=EPOCHS):
    """A skorch net trained with Adam (lr 1e-3, batches of 128, no split)."""
    params = {
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "max_epochs": epochs,
        "batch_size": 128,
        "train_split": None,
        "verbose": 0,
    }
    if kind == "classifier":
        return NeuralNetClassifier(module, criterion=nn.CrossEntropyLoss, **params)
    return NeuralNetRegressor(module, criterion=nn.MSELoss, **params)


def forward_seconds(module, rows, repeats=7):
    """Median seconds of a forward pass over ``rows`` (evaluation mode, no
    autograd), after one warm-up on a few rows."""
    module = module.eval()
    times = []
    with torch.inference_mode():
        module(rows[:256])
        for _ in range(repeats):
            start = time.perf_counter()
            module(rows)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def classes_table(frame, target):
    """``X`` (numeric columns log1p'd and standardised, categorical one-hot) and
    ``y`` (class indices) of a table with a class column ``target``."""
    y = np.unique(frame.pop(target), return_inverse=True)[1].astype(np.int64)
    categorical = frame.select_dtypes("object")
    numeric = frame.select_dtypes("number")
    parts = [StandardScaler().fit_transform(np.log1p(numeric.clip(lower=0)))]
    if categorical.shape[1]:
        parts.append(OneHotEncoder(sparse_output=False).fit_transform(categorical))
    return np.hstack(parts).astype(np.float32), y


def hpc():
    """modeldata's hpc_data: 4,331 jobs, 4 classes."""
    return classes_table(rdataset("modeldata", "hpc_data"), "class")


def cells():
    """modeldata's cells: 2,019 cell images' features, 2 classes."""
    return classes_table(rdataset("modeldata", "cells", drop=["case"]), "class")


def digits():
    """scikit-learn's digits, pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y.astype(np.int64)


def torch_pruned(module, example, target, importance):
    """A copy of ``module`` width-pruned by Torch-Pruning's MagnitudePruner
    (``importance``, the output Linear kept) to about ``target`` parameters:
    the pruning ratio bisected, the smallest found within the target."""
    import torch_pruning as tp

    def pruned(ratio):
        copied = copy.deepcopy(module)
        final = [m for m in copied.modules() if isinstance(m, nn.Linear)][-1]
        tp.pruner.MagnitudePruner(
            copied,
            example,
            importance=importance,
            pruning_ratio=ratio,
            ignored_layers=[final],
        ).step()
        return copied

    low, high = 0.0, 0.95
    for _ in range(12):
        ratio = (low + high) / 2
        if sum(p.numel() for p in pruned(ratio).parameters()) > target:
            low = ratio
        else:
            high = ratio
    return pruned(high)
