"""The wrapped linear model: fitting it, its inputs, and reading its scores out.

- :class:`Problem` fits the dense model (a Pipeline step by step, so the last
  step's input ``Z`` is computed once) and keeps what pruning needs of the data;
- :func:`affine_steps` recognises per-column scalers in front of the model, which
  the pruner folds into the weights;
- :func:`readout_model` makes the copy of the model that turns decision scores
  into its predictions.
"""

import copy
from functools import cache, cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import has_fit_parameter

from skprune.utils._compat import _check_method_params, _num_samples, _safe_indexing
from skprune.weight_pruning._models import model_kind


def final_step(model):
    return model[-1] if isinstance(model, Pipeline) else model


@cache
def _param_names(cls):
    return cls._get_param_names()


def own_params(model):
    """``model.get_params(deep=False)``, the parameter names read once per class:
    scikit-learn's reads the constructor's signature at every call, and the
    CV's repairs and Hessians ask hundreds of times.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skprune.weight_pruning._linear import own_params
    >>> model = LogisticRegression(C=0.5)
    >>> own_params(model) == model.get_params(deep=False)
    True
    """
    if not hasattr(type(model), "_get_param_names"):  # not a BaseEstimator
        return model.get_params(deep=False)
    return {name: getattr(model, name) for name in _param_names(type(model))}


def affine_steps(head, n_features):
    """``(a, c)`` with ``head.transform(x) == a * x + c``, or None if not affine."""
    scale, shift = np.ones(n_features), np.zeros(n_features)
    for _, step in head.steps:
        if step is None or step == "passthrough":
            continue
        name = model_kind(step)
        if name in ("StandardScaler", "RobustScaler"):
            center = getattr(step, "mean_" if name == "StandardScaler" else "center_")
            center = (
                0.0
                if center is None
                or not step.get_params().get(
                    "with_mean", step.get_params().get("with_centering")
                )
                else center
            )
            spread = step.scale_ if step.scale_ is not None else 1.0
            scale, shift = scale / spread, (shift - center) / spread
        elif name == "MaxAbsScaler":
            scale, shift = scale / step.scale_, shift / step.scale_
        elif name == "MinMaxScaler" and not step.clip:
            scale, shift = scale * step.scale_, shift * step.scale_ + step.min_
        else:
            return None
    return scale, shift


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
            else [(_SINGLE, self.model)]
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


_SINGLE = "__model__"


def step_fit_params(model, routed, sample_weight, fit_params):
    """The fit parameters of every step of ``model``, by step name.

    With metadata routing on, ``routed`` holds what the model requested (the
    pruner's router resolved it) and is routed on to the Pipeline's steps as
    ``Pipeline.fit`` would. Without routing, ``sample_weight`` goes to every step
    whose ``fit`` takes it (an error if the model's last step does not) and
    ``fit_params`` are the model's own (``step__param`` for a Pipeline).
    """
    if not isinstance(model, Pipeline):
        if routed is not None:
            return {_SINGLE: dict(routed)}
        params = dict(fit_params)
        if sample_weight is not None:
            if not has_fit_parameter(model, "sample_weight"):
                raise TypeError(
                    f"{type(model).__name__}.fit does not take sample_weight."
                )
            params["sample_weight"] = sample_weight
        return {_SINGLE: params}
    if routed is not None:
        per_step = process_routing(model, "fit", **routed)
        names = [name for name, _ in model.steps]
        return {
            name: dict(
                per_step[name].fit
                if name == names[-1]
                else per_step[name].fit_transform
            )
            for name in names
        }
    params = {name: {} for name, _ in model.steps}
    for key, value in fit_params.items():
        name, _, param = key.partition("__")
        if name not in params or not param:
            raise ValueError(
                f"Fit parameter {key!r}: a Pipeline's fit parameters are named "
                f"step__parameter, with step one of {list(params)}."
            )
        params[name][param] = value
    if sample_weight is not None:
        final = model.steps[-1][1]
        if not has_fit_parameter(final, "sample_weight"):
            raise TypeError(f"{type(final).__name__}.fit does not take sample_weight.")
        for name, step in model.steps:
            if step not in (None, "passthrough") and has_fit_parameter(
                step, "sample_weight"
            ):
                params[name]["sample_weight"] = sample_weight
    return params


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


def holdout(X, y, step_params, fraction, stratify, rng):
    """``(train, valid)``: ``train`` as ``(X, y, step_params)`` for
    :class:`Problem`, ``valid`` as ``(X, y, sample_weight)`` of the held-out
    ``fraction`` of the rows (stratified on ``y`` if ``stratify``)."""
    train, valid = train_test_split(
        np.arange(_num_samples(X)),
        test_size=fraction,
        stratify=y if stratify else None,
        random_state=rng.randint(np.iinfo(np.int32).max),
    )

    def part(rows):
        params = {
            name: _check_method_params(X, params, rows)
            for name, params in step_params.items()
        }
        return _safe_indexing(X, rows), _safe_indexing(y, rows), params

    X_valid, y_valid, valid_params = part(valid)
    last = list(valid_params.values())[-1]
    return part(train), (X_valid, y_valid, last.get("sample_weight"))
