"""Weight pruning: zero the least important coefficients of linear models."""

from skprune.weight_pruning._cv import WeightPrunerCV
from skprune.weight_pruning._pruner import WeightPruner
from skprune.weight_pruning._saliency import (
    group_saliency,
    magnitude_saliency,
    obs_path,
    obs_saliency,
)
from skprune.weight_pruning._schedule import cubic_schedule

__all__ = [
    "WeightPruner",
    "WeightPrunerCV",
    "cubic_schedule",
    "group_saliency",
    "magnitude_saliency",
    "obs_path",
    "obs_saliency",
]
