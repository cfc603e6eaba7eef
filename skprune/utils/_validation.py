"""Input checks shared by the estimators: each names the problem it finds."""

import numbers
import re
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.utils import check_consistent_length, column_or_1d

from skprune.utils._compat import _check_sample_weight

_SCALED_REFERENCE = re.compile(r"^\s*(?:([0-9.eE+-]+)\s*\*\s*)?(mean|median)\s*$")


def check_target(y, n_samples):
    """``y`` as a 1-D array without missing values, as long as ``X``."""
    y = column_or_1d(y, warn=True)
    check_consistent_length(np.empty(n_samples), y)
    if y.dtype == object:
        kinds = {type(v).__name__ for v in y if isinstance(v, str | numbers.Number)}
        if any(isinstance(v, str) for v in y) and len(kinds) > 1:
            raise TypeError(
                f"y mixes strings and numbers ({', '.join(sorted(kinds))}); give "
                "every label the same type, e.g. y.astype(str)."
            )
    missing = pd.isna(y)
    if missing.any():
        raise ValueError(
            f"y contains {int(missing.sum())} missing value(s) (NaN or None); "
            "drop those rows or impute the target before fitting."
        )
    return y


def check_frame(X):
    """Reject an empty DataFrame or one with complex columns."""
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"Found a DataFrame of shape {X.shape}; at least one sample and one "
            "feature are required."
        )
    complex_columns = [c for c in X.columns if X[c].dtype.kind == "c"]
    if complex_columns:
        raise ValueError(f"Complex data not supported: columns {complex_columns}.")


def resolve_threshold(threshold, scores):
    """A numeric cut from a float or a ``"mean"`` / ``"median"`` / ``"1.5*mean"``.

    Examples
    --------
    >>> from skprune.utils._validation import resolve_threshold
    >>> resolve_threshold("1.5*mean", [1.0, 2.0, 3.0])
    3.0
    >>> resolve_threshold(0.25, [1.0])
    0.25
    """
    if isinstance(threshold, numbers.Real):
        return float(threshold)
    match = _SCALED_REFERENCE.match(threshold)
    if match is not None and match.group(1):
        try:
            float(match.group(1))
        except ValueError:
            match = None
    if match is None:
        raise ValueError(
            f"threshold={threshold!r} is not understood: use 'auto', a float, "
            "'mean', 'median', or a scaled reference such as '1.5*mean'."
        )
    scale = float(match.group(1)) if match.group(1) else 1.0
    reference = np.mean if match.group(2) == "mean" else np.median
    return scale * float(reference(np.asarray(scores, dtype=np.float64)))


def resolve_count(max_features, n_features, name="max_features"):
    """An int count from an int or a fraction in (0, 1]; None means all."""
    if max_features is None:
        return n_features
    if isinstance(max_features, numbers.Integral):
        if max_features > n_features:
            raise ValueError(
                f"{name}={max_features} is larger than the number of features "
                f"({n_features})."
            )
        return int(max_features)
    return max(1, int(max_features * n_features))


@contextmanager
def numba_threads(n_jobs):
    """Run compiled kernels on ``n_jobs`` threads (None or -1: every core)."""
    import numba  # with the first fit, not with skprune

    previous = numba.get_num_threads()
    if n_jobs is None or n_jobs == -1:
        wanted = numba.config.NUMBA_NUM_THREADS
    elif n_jobs < 0:
        wanted = max(1, numba.config.NUMBA_NUM_THREADS + 1 + n_jobs)
    else:
        wanted = min(n_jobs, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def report(estimator, message, level=1):
    """Print ``message`` for ``estimator`` when its ``verbose`` is at least
    ``level`` (1: a line per pruning step; 2: also the detail of each step)."""
    if estimator.verbose >= level:
        print(f"[{type(estimator).__name__}] {message}", flush=True)


def frequency_weights(sample_weight, X):
    """``(weights, edge_weights)`` for counting ``X``'s rows: the checked sample
    weights (ones if None), read as frequencies, and the same only when given
    (quantile edges then weigh the rows; None: plain quantiles)."""
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    total = weights.sum()
    if total <= 0:
        raise ValueError("sample_weight sums to zero; no sample would count.")
    if total < 1:
        warnings.warn(
            f"sample_weight sums to {total:.3g}, less than one sample. "
            "FeaturePruner reads weights as frequencies (a weight of 2 counts a "
            "row twice), so their sum is the sample size of its tests and no "
            "column can be significant; rescale them, e.g. to sum to the number "
            "of rows.",
            UserWarning,
            stacklevel=4,
        )
    return weights, None if sample_weight is None else weights
