"""The plain scikit-learn model a pruned linear model amounts to.

:func:`reduced_estimator` turns a pruner's fitted ``estimator_`` (full-shape
weights, zeros where pruned) into a Pipeline of scikit-learn objects only that
reads the kept columns and nothing else:

- the Pipeline's steps up to the last one that does not map columns one to one
  (a OneHotEncoder, a ColumnTransformer, ...) stay as they are;
- a ``ColumnTransformer`` then passes the columns the model still uses through
  and drops the rest (first, where every step maps columns one to one);
- the per-column steps after it (scalers) and the model keep their fitted state
  restricted to those columns.

It predicts as the pruner does, unpickles where skprune is not installed, and
converts with skl2onnx.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from skprune.weight_pruning._models import is_columnwise


def _restricted(step, columns, shape):
    """A copy of fitted ``step`` whose arrays of ``shape`` (the per-column ones)
    keep only ``columns`` (their last axis)."""
    reduced = copy.deepcopy(step)
    for name, value in vars(step).items():
        if isinstance(value, np.ndarray) and value.shape == shape:
            setattr(reduced, name, np.ascontiguousarray(value[..., columns]))
    reduced.n_features_in_ = len(columns)
    if hasattr(reduced, "feature_names_in_"):  # the selector outputs an array
        del reduced.feature_names_in_
    return reduced


def _check_reduced(model, reduced, columns):
    """A clear error unless ``reduced`` on the kept ``columns`` of a probe
    scores as ``model`` on all of them: per-column fitted state skprune does
    not know (beyond the weights) would make them differ."""
    n_features = model.n_features_in_
    probe = np.random.default_rng(0).normal(size=(4, n_features))
    method = "decision_function" if hasattr(model, "decision_function") else "predict"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a probe without feature names
            expected = getattr(model, method)(probe)
            found = getattr(reduced, method)(probe[:, columns])
        same = np.allclose(found, expected, rtol=1e-9, atol=1e-9)
    except (ValueError, TypeError):
        same = False
    if not same:
        raise ValueError(
            f"{type(model).__name__} cannot be reduced to its kept columns: "
            "restricted to them it does not score as it does on all of them "
            "(fitted state per input column beyond coef_ that skprune does not "
            "know). Use the pruner itself, or ask for the model class to be "
            "supported."
        )


def _selector(columns, n_features, names=None, sparse=False):
    """A fitted ColumnTransformer passing ``columns`` through: by position, or
    with ``names`` (the pruner's input columns) by name, so that the shipped
    model reads a frame's kept columns and nothing else (the other columns may
    be absent: what upstream collects can shrink to these)."""
    if names is None:
        kept, example = [int(c) for c in columns], np.zeros((1, n_features))
        if sparse:  # the output's format is decided on fit
            example = scipy.sparse.csr_matrix(example)
    else:
        kept = [str(names[c]) for c in columns]
        example = pd.DataFrame(np.zeros((1, len(kept))), columns=kept)
    selector = ColumnTransformer(
        [("kept", "passthrough", kept)],
        remainder="drop",
        sparse_threshold=1.0,  # sparse in, sparse out
    )
    return selector.fit(example)


def reduced_estimator(estimator, support, feature_names=None, sparse=False):
    """The Pipeline reading only the columns ``support`` marks (columns of the
    last step's input); ``feature_names``: the pruner's ``feature_names_in_``;
    ``sparse``: whether the model's input is a sparse matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skprune.weight_pruning._export import reduced_estimator
    >>> X = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> model = LinearRegression().fit(X, X[:, 0])
    >>> model.coef_, model.intercept_ = np.array([1.0, 0.0, 0.0]), 0.0
    >>> small = reduced_estimator(model, np.array([True, False, False]))
    >>> small[-1].coef_, small.predict(X)
    (array([1.]), array([0., 1., 2.]))
    """
    steps = list(estimator.steps) if isinstance(estimator, Pipeline) else []
    head, (last_name, model) = (
        steps[:-1],
        (steps[-1] if steps else ("model", estimator)),
    )
    columns = np.flatnonzero(support)
    n_features = len(support)
    split = max(
        (i + 1 for i, (_, s) in enumerate(head) if not is_columnwise(s)), default=0
    )
    kept_head = [(name, copy.deepcopy(step)) for name, step in head[:split]]
    names = feature_names if split == 0 else None
    select = _selector(columns, n_features, names, sparse)
    tail = [
        (name, _restricted(step, columns, (n_features,)))
        for name, step in head[split:]
        if step is not None and step != "passthrough"
    ]
    final = _restricted(model, columns, np.shape(model.coef_))
    _check_reduced(model, final, columns)
    return Pipeline(
        kept_head + [("select_kept_columns", select)] + tail + [(last_name, final)]
    )
