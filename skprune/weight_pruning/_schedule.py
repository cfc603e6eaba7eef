"""When to prune how much, and along which path.

:func:`cubic_schedule` gives the sparsity after each step; :func:`pruning_path`
the levels of one step, by the pruner's ``method``: Optimal Brain Surgeon
(blocks removed jointly, the survivors compensated, from the inverse Hessian; the
Hessian's diagonal for inputs wider than :data:`DENSE_HESSIAN_LIMIT`), or plain
zeroing in order of magnitude or of a random draw.
"""

import numpy as np

from skprune.utils._progress import QUIET
from skprune.weight_pruning._hessian import hessian_diagonals, inverse_hessians
from skprune.weight_pruning._saliency import (
    PathLevel,
    magnitude_saliency,
    obs_path,
    obs_saliency,
    ranking_path,
)

# Wider inputs take OBS with the Hessian's diagonal (a d x d inverse would not fit)
DENSE_HESSIAN_LIMIT = 8192


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


def halving_schedule(n_units, n_done, n_target):
    """Units pruned after each step when every step prunes half of those left,
    until ``n_target`` are: re-ranking more often as fewer remain, where one
    ranking of many units is least reliable about the last few.

    Examples
    --------
    >>> from skprune.weight_pruning._schedule import halving_schedule
    >>> halving_schedule(100, 0, 95)
    [50, 75, 88, 94, 95]
    >>> halving_schedule(100, 95, 95)
    [95]
    """
    left, targets = n_units - n_done, []
    while n_units - left < n_target:
        left = max(n_units - n_target, left // 2)
        targets.append(n_units - left)
    return targets or [n_target]


def last_true(test, n):
    """The largest ``i < n`` with ``test(i)``, by bisection; ``test(0)`` is assumed
    (``test`` true up to some index, false after it).

    Examples
    --------
    >>> from skprune.weight_pruning._schedule import last_true
    >>> last_true(lambda i: i <= 6, 10)
    6
    >>> last_true(lambda i: True, 4)
    3
    """
    low, high = 0, n - 1
    if high == 0 or test(high):
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if test(middle):
            low = middle
        else:
            high = middle
    return low


def pruning_path(
    method,
    problem,
    coef,
    intercept,
    alive,
    n_target,
    structure,
    block,
    damping,
    rng,
    progress=None,
):
    """The :class:`~skprune.weight_pruning._saliency.PathLevel` after each block
    of ``block`` units, from the weights of ``problem``'s model until
    ``n_target`` units are pruned. ``progress(n)``, if given: a context manager
    giving a bar told of each of the ``n`` OBS blocks."""
    model, Z = problem.final, problem.Z
    if method == "obs" and Z.shape[1] > DENSE_HESSIAN_LIMIT:
        diagonals = hessian_diagonals(
            model, Z, coef, intercept, problem.y_codes, problem.sample_weight
        )
        saliency = obs_saliency(coef, 1.0 / diagonals)
    elif method == "obs":
        # only the columns still in use enter the Hessian: after a step of a
        # multi-step path most are gone, and a full-width inverse would cost as
        # much as the first step's
        used = np.flatnonzero(np.broadcast_to(alive, coef.shape).any(axis=0))
        gone = (coef.shape[1] - used.size) * alive.shape[0]  # units in them
        hinvs = inverse_hessians(
            model,
            Z if gone == 0 else Z[:, used],
            coef[:, used],
            intercept,
            problem.y_codes,
            problem.sample_weight,
            damping,
        )
        n_blocks = -(-(n_target - int((~alive).sum())) // block)
        with QUIET if progress is None else progress(n_blocks) as bar:
            path = obs_path(
                coef[:, used],
                intercept,
                hinvs,
                alive[:, used],
                n_target - gone,
                structure,
                block,
                bar,
            )
        if gone == 0:
            return path
        return [_widened(level, used, alive, gone) for level in path]
    elif method == "magnitude":
        saliency = magnitude_saliency(coef, problem.scale)
    else:
        saliency = rng.random_sample(coef.shape)
    return ranking_path(coef, intercept, saliency, alive, n_target, structure, block)


def _widened(level, used, alive, gone):
    """A path level over the columns ``used`` back at the full width of ``alive``
    (the ``gone`` units of the columns left out were pruned before it)."""
    coef = np.zeros((level.coef.shape[0], alive.shape[1]))
    coef[:, used] = level.coef
    wide = np.zeros(alive.shape, bool)
    wide[:, used] = level.alive
    return PathLevel(
        level.n_pruned + gone, level.loss_increase, coef, level.intercept, wide
    )
