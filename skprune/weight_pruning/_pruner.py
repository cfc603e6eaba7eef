"""WeightPruner: zero the least important weights of a linear model, repair the rest."""

import copy
import functools
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import check_consistent_length, check_random_state, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skprune.utils._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _check_y,
    _fit_context,
    _routing_enabled,
)
from skprune.utils._doc_link import DocLinkMixin
from skprune.utils._loop import beyond_tolerance
from skprune.utils._progress import progress_bar
from skprune.utils._threads import blas_threads
from skprune.utils._validation import report
from skprune.weight_pruning._data import holdout, step_fit_params
from skprune.weight_pruning._linear import Problem, final_step, readout_model
from skprune.weight_pruning._models import own_params
from skprune.weight_pruning._predict import KeptColumnsMixin
from skprune.weight_pruning._repair import as_2d, repair_problem
from skprune.weight_pruning._schedule import cubic_schedule, last_true, pruning_path
from skprune.weight_pruning._swaps import MAX_COLUMNS, swap_columns, swappable

# sparsity="auto" without a tolerance: the largest training-score drop allowed
AUTO_TOLERANCE = 0.01


class WeightPruner(DocLinkMixin, KeptColumnsMixin, MetaEstimatorMixin, BaseEstimator):
    """Zero the least important coefficients of a linear model and repair the rest.

    Wraps a linear model (anything exposing ``coef_`` after fit) or a ``Pipeline``
    ending in one, fits it, removes weights until ``sparsity`` is reached, repairs
    the survivors, and then behaves like the model it wraps: ``predict``,
    ``predict_proba``, ``decision_function`` and ``score`` delegate, computed
    through the kept input columns only.

    Parameters
    ----------
    estimator : estimator object
        A linear model, or a Pipeline whose last step is one (its weights are
        pruned). Fitted on a clone; the given object is never changed.

    sparsity : float in [0, 1) or "auto", default="auto"
        Fraction of the units (weights, or input columns with
        ``structure="feature"``) set to zero. With ``tolerance``, an upper bound.
        ``"auto"``: as many as can go while the model's score stays within
        ``tolerance`` of the dense model's; without a ``tolerance``, within 0.01
        on the training data (so the default never silently makes a model
        worse; it prunes what is nearly free). For a set number of nonzeros with
        the best held-out score, see :class:`WeightPrunerCV`.

    method : {"magnitude", "obs", "random"}, default="obs"
        How importance is scored. ``"magnitude"``: ``|w| * std(column)``, the
        weight's contribution to the output. ``"obs"``: Optimal Brain Surgeon,
        ``w_q**2 / (2 [H^-1]_qq)`` with the Hessian of the model's loss, pruned
        greedily in blocks with the OBS update of the remaining weights.
        ``"random"``: the baseline.

    structure : {"unstructured", "feature"}, default="unstructured"
        Prune single coefficients, or whole input columns across every class /
        output (so the pruned model needs fewer inputs; see ``support_``).

    n_steps : int, default=1
        Prune gradually along the cubic schedule of Zhu & Gupta (2017),
        re-scoring and repairing after each step.

    refit : bool, default=True
        Repair by re-optimising the surviving weights with the pruned ones held at
        zero (a refit of the model on its kept columns). With ``False``, only the
        OBS compensation (``method="obs"``) moves the survivors.

    swaps : "auto" or bool, default=False
        After a repair, exchange kept columns for dropped ones while the
        repaired model's penalised training loss falls beyond abess's
        splicing threshold (best-subset splicing; LogisticRegression with
        whole columns as units). ``"auto"``: when at most 8 columns are kept;
        True: at any number. Off by default here: at the model's own
        penalty, without the CV's tuned repair, it helps on some tables and
        hurts on others; :class:`WeightPrunerCV` swaps by default (the user
        guide has the measurements).

    tolerance : float or None, default=None
        Largest allowed drop of the validation score (the wrapped model's
        ``score``) from the dense model. ``sparsity`` becomes an upper bound and the
        pruner keeps the sparsest level within tolerance: the steps of the schedule
        with ``n_steps > 1``, else a bisection over the one-pass pruning path (each
        probe scores the OBS-compensated weights; the chosen level is repaired).

    validation_fraction : float or None, default=0.1
        Share of the training data held out (stratified for classifiers) to check
        ``tolerance``; the model is then fitted on the rest. Only used with
        ``tolerance`` (``sparsity="auto"`` alone checks on the training data).

    block_fraction : float in (0, 1], default=0.02
        Share of the units removed in one greedy block before saliencies are
        recomputed.

    damping : float, default=1e-3
        Added to the Hessian's diagonal, relative to its mean (``"obs"``).

    prefit : bool, default=False
        Prune ``estimator`` as it is fitted (a deep copy; never refitted
        dense) instead of fitting a clone. ``fit``'s data then scores the
        units and repairs the survivors; it must be the data the model's
        Pipeline steps expect. Cannot be combined with ``tolerance``.

    random_state : int, RandomState instance or None, default=None
        Seeds ``method="random"``, the validation split, and the wrapped model
        where it shuffles (liblinear, saga, SGD) and its own ``random_state``
        is None, so that refits repeat.

    verbose : int, default=0
        Print a line per pruning step (0: silent).

    Attributes
    ----------
    estimator_ : estimator
        The pruned, fitted model (a clone of ``estimator``), with full-shape
        ``coef_`` holding zeros where pruned.

    coef_ : ndarray of shape (n_outputs, n_features)
        The pruned weights of the last step.

    intercept_ : ndarray of shape (n_outputs,)

    mask_ : ndarray of bool, shape of ``coef_``
        True where a weight survives.

    sparsity_ : float
        Achieved fraction of zero units.

    support_ : ndarray of bool of shape (n_model_features,)
        Input columns of the last step still used by some output.

    path_ : list of dict
        The last greedy pass: for each block, the sparsity reached and the loss
        increase OBS predicts (NaN for the other methods).

    history_ : list of dict
        One record per pruning step (step 0 is the dense model), with the keys
        every pruner's history shares: ``step``, ``n_removed`` (units removed so
        far), ``score_before_repair`` (the path's weights as the OBS update left
        them), ``score`` (after the repair: held-out with ``tolerance``, else
        on the training data), ``seconds`` since the start of ``fit``; and
        ``sparsity``, ``n_nonzero``, ``train_score``, ``validation_score`` (NaN
        without ``tolerance``).

    n_swaps_ : int
        Columns exchanged by ``swaps`` in the last repair (0: none).

    classes_ : ndarray
        Class labels, for classifiers.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``. Defined only when `X` has
        feature names that are all strings.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprune import WeightPruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> pruner = WeightPruner(model, sparsity=0.8).fit(X, y)
    >>> int(pruner.support_.sum()), round(pruner.sparsity_, 2)
    (6, 0.8)
    >>> pruner.score(X, y) > 0.97
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "sparsity": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "method": [StrOptions({"magnitude", "obs", "random"})],
        "structure": [StrOptions({"unstructured", "feature"})],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "refit": ["boolean"],
        "swaps": [StrOptions({"auto"}), "boolean"],
        "tolerance": [Interval(Real, 0, None, closed="left"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "block_fraction": [Interval(Real, 0, 1, closed="right")],
        "damping": [Interval(Real, 0, None, closed="left")],
        "prefit": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        *,
        sparsity="auto",
        method="obs",
        structure="unstructured",
        n_steps=1,
        refit=True,
        swaps=False,
        tolerance=None,
        validation_fraction=0.1,
        block_fraction=0.02,
        damping=1e-3,
        prefit=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.sparsity = sparsity
        self.method = method
        self.structure = structure
        self.n_steps = n_steps
        self.refit = refit
        self.swaps = swaps
        self.tolerance = tolerance
        self.validation_fraction = validation_fraction
        self.block_fraction = block_fraction
        self.damping = damping
        self.prefit = prefit
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the wrapped model, prune its weights and repair the rest.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data (anything the wrapped estimator accepts when it is a
            Pipeline).

        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the wrapped model's ``fit`` (to every Pipeline step whose
            ``fit`` takes it), and weighs the Hessian, the column scales and the
            scores. With metadata routing enabled, it goes where the wrapped
            model requested it (``set_fit_request``), as in ``SelectFromModel``.

        **fit_params : dict
            Other parameters of the wrapped model's ``fit`` (``step__param`` for
            a Pipeline), or, with metadata routing enabled, any metadata the
            model requested.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        X, y = self._validate_fit_data(X, y)
        step_params = self._step_params(sample_weight, fit_params)
        self._start = time.perf_counter()
        rng = check_random_state(self.random_state)
        train, valid = self._split(X, y, step_params, rng)
        classifier = is_classifier(self.estimator)
        if self.prefit:
            self._check_prefit()
        estimator = self.estimator if self.prefit else self._seeded_estimator()
        problem = Problem(estimator, train, classifier, prefit=self.prefit)
        final = problem.final
        if not hasattr(final, "coef_"):
            raise TypeError(
                f"WeightPruner prunes linear models: {type(final).__name__} exposes "
                "no coef_ after fit. Wrap a linear model (LogisticRegression, "
                "Ridge, LinearSVC, ...) or a Pipeline ending in one."
            )
        coef, intercept = as_2d(final.coef_, final.intercept_)
        self._dense_weights = (coef, intercept)  # for report()
        self.n_swaps_ = 0
        with blas_threads(problem.Z.shape[1]):
            self._prune(
                problem,
                valid,
                rng,
                sparsity=self.sparsity,
                n_steps=self.n_steps,
                tolerance=self._tolerance()[0],
                repair_model=problem.final,
                score_units=self._score_units,
            )
        self._fold_head()
        del self._start
        return self

    def get_metadata_routing(self):
        """How ``fit``'s metadata reaches the wrapped model (metadata routing).

        Returns
        -------
        routing : MetadataRouter
            ``fit`` routes to the wrapped model's ``fit``.
        """
        return MetadataRouter(owner=self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def _check_prefit(self):
        try:
            check_is_fitted(self.estimator)
        except NotFittedError as error:
            raise ValueError(
                "prefit=True needs a fitted estimator: call estimator.fit first, "
                "or use prefit=False."
            ) from error
        if self.tolerance is not None:
            raise ValueError(
                "prefit=True cannot hold rows out for tolerance: the model was "
                "fitted on all of them. Use prefit=False with a tolerance."
            )

    def _seeded_estimator(self):
        """The wrapped model, its last step seeded from ``random_state`` where
        its own is None (liblinear, saga and SGD shuffle), so refits repeat."""
        final = final_step(self.estimator)
        if (
            self.random_state is None
            or own_params(final).get("random_state", 0) is not None
        ):
            return self.estimator
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        name = "random_state"
        if isinstance(self.estimator, Pipeline):
            name = f"{self.estimator.steps[-1][0]}__random_state"
        return clone(self.estimator).set_params(**{name: seed})

    def _step_params(self, sample_weight, fit_params):
        routed = None
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            routed = process_routing(self, "fit", **fit_params).estimator.fit
        return step_fit_params(self.estimator, routed, sample_weight, fit_params)

    def _validate_fit_data(self, X, y):
        classifier = is_classifier(self.estimator)
        tags = get_tags(self.estimator)
        multi_output = not classifier or tags.classifier_tags.multi_label
        if isinstance(self.estimator, Pipeline):
            validate_data(self, X, y, skip_check_array=True)
            y = _check_y(y, multi_output=multi_output)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(
                self, X, y, multi_output=multi_output, accept_sparse=self._sparse()
            )
        if classifier:
            check_classification_targets(y)
        elif np.asarray(y).dtype.kind in "OUS":
            try:
                y = np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError):
                example = np.asarray(y).ravel()[0]
                raise ValueError(
                    f"WeightPruner wraps a regressor "
                    f"({type(final_step(self.estimator)).__name__}): y must be "
                    f"numeric, but it holds values such as {example!r}."
                ) from None
        return X, y

    def _tolerance(self):
        """The allowed score drop, and whether it is checked on held-out data."""
        if self.tolerance is not None:
            if self.validation_fraction is None:
                raise ValueError(
                    "tolerance needs validation data: set validation_fraction to "
                    "the share of the training data to hold out (e.g. 0.1)."
                )
            return self.tolerance, True
        if self.sparsity == "auto":
            return AUTO_TOLERANCE, False
        return None, False

    def _split(self, X, y, step_params, rng):
        if not self._tolerance()[1]:
            return (X, y, step_params), None
        stratify = is_classifier(self.estimator)
        return holdout(X, y, step_params, self.validation_fraction, stratify, rng)

    def _prune(
        self,
        problem,
        valid,
        rng,
        *,
        sparsity,
        n_steps,
        tolerance,
        repair_model,
        score_units,
        drop_zeroed=False,
    ):
        """Prune ``problem``'s fitted model along the schedule, one step at a
        time: score, remove, repair, evaluate, repeat (the loop of
        ``LayerPruner._remove``). The one entry point: ``fit`` passes the
        estimator's own settings, :class:`WeightPrunerCV` the chosen ones.

        ``sparsity``: a fraction or ``"auto"``; ``n_steps``: steps of the cubic
        schedule; ``tolerance``: the allowed score drop or None;
        ``repair_model``: the fitted model whose solver and penalty refit the
        survivors; ``score_units``: the path of a step (see
        :meth:`_score_units`); ``drop_zeroed``: weights the repair zeroes no
        longer count as kept (an L1 repair's).
        """
        coef, intercept = as_2d(problem.final.coef_, problem.final.intercept_)
        # a copy of the model with identity weights turns decision scores into its
        # predictions and scores, with the model's own post-processing
        self._sparse_input = sp.issparse(problem.Z)  # for to_estimator()
        self._readout = readout_model(problem.final, coef.shape[0])
        n_units = coef.size if self.structure == "unstructured" else coef.shape[1]
        alive = np.ones(
            coef.shape if self.structure == "unstructured" else (1, coef.shape[1]), bool
        )
        self._install(problem, coef, intercept, alive)
        self.history_ = [self._evaluate(0, problem, valid)]
        baseline = self.history_[0]["score"]
        final_sparsity = (n_units - 1) / n_units if sparsity == "auto" else sparsity
        targets = [
            int(round(s * n_units, 9)) for s in cubic_schedule(final_sparsity, n_steps)
        ]
        for step, n_target in enumerate(targets, start=1):
            # score and remove: the saliency path down to n_target pruned units
            path = score_units(problem, coef, intercept, alive, n_target, n_units, rng)
            self.path_ = [
                {
                    "sparsity": lv.n_pruned / n_units,
                    "predicted_loss_increase": lv.loss_increase,
                }
                for lv in path
            ]
            # repair: the last level, or (one step under a tolerance) the sparsest
            # level within it, found by bisection
            repair = functools.partial(
                self._repair, problem, model=repair_model, drop_zeroed=drop_zeroed
            )
            if tolerance is not None and n_steps == 1:
                weights, level = self._bisect(
                    problem, path, valid, baseline, tolerance, repair
                )
            else:
                level = path[-1]
                weights = repair(level)
            before = self._remove_units(problem, level, valid)
            previous = (coef, intercept, alive)
            coef, intercept, alive = weights
            self._install(problem, coef, intercept, alive)
            record = self._evaluate(step, problem, valid, before)
            if n_steps > 1 and beyond_tolerance(baseline, record["score"], tolerance):
                # undo the step and stop
                coef, intercept, alive = previous
                self._install(problem, coef, intercept, alive)
                break
            self.history_.append(record)
            self._report_step(step, len(targets), record, valid)

    def _report_step(self, step, n_steps, record, valid):
        validation = (
            ""
            if valid is None
            else f", validation score {record['validation_score']:.4f}"
        )
        report(
            self,
            f"step {step}/{n_steps}: sparsity {record['sparsity']:.3f}, "
            f"{record['n_nonzero']} nonzero, train score "
            f"{record['train_score']:.4f}{validation}; elapsed "
            f"{record['seconds']:.2f} s",
        )
        for level in self.path_[1:]:
            report(
                self,
                f"  block: sparsity {level['sparsity']:.3f}, predicted loss "
                f"increase {level['predicted_loss_increase']:.4g}",
                level=2,
            )

    def _remove_units(self, problem, level, valid):
        """Install a level of the path (its units removed, the survivors as the
        OBS update left them); returns its score before the repair."""
        self._install(problem, level.coef, level.intercept, level.alive)
        return self._evaluate(-1, problem, valid)["score"]

    def _score_units(self, problem, coef, intercept, alive, n_target, n_units, rng):
        """The saliency path: units removed in order of importance, in blocks."""
        return pruning_path(
            self.method,
            problem,
            coef,
            intercept,
            alive,
            n_target,
            self.structure,
            max(1, int(self.block_fraction * n_units)),
            self.damping,
            rng,
            lambda n_blocks: progress_bar(self, n_blocks, "OBS blocks"),
        )

    def _repair(self, problem, level, *, model, drop_zeroed=False):
        """Refit the survivors of ``level`` with ``model``'s solver and penalty
        (and swap columns, where asked); ``drop_zeroed``: weights the refit
        zeroes leave the kept units."""
        if not self.refit:
            return level.coef, level.intercept, level.alive
        alive = level.alive
        coef, intercept = repair_problem(
            model, problem, level.coef, level.intercept, alive
        )
        self.n_swaps_ = 0
        if self.swaps is not False and swappable(model, problem, alive):
            if self.swaps is True or alive.sum() <= MAX_COLUMNS:
                coef, intercept, alive, self.n_swaps_ = swap_columns(
                    model, problem, coef, intercept, alive
                )
        if drop_zeroed:
            used = coef != 0
            if alive.shape != coef.shape:  # whole columns
                used = used.any(axis=0, keepdims=True)
            alive = alive & used
        return coef, intercept, alive

    def _bisect(self, problem, path, valid, baseline, tolerance, repair):
        """The sparsest path level whose repaired model is within tolerance.

        The probes score the level's weights as OBS left them (its compensation
        is the cheap approximation of the repair; the other methods are repaired
        at each probe). If the chosen level, repaired, falls out of tolerance,
        the search goes on below it with repaired probes.
        """

        def within(weights):
            self._install(problem, *weights)
            score = self._evaluate(-1, problem, valid)["score"]
            return not beyond_tolerance(baseline, score, tolerance)

        def compensated(index):
            level = path[index]
            if self.method == "obs" or not self.refit:
                return within((level.coef, level.intercept, level.alive))
            return within(repair(level))

        index = last_true(compensated, len(path))
        weights = repair(path[index])
        if index == 0 or not self.refit or within(weights):
            return weights, path[index]
        index = last_true(lambda i: within(repair(path[i])), index)
        return repair(path[index]), path[index]

    def _evaluate(self, step, problem, valid, before=None):
        """The ``history_`` record of the installed weights: ``score`` is the
        held-out score with a validation split, else the training score."""
        train = self._compact_score(problem)
        validation = np.nan if valid is None else self._score(*valid)
        score = train if np.isnan(validation) else validation
        removed = self.mask_ if self.structure == "unstructured" else self.support_
        return {
            "step": step,
            "n_removed": int((~removed).sum()),
            "score_before_repair": score if before is None else before,
            "score": score,
            "seconds": time.perf_counter() - self._start,
            "sparsity": self.sparsity_,
            "n_nonzero": int(self.mask_.sum()),
            "train_score": train,
            "validation_score": validation,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        # flat dataclasses: a shallow copy is a full one (and runs on every
        # validate_data of predict)
        tags.classifier_tags = copy.copy(inner.classifier_tags)
        tags.regressor_tags = copy.copy(inner.regressor_tags)
        tags.target_tags = copy.copy(inner.target_tags)
        tags.target_tags.required = True
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
