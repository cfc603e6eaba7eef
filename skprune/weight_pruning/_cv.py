"""WeightPrunerCV: the repair's shrinkage, and the sparsity, chosen by CV.

The RFECV of weight pruning. Inside each fold the dense model is fitted, one
pruning path is computed (it serves every sparsity tried), and each level is
repaired with every strength of the shrinkage grid, warm-started from the
previous one; the held-out part of the fold scores them. Choosing the refit's
strength by a CV on columns that were selected on all the data is
over-optimistic, hence the pruning rerun inside each fold. The winner is then
fitted on all the data.
"""

import functools
import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from skprune.utils._compat import Interval, StrOptions, _fit_context
from skprune.utils._threads import blas_threads
from skprune.utils._validation import report
from skprune.weight_pruning._choice import (
    NegLogLoss,
    clearly_better,
    ranking_options,
    results_table,
    skipped_last,
    sparsest_within,
    sparsest_within_one_se,
)
from skprune.weight_pruning._folds import fold_scores
from skprune.weight_pruning._linear import Problem, final_step
from skprune.weight_pruning._models import known
from skprune.weight_pruning._pruner import WeightPruner
from skprune.weight_pruning._repair import as_2d, repair_problem
from skprune.weight_pruning._schedule import cubic_schedule, halving_schedule
from skprune.weight_pruning._shrinkage import Shrinkage

# WeightPruner's parameters the CV does not take (class attributes below)
_PINNED = (
    "refit",
    "validation_fraction",
    "prefit",
    "block_fraction",
    "damping",
    "n_steps",
)

# with a tolerance, the sparsities tried: these fractions of ``sparsity``
_LEVELS = np.arange(1, 11) / 10


def _check_fold_weights(splits, step_params):
    """A clear error for a fold whose held-out rows weigh nothing (it cannot
    be scored), rather than the scorer's division by zero."""
    weight = list(step_params.values())[-1].get("sample_weight")
    if weight is None:
        return
    weight = np.asarray(weight, dtype=np.float64)
    if not weight.sum() > 0:  # the wrapped model's own error says it
        return
    for k, (_, test) in enumerate(splits):
        if not weight[test].sum() > 0:
            raise ValueError(
                f"CV fold {k}: every held-out row has sample_weight 0, so the "
                "fold cannot be scored. Shuffle the folds (e.g. "
                "cv=StratifiedKFold(5, shuffle=True, random_state=0)), use "
                "fewer folds, or drop the rows of weight 0."
            )


class WeightPrunerCV(WeightPruner):
    """Weight pruning whose repair (and, with ``tolerance``, sparsity) is tuned by CV.

    The RFECV / LogisticRegressionCV of weight pruning. For every CV fold, the
    wrapped model is fitted on the fold's training part and pruned (one pruning
    path serves every sparsity tried); the surviving weights are then refitted
    with a penalty of each strength in a grid on the model's own scale (``C`` or
    ``alpha``), L1 and L2 where the model takes both, and scored on the held-out
    part. The best penalty and strength - and with ``tolerance``, the sparsest
    level whose score stays within it of the dense model's - are then fitted on
    all the data. An L1 refit can zero some kept weights too, so the model never
    has more nonzeros than ``sparsity`` allows.

    Parameters
    ----------
    estimator : estimator object
        A linear model, or a Pipeline whose last step is one, as for
        :class:`WeightPruner`.

    sparsity : float in [0, 1) or "auto", default="auto"
        Fraction of the units pruned; with ``tolerance``, an upper bound.
        ``"auto"``: the folds score tenths of the units pruned (up to all but
        one) and the sparsest level whose best CV score is within one standard
        error of the best level's is kept (the one-standard-error rule: the
        smallest model the folds cannot tell from the best). A float asks for
        that fraction, and costs a tenth of ``"auto"``'s repairs.

    strengths : int, array-like or dict, default=10
        The repair grid: values of the model's regularisation parameter (``C``
        or ``alpha``) tried, for each penalty tried. An int ``n``: ``n`` values
        spread log-evenly over 1/100 to 100 times the model's own value; an
        array: those values. Either is tried with L1 and with L2 where the
        model can take an L1 penalty (LogisticRegression - liblinear for two
        classes, saga otherwise -, LinearSVC with the squared hinge, SGD
        models, Perceptron), and L1 is kept only where its paired fold gain
        over L2 (each at its best strength) exceeds one standard error; L1
        only for Lasso and ElasticNet; L2 only for Ridge, RidgeClassifier and
        the multinomial repair of per-class masks. A dict ``{"l1": ..., "l2":
        ...}`` names the penalties tried, each with an int or values of its
        own (``{"l2": 10}``: L2 only). On many rows per column the L1 refit
        wins by selecting again among the kept weights; on few it drops
        weights it should keep. In each fold every penalty runs its values
        from the strongest shrinkage to the weakest and stops once two in a
        row score more than 2% below its best so far (those left score NaN in
        ``cv_results_``): the weakest L1 refits are the slowest. A model
        without a regularisation parameter (LinearRegression) has nothing to
        tune: only the sparsity is, with ``tolerance``.

    rankings : "auto" or list of (selection_strength, n_steps) pairs, \
default="auto"
        The pruning paths the folds compare; the first is kept unless another's
        paired fold gain (each at its best repair) exceeds one standard error.
        ``selection_strength``: how many times stronger than the model's own
        the shrinkage is of the model whose weights are ranked (``C / m`` or
        ``alpha * m``; 1: the model as given), as the relaxed lasso selects
        with a strong penalty and refits with a tuned one; models without a
        regularisation parameter rank as given. ``n_steps``: after each step
        of the path but the last, the survivors are refitted with the ranking
        model and ranked anew - an int for the cubic schedule of
        :class:`WeightPruner`'s ``n_steps``, or ``"halving"`` (each step prunes
        half the units left); a later step inverts the Hessian of the columns
        left only. ``"auto"``: ``[(1, 1)]``; with fewer than 2.5 rows per
        column (noisy weights), ``[(10, 1), (1, 1), (10, "halving"), (1,
        "halving")]``, about twice the CV time (the user guide has the
        measurements).

    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn (stratified folds for classifiers).

    scoring : str, callable or None, default=None
        The score to maximise. None: the log-loss (``"neg_log_loss"``) for
        classifiers with ``predict_proba`` - on small folds accuracy moves in
        steps and picks strengths by chance -, else the model's ``score``
        (accuracy, R^2).

    tolerance : float or None, default=None
        Largest allowed drop of the mean CV score from the dense model's. The
        sparsities ``sparsity * (0.1, 0.2, ..., 1.0)`` are tried, and the
        sparsest within tolerance (with its best strength) is kept.

    swaps : "auto" or bool, default="auto"
        After the final fit's repair, exchange kept columns for dropped ones
        while the repaired model's penalised training loss falls by more than
        abess's splicing threshold (best-subset splicing: the kept columns of
        least ``w**2 h / 2`` for the dropped ones of most ``g**2 / (2 h)``,
        then the best single exchange, each repaired). LogisticRegression
        with whole columns as units (two classes, or ``structure="feature"``).
        ``"auto"``: when at most 8 columns are kept (with more, the search
        fits the training rows rather than the table); True: at any number;
        False: never. The folds are not swapped: the CV's scores are those of
        the path. ``docs/benchmarks.md`` has the measurements.

    method, structure
        As in :class:`WeightPruner` (the OBS path at its default
        ``block_fraction`` and ``damping``).

    n_jobs : int or None, default=None
        Folds run in parallel (joblib).

    random_state : int, RandomState instance or None, default=None
        Seeds ``method="random"``, and the wrapped model and the repair's
        solver where they shuffle (liblinear, saga, SGD) and the model's own
        ``random_state`` is None, so that refits repeat.

    verbose : int, default=0
        A line per fold and for the choice (0: silent).

    Attributes
    ----------
    best_params_ : dict
        The chosen ``sparsity``, repair strength (key ``"C"`` or ``"alpha"``),
        ``penalty``, and the ranking's ``selection_strength`` and ``n_steps``
        (a number of steps, or ``"halving"``).

    best_score_ : float
        Mean CV score of the chosen setting.

    best_index_ : int
        Its row in ``cv_results_``.

    cv_results_ : dict of ndarrays
        One entry per (selection strength, schedule, sparsity, penalty,
        strength): ``param_selection_strength``, ``param_n_steps``,
        ``param_sparsity``, ``param_penalty``,
        ``param_C``/``param_alpha``, ``split{i}_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``mean_n_nonzero``; and ``dense_test_score``, the dense model's mean.
        A strength a fold skipped (see ``strengths``), or whose repair zeroed
        every weight there (the intercept-only model, not a pruned one), scores
        NaN there, as ``GridSearchCV``'s failed fits do, and ranks last.

    n_splits_ : int
        Number of CV folds.

    n_swaps_ : int
        Columns exchanged by ``swaps`` (0: none).

    estimator_, coef_, intercept_, mask_, sparsity_, support_, path_, history_, \
classes_, n_features_in_, feature_names_in_
        As in :class:`WeightPruner`, for the model fitted on all the data.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprune import WeightPrunerCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> pruner = WeightPrunerCV(model, sparsity=0.8, strengths=5).fit(X, y)
    >>> sorted(pruner.best_params_)
    ['C', 'n_steps', 'penalty', 'selection_strength', 'sparsity']
    >>> int(pruner.coef_.astype(bool).sum()) <= 6
    True
    >>> pruner.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in WeightPruner._parameter_constraints.items()
            if key not in _PINNED
        },
        "sparsity": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "strengths": [Interval(Integral, 1, None, closed="left"), "array-like", dict],
        "rankings": [StrOptions({"auto"}), list, tuple],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [Integral, None],
    }

    # fixed for the CV: always fitted and repaired, folds instead of a split,
    # the OBS path at WeightPruner's defaults, schedules in ``rankings``
    refit = True
    validation_fraction = None
    prefit = False
    block_fraction = 0.02
    damping = 1e-3
    n_steps = 1

    def __init__(
        self,
        estimator,
        *,
        sparsity="auto",
        strengths=10,
        rankings="auto",
        cv=5,
        scoring=None,
        tolerance=None,
        swaps="auto",
        method="obs",
        structure="unstructured",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.sparsity = sparsity
        self.strengths = strengths
        self.rankings = rankings
        self.cv = cv
        self.scoring = scoring
        self.tolerance = tolerance
        self.swaps = swaps
        self.method = method
        self.structure = structure
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Choose the repair's strength (and sparsity) by CV, then fit on all data.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`WeightPruner.fit`; also weighs the fold scores.

        **fit_params : dict
            As in :meth:`WeightPruner.fit`.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        X, y = self._validate_fit_data(X, y)
        step_params = self._step_params(sample_weight, fit_params)
        classifier = is_classifier(self.estimator)
        n_classes = len(np.unique(y)) if classifier and np.ndim(y) == 1 else 0
        coupled = (
            n_classes > 2
            and self.structure == "unstructured"
            and known(final_step(self.estimator)).own_solvers
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        candidates = Shrinkage.candidates(
            final_step(self.estimator), self.strengths, n_classes, coupled, seed
        )
        # the chosen penalty replaces the first once the folds have spoken
        self._shrinkage = candidates[0][0]
        rankings = ranking_options(
            self.rankings,
            X.shape,
            self._shrinkage.param is not None,
        )
        cv = check_cv(self.cv, y, classifier=classifier)
        splits = list(cv.split(X, y))
        _check_fold_weights(splits, step_params)
        scoring = self.scoring
        if scoring is None and classifier and hasattr(self.estimator, "predict_proba"):
            # smoother than accuracy on small folds; every class known, even one
            # a fold's test part lacks
            scorer = NegLogLoss(np.unique(y))
        else:
            scorer = check_scoring(self.estimator, scoring=scoring)
        self._start = time.perf_counter()
        # the fit on all the data first: it warm-starts the folds' fits
        self._wrapped = self._seeded_estimator()
        problem = Problem(self._wrapped, (X, y, step_params), classifier)
        start = (problem.final.coef_, problem.final.intercept_)
        self._dense_weights = as_2d(*start)  # for report()
        levels = self._levels(self._dense_weights[0])
        with blas_threads(problem.Z.shape[1]):
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(fold_scores)(
                    X,
                    y,
                    step_params,
                    fold,
                    estimator=self._wrapped,
                    selecting=self._selecting,
                    ranked_path=self._ranked_path,
                    structure=self.structure,
                    random_state=self.random_state,
                    scorer=scorer,
                    candidates=candidates,
                    levels=levels,
                    rankings=rankings,
                    start=start,
                )
                for fold in splits
            )
            self.n_splits_ = len(folds)
            self._choose(folds, candidates, levels, rankings)
            chosen, chosen_steps = rankings[self._chosen_selection]
            if chosen != 1.0:  # the weights ranked are a more shrunk model's
                estimator = self._selecting(chosen)
                problem = Problem(estimator, (X, y, step_params), classifier, start)
            rng = check_random_state(self.random_state)
            self.n_swaps_ = 0  # no repair when nothing is pruned
            # the final fit on all the data: the chosen sparsity, its ranking
            # and schedule, repaired at the chosen strength, no further check
            self._prune(
                problem,
                None,
                rng,
                sparsity=self._chosen[0],
                n_steps=1,  # the schedule's steps run inside the ranked path
                tolerance=None,
                repair_model=self._shrinkage.model(problem.final, self._chosen[1]),
                score_units=functools.partial(self._ranked_path, steps=chosen_steps),
                drop_zeroed=True,  # an L1 repair may zero kept weights
            )
        # the fitted model shows the penalty its weights were repaired with
        final_step(self.estimator_).set_params(
            **self._shrinkage.settings,
            **(
                {}
                if self._shrinkage.param is None
                else {self._shrinkage.param: self._chosen[1]}
            ),
        )
        self._fold_head()
        # fitted state is arrays, lists and dicts (skops trusts only the class)
        del self._start, self._chosen_selection, self._shrinkage
        del self._wrapped
        return self

    def _levels(self, coef):
        """The sparsities the folds score: ``sparsity`` alone; with
        ``tolerance`` or ``"auto"``, tenths of it (of every unit but one)."""
        n_units = coef.size if self.structure == "unstructured" else coef.shape[1]
        top = (n_units - 1) / n_units if self.sparsity == "auto" else self.sparsity
        if self.tolerance is None and self.sparsity != "auto":
            return np.array([top])
        return top * _LEVELS

    def _selecting(self, multiplier):
        """The wrapped model with its shrinkage ``multiplier`` times stronger."""
        if multiplier == 1.0 or self._shrinkage.param is None:
            return self._wrapped
        value = self._shrinkage.selection_value(multiplier)
        param = self._shrinkage.param
        if isinstance(self.estimator, Pipeline):
            param = f"{self.estimator.steps[-1][0]}__{param}"
        return clone(self._wrapped).set_params(**{param: value})

    def _choose(self, folds, candidates, levels, rankings):
        dense = np.array([fold[0] for fold in folds])
        # (folds, rankings, levels, candidates)
        scores = np.stack([fold[1] for fold in folds])
        mean = scores.mean(axis=0)
        if self.sparsity == "auto" and self.tolerance is None:
            chosen = sparsest_within_one_se(scores)
        else:
            chosen = sparsest_within(mean, dense.mean(), self.tolerance, levels)
        selection = clearly_better(scores[:, :, chosen])  # the first by default
        # the penalty: L2 (every kept weight used) unless the L1 refit, which
        # selects again among them, is better beyond the folds' noise; then its
        # best strength (the first best: the most shrinkage)
        penalties = [shrinkage.penalty for shrinkage, _ in candidates]
        groups = [
            np.flatnonzero([p == penalty for p in penalties])
            for penalty in dict.fromkeys(penalties)
        ]
        at_chosen = scores[:, selection, chosen]  # (folds, candidates)
        by_penalty = np.full((len(folds), len(groups), max(map(len, groups))), np.nan)
        for k, group in enumerate(groups):  # a grid per penalty, NaN-padded
            by_penalty[:, k, : len(group)] = at_chosen[:, group]
        reference = len(groups) - 1  # L2 last where both are tried
        kept = clearly_better(by_penalty, reference) if len(groups) > 1 else 0
        group = groups[kept]
        best = int(group[np.argmax(skipped_last(mean[selection, chosen][group]))])
        self._shrinkage, strength = candidates[best]
        param = self._shrinkage.param or "strength"
        self.cv_results_ = results_table(folds, rankings, levels, candidates, param)
        self.best_index_ = int(
            np.ravel_multi_index((selection, chosen, best), mean.shape)
        )
        self.best_score_ = float(mean[selection, chosen, best])
        self.best_params_ = {"sparsity": float(levels[chosen])}
        if self._shrinkage.param is not None:
            self.best_params_[param] = float(strength)
            self.best_params_["penalty"] = self._shrinkage.penalty
            self.best_params_["selection_strength"] = float(rankings[selection][0])
        self.best_params_["n_steps"] = rankings[selection][1]
        self._chosen = (float(levels[chosen]), strength)
        self._chosen_selection = selection
        report(
            self,
            f"chose sparsity {levels[chosen]:.3f}, {self._shrinkage.penalty} "
            f"{param}={strength}, selection strength {rankings[selection][0]:g}, "
            f"n_steps {rankings[selection][1]}: "
            "mean CV score "
            f"{self.best_score_:.4f} (dense {dense.mean():.4f}, "
            f"{self.n_splits_} folds)",
        )

    def _ranked_path(
        self, problem, coef, intercept, alive, n_target, n_units, rng, steps
    ):
        """The pruning path in ``steps`` (an int: the cubic schedule; or
        ``"halving"``): after each step but the last, the survivors are
        refitted with the ranking model (its own penalty) and the next step
        ranks them anew; the levels of every step, in order."""
        done = int((~alive).sum())
        if steps == "halving":
            targets = halving_schedule(n_units, done, n_target)
        else:
            fractions = cubic_schedule(n_target / n_units, steps, done / n_units)
            targets = [int(round(s * n_units, 9)) for s in fractions]
        levels = []
        for step, target in enumerate(targets):
            if step > 0:  # repair with the ranking model, then rank again
                last = levels[-1]
                coef, intercept = repair_problem(
                    problem.final, problem, last.coef, last.intercept, last.alive
                )
                alive = last.alive
            path = self._score_units(
                problem, coef, intercept, alive, target, n_units, rng
            )
            levels.extend(path if not levels else path[1:])
        return levels
