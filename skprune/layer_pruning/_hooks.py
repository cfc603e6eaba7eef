"""Running a module for a look inside: evaluation mode, no autograd, hooks."""

from contextlib import contextmanager

import torch
from torch.nn.parameter import UninitializedParameter


@contextmanager
def evaluating(module):
    """Evaluation mode and ``torch.inference_mode``; the training flag restored.

    A module with lazy layers not yet materialised runs under ``torch.no_grad``
    instead: weights created in inference mode could not be trained later.
    """
    was_training = module.training
    lazy = any(isinstance(p, UninitializedParameter) for p in module.parameters())
    module.eval()
    try:
        with torch.no_grad() if lazy else torch.inference_mode():
            yield module
    finally:
        module.train(was_training)


def run_hooked(module, example, hooks):
    """``module(example)`` with forward ``hooks``: pairs of (submodule, function)."""
    handles = [sub.register_forward_hook(function) for sub, function in hooks]
    try:
        with evaluating(module):
            module(example)
    finally:
        for handle in handles:
            handle.remove()
