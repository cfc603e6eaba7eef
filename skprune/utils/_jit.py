"""Compiled kernels that import numba on their first call, not with skprune.

``@njit(...)`` here records the function and numba's options; the first call
imports numba, compiles (or loads from numba's cache) and from then on calls
numba's dispatcher. ``import skprune`` so stays as quick as importing
scikit-learn, and small inputs, which take numpy paths, never import numba.

At the first call the kernel's module is readied for numba: every other lazy
kernel among its globals is replaced by its dispatcher (numba can only call
numba functions) and ``prange`` becomes ``numba.prange`` (a parallel loop).
"""

import functools

prange = range  # numba.prange in a module whose kernels were compiled


class LazyKernel:
    """A function compiled by ``numba.njit(**options)`` on its first call."""

    def __init__(self, function, options):
        self.py_func = function
        self.options = options
        self._dispatcher = None
        functools.update_wrapper(self, function)

    def dispatcher(self):
        """numba's dispatcher of the function (created once)."""
        if self._dispatcher is None:
            import numba

            self._dispatcher = numba.njit(**self.options)(self.py_func)
            namespace = self.py_func.__globals__
            if namespace.get("prange") is range:
                namespace["prange"] = numba.prange
            for name, value in list(namespace.items()):
                if isinstance(value, LazyKernel):
                    namespace[name] = value.dispatcher()
        return self._dispatcher

    def __call__(self, *args):
        return self.dispatcher()(*args)


def njit(**options):
    """``numba.njit(**options)``, deferred to the function's first call.

    Examples
    --------
    >>> from skprune.utils._jit import njit
    >>> @njit(cache=False)
    ... def twice(x):
    ...     return 2 * x
    >>> twice(21)
    42
    """

    def decorate(function):
        return LazyKernel(function, options)

    return decorate
