"""Every private scikit-learn import of the package, so one file changes with it."""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import _check_sample_weight, _check_y

__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "_check_sample_weight",
    "_check_y",
    "_fit_context",
    "_get_output_config",
]
