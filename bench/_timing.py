"""Timing shared by the benchmarks: the median of several runs."""

import statistics
import time


def timed(fn, repeats=3):
    """``(median seconds over repeats, the last result)`` of calling ``fn()``."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def median_time(fn, repeats=3):
    """Median seconds of ``fn()`` over ``repeats`` runs."""
    return timed(fn, repeats)[0]
