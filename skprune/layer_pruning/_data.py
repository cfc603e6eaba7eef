"""What LayerPruner feeds the net: checked arrays, tensors, the validation split.

- :func:`check_fit_data` validates ``X`` and ``y`` as the net takes them, class
  labels encoded as ``0..n_classes - 1`` (a prefit net's own ``classes_`` kept);
- :func:`check_outputs` runs one row through the module before any training, so
  a wrong dtype or too small an output layer is a clear error early;
- :func:`as_tensor` / :func:`as_dtype` give inputs the module's dtype and device
  (skorch does not cast);
- :func:`split` holds out the validation rows (stratified where it can be);
- :func:`class_probabilities` drops outputs beyond the classes seen in ``fit``.
"""

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from skprune.layer_pruning._importance import forward


def as_tensor(X, like):
    """``X`` as a tensor on ``like``'s device, floats in its dtype."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    tensor = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
    if tensor.is_floating_point():
        tensor = tensor.to(like.dtype)
    return tensor.to(like.device)


def as_dtype(X, like):
    """Float input in the dtype of the module's parameters (skorch does not cast)."""
    dtype = torch.empty(0, dtype=like.dtype).numpy().dtype
    if X.dtype.kind == "f" and X.dtype != dtype:
        return X.astype(dtype)
    return X


def check_fit_data(pruner, X, y, classifier):
    """``(X, y, classes)``: arrays as the net takes them, labels encoded;
    sets ``pruner._one_target`` (a regressor's 1-d ``y``, predicted 1-d)."""
    if isinstance(X, Mapping) and not sp.issparse(X):  # DOK is a dict
        raise TypeError(
            "LayerPruner takes X as one array (a numpy array, torch tensor or "
            "DataFrame); dict and SliceDict input, which skorch passes to a "
            "module's forward as keyword arguments, is not supported."
        )
    X, y = validate_data(
        pruner,
        X,
        y,
        dtype="numeric",
        allow_nd=True,
        multi_output=not classifier,
        y_numeric=not classifier,  # object targets of numbers become floats
    )
    # a regressor fitted on a 1-d y predicts a 1-d y (see LayerPruner.predict)
    pruner._one_target = not classifier and y.ndim == 1
    if not classifier:
        # one target as a column: a module's (n, 1) output against a 1-d y
        # would broadcast to (n, n) in the loss
        return X, (y.reshape(-1, 1) if y.ndim == 1 else y), None
    check_classification_targets(y)
    known = getattr(pruner.net, "classes_", None) if pruner.prefit else None
    classes = np.unique(y) if known is None else np.asarray(known)
    codes = np.searchsorted(classes, y)
    inside = codes < len(classes)
    if not np.all(classes[codes[inside]] == y[inside]) or not inside.all():
        raise ValueError(
            f"y has labels the trained net does not know; its classes_ are "
            f"{list(classes)}."
        )
    return X, codes.astype(np.int64), classes


def check_outputs(module, example, classes, y):
    """One row through the module before any training: clear errors early."""
    try:
        n_outputs = forward(module, example).shape[-1]
    except RuntimeError as error:
        raise TypeError(
            f"The net's module fails on the first row of X (a {example.dtype} "
            f"tensor of shape {tuple(example.shape)}): "
            f"{str(error).splitlines()[0]}. Give X the dtype and shape the "
            "module takes (float32 for Linear and Conv layers)."
        ) from error
    if classes is not None and n_outputs < len(classes):
        raise ValueError(
            f"The net outputs {n_outputs} scores per sample but y has "
            f"{len(classes)} classes; size the module's output layer to "
            "the number of classes."
        )
    if classes is None and y.shape[1] != n_outputs:
        raise ValueError(
            f"The net outputs {n_outputs} values per sample but y has "
            f"{y.shape[1]} target column(s); size the module's output layer to "
            "the number of targets."
        )


def stratify(y, classifier, validation_fraction):
    """``y`` if the validation split can be stratified on it, else None."""
    if not classifier:
        return None
    counts = np.bincount(y)
    n_valid = int(np.ceil(validation_fraction * len(y)))
    return y if counts.min() >= 2 and n_valid >= len(counts) else None


def split(X, y, classifier, validation_fraction, rng):
    """``(X_train, X_valid, y_train, y_valid)``, stratified where it can be."""
    return train_test_split(
        X,
        y,
        test_size=validation_fraction,
        stratify=stratify(y, classifier, validation_fraction),
        random_state=rng.randint(np.iinfo(np.int32).max),
    )


def class_probabilities(proba, n_classes):
    """One column per class seen in ``fit``: a net with more outputs has the
    extra columns dropped and the rows renormalised."""
    if proba.shape[1] <= n_classes:
        return proba
    proba = proba[:, :n_classes]
    # a row whose mass lay wholly on the extra outputs: no preference left
    mass = proba.sum(axis=1, keepdims=True)
    proba = np.where(mass > 0, proba, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)
