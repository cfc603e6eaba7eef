"""Tables as users hand them over: pandas and polars DataFrames, taken as they are.

scikit-learn's ``check_array`` casts a frame to one numpy dtype, which changes or
refuses mixed columns (datetimes, nullable integers, categories next to numbers).
A selector needs no cast: it takes whole columns.
"""

import numpy as np


def is_pandas_frame(X):
    return type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "iloc")


def is_polars_frame(X):
    return type(X).__module__.split(".")[0] == "polars" and hasattr(X, "select")


def is_frame(X):
    """Whether ``X`` is a pandas or polars DataFrame."""
    return is_pandas_frame(X) or is_polars_frame(X)


def select_columns(X, mask):
    """The columns of frame ``X`` where ``mask`` is True, dtypes unchanged."""
    if is_polars_frame(X):
        return X.select([c for c, keep in zip(X.columns, mask, strict=True) if keep])
    return X.iloc[:, np.flatnonzero(mask)]
