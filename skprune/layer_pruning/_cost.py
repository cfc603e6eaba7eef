"""What a module costs: parameters, and multiply-accumulates per sample (FLOPs).

:class:`Budget` turns ``max_parameters`` / ``max_flops`` into a stopping rule and
a choice: the unit of least importance per unit of cost its removal saves.

FLOPs are counted on one forward pass of a calibration row, from the layers that
do the work: ``Linear`` (``in * out``) and convolutions (``out elements * in /
groups * kernel``); normalisation, activation and pooling are ignored (they are a
few percent of those in the nets LayerPruner prunes).
"""

import copy
import math
import numbers

import torch
from torch import nn

from skprune.layer_pruning._hooks import run_hooked
from skprune.layer_pruning._splice import remove_unit


def n_parameters(module):
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


def n_flops(module, example):
    """Multiply-accumulates of ``module`` on one row of ``example``.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skprune.layer_pruning._cost import n_flops
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(),
    ...                     nn.Linear(4 * 8 * 8, 10))
    >>> n_flops(net, torch.zeros(2, 1, 8, 8))  # 4*64*9 + 256*10
    4864
    """
    total = 0

    def count(layer, inputs, output):
        nonlocal total
        if isinstance(layer, nn.Linear):
            rows = output.numel() // output.shape[-1] // len(output)
            total += rows * layer.in_features * layer.out_features
        else:
            per_output = (
                layer.in_channels // layer.groups * math.prod(layer.kernel_size)
            )
            total += output[0].numel() * per_output

    hooked = [
        (sub, count)
        for sub in module.modules()
        if isinstance(sub, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))
    ]
    with torch.no_grad():
        run_hooked(module, example[:1], hooked)
    return int(total)


def cost(module, example, kind):
    """The module's ``"parameters"`` or ``"flops"`` (per row)."""
    return n_parameters(module) if kind == "parameters" else n_flops(module, example)


def unit_savings(module, units, calibration, kind):
    """``{unit name: cost saved by removing it}`` (a bridge's new layer counted)."""
    before = cost(module, calibration, kind)
    savings = {}
    for unit in units:
        pruned = copy.deepcopy(module)
        remove_unit(pruned, unit, calibration)
        savings[unit.name] = before - cost(pruned, calibration, kind)
    return savings


def units_to_remove(n_layers, units, tolerance, exact=True):
    """How many of ``units`` a count target ``n_layers`` (int, or a fraction of
    the units, at least one) removes; more than there are is an error unless a
    ``tolerance`` makes the count an upper bound. ``exact=False``: the units
    are found anew after each removal (groups of channels), so any count
    goes."""
    if isinstance(n_layers, numbers.Integral):
        wanted = n_layers
    else:
        wanted = max(1, int(n_layers * len(units)))
    if not exact:
        return wanted
    if wanted > len(units) and tolerance is None:
        found = ", ".join(f"{u.name} ({u.kind})" for u in units) or "none"
        raise ValueError(
            f"n_layers={n_layers} asks for {wanted} units but the net has "
            f"{len(units)} prunable units: {found}."
        )
    return min(wanted, len(units))


class Budget:
    """The most ``kind`` (``"parameters"`` or ``"flops"``) the pruned net may have."""

    def __init__(self, kind, most, calibration):
        self.kind, self.most, self.calibration = kind, most, calibration

    @classmethod
    def from_targets(cls, max_parameters, max_flops, module, calibration):
        """The budget the pruner's parameters ask for, or None (a count)."""
        for kind, value in (("parameters", max_parameters), ("flops", max_flops)):
            if value is not None:
                if isinstance(value, float):  # a fraction of the unpruned net's
                    value = value * cost(module, calibration, kind)
                return cls(kind, value, calibration)
        return None

    def met(self, module):
        return cost(module, self.calibration, self.kind) <= self.most

    def choose(self, module, units, importances, clip=False):
        """The unit of least importance per cost saved, among those saving any.

        ``clip``: a saving counts only up to what the budget still asks for (a
        unit that overshoots it buys nothing with the excess), so that near
        the budget a small unit is not passed over for a large one."""
        savings = unit_savings(module, units, self.calibration, self.kind)
        useful = [u for u in units if savings[u.name] > 0]
        if not useful:
            return None
        if clip:
            wanted = max(cost(module, self.calibration, self.kind) - self.most, 1)
            savings = {name: min(saved, wanted) for name, saved in savings.items()}
        return min(useful, key=lambda u: importances[u.name] / savings[u.name])

    def shortfall(self, module):
        """Why the pruned ``module`` is over budget, or None."""
        if self.met(module):
            return None
        have = cost(module, self.calibration, self.kind)
        return (
            f"The pruned net has {have:,} {self.kind}, over the budget of "
            f"{int(self.most):,}: no unit left whose removal saves {self.kind}"
        )
