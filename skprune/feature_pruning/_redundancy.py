"""Greedy selection that looks at features together: mRMR and JMI.

Both pick one feature at a time and record the order, from the same bias-adjusted
gains as the univariate score (:func:`adjusted_gain`, or the adjusted variance
share for ``criterion="variance"``) applied to pairs of discrete variables. Each
greedy step scores every candidate against the column chosen last in one batched
pass, so a selection of ``k`` columns costs ``O(n_samples n_features k)``.

- **mRMR** (after Peng et al. 2005, in a scale-free product form): the next
  feature maximises ``relevance(f) * (1 - max_{s in S} share(f, s))``, where
  ``share(f, s)`` is the part of the selected column ``s`` that ``f`` tells (1 for a
  copy). The difference form ``relevance - mean redundancy`` of the paper
  subtracts information between columns (up to ``log2(n_bins)`` bits) from
  information about a binary target (at most 1 bit) and then picks noise; the
  product form scored better downstream on 9 of the 10 real tables of
  ``bench/feature_pruning/bench_selection.py`` (binary, multiclass and regression).
- **JMI** (Yang & Moody 1999; Brown et al. 2012): the next feature maximises
  ``mean_{s in S} [gain((f, s) -> y) - gain(s -> y)]``, the information ``f`` adds
  about ``y`` next to each selected feature. Because pairs are scored jointly, a
  column that is informative only together with another (XOR-like) is found: under
  a test, when no column is significant alone, the first feature comes from the
  best *pair*, which costs one pass over every pair, ``O(n_samples n_features**2)``.

Neither mode keeps a copy of a selected column (the same partition of the rows)
while anything else is left.
"""

import numpy as np
from scipy.special import chdtrc

from skprune.feature_pruning._criteria import g_statistic, g_test
from skprune.feature_pruning._sparse import score_tables
from skprune.utils._progress import QUIET

_CHUNK = 1 << 23  # level codes indexed at once (64 MiB of int64)
# with a count asked for, a candidate restating more than this share of a
# selected column must add significant information about y to be chosen
_NEAR_COPY = 0.5


class PairScores:
    """Gains between discrete columns and the target, many columns at a time.

    ``codes`` (n_features, n_samples) are the columns' level codes, ``tables`` the
    columns' contingency tables against the target codes ``y``. Every method that
    scores a set of candidates builds their tables in one ``bincount`` and scores
    them in one compiled pass (:func:`score_tables`), so a greedy step costs a few
    vectorised passes over the data, not one Python call per pair.
    """

    def __init__(self, codes, n_levels, tables, y, weights, criterion, moments=None):
        self.codes, self.n_levels, self.tables = codes, n_levels, tables
        self.y, self.weights, self.criterion = y, weights, criterion
        self.moments = moments  # (bin means, total SS) of a regression target
        self.n_classes = tables[0].shape[1]

    def _gains(self, tables, criterion):
        return score_tables(tables, criterion, self.moments)[0]

    def crossed(self, candidates, by, n_by):
        """Tables (candidates, levels, ``n_by``) of each candidate's levels against
        the codes ``by`` (zero rows pad columns with fewer levels)."""
        candidates = np.asarray(candidates, dtype=np.intp)
        width = int(self.n_levels[candidates].max())
        out = np.empty((len(candidates), width * n_by))
        step = max(1, _CHUNK // max(len(by), 1))
        for lo in range(0, len(candidates), step):
            part = candidates[lo : lo + step]
            index = self.codes[part].astype(np.int64) * n_by + by
            index += (np.arange(len(part)) * (width * n_by))[:, None]
            weights = None if self.weights is None else np.tile(self.weights, len(part))
            out[lo : lo + len(part)] = np.bincount(
                index.ravel(), weights=weights, minlength=len(part) * width * n_by
            ).reshape(len(part), -1)
        return out.reshape(len(candidates), width, n_by)

    def redundancy(self, s, candidates):
        """Share of the selected column ``s`` that each candidate tells, in [0, 1]:
        the candidate's adjusted gain about ``s`` over ``s``'s own (1 for a copy),
        and which candidates are copies of ``s`` (their levels map one-to-one).
        Between columns the gain is Gini's for ``criterion="gini"``, else the
        information gain."""
        criterion = "gini" if self.criterion == "gini" else "entropy"
        tables = self.crossed(np.append(candidates, s), self.codes[s], self.n_levels[s])
        gains = self._gains(tables, criterion)
        own = gains[-1]
        share = np.clip(gains[:-1] / own, 0.0, 1.0) if own > 0 else 0.0 * gains[:-1]
        return share, _copies(tables[:-1])

    def _joint(self, s, candidates):
        """Tables (candidates, levels of ``candidate x s``, classes) against ``y``."""
        by = self.codes[s].astype(np.int64) * self.n_classes + self.y
        tables = self.crossed(candidates, by, self.n_levels[s] * self.n_classes)
        return tables.reshape(len(tables), -1, self.n_classes)

    def joint_gains(self, s, candidates):
        """Adjusted gain of each pair ``(candidate, s)`` about ``y``, and which
        candidates are copies of ``s``."""
        tables = self._joint(s, candidates)
        gains = self._gains(tables, self.criterion)
        shape = (len(tables), -1, self.n_levels[s], self.n_classes)
        return gains, _copies(tables.reshape(shape).sum(axis=3))

    def joint_test(self, f, g):
        """(Williams-corrected G, dof, raw G) of the pair ``(f, g)`` about ``y``."""
        table = self._joint(g, [f])[0]
        statistic, dof, _ = g_test(table)
        return statistic, dof, g_statistic(table)[0]

    def conditional_test(self, f, given):
        """Mean over ``given`` of the G-test that ``f`` adds information about ``y``.

        ``G((f, s); y) - G(s; y) = 2 n I(f; y | s)`` is the conditional G statistic,
        with the difference of the degrees of freedom. Returns its p-value.
        """
        stats, dofs = [], []
        for s in given:
            _, dof, raw = self.joint_test(f, s)
            alone, alone_dof = g_statistic(self.tables[s])
            stats.append(raw - alone)
            dofs.append(dof - alone_dof)
        return chdtrc(max(np.mean(dofs), 1.0), max(np.mean(stats), 0.0))


def _copies(tables):
    """Whether each (levels x levels) table pairs its row and column levels one to
    one: the two columns are the same partition of the rows (a copy, as binned)."""
    nonzero = tables > 0
    return (nonzero.sum(axis=1) <= 1).all(axis=1) & (nonzero.sum(axis=2) <= 1).all(
        axis=1
    )


def mrmr_order(pairs, relevance, candidates, limit, alpha, drop, bar=QUIET):
    """Greedy mRMR over ``candidates``: the selected indices in order, and for
    every column the selected column it is most redundant with (-1: none).

    The next column maximises ``relevance * (1 - redundancy)``, where redundancy
    is the largest share of a selected column that the candidate tells
    (:meth:`PairScores.redundancy`): the part of its relevance that is new. Both
    factors are on a fixed scale, so a criterion's relevance in bits, Gini units
    or shares of variance never has to be weighed against information between
    columns (the difference form ``relevance - mean redundancy`` picks noise
    whenever columns tell more about each other than about ``y``). Columns without
    positive relevance come last, in the order of their scores.

    A copy of a selected column (the same partition of the rows) is set aside.
    Under a test (``drop=True``, ``threshold="auto"``) so is a candidate that
    adds no significant information about ``y`` next to its most redundant
    selected column (conditional G-test at level ``alpha`` over the number of
    candidates), and what is set aside is dropped. With a count asked for, the
    test sets aside only near-copies: candidates that restate most (over half)
    of a selected column, whose share of it stays below 1 only by the rows
    binned on other sides of an edge; what is set aside comes back last, only
    if ``limit`` is not reached otherwise (near-copies first, then copies).
    """
    remaining = np.asarray(candidates, dtype=np.intp)
    selected, deferred, copied = [], [], []
    worst = np.zeros(len(relevance))
    nearest = np.full(len(relevance), -1)
    copy = np.zeros(len(relevance), dtype=bool)
    level = alpha / max(len(remaining), 1)
    while len(remaining) and len(selected) < limit:
        merit = relevance[remaining]
        merit = np.where(merit > 0, merit * (1.0 - worst[remaining]), merit)
        best = int(np.argmax(np.where(copy[remaining], -np.inf, merit)))
        chosen = int(remaining[best])
        remaining = np.delete(remaining, best)
        if copy[chosen]:
            copied.append(chosen)
            continue
        tested = nearest[chosen] >= 0 and (drop or worst[chosen] > _NEAR_COPY)
        if tested and pairs.conditional_test(chosen, [nearest[chosen]]) > level:
            deferred.append(chosen)
            continue
        selected.append(chosen)
        bar.update()
        if len(remaining):
            share, copies = pairs.redundancy(chosen, remaining)
            closer = share > worst[remaining]
            worst[remaining[closer]] = share[closer]
            nearest[remaining[closer]] = chosen
            copy[remaining[copies]] = True
    if not drop:  # near-copies before exact copies
        selected += (deferred + copied)[: limit - len(selected)]
    return selected, nearest


def _best_pair(pairs, remaining, alpha):
    """The best pair of columns about ``y``, or None if its joint test fails at
    ``alpha`` over the number of pairs. One batched pass per column."""
    best, best_gain = None, -np.inf
    for i, f in enumerate(remaining[:-1]):
        gains = pairs.joint_gains(f, remaining[i + 1 :])[0]
        j = int(np.argmax(gains))
        if gains[j] > best_gain:
            best, best_gain = (int(f), int(remaining[i + 1 + j])), gains[j]
    statistic, dof, _ = pairs.joint_test(*best)
    n_pairs = len(remaining) * (len(remaining) - 1) / 2
    if not best_gain > 0 or chdtrc(dof, statistic) > alpha / n_pairs:
        return None
    return best


def jmi_order(pairs, relevance, candidates, limit, alpha, seed=None, bar=QUIET):
    """Greedy JMI over ``candidates``; returns the selected indices in order.

    The first column is ``seed`` when given; otherwise (under a test, when no
    column is significant alone) the better column of the best *pair*, so columns
    informative only together are found; without a test, the most relevant one.
    With ``alpha``, each new column must pass the conditional G-test, on average
    over the selected columns, at level ``alpha`` over the number of candidates,
    and selection stops when the best mean added gain is not positive. With
    ``alpha=None`` selection goes on to ``limit`` columns. A copy of a selected
    column (the same partition of the rows) is never chosen beside it while
    anything else is left. Each step scores every candidate against the column
    chosen last, in one batched pass: ``O(n p k)`` in all.
    """
    remaining = np.asarray(candidates, dtype=np.intp)
    if not len(remaining):
        return []
    if seed is None and alpha is not None:
        if len(remaining) < 2:
            return [int(f) for f in remaining if relevance[f] > 0][:limit]
        pair = _best_pair(pairs, remaining, alpha)
        if pair is None:
            return []
        seed = max(pair, key=lambda f: relevance[f])
    if seed is None:
        seed = remaining[np.argmax(relevance[remaining])]
    selected = [int(seed)]
    remaining = remaining[remaining != seed]
    bar.update()
    total = np.zeros(len(relevance))
    copy = np.zeros(len(relevance), dtype=bool)
    while len(remaining) and len(selected) < limit:
        last = selected[-1]
        gains, copies = pairs.joint_gains(last, remaining)
        total[remaining] += gains - relevance[last]
        copy[remaining[copies]] = True
        merit = np.where(copy[remaining], -np.inf, total[remaining] / len(selected))
        best = int(np.argmax(merit))
        if merit[best] == -np.inf:  # only copies are left
            break
        if alpha is not None:
            if not merit[best] > 0:
                break
            pvalue = pairs.conditional_test(remaining[best], selected)
            if pvalue > alpha / len(candidates):
                break
        selected.append(int(remaining[best]))
        remaining = np.delete(remaining, best)
        bar.update()
    if alpha is None and len(selected) < limit:
        selected += [int(f) for f in remaining][: limit - len(selected)]
    return selected
