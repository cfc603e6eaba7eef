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
- :data:`MODELS` / :func:`known`: one :class:`ModelInfo` per class - its
  link, its L1 and L2 settings and L2 strength, its loss's curvature, whether
  its repair warm-starts and skprune's own solvers apply; :func:`link` and
  :func:`l2_strength` read it.

The repairs (``_repair.py``, ``_shrinkage.py``), the Hessians (``_hessian.py``),
the swaps, the CV and prediction (``_predict.py``) read these; no other module
names a model class.
"""

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
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


def _logistic_l1(model, n_classes):
    solver = "liblinear" if n_classes <= 2 else "saga"
    return logistic_settings(model, 1.0, solver=solver)


def _logistic_l2(model, n_classes):
    if own_params(model)["solver"] != "liblinear":
        return logistic_settings(model, 0.0)
    return logistic_settings(model, 0.0, solver="lbfgs")


def _logistic_l2_strength(params, n_samples):
    l1_ratio, C = logistic_penalty(params)
    return 0.0 if not np.isfinite(C) else (1.0 - l1_ratio) / C


def _sgd_l2_strength(params, n_samples):
    if params["penalty"] is None:
        return 0.0
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(params["penalty"], params["l1_ratio"])
    return n_samples * params["alpha"] * (1 - l1_ratio)


def _settings(settings):
    """A penalty's settings that hold for every model of the class."""
    return lambda model, n_classes: settings


@dataclass(frozen=True)
class ModelInfo:
    """What skprune knows about a scikit-learn linear model class.

    link : {"logistic", "margin", "identity", "log"} or None
        How predictions follow from the decision scores ``X @ coef.T +
        intercept``: a classifier's sign or argmax (``"logistic"``: also its
        probabilities by expit / softmax), the scores, their ``exp``; None: the
        model's own methods read them out.
    l1, l2 : callable or None
        ``(model, n_classes) -> settings`` that give the repair an L1 / L2
        penalty (None from the callable: not for that model).
    l2_strength : callable
        ``(params, n_samples) ->`` the L2 penalty's weight in the loss summed
        over the rows (0: none), as the repair and the Hessian add it.
    curvature : callable
        ``params ->`` the loss whose second derivative weighs the Hessian's
        rows: ``"logistic"``, ``"squared_hinge"``, or None (squared loss).
    warm_start : bool
        The repair's refit starts from the pruned weights.
    own_solvers : bool
        skprune's logistic solvers (Newton and L1 repairs, the multinomial
        repair of per-class masks, swaps, the folds' probability scorer) apply.
    """

    link: str | None = None
    l1: Callable | None = None
    l2: Callable | None = None
    l2_strength: Callable = lambda params, n_samples: 0.0
    curvature: Callable = lambda params: None
    warm_start: bool = False
    own_solvers: bool = False


_SGD = ModelInfo(
    l1=_settings({"penalty": "l1"}),
    l2=_settings({"penalty": "l2"}),
    l2_strength=_sgd_l2_strength,
)
_IDENTITY = ModelInfo(link="identity")

# every class skprune knows more of than "a linear model with coef_"; a class
# not named here (or a subclass of one) is pruned as a generic linear model
MODELS = {
    "LogisticRegression": ModelInfo(
        link="logistic",
        l1=_logistic_l1,
        l2=_logistic_l2,
        l2_strength=_logistic_l2_strength,
        curvature=lambda params: "logistic",
        warm_start=True,
        own_solvers=True,
    ),
    "LinearSVC": ModelInfo(
        link="margin",
        l1=lambda model, n_classes: (
            {"penalty": "l1", "dual": False}
            if own_params(model)["loss"] == "squared_hinge"
            else None
        ),
        l2=_settings({"penalty": "l2"}),
        l2_strength=lambda params, n_samples: 1.0 / (2.0 * params["C"]),
        curvature=lambda params: (
            "squared_hinge" if params["loss"] == "squared_hinge" else None
        ),
    ),
    "SGDClassifier": dataclasses.replace(
        _SGD,
        link="margin",
        curvature=lambda params: "logistic" if params["loss"] == "log_loss" else None,
    ),
    "SGDRegressor": dataclasses.replace(_SGD, link="identity"),
    "Perceptron": ModelInfo(
        link="margin", l1=_SGD.l1, l2=_SGD.l2
    ),  # its loss has no L2 term to add
    "PassiveAggressiveClassifier": ModelInfo(link="margin"),
    "RidgeClassifier": ModelInfo(
        link="margin",
        l2=_settings({}),
        l2_strength=lambda params, n_samples: float(params["alpha"]),
    ),
    "RidgeClassifierCV": ModelInfo(link="margin"),
    "Ridge": ModelInfo(
        link="identity",
        l2=_settings({}),
        l2_strength=lambda params, n_samples: float(params["alpha"]),
    ),
    "Lasso": ModelInfo(link="identity", l1=_settings({}), warm_start=True),
    "ElasticNet": ModelInfo(
        link="identity",
        l1=_settings({}),
        l2_strength=lambda params, n_samples: (
            n_samples * params["alpha"] * (1 - params["l1_ratio"])
        ),
        warm_start=True,
    ),
    **dict.fromkeys(
        (
            "LinearRegression",
            "RidgeCV",
            "LassoCV",
            "ElasticNetCV",
            "Lars",
            "LassoLars",
            "LinearSVR",
            "HuberRegressor",
            "QuantileRegressor",
        ),
        _IDENTITY,
    ),
    **dict.fromkeys(("PoissonRegressor", "GammaRegressor"), ModelInfo(link="log")),
}
_GENERIC = ModelInfo()


def known(model):
    """The :class:`ModelInfo` of ``model``'s scikit-learn class (a generic
    linear model's for a class not in :data:`MODELS`).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, TweedieRegressor
    >>> from skprune.weight_pruning._models import known
    >>> class MyLR(LogisticRegression):
    ...     pass
    >>> known(MyLR()).own_solvers, known(TweedieRegressor()).link
    (True, None)
    """
    return MODELS.get(model_kind(model), _GENERIC)


def l2_strength(model, n_samples):
    """The L2 penalty's weight in the model's loss summed over ``n_samples``
    rows (0: none), as its repair and Hessian add it."""
    return known(model).l2_strength(own_params(model), n_samples)


def link(model):
    """:class:`ModelInfo`'s ``link`` of ``model``, or None where the model
    has a rule of its own: a subclass's own ``predict``, a multilabel
    RidgeClassifier.

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
    found = known(model).link
    binarizer = getattr(model, "_label_binarizer", None)  # RidgeClassifier's
    if getattr(binarizer, "y_type_", "").startswith("multilabel"):
        return None  # each column a label of its own
    return found
