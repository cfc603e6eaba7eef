"""When to prune how much: the gradual schedule."""

import numpy as np


def cubic_schedule(final_sparsity, n_steps, initial_sparsity=0.0):
    """Sparsity after each of ``n_steps`` steps (Zhu & Gupta 2017).

    ``s_t = s_f + (s_i - s_f) (1 - t / n)**3``: prune fast while many weights are
    redundant, then slowly, leaving the repair time to catch up.

    Examples
    --------
    >>> from skprune.weight_pruning import cubic_schedule
    >>> cubic_schedule(0.9, 3).round(3)
    array([0.633, 0.867, 0.9  ])
    >>> cubic_schedule(0.5, 1)
    array([0.5])
    """
    t = np.arange(1, n_steps + 1) / n_steps
    return final_sparsity + (initial_sparsity - final_sparsity) * (1.0 - t) ** 3
