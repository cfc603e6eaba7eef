"""Layer pruning: remove the least important layers or channels of skorch nets.

Needs the ``torch`` extra (``pip install "skprune[torch]"``).
"""

from skprune.layer_pruning._cost import n_flops, n_parameters
from skprune.layer_pruning._pruner import LayerPruner
from skprune.layer_pruning._units import Unit, find_units
from skprune.layer_pruning._width import Space, channel_spaces

__all__ = [
    "LayerPruner",
    "Space",
    "Unit",
    "channel_spaces",
    "find_units",
    "n_flops",
    "n_parameters",
]
