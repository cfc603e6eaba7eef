"""Healing: fine-tuning the pruned net until its validation score stops improving.

The pruned module gets a fresh optimizer at a fraction of the net's own learning
rate and is trained an epoch at a time with skorch's ``partial_fit`` (its batch
iterator, device and history). After each epoch the validation loss (the net's
own criterion: smoother than accuracy, which a small validation set saturates) is
taken. When it has not improved for ``patience`` epochs, the best weights are
restored and the rate divided by 10 (at most twice: a rate that suits a net whose
layers were bridged can be too high for one that lost near-identity residual
blocks), then healing stops; ``max_epochs`` bounds the whole. The best epoch's
weights are kept. With ``distill``, the loss
mixes the labels' with the unpruned net's outputs:
``(1 - distill) * loss(labels) + distill * KL(teacher || student)`` for
classifiers (on the net's predicted distributions), the squared error to the
teacher's outputs over their variance for regressors.

Callbacks that hold optimizer state or reload saved weights are off while healing:
a scheduler built for the old optimizer fails on the new one (``KeyError:
'initial_lr'``) and ``Checkpoint(load_best=True)`` would reload the unpruned
weights. They are switched back on after, with the pruned weights saved.
"""

import copy

import torch
from skorch.callbacks import (
    Checkpoint,
    EarlyStopping,
    LoadInitState,
    LRScheduler,
    TrainEndCheckpoint,
)

from skprune.utils._progress import progress_bar

_MAX_REDUCTIONS = 2  # of the healing rate, by 10 each, on a plateau

_STATEFUL_CALLBACKS = (
    LRScheduler,
    Checkpoint,
    LoadInitState,
    TrainEndCheckpoint,
    EarlyStopping,
)


def reset_optimizer(net):
    """A fresh optimizer on the net's current module (the old one holds dead
    tensors); its groups get an ``initial_lr`` so schedulers can attach later."""
    net.initialize_optimizer()
    for group in net.optimizer_.param_groups:
        group.setdefault("initial_lr", group["lr"])


def heal(
    owner,
    X,
    y,
    score,
    *,
    max_epochs,
    patience,
    lr_fraction,
    teacher=None,
    distill=0.0,
    distribution=None,
):
    """Fine-tune ``owner.net_`` on ``(X, y)``; returns the epochs spent.

    ``score(module)`` is the validation score (higher is better: the pruner
    passes minus the validation loss). ``patience`` None trains exactly
    ``max_epochs`` epochs.
    """
    net = owner.net_
    if max_epochs == 0:
        return 0
    callbacks, lr = net.callbacks_, net.lr
    net.callbacks_ = [
        (name, cb) for name, cb in callbacks if not isinstance(cb, _STATEFUL_CALLBACKS)
    ]
    net.set_params(lr=lr * lr_fraction)
    reset_optimizer(net)
    if teacher is not None and distill > 0:
        net.get_loss = _distilling_loss(net, teacher, distill, distribution)
    best, waited, spent, reductions = score(net.module_), 0, 0, 0
    best_state = copy.deepcopy(net.module_.state_dict())
    try:
        with progress_bar(owner, max_epochs, "healing epochs") as bar:
            for _ in range(max_epochs):
                net.partial_fit(X, y, epochs=1)
                spent += 1
                current = score(net.module_)
                bar.set_postfix_str(
                    f"train loss {net.history[-1, 'train_loss']:.4g}, "
                    f"validation {-current:.4g}"
                )
                bar.update()
                if patience is None:
                    continue
                if current > best:
                    best, waited = current, 0
                    best_state = copy.deepcopy(net.module_.state_dict())
                    continue
                waited += 1
                if waited < patience:
                    continue
                if reductions == _MAX_REDUCTIONS:
                    break
                reductions, waited = reductions + 1, 0
                net.module_.load_state_dict(best_state)
                net.set_params(lr=net.lr * 0.1)
                reset_optimizer(net)
    finally:
        if "get_loss" in vars(net):
            del net.get_loss
        net.callbacks_ = callbacks
        net.set_params(lr=lr)
    if patience is not None:  # the best epoch's weights (or none if none helped)
        net.module_.load_state_dict(best_state)
    reset_optimizer(net)
    for _, callback in callbacks:  # saved weights must be the pruned ones now
        if isinstance(callback, (Checkpoint, TrainEndCheckpoint)):
            callback.save_model(net)
    return spent


def _distilling_loss(net, teacher, weight, distribution):
    """``net.get_loss`` with the teacher's term mixed in while training."""
    plain = type(net).get_loss
    classifier = distribution is not None

    def get_loss(y_pred, y_true, X=None, training=False):
        loss = plain(net, y_pred, y_true, X=X, training=training)
        if not training or X is None:
            return loss
        with torch.no_grad():
            teacher.eval()
            target = teacher(X.to(y_pred.device) if hasattr(X, "to") else X)
        if classifier:
            p_teacher = distribution(target).clamp_min(1e-12)
            p_student = distribution(y_pred).clamp_min(1e-12)
            term = (p_teacher * (p_teacher.log() - p_student.log())).sum(dim=1).mean()
        else:
            spread = target.var().clamp_min(1e-12)
            term = ((y_pred - target) ** 2).mean() / spread
        return (1 - weight) * loss + weight * term

    return get_loss
