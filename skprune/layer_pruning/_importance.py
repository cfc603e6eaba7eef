"""How important each unit of a net is (higher = more important).

- ``"ablation"``: the increase of the validation loss (the net's own criterion)
  when the unit is removed and spliced;
- ``"kl"``: the mean relative entropy ``KL(p_full || p_pruned)`` between the
  predictive distributions before and after removal; needs no labels. For a
  regressor the outputs are taken as Gaussian means with the variance of the full
  net's outputs, which gives ``mean((f - g)^2) / (2 var(f))``;
- ``"angular"``: ``1 - cos(x, f(x))`` between a unit's input and output, averaged
  over the calibration rows (ShortGPT's block influence), from one forward pass; a
  bridge unit is scored by the angle between its target layer's output before and
  after the splice;
- ``"random"``: a seeded uniform draw, the baseline every importance should beat;
- for groups of neurons/channels (``structure="width"``, see :mod:`._width`):
  ``"magnitude"``, the group's share of its layer's weight norm, and
  ``"taylor"``, the first-order estimate of the training loss increase when
  the group is removed (from activations and gradients, one backward pass).

:func:`score_units` picks one by name.
"""

import copy

import torch

from skprune.layer_pruning._hooks import evaluating
from skprune.layer_pruning._splice import capture, fit_affine, remove_unit
from skprune.utils._progress import QUIET


def forward(module, X, batch_size=4096):
    """``module(X)`` in batches, without autograd, in evaluation mode."""
    with evaluating(module):
        return torch.cat(
            [module(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        )


def score_units(
    importance, module, units, calibration, *, loss, X_valid, distribution, rng, bar
):
    """``{unit name: importance}`` by the named importance (higher = keep)."""
    if importance == "random":
        return {unit.name: float(rng.random_sample()) for unit in units}
    if importance == "magnitude":
        return {unit.name: unit.share for unit in units}
    if importance == "taylor":
        return {unit.name: unit.estimate for unit in units}
    if importance == "angular":
        return angular_importance(module, units, calibration)
    if importance == "kl":
        return kl_importance(module, units, calibration, X_valid, distribution, bar)
    return ablation_importance(module, units, calibration, loss, bar)


def _without(module, unit, calibration):
    pruned = copy.deepcopy(module)
    remove_unit(pruned, unit, calibration)
    return pruned


def ablation_importance(module, units, calibration, loss, bar=QUIET):
    """Loss increase when each unit is removed; ``loss(module)`` -> float.

    ``bar`` is told of every unit scored (as in :func:`kl_importance`)."""
    base = loss(module)
    scores = {}
    for unit in units:
        scores[unit.name] = loss(_without(module, unit, calibration)) - base
        bar.update()
    return scores


def kl_importance(module, units, calibration, X, distribution, bar=QUIET):
    """Mean KL divergence of the predictions; ``distribution(output)`` -> probs."""
    reference = distribution(forward(module, X))
    scores = {}
    for unit in units:
        other = distribution(forward(_without(module, unit, calibration), X))
        scores[unit.name] = float(_divergence(reference, other))
        bar.update()
    return scores


def _divergence(p, q, eps=1e-12):
    if p.ndim == 2 and torch.allclose(
        p.sum(1), torch.ones(len(p), dtype=p.dtype, device=p.device), atol=1e-4
    ):
        return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(1).mean()
    variance = p.double().var(dim=0).clamp_min(eps)
    return (((p - q).double() ** 2) / (2 * variance)).mean()


def _cosine_distance(a, b):
    a, b = a.flatten(1).double(), b.flatten(1).double()
    return float((1 - torch.nn.functional.cosine_similarity(a, b, dim=1)).mean())


def angular_importance(module, units, calibration):
    """``1 - cos(input, output)`` of each unit on the calibration batch."""
    names = [u.name for u in units] + [u.target for u in units if u.kind == "bridge"]
    seen = capture(module, names, calibration)
    scores = {}
    for unit in units:
        inputs, outputs = seen[unit.name]
        if unit.kind == "bridge":
            targets = seen[unit.target][1].flatten(1)
            weight, bias = fit_affine(inputs.flatten(1), targets)
            outputs, inputs = inputs.flatten(1) @ weight.T + bias, targets
        scores[unit.name] = _cosine_distance(inputs, outputs)
    return scores
