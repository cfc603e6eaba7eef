"""The contingency tables FeaturePruner keeps: added up over chunks, and scored.

A fit keeps one table per column, of shape (levels, classes): a list of arrays
(dense input; a column's levels may differ in number), one (columns, levels,
classes) array, or the state of a sparse matrix's
:class:`~skprune.feature_pruning._sparse.SparseTables` (a dict).
:func:`column_scores` turns them into every column's importance and p-value by
the criteria of :mod:`skprune.feature_pruning._criteria`.
"""

import numpy as np

from skprune.feature_pruning._criteria import (
    adjusted_gain,
    adjusted_variance_reduction,
    f_test,
    g_test,
)
from skprune.feature_pruning._sparse import SparseTables, score_tables

# tables are scored together, padded to one shape, while padding at most
# quadruples their size (one high-cardinality column among many would blow it up)
_PADDING_FACTOR = 4


def column_scores(tables, criterion, moments=None):
    """``(scores, p-values)`` of every column's table by ``criterion``.

    ``moments`` (``criterion="variance"`` only): the target's (bin means, total
    sum of squares). Tables of one shape, or that pad to one cheaply, are scored
    together in compiled code; others one at a time.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.feature_pruning._tables import column_scores
    >>> informative = np.array([[40.0, 2.0], [3.0, 45.0]])
    >>> noise = np.array([[20.0, 21.0], [22.0, 19.0], [1.0, 1.0]])
    >>> scores, pvalues = column_scores([informative, noise], "entropy")
    >>> bool(scores[0] > 0.5 > scores[1]), bool(pvalues[0] < 1e-6 < pvalues[1])
    (True, True)
    """
    if isinstance(tables, dict):  # a sparse matrix's (SparseTables.state())
        return SparseTables(**tables).score(criterion, moments)
    if isinstance(tables, np.ndarray) or _paddable(tables):
        # every table at once (empty levels change nothing)
        padded = tables if isinstance(tables, np.ndarray) else _padded(tables)
        return score_tables(padded, criterion, moments)
    if moments is not None:
        scores = [adjusted_variance_reduction(t, *moments) for t in tables]
        return np.array(scores), np.array([f_test(t, *moments)[2] for t in tables])
    scores = [adjusted_gain(t, criterion) for t in tables]
    return np.array(scores), np.array([g_test(t)[2] for t in tables])


def add_tables(old, new):
    """Sum two lists of tables; a column whose vocabulary grew gets zero rows."""
    total = []
    for a, b in zip(old, new, strict=True):
        if a.shape[0] < b.shape[0]:
            a = np.vstack([a, np.zeros((b.shape[0] - a.shape[0], a.shape[1]))])
        total.append(a + b)
    return total


def total_weight(tables):
    """The (weighted) number of rows counted in the tables."""
    if isinstance(tables, dict):  # a sparse matrix's
        return tables["totals"].sum()
    return tables[0].sum() if len(tables) else 0.0


def _paddable(tables):
    if len(tables) == 0:
        return False
    padded = len(tables) * max(t.shape[0] for t in tables) * tables[0].shape[1]
    return padded <= _PADDING_FACTOR * sum(t.size for t in tables) + 100_000


def _padded(tables):
    """The tables as one (columns, levels, classes) array, zero rows added."""
    out = np.zeros((len(tables), max(t.shape[0] for t in tables), tables[0].shape[1]))
    for j, table in enumerate(tables):
        out[j, : table.shape[0]] = table
    return out
