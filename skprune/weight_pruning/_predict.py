"""How a pruned linear model predicts: through its kept input columns only.

:class:`KeptColumnsMixin` holds what :class:`WeightPruner` and
:class:`WeightPrunerCV` do once weights are chosen: install them in the wrapped
model, fold per-column Pipeline steps (scalers) into them, and answer
``predict``, ``predict_proba``, ``decision_function``, ``score``,
``get_support`` and ``get_feature_names_out`` from one pass over the kept
columns, read out by the wrapped model's link (:func:`read_out`).
"""

import numpy as np
from scipy.special import expit, softmax
from sklearn import get_config
from sklearn.base import TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    validate_data,
)

from skprune.utils._compat import (
    _check_feature_names_in,
    _get_output_config,
    _safe_indexing,
)
from skprune.utils._report import median_seconds, pickled_bytes, report_frame
from skprune.weight_pruning._export import reduced_estimator
from skprune.weight_pruning._gather import (
    decision_scores,
    folded_affine_head,
    kept_columns,
)
from skprune.weight_pruning._linear import with_weights
from skprune.weight_pruning._models import is_columnwise, link


def _estimator_has(attr):
    def check(self):
        inner = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(inner, attr)

    return check


def _logistic_proba(model, scores):
    """A LogisticRegression's class probabilities from its decision scores:
    expit for two classes, softmax for more, or one-vs-rest (expit, then
    normalised) where scikit-learn < 1.8's ``multi_class`` asks for it; None
    for its binary ``multi_class="multinomial"``, left to the model."""
    binary = scores.shape[1] == 1
    multi_class = getattr(model, "multi_class", None)  # gone in scikit-learn 1.8
    if multi_class == "multinomial" and binary:
        return None
    ovr = binary or (
        multi_class not in (None, "multinomial")
        and (multi_class in ("ovr", "warn") or model.solver == "liblinear")
    )
    if not ovr:
        return softmax(scores, axis=1)
    p = expit(scores)
    if binary:
        return np.column_stack([1 - p[:, 0], p[:, 0]])
    return p / p.sum(axis=1, keepdims=True)


def read_out(readout, method, scores, *args):
    """The wrapped model's ``method`` on the pruned model's decision scores
    (n_samples, n_outputs).

    The plain links of :func:`~skprune.weight_pruning._models.link` are applied
    here, without the second input check a call of the model would make;
    ``readout``, a copy of the model with identity weights (see
    :func:`~skprune.weight_pruning._linear.readout_model`), answers the rest.
    """
    kind = link(readout) if not args else None
    if kind in ("margin", "logistic"):
        if method == "decision_function":
            return scores[:, 0] if scores.shape[1] == 1 else scores
        if method == "predict":
            if scores.shape[1] == 1:
                return readout.classes_.take((scores[:, 0] > 0).astype(np.intp))
            return readout.classes_.take(scores.argmax(axis=1))
        if kind == "logistic" and method in ("predict_proba", "predict_log_proba"):
            proba = _logistic_proba(readout, scores)
            if proba is not None:
                return proba if method == "predict_proba" else np.log(proba)
    elif kind is not None and method == "predict":
        values = np.exp(scores) if kind == "log" else scores
        return values[:, 0] if np.ndim(readout.coef_) == 1 else values
    return getattr(readout, method)(scores, *args)


class KeptColumnsMixin(TransformerMixin):
    """Prediction, scoring and column support of a pruned linear model.

    Needs ``self._readout`` (see
    :func:`~skprune.weight_pruning._linear.readout_model`), set before the first
    :meth:`_install`.
    """

    def _install(self, problem, coef, intercept, alive):
        """Make ``estimator_`` and the kept-column predictor carry these weights."""
        self.estimator_ = with_weights(problem.model, coef, intercept)
        self.coef_, self.intercept_ = coef, intercept
        self.mask_ = np.broadcast_to(alive, coef.shape).copy()
        self.sparsity_ = float((~alive).sum() / alive.size)
        self.support_ = self.mask_.any(axis=0)
        kept = np.flatnonzero(self.support_)
        self._decision = kept_columns(kept, coef[:, kept], intercept, coef.shape[1])
        self._folded = False  # the Pipeline's head, until _fold_head

    def _fold_head(self):
        """Fold per-column affine Pipeline steps (scalers) into the kept weights
        (see :func:`folded_affine_head`), so predict reads ``X`` directly."""
        folded = None
        if isinstance(self.estimator_, Pipeline):
            folded = folded_affine_head(
                self._decision,
                self.estimator_[:-1],
                self.coef_,
                self.intercept_,
                self.n_features_in_,
            )
        self._folded = folded is not None
        if self._folded:
            self._decision = folded

    def _compact_score(self, problem):
        """Training score of the current weights, from the kept columns only."""
        scores = decision_scores(problem.Z, **self._decision, check_finite=False)
        score = self._read_out("score", scores, problem.y, problem.sample_weight)
        return float(score)

    def _score(self, X, y, sample_weight=None):
        """The wrapped model's own ``score``, on the pruned model's decision
        scores (so ``X`` is read as ``predict`` reads it)."""
        return float(self._read_out("score", self._scores(X), y, sample_weight))

    def _scores(self, X):
        """Decision scores of the pruned model: one pass over the kept columns."""
        check_is_fitted(self)
        if self._folded or not isinstance(self.estimator_, Pipeline):
            X = validate_data(
                self,
                X,
                reset=False,
                ensure_all_finite=False,
                accept_sparse=self._sparse(),
            )
            check = not get_config()["assume_finite"]
            return decision_scores(X, **self._decision, check_finite=check)
        allow_nan = get_tags(self.estimator_[-1]).input_tags.allow_nan
        Z = self.estimator_[:-1].transform(X)
        Z = check_array(
            Z,
            ensure_all_finite="allow-nan" if allow_nan else True,
            accept_sparse=["csr", "csc"],
        )
        return decision_scores(Z, **self._decision, check_finite=False)

    def _read_out(self, method, scores, *args):
        """The wrapped model's ``method`` on the pruned model's decision scores
        (see :func:`read_out`)."""
        return read_out(self._readout, method, scores, *args)

    def _sparse(self):
        """The sparse formats accepted (those of the wrapped model), or False."""
        return ["csr", "csc"] if get_tags(self.estimator).input_tags.sparse else False

    def get_support(self, indices=False):
        """The input columns of the wrapped model's last step still in use.

        Parameters
        ----------
        indices : bool, default=False
            Return column indices instead of a boolean mask.

        Returns
        -------
        support : ndarray
            Boolean mask of shape (n_model_features,), or the indices of the
            True entries. For a Pipeline whose head maps columns one to one (the
            scalers skprune folds), these are the columns of ``X``.
        """
        check_is_fitted(self)
        return np.flatnonzero(self.support_) if indices else self.support_.copy()

    def get_feature_names_out(self, input_features=None):
        """Names of the last step's input columns the pruned model still uses.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input columns of ``X`` (default: ``feature_names_in_``,
            else ``x0, x1, ...``). For a Pipeline, passed to its head's
            ``get_feature_names_out``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if isinstance(self.estimator_, Pipeline) and len(self.estimator_) > 1:
            names = self.estimator_[:-1].get_feature_names_out(input_features)
        else:
            names = _check_feature_names_in(self, input_features)
        return np.asarray(names, dtype=object)[self.support_]

    def transform(self, X):
        """The input columns the pruned model still uses, as RFECV gives them.

        For a Pipeline whose head maps columns one to one (scalers), or no
        Pipeline, the kept columns of ``X`` as they are (a DataFrame keeps its
        dtypes); otherwise the kept columns of the head's output (the last
        step's input). ``set_output`` chooses the container; with a pandas
        output a DataFrame keeps its columns' dtypes.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        X_kept : array-like or sparse matrix of shape (n_samples, n_kept)
        """
        check_is_fitted(self)
        head = self.estimator_[:-1] if isinstance(self.estimator_, Pipeline) else None
        if head is not None and not all(is_columnwise(s) for _, s in head.steps):
            return _safe_indexing(head.transform(X), self.support_, axis=1)
        # as SelectorMixin: a frame is kept as it is only for a frame output
        output = _get_output_config("transform", estimator=self)["dense"]
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=None,
            accept_sparse=["csr", "csc"],
            ensure_all_finite=not get_tags(self).input_tags.allow_nan,
            skip_check_array=output != "default" and hasattr(X, "iloc"),
        )
        return _safe_indexing(X, self.support_, axis=1)

    def to_estimator(self):
        """The plain scikit-learn model the pruned one amounts to.

        A Pipeline of scikit-learn objects only: the wrapped Pipeline's steps up
        to the last one that does not map columns one to one (a OneHotEncoder,
        say), a ``ColumnTransformer`` that passes on the columns the model still
        uses and drops the rest, then the per-column steps (scalers) and the
        model with their fitted state restricted to those columns. It takes the
        pruner's input, predicts as the pruner does, unpickles without skprune,
        is smaller on disk than the dense model when columns were pruned, and
        converts with skl2onnx.

        Returns
        -------
        estimator : Pipeline
            A fitted Pipeline; its last step is a copy of the wrapped model.

        Raises
        ------
        ValueError
            If the wrapped model holds fitted per-column state other than
            ``coef_`` that skprune does not know how to restrict.
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        return reduced_estimator(
            self.estimator_, self.support_, names, self._sparse_input
        )

    def report(self, X, y=None, *, repeats=7):
        """What pruning bought: the dense model beside :meth:`to_estimator`'s.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data to time the predictions on (and to score with ``y``).

        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Targets: adds the ``score`` column (the wrapped model's ``score``).

        repeats : int, default=7
            Timed ``predict`` calls per model; the median is reported.

        Returns
        -------
        report : pandas.DataFrame
            Rows ``"dense"`` (the model fitted before pruning) and ``"pruned"``
            (:meth:`to_estimator`); columns ``parameters`` (nonzero weights and
            intercepts), ``bytes`` (pickled size), ``predict_seconds``,
            ``flops_per_row`` (multiply-adds x 2 of the linear step, over the
            columns it reads) and ``score`` (NaN without ``y``).
        """
        check_is_fitted(self)
        dense = with_weights(self.estimator_, *self._dense_weights)
        if hasattr(self, "feature_names_in_") and not hasattr(dense, "steps"):
            # as the user's model fitted on their frame would be
            dense.feature_names_in_ = self.feature_names_in_
        rows = []
        for model, coef, intercept in (
            (dense, *self._dense_weights),
            (self.to_estimator(), self.coef_, self.intercept_),
        ):
            n_read = coef.shape[0] * (coef != 0).any(axis=0).sum()
            rows.append(
                {
                    "parameters": np.count_nonzero(coef) + np.count_nonzero(intercept),
                    "bytes": pickled_bytes(model),
                    "predict_seconds": median_seconds(
                        lambda m=model: m.predict(X), repeats
                    ),
                    "flops_per_row": 2 * n_read,
                    "score": np.nan if y is None else model.score(X, y),
                }
            )
        return report_frame(*rows)

    @property
    def classes_(self):
        """Class labels of the wrapped classifier."""
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the pruned model, through the kept columns only."""
        scores = self._scores(X)  # checks that the pruner is fitted first
        return self._read_out("predict", scores)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the pruned model."""
        scores = self._scores(X)  # checks that the pruner is fitted first
        return self._read_out("predict_proba", scores)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the pruned model."""
        scores = self._scores(X)  # checks that the pruner is fitted first
        return self._read_out("predict_log_proba", scores)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the pruned model."""
        scores = self._scores(X)  # checks that the pruner is fitted first
        return self._read_out("decision_function", scores)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """The wrapped model's score (accuracy, R^2, ...) after pruning."""
        check_is_fitted(self)
        return self._score(X, y, sample_weight)
