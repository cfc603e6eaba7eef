"""FeaturePruner: drop the columns of a table that tell nothing about the target."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skprune.feature_pruning._binning import (
    Plan,
    TargetCoding,
    add_moments,
    count_tables,
    encode,
    find_levels,
    level_codes,
    moment_summary,
    plan_target,
    target_moments,
)
from skprune.feature_pruning._criteria import holm_significant
from skprune.feature_pruning._dask import (
    is_dask_collection,
    select_lazily,
)
from skprune.feature_pruning._inputs import SparseDaskInputMixin, is_continuous
from skprune.feature_pruning._redundancy import PairScores, jmi_order, mrmr_order
from skprune.feature_pruning._tables import add_tables, column_scores, total_weight
from skprune.utils._compat import (
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
    _get_output_config,
)
from skprune.utils._doc_link import DocLinkMixin
from skprune.utils._frames import is_frame, select_columns
from skprune.utils._progress import progress_bar
from skprune.utils._validation import (
    check_frame,
    check_target,
    frequency_weights,
    numba_threads,
    report,
    resolve_count,
    resolve_threshold,
)


def _streamable(pruner):
    """partial_fit exists only without redundancy, which needs all rows at once."""
    return pruner.redundancy is None


class FeaturePruner(DocLinkMixin, SparseDaskInputMixin, SelectorMixin, BaseEstimator):
    """Keep the columns that tell the most about the target; drop the rest.

    Each column is scored by how much knowing it reduces the uncertainty of the
    target: information gain ``H(y) - H(y | x)`` (``criterion="entropy"``, in bits)
    or Gini gain ``G(y) - sum_v p(v) G(y | x = v)``. Scores are bias-adjusted (the
    gain expected by chance is subtracted), so columns with many levels, such as IDs,
    are not rewarded. Works on real tables: numbers, strings, categories and
    missing values, for classification and regression targets.

    Parameters
    ----------
    criterion : {"entropy", "gini", "variance"}, default="entropy"
        The gain that scores each column. ``"variance"`` (regression targets
        only): the share of the target's variance explained by the column's
        levels (the correlation ratio ``eta^2``, the variance reduction regression
        trees split on), minus its chance expectation ``(L - 1) / (n - 1)``, with
        an F-test for ``threshold="auto"``. It tracks the ``R^2`` a model can get
        from the column, where information gain also rewards columns that change
        the shape of the target's distribution but not its mean. Not with dask
        input.

    threshold : "auto", float, str or None, default="auto"
        Which columns are kept. ``"auto"`` keeps those whose dependence on the target
        is significant under a G-test at level ``alpha``, with Holm's correction for
        the number of columns. A float keeps ``scores_ >= threshold``; ``"mean"``,
        ``"median"`` or a scaled form such as ``"1.5*mean"`` use that statistic of
        ``scores_``. ``None`` (or ``-inf``) applies no threshold: with
        ``max_features=k`` exactly ``k`` columns are kept, in every redundancy
        mode, and no significance test is run. Significance tests decide only
        under ``"auto"``; if no column passes, the best-scoring one is kept with a
        warning (an empty selection would break the next Pipeline step).

    max_features : int, float or None, default=None
        The most columns kept: an int, or a fraction in (0, 1] of the columns
        (rounded down, at least one). Applies together with ``threshold``.

    n_bins : int, default=10
        Number of quantile bins for a continuous column or a regression target. A
        numeric column with at most ``n_bins`` distinct values keeps one level per
        value. More bins resolve finer dependence but need more samples per bin.

    redundancy : {"mrmr", "jmi"} or None, default=None
        Also weigh the columns against each other, greedily. ``"mrmr"`` takes the
        column whose relevance times ``1 - redundancy`` is largest, redundancy
        being the largest share of an already chosen column that it tells (so
        near-copies are not all kept). ``"jmi"`` takes the column with the most
        joint gain about the target next to the chosen ones, so columns
        informative only together (XOR-like) are found; with
        ``threshold="auto"`` or ``None`` it considers every column. An exact copy
        of a chosen column (the same partition of the rows) is never kept beside
        it unless ``max_features`` cannot be reached otherwise. Under
        ``threshold="auto"`` selection stops when the next column adds no
        significant information; with ``threshold=None`` and ``max_features=k``,
        exactly ``k`` columns are returned.

    alpha : float, default=0.05
        Significance level of the ``threshold="auto"`` tests (family-wise), and of
        the redundancy tests of ``"mrmr"`` and ``"jmi"``.

    n_jobs : int or None, default=None
        Threads of the counting kernel. ``None`` or ``-1`` use every core.

    verbose : int, default=0
        Print a line per pruning step (0: silent).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Bias-adjusted gain of each column (higher = more important; near zero or
        below for an uninformative column).

    pvalues_ : ndarray of shape (n_features,)
        P-values of the G-test of independence between each column and the target.

    support_ : ndarray of shape (n_features,) of bool
        The kept columns.

    selection_order_ : ndarray of int
        Indices of the kept columns in the order they were selected (by score, or
        greedily with ``redundancy``).

    redundant_with_ : ndarray of int of shape (n_features,)
        With ``redundancy="mrmr"``, for each column the kept column whose
        information it most restates (-1: none; always -1 otherwise).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    sklearn.feature_selection.SelectKBest : Univariate selection with other scores.
    sklearn.feature_selection.mutual_info_classif : A k-NN estimate of the
        mutual information, slower and unadjusted.

    Notes
    -----
    Continuous columns are cut at quantiles of an evenly spaced subsample of at
    most 65,536 rows; a missing value is a level of its own. A continuous target
    (non-integer numbers, or floats with more than ``n_bins`` distinct values) is
    cut into ``n_bins`` quantile bins; integer, string and bool targets are classes.
    ``sample_weight`` holds frequency weights, as everywhere in scikit-learn: a
    weight of 2 counts a row twice (in the bin edges, the counts and the G-test's
    sample size), a weight of 0 ignores it.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skprune import FeaturePruner
    >>> X, y = make_classification(n_samples=2000, n_features=10, n_informative=3,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> pruner = FeaturePruner().fit(X, y)
    >>> pruner.get_support(indices=True)
    array([0, 1, 2])
    >>> pruner.transform(X).shape
    (2000, 3)
    """

    _parameter_constraints: dict = {
        "criterion": [StrOptions({"entropy", "gini", "variance"})],
        "threshold": [
            StrOptions({"auto"}),
            str,
            Interval(Real, None, None, closed="both"),  # -inf: keep every column
            None,
        ],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "redundancy": [StrOptions({"mrmr", "jmi"}), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        criterion="entropy",
        *,
        threshold="auto",
        max_features=None,
        n_bins=10,
        redundancy=None,
        alpha=0.05,
        n_jobs=None,
        verbose=0,
    ):
        self.criterion = criterion
        self.threshold = threshold
        self.max_features = max_features
        self.n_bins = n_bins
        self.redundancy = redundancy
        self.alpha = alpha
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Score every column of ``X`` against ``y`` and choose which to keep.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The table; columns may be numeric, bool, string or categorical, with
            missing values.

        y : array-like of shape (n_samples,)
            Class labels, or a continuous target (binned into quantiles).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in every count.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        start = time.perf_counter()
        if is_dask_collection(X):
            return self._fit_dask(X, y, sample_weight, start)
        if sp.issparse(X):
            return self._fit_sparse(X, y, sample_weight, start)
        X, y = self._validate_fit_data(X, y, reset=True)
        weights, edge_weights = frequency_weights(sample_weight, X)
        regression = is_continuous(y, self.n_bins)
        self._check_criterion(regression)
        target = plan_target(y, self.n_bins, regression, edge_weights)
        y_codes = target.encode(y)
        with numba_threads(self.n_jobs):
            levels = find_levels(X, self.n_bins, edge_weights)
            self._tables = count_tables(levels, y_codes, target.n_classes, weights)
        self._keep_plan(levels.plan, target)
        self._add_moments(y, y_codes, target, weights, first=True)
        return self._score(start, levels, y_codes, weights)

    def _add_moments(self, y, y_codes, target, weights, first):
        """Keep (``first``) or add up what ``criterion="variance"`` needs beyond
        the tables: the target's weighted sums per bin (None otherwise)."""
        if self.criterion != "variance":
            self._moments = None
            return
        moments = target_moments(y, y_codes, target.n_classes, weights)
        self._moments = moments if first else add_moments(self._moments, moments)

    def _check_criterion(self, regression):
        if self.criterion != "variance":
            return
        if not regression:
            raise ValueError(
                "criterion='variance' scores columns against a regression target "
                "(the share of its variance they explain); y holds classes. Use "
                "criterion='entropy' or 'gini'."
            )

    @available_if(_streamable)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Add a chunk of rows to the counts; the scores follow all rows seen.

        The contingency tables add up over chunks, so the scores equal those of one
        ``fit`` on the concatenated rows when the levels are the same. The bin
        edges of numeric columns (and of a continuous target) are fixed from the
        first chunk (or the data of a previous ``fit``): make it a representative
        sample. String and categorical columns grow their levels as new values
        arrive. Only without ``redundancy`` (mRMR and JMI compare columns row by
        row and need every row at once).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            A chunk of the table.

        y : array-like of shape (n_samples,)
            Its targets.

        classes : array-like or None, default=None
            Every class label, on the first call; if None, the classes of the
            first chunk (or a continuous target, binned) and later chunks must not
            bring new ones.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the chunk's rows.

        Returns
        -------
        self : object
            The updated pruner.
        """
        start = time.perf_counter()
        if sp.issparse(X):
            return self._partial_fit_sparse(X, y, classes, sample_weight, start)
        if isinstance(getattr(self, "_tables", None), dict):
            raise TypeError(
                "This FeaturePruner was fed sparse chunks; a dense chunk cannot be "
                "added to them (its levels differ). Feed one kind of chunk."
            )
        first = not hasattr(self, "_tables")
        X, y = self._validate_fit_data(X, y, reset=first)
        weights, edge_weights = frequency_weights(sample_weight, X)
        with numba_threads(self.n_jobs):
            if first:
                regression = classes is None and is_continuous(y, self.n_bins)
                self._check_criterion(regression)
                target = plan_target(y, self.n_bins, regression, edge_weights, classes)
                levels = find_levels(X, self.n_bins, edge_weights)
            else:
                target = TargetCoding(**self._target)
                levels = encode(Plan.from_state(self._plan), X, grow=True)
            y_codes = target.encode(y)
            tables = count_tables(levels, y_codes, target.n_classes, weights)
        self._keep_plan(levels.plan, target)
        self._tables = tables if first else add_tables(self._tables, tables)
        self._add_moments(y, y_codes, target, weights, first)
        return self._score(start, report_level=2)

    def _keep_plan(self, plan, target):
        """Keep how columns and target were coded, as plain arrays, lists, dicts."""
        self._plan, self._target = plan.state(), target.state()

    def transform(self, X):
        """Reduce ``X`` to the kept columns (a dask collection stays lazy).

        Parameters
        ----------
        X : {array-like, DataFrame, dask array or DataFrame} of shape \
                (n_samples, n_features)

        Returns
        -------
        X_kept : same kind as ``X`` of shape (n_samples, n_kept)
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            names = getattr(self, "feature_names_in_", None)
            return select_lazily(X, self.support_, names)
        if sp.issparse(X):  # the same sparse format back
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=None,
                reset=False,
                ensure_all_finite=False,
            )
            return X[:, self.support_]
        if not is_frame(X):
            return super().transform(X)
        # a frame's columns are taken as they are: no cast to a common dtype
        validate_data(self, X, skip_check_array=True, reset=False)
        kept = select_columns(X, self.support_)
        if _get_output_config("transform", self)["dense"] == "default":
            # their common dtype where there is one, else object: values unchanged
            return kept.to_numpy()
        return kept

    def _score(self, start, levels=None, y_codes=None, weights=None, report_level=1):
        """Scores, p-values and the selection from the accumulated tables.

        A fit reports at ``verbose=1``; each chunk of a stream only at 2.
        """
        tables = self._tables
        moments = None
        if self.criterion == "variance":
            moments = moment_summary(self._moments)  # (bin means, total SS)
        with numba_threads(self.n_jobs):
            self.scores_, self.pvalues_ = column_scores(tables, self.criterion, moments)
        self.redundant_with_ = np.full(self.n_features_in_, -1, dtype=np.intp)
        order = self._select(levels, tables, y_codes, weights, moments)
        if len(order) == 0:
            order = self._best_alone()
        self.selection_order_ = np.asarray(order, dtype=np.intp)
        self.support_ = np.zeros(self.n_features_in_, dtype=bool)
        self.support_[self.selection_order_] = True
        rows = int(round(total_weight(tables)))
        summary = (
            f"scored {self.n_features_in_} columns by {self.criterion} on {rows:,} "
            f"(weighted) rows; kept {len(order)}; elapsed "
            f"{time.perf_counter() - start:.2f} s"
        )
        report(self, summary, level=report_level)
        if self.verbose < 2:
            return self
        names = self._input_features()  # a vocabulary's names: only if shown
        for rank, j in enumerate(order, start=1):
            report(
                self,
                f"  {rank:>3}. {names[j]}: score {self.scores_[j]:.4g}, "
                f"p-value {self.pvalues_[j]:.3g}",
                level=2,
            )
        return self

    def _validate_fit_data(self, X, y, reset):
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, y, skip_check_array=True, reset=reset)
            check_frame(X)
        else:
            X, y = validate_data(
                self, X, y, dtype=None, ensure_all_finite=False, reset=reset
            )
        return X, check_target(y, X.shape[0])

    def _threshold_mask(self):
        if self.threshold is None:
            return np.ones(self.n_features_in_, dtype=bool)
        if self.threshold == "auto":
            return holm_significant(self.pvalues_, self.alpha)
        return self.scores_ >= resolve_threshold(self.threshold, self.scores_)

    def _select(self, levels, tables, y_codes, weights, moments):
        """Indices of the kept columns, in the order they are chosen."""
        limit = resolve_count(self.max_features, self.n_features_in_)
        by_score = np.argsort(-self.scores_, kind="stable")
        passing = by_score[self._threshold_mask()[by_score]]
        if self.redundancy is None:
            return passing[:limit]
        pairs = PairScores(
            *level_codes(levels), tables, y_codes, weights, self.criterion, moments
        )
        # significance tests decide only under "auto"; otherwise a count is asked
        alpha = self.alpha if self.threshold == "auto" else None
        bound = min(limit, len(by_score if self.threshold is None else passing))
        with progress_bar(self, bound, f"{self.redundancy} selection") as bar:
            if self.redundancy == "mrmr":
                drop = alpha is not None
                order, self.redundant_with_ = mrmr_order(
                    pairs, self.scores_, passing, limit, self.alpha, drop, bar
                )
                return order
            # interactions have no lone signal
            candidates = by_score if self.threshold in ("auto", None) else passing
            seed = passing[0] if alpha is not None and len(passing) else None
            return jmi_order(pairs, self.scores_, candidates, limit, alpha, seed, bar)

    def _best_alone(self):
        """The best-scoring column, kept with a warning when none passed: an
        empty selection would break every Pipeline step after this one."""
        best = int(np.argmax(self.scores_))
        warnings.warn(
            f"No column passed threshold={self.threshold!r}; keeping the "
            f"best-scoring one, {self._input_features()[best]!r} (score "
            f"{self.scores_[best]:.3g}, p-value {self.pvalues_[best]:.3g}). With "
            "so few rows or so little signal, consider threshold=None with "
            "max_features.",
            UserWarning,
            stacklevel=5,
        )
        return [best]

    def _input_features(self):
        return getattr(
            self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
        )

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = self.redundancy is None  # mRMR, JMI need dense
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = True
        return tags
