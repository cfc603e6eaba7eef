"""What pruning bought, measured on what the user ships: ``report()``'s table."""

import pickle
import time

import numpy as np
import pandas as pd

COLUMNS = ["parameters", "bytes", "predict_seconds", "flops_per_row", "score"]


def pickled_bytes(obj):
    """Size of ``obj`` pickled as a user would store it (highest protocol)."""
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def median_seconds(function, repeats):
    """Median wall time of ``function()`` over ``repeats`` calls, after one
    untimed call (first-call costs: imports, allocations, compiled kernels).

    Examples
    --------
    >>> from skprune.utils._report import median_seconds
    >>> median_seconds(lambda: sum(range(10)), repeats=3) < 1.0
    True
    """
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def report_frame(dense, pruned):
    """The table of ``report()``: rows ``dense`` and ``pruned`` from two dicts
    keyed by :data:`COLUMNS` (a missing key is NaN).

    Examples
    --------
    >>> from skprune.utils._report import report_frame
    >>> report_frame({"parameters": 10, "bytes": 800}, {"parameters": 2, "bytes": 400})
            parameters  bytes  predict_seconds  flops_per_row  score
    dense         10.0  800.0              NaN            NaN    NaN
    pruned         2.0  400.0              NaN            NaN    NaN
    """
    return pd.DataFrame(
        [dense, pruned], index=["dense", "pruned"], columns=COLUMNS, dtype=float
    )
