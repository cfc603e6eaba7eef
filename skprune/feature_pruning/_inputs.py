"""FeaturePruner's fit on a scipy.sparse matrix or a dask collection.

Both end where a dense fit does: contingency tables of every column in
``_tables`` (a sparse matrix's as the state of
:class:`~skprune.feature_pruning._sparse.SparseTables`, counted from its
nonzeros; a dask collection's summed over its partitions, see ``_dask.py``),
then :meth:`FeaturePruner._score`.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from skprune.feature_pruning._binning import (
    TargetCoding,
    plan_target,
    raise_infinite,
)
from skprune.feature_pruning._dask import dask_tables, validation_view
from skprune.feature_pruning._sparse import SparseTables, sparse_tables
from skprune.utils._validation import check_target, frequency_weights, numba_threads


def is_continuous(y, n_bins):
    """Whether ``y`` is a regression target: non-integer numbers, or float numbers
    with more than ``n_bins`` distinct values (integer-valued amounts, such as
    ``load_diabetes``'s, are a regression target too)."""
    if type_of_target(y) == "continuous":
        return True
    return y.dtype.kind == "f" and np.unique(y).size > n_bins


def _check_no_infinity(X):
    """The dense path's error for an infinite stored value of sparse ``X``."""
    infinite = np.flatnonzero(np.isinf(X.data))
    if infinite.size == 0:
        return
    position = infinite[0]
    if X.format == "csr":
        column = int(X.indices[position])
    else:
        column = int(np.searchsorted(X.indptr, position, side="right") - 1)
    raise_infinite(column)


class SparseDaskInputMixin:
    """The sparse and dask paths of ``fit`` and ``partial_fit``."""

    def _fit_sparse(self, X, y, sample_weight, start):
        """Tables from the nonzeros of a sparse ``X`` (see ``_sparse.py``)."""
        if self.redundancy is not None:
            raise TypeError(
                "FeaturePruner takes sparse X only without redundancy: mRMR and JMI "
                "compare columns row by row, which a sparse matrix would have to "
                "densify. Use redundancy=None, or a dense X."
            )
        return self._add_sparse(X, y, None, sample_weight, start, first=True)

    def _partial_fit_sparse(self, X, y, classes, sample_weight, start):
        """A sparse chunk: the first fixes each column's nonzero edges."""
        first = not hasattr(self, "_tables")
        if not first and not isinstance(self._tables, dict):
            raise TypeError(
                "This FeaturePruner was fed dense chunks; a sparse chunk cannot be "
                "added to them (its levels differ). Feed one kind of chunk."
            )
        return self._add_sparse(X, y, classes, sample_weight, start, first, 2)

    def _add_sparse(self, X, y, classes, sample_weight, start, first, report_level=1):
        """Count a sparse ``X`` into new tables (``first``) or onto the kept ones."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
            reset=first,
        )
        _check_no_infinity(X)
        y = check_target(y, X.shape[0])
        weights, edge_weights = frequency_weights(sample_weight, X)
        if first:
            regression = classes is None and is_continuous(y, self.n_bins)
            self._check_criterion(regression)
            target = plan_target(y, self.n_bins, regression, edge_weights, classes)
        else:
            target = TargetCoding(**self._target)
        y_codes = target.encode(y)
        fixed = None if first else SparseTables(**self._tables)
        with numba_threads(self.n_jobs):
            tables = sparse_tables(
                X, y_codes, target.n_classes, weights, self.n_bins, fixed
            )
        self._plan, self._target = None, target.state()
        self._tables = (tables if first else fixed + tables).state()
        self._add_moments(y, y_codes, target, weights, first)
        return self._score(start, report_level=report_level)

    def _fit_dask(self, X, y, sample_weight, start):
        """Per-partition tables of a dask ``X``, reduced (see ``_dask.py``)."""
        if sample_weight is not None or self.redundancy is not None:
            raise ValueError(
                "With dask input, FeaturePruner takes neither sample_weight nor "
                "redundancy (mRMR and JMI need every row at once)."
            )
        if self.criterion == "variance":
            raise ValueError(
                "criterion='variance' is not available with dask input yet; use "
                "criterion='entropy' or 'gini', or compute X into memory."
            )
        validate_data(self, validation_view(X), skip_check_array=True)
        with numba_threads(self.n_jobs):
            plan, target, self._tables = dask_tables(
                X,
                y,
                self.n_bins,
                lambda sample: is_continuous(sample, self.n_bins),
                show_progress=bool(self.verbose),
            )
        self._keep_plan(plan, target)
        return self._score(start)
