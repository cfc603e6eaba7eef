import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier
from torch import nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.inner = nn.Linear(width, width)
        self.outer = nn.Linear(width, width)

    def forward(self, x):
        return x + self.outer(torch.relu(self.inner(x)))


class ResidualMLP(nn.Module):
    def __init__(self, n_in=64, width=32, n_blocks=4, n_out=10):
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList([Block(width) for _ in range(n_blocks)])
        self.out = nn.Linear(width, n_out)

    def forward(self, x):
        x = torch.relu(self.inp(x))
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def lenet_head():
    return nn.Sequential(
        nn.Linear(64, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)
    )


def make_net(module, **params):
    defaults = {
        "criterion": nn.CrossEntropyLoss,
        "optimizer": torch.optim.Adam,
        "lr": 3e-3,
        "max_epochs": 15,
        "batch_size": 64,
        "train_split": None,
        "verbose": 0,
    }
    return NeuralNetClassifier(module, **{**defaults, **params})


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="session")
def trained_residual(digits):
    torch.manual_seed(0)
    return make_net(ResidualMLP).fit(*digits)
