"""What skprune knows about a model class, matched so that subclasses inherit it.

scikit-learn's classes are recognised by the first scikit-learn class in a
model's method resolution order: a user's ``class MyLR(LogisticRegression)`` is
a LogisticRegression here, while ``LogisticRegressionCV`` (also a subclass, with
other parameters) is its own class, which skprune treats as a generic linear
model.
"""

import inspect
from functools import cache

import numpy as np


@cache
def _sklearn_class_name(cls):
    for base in cls.__mro__:
        if base.__module__.split(".")[0] == "sklearn":
            return base.__name__
    return cls.__name__


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
