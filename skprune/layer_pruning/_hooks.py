"""Running a module for a look inside: evaluation mode, no autograd, hooks."""

from contextlib import contextmanager

import torch


@contextmanager
def evaluating(module):
    """Evaluation mode and ``torch.inference_mode``; the training flag restored."""
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
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
