"""One BLAS thread for the many small products of pruning a narrow model.

Pruning a model of a few hundred columns runs thousands of small BLAS calls (the
Hessian, the OBS downdates, the repairs' refits). Split over threads, each call
waits for the pool to wake up, and numpy's and scipy's separate OpenBLAS pools
wait on each other's spinning threads, so a narrow model's fit is several times
slower than on one thread (``bench/weight_pruning/bench_overhead.py``). Wider
inputs keep every thread: their d x d inverse gains from them.
"""

import contextlib

from threadpoolctl import ThreadpoolController

# Hessians up to this width are inverted and downdated on one thread
SINGLE_THREAD_WIDTH = 1024

_controller = None


def blas_threads(width):
    """A context limiting BLAS to one thread when ``width`` (the number of
    weights per output) is at most :data:`SINGLE_THREAD_WIDTH`; otherwise a no-op.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.utils._threads import blas_threads
    >>> with blas_threads(130):
    ...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
    9.0
    """
    if width > SINGLE_THREAD_WIDTH:
        return contextlib.nullcontext()
    return one_blas_thread()


def one_blas_thread():
    """A context limiting every BLAS library to one thread."""
    global _controller
    if _controller is None:  # created on first use: every BLAS is loaded by then
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
