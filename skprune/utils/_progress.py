"""Progress of long loops: a tqdm bar at ``verbose >= 1``, nothing otherwise.

tqdm is a core dependency: pure Python, no dependencies of its own, and already
what skorch, dask and most of the PyData stack show; bars go to stderr and are
removed when done (``leave=False``), so logs keep only the summary lines.
"""

import sys


class _Quiet:
    """What a bar offers, doing nothing (``verbose=0``)."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


QUIET = _Quiet()


def progress_bar(estimator, total, desc):
    """A bar of ``total`` steps for ``estimator`` (quiet unless it is verbose)."""
    if not getattr(estimator, "verbose", 0):
        return _Quiet()
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=f"[{type(estimator).__name__}] {desc}",
        leave=False,
        file=sys.stderr,
        dynamic_ncols=True,
    )
