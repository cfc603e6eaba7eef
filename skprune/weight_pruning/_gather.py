"""The decision function of a pruned linear model, reading only what it needs.

scikit-learn checks that all of ``X`` is finite before a linear model predicts,
then computes ``X @ W' + b``. After pruning, gathering the kept columns is a second
full read of a row-major ``X`` and costs as much as the dense product it replaces,
and the gathered copy costs page faults. :func:`decision_scores` checks finiteness
and forms ``X[:, kept] @ W_kept' + b`` in one pass, writing only the scores; on
CSR rows the pass reads each stored value once, rows in parallel.
"""

import numpy as np
import scipy.sparse as sp

from skprune.utils._jit import njit, prange
from skprune.weight_pruning._models import affine_steps


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _scores_by_rows(X, columns, weights, intercept, out):
    """``out = X[:, columns] @ weights.T + intercept``; True if X is not finite."""
    n, p = X.shape
    n_outputs = weights.shape[0]
    bad = np.zeros(n, dtype=np.bool_)
    for i in prange(n):
        total = 0.0
        for j in range(p):
            total += X[i, j] * 0.0  # NaN or +-inf anywhere makes this NaN
        bad[i] = total != total
        for k in range(n_outputs):
            acc = intercept[k]
            for c in range(columns.shape[0]):
                acc += X[i, np.uint64(columns[c])] * weights[k, c]  # unsigned: no
                # negative-index test (5-15% of the pass on 100,000 x 500)
            out[i, k] = acc
    return bad.any()


# Below this many stored values a CSR predict runs on one thread: it is short
# there, and waking a thread pool that BLAS threads are still spinning against
# (right after a fit) costs more than the pass.
_PARALLEL_NNZ = 1 << 20


@njit(cache=True, fastmath={"reassoc"})
def _scores_csr_rows(indptr, indices, data, full, intercept, out, start, stop):
    """``out[i] = X[i] @ full + intercept`` for the CSR rows ``start .. stop``
    (``full``: (n_features, n_outputs), zero rows for pruned columns); True if
    a stored value among them is not finite. Positions and columns are read as
    unsigned: numba then skips its negative-index test, which halved the time."""
    n_outputs = full.shape[1]
    check = 0.0
    for i in range(start, stop):
        first, last = np.uint64(indptr[i]), np.uint64(indptr[i + 1])
        if n_outputs == 1:  # the sum in a register (a binary or one-target model)
            acc = intercept[0]
            for position in range(first, last):
                value = data[position]
                check += value * 0.0  # NaN or +-inf makes this NaN
                acc += value * full[np.uint64(indices[position]), 0]
            out[i, 0] = acc
            continue
        for k in range(n_outputs):
            out[i, k] = intercept[k]
        for position in range(first, last):
            value = data[position]
            check += value * 0.0
            column = np.uint64(indices[position])
            for k in range(n_outputs):
                out[i, k] += value * full[column, k]
    return check != check


@njit(parallel=True, cache=True)
def _scores_csr_parallel(indptr, indices, data, full, intercept, out):
    """:func:`_scores_csr_rows` over blocks of rows in parallel."""
    n = indptr.shape[0] - 1
    n_blocks = min(n, 64)
    bad = np.zeros(n_blocks, dtype=np.bool_)
    for b in prange(n_blocks):
        start, stop = b * n // n_blocks, (b + 1) * n // n_blocks
        bad[b] = _scores_csr_rows(
            indptr, indices, data, full, intercept, out, start, stop
        )
    return bad.any()


# up to this many values (stored ones, for a sparse X) the scores come from
# numpy: the compiled passes pay off on large inputs, and compiling them takes
# longer than a small predict
_NUMPY_CELLS = 1 << 16


def _scores_csr(indptr, indices, data, full, intercept, out):
    """``out = X @ full + intercept`` for CSR ``X``; True if X is not finite."""
    if indptr[-1] < _PARALLEL_NNZ:
        n = indptr.shape[0] - 1
        return _scores_csr_rows(indptr, indices, data, full, intercept, out, 0, n)
    return _scores_csr_parallel(indptr, indices, data, full, intercept, out)


def kept_columns(columns, weights, intercept, n_features):
    """The arrays :func:`decision_scores` reads, as a dict (plain arrays: a
    pruner holding it stays loadable by skops without trusting more types); the
    weights also scattered over all ``n_features`` columns (zeros where pruned),
    so a predict on CSR rows allocates nothing but its scores."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    columns = np.asarray(columns, dtype=np.intp)
    scattered = np.zeros((n_features, weights.shape[0]))
    scattered[columns] = weights.T
    return {
        "columns": columns,
        "weights": weights,
        "intercept": np.ascontiguousarray(intercept, dtype=np.float64),
        "scattered": scattered,
    }


def folded_affine_head(decision, head, coef, intercept, n_features):
    """The :func:`kept_columns` arrays with a Pipeline ``head`` of per-column
    affine steps (scalers) folded in, or None when the head is not one.

    ``w . (a * x + c) + b = (w * a) . x + (w . c + b)``: the pruned model then
    reads the kept input columns directly, so predict costs one validation of
    ``X`` and a product with the kept columns only.
    """
    affine = affine_steps(head, n_features)
    if affine is None:
        return None
    scale, shift = affine
    kept = decision["columns"]
    return kept_columns(
        kept, (coef * scale)[:, kept], intercept + coef @ shift, coef.shape[1]
    )


def decision_scores(X, columns, weights, intercept, check_finite=True, scattered=None):
    """``X[:, columns] @ weights.T + intercept``, shape (n_samples, n_outputs).

    Raises ValueError if ``X`` holds NaN or infinity anywhere (as scikit-learn's
    own check would), unless ``check_finite`` is False. ``scattered``: the
    weights over all columns, as :func:`kept_columns` gives them.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._gather import decision_scores
    >>> X = np.arange(6.0).reshape(2, 3)
    >>> decision_scores(X, np.array([0, 2]), np.array([[1.0, 1.0]]), np.array([0.5]))
    array([[2.5],
           [8.5]])
    """
    if scattered is None:
        kept = kept_columns(columns, weights, intercept, X.shape[1])
        return decision_scores(X, **kept, check_finite=check_finite)
    n_outputs = weights.shape[0]
    if sp.issparse(X):  # the stored entries are all there is to check and read
        if X.format == "csr" and X.data.dtype.kind == "f" and X.nnz > _NUMPY_CELLS:
            out = np.empty((X.shape[0], n_outputs))
            bad = _scores_csr(X.indptr, X.indices, X.data, scattered, intercept, out)
            if bad and check_finite:
                raise ValueError("Input X contains NaN or infinity.")
            return out
        if check_finite and not np.isfinite(X.data).all():
            raise ValueError("Input X contains NaN or infinity.")
        return np.asarray(X @ scattered) + intercept
    if X.dtype.kind != "f" or not X.flags.c_contiguous or X.size <= _NUMPY_CELLS:
        if check_finite and not np.isfinite(np.asarray(X, dtype=np.float64)).all():
            raise ValueError("Input X contains NaN or infinity.")
        if X.dtype == np.float64 and 3 * len(columns) > X.shape[1]:
            # most columns kept: one BLAS pass over X rather than a gathered
            # copy of a column-major X
            return X @ scattered + intercept
        return np.asarray(X[:, columns], dtype=np.float64) @ weights.T + intercept
    out = np.empty((X.shape[0], n_outputs))
    if _scores_by_rows(X, columns, weights, intercept, out) and check_finite:
        raise ValueError("Input X contains NaN or infinity.")
    return out
