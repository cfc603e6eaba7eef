"""How LayerPruner judges a module: on the held-out rows, after each step.

:class:`Validation` holds the held-out rows and the calibration batch and gives,
for a module, the net's own validation loss (what healing and ``"ablation"``
minimise: smoother than accuracy, which a small validation set saturates), its
score (accuracy for classifiers, R^2 for regressors) and the record of a pruning
step that ``history_`` keeps: the keys every pruner's history shares (``step``,
``n_removed``, ``score_before_repair``, ``score``, ``seconds``) and the layer
family's (``removed``, ``n_parameters``, ``n_flops``, ``healing_epochs``).
"""

import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, r2_score

from skprune.layer_pruning._cost import n_flops, n_parameters
from skprune.layer_pruning._importance import forward


def metric(y, output, classifier):
    """Accuracy of the outputs' argmax (``y``: class indices) or R^2."""
    if classifier:
        return float(accuracy_score(np.asarray(y), output.argmax(axis=1)))
    rows = len(output)
    return float(r2_score(np.asarray(y).reshape(rows, -1), output.reshape(rows, -1)))


class Validation:
    """The held-out rows ``(X_valid, y_valid)`` of a ``net`` and its
    ``calibration`` batch (to trace units, fit splices and count FLOPs)."""

    def __init__(self, net, X_valid, y_valid, calibration, classifier):
        self.net, self.X, self.y = net, X_valid, y_valid
        self.calibration, self.classifier = calibration, classifier

    def distribution(self, output):
        """The net's predict nonlinearity (softmax for a classifier)."""
        return self.net._get_predict_nonlinearity()(output)

    def loss(self, module):
        """The net's criterion on the held-out rows."""
        output = forward(module, self.X)
        with torch.inference_mode():
            return float(self.net.get_loss(output, self.y, training=False))

    def score(self, module):
        output = self.distribution(forward(module, self.X)).cpu().numpy()
        return metric(self.y, output, self.classifier)

    def record(self, step, removed, before, start, healed=False, epochs=0):
        """The ``history_`` entry of the net's module after step ``step``."""
        module = self.net.module_
        score = self.score(module)
        return {
            "step": step,
            "n_removed": step,  # one unit a step
            "score_before_repair": score if step == 0 or not healed else before,
            "score": score,
            "seconds": time.perf_counter() - start,
            "removed": removed,
            "n_parameters": n_parameters(module),
            "n_flops": n_flops(module, self.calibration),
            "healing_epochs": epochs,
        }


def step_summary(step, unit, record, epochs):
    """The line ``verbose=1`` prints for a step."""
    healing = (
        f" -> {record['score']:.4f} after {epochs} healing epochs" if epochs else ""
    )
    return (
        f"step {step}: removed {unit.name} ({unit.kind}), "
        f"{record['n_parameters']:,} parameters, validation score "
        f"{record['score_before_repair']:.4f}{healing}; elapsed "
        f"{record['seconds']:.2f} s"
    )
