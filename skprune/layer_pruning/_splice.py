"""Removing a unit and closing the gap it leaves.

- :func:`replace_with_identity`: a unit whose output has its input's shape becomes
  ``nn.Identity`` (exact for a residual block ``x + f(x)`` whose ``f`` is dropped).
- :func:`bridge_splice`: a weight layer is removed together with the modules
  that follow it (activation, dropout, norm), and the next weight layer is
  replaced by one affine map from the removed layer's input to the next layer's
  output, fitted by (ridge-damped) least squares on calibration activations: a
  ``Linear``, or for two convolutions one convolution with the second's kernel,
  fitted over the input's patches.
- :func:`drop_identities` then deletes the identities from every ``nn.Sequential``,
  so the pruned module has fewer modules as well as fewer parameters, and
  :func:`make_self_contained` makes the skorch net rebuild that module as is.
"""

import torch
from torch import nn

from skprune.layer_pruning._healing import reset_optimizer
from skprune.layer_pruning._hooks import run_hooked
from skprune.layer_pruning._units import conv_padding
from skprune.layer_pruning._width import remove_channels


def _parent(module, name):
    parent_name, _, attr = name.rpartition(".")
    return (module.get_submodule(parent_name) if parent_name else module), attr


def set_submodule(module, name, new):
    """Put ``new`` at the dotted path ``name`` of ``module``."""
    parent, attr = _parent(module, name)
    if isinstance(parent, (nn.Sequential, nn.ModuleList)) and attr.isdigit():
        parent[int(attr)] = new
    else:
        setattr(parent, attr, new)


def replace_with_identity(module, name):
    """Replace the submodule ``name`` by ``nn.Identity()``."""
    set_submodule(module, name, nn.Identity())


def capture(module, names, example):
    """Inputs and outputs of the submodules ``names`` on ``example``."""
    seen = {}

    def recorder(name):
        def record(mod, inputs, output):
            seen[name] = (inputs[0], output)

        return record

    run_hooked(module, example, [(module.get_submodule(n), recorder(n)) for n in names])
    return seen


def fit_affine(inputs, targets, ridge=1e-4):
    """``W, b`` minimising ``|x W' + b - t|^2 + ridge * trace(x'x) / d * |W|^2``.

    Examples
    --------
    >>> import torch
    >>> from skprune.layer_pruning._splice import fit_affine
    >>> x = torch.randn(200, 3, dtype=torch.float64)
    >>> W, b = fit_affine(x, x @ torch.tensor([[1.0, 2.0, 3.0]]).double().T + 5, 0.0)
    >>> [round(v, 4) for v in W[0].tolist()], round(b.item(), 4)
    ([1.0, 2.0, 3.0], 5.0)
    """
    x = torch.cat(
        [inputs, torch.ones(len(inputs), 1, dtype=inputs.dtype, device=inputs.device)],
        dim=1,
    )
    x64, t64 = x.double(), targets.double()
    gram, moments = x64.T @ x64, x64.T @ t64
    scale = torch.diagonal(gram)[:-1].mean()
    # inputs that are all zero (dead ReLUs) have no scale: any damping then
    # gives them zero weights
    penalty = ridge * scale if scale > 0 else ridge
    gram[range(inputs.shape[1]), range(inputs.shape[1])] += penalty
    try:
        solution = torch.linalg.solve(gram, moments)
    except torch.linalg.LinAlgError:  # rank-deficient without damping
        solution = torch.linalg.lstsq(gram, moments, driver="gelsd").solution
    weight, bias = solution[:-1].T, solution[-1]
    return weight.to(targets.dtype), bias.to(targets.dtype)


# rows (patch positions) of a convolution bridge's least-squares fit
_MAX_PATCHES = 32768


def conv_bridge(layer, target, inputs, targets, generator=None):
    """One convolution from ``layer``'s input to ``target``'s output.

    It has ``target``'s kernel and padding (so the net gets cheaper: a kernel
    spanning both would cost more than the pair on few channels) and ``layer``'s
    input channels; its weights are the least-squares fit over (at most
    ``_MAX_PATCHES``) input patches. It loses ``layer``'s share of the receptive
    field, which healing makes up for.
    """
    one_d = isinstance(layer, nn.Conv1d)
    if one_d:  # as 2-d convolutions of height 1
        inputs, targets = inputs.unsqueeze(2), targets.unsqueeze(2)
    kernel, padding = tuple(target.kernel_size), conv_padding(target)
    if one_d:
        kernel, padding = (1, *kernel), (0, *padding)
    positions = targets.shape[2] * targets.shape[3]
    n_images = min(len(inputs), max(1, 2 * _MAX_PATCHES // positions))
    patches = torch.nn.functional.unfold(
        inputs[:n_images], kernel_size=kernel, padding=padding
    )  # (images, in_channels * kernel, positions)
    rows = patches.transpose(1, 2).reshape(-1, patches.shape[1])
    outputs = targets[:n_images].flatten(2).transpose(1, 2)
    outputs = outputs.reshape(-1, targets.shape[1])
    if len(rows) > _MAX_PATCHES:
        chosen = torch.randperm(len(rows), generator=generator)[:_MAX_PATCHES]
        rows, outputs = rows[chosen], outputs[chosen]
    weight, bias = fit_affine(rows, outputs)
    merged = type(layer)(
        layer.in_channels,
        target.out_channels,
        target.kernel_size,
        padding=conv_padding(target),
    )
    merged = merged.to(device=target.weight.device, dtype=target.weight.dtype)
    with torch.no_grad():
        merged.weight.copy_(weight.reshape(merged.weight.shape))
        merged.bias.copy_(bias)
    return merged


def bridge_splice(module, unit, calibration):
    """Remove the bridge ``unit`` and fold the gap into its target layer."""
    seen = capture(module, [unit.name, unit.target], calibration)
    inputs, _ = seen[unit.name]
    _, targets = seen[unit.target]
    layer, old = module.get_submodule(unit.name), module.get_submodule(unit.target)
    if isinstance(old, nn.Linear):
        weight, bias = fit_affine(inputs.flatten(1), targets.flatten(1))
        merged = nn.Linear(weight.shape[1], weight.shape[0], bias=True)
        merged = merged.to(device=old.weight.device, dtype=old.weight.dtype)
        with torch.no_grad():
            merged.weight.copy_(weight)
            merged.bias.copy_(bias)
    else:
        merged = conv_bridge(layer, old, inputs, targets)
    for name in unit.replaced:
        replace_with_identity(module, name)
    set_submodule(module, unit.target, merged)


def remove_unit(module, unit, calibration):
    """Remove ``unit`` from ``module`` in place, by its kind."""
    if unit.kind == "identity":
        replace_with_identity(module, unit.name)
    elif unit.kind == "width":
        remove_channels(module, unit.space, unit.channels)
    else:
        bridge_splice(module, unit, calibration)


def drop_identities(module):
    """Delete ``nn.Identity`` entries from every ``nn.Sequential`` of ``module``."""
    for sub in list(module.modules()):
        if isinstance(sub, nn.Sequential):
            kept = [m for m in sub if not isinstance(m, nn.Identity)]
            if len(kept) < len(sub) and kept:
                for key in list(sub._modules):
                    del sub._modules[key]
                for i, m in enumerate(kept):
                    sub.add_module(str(i), m)
    return module


def make_self_contained(net):
    """Compact ``net.module_`` and make ``net`` rebuild it as is (its
    ``module`` the pruned instance, no ``module__*`` arguments), so cloning or
    pickling the net never builds the full-size module."""
    drop_identities(net.module_)
    for key in [k for k in vars(net) if k.startswith("module__")]:
        delattr(net, key)
        net._params_to_validate.discard(key)
    net.module = net.module_
    reset_optimizer(net)
