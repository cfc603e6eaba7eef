"""How WeightPrunerCV chooses among its candidates, from the fold scores.

The folds score every (ranking model, sparsity, repair penalty, strength).
:func:`clearly_better` is the one-standard-error rule that keeps a default
ranking model and penalty unless another wins beyond the folds' noise;
:func:`results_table` lays the scores out as ``cv_results_``; :class:`NegLogLoss`
is the default score of classifiers.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import log_loss, make_scorer

from skprune.weight_pruning._models import known
from skprune.weight_pruning._solvers import probabilities

# "auto" rankings: below this many rows per column, the weights of a 10x more
# shrunk model are ranked too, and a halving schedule is tried
_ROWS_PER_COLUMN = 2.5


def ranking_options(rankings, shape, has_param):
    """The ranking options a CV tries, (selection multiplier, schedule) pairs
    (a schedule: a number of cubic steps, or ``"halving"``); the first is the
    default, kept unless another is :func:`clearly_better`.

    ``"auto"`` on fewer than 2.5 rows per column (``shape``): the 10x more
    shrunk model first, the model as given beside it, each on one step and on
    the halving schedule; else the model as given, one step. Without a
    regularisation parameter (``has_param``) there is nothing to shrink: every
    multiplier is 1.

    Examples
    --------
    >>> from skprune.weight_pruning._choice import ranking_options
    >>> ranking_options("auto", (100, 300), True)
    [(10.0, 1), (1.0, 1), (10.0, 'halving'), (1.0, 'halving')]
    >>> ranking_options("auto", (1000, 300), True)
    [(1.0, 1)]
    >>> ranking_options([(1, 3), (10, "halving")], (1000, 300), False)
    [(1.0, 3), (1.0, 'halving')]
    """
    if isinstance(rankings, str):  # "auto"
        few_rows = shape[0] < _ROWS_PER_COLUMN * shape[1]
        multipliers = [10.0, 1.0] if few_rows else [1.0]
        schedules = [1, "halving"] if few_rows else [1]
        rankings = [(m, steps) for steps in schedules for m in multipliers]
    options = []
    for option in rankings:
        if not _is_ranking(option):
            raise ValueError(
                "rankings must be 'auto' or a list of (selection_strength, "
                "n_steps) pairs: a positive multiplier of the model's shrinkage "
                "(1: as given) and a number of steps (an int >= 1) or "
                f"'halving'; got {option!r} in {rankings!r}."
            )
        multiplier = float(option[0]) if has_param else 1.0
        steps = option[1] if option[1] == "halving" else int(option[1])
        if (multiplier, steps) not in options:
            options.append((multiplier, steps))
    if not options:
        raise ValueError(
            "rankings must name at least one (selection_strength, n_steps) pair."
        )
    return options


def _is_ranking(option):
    """Whether ``option`` is a (positive number, int >= 1 or "halving") pair."""
    if not isinstance(option, (tuple, list)) or len(option) != 2:
        return False
    multiplier, steps = option
    number = isinstance(multiplier, Real) and not isinstance(multiplier, bool)
    if not (number and np.isfinite(multiplier) and multiplier > 0):
        return False
    if isinstance(steps, str):
        return steps == "halving"
    return isinstance(steps, Integral) and not isinstance(steps, bool) and steps >= 1


def skipped_last(mean_scores):
    """Mean fold scores with those of candidates some fold skipped (NaN: its
    chain of strengths had stopped) at -inf, never chosen.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._choice import skipped_last
    >>> skipped_last(np.array([-0.4, np.nan]))
    array([-0.4, -inf])
    """
    return np.where(np.isnan(mean_scores), -np.inf, mean_scores)


def sparsest_within(mean, dense, tolerance, levels):
    """Index of the sparsest level whose best mean score (``mean``: selections,
    levels, candidates) is within ``tolerance`` of the dense model's mean
    score; the first level without a tolerance, and with a warning when none
    is within it."""
    if tolerance is None:
        return 0
    best_per_level = skipped_last(mean).max(axis=(0, 2))
    within = np.flatnonzero(best_per_level >= dense - tolerance)
    if within.size:
        return int(within[-1])
    warnings.warn(
        f"No sparsity tried keeps the CV score within tolerance={tolerance} of "
        f"the dense model's ({dense:.4f}); keeping the least sparse, "
        f"{levels[0]:.3f} (score {best_per_level[0]:.4f}).",
        UserWarning,
        stacklevel=5,  # the caller of WeightPrunerCV.fit
    )
    return 0


def sparsest_within_one_se(scores):
    """Index of the sparsest level whose best mean score is within one standard
    error of the best level's (``scores``: folds, selections, levels,
    candidates; levels from the least sparse): the one-standard-error rule,
    which prefers the smaller model the folds cannot tell from the best.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._choice import sparsest_within_one_se
    >>> folds = np.array([[0.90, 0.91, 0.85], [0.92, 0.90, 0.84], [0.91, 0.92, 0.86]])
    >>> sparsest_within_one_se(folds[:, None, :, None])  # level 1, not the last
    1
    """
    best_per_level = skipped_last(scores.mean(axis=0)).max(axis=(0, 2))
    best = int(np.argmax(best_per_level))
    mean = skipped_last(scores[:, :, best].mean(axis=0))
    selection, candidate = np.unravel_index(int(np.argmax(mean)), mean.shape)
    folds = scores[:, selection, best, candidate]
    error = folds.std(ddof=1) / np.sqrt(len(folds)) if len(folds) > 1 else 0.0
    within = np.flatnonzero(best_per_level >= best_per_level[best] - error)
    return int(within[-1])


def results_table(folds, rankings, levels, candidates, param):
    """``cv_results_``: one entry per (ranking: selection strength and
    schedule, sparsity, penalty, strength ``param``), from the folds' ``(dense
    score, scores, nonzeros)``, scores and nonzeros of shape (rankings, levels,
    candidates)."""
    multipliers = np.array([multiplier for multiplier, _ in rankings])
    schedules = np.array([steps for _, steps in rankings], dtype=object)
    scores = np.stack([fold[1] for fold in folds])
    mean = scores.mean(axis=0)
    penalties = np.array([shrinkage.penalty for shrinkage, _ in candidates], object)
    n_selections, n_candidates = len(multipliers), len(candidates)
    n_rows = len(levels) * n_candidates
    dense = np.array([fold[0] for fold in folds])
    return {
        "param_selection_strength": np.repeat(multipliers, n_rows),
        "param_n_steps": np.repeat(schedules, n_rows),
        "param_sparsity": np.tile(np.repeat(levels, n_candidates), n_selections),
        "param_penalty": np.tile(penalties, len(levels) * n_selections),
        f"param_{param}": np.tile(
            np.array([value for _, value in candidates]),
            len(levels) * n_selections,
        ),
        **{
            f"split{k}_test_score": fold_scores.ravel()
            for k, fold_scores in enumerate(scores)
        },
        "mean_test_score": mean.ravel(),
        "std_test_score": scores.std(axis=0).ravel(),
        "rank_test_score": _rank(skipped_last(mean.ravel())),
        "mean_n_nonzero": np.mean([fold[2] for fold in folds], axis=0).ravel(),
        "dense_test_score": np.full(mean.size, dense.mean()),
    }


class NegLogLoss:
    """The ``neg_log_loss`` scorer, as scikit-learn's with ``labels`` given, without
    its input checks: a fold scores tens of candidates, and on a small test part
    those checks are most of each call."""

    def __init__(self, labels):
        self.labels = labels
        self.scorer = make_scorer(
            log_loss,
            greater_is_better=False,
            response_method="predict_proba",
            labels=labels,
        )

    def __call__(self, model, X, y, sample_weight=None):
        if len(model.classes_) != len(self.labels) or np.ndim(y) != 1:
            return self.scorer(model, X, y, sample_weight=sample_weight)
        return self._of(model.predict_proba(X), model.classes_, y, sample_weight)

    def _of(self, proba, classes, y, sample_weight):
        codes = np.searchsorted(classes, y)
        eps = np.finfo(proba.dtype).eps
        picked = np.clip(proba[np.arange(len(codes)), codes], eps, 1 - eps)
        return -float(np.average(-np.log(picked), weights=sample_weight))

    def weights_scorer(self, final, X, y, sample_weight=None):
        """A function of ``(coef, intercept)`` (2-D / 1-D) giving the score of
        fitted ``final`` with those weights on dense ``X``, computing
        LogisticRegression's probabilities itself (a deep copy and a
        ``predict_proba`` with its checks cost ten times the product on a
        small fold); None for any other model or input."""
        if (
            not known(final).own_solvers
            or not isinstance(X, np.ndarray)
            or len(final.classes_) != len(self.labels)
            or np.ndim(y) != 1
        ):
            return None
        X = np.asarray(X, dtype=np.float64)

        def score(coef, intercept):
            used = np.flatnonzero(np.any(coef != 0, axis=0))
            decision = X[:, used] @ coef[:, used].T + intercept
            proba = probabilities(decision)
            return self._of(proba, final.classes_, y, sample_weight)

        return score


def clearly_better(scores, reference=0):
    """The option to use, from fold scores (folds, options, strengths):
    ``reference`` (the default) unless another, each at its best strength,
    beats it by more than the standard error of their paired fold differences
    (on a table with thousands of rows the options differ by less than the
    folds do, and a plain argmax then picks by chance). The options: ranking
    models (selection strengths), or repair penalties.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._choice import clearly_better
    >>> folds = np.array([[-0.50, -0.49], [-0.52, -0.53], [-0.51, -0.505]])
    >>> clearly_better(folds[:, :, None])  # ahead on average, within the noise
    0
    >>> clearly_better(folds[:, :, None] + [[0.0], [0.05]])
    1
    """
    at_best = skipped_last(scores.mean(axis=0)).argmax(axis=1)
    best = scores[:, np.arange(scores.shape[1]), at_best]
    gains = best - best[:, reference : reference + 1]  # (folds, selections)
    if len(gains) < 2:
        return int(np.argmax(gains.mean(axis=0)))
    clear = gains.mean(axis=0) - gains.std(axis=0, ddof=1) / np.sqrt(len(gains))
    clear[reference] = 0.0
    return int(np.argmax(clear)) if clear.max() > 0 else reference


def _rank(values):
    """1 for the best (largest) value, ties sharing the smallest rank."""
    order = np.sort(values)[::-1]
    return np.searchsorted(-order, -values, side="left") + 1
