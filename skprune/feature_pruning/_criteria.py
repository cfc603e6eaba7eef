"""How much a discrete variable tells about a target: the feature-pruning criteria.

Every function here is pure. It takes a contingency ``table`` of shape
``(n_levels, n_classes)``, whose entry ``[i, k]`` is the (weighted) number of samples
where the variable takes its ``i``-th level and the target its ``k``-th class, and
returns a number. Empty rows and columns are ignored, so tables with unused levels
give the same results as their compact form.

Raw gains reward cardinality: a column of unique IDs predicts the training target
perfectly. Each gain therefore has an *expected* value under independence (the
permutation model: the margins are fixed, the pairing is random), and the score
used for pruning, :func:`adjusted_gain`, is the raw gain minus that expectation,
which is zero on average for an uninformative variable whatever its number of
levels. :func:`g_test` gives the p-value of the same dependence.
"""

import math

import numpy as np
from scipy.special import chdtrc, fdtrc, gammaln

from skprune.utils._jit import njit

__all__ = [
    "CRITERIA",
    "adjusted_gain",
    "adjusted_variance_reduction",
    "entropy",
    "expected_gini_gain",
    "expected_information_gain",
    "g_test",
    "gini_gain",
    "gini_impurity",
    "f_test",
    "holm_significant",
    "information_gain",
    "variance_reduction",
]


def _compact(table):
    """Return ``table`` as float64 without its all-zero rows and columns."""
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"A contingency table must be 2-D, got shape {table.shape}.")
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def entropy(counts):
    """Shannon entropy, in bits, of the distribution given by ``counts``.

    Parameters
    ----------
    counts : array-like of shape (n_levels,)
        Non-negative (weighted) counts; they need not sum to one.

    Returns
    -------
    entropy : float

    Examples
    --------
    >>> from skprune.feature_pruning import entropy
    >>> entropy([5, 5])
    1.0
    >>> entropy([4, 0])
    0.0
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum() + 0.0)  # never -0.0


def gini_impurity(counts):
    """Gini impurity ``1 - sum_k p_k**2`` of the distribution given by ``counts``.

    Examples
    --------
    >>> from skprune.feature_pruning import gini_impurity
    >>> gini_impurity([5, 5])
    0.5
    >>> gini_impurity([3, 0])
    0.0
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts / total
    return float(1.0 - (p * p).sum())


def information_gain(table):
    """Information gain ``H(y) - H(y | x)`` in bits (the mutual information).

    Examples
    --------
    >>> from skprune.feature_pruning import information_gain
    >>> information_gain([[10, 0], [0, 10]])  # x determines y
    1.0
    >>> information_gain([[5, 5], [5, 5]])  # x says nothing about y
    0.0
    """
    table = _compact(table)
    if table.size == 0:
        return 0.0
    p = table / table.sum()  # proportions: the same for any scale of the weights
    nz = p > 0
    ratio = p[nz] / np.outer(p.sum(axis=1), p.sum(axis=0))[nz]
    return float(max((p[nz] * np.log2(ratio)).sum(), 0.0))


def gini_gain(table):
    """Gini gain ``G(y) - sum_v p(v) G(y | x = v)``.

    Examples
    --------
    >>> from skprune.feature_pruning import gini_gain
    >>> gini_gain([[10, 0], [0, 10]])
    0.5
    >>> gini_gain([[5, 5], [5, 5]])
    0.0
    """
    table = _compact(table)
    if table.size == 0:
        return 0.0
    p = table / table.sum()
    rows = p.sum(axis=1)
    # sum_v p(v) G(y | v) = 1 - sum_v sum_k p(v, k)^2 / p(v)
    within = 1.0 - float(((p * p).sum(axis=1) / rows).sum())
    gain = gini_impurity(p.sum(axis=0)) - within
    return float(max(gain, 0.0))


def _integer_margins(table):
    """Margins rounded to whole numbers (as floats, so that no total of weights
    overflows) that add up to the same total."""
    rows = np.rint(table.sum(axis=1))
    cols = np.rint(table.sum(axis=0))
    rows, cols = rows[rows > 0], cols[cols > 0]
    if cols.size:
        cols[np.argmax(cols)] += rows.sum() - cols.sum()
    return rows, cols, float(rows.sum())


# From this expected cell count on, a cell's share of E[I] takes its closed form
_ASYMPTOTIC_CELL = 1000.0


@njit(cache=True)
def _expected_mutual_information_nats(row_values, row_counts, cols, n):
    """E[I(x; y)] in nats for margins ``rows`` (as value, multiplicity) and ``cols``.

    Sums ``k/n log(n k / (a b))`` over the hypergeometric law of the cell count
    ``k``, for every pair of margins ``(a, b)``. The law is summed only within 12
    standard deviations of its mean (the rest weighs under 1e-30), so the cost is
    about ``sqrt(a b / n)`` terms per cell rather than ``min(a, b)``. A cell whose
    mean ``m = a b / n`` is large takes the second-order term of the expansion in
    ``k - m``, ``Var(k) / (2 m n) = (n - a)(n - b) / (2 n^2 (n - 1))`` (relative
    error about ``1 / m``), so the cost stays bounded however large the counts
    (or the weights) are.
    """
    total = 0.0
    lg_n = math.lgamma(n + 1.0)
    for r in range(row_values.shape[0]):
        a = row_values[r]
        cell_sum = 0.0
        for b in cols:
            mean = a * b / n
            if mean >= _ASYMPTOTIC_CELL:
                cell_sum += (n - a) * (n - b) / (2.0 * n * n * (n - 1.0))
                continue
            lo = max(1.0, a + b - n)
            hi = min(a, b)
            if lo > hi:
                continue
            sd = math.sqrt(max(mean * (n - a) * (n - b) / (n * max(n - 1.0, 1.0)), 0))
            start = max(lo, math.floor(mean - 12.0 * sd) - 1.0)
            stop = min(hi, math.floor(mean + 12.0 * sd) + 2.0)
            log_p = (
                math.lgamma(a + 1.0)
                + math.lgamma(b + 1.0)
                + math.lgamma(n - a + 1.0)
                + math.lgamma(n - b + 1.0)
                - lg_n
                - math.lgamma(start + 1.0)
                - math.lgamma(a - start + 1.0)
                - math.lgamma(b - start + 1.0)
                - math.lgamma(n - a - b + start + 1.0)
            )
            p = math.exp(log_p)
            k = start
            while k <= stop:
                cell_sum += p * k / n * math.log(n * k / (a * b))
                p *= (a - k) * (b - k) / ((k + 1.0) * (n - a - b + k + 1.0))
                k += 1.0
        total += row_counts[r] * cell_sum
    return total


def expected_mutual_information_nats(row_values, row_counts, cols, n):
    """:func:`_expected_mutual_information_nats` in numpy, one margin value at a
    time (the compiled kernel serves large batches; this one needs no
    compilation, so a first small fit starts at once).

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.feature_pruning._criteria import (
    ...     _expected_mutual_information_nats, expected_mutual_information_nats)
    >>> rows, counts = np.array([3.0, 40.0]), np.array([2.0, 1.0])
    >>> args = (rows, counts, np.array([20.0, 26.0]), 46.0)
    >>> bool(np.isclose(expected_mutual_information_nats(*args),
    ...                 _expected_mutual_information_nats(*args)))
    True
    """
    b = np.asarray(cols, dtype=np.float64)
    total = 0.0
    lg_n = gammaln(n + 1.0)
    for a, count in zip(row_values, row_counts, strict=True):
        mean = a * b / n
        asymptotic = mean >= _ASYMPTOTIC_CELL
        cells = np.where(asymptotic, (n - a) * (n - b) / (2.0 * n * n * (n - 1.0)), 0.0)
        lo, hi = np.maximum(1.0, a + b - n), np.minimum(a, b)
        sd = np.sqrt(np.maximum(mean * (n - a) * (n - b) / (n * max(n - 1.0, 1.0)), 0))
        start = np.maximum(lo, np.floor(mean - 12.0 * sd) - 1.0)
        stop = np.minimum(hi, np.floor(mean + 12.0 * sd) + 2.0)
        summed = ~asymptotic & (lo <= hi) & (start <= stop)
        if summed.any():
            start, stop, bs = start[summed], stop[summed], b[summed]
            k = start[:, None] + np.arange(int((stop - start).max()) + 1)
            inside = k <= stop[:, None]
            k = np.where(inside, k, start[:, None])
            bb = bs[:, None]
            log_p = (
                gammaln(a + 1.0)
                + gammaln(bb + 1.0)
                + gammaln(n - a + 1.0)
                + gammaln(n - bb + 1.0)
                - lg_n
                - gammaln(k + 1.0)
                - gammaln(a - k + 1.0)
                - gammaln(bb - k + 1.0)
                - gammaln(n - a - bb + k + 1.0)
            )
            terms = np.exp(log_p) * k / n * np.log(n * k / (a * bb))
            cells[summed] += np.where(inside, terms, 0.0).sum(axis=1)
        total += count * cells.sum()
    return float(total)


def expected_information_gain(table):
    """Expected information gain, in bits, of ``table``'s margins under independence.

    Exact under the permutation model (as in the adjusted mutual information), so a
    column of unique IDs, whose raw gain equals ``H(y)``, has exactly that
    expectation and an adjusted gain of zero.

    Examples
    --------
    >>> from skprune.feature_pruning import expected_information_gain
    >>> round(expected_information_gain([[1, 0], [1, 0], [0, 1], [0, 1]]), 6)
    1.0
    >>> expected_information_gain([[500, 500], [500, 500]]) < 1e-3
    True
    """
    rows, cols, n = _integer_margins(_compact(table))
    if rows.size < 2 or cols.size < 2:
        return 0.0
    values, counts = np.unique(rows, return_counts=True)
    nats = expected_mutual_information_nats(values, counts.astype(np.float64), cols, n)
    return float(nats / math.log(2))


def expected_gini_gain(table):
    """Expected Gini gain under independence: ``G(y) (r - 1) / (n - 1)``.

    Exact under the permutation model: a level holding ``a`` of ``n`` samples
    drawn without replacement has expected impurity ``G(y) n (a - 1) / (a (n - 1))``,
    and summing over the ``r`` non-empty levels gives the closed form.

    Examples
    --------
    >>> from skprune.feature_pruning import expected_gini_gain
    >>> expected_gini_gain([[1, 0], [1, 0], [0, 1], [0, 1]])  # unique IDs
    0.5
    """
    table = _compact(table)
    n = table.sum()
    if table.shape[0] < 2 or n <= 1:
        return 0.0
    return float(gini_impurity(table.sum(axis=0)) * (table.shape[0] - 1) / (n - 1))


CRITERIA = {
    "entropy": (information_gain, expected_information_gain),
    "gini": (gini_gain, expected_gini_gain),
}


def adjusted_gain(table, criterion="entropy"):
    """Gain minus its expectation under independence: the pruning score.

    Zero on average for a variable unrelated to the target, whatever its number of
    levels; slightly negative values mean "less than chance".

    Examples
    --------
    >>> from skprune.feature_pruning import adjusted_gain
    >>> round(adjusted_gain([[1, 0], [1, 0], [0, 1], [0, 1]]), 6)  # unique IDs
    0.0
    >>> round(adjusted_gain([[50, 0], [0, 50]], "gini"), 3)
    0.495
    """
    gain, expected = CRITERIA[criterion]
    return gain(table) - expected(table)


def g_statistic(table):
    """The uncorrected G statistic ``2 n ln(2) I(x; y)`` and its degrees of freedom.

    Differences of it are exact: ``G((x, z); y) - G(z; y) = 2 n ln(2) I(x; y | z)``,
    the statistic of the conditional G-test.

    Examples
    --------
    >>> from skprune.feature_pruning._criteria import g_statistic
    >>> g, dof = g_statistic([[30, 10], [10, 30]])
    >>> round(g, 2), dof
    (20.93, 1)
    """
    table = _compact(table)
    r, c = table.shape
    g = 2.0 * float(table.sum()) * math.log(2) * information_gain(table)
    return g, (r - 1) * (c - 1)


def g_test(table):
    """G-test of independence, with Williams' correction for sparse tables.

    ``G = 2 sum O ln(O / E)`` has ``(r - 1)(c - 1)`` degrees of freedom. On sparse
    tables (many levels, few samples each) G overshoots its chi-square law, so it
    is divided by Williams' ``q = 1 + (n sum 1/a_i - 1)(n sum 1/b_k - 1) / (6 n df)``;
    a column of unique IDs then gets a p-value near one instead of near zero.

    Returns
    -------
    statistic : float
        The corrected statistic ``G / q``.
    dof : int
    pvalue : float

    Examples
    --------
    >>> from skprune.feature_pruning import g_test
    >>> stat, dof, p = g_test([[30, 10], [10, 30]])
    >>> dof, p < 0.001
    (1, True)
    >>> g_test([[10, 10], [10, 10]])[2]
    1.0
    """
    table = _compact(table)
    g, dof = g_statistic(table)
    if dof == 0:
        return 0.0, 0, 1.0
    n = table.sum()
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    q = 1.0 + (n * (1.0 / rows).sum() - 1) * (n * (1.0 / cols).sum() - 1) / (
        6.0 * n * dof
    )
    statistic = g / q
    return float(statistic), int(dof), float(chdtrc(dof, statistic))


def variance_reduction(table, target_means, total_ss):
    """Between-level share of the target's variance: the correlation ratio ``eta^2``.

    For a regression target cut into bins, ``table[i, k]`` counts the rows of
    level ``i`` in target bin ``k`` and ``target_means[k]`` is the bin's mean
    target value; each level's mean target follows, and ``eta^2 = SS_between /
    SS_total`` is the share of the target's variance that knowing the level
    explains - the variance reduction regression trees split on, and the ``R^2`` of
    predicting ``y`` by the level's mean. ``total_ss`` is the exact total sum of
    squares of ``y`` (within-bin spread included).

    Examples
    --------
    >>> from skprune.feature_pruning._criteria import variance_reduction
    >>> # two levels; level 0 holds the low bin, level 1 the high one
    >>> round(variance_reduction([[5, 0], [0, 5]], [0.0, 1.0], 2.5), 3)
    1.0
    >>> round(variance_reduction([[5, 5], [5, 5]], [0.0, 1.0], 5.0), 3)
    0.0
    """
    table = np.asarray(table, dtype=np.float64)
    counts = table.sum(axis=1)
    used = counts > 0
    sums = table[used] @ np.asarray(target_means, dtype=np.float64)
    n = counts.sum()
    if n <= 0 or total_ss <= 0:
        return 0.0
    between = (sums**2 / counts[used]).sum() - sums.sum() ** 2 / n
    return float(min(max(between / total_ss, 0.0), 1.0))


def adjusted_variance_reduction(table, target_means, total_ss):
    """``eta^2`` minus its expectation ``(L - 1) / (n - 1)`` under independence
    (``L`` levels used): zero on average for an unrelated column, whatever its
    number of levels, as :func:`adjusted_gain` is.

    Examples
    --------
    >>> from skprune.feature_pruning._criteria import adjusted_variance_reduction
    >>> # ten unique levels over ten rows explain everything, by chance alone
    >>> import numpy as np
    >>> round(adjusted_variance_reduction(np.eye(10), np.arange(10.0), 82.5), 6)
    0.0
    """
    table = np.asarray(table, dtype=np.float64)
    counts = table.sum(axis=1)
    n, n_levels = counts.sum(), int((counts > 0).sum())
    if n <= 1:
        return 0.0
    expected = (n_levels - 1) / (n - 1)
    return float(variance_reduction(table, target_means, total_ss) - expected)


def f_test(table, target_means, total_ss):
    """One-way ANOVA of the target across the levels: ``(F, dof, p-value)``.

    ``F = (eta^2 / (L - 1)) / ((1 - eta^2) / (n - L))`` with ``L - 1`` and
    ``n - L`` degrees of freedom.

    Examples
    --------
    >>> from skprune.feature_pruning._criteria import f_test
    >>> f, dof, p = f_test([[40, 10], [10, 40]], [0.0, 1.0], 25.0)
    >>> dof, p < 0.001
    (1, True)
    """
    table = np.asarray(table, dtype=np.float64)
    counts = table.sum(axis=1)
    n, n_levels = counts.sum(), int((counts > 0).sum())
    if n_levels < 2 or n - n_levels <= 0:
        return 0.0, 0, 1.0
    eta2 = variance_reduction(table, target_means, total_ss)
    dof = n_levels - 1
    residual = max(1.0 - eta2, 1e-300)
    statistic = (eta2 / dof) / (residual / (n - n_levels))
    return float(statistic), int(dof), float(fdtrc(dof, n - n_levels, statistic))


def batch_variance_scores(tables, target_means, total_ss):
    """``(adjusted eta^2, F-test p-values)`` of every table of a (columns, levels,
    target bins) array at once: :func:`adjusted_variance_reduction` and
    :func:`f_test`, vectorised.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.feature_pruning._criteria import batch_variance_scores
    >>> tables = np.array([[[40, 10], [10, 40]], [[25, 25], [25, 25]]], float)
    >>> scores, p = batch_variance_scores(tables, np.array([0.0, 1.0]), 25.0)
    >>> scores.round(3), bool(p[0] < 1e-3), float(p[1])
    (array([ 0.35, -0.01]), True, 1.0)
    """
    tables = np.asarray(tables, dtype=np.float64)
    counts = tables.sum(axis=2)
    sums = tables @ np.asarray(target_means, dtype=np.float64)
    n = counts.sum(axis=1)
    used = counts > 0
    n_levels = used.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(used, sums**2 / np.where(used, counts, 1.0), 0.0).sum(axis=1)
        between -= sums.sum(axis=1) ** 2 / np.where(n > 0, n, 1.0)
        eta2 = np.clip(between / total_ss, 0.0, 1.0) if total_ss > 0 else 0.0 * n
        expected = np.where(n > 1, (n_levels - 1) / np.where(n > 1, n - 1, 1.0), 0.0)
        scores = np.where(n > 1, eta2 - expected, 0.0)
        dof1, dof2 = n_levels - 1, n - n_levels
        valid = (n_levels >= 2) & (dof2 > 0)
        statistic = (eta2 / np.maximum(dof1, 1)) / (
            np.maximum(1.0 - eta2, 1e-300) / np.where(dof2 > 0, dof2, 1.0)
        )
        pvalues = np.where(
            valid,
            fdtrc(np.maximum(dof1, 1), np.where(dof2 > 0, dof2, 1.0), statistic),
            1.0,
        )
    return scores, pvalues


def holm_significant(pvalues, alpha):
    """Mask of the p-values rejected by Holm's step-down procedure at ``alpha``.

    Controls the chance of keeping even one irrelevant feature at ``alpha``, like
    Bonferroni, but rejects more.

    Examples
    --------
    >>> from skprune.feature_pruning._criteria import holm_significant
    >>> holm_significant([0.001, 0.02, 0.04, 0.5], alpha=0.05)
    array([ True, False, False, False])
    """
    pvalues = np.asarray(pvalues, dtype=np.float64)
    m = pvalues.size
    order = np.argsort(pvalues, kind="stable")
    passes = pvalues[order] <= alpha / (m - np.arange(m))
    n_rejected = m if passes.all() else int(np.argmin(passes))
    mask = np.zeros(m, dtype=bool)
    mask[order[:n_rejected]] = True
    return mask
