"""Folding BatchNorm into the weight layer before it.

In evaluation mode ``BatchNorm(z) = gamma (z - mu) / sqrt(var + eps) + beta`` is an
affine map per channel, so ``BatchNorm(W x + b)`` is exactly ``W' x + b'`` with

    W' = W * s[:, None, ...],   b' = (b - mu) * s + beta,   s = gamma / sqrt(var + eps).

Folded, the net computes the same function with one module fewer (faster), and a
unit's removal or splice sees the function the net really computes: replacing a
``Linear`` that a BatchNorm follows by identity leaves the BatchNorm's statistics
matched to nothing.
"""

import torch
from torch import nn

from skprune.layer_pruning._splice import replace_with_identity

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def fold_batchnorms(module):
    """Fold every BatchNorm that directly follows a weight layer in an
    ``nn.Sequential`` into that layer, in place; returns the folded pairs' names.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skprune.layer_pruning._folding import fold_batchnorms
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    >>> _ = net(3 * torch.randn(64, 3) + 1)  # training mode: running statistics
    >>> x = torch.randn(5, 3)
    >>> _ = net.eval()
    >>> before = net(x)
    >>> fold_batchnorms(net)
    [('0', '1')]
    >>> net[1]
    Identity()
    >>> torch.allclose(before, net(x), atol=1e-6)
    True
    """
    folded = []
    for prefix, sequential in list(module.named_modules()):
        if not isinstance(sequential, nn.Sequential):
            continue
        children = list(sequential.named_children())
        for (name, layer), (norm_name, norm) in zip(
            children, children[1:], strict=False
        ):
            if not (isinstance(layer, WEIGHT_LAYERS) and _foldable(norm, layer)):
                continue
            _fold(layer, norm)
            full = f"{prefix}.{norm_name}" if prefix else norm_name
            replace_with_identity(module, full)
            folded.append((f"{prefix}.{name}" if prefix else name, full))
    return folded


def _foldable(norm, layer):
    if not isinstance(norm, _BATCH_NORMS) or norm.running_mean is None:
        return False
    channels = (
        layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    )
    return norm.num_features == channels


@torch.no_grad()
def _fold(layer, norm):
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    shape = (-1,) + (1,) * (layer.weight.dim() - 1)
    layer.weight.mul_(scale.reshape(shape).to(layer.weight.dtype))
    bias = layer.bias if layer.bias is not None else torch.zeros_like(scale)
    new_bias = (bias * scale + shift).to(layer.weight.dtype)
    if layer.bias is None:
        layer.bias = nn.Parameter(new_bias)
    else:
        layer.bias.copy_(new_bias)
