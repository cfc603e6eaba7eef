"""FeaturePruner on scipy.sparse matrices: tables from the nonzeros, never densified.

A column's implicit (and explicit) zeros are one level; its nonzero values get at
most one level per 5 nonzeros (and at most ``n_bins - 1``): a level each when there
are that few distinct values (counts, indicator columns), else quantile bins of the
nonzero values (TF-IDF weights). A rare word is thus present or absent, not a level
per row (on 86,357 TF-IDF columns of tweets, where 77,147 columns have at most 3
nonzeros, this lifted the downstream AUC at 2,000 columns from 0.9161 to 0.9190).
NaN is a level of its own. The tables
come from one compiled pass over a CSC copy's ``indptr / indices / data`` - time
proportional to the nonzeros: the zero level of a column is the class totals minus
its nonzero counts. :func:`batch_scores` then scores every table in compiled code
(the same adjusted gains and G-test as the dense path), since a vocabulary has
tens of thousands of columns.
"""

import math

import numpy as np
import scipy.sparse as sp
from numba import njit, prange
from scipy.special import chdtrc

from skprune.feature_pruning._criteria import (
    _expected_mutual_information_nats,
    batch_variance_scores,
)

_ROWS_PER_LEVEL = 5


def sparse_tables(X, y_codes, n_classes, weights, n_bins, edges=None):
    """Contingency tables of every column of sparse ``X``: shape (p, m + 2, k),
    and the edges of its nonzero levels, shape (p, m).

    Level 0 is zero, levels ``1 .. m`` the nonzero values (or their quantile
    bins), level ``m + 1`` NaN, where ``m`` is ``n_bins - 1`` or, if smaller, the
    most nonzeros any column has (a vocabulary of rare words needs few levels);
    a column uses at most one nonzero level per ``_ROWS_PER_LEVEL`` (weighted)
    nonzeros, the rest of its levels stay empty. Given ``edges`` (from a first
    chunk), they are used as they are, so tables of later chunks add up.
    """
    X = sp.csc_matrix(X)  # a copy of data + indices at most
    X.sort_indices()
    data = np.asarray(X.data, dtype=np.float64)
    totals = np.bincount(y_codes, weights, minlength=n_classes)
    given = edges is not None
    if not given:
        most = int(np.diff(X.indptr).max()) if X.shape[1] else 0
        edges = np.full((X.shape[1], max(1, min(n_bins - 1, most))), np.inf)
    tables = np.zeros((X.shape[1], edges.shape[1] + 2, n_classes))
    _count(
        X.indptr.astype(np.int64),
        X.indices,
        data,
        y_codes.astype(np.int64),
        np.asarray(weights, dtype=np.float64),
        totals,
        edges,
        given,
        tables,
    )
    return tables, edges


@njit(parallel=True, cache=True)
def _count(indptr, indices, data, y_codes, weights, totals, edges, given, tables):
    n_levels = edges.shape[1]
    nan_level = n_levels + 1
    for j in prange(indptr.shape[0] - 1):
        start, stop = indptr[j], indptr[j + 1]
        if not given:
            values = data[start:stop]
            row_weights = weights[indices[start:stop]]
            keep = (values != 0.0) & ~np.isnan(values) & (row_weights > 0)
            # at least _ROWS_PER_LEVEL nonzeros per level on average: a rare word
            # is present or absent (its few TF-IDF values would be levels of one row)
            # (weighted: a row of weight 2 counts as two, as sample weights do)
            present = np.sum(row_weights[keep])
            wanted = min(n_levels, max(1, int(present // _ROWS_PER_LEVEL)))
            found = _edges(values[keep], row_weights[keep], wanted)
            edges[j, : found.shape[0]] = found
        column_edges = edges[j]
        for position in range(start, stop):
            value = data[position]
            row = indices[position]
            if value == 0.0:
                continue  # counted with the implicit zeros below
            if value != value:
                level = nan_level
            else:
                level = np.searchsorted(column_edges, value, side="left") + 1
                level = min(level, n_levels)  # past the last edge: the last bin
            tables[j, level, y_codes[row]] += weights[row]
        for k in range(totals.shape[0]):
            nonzero = 0.0
            for level in range(1, nan_level + 1):
                nonzero += tables[j, level, k]
            tables[j, 0, k] = max(totals[k] - nonzero, 0.0)


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
    occur once or twice, and 86,357 TF-IDF columns of tweets hold 3,693 distinct
    tables.
    """
    tables = np.ascontiguousarray(tables, dtype=np.float64)
    first, inverse = _distinct_rows(tables.reshape(tables.shape[0], -1))
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


def _distinct_rows(flat):
    """``(first, inverse)``: one row index per distinct row, and each row's group.

    Rows are grouped by a 64-bit hash of their bytes (a sort of integers, several
    times faster than comparing rows), and the grouping is checked exactly."""
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
