"""The wrapped linear model: fitting it, and copies of it with other weights.

- :class:`Problem` fits the dense model (a Pipeline step by step, so the last
  step's input ``Z`` is computed once) and keeps what pruning needs of the data;
- :func:`with_weights` is the fitted model with pruned weights;
- :func:`readout_model` makes the copy of the model that turns decision scores
  into its predictions.
"""

import copy
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skprune.weight_pruning._data import SINGLE


def final_step(model):
    return model[-1] if isinstance(model, Pipeline) else model


class Problem:
    """The dense model fitted on the training data, and what pruning needs of it.

    A Pipeline is fitted step by step (as ``Pipeline.fit`` does) so that the last
    step's input ``Z`` is computed once; with ``prefit``, a copy of the fitted
    model is used as it is. ``start``, the ``(coef_, intercept_)``
    of a fit on similar data, warm-starts the model where it can be. ``train`` is
    ``(X, y, step_params)``, with
    ``step_params`` the fit parameters of every step by name (see
    :func:`step_fit_params`); the last step's ``sample_weight`` also weighs the
    Hessian and the column scales.
    """

    def __init__(self, estimator, train, classifier, start=None, prefit=False):
        self.X, y, step_params = train
        self.model = copy.deepcopy(estimator) if prefit else clone(estimator)
        steps = (
            self.model.steps
            if isinstance(self.model, Pipeline)
            else [(SINGLE, self.model)]
        )
        Z = self.X
        for name, step in steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if prefit:
                Z = step.transform(Z)
            else:
                Z = step.fit_transform(Z, y, **step_params.get(name, {}))
        last_name, final = steps[-1]
        final_params = step_params.get(last_name, {})
        if start is not None and "warm_start" in final.get_params():
            final.set_params(warm_start=True)  # from a fit on similar data
            final.coef_, final.intercept_ = (np.copy(a) for a in start)
        if not prefit:
            final.fit(Z, y, **final_params)
        self.sample_weight = final_params.get("sample_weight")
        if self.sample_weight is not None:
            self.sample_weight = np.asarray(self.sample_weight, dtype=np.float64)
        self.Z = as_float_matrix(Z)
        self.y = np.asarray(y)
        single_label = classifier and self.y.ndim == 1
        self.y_codes = np.searchsorted(final.classes_, self.y) if single_label else None

    @property
    def final(self):
        return final_step(self.model)

    @cached_property
    def binary_target(self):
        """``y`` as 0.0 / 1.0 (1: ``classes_[1]``) for a binary classifier, else
        None: the target of skprune's own Newton and L1 repairs and of the
        swaps' losses."""
        if self.y_codes is None or len(self.final.classes_) != 2:
            return None
        return (self.y_codes == 1).astype(np.float64)

    def columns_of(self, columns):
        """``Z[:, columns]``, kept from the last call: every repair candidate of
        a level (each penalty and strength of a CV) refits on the same columns,
        and copying them each time is a large part of a wide table's CV."""
        key = np.asarray(columns).tobytes()
        if getattr(self, "_columns_key", None) != key:
            self._columns, self._columns_key = self.Z[:, columns], key
        return self._columns

    @cached_property
    def scale(self):
        """Spread of every input column of the last step (weighted)."""
        return column_spread(self.Z, self.sample_weight)


def as_float_matrix(Z):
    """``Z`` as float64: a CSR matrix if sparse (never densified), else an array."""
    if sp.issparse(Z):
        return sp.csr_matrix(Z, dtype=np.float64)
    return np.asarray(Z, dtype=np.float64)


def column_spread(Z, sample_weight=None):
    """Weighted standard deviation of every column of ``Z`` (dense or sparse).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from skprune.weight_pruning._linear import column_spread
    >>> Z = np.array([[0.0, 1.0], [2.0, 1.0]])
    >>> column_spread(Z), column_spread(sp.csr_matrix(Z))
    (array([1., 0.]), array([1., 0.]))
    """
    w = np.ones(Z.shape[0]) if sample_weight is None else sample_weight
    w = w / w.sum()
    if sp.issparse(Z):
        mean = np.asarray(Z.T @ w).ravel()
        second = np.asarray(Z.multiply(Z).T @ w).ravel()
        return np.sqrt(np.maximum(second - mean**2, 0.0))
    mean = w @ Z
    return np.sqrt(w @ (Z - mean) ** 2)


def with_weights(model, coef, intercept):
    """A copy of fitted ``model`` (or Pipeline) whose last step has these weights."""
    final = final_step(model)
    pruned = copy.deepcopy(final)
    pruned.coef_ = coef.reshape(np.shape(final.coef_))
    pruned.intercept_ = (
        float(intercept[0])
        if np.ndim(final.intercept_) == 0
        else intercept.reshape(np.shape(final.intercept_))
    )
    if not isinstance(model, Pipeline):
        return pruned
    estimator = copy.copy(model)
    estimator.steps = model.steps[:-1] + [(model.steps[-1][0], pruned)]
    return estimator


def readout_model(model, n_outputs):
    """A copy of fitted ``model`` with identity weights: fed decision scores, its
    ``predict``, ``predict_proba``, ... are those of ``model`` on the inputs."""
    readout = copy.deepcopy(model)
    readout.coef_ = np.eye(n_outputs).reshape(np.shape(model.coef_)[:-1] + (n_outputs,))
    readout.intercept_ = 0.0 if np.ndim(model.intercept_) == 0 else np.zeros(n_outputs)
    readout.n_features_in_ = n_outputs
    if hasattr(readout, "feature_names_in_"):
        del readout.feature_names_in_
    return readout
