"""Turning table columns into discrete levels, and counting them against a target.

A column is *numeric* (float, integer, bool, or an object column whose values are
all numbers) or *nominal* (strings, categories, mixed objects).

- A numeric column with at most ``n_bins`` distinct values keeps one level per value.
  Otherwise it is cut into ``n_bins`` equal-frequency (quantile) bins: they keep
  about ``n / n_bins`` samples per level however skewed the column is, so no level
  is too sparse to estimate, and the result does not change under any monotone
  transform of the column (scaling, log, ranks). Integer columns with many values
  (ages, amounts) are ordinal, so they are binned too rather than taken as thousands
  of separate levels that would carry no usable signal.
- A nominal column keeps one level per value (its *vocabulary*, which grows as
  ``partial_fit`` sees new values).
- A missing value (NaN, None, ``pd.NA``) is a level of its own in every column.

Bin edges are quantiles of an evenly spaced subsample of at most ``EDGE_SAMPLE``
rows (deterministic; the edges' error is a fraction of a percent of the mass), then
every row is counted in one pass of a compiled kernel that never materialises the
binned table.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from skprune.utils._jit import njit, prange

EDGE_SAMPLE = 65_536


@dataclass
class Plan:
    """How each column of a table maps to discrete levels; fixed once made.

    ``numeric`` lists the numeric columns and ``edges`` their right-closed bin
    edges, padded with ``+inf`` (level ``n_edges + 1`` is "missing");
    ``vocabularies`` maps each other column to the values it has seen, in order
    (level 0 is "missing", level ``i + 1`` is ``vocabulary[i]``).
    """

    n_features: int
    numeric: np.ndarray
    edges: np.ndarray
    vocabularies: dict = field(default_factory=dict)

    def n_levels(self):
        """Number of levels of every column."""
        counts = np.full(self.n_features, self.edges.shape[1] + 2, dtype=np.int64)
        for j, vocabulary in self.vocabularies.items():
            counts[j] = len(vocabulary) + 1
        return counts

    def state(self):
        """The plan as numpy arrays, lists and dicts (what a fitted pruner keeps,
        so that ``skops.io`` persists it without trusting private types)."""
        return {
            "n_features": self.n_features,
            "numeric": self.numeric,
            "edges": self.edges,
            "nominal": list(self.vocabularies),
            "vocabularies": [list(v) for v in self.vocabularies.values()],
        }

    @classmethod
    def from_state(cls, state):
        vocabularies = {
            j: pd.Index(values, dtype=object)
            for j, values in zip(state["nominal"], state["vocabularies"], strict=True)
        }
        return cls(state["n_features"], state["numeric"], state["edges"], vocabularies)


@dataclass
class Levels:
    """A table encoded by a :class:`Plan`: the numeric columns' values (``block``,
    n_samples x len(numeric)) and the nominal columns' level codes."""

    plan: Plan
    block: np.ndarray
    nominal: dict = field(default_factory=dict)


def quantile_edges(values, n_bins, weights=None):
    """Right-closed bin edges for each column of ``values`` (NaN ignored).

    The ``k``-th edge is the smallest value whose cumulative (weighted) count reaches
    ``k / n_bins`` of the total, so a weight of 2 acts as a repeated row. A column
    with at most ``n_bins`` distinct values gets one bin per value. Rows of the
    result are padded with ``+inf`` to ``n_bins - 1`` entries.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.feature_pruning._binning import quantile_edges
    >>> quantile_edges(np.arange(8.0)[:, None], 4)
    array([[1., 3., 5.]])
    >>> quantile_edges(np.array([[0.0], [1.0], [1.0], [np.nan]]), 4)
    array([[ 0., inf, inf]])
    """
    columns = np.array(np.asarray(values, dtype=np.float64).T, order="C")
    n_bins = min(n_bins, max(2, columns.shape[1]))  # more bins than rows: pointless
    edges = np.full((columns.shape[0], max(n_bins - 1, 0)), np.inf)
    if weights is None:
        columns.sort(axis=1)
    for j in range(columns.shape[0]):
        column, cumulative = columns[j], None
        if weights is not None:
            keep = ~np.isnan(column) & (weights > 0)
            order = np.argsort(column[keep], kind="stable")
            column = column[keep][order]
            cumulative = np.cumsum(weights[keep][order])
        column = column[: np.count_nonzero(~np.isnan(column))]
        if column.size == 0:
            continue
        distinct = column[np.r_[True, column[1:] != column[:-1]]]  # column is sorted
        if distinct.size <= n_bins:
            cut = distinct[:-1]
        else:
            if cumulative is None:
                cumulative = np.arange(1.0, column.size + 1)
            targets = cumulative[-1] * np.arange(1, n_bins) / n_bins
            cut = np.unique(column[np.searchsorted(cumulative, targets, side="left")])
            cut = cut[cut < column[-1]]
        edges[j, : cut.size] = cut
    return edges


def _edge_sample(block, weights):
    n = block.shape[0]
    if n <= EDGE_SAMPLE:
        return block, weights
    rows = np.linspace(0, n - 1, EDGE_SAMPLE).astype(np.intp)
    return block[rows], None if weights is None else weights[rows]


def _is_numeric(values):
    return values.dtype.kind in "biuf"


def is_time(dtype):
    """Datetimes (naive or with a time zone) and timedeltas: numeric columns."""
    return pd.api.types.is_datetime64_any_dtype(
        dtype
    ) or pd.api.types.is_timedelta64_dtype(dtype)


def has_numeric_dtype(dtype):
    """Whether a column's dtype alone makes it numeric (what a dask frame's meta
    can tell; in memory, object columns holding only numbers count too)."""
    return is_time(dtype) or (
        pd.api.types.is_numeric_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype)
    )


def _time_as_float(column):
    """Ticks of the column's unit as float64 (datetimes since the epoch, in UTC),
    NaT as NaN."""
    column = pd.Series(column)
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = column.isna().to_numpy()
    values = column.to_numpy().view(np.int64).astype(np.float64)
    values[missing] = np.nan
    return values


def _as_float(column):
    """A column as float64 with NaN for missing values, or None if not numeric."""
    if is_time(getattr(column, "dtype", None)):
        return _time_as_float(column)
    if isinstance(column, pd.Series):
        if isinstance(column.dtype, pd.CategoricalDtype):
            return None
        if pd.api.types.is_numeric_dtype(column.dtype):
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        column = column.to_numpy()
    if _is_numeric(column):
        return column.astype(np.float64, copy=False)
    try:
        return pd.to_numeric(pd.Series(column), errors="raise").to_numpy(np.float64)
    except (ValueError, TypeError):
        return None


def as_float_frame(frame):
    """Every column of ``frame`` (numeric, datetime, timedelta) as float64."""
    return pd.DataFrame(
        {name: _as_float(frame[name]) for name in frame.columns}, index=frame.index
    )


def split_columns(X):
    """``(numeric indices, float block, {j: nominal column})`` of a table."""
    if isinstance(X, np.ndarray) and _is_numeric(X):
        block = X if X.dtype.kind == "f" else X.astype(np.float64)
        return np.arange(X.shape[1]), block, {}
    numeric, values, nominal = [], [], {}
    for j in range(X.shape[1]):
        column = _column(X, j)
        as_float = _as_float(column)
        if as_float is None:
            nominal[j] = column
        else:
            numeric.append(j)
            values.append(as_float)
    block = np.column_stack(values) if values else np.empty((X.shape[0], 0))
    return np.asarray(numeric, dtype=np.intp), block, nominal


def _present(column, j):
    values = pd.Series(np.asarray(column, dtype=object))
    try:
        return pd.Index(pd.unique(values[values.notna()]), dtype=object)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in values if not _hashable(v)})
        raise TypeError(
            f"Column {_name(column, j)} holds unhashable values ({', '.join(kinds)}); "
            "FeaturePruner takes numbers, strings, bools, categories, datetimes "
            "and missing values."
        ) from None


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _name(column, j):
    name = getattr(column, "name", None)
    return repr(name) if isinstance(name, str) else str(j)


def grow_vocabularies(plan, nominal):
    """Add the values of ``nominal`` columns that ``plan`` has not seen yet."""
    for j, column in nominal.items():
        seen = plan.vocabularies.get(j, pd.Index([], dtype=object))
        new = _present(column, j).difference(seen, sort=False)
        plan.vocabularies[j] = seen.append(new) if len(new) else seen


def _nominal_codes(column, vocabulary):
    values = np.asarray(column, dtype=object)
    codes = vocabulary.get_indexer(values).astype(np.int64) + 1
    codes[pd.isna(values)] = 0
    return codes


def _encode_nominal(plan, nominal):
    """Level codes of nominal columns ``{j: column}`` by ``plan``'s vocabularies."""
    return {j: _nominal_codes(c, plan.vocabularies[j]) for j, c in nominal.items()}


def _column(X, j):
    return X.iloc[:, j] if hasattr(X, "iloc") else X[:, j]


def encode(plan, X, grow=False):
    """Encode ``X`` as ``plan`` says (which columns are numeric, their edges).

    ``grow`` first adds unseen nominal values to the vocabularies.
    """
    if isinstance(X, np.ndarray) and _is_numeric(X) and not plan.vocabularies:
        block = X if X.dtype.kind == "f" else X.astype(np.float64)
    else:
        values = []
        for j in plan.numeric:
            as_float = _as_float(_column(X, j))
            if as_float is None:
                raise ValueError(
                    f"Column {j} was numeric when the bins were planned but now holds "
                    "values that are not numbers."
                )
            values.append(as_float)
        block = np.column_stack(values) if values else np.empty((X.shape[0], 0))
    nominal = {j: _column(X, j) for j in plan.vocabularies}
    if grow:
        grow_vocabularies(plan, nominal)
    codes = _encode_nominal(plan, nominal)
    return Levels(plan, block, codes)


def find_levels(X, n_bins, weights=None):
    """Plan the levels of every column of ``X`` from ``X`` itself, and encode it.

    ``weights`` (None for unit weights) weigh the rows when placing bin edges.
    """
    numeric, block, nominal = split_columns(X)
    sample, sample_weights = _edge_sample(block, weights)
    plan = Plan(X.shape[1], numeric, quantile_edges(sample, n_bins, sample_weights))
    grow_vocabularies(plan, nominal)
    codes = _encode_nominal(plan, nominal)
    return Levels(plan, block, codes)


def _numba():
    import numba

    return numba


# up to this many numeric cells are counted in numpy: compiling the parallel
# kernels takes seconds, which a first small fit should not wait for
COMPILED_FROM_CELLS = 1 << 20


def _count_numpy(X, edges, y, weights, n_classes):
    """:func:`_count_by_rows`' tables and infinite column, column by column in
    numpy (``edges`` ascending per row, padded with infinity)."""
    n, p = X.shape
    n_levels = edges.shape[1] + 2
    tables = np.empty((p, n_levels, n_classes))
    inf_column = -1
    for j in range(p):
        x = X[:, j]
        levels = np.searchsorted(edges[j], x, side="left")  # edges below x
        levels[np.isnan(x)] = n_levels - 1
        if inf_column < 0 and np.isinf(x).any():
            inf_column = j
        flat = np.bincount(
            levels * n_classes + y, weights=weights, minlength=n_levels * n_classes
        )
        tables[j] = flat.reshape(n_levels, n_classes)
    return tables, inf_column


@njit(parallel=True, cache=True)
def _count_by_rows(X, edges, y, weights, n_classes, n_chunks):
    """Count (level, class) pairs of every column, rows split across threads."""
    n, p = X.shape
    n_edges = edges.shape[1]
    tables = np.zeros((n_chunks, p, n_edges + 2, n_classes))
    inf_column = np.full(n_chunks, -1)
    step = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        table = tables[c]
        for i in range(c * step, min(n, (c + 1) * step)):
            k = y[i]
            w = weights[i]
            for j in range(p):
                x = X[i, j]
                if x != x:
                    table[j, n_edges + 1, k] += w
                    continue
                if x - x != 0:
                    inf_column[c] = j
                level = 0
                for e in range(n_edges):
                    level += x > edges[j, e]
                table[j, level, k] += w
    return tables, inf_column.max()


@njit(parallel=True, cache=True)
def _count_by_columns(XT, edges, y, weights, n_classes):
    """Count (level, class) pairs of every column, columns split across threads."""
    p, n = XT.shape
    n_edges = edges.shape[1]
    tables = np.zeros((p, n_edges + 2, n_classes))
    inf_column = np.full(p, -1)
    for j in prange(p):
        for i in range(n):
            x = XT[j, i]
            if x != x:
                tables[j, n_edges + 1, y[i]] += weights[i]
                continue
            if x - x != 0:
                inf_column[j] = j
            level = 0
            for e in range(n_edges):
                level += x > edges[j, e]
            tables[j, level, y[i]] += weights[i]
    return tables, inf_column.max()


def _digitize_numpy(X, edges):
    """:func:`_digitize` of the columns of ``X``, in numpy."""
    codes = np.empty((X.shape[1], X.shape[0]), dtype=np.int32)
    for j in range(X.shape[1]):
        codes[j] = np.searchsorted(edges[j], X[:, j], side="left")
        codes[j, np.isnan(X[:, j])] = edges.shape[1] + 1
    return codes


@njit(parallel=True, cache=True)
def _digitize(XT, edges):
    p, n = XT.shape
    n_edges = edges.shape[1]
    codes = np.empty((p, n), dtype=np.int32)
    for j in prange(p):
        for i in range(n):
            x = XT[j, i]
            level = n_edges + 1
            if x == x:
                level = 0
                for e in range(n_edges):
                    level += x > edges[j, e]
            codes[j, i] = level
    return codes


def _raise_infinite(levels, inf_column):
    raise_infinite(int(levels.plan.numeric[inf_column]))


def raise_infinite(column):
    """The error for an infinite value in ``column`` of X (dense or sparse)."""
    raise ValueError(
        f"Input X contains infinity in column {column}; replace it with a finite "
        "value or NaN (a missing value is a level of its own)."
    )


def count_tables(levels, y, n_classes, weights):
    """One contingency table (n_levels, n_classes) per column, in column order."""
    plan = levels.plan
    tables = [None] * plan.n_features
    block = levels.block
    if block.shape[1]:
        if block.size <= COMPILED_FROM_CELLS:
            counts, inf_column = _count_numpy(block, plan.edges, y, weights, n_classes)
        elif block.flags.f_contiguous and not block.flags.c_contiguous:
            counts, inf_column = _count_by_columns(
                block.T, plan.edges, y, weights, n_classes
            )
        else:
            n_chunks = max(1, _numba().get_num_threads())
            chunks, inf_column = _count_by_rows(
                np.ascontiguousarray(block), plan.edges, y, weights, n_classes, n_chunks
            )
            counts = chunks.sum(axis=0)
        if inf_column >= 0:
            _raise_infinite(levels, inf_column)
        for position, j in enumerate(plan.numeric):
            tables[j] = counts[position]
    n_levels = plan.n_levels()
    for j, codes in levels.nominal.items():
        flat = np.bincount(
            codes * n_classes + y, weights=weights, minlength=n_levels[j] * n_classes
        )
        tables[j] = flat.reshape(n_levels[j], n_classes)
    return tables


def level_codes(levels):
    """Integer level codes of every column, shape (n_features, n_samples).

    Also returns the number of levels of each column (codes lie below it).
    """
    plan = levels.plan
    codes = np.empty((plan.n_features, levels.block.shape[0]), dtype=np.int32)
    block = levels.block
    if block.shape[1] and block.size <= COMPILED_FROM_CELLS:
        codes[plan.numeric] = _digitize_numpy(block, plan.edges)
    elif block.shape[1]:
        codes[plan.numeric] = _digitize(np.ascontiguousarray(block.T), plan.edges)
    for j, column_codes in levels.nominal.items():
        codes[j] = column_codes
    return codes, plan.n_levels()


@dataclass
class TargetCoding:
    """Class codes of a target: its ``classes``, or the bin ``edges`` of a
    continuous target (right-closed, finite)."""

    classes: np.ndarray = None
    edges: np.ndarray = None

    def state(self):
        """The coding as a dict of arrays (see :meth:`Plan.state`)."""
        return {"classes": self.classes, "edges": self.edges}

    @property
    def n_classes(self):
        return len(self.classes) if self.classes is not None else len(self.edges) + 1

    def encode(self, y):
        """Integer codes of ``y`` (0 .. n_classes - 1)."""
        if self.classes is None:
            return np.searchsorted(self.edges, np.asarray(y, dtype=np.float64))
        codes = np.searchsorted(self.classes, y)
        found = (codes < len(self.classes)) & (
            self.classes[np.minimum(codes, len(self.classes) - 1)] == y
        )
        if not found.all():
            unseen = np.unique(np.asarray(y)[~found])[:5]
            raise ValueError(
                f"y has labels {list(unseen)} not among classes {list(self.classes)}; "
                "pass every class with classes= to the first partial_fit."
            )
        return codes.astype(np.int64)


def plan_target(y, n_bins, is_regression, weights=None, classes=None):
    """How ``y`` becomes class codes; a continuous ``y`` is cut into quantile bins."""
    if not is_regression:
        return TargetCoding(classes=np.unique(y if classes is None else classes))
    sample, sample_weights = _edge_sample(
        np.asarray(y, dtype=np.float64)[:, None], weights
    )
    edges = quantile_edges(sample, n_bins, sample_weights)[0]
    return TargetCoding(edges=edges[np.isfinite(edges)])


def target_moments(y, codes, n_classes, weights=None):
    """Weighted count and sum of a regression target per bin, and its sum of
    squares: what ``criterion="variance"`` needs beyond the tables. Plain arrays;
    they add up over chunks (:func:`add_moments`)."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    return {
        "weights": np.bincount(codes, w, minlength=n_classes),
        "sums": np.bincount(codes, w * y, minlength=n_classes),
        "squares": float(w @ y**2),
    }


def add_moments(old, new):
    return {key: old[key] + new[key] for key in old}


def moment_summary(moments):
    """``(mean target per bin, total sum of squares)`` from :func:`target_moments`.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.feature_pruning._binning import moment_summary, target_moments
    >>> moments = target_moments([1.0, 3.0, 10.0], np.array([0, 0, 1]), 2)
    >>> means, total = moment_summary(moments)
    >>> means.tolist(), round(total, 3)
    ([2.0, 10.0], 44.667)
    """
    weights, sums = moments["weights"], moments["sums"]
    n = weights.sum()
    means = np.divide(sums, weights, out=np.zeros_like(sums), where=weights > 0)
    total = moments["squares"] - sums.sum() ** 2 / n if n > 0 else 0.0
    return means, float(max(total, 0.0))
