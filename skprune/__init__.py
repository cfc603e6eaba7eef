"""skprune: make scikit-learn models smaller without making them worse.

Three families of pruning, each a scikit-learn estimator:

- :class:`FeaturePruner` drops the input columns that tell nothing about the target;
- :class:`WeightPruner` zeroes the least important weights of a linear model, and
  :class:`WeightPrunerCV` tunes its repair (and sparsity) by cross-validation;
- :class:`LayerPruner` removes the least important layers of a skorch net (needs the
  ``torch`` extra; imported only when first used).
"""

from skprune.feature_pruning import FeaturePruner
from skprune.weight_pruning import WeightPruner, WeightPrunerCV

__version__ = "0.1.0"

__all__ = [
    "FeaturePruner",
    "LayerPruner",
    "WeightPruner",
    "WeightPrunerCV",
    "__version__",
]


def __getattr__(name):
    if name == "LayerPruner":
        try:
            from skprune.layer_pruning import LayerPruner
        except ImportError as error:
            raise ImportError(
                'LayerPruner needs torch and skorch: pip install "skprune[torch]"'
            ) from error
        return LayerPruner
    raise AttributeError(f"module 'skprune' has no attribute {name!r}")
