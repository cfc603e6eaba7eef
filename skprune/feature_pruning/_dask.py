"""FeaturePruner on dask collections: tables per partition, summed on the client.

Contingency tables add up, so each partition is counted where it lives (a worker
of a ``distributed`` cluster, or a thread of the local scheduler) and only the
small tables travel. What reaches the client: the rows of an evenly spaced sample
(at most ``EDGE_SAMPLE``, the same rows an in-memory fit uses for its bin edges,
so both give the same scores), the distinct values of string / categorical
columns and of a classification target, and one table per column per partition.
No partition is ever collected.

dask is the ``dask`` extra and is imported only here, only for dask input.
"""

import sys

import numpy as np
import pandas as pd

from skprune.feature_pruning._binning import (
    EDGE_SAMPLE,
    Plan,
    as_float_frame,
    count_tables,
    encode,
    has_numeric_dtype,
    plan_target,
    quantile_edges,
)


def is_dask_collection(X):
    """Whether ``X`` is a dask array, DataFrame or Series (without importing dask)."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def _is_frame(X):
    return hasattr(X, "columns")


def _sample_rows(n_rows):
    if n_rows <= EDGE_SAMPLE:
        return np.arange(n_rows)
    return np.linspace(0, n_rows - 1, EDGE_SAMPLE).astype(np.intp)


def _as_array(collection):
    """A dask array with known chunk sizes, rows split only."""
    if hasattr(collection, "to_dask_array"):
        collection = collection.to_dask_array(lengths=True)
    if any(np.isnan(c) for c in collection.chunks[0]):
        collection = collection.compute_chunk_sizes()
    if collection.ndim == 2:
        collection = collection.rechunk({1: -1})
    return collection


def _plan(X, n_bins, sample_rows):
    """The plan of levels: edges from the sample rows, vocabularies from uniques."""
    if not _is_frame(X):
        sample = np.asarray(_as_array(X)[sample_rows].compute(), dtype=np.float64)
        edges = quantile_edges(sample, n_bins)
        return Plan(X.shape[1], np.arange(X.shape[1]), edges)
    numeric = [j for j, dtype in enumerate(X.dtypes) if has_numeric_dtype(dtype)]
    names = list(X.columns)
    numeric_part = X[[names[j] for j in numeric]]
    meta = pd.DataFrame({name: np.zeros(0) for name in numeric_part.columns})
    sample = _as_array(numeric_part.map_partitions(as_float_frame, meta=meta))
    edges = quantile_edges(np.asarray(sample[sample_rows].compute()), n_bins)
    vocabularies = {}
    for j in range(len(names)):
        if j not in numeric:
            values = X[names[j]].dropna().unique().compute()
            vocabularies[j] = pd.Index(pd.unique(np.asarray(values, dtype=object)))
    return Plan(len(names), np.asarray(numeric, dtype=np.intp), edges, vocabularies)


def _partition_tables(X_part, y_part, plan, target):
    """Tables of one partition, computed where the partition lives."""
    y_part = np.asarray(y_part).ravel()
    levels = encode(plan, X_part if _is_frame(X_part) else np.asarray(X_part))
    weights = np.ones(len(y_part))
    return count_tables(levels, target.encode(y_part), target.n_classes, weights)


def dask_tables(X, y, n_bins, is_continuous, show_progress=False):
    """``(plan, target coding, tables)`` of a dask ``X`` and ``y``, reduced."""
    import dask

    if not is_dask_collection(y):
        y = _split_like(np.asarray(y), X)
    y_array = _as_array(y)
    n_rows = int(sum(y_array.chunks[0]))
    rows = _sample_rows(n_rows)
    plan = _plan(X, n_bins, rows)
    y_sample = np.asarray(y_array[rows].compute())
    if is_continuous(y_sample):
        target = plan_target(y_sample, n_bins, True)
    else:
        import dask.array as da

        classes = np.asarray(da.unique(y_array).compute())
        target = plan_target(None, n_bins, False, classes=classes)
    y_parts = y_array.to_delayed().ravel()
    if _is_frame(X):
        X_parts = X.to_delayed()
    else:
        X_parts = _as_array(X).rechunk({0: y_array.chunks[0]}).to_delayed().ravel()
    if len(X_parts) != len(y_parts):
        raise ValueError(
            f"X and y are split differently ({len(X_parts)} and {len(y_parts)} "
            "partitions); give y the partitions of X (e.g. a column of the frame)."
        )
    count = dask.delayed(_partition_tables, pure=True)
    pairs = zip(X_parts, y_parts, strict=True)
    tasks = [count(a, b, plan, target) for a, b in pairs]
    if show_progress:  # dask's own bar (local schedulers; a cluster has its own)
        from dask.diagnostics import ProgressBar

        with ProgressBar(out=sys.stderr):
            parts = dask.compute(*tasks)
    else:
        parts = dask.compute(*tasks)
    tables = [sum(part[j] for part in parts) for j in range(plan.n_features)]
    return plan, target, tables


def _split_like(y, X):
    """An in-memory ``y`` as a dask array split into the row partitions of ``X``."""
    import dask.array as da

    if _is_frame(X):
        lengths = tuple(int(n) for n in X.map_partitions(len).compute())
    else:
        lengths = tuple(int(n) for n in _as_array(X).chunks[0])
    if sum(lengths) != len(y):
        raise ValueError(
            f"X has {sum(lengths)} rows but y has {len(y)}; give one target per row."
        )
    return da.from_array(y, chunks=(lengths,) + y.shape[1:])


def validation_view(X):
    """What scikit-learn's validation can read: a frame's empty pandas meta (its
    column names), or the dask array itself (its shape)."""
    return X._meta if _is_frame(X) else X


def select_lazily(X, support, feature_names):
    """``X`` restricted to the kept columns, still a lazy dask collection."""
    if _is_frame(X):
        if feature_names is not None and list(X.columns) != list(feature_names):
            raise ValueError(
                "The feature names should match those that were passed during fit."
            )
        return X[[c for c, keep in zip(X.columns, support, strict=True) if keep]]
    if X.shape[1] != len(support):
        raise ValueError(
            f"X has {X.shape[1]} features, but FeaturePruner is expecting "
            f"{len(support)} features as input."
        )
    return X[:, np.flatnonzero(support)]
