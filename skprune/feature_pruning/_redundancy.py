"""Greedy selection that looks at features together: mRMR and JMI.

Both pick one feature at a time and record the order. Every quantity is the same
bias-adjusted gain as the univariate score (:func:`adjusted_gain`), applied to
pairs of discrete variables, so the two criteria (entropy, Gini) carry over and
nothing is divided by a quantity that can be zero (the ``0/0`` that makes some
mRMR implementations rank constant noise columns first cannot happen here).

- **mRMR** (Peng et al. 2005, difference form): the next feature maximises
  ``relevance(f) - mean_{s in S} gain(s -> f)``, relevance minus its mean redundancy
  with what is already selected. It is skipped if it adds no significant
  information about ``y`` given its most redundant selected column (a conditional
  G-test), as a copy of a selected column does.
- **JMI** (Yang & Moody 1999; Brown et al. 2012): the next feature maximises
  ``mean_{s in S} [gain((f, s) -> y) - gain(s -> y)]``, the information ``f`` adds
  about ``y`` next to each selected feature. Because pairs are scored jointly, a
  column that is informative only together with another (XOR-like) is found: the
  first feature is the one in the best *pair*, which costs one pass over every pair
  of columns, ``O(n_samples n_features**2)``.
"""

import numpy as np
from scipy.special import chdtrc

from skprune.feature_pruning._criteria import adjusted_gain, g_statistic, g_test
from skprune.utils._progress import QUIET


def _pair_table(codes, n_levels, f, g, weights):
    """Contingency table of column ``f`` (rows) against column ``g`` (columns)."""
    flat = np.bincount(
        codes[f].astype(np.int64) * n_levels[g] + codes[g],
        weights=weights,
        minlength=n_levels[f] * n_levels[g],
    )
    return flat.reshape(n_levels[f], n_levels[g])


class PairScores:
    """Gains between pairs of discrete columns and the target, computed once each.

    ``codes`` (n_features, n_samples) are the columns' level codes, ``tables`` the
    columns' contingency tables against the target codes ``y``.
    """

    def __init__(self, codes, n_levels, tables, y, weights, criterion):
        self.codes, self.n_levels, self.tables = codes, n_levels, tables
        self.y, self.weights, self.criterion = y, weights, criterion
        self._joint, self._marginal = {}, {}

    def redundancy(self, s, f):
        """Adjusted gain of the selected column ``s`` about the candidate ``f``."""
        table = _pair_table(self.codes, self.n_levels, s, f, self.weights)
        return adjusted_gain(table, self.criterion)

    def joint(self, f, g):
        """(adjusted gain, Williams-corrected G, dof, raw G) of the pair about ``y``."""
        key = (min(f, g), max(f, g))
        if key not in self._joint:
            f, g = key
            pair = self.codes[f].astype(np.int64) * self.n_levels[g] + self.codes[g]
            n_classes = self.tables[0].shape[1]
            flat = np.bincount(
                pair * n_classes + self.y,
                weights=self.weights,
                minlength=self.n_levels[f] * self.n_levels[g] * n_classes,
            )
            table = flat.reshape(-1, n_classes)
            statistic, dof, _ = g_test(table)
            raw, _ = g_statistic(table)
            gain = adjusted_gain(table, self.criterion)
            self._joint[key] = (gain, statistic, dof, raw)
        return self._joint[key]

    def marginal(self, f):
        """(raw G statistic, dof) of column ``f`` alone about ``y``."""
        if f not in self._marginal:
            self._marginal[f] = g_statistic(self.tables[f])
        return self._marginal[f]

    def conditional_test(self, f, given):
        """Mean over ``given`` of the G-test that ``f`` adds information about ``y``.

        ``G((f, s); y) - G(s; y) = 2 n I(f; y | s)`` is the conditional G statistic,
        with the difference of the degrees of freedom. Returns its p-value.
        """
        stats = [self.joint(f, s)[3] - self.marginal(s)[0] for s in given]
        dofs = [self.joint(f, s)[2] - self.marginal(s)[1] for s in given]
        return chdtrc(max(np.mean(dofs), 1.0), max(np.mean(stats), 0.0))


def mrmr_order(pairs, relevance, candidates, limit, alpha, bar=QUIET):
    """Greedy mRMR over ``candidates``; returns the selected indices in order.

    A candidate that adds no significant information about ``y`` next to its most
    redundant selected column (conditional G-test at level ``alpha`` over the
    number of candidates; a copy adds exactly none) is redundant. With ``alpha``
    it is dropped; with ``alpha=None`` (a count was asked for, not a test) it is
    only put back, behind every candidate that is not redundant, so ``limit``
    columns are returned whenever there are that many candidates.
    """
    remaining = list(candidates)
    selected, deferred = [], []
    total = np.zeros(len(relevance))
    nearest = {}
    level = (0.05 if alpha is None else alpha) / max(len(candidates), 1)
    while remaining and len(selected) < limit:
        merit = relevance[remaining]
        if selected:
            merit = merit - total[remaining] / len(selected)
        chosen = remaining.pop(int(np.argmax(merit)))
        if selected:
            pvalue = pairs.conditional_test(chosen, [nearest[chosen][1]])
            if pvalue > level:
                deferred.append(chosen)
                continue
        selected.append(chosen)
        bar.update()
        for g in remaining:
            redundancy = pairs.redundancy(chosen, g)
            total[g] += redundancy
            if g not in nearest or redundancy > nearest[g][0]:
                nearest[g] = (redundancy, chosen)
    if alpha is None:
        selected += deferred[: limit - len(selected)]
    return selected


def _best_pair(pairs, remaining, alpha):
    """The column of the best pair that tells more alone, or None if the pair's
    joint test fails at ``alpha`` over the number of pairs."""
    best_pair = max(
        ((f, g) for i, f in enumerate(remaining) for g in remaining[i + 1 :]),
        key=lambda pair: pairs.joint(*pair)[0],
    )
    pair_gain, pair_statistic, pair_dof, _ = pairs.joint(*best_pair)
    n_pairs = len(remaining) * (len(remaining) - 1) / 2
    if not pair_gain > 0 or chdtrc(pair_dof, pair_statistic) > alpha / n_pairs:
        return None
    return best_pair


def jmi_order(pairs, relevance, candidates, limit, alpha, seed=None, bar=QUIET):
    """Greedy JMI over ``candidates``; returns the selected indices in order.

    The first column is ``seed`` when given; otherwise (under a test, when no
    column is significant alone) the better column of the best *pair*, so columns
    informative only together are found; without a test, the most relevant one.
    With ``alpha``, each new column must pass the conditional G-test, on average
    over the selected columns, at level ``alpha`` over the number of candidates,
    and selection stops when the best mean added gain is not positive. With
    ``alpha=None`` selection goes on to ``limit`` columns. Each step costs one
    joint table per (candidate, selected) pair: ``O(n p k)`` in all.
    """
    remaining = list(candidates)
    if not remaining:
        return []
    if seed is None and alpha is not None:
        if len(remaining) < 2:
            return [f for f in remaining if relevance[f] > 0][:limit]
        pair = _best_pair(pairs, remaining, alpha)
        if pair is None:
            return []
        seed = max(pair, key=lambda f: relevance[f])
    if seed is None:
        seed = max(remaining, key=lambda f: relevance[f])
    selected = [seed]
    remaining.remove(seed)
    bar.update()
    while remaining and len(selected) < limit:
        gains = [
            np.mean([pairs.joint(f, s)[0] - relevance[s] for s in selected])
            for f in remaining
        ]
        best = int(np.argmax(gains))
        if alpha is not None:
            if not gains[best] > 0:
                break
            pvalue = pairs.conditional_test(remaining[best], selected)
            if pvalue > alpha / len(candidates):
                break
        selected.append(remaining.pop(best))
        bar.update()
    return selected
