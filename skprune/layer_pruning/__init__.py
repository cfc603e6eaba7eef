"""Layer pruning: remove the least important layers of skorch nets.

Needs the ``torch`` extra (``pip install "skprune[torch]"``).
"""

from skprune.layer_pruning._pruner import LayerPruner
from skprune.layer_pruning._units import Unit, find_units

__all__ = ["LayerPruner", "Unit", "find_units"]
