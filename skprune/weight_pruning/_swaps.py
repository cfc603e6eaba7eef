"""Swaps: the last few kept columns exchanged with dropped ones while the
repaired model's penalised training loss falls (best-subset splicing, the idea
of abess, on the repair's own objective).

A pruning path removes hundreds of columns one block at a time; with a handful
left, a greedy removal made early cannot be undone, and on few rows it can
keep two strong near-duplicate columns. Each round scores
every kept column by the loss its removal costs (``w**2 h / 2``, ``h`` the
Hessian's diagonal) and every dropped one by the loss a Newton step on it alone
would gain (``g**2 / (2 h)``, ``g`` the gradient), and tries the ``c`` weakest
kept for the ``c`` strongest dropped (``c`` from 5 down to 2); then, for each
kept column, the model repaired without it, the 10 dropped columns that would
gain that model most, and the best of those single exchanges (a column
correlated with a kept one gains little beside it, yet may be the better of
the two). An
exchange is kept when its repaired model's penalised loss falls by more than
abess's splicing threshold, ``0.01 k log(p) log(log n)`` (Zhu et al., 2020):
a search over hundreds of dropped columns otherwise fits noise. With more
than :data:`MAX_COLUMNS` kept the search fits the training rows rather than
the table (``docs/benchmarks.md`` has the measurements).
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

from skprune.weight_pruning._models import (
    known,
    l2_strength,
    logistic_penalty,
    own_params,
)
from skprune.weight_pruning._repair import repair_problem
from skprune.weight_pruning._solvers import binary_log_loss, multinomial_log_loss

MAX_COLUMNS = 8  # swaps by default up to this many kept columns
_MAX_ROUNDS = 20
_MAX_EXCHANGED = 5
# single exchanges: every kept column against this many of the strongest dropped
_SINGLE_CANDIDATES = 10


def swappable(model, problem, alive):
    """Whether :func:`swap_columns` applies: a LogisticRegression whose units
    are whole columns (one output, or ``structure="feature"``)."""
    return (
        known(model).own_solvers
        and problem.y_codes is not None
        and alive.shape[0] == 1
        and 0 < alive.sum() < alive.size
    )


def _penalties(model):
    """``(l1, l2)``: the strengths of ``l1 ||w||_1 + l2 / 2 ||w||^2``."""
    l2 = l2_strength(model, 0)  # a LogisticRegression's does not scale with n
    ratio, C = logistic_penalty(own_params(model))
    return (0.0, l2) if not np.isfinite(C) else (ratio / C, l2)


def _scores(problem, coef, intercept, columns):
    """Decision scores on the training rows, from ``columns`` only."""
    return np.asarray(problem.Z[:, columns] @ coef[:, columns].T) + intercept


def _fit_state(problem, coef, intercept, columns):
    """Per-sample residuals and curvatures of the log-loss, by output."""
    scores = _scores(problem, coef, intercept, columns)
    if coef.shape[0] == 1:  # binary: one output, the second class's score
        p = expit(scores)
        target = problem.binary_target[:, None]
    else:
        p = softmax(scores, axis=1)
        target = problem.y_codes[:, None] == np.arange(coef.shape[0])
    return p - target, p * (1.0 - p)


def penalised_loss(model, problem, coef, intercept, columns):
    """The repair's objective: weighted log-loss plus the model's penalty."""
    scores = _scores(problem, coef, intercept, columns)
    if coef.shape[0] == 1:
        losses = binary_log_loss(scores[:, 0], problem.binary_target)
    else:
        losses = multinomial_log_loss(scores, problem.y_codes)
    weights = problem.sample_weight
    loss = losses.sum() if weights is None else weights @ losses
    l1, l2 = _penalties(model)
    return loss + l1 * np.abs(coef).sum() + 0.5 * l2 * (coef**2).sum()


def _gains(problem, coef, intercept, kept, l2, squares):
    """Per column: the loss a Newton step on it alone would gain
    (``g**2 / (2 h)``), and the loss removing it alone costs (``w**2 h / 2``)."""
    residual, curvature = _fit_state(problem, coef, intercept, kept)
    weights = problem.sample_weight
    if weights is not None:
        residual = residual * weights[:, None]
        curvature = curvature * weights[:, None]
    gradient = np.asarray(problem.Z.T @ residual)  # (n_features, n_outputs)
    hessian = np.maximum(np.asarray(squares.T @ curvature) + l2, 1e-12)
    gain = (gradient**2 / (2.0 * hessian)).sum(axis=1)
    cost = (coef.T**2 * hessian / 2.0).sum(axis=1)
    return gain, cost


def _exchanged(alive, out, into):
    """``alive`` with the columns ``out`` dropped and ``into`` kept."""
    trial = alive.copy()
    trial[0, out] = False
    trial[0, into] = True
    return trial


def _repaired(model, problem, trial, coef, intercept):
    """``(penalised loss, (coef, intercept, trial, columns))`` of ``model``
    repaired on the columns ``trial`` keeps, from ``coef``, ``intercept``."""
    start = np.where(trial, coef, 0.0)
    new_coef, new_intercept = repair_problem(model, problem, start, intercept, trial)
    columns = np.flatnonzero(trial[0])
    loss = penalised_loss(model, problem, new_coef, new_intercept, columns)
    return loss, (new_coef, new_intercept, trial, columns)


def _single_exchanges(model, problem, coef, intercept, alive, l2, squares):
    """Every kept column's exchange for each of the dropped columns that would
    gain most the model repaired without it, as :func:`_repaired` gives them."""
    for out in np.flatnonzero(alive[0]):
        without = _exchanged(alive, [out], [])
        _, (reduced, reduced_intercept, _, left) = _repaired(
            model, problem, without, coef, intercept
        )
        gain, _ = _gains(problem, reduced, reduced_intercept, left, l2, squares)
        candidates = ~without[0]
        candidates[out] = False
        candidates = np.flatnonzero(candidates)
        strongest = np.argsort(-gain[candidates], kind="stable")
        for into in candidates[strongest[:_SINGLE_CANDIDATES]]:
            yield _repaired(
                model, problem, _exchanged(without, [], [into]), coef, intercept
            )


def splicing_threshold(n_samples, n_features, n_kept):
    """The least loss decrease an exchange must bring: abess's splicing
    threshold (Zhu et al. 2020: ``0.01 k log(p) log(log n)`` on the mean loss),
    here on the summed loss. The solvers' tolerance alone let a search over
    hundreds of dropped columns fit noise.

    Examples
    --------
    >>> from skprune.weight_pruning._swaps import splicing_threshold
    >>> round(splicing_threshold(233, 130, 2), 3)
    0.165
    """
    log_log_n = np.log(np.log(max(n_samples, 3)))
    return float(0.01 * n_kept * np.log(n_features) * log_log_n)


def swap_columns(model, problem, coef, intercept, alive):
    """Exchange kept columns of ``coef`` (mask ``alive``, shape (1, n_features))
    for dropped ones while ``model``'s repair lowers its penalised training
    loss by more than :func:`splicing_threshold`. Returns ``(coef, intercept,
    alive, n_exchanged)``.

    Each round tries, in order, until one is kept: the ``c`` weakest kept for
    the ``c`` strongest dropped (``c`` = 5 .. 2); then the best of the single
    exchanges of :func:`_single_exchanges` (a column correlated with a kept
    one gains little beside it, yet may replace it).
    """
    Z = problem.Z
    _, l2 = _penalties(model)
    kept = np.flatnonzero(alive[0])
    best = penalised_loss(model, problem, coef, intercept, kept)
    squares = Z.multiply(Z) if sp.issparse(Z) else Z**2
    threshold = max(splicing_threshold(*Z.shape, len(kept)), 1e-6 * abs(best))
    n_exchanged = 0
    for _ in range(_MAX_ROUNDS):
        if not coef.any():  # the penalty zeroes every column: nothing to swap
            break
        gain, cost = _gains(problem, coef, intercept, kept, l2, squares)
        dropped = np.flatnonzero(~alive[0])
        incoming = dropped[np.argsort(-gain[dropped], kind="stable")]
        outgoing = kept[np.argsort(cost[kept], kind="stable")]
        tries = (
            _repaired(
                model,
                problem,
                _exchanged(alive, outgoing[:count], incoming[:count]),
                coef,
                intercept,
            )
            for count in range(min(_MAX_EXCHANGED, len(kept), len(dropped)), 1, -1)
        )
        found = next((t for t in tries if t[0] < best - threshold), None)
        if found is None and len(dropped):
            state = (coef, intercept, alive, l2, squares)
            found = min(_single_exchanges(model, problem, *state), key=lambda t: t[0])
            found = found if found[0] < best - threshold else None
        if found is None:  # no exchange lowers the loss enough
            break
        best, (coef, intercept, alive, new_kept) = found
        n_exchanged += int((~np.isin(new_kept, kept)).sum())
        kept = new_kept
    return coef, intercept, alive, n_exchanged
