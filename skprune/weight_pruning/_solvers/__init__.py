"""Solvers of weight pruning, apart from the estimators that call them.

- ``_logistic.py``: the logistic loss written once, the binary Newton repair and
  the masked multinomial repair;
- ``_l1.py``: the L1-penalised binary logistic repair (proximal Newton).
"""

from skprune.weight_pruning._solvers._l1 import l1_logistic
from skprune.weight_pruning._solvers._logistic import (
    binary_log_loss,
    masked_multinomial,
    multinomial_log_loss,
    newton_logistic,
    probabilities,
)

__all__ = [
    "binary_log_loss",
    "l1_logistic",
    "masked_multinomial",
    "multinomial_log_loss",
    "newton_logistic",
    "probabilities",
]
