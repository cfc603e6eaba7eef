"""Greedy selection that looks at features together: mRMR and JMI.

Both pick one feature at a time and record the order. Every quantity is the same
bias-adjusted gain as the univariate score (:func:`adjusted_gain`), applied to
pairs of discrete variables, so the two criteria (entropy, Gini) carry over and
nothing is divided by a quantity that can be zero (the ``0/0`` that makes some
mRMR implementations rank constant noise columns first cannot happen here).

- **mRMR** (Peng et al. 2005, difference form): the next feature maximises
  ``relevance(f) - mean_{s in S} gain(s -> f)``, relevance minus its mean redundancy
  with what is already selected. Selection stops once that is not positive: the
  feature repeats what is known, as a copy of a selected column does.
- **JMI** (Yang & Moody 1999; Brown et al. 2012): the next feature maximises
  ``mean_{s in S} [gain((f, s) -> y) - gain(s -> y)]``, the information ``f`` adds
  about ``y`` next to each selected feature. Because pairs are scored jointly, a
  column that is informative only together with another (XOR-like) is found: the
  first feature is the one in the best *pair*, which costs one pass over every pair
  of columns, ``O(n_samples n_features**2)``.
"""

import numpy as np
from scipy.stats import chi2

from skprune.feature_pruning._criteria import adjusted_gain, g_test


def _pair_table(codes, n_levels, f, g, weights):
    """Contingency table of column ``f`` (rows) against column ``g`` (columns)."""
    flat = np.bincount(
        codes[f].astype(np.int64) * n_levels[g] + codes[g],
        weights=weights,
        minlength=n_levels[f] * n_levels[g],
    )
    return flat.reshape(n_levels[f], n_levels[g])


def _joint_table(codes, n_levels, f, g, y, n_classes, weights):
    """Contingency table of the pair ``(f, g)`` (rows) against the target."""
    joint = codes[f].astype(np.int64) * n_levels[g] + codes[g]
    flat = np.bincount(
        joint * n_classes + y,
        weights=weights,
        minlength=n_levels[f] * n_levels[g] * n_classes,
    )
    return flat.reshape(-1, n_classes)


def mrmr_order(codes, n_levels, relevance, candidates, criterion, weights, limit):
    """Greedy mRMR over ``candidates``; returns the selected indices in order."""
    remaining = list(candidates)
    selected = []
    redundancy = np.zeros(len(relevance))
    while remaining and len(selected) < limit:
        merit = relevance[remaining]
        if selected:
            merit = merit - redundancy[remaining] / len(selected)
        best = int(np.argmax(merit))
        if not merit[best] > 0:
            break
        chosen = remaining.pop(best)
        selected.append(chosen)
        for g in remaining:
            table = _pair_table(codes, n_levels, chosen, g, weights)
            redundancy[g] += adjusted_gain(table, criterion)
    return selected


class _JointScores:
    """Adjusted gains and G statistics of feature pairs about ``y``, cached."""

    def __init__(self, codes, n_levels, y, n_classes, weights, criterion):
        self.args = (codes, n_levels)
        self.target = (y, n_classes, weights)
        self.criterion = criterion
        self.cache = {}

    def __call__(self, f, g):
        key = (min(f, g), max(f, g))
        if key not in self.cache:
            y, n_classes, weights = self.target
            table = _joint_table(*self.args, key[0], key[1], y, n_classes, weights)
            statistic, dof, _ = g_test(table)
            self.cache[key] = (adjusted_gain(table, self.criterion), statistic, dof)
        return self.cache[key]


def jmi_order(
    codes, n_levels, tables, relevance, candidates, criterion, y, weights, limit, alpha
):
    """Greedy JMI over ``candidates``; returns the selected indices in order.

    ``alpha`` (or None) is the level of the conditional G-test that each new feature
    must pass: ``f`` is kept only while it adds significant information about ``y``
    given the selected features, on average over them.
    """
    n_classes = tables[0].shape[1]
    joint = _JointScores(codes, n_levels, y, n_classes, weights, criterion)
    remaining = list(candidates)
    if len(remaining) < 2:
        return [f for f in remaining if relevance[f] > 0][:limit]
    best_pair = max(
        ((f, g) for i, f in enumerate(remaining) for g in remaining[i + 1 :]),
        key=lambda pair: joint(*pair)[0],
    )
    pair_gain, pair_statistic, pair_dof = joint(*best_pair)
    n_pairs = len(remaining) * (len(remaining) - 1) / 2
    if not pair_gain > 0 or (
        alpha is not None and chi2.sf(pair_statistic, pair_dof) > alpha / n_pairs
    ):
        return []
    first = max(best_pair, key=lambda f: relevance[f])
    selected = [first]
    remaining.remove(first)
    marginal = {f: g_test(tables[f])[:2] for f in candidates}
    n_tests = len(candidates)
    while remaining and len(selected) < limit:
        alone = np.array([(relevance[s], *marginal[s]) for s in selected])
        added = np.array(
            [
                np.mean([joint(f, s) for s in selected] - alone, axis=0)
                for f in remaining
            ]
        )
        gains, statistics, dofs = added.T
        best = int(np.argmax(gains))
        if not gains[best] > 0:
            break
        if alpha is not None:
            pvalue = chi2.sf(max(statistics[best], 0.0), max(dofs[best], 1.0))
            if pvalue > alpha / n_tests:
                break
        selected.append(remaining.pop(best))
    return selected
