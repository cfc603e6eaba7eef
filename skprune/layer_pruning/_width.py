"""Width: the neurons and channels of a module, and removing groups of them.

``torch.fx`` traces the module's ``forward`` (an ``nn.Sequential``, or a custom
module composing its submodules with functional calls) into a graph, and one
calibration row run through that graph gives every tensor's shape. Walking the
graph in order, each tensor is tagged with the *channel space* its channel axis
belongs to:

- a ``Linear`` (output features) or an ungrouped ``Conv1d/2d/3d`` (output
  channels) opens a space: it is the space's *producer*;
- elementwise activations, dropout, pooling, spatial means, ``BatchNorm``,
  ``LayerNorm`` over the channel axis alone and depthwise convolutions keep the
  space (the last three are sliced along; a sliced ``LayerNorm`` normalises
  the kept features only, which healing adjusts to);
- flattening (``nn.Flatten``, ``torch.flatten``, ``view``/``reshape`` to rows)
  keeps it, each channel becoming a block of consecutive features;
- adding or multiplying two tagged tensors joins their spaces: the channels of
  both branches of a residual add are removed together;
- a ``Linear`` or ungrouped convolution reading a tagged tensor is a *consumer*:
  its input columns (or channels) are sliced.

A space whose channels reach anything else - the net's output, a concatenation,
a grouped convolution, an op the walk does not know, a tensor it cannot see
(the net's input, a parameter) - is *frozen*: never pruned. Each space left is
checked by removing one of its channels from a copy of the module and running
it (a shape written into ``forward`` fails there and freezes the space). So a
removal is physical and exact: the consumers lose exactly the inputs whose
producers were removed, and the module keeps its class and its ``forward``.
"""

import copy
import math
import operator
from dataclasses import dataclass, field

import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from skprune.layer_pruning._hooks import evaluating

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
OUTPUT = "it is the net's output"  # why the output layer's space is frozen
_ELEMENTWISE_MODULES = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Softplus,
    nn.Identity,
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
)
_POOL_MODULES = (
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)
_F = nn.functional
_ELEMENTWISE_FUNCTIONS = {
    torch.relu,
    torch.sigmoid,
    torch.tanh,
    _F.relu,
    _F.relu6,
    _F.leaky_relu,
    _F.elu,
    _F.selu,
    _F.gelu,
    _F.silu,
    _F.mish,
    _F.sigmoid,
    _F.tanh,
    _F.hardtanh,
    _F.hardswish,
    _F.softplus,
    _F.dropout,
    _F.dropout1d,
    _F.dropout2d,
    _F.dropout3d,
    _F.alpha_dropout,
}
_ELEMENTWISE_METHODS = {"relu", "sigmoid", "tanh", "contiguous", "clone"}
_POOL_FUNCTIONS = {
    _F.max_pool1d,
    _F.max_pool2d,
    _F.max_pool3d,
    _F.avg_pool1d,
    _F.avg_pool2d,
    _F.avg_pool3d,
    _F.adaptive_avg_pool1d,
    _F.adaptive_avg_pool2d,
    _F.adaptive_avg_pool3d,
    _F.adaptive_max_pool1d,
    _F.adaptive_max_pool2d,
    _F.adaptive_max_pool3d,
}
_REDUCTIONS = {torch.mean, torch.sum, torch.amax, "mean", "sum", "amax"}
_FLATTENS = {torch.flatten, torch.reshape, "flatten", "view", "reshape"}
# what reading a tensor's size or type asks (its channels stay as they are)
_QUERIES = {"size", "dim", "numel", "shape", "dtype", "device"}
_JOINS = {
    operator.add,
    operator.iadd,
    operator.mul,
    operator.imul,
    operator.sub,
    torch.add,
    torch.mul,
    torch.sub,
    "add",
    "add_",
    "mul",
    "mul_",
    "sub",
}


@dataclass
class Space:
    """Channels that are removed together, and the layers each removal slices."""

    size: int
    producers: list = field(default_factory=list)  # output dim 0 sliced
    followers: list = field(default_factory=list)  # norms, depthwise conv
    consumers: dict = field(default_factory=dict)  # name: block of features
    frozen: str = ""  # why its channels are never removed

    @property
    def name(self):
        return "+".join(self.producers)


@dataclass(frozen=True)
class _Tag:
    space: int
    axis: int
    block: int = 1


def _shape(node):
    meta = node.meta.get("tensor_meta") if isinstance(node, torch.fx.Node) else None
    return tuple(meta.shape) if hasattr(meta, "shape") else None


def _is_depthwise(conv):
    return 1 < conv.groups == conv.in_channels == conv.out_channels


class _Walk:
    """Tags every tensor of a traced graph with its channel space."""

    def __init__(self, graph_module):
        self.modules = dict(graph_module.named_modules())
        self.parent, self.spaces, self.by_module = [], [], {}
        self.tags = {}

    # union-find over space ids
    def find(self, i):
        while self.parent[i] != i:
            self.parent[i] = i = self.parent[self.parent[i]]
        return i

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[b] = a
        return a

    def new_space(self, size):
        self.parent.append(len(self.parent))
        self.spaces.append({"size": size, "roles": [], "frozen": ""})
        return len(self.parent) - 1

    def freeze(self, tag, why):
        if tag is not None:
            space = self.spaces[self.find(tag.space)]
            space["frozen"] = space["frozen"] or why

    def role(self, tag, role, name, block=1):
        self.spaces[tag.space]["roles"].append((role, name, block))
        # one module sliced once: the spaces it sees are one space
        key = (role, name)
        if key in self.by_module:
            self.union(self.by_module[key], tag.space)
        self.by_module[key] = tag.space

    def producer(self, name, size, axis):
        key = ("producer", name)
        if key not in self.by_module:  # a layer called twice opens one space
            self.by_module[key] = self.new_space(size)
            self.spaces[self.by_module[key]]["roles"].append(("producer", name, 1))
        return _Tag(self.by_module[key], axis)

    def run(self, graph):
        for node in graph.nodes:
            self.tags[node] = self.visit(node)
        return self

    def tensor_args(self, node):
        """Every graph node ``node`` reads, in lists and tuples too."""
        found = []
        torch.fx.node.map_arg((node.args, node.kwargs), found.append)
        return found

    def freeze_inputs(self, node, why):
        for arg in self.tensor_args(node):
            self.freeze(self.tags.get(arg), why)

    def visit(self, node):
        if node.op in ("placeholder", "get_attr"):
            return None
        if node.op == "output":
            self.freeze_inputs(node, OUTPUT)
            return None
        if node.op == "call_module":
            return self.visit_module(node, self.modules[node.target])
        return self.visit_call(node)

    def visit_module(self, node, module):
        source = node.args[0] if node.args else None
        tag = self.tags.get(source)
        shape_in, shape_out = _shape(source), _shape(node)
        name = node.target
        if shape_in is None or shape_out is None:
            self.freeze_inputs(node, f"{name} ({type(module).__name__}) is not traced")
            return None
        if isinstance(module, nn.Linear):
            if tag is not None:
                if tag.axis == len(shape_in) - 1:
                    self.role(tag, "consumer", name, tag.block)
                else:
                    self.freeze(tag, f"{name} reads it along another axis")
            return self.producer(name, module.out_features, len(shape_out) - 1)
        if isinstance(module, _CONVS):
            if module.groups == 1:
                if tag is not None:
                    if tag.axis == 1 and tag.block == 1:
                        self.role(tag, "consumer", name)
                    else:
                        self.freeze(tag, f"{name} reads it along another axis")
                return self.producer(name, module.out_channels, 1)
            if _is_depthwise(module) and tag is not None and tag.axis == 1:
                self.role(tag, "follower", name)
                return tag
            self.freeze(tag, f"{name} is a grouped convolution")
            return None
        if isinstance(module, _BATCH_NORMS):
            if tag is not None and tag.axis == 1 and tag.block == 1:
                self.role(tag, "follower", name)
                return tag
            self.freeze(tag, f"{name} normalises it along another axis")
            return None
        if isinstance(module, nn.LayerNorm):
            last = len(shape_in) - 1
            on_features = tag is not None and (tag.axis, tag.block) == (last, 1)
            if on_features and len(module.normalized_shape) == 1:
                self.role(tag, "follower", name)
                return tag
            self.freeze(tag, f"{name} (LayerNorm) normalises it with other axes")
            return None
        if isinstance(module, _ELEMENTWISE_MODULES) and shape_in == shape_out:
            return tag
        if isinstance(module, _POOL_MODULES):
            return self.pooled(tag, shape_in, shape_out, name)
        if isinstance(module, nn.Flatten):
            return self.flattened(tag, shape_in, shape_out, name)
        self.freeze_inputs(node, f"{name} ({type(module).__name__}) reads it")
        return None

    def pooled(self, tag, shape_in, shape_out, name):
        if tag is None:
            return None
        if (
            tag.axis == 1
            and tag.block == 1
            and len(shape_in) == len(shape_out)
            and shape_in[:2] == shape_out[:2]
        ):
            return tag
        self.freeze(tag, f"{name} mixes its channels")
        return None

    def flattened(self, tag, shape_in, shape_out, name):
        if tag is None or shape_in == shape_out:
            return tag
        if (
            tag.axis == 1
            and len(shape_out) == 2
            and shape_out[0] == shape_in[0]
            and shape_out[1] == math.prod(shape_in[1:])
        ):
            return _Tag(tag.space, 1, tag.block * math.prod(shape_in[2:]))
        self.freeze(tag, f"{name} reshapes it")
        return None

    def visit_call(self, node):
        target = node.target
        shape_out = _shape(node)
        args = self.tensor_args(node)
        tags = [self.tags.get(a) for a in args]
        if shape_out is None:  # not one tensor: a size, or a tuple of tensors
            asked = node.args[1] if target is getattr else target
            if asked not in _QUERIES:
                self.freeze_inputs(node, f"{_label(node)} reads it")
            return None
        source = node.args[0] if node.args else None
        tag, shape_in = self.tags.get(source), _shape(source)
        if target in _JOINS:
            return self.joined(node, args, tags, shape_out)
        if all(t is None for t in tags):
            return None
        if (
            target in _ELEMENTWISE_FUNCTIONS or target in _ELEMENTWISE_METHODS
        ) and shape_in == shape_out:
            if any(t is not None for t in tags[1:]):
                self.freeze_inputs(node, f"{_label(node)} mixes tensors")
                return None
            return tag
        if target in _POOL_FUNCTIONS and shape_in is not None:
            return self.pooled(tag, shape_in, shape_out, _label(node))
        if target in _FLATTENS and shape_in is not None:
            return self.flattened(tag, shape_in, shape_out, _label(node))
        if target in _REDUCTIONS and shape_in is not None and tag is not None:
            if tag.axis == 1 and tag.block == 1 and shape_out[:2] == shape_in[:2]:
                return tag
        self.freeze_inputs(node, f"{_label(node)} reads it")
        return None

    def joined(self, node, args, tags, shape_out):
        """A sum or product of tensors: the tagged operands' spaces are one."""
        tagged = [(a, t) for a, t in zip(args, tags, strict=True) if t is not None]
        if not tagged:
            return None
        layouts = {(len(_shape(a) or ()), t.axis, t.block) for a, t in tagged}
        out_layout = {(len(shape_out), t.axis) for _, t in tagged}
        if len(layouts) > 1 or len(out_layout) > 1:
            for _, t in tagged:
                self.freeze(t, f"{_label(node)} joins it with another layout")
            return None
        axis = tagged[0][1].axis
        for a, t in zip(args, tags, strict=True):
            shape = _shape(a)
            if t is None and shape is not None and len(shape) == len(shape_out):
                if shape[axis] != 1:  # a tensor with channels the walk cannot see
                    for _, other in tagged:
                        self.freeze(other, f"{_label(node)} adds an untraced tensor")
                    return None
        space = tagged[0][1].space
        for _, t in tagged[1:]:
            space = self.union(space, t.space)
        return _Tag(space, axis, tagged[0][1].block)

    def result(self):
        """The spaces, as :class:`Space` objects (roots of the union-find)."""
        merged = {}
        for i, raw in enumerate(self.spaces):
            root = self.find(i)
            space = merged.setdefault(root, Space(self.spaces[root]["size"]))
            space.frozen = space.frozen or raw["frozen"]
            if raw["size"] != space.size:
                space.frozen = space.frozen or "its branches differ in width"
            for role, name, block in raw["roles"]:
                if role == "producer" and name not in space.producers:
                    space.producers.append(name)
                elif role == "follower" and name not in space.followers:
                    space.followers.append(name)
                elif role == "consumer":
                    if space.consumers.get(name, block) != block:
                        space.frozen = space.frozen or f"{name} reads it twice"
                    space.consumers[name] = block
        spaces = list(merged.values())
        for space in spaces:
            if not space.producers or not space.consumers:
                space.frozen = space.frozen or "no layer reads it"
        return spaces


def _label(node):
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", "op")


def trace_module(module):
    """``torch.fx.symbolic_trace(module)``, or a clear error naming the module."""
    try:
        return torch.fx.symbolic_trace(module)
    except Exception as error:  # fx raises many kinds: TraceError, TypeError...
        raise ValueError(
            f"structure='width' traces the net's forward with torch.fx, and "
            f"{type(module).__name__}.forward cannot be traced ({error}). "
            "Move data-dependent control flow into a submodule, or use "
            "structure='layers'."
        ) from error


def channel_spaces(module, example):
    """Every channel space of ``module`` traced on ``example`` (its first row),
    the frozen ones included (with the reason in ``frozen``)."""
    graph_module = trace_module(module)
    with evaluating(module):
        ShapeProp(graph_module).propagate(example[:1])
    spaces = _Walk(graph_module).run(graph_module.graph).result()
    with evaluating(module):
        expected = module(example[:2]).shape
    for space in spaces:
        if not space.frozen and space.size > 1:
            space.frozen = _trial(module, space, example[:2], expected)
    return spaces


def _trial(module, space, example, expected):
    """Why removing a channel of ``space`` breaks ``module``, or ``""``."""
    trial = copy.deepcopy(module)
    try:
        remove_channels(trial, space, [space.size - 1])
        with evaluating(trial):
            shape = trial(example).shape
    except Exception as error:  # noqa: BLE001 - any failure freezes the space
        return f"the forward fails without one of its channels ({error})"
    return "" if shape == expected else "the output changes shape without it"


def _slice(layer, attr, index, dim):
    value = getattr(layer, attr, None)
    if value is None:
        return
    kept = value.detach().index_select(dim, index).clone()
    if isinstance(value, nn.Parameter):
        kept = nn.Parameter(kept, requires_grad=value.requires_grad)
    setattr(layer, attr, kept)


def remove_channels(module, space, channels):
    """Remove ``channels`` (indices into the space) from ``module``, in place."""
    drop = {int(c) for c in channels}
    if len(drop) >= space.size:
        raise ValueError(f"Cannot remove all {space.size} channels of {space.name}.")
    device = next(module.parameters()).device
    keep = torch.tensor(
        [c for c in range(space.size) if c not in drop], dtype=torch.long, device=device
    )
    n = len(keep)
    for name in space.producers:
        layer = module.get_submodule(name)
        _slice(layer, "weight", keep, 0)
        _slice(layer, "bias", keep, 0)
        if isinstance(layer, nn.Linear):
            layer.out_features = n
        else:
            layer.out_channels = n
    for name in space.followers:
        layer = module.get_submodule(name)
        for attr in ("weight", "bias", "running_mean", "running_var"):
            _slice(layer, attr, keep, 0)
        if isinstance(layer, _BATCH_NORMS):
            layer.num_features = n
        elif isinstance(layer, nn.LayerNorm):
            layer.normalized_shape = (n,)
        else:  # a depthwise convolution
            layer.in_channels = layer.out_channels = layer.groups = n
    for name, block in space.consumers.items():
        layer = module.get_submodule(name)
        columns = (keep[:, None] * block + torch.arange(block, device=device)).ravel()
        _slice(layer, "weight", columns, 1)
        if isinstance(layer, nn.Linear):
            layer.in_features = len(columns)
        else:
            layer.in_channels = n


def magnitude(module, space):
    """Per channel: the L2 norm of every weight that removing it drops (the
    producers' rows, the followers' entries and the consumers' columns)."""
    total = torch.zeros(space.size, dtype=torch.float64)
    with torch.no_grad():
        for name in space.producers + space.followers:
            layer = module.get_submodule(name)
            if layer.weight is None:  # a norm without affine parameters
                continue
            weight = layer.weight.detach().double().reshape(space.size, -1)
            total += weight.pow(2).sum(1).cpu()
        for name, block in space.consumers.items():
            weight = module.get_submodule(name).weight.detach().double()
            per_column = weight.transpose(0, 1).flatten(1).pow(2).sum(1).cpu()
            total += per_column.reshape(space.size, block).sum(1)
    return total.sqrt()


def taylor(module, spaces, X, y, loss, batch_size=512):
    """Per channel of every space: how much removing it changes each row's
    loss to first order, ``mean_rows |sum_positions x * dL/dx|`` over the
    consumers' inputs ``x`` (Molchanov et al., 2017), on rows ``X, y``. The
    absolute value per row: at a trained net's minimum the signed total is
    near zero for every channel, while the rows' changes still tell them apart.

    ``loss(output, y)`` is the net's criterion (a mean over the rows)."""
    scores = [torch.zeros(s.size, dtype=torch.float64) for s in spaces]
    readers = {}  # consumer name: [(space index, block)]
    for i, space in enumerate(spaces):
        for name, block in space.consumers.items():
            readers.setdefault(name, []).append((i, block))
    linear = {n: isinstance(module.get_submodule(n), nn.Linear) for n in readers}
    seen = {}

    def keep_input(name):
        def hook(layer, inputs):
            x = inputs[0].clone().requires_grad_(True)
            x.retain_grad()
            seen[name] = x
            return (x, *inputs[1:])

        return hook

    handles = [
        module.get_submodule(name).register_forward_pre_hook(keep_input(name))
        for name in readers
    ]
    was_training = module.training
    module.eval()
    try:
        for start in range(0, len(X), batch_size):
            rows = slice(start, start + batch_size)
            seen.clear()
            module.zero_grad(set_to_none=True)
            with torch.enable_grad():
                (loss(module(X[rows]), y[rows]) * len(X[rows])).backward()
            for name, pairs in readers.items():
                x = seen[name]
                product = (x * x.grad).detach().double()
                if linear[name] and product.dim() > 2:  # features last
                    product = product.movedim(-1, 1)
                for i, _ in pairs:
                    per_row = product.reshape(len(x), spaces[i].size, -1)
                    scores[i] += per_row.sum(2).abs().sum(0).cpu()
    finally:
        for handle in handles:
            handle.remove()
        module.zero_grad(set_to_none=True)
        module.train(was_training)
    return [s / max(len(X), 1) for s in scores]


# a width unit removes this share of its space's channels (at least one)
_CHUNK = 0.1


def channel_scores(kind, module, spaces, X, y, loss, rng):
    """Per channel of each space (higher = keep): ``"magnitude"``, ``"random"``
    (a seeded draw), else ``"taylor"`` on rows ``X, y``."""
    if kind == "magnitude":
        return [magnitude(module, space) for space in spaces]
    if kind == "random":
        return [torch.from_numpy(rng.random_sample(s.size)) for s in spaces]
    return taylor(module, spaces, X, y, loss)


def width_units(spaces, scores, unit_type):
    """One unit per prunable space: its ``_CHUNK`` least important channels.

    A unit's ``estimate`` is their share of the space's magnitude
    (``"magnitude"``) or the sum of their scores (a loss change, for
    ``"taylor"``), comparable across spaces."""
    units = []
    for space, score in zip(spaces, scores, strict=True):
        if space.frozen or space.size < 2:
            continue
        k = min(space.size - 1, max(1, round(_CHUNK * space.size)))
        channels = torch.argsort(score, stable=True)[:k]
        chunk = float(score[channels].sum())
        units.append(
            unit_type(
                f"{space.name}[{k} of {space.size}]",
                "width",
                0,
                space=space,
                channels=tuple(int(c) for c in channels),
                estimate=chunk,
                share=chunk / max(float(score.sum()), 1e-300),
            )
        )
    return units


# no layer keeps under this fraction of the least thinned layer's share
_BALANCE = 0.5


def balanced(units, widths, unthinned=False):
    """``units`` less the width units that would leave their layer with under
    ``_BALANCE`` times the share of its unpruned width (``widths``: producer
    name to width) that the least thinned layer keeps; other units pass.
    ``unthinned``: a hidden layer the walk freezes (one feeding a
    concatenation, say) keeps all its width; it bounds the others as a layer
    thinned to that floor would, at ``_BALANCE ** 2`` of their width, a
    backstop (without it, a budget out of reach crushes the one layer left to
    a single neuron) that leaves room for the budget.

    Units are compared one tenth of a layer at a time, and a redundant layer's
    tenth always looks cheap: unchecked, the greedy choice can narrow one layer
    to a handful of neurons, a bottleneck that healing does not undo."""

    def share(unit):
        width = widths.get(unit.space.producers[0], 0)
        return (unit.space.size - len(unit.channels)) / width if width else 1.0

    shares = {u.name: share(u) for u in units if u.kind == "width"}
    if not shares:
        return units
    floor = _BALANCE * max(*shares.values(), _BALANCE if unthinned else 0.0)
    return [u for u in units if u.kind != "width" or shares[u.name] >= floor]
