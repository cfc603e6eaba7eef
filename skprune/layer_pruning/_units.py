"""Finding the prunable units of a torch module.

One forward pass on a calibration batch, with a forward hook on every submodule,
records which modules run, in what order, and the shapes they read and write.
From that record:

- an **identity unit** is the outermost module that holds parameters, runs once,
  and returns a tensor of the shape it reads (a residual block, a square layer, an
  entry of a ``ModuleList``): it is removed exactly by replacing it with identity.
  A residual block counts once, not again with the layers inside it; containers
  (``nn.Sequential``, ``nn.ModuleList``) are looked into, never units themselves;
- a **bridge unit** is what users call a layer: a weight layer (``Linear``,
  ``Conv1d/2d/3d``) of an ``nn.Sequential`` together with the norm, activation
  and dropout modules that follow it up to the next weight layer of the same
  kind. It is removed with all of them (no orphans) by fitting one affine map,
  or one convolution, from its input to the next layer's output, which replaces
  the pair (``Linear(120, 84) -> ReLU -> Linear(84, 10)`` becomes
  ``Linear(120, 10)``; two convolutions become one, with the second's kernel;
  ``Conv(32, 64) -> ReLU -> Flatten -> Linear(64 * 64, 10)`` becomes
  ``Flatten -> Linear(32 * 64, 10)``).

A norm layer is never a unit on its own (it saves nothing; fold BatchNorm into its
weight layer first, see :mod:`._folding`). The first and the last layer with
parameters are never removed.
"""

import fnmatch
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from skprune.layer_pruning._hooks import run_hooked

_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


@dataclass
class Unit:
    """A removable part of a module: its name, kind, and the modules it spans."""

    name: str
    kind: str  # "identity", "bridge" or "width"
    n_parameters: int
    replaced: list = field(default_factory=list)  # bridge: modules set to identity
    target: str = ""  # bridge: the Linear layer folded into
    space: object = None  # width: the channel space (see ._width.Space)
    channels: tuple = ()  # width: the channels removed, indices into the space
    estimate: float = 0.0  # width: the channels' summed scores
    share: float = 0.0  # width: their share of the space's summed scores


def _n_parameters(module):
    return sum(p.numel() for p in module.parameters())


def _first_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if (
        isinstance(value, (tuple, list))
        and value
        and isinstance(value[0], torch.Tensor)
    ):
        return value[0]
    return None


def trace(module, example):
    """Run ``module`` on ``example``; returns {name: (calls, in shape, out shape)}
    and the names of the leaf modules with parameters in the order they ran."""
    record, order = {}, []

    def hook(name):
        def record_call(mod, inputs, output):
            x, y = _first_tensor(inputs), _first_tensor(output)
            calls = record.get(name, (0, None, None))[0] + 1
            shapes = (
                None if x is None else tuple(x.shape[1:]),
                None if y is None else tuple(y.shape[1:]),
            )
            record[name] = (calls, *shapes)
            if not list(mod.children()) and _n_parameters(mod) and name not in order:
                order.append(name)

        return record_call

    run_hooked(
        module,
        example,
        [(sub, hook(name)) for name, sub in module.named_modules() if name],
    )
    return record, order


def _contains(name, inner):
    return inner == name or inner.startswith(name + ".")


def find_units(module, example, patterns=None, bridges=True):
    """The prunable units of ``module``, in the order they run on ``example``.

    ``patterns`` (names or glob patterns) restricts the candidates. A ``Linear``
    of an ``nn.Sequential`` followed by another ``Linear`` is a bridge unit even
    when it is square (the least-squares bridge is the best affine stand-in, of
    which identity is one); with ``bridges=False`` square layers are identity
    units and shape-changing ones are not units.
    """
    record, order = trace(module, example)
    protected = {order[0], order[-1]} if order else set()
    units = []

    def visit(name, sub):
        calls, shape_in, shape_out = record.get(name, (0, None, None))
        holds_protected = any(_contains(name, p) for p in protected)
        if (
            name
            and not isinstance(sub, _CONTAINERS)
            and calls == 1
            and shape_in is not None
            and shape_in == shape_out
            and _n_parameters(sub)
            and not holds_protected
            and not isinstance(sub, _NORMS)
        ):
            units.append(Unit(name, "identity", _n_parameters(sub)))
            return
        if bridges and isinstance(sub, nn.Sequential) and (calls == 1 or not name):
            units.extend(_bridges(name, sub, record, protected))
        for child_name, child in sub.named_children():
            visit(f"{name}.{child_name}" if name else child_name, child)

    visit("", module)
    seen, unique = set(), []
    for unit in units:  # a bridge layer may also be found as a child: keep once
        if unit.name not in seen:
            seen.add(unit.name)
            unique.append(unit)
    rank = {name: i for i, name in enumerate(record)}
    unique.sort(key=lambda unit: rank.get(unit.name, len(rank)))
    if patterns is not None:
        unique = [
            u for u in unique if any(fnmatch.fnmatch(u.name, p) for p in patterns)
        ]
    return unique


def _bridgeable(layer, target):
    """Whether ``layer`` and the next weight layer ``target`` can be spliced."""
    if isinstance(layer, nn.Linear):
        return isinstance(target, nn.Linear)
    if not isinstance(layer, (nn.Conv1d, nn.Conv2d)) or type(target) is not type(layer):
        return False
    return all(conv_padding(c) is not None for c in (layer, target))


def conv_padding(conv):
    """The zero padding of a stride-1, undilated, ungrouped conv, or None."""
    plain = (
        all(s == 1 for s in conv.stride)
        and all(d == 1 for d in conv.dilation)
        and conv.groups == 1
        and conv.padding_mode == "zeros"
    )
    if not plain:
        return None
    if conv.padding == "valid":
        return (0,) * len(conv.kernel_size)
    if conv.padding == "same":
        if any(k % 2 == 0 for k in conv.kernel_size):
            return None
        return tuple((k - 1) // 2 for k in conv.kernel_size)
    return tuple(conv.padding)


def _flattens(module):
    """Whether ``module`` flattens every dimension after the batch one."""
    flat = (getattr(module, "start_dim", None), getattr(module, "end_dim", None))
    return isinstance(module, nn.Flatten) and flat == (1, -1)


def _head_shrinks(layer, between, head, shape_in):
    """Whether refitting the Linear ``head`` on the flattened input of the conv
    ``layer`` saves parameters (not after a strided conv that shrank the image
    more than it added channels: the head would grow)."""
    if not isinstance(head, nn.Linear) or shape_in is None:
        return False
    new_in = math.prod(shape_in)
    removed = _n_parameters(layer) + sum(_n_parameters(m) for _, m in between)
    return (new_in - head.in_features) * head.out_features < removed


def _bridges(prefix, sequential, record, protected):
    """Weight layers of ``sequential`` with their followers, up to the next one.

    The last convolution before a ``Flatten`` and a ``Linear`` head is a unit
    too: the head is refitted on the flattened input of the removed convolution
    (the ``Flatten`` stays), so a head over many channels gets smaller."""
    children = list(sequential.named_children())
    full = [(f"{prefix}.{n}" if prefix else n, m) for n, m in children]
    for i, (name, layer) in enumerate(full):
        if not isinstance(layer, (nn.Linear, *_CONVS)) or name in protected:
            continue
        if record.get(name, (0,))[0] != 1:
            continue
        between, flattened = [], False
        for next_name, nxt in full[i + 1 :]:
            if isinstance(nxt, (nn.Linear, *_CONVS)):
                if (
                    _head_shrinks(layer, between, nxt, record[name][1])
                    if flattened
                    else _bridgeable(layer, nxt)
                ):
                    yield Unit(
                        name,
                        "bridge",
                        _n_parameters(layer)
                        + sum(_n_parameters(m) for _, m in between),
                        [name, *(n for n, _ in between)],
                        next_name,
                    )
                break
            calls, shape_in, shape_out = record.get(next_name, (0, None, None))
            if isinstance(layer, _CONVS) and not flattened and _flattens(nxt):
                if calls != 1:
                    break
                flattened = True
                continue
            follower = calls == 1 and shape_in == shape_out
            if not follower or (_n_parameters(nxt) and not isinstance(nxt, _NORMS)):
                break
            if not flattened:  # after the Flatten, modules belong to the head
                between.append((next_name, nxt))
