"""Feature pruning: score table columns by information or Gini gain, drop the rest."""

from skprune.feature_pruning._criteria import (
    adjusted_gain,
    entropy,
    expected_gini_gain,
    expected_information_gain,
    g_test,
    gini_gain,
    gini_impurity,
    information_gain,
)
from skprune.feature_pruning._pruner import FeaturePruner

__all__ = [
    "FeaturePruner",
    "adjusted_gain",
    "entropy",
    "expected_gini_gain",
    "expected_information_gain",
    "g_test",
    "gini_gain",
    "gini_impurity",
    "information_gain",
]
