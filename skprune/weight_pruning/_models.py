"""What skprune knows about a model class, matched so that subclasses inherit it.

scikit-learn's classes are recognised by the first scikit-learn class in a
model's method resolution order: a user's ``class MyLR(LogisticRegression)`` is
a LogisticRegression here, while ``LogisticRegressionCV`` (also a subclass, with
other parameters) is its own class, which skprune treats as a generic linear
model.

- :func:`model_kind`: the scikit-learn class a model is;
- :func:`logistic_penalty` / :func:`logistic_settings`: a LogisticRegression's
  penalty, read and set in any spelling;
- :func:`own_params`: a model's parameters, read fast;
- :func:`is_columnwise` / :func:`affine_steps`: the Pipeline steps that map
  columns one to one, and the affine map of the scalers among them;
- :func:`link`: how a model turns its decision scores into predictions.

The repairs' penalties per class (``_shrinkage.py``) and the Hessians per loss
(``_hessian.py``) read these.
"""

import inspect
from functools import cache

import numpy as np


@cache
def _sklearn_class(cls):
    for base in cls.__mro__:
        if base.__module__.split(".")[0] == "sklearn":
            return base
    return cls


def _sklearn_class_name(cls):
    return _sklearn_class(cls).__name__


_PREDICTIONS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


@cache
def _predicts_as_its_base(cls):
    base = _sklearn_class(cls)
    return all(getattr(cls, m, None) is getattr(base, m, None) for m in _PREDICTIONS)


def model_kind(model):
    """The name of the scikit-learn class ``model`` is (or derives from).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    >>> from skprune.weight_pruning._models import model_kind
    >>> class MyLR(LogisticRegression):
    ...     pass
    >>> model_kind(MyLR()), model_kind(LogisticRegressionCV())
    ('LogisticRegression', 'LogisticRegressionCV')
    """
    return _sklearn_class_name(type(model))


def logistic_penalty(params):
    """``(l1_ratio, C)`` of a LogisticRegression's parameters, whichever way the
    penalty is spelled: ``penalty="l1"`` / ``"l2"`` / ``"elasticnet"`` / None
    (deprecated in scikit-learn 1.8) or ``l1_ratio`` and ``C`` (``C=inf``: no
    penalty).

    Examples
    --------
    >>> from skprune.weight_pruning._models import logistic_penalty
    >>> logistic_penalty({"penalty": "l1", "l1_ratio": 0.0, "C": 2.0})
    (1.0, 2.0)
    >>> logistic_penalty({"penalty": "deprecated", "l1_ratio": 0.5, "C": 1.0})
    (0.5, 1.0)
    >>> logistic_penalty({"penalty": None, "l1_ratio": None, "C": 1.0})
    (0.0, inf)
    """
    penalty, C = params.get("penalty", "deprecated"), float(params["C"])
    ratio = params.get("l1_ratio")
    ratio = 0.0 if ratio is None else float(ratio)
    if penalty is None:
        return 0.0, np.inf
    if penalty in ("l1", "l2"):
        ratio = 1.0 if penalty == "l1" else 0.0
    return ratio, C


@cache
def _penalty_deprecated(cls):
    init = inspect.signature(cls.__init__).parameters
    return "penalty" in init and init["penalty"].default == "deprecated"


def logistic_settings(model, l1_ratio, **others):
    """Parameters that give a LogisticRegression this ``l1_ratio``, in the
    spelling its scikit-learn version takes (``penalty`` reset where it is
    deprecated, so the user's own spelling cannot contradict the repair's).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skprune.weight_pruning._models import logistic_settings
    >>> settings = logistic_settings(LogisticRegression(), 1.0, solver="saga")
    >>> settings["l1_ratio"], settings["solver"]
    (1.0, 'saga')
    """
    if _penalty_deprecated(type(model)):
        return {"penalty": "deprecated", "l1_ratio": l1_ratio, **others}
    penalty = {1.0: "l1", 0.0: "l2"}.get(l1_ratio, "elasticnet")
    return {"penalty": penalty, "l1_ratio": l1_ratio, **others}


# Pipeline steps that map each input column to one output column by fitted
# per-column arrays: the pruner folds them into the weights, and a reduced
# model keeps them restricted to the kept columns
_COLUMNWISE = ("StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler")


def is_columnwise(step):
    """Whether a Pipeline step maps columns one to one (a scaler, or nothing).

    Examples
    --------
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from skprune.weight_pruning._models import is_columnwise
    >>> is_columnwise(StandardScaler()), is_columnwise(OneHotEncoder())
    (True, False)
    """
    return step is None or step == "passthrough" or model_kind(step) in _COLUMNWISE


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
    >>> from skprune.weight_pruning._models import own_params
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


def l2_strength(model, n_samples):
    """The L2 penalty's weight in the model's loss summed over ``n_samples``
    rows (0: none), as its repair and Hessian add it."""
    name = model_kind(model)
    params = own_params(model)
    if name in ("Ridge", "RidgeClassifier"):
        return float(params["alpha"])
    if name == "ElasticNet":
        return n_samples * params["alpha"] * (1 - params["l1_ratio"])
    if name.startswith("SGD"):
        l1_ratio = {"l2": 0.0, "l1": 1.0}.get(params["penalty"], params["l1_ratio"])
        return (
            0.0
            if params["penalty"] is None
            else n_samples * params["alpha"] * (1 - l1_ratio)
        )
    if name == "LogisticRegression":
        l1_ratio, C = logistic_penalty(params)
        return 0.0 if not np.isfinite(C) else (1.0 - l1_ratio) / C
    if name == "LinearSVC":
        return 1.0 / (2.0 * params["C"])
    return 0.0


# how a model's predictions follow from its decision scores ``X @ coef.T +
# intercept``, for the classes whose rule is plain; any other model (and these
# in a setting with a rule of its own) is read out by its own methods
_LINKS = {
    **dict.fromkeys(
        (
            "LogisticRegression",
            "SGDClassifier",
            "LinearSVC",
            "Perceptron",
            "PassiveAggressiveClassifier",
            "RidgeClassifier",
            "RidgeClassifierCV",
        ),
        "margin",
    ),
    **dict.fromkeys(
        (
            "LinearRegression",
            "Ridge",
            "RidgeCV",
            "Lasso",
            "LassoCV",
            "ElasticNet",
            "ElasticNetCV",
            "Lars",
            "LassoLars",
            "SGDRegressor",
            "LinearSVR",
            "HuberRegressor",
            "QuantileRegressor",
        ),
        "identity",
    ),
    **dict.fromkeys(("PoissonRegressor", "GammaRegressor"), "log"),
}


def link(model):
    """``"margin"`` (a linear classifier: the sign or the argmax of its scores
    picks the class), ``"identity"`` (a linear regressor), ``"log"`` (a GLM
    predicting ``exp`` of its scores), or None (read out by the model itself).

    Examples
    --------
    >>> from sklearn.linear_model import PoissonRegressor, Ridge, RidgeClassifier
    >>> from sklearn.linear_model import TweedieRegressor
    >>> from skprune.weight_pruning._models import link
    >>> link(RidgeClassifier()), link(Ridge()), link(PoissonRegressor())
    ('margin', 'identity', 'log')
    >>> link(TweedieRegressor()) is None  # its link is a parameter
    True
    >>> class Shifted(Ridge):
    ...     def predict(self, X):
    ...         return super().predict(X) + 1
    >>> link(Shifted()) is None  # a subclass's own predict is its own rule
    True
    """
    if not _predicts_as_its_base(type(model)):
        return None
    found = _LINKS.get(model_kind(model))
    binarizer = getattr(model, "_label_binarizer", None)  # RidgeClassifier's
    if getattr(binarizer, "y_type_", "").startswith("multilabel"):
        return None  # each column a label of its own
    return found
