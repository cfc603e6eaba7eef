"""How important each weight is, and the Optimal Brain Surgeon path.

Weights are held as ``coef`` of shape (n_outputs, n_features), as scikit-learn's
linear models hold them. A *unit* is one coefficient (unstructured) or one input
column across every output (``structure="feature"``).

- :func:`magnitude_saliency` is ``|w_kj| * scale_j``: the size of the weight's
  contribution to the output, where ``scale_j`` is the spread of input column ``j``
  (plain ``|w|`` means nothing on unscaled data).
- :func:`obs_saliency` is Optimal Brain Surgeon's (Hassibi & Stork 1993) estimate
  of the loss increase when ``w_q`` is removed and the other weights are moved to
  compensate: ``w_q**2 / (2 [H^-1]_qq)``.
- :func:`obs_path` removes units greedily, a small block at a time, applying the
  joint OBS update to the remaining weights (and the intercept) and the matching
  downdate of ``H^-1`` after each block. One pass yields the whole nested path of
  sparsity levels.
"""

from dataclasses import dataclass

import numpy as np

from skprune.utils._progress import QUIET


def magnitude_saliency(coef, scale):
    """``|w_kj| * scale_j``: the weight's contribution to the output.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning import magnitude_saliency
    >>> magnitude_saliency(np.array([[2.0, -1.0]]), np.array([0.1, 10.0]))
    array([[ 0.2, 10. ]])
    """
    return np.abs(coef) * scale


def obs_saliency(coef, hinv_diag):
    """``w**2 / (2 [H^-1]_qq)``: the loss increase of removing each weight alone.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning import obs_saliency
    >>> obs_saliency(np.array([[1.0, 1.0]]), np.array([[0.5, 2.0]]))
    array([[1.  , 0.25]])
    """
    return coef**2 / (2.0 * hinv_diag)


def group_saliency(saliency):
    """Feature structure: a column's saliency is the sum over the outputs."""
    return saliency.sum(axis=0, keepdims=True)


@dataclass
class PathLevel:
    """One point of a pruning path: the weights after ``n_pruned`` units."""

    n_pruned: int
    loss_increase: float
    coef: np.ndarray
    intercept: np.ndarray
    alive: np.ndarray


def _chosen_units(saliency, alive, count):
    """The ``count`` alive units of least saliency, as (output, column) arrays."""
    flat = np.where(alive, saliency, np.inf).ravel()
    chosen = np.argpartition(flat, count - 1)[:count] if count < flat.size else None
    chosen = np.arange(flat.size) if chosen is None else chosen
    return np.unravel_index(chosen, saliency.shape)


class _Output:
    """One output's inverse Hessian over the weights still alive, downdated lazily.

    Removing the coordinates ``Q`` moves the remaining weights by
    ``-H^-1[:, Q] ([H^-1]_QQ)^-1 w_Q`` (the least loss increase with ``w_Q = 0``)
    and downdates ``H^-1`` to the inverse of the Hessian restricted to what is
    left: ``H^-1 - H^-1[:, Q] ([H^-1]_QQ)^-1 H^-1[Q, :]``. The downdate is kept
    factored: after blocks ``Q_1, Q_2, ...`` the inverse is ``hinv - U U'``,
    each block adding its columns ``H^-1[:, Q] ([H^-1]_QQ)^-1/2`` to ``U``, so a
    block reads its own columns and ``U`` instead of rewriting the whole matrix
    (which made the path memory-bound). ``hinv`` covers the coordinates
    ``index`` (column numbers, the intercept last); once the removed
    coordinates make up a quarter of them, the correction is applied and they
    are dropped, so a block costs what is left rather than the full width.
    """

    def __init__(self, hinv, n_features):
        self.hinv = hinv
        self.index = np.arange(n_features + 1)
        self.position = np.arange(n_features + 1)
        self.dead = np.zeros(n_features + 1, bool)
        self.low_rank = np.empty((n_features + 1, 0))
        self.diag = hinv.diagonal().copy()

    def remove(self, weights, removed):
        """Remove the coordinates ``removed`` of ``weights`` (the output's
        coefficients, then its intercept) jointly, in place; returns the
        predicted loss increase ``w_Q' ([H^-1]_QQ)^-1 w_Q / 2``.

        Examples
        --------
        >>> import numpy as np
        >>> from skprune.weight_pruning._saliency import _Output
        >>> w, hinv = np.array([1.0, 2.0]), np.linalg.inv([[2.0, 1.0], [1.0, 2.0]])
        >>> round(_Output(hinv, 1).remove(w, [0]), 3), w.round(3)
        (0.75, array([0. , 2.5]))
        """
        local = self.position[removed]
        compact = weights[self.index]
        columns = self.hinv[:, local] - self.low_rank @ self.low_rank[local].T
        columns[self.dead] = 0.0
        values, vectors = np.linalg.eigh(columns[local])
        values = np.maximum(values, 1e-12 * max(values.max(), 1e-300))
        step = vectors @ ((vectors.T @ compact[local]) / values)
        loss = 0.5 * float(compact[local] @ step)
        compact -= columns @ step
        compact[local] = 0.0
        weights[self.index] = compact
        factor = (columns @ vectors) / np.sqrt(values)
        self.low_rank = np.hstack([self.low_rank, factor])
        self.diag -= np.einsum("ij,ij->i", factor, factor)
        self.dead[local] = True
        self.diag[self.dead] = 1.0
        if 4 * self.dead.sum() >= len(self.index):
            keep = ~self.dead
            kept = self.low_rank[keep]
            self.hinv = self.hinv[np.ix_(keep, keep)] - kept @ kept.T
            self.index = self.index[keep]
            self.position[:] = -1
            self.position[self.index] = np.arange(len(self.index))
            self.dead = np.zeros(len(self.index), bool)
            self.low_rank = np.empty((len(self.index), 0))
            self.diag = self.hinv.diagonal().copy()
        return loss

    def diagonal(self, n_features):
        """``diag(H^-1)`` over every column (1 where removed)."""
        diag = np.ones(n_features)
        diag[self.index[:-1]] = self.diag[:-1]
        return diag


def obs_path(coef, intercept, hinvs, alive, n_final, structure, block_size, bar=QUIET):
    """Greedy blocked OBS from ``coef`` until ``n_final`` units are pruned.

    ``hinvs[k]`` is the inverse Hessian (n_features + 1 square, the intercept last)
    of output ``k``; ``alive`` marks the units not pruned yet (shape of ``coef``,
    or (1, n_features) for ``structure="feature"``). Returns the
    :class:`PathLevel` after each block, starting with the given weights;
    ``bar`` is told of every block.
    """
    n_outputs, n_features = coef.shape
    weights = np.hstack([coef, intercept.reshape(-1, 1)]).astype(np.float64)
    outputs_ = [_Output(h, n_features) for h in hinvs]
    alive = alive.copy()
    dead = ~np.broadcast_to(alive, coef.shape)
    for k in range(n_outputs):  # restrict H to what is left
        if dead[k].any():
            outputs_[k].remove(weights[k], np.flatnonzero(dead[k]))
    n_pruned, loss = int((~alive).sum()), 0.0
    path = [PathLevel(n_pruned, 0.0, coef.copy(), intercept.copy(), alive.copy())]
    while n_pruned < n_final:
        diag = np.stack([output.diagonal(n_features) for output in outputs_])
        saliency = obs_saliency(weights[:, :n_features], diag)
        if structure == "feature":
            saliency = group_saliency(saliency)
        count = min(block_size, n_final - n_pruned)
        rows, cols = _chosen_units(saliency, alive, count)
        alive[rows, cols] = False
        outputs = range(n_outputs) if structure == "feature" else np.unique(rows)
        for k in outputs:
            removed = cols if structure == "feature" else cols[rows == k]
            loss += outputs_[k].remove(weights[k], removed)
        n_pruned += count
        bar.update()
        level_coef = np.where(np.broadcast_to(alive, coef.shape), weights[:, :-1], 0.0)
        path.append(
            PathLevel(n_pruned, loss, level_coef, weights[:, -1].copy(), alive.copy())
        )
    return path


def ranking_path(coef, intercept, saliency, alive, n_final, structure, block_size):
    """The path of plain zeroing in order of ``saliency`` (no compensation)."""
    if structure == "feature":
        saliency = group_saliency(saliency)
    order = np.argsort(np.where(alive, saliency, -np.inf), axis=None, kind="stable")
    alive = alive.copy()
    n_pruned = int((~alive).sum())
    path = [PathLevel(n_pruned, np.nan, coef.copy(), intercept.copy(), alive.copy())]
    while n_pruned < n_final:
        n_pruned = min(n_pruned + block_size, n_final)
        alive.ravel()[order[:n_pruned]] = False
        level_coef = np.where(np.broadcast_to(alive, coef.shape), coef, 0.0)
        path.append(
            PathLevel(n_pruned, np.nan, level_coef, intercept.copy(), alive.copy())
        )
    return path
