"""
Removing residual blocks from a skorch net
==========================================

Train a residual MLP on the digits, remove half of its blocks with
:class:`~skprune.LayerPruner`, heal it, and follow the score along the way.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from skprune import LayerPruner
from skprune.plotting import PruningCurveDisplay


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.inner, self.outer = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x):
        return x + self.outer(torch.relu(self.inner(x)))


class ResidualMLP(nn.Module):
    def __init__(self, width=64, n_blocks=6):
        super().__init__()
        self.inp = nn.Linear(64, width)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(n_blocks)])
        self.out = nn.Linear(width, 10)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.inp(x))))


X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
torch.manual_seed(0)
net = NeuralNetClassifier(
    ResidualMLP,
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=1e-3,
    max_epochs=30,
    train_split=None,
    verbose=0,
).fit(X_train, y_train)
print(f"unpruned: {net.score(X_test, y_test):.3f} test accuracy")

# %%
# Remove three of six blocks
# --------------------------
pruner = LayerPruner(
    net, n_layers=3, prefit=True, tolerance=0.02, fine_tune_epochs=3, random_state=0
).fit(X_train, y_train)
print("removed:", pruner.removed_layers_)
print(f"pruned: {pruner.score(X_test, y_test):.3f} test accuracy")
print(
    "importance of each block:",
    {k: round(v, 4) for k, v in pruner.layer_importances_.items()},
)
PruningCurveDisplay.from_estimator(pruner)
plt.show()
