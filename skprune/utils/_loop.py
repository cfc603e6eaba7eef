"""What every pruner's loop shares: its step names and the tolerance rule.

Each pruner runs ``_score_units`` (importance), ``_remove_units``, ``_repair``
and ``_evaluate`` (a ``history_`` record), step after step, and stops on
:func:`beyond_tolerance`. Every record of ``history_`` holds :data:`SHARED_KEYS`,
then the family's own.
"""

SHARED_KEYS = ("step", "n_removed", "score_before_repair", "score", "seconds")


def beyond_tolerance(baseline, score, tolerance):
    """Whether a step's repaired ``score`` fell more than ``tolerance`` below
    ``baseline`` (never without a tolerance): the step is then undone and the
    pruning stops.

    Examples
    --------
    >>> from skprune.utils._loop import beyond_tolerance
    >>> beyond_tolerance(0.90, 0.87, 0.02), beyond_tolerance(0.90, 0.89, 0.02)
    (True, False)
    >>> beyond_tolerance(0.90, 0.10, None)
    False
    """
    return tolerance is not None and baseline - score > tolerance
