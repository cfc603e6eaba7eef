"""FeaturePruner on scipy.sparse matrices: tables from the nonzeros, never densified.

A column's implicit (and explicit) zeros are one level; its nonzero values get at
most one level per 5 nonzeros (and at most ``n_bins - 1``): a level each when there
are that few distinct values (counts, indicator columns), else quantile bins of the
nonzero values (TF-IDF weights). A rare word is thus present or absent, not a level
per row, which a vocabulary's many rare words would otherwise turn into noise.
NaN is a level of its own. The counts come from compiled passes over the
stored entries of the CSR or CSC matrix itself - time proportional to the
nonzeros, no copy but the values of the few columns that are binned: the zero
level of a column is the class totals minus its other levels, and a one-level
column keeps only its nonzero counts (:class:`SparseTables`). :func:`batch_scores`
then scores every distinct table in compiled code (the same adjusted gains and
G-test as the dense path), since a vocabulary has tens of thousands of columns.
"""

import math

import numpy as np
from scipy.special import chdtrc

from skprune.feature_pruning._criteria import (
    _expected_mutual_information_nats,
    adjusted_gain,
    batch_variance_scores,
    g_test,
)
from skprune.utils._jit import njit, prange

_ROWS_PER_LEVEL = 5
# up to this many tables are scored one by one in numpy: compiling the batched
# kernel takes seconds, which a first small fit should not wait for
COMPILED_FROM_TABLES = 512


class SparseTables:
    """The contingency tables of a sparse matrix's columns, kept small.

    Most columns of a vocabulary are rare words with one nonzero level: for them
    only the weighted count of their nonzeros per class is kept (``nonzero``, shape
    (p, k)), and of their NaNs where there are any (``missing``); the zero level is
    the class ``totals`` minus both. Only the ``binned`` columns - those with
    enough nonzeros for more than one level - keep their level ``edges`` (q, m) and
    per-level counts ``levels`` (q, m, k): in a vocabulary few columns are
    binned, and a padded (p, n_bins + 1, k) array would be several times larger.
    """

    def __init__(self, nonzero, missing, totals, binned, edges, levels):
        self.nonzero, self.missing, self.totals = nonzero, missing, totals
        self.binned, self.edges, self.levels = binned, edges, levels

    def state(self):
        """The arrays, as a dict (what a fitted FeaturePruner keeps: skops loads
        it trusting no more types)."""
        return dict(vars(self))

    def __add__(self, other):
        """The tables of two chunks counted with the same ``binned`` and ``edges``."""
        if self.missing.size and other.missing.size:
            missing = self.missing + other.missing
        else:
            missing = self.missing if self.missing.size else other.missing
        return SparseTables(
            self.nonzero + other.nonzero,
            missing,
            self.totals + other.totals,
            self.binned,
            self.edges,
            self.levels + other.levels,
        )

    def tables(self, columns, middle):
        """Full (levels x classes) tables of ``columns``: the zero level, the
        nonzero levels ``middle`` (len(columns), m, k), and NaN."""
        nonzero = self.nonzero[columns]
        if self.missing.size:
            nan = self.missing[columns]
        else:
            nan = np.zeros_like(nonzero)
        zero = np.maximum(self.totals - nonzero - nan, 0.0)
        return np.concatenate([zero[:, None], middle, nan[:, None]], axis=1)

    def score(self, criterion, moments=None):
        """``(scores, p-values)`` of every column, as :func:`score_tables` gives
        them for the full tables: the few distinct tables of one-level columns
        are built and scored once, then the binned columns."""
        key = self.nonzero
        if self.missing.size:
            key = np.hstack([self.nonzero, self.missing])
        first, inverse = _distinct_rows(np.ascontiguousarray(key, dtype=np.float64))
        tables = self.tables(first, self.nonzero[first][:, None])
        scores, pvalues = score_tables(tables, criterion, moments)
        scores, pvalues = scores[inverse], pvalues[inverse]
        if len(self.binned):
            tables = self.tables(self.binned, self.levels)
            scores[self.binned], pvalues[self.binned] = score_tables(
                tables, criterion, moments
            )
        return scores, pvalues


def sparse_tables(X, y_codes, n_classes, weights, n_bins, fixed=None):
    """The :class:`SparseTables` of every column of sparse ``X`` (CSR or CSC).

    Level 0 is zero, levels ``1 .. m`` the nonzero values (or their quantile
    bins), the last NaN: a column gets at most one nonzero level per
    ``_ROWS_PER_LEVEL`` (weighted) nonzeros and at most ``n_bins - 1``. Given the
    tables of a first chunk (``fixed``), their binned columns and edges are used
    as they are, so tables of later chunks add up. Nothing is copied but the
    nonzeros of the binned columns, gathered column by column.
    """
    indptr = X.indptr.astype(np.int64)
    if _has_duplicates(indptr, X.indices, X.shape[1 if X.format == "csr" else 0]):
        X = X.copy()  # duplicate entries add up, as in X @ v (unsorted are fine)
        X.sum_duplicates()
        indptr = X.indptr.astype(np.int64)
    by_row = X.format == "csr"
    indices, data = X.indices, X.data
    p = X.shape[1]
    y_codes = y_codes.astype(np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    totals = np.bincount(y_codes, weights, minlength=n_classes)
    nonzero = np.zeros((p, n_classes))
    missing = np.zeros((p if _has_nan(data) else 0, n_classes))
    _count_nonzero(indptr, indices, data, y_codes, weights, by_row, nonzero, missing)
    if fixed is None:
        # at least _ROWS_PER_LEVEL nonzeros per level on average: a rare word is
        # present or absent (its few TF-IDF values would be levels of one row)
        wanted = np.minimum(n_bins - 1, nonzero.sum(axis=1) // _ROWS_PER_LEVEL).astype(
            np.int64
        )
        binned = np.flatnonzero(wanted >= 2)
        edges = np.full((len(binned), int(wanted.max(initial=1))), np.inf)
        wanted = wanted[binned]
    else:
        binned, edges = fixed.binned, fixed.edges
        wanted = np.zeros(0, dtype=np.int64)  # the edges are given
    slots = np.full(p, -1, dtype=np.int64)
    slots[binned] = np.arange(len(binned))
    offsets, values, rows = _gather(indptr, indices, data, weights, by_row, slots)
    levels = np.zeros((len(binned), edges.shape[1], n_classes))
    _count_levels(offsets, values, rows, y_codes, weights, wanted, edges, levels)
    return SparseTables(nonzero, missing, totals, binned, edges, levels)


@njit(cache=True)
def _has_duplicates(indptr, indices, n_minor):
    """Whether a compressed matrix stores some entry twice (sorted or not)."""
    last_segment = np.full(n_minor, -1, dtype=np.int64)
    for segment in range(indptr.shape[0] - 1):
        for position in range(indptr[segment], indptr[segment + 1]):
            if last_segment[indices[position]] == segment:
                return True
            last_segment[indices[position]] = segment
    return False


@njit(cache=True)
def _has_nan(data):
    for value in data:
        if value != value:
            return True
    return False


@njit(cache=True)
def _count_nonzero(indptr, indices, data, y_codes, weights, by_row, nonzero, missing):
    """Weighted counts per class of every column's nonzeros and NaNs, from the
    stored entries of a CSR (``by_row``) or CSC matrix in one pass."""
    for segment in range(indptr.shape[0] - 1):
        for position in range(indptr[segment], indptr[segment + 1]):
            value = data[position]
            if value == 0.0:
                continue  # counted with the implicit zeros
            row = segment if by_row else indices[position]
            column = indices[position] if by_row else segment
            if value != value:
                missing[column, y_codes[row]] += weights[row]
            else:
                nonzero[column, y_codes[row]] += weights[row]


@njit(cache=True)
def _gather(indptr, indices, data, weights, by_row, slots):
    """The nonzero, non-NaN values (and rows) of weighted rows of the columns with
    a slot, column by column: ``(offsets, values, rows)``."""
    q = 0
    for slot in slots:
        q = max(q, slot + 1)
    counts = np.zeros(q + 1, dtype=np.int64)
    empty = np.empty(0, dtype=data.dtype)
    _gather_pass(indptr, indices, data, weights, by_row, slots, counts, empty, None)
    offsets = np.cumsum(counts)
    values = np.empty(offsets[-1], dtype=data.dtype)
    rows = np.empty(offsets[-1], dtype=np.int32)
    filled = offsets[:-1].copy()
    _gather_pass(indptr, indices, data, weights, by_row, slots, filled, values, rows)
    return offsets, values, rows


@njit(cache=True)
def _gather_pass(indptr, indices, data, weights, by_row, slots, cursor, values, rows):
    """One pass over the stored entries: count each slot's entries in
    ``cursor[slot + 1]`` (``rows`` None), or write them at ``cursor[slot]``."""
    for segment in range(indptr.shape[0] - 1):
        for position in range(indptr[segment], indptr[segment + 1]):
            row = segment if by_row else indices[position]
            slot = slots[indices[position] if by_row else segment]
            value = data[position]
            if slot < 0 or value != value or value == 0.0 or weights[row] <= 0:
                continue
            if rows is None:
                cursor[slot + 1] += 1
            else:
                values[cursor[slot]] = value
                rows[cursor[slot]] = row
                cursor[slot] += 1


@njit(parallel=True, cache=True)
def _count_levels(offsets, values, rows, y_codes, weights, wanted, edges, levels):
    """Each gathered column's weighted counts per nonzero level and class; its
    edges first, from its own values and ``wanted`` levels (if given)."""
    n_levels = edges.shape[1]
    for slot in prange(offsets.shape[0] - 1):
        start, stop = offsets[slot], offsets[slot + 1]
        if wanted.shape[0]:
            found = _edges(
                values[start:stop].astype(np.float64),
                weights[rows[start:stop]],
                wanted[slot],
            )
            edges[slot, : found.shape[0]] = found
        column_edges = edges[slot]
        for position in range(start, stop):
            level = np.searchsorted(column_edges, values[position], side="left")
            level = min(level, n_levels - 1)  # past the last edge: the last bin
            levels[slot, level, y_codes[rows[position]]] += weights[rows[position]]


@njit(cache=True)
def _edges(values, weights, n_levels):
    """Right-closed edges giving at most ``n_levels`` bins of ``values``: one per
    distinct value when there are that few, else (weighted) quantiles, the
    ``k``-th edge the smallest value whose cumulative weight reaches ``k /
    n_levels`` of the total (a weight of 2 acts as a repeated row). The last edge
    is ``+inf``, so every value falls in a bin."""
    m = values.shape[0]
    edges = np.full(max(n_levels, 1), np.inf)
    if m == 0:
        return edges[:1]
    order = np.argsort(values)
    ordered = values[order]
    n_distinct = 1
    for i in range(1, m):
        if ordered[i] != ordered[i - 1]:
            if n_distinct == n_levels:
                n_distinct += 1
                break
            edges[n_distinct - 1] = ordered[i - 1]
            n_distinct += 1
    if n_distinct <= n_levels:  # one bin per value; the last edge stays +inf
        return edges[:n_distinct]
    cumulative = np.cumsum(weights[order])
    n_cut = 0
    for b in range(1, n_levels):
        target = cumulative[-1] * b / n_levels
        value = ordered[np.searchsorted(cumulative, target, side="left")]
        if value < ordered[-1] and (n_cut == 0 or value > edges[n_cut - 1]):
            edges[n_cut] = value
            n_cut += 1
    edges[n_cut] = np.inf
    return edges[: n_cut + 1]


def batch_scores(tables, criterion):
    """``(scores, p-values)`` of every (levels x classes) table in ``tables``,
    as :func:`adjusted_gain` and :func:`g_test` give them one by one.

    Columns with the same table share one computation: in a vocabulary most words
    occur once or twice, so tens of thousands of columns hold a few thousand
    distinct tables.
    """
    tables = np.ascontiguousarray(tables, dtype=np.float64)
    first, inverse = _distinct_rows(tables.reshape(tables.shape[0], -1))
    if len(first) <= COMPILED_FROM_TABLES:
        scores, statistics, dofs = _one_by_one(tables[first], criterion)
    else:
        scores, statistics, dofs = _batch(tables[first], criterion == "gini")
    pvalues = np.where(dofs > 0, chdtrc(np.maximum(dofs, 1), statistics), 1.0)
    return scores[inverse], pvalues[inverse]


def score_tables(tables, criterion, moments=None):
    """``(scores, p-values)`` of a (columns, levels, classes) array by
    ``criterion``: :func:`batch_scores`, or for ``"variance"``
    :func:`batch_variance_scores` with ``moments`` = (bin means, total SS)."""
    if criterion == "variance":
        return batch_variance_scores(tables, *moments)
    return batch_scores(tables, criterion)


def _one_by_one(tables, criterion):
    """What :func:`_batch` computes, table by table with :func:`adjusted_gain`
    and :func:`g_test`: no compilation, for the few tables of a small fit."""
    scores, statistics, dofs = np.zeros((3, len(tables)))
    for j, table in enumerate(tables):
        used = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if min(used.shape) < 2:  # one level or one class: no information
            continue
        scores[j] = adjusted_gain(used, criterion)
        statistics[j], dofs[j], _ = g_test(used)
    return scores, statistics, dofs


def _distinct_rows(flat):
    """``(first, inverse)``: one row index per distinct row, and each row's group.

    Many rows are grouped by a 64-bit hash of their bytes (a sort of integers,
    several times faster than comparing rows), and the grouping is checked
    exactly; a few, by their bytes directly (no compilation)."""
    if flat.shape[0] <= COMPILED_FROM_TABLES:
        keys = np.ascontiguousarray(flat).view(np.dtype((np.void, flat.shape[1] * 8)))
        _, first, inverse = np.unique(
            keys.ravel(), return_index=True, return_inverse=True
        )
        return first, inverse
    hashes = _row_hashes(flat.view(np.uint64))
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    if not _grouped_equal(flat, first, inverse):  # a hash collision
        keys = flat.view(np.dtype((np.void, flat.shape[1] * 8))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse


@njit(cache=True)
def _grouped_equal(flat, first, inverse):
    """Whether every row equals its group's first row (no copy made)."""
    for i in range(flat.shape[0]):
        representative = first[inverse[i]]
        for k in range(flat.shape[1]):
            if flat[i, k] != flat[representative, k]:
                return False
    return True


@njit(cache=True)
def _row_hashes(bits):
    """A 64-bit hash of each row's words (splitmix64's mixer after each word)."""
    out = np.empty(bits.shape[0], dtype=np.uint64)
    for i in range(bits.shape[0]):
        h = np.uint64(0)
        for word in bits[i]:
            x = (h ^ word) + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h = x ^ (x >> np.uint64(31))
        out[i] = h
    return out


@njit(cache=True, error_model="numpy")
def _batch(tables, gini):  # serial: distinct tables are few, and a parallel
    # kernel takes seconds longer to compile on first use
    p = tables.shape[0]
    scores = np.zeros(p)
    statistics = np.zeros(p)
    dofs = np.zeros(p)
    for j in range(p):
        rows = tables[j].sum(axis=1)
        cols = tables[j].sum(axis=0)
        used_rows = np.flatnonzero(rows > 0)
        used_cols = np.flatnonzero(cols > 0)
        r, c = used_rows.shape[0], used_cols.shape[0]
        n = rows.sum()
        if r < 2 or c < 2 or n <= 0:
            continue
        info = 0.0
        within = 0.0
        for a in used_rows:  # in proportions: the same for any scale of weights
            row_share = rows[a] / n
            squares = 0.0
            for b in used_cols:
                share = tables[j, a, b] / n
                if share > 0:
                    info += share * math.log(share / (row_share * (cols[b] / n)))
                    squares += share**2
            within += squares / row_share
        info = max(info, 0.0)  # nats
        if gini:
            impurity = 1.0
            for b in used_cols:
                impurity -= (cols[b] / n) ** 2
            gain = max(impurity - (1.0 - within), 0.0)
            expected = impurity * (r - 1) / (n - 1) if n > 1 else 0.0
            scores[j] = gain - expected
        else:
            scores[j] = (info - _expected_nats(rows[used_rows], cols[used_cols])) / (
                math.log(2.0)
            )
        dof = (r - 1) * (c - 1)
        q = 1.0 + (n * (1.0 / rows[used_rows]).sum() - 1) * (
            n * (1.0 / cols[used_cols]).sum() - 1
        ) / (6.0 * n * dof)
        statistics[j] = 2.0 * n * info / q
        dofs[j] = dof
    return scores, statistics, dofs


@njit(cache=True)
def _expected_nats(rows, cols):
    """E[I] under independence for these margins, rounded to whole numbers as
    :func:`expected_information_gain` does."""
    rows = np.rint(rows)
    cols = np.rint(cols)
    rows = rows[rows > 0]
    cols = cols[cols > 0]
    if rows.shape[0] < 2 or cols.shape[0] < 2:
        return 0.0
    cols[np.argmax(cols)] += rows.sum() - cols.sum()
    ordered = np.sort(rows)
    values = np.empty(ordered.shape[0])
    counts = np.empty(ordered.shape[0])
    m = 0
    for v in ordered:
        if m > 0 and values[m - 1] == v:
            counts[m - 1] += 1.0
        else:
            values[m] = v
            counts[m] = 1.0
            m += 1
    return _expected_mutual_information_nats(
        values[:m], counts[:m], cols, float(rows.sum())
    )
