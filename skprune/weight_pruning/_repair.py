"""Repair: re-optimise the surviving weights with the pruned ones held at zero.

Which repair applies:

- one output (binary classifiers, single-target regressors), or
  ``structure="feature"``: a clone of the model is refitted on the kept columns
  (warm-started from the pruned weights where the model supports it), so any
  linear model is repaired exactly by its own solver;
- several independent outputs (one-vs-rest classifiers such as LinearSVC,
  SGDClassifier, Perceptron, RidgeClassifier; multi-target regressors): each
  output is refitted on its own kept columns, as the binary / single-target
  problem it is;
- the multinomial LogisticRegression (outputs coupled through the softmax): its
  penalised log-loss is minimised by L-BFGS with the gradient masked; with an L1
  penalty the OBS-compensated weights are kept instead.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from skprune.weight_pruning._models import (
    known,
    l2_strength,
    logistic_penalty,
    own_params,
)
from skprune.weight_pruning._solvers import (
    l1_logistic,
    masked_multinomial,
    newton_logistic,
)

# an L2 LogisticRegression refitted on at most this many weights takes Newton
# steps (a Cholesky of their Hessian each) instead of L-BFGS: the same optimum in a
# handful of passes over the rows, not a hundred
_NEWTON_WEIGHTS = 500


def as_2d(coef, intercept, n_outputs=None):
    """``coef_`` as (n_outputs, n_features) and ``intercept_`` as (n_outputs,)."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.broadcast_to(
        np.asarray(intercept, dtype=np.float64), (coef.shape[0],)
    ).copy()
    return coef, intercept


def _own_solver_params(model, kept, coef):
    """The parameters of a binary LogisticRegression without class weights, of
    finite C, on dense ``kept`` - where skprune's own solvers may take over the
    repair; None elsewhere. (Sparse text stays with scikit-learn: a CSC version
    of the L1 loops was several times slower than liblinear at weak
    penalties.)"""
    if not known(model).own_solvers or coef.shape[0] != 1:
        return None
    params = own_params(model)
    l1_ratio, C = logistic_penalty(params)
    if sp.issparse(kept) or params.get("class_weight") is not None:
        return None
    return None if not np.isfinite(C) else {**params, "l1_ratio": l1_ratio, "C": C}


def _newton_repair(model, kept, target, sample_weight, columns, coef, intercept):
    """:func:`newton_logistic` for a binary L2 LogisticRegression whose solver
    has an unpenalised intercept (``target``: 0 / 1), on fewer kept columns than
    rows and at most :data:`_NEWTON_WEIGHTS`; None where it does not apply."""
    params = _own_solver_params(model, kept, coef)
    if (
        params is None
        or params["solver"] == "liblinear"  # penalises the intercept
        or params["l1_ratio"]
        or len(columns) > _NEWTON_WEIGHTS
        or len(columns) >= kept.shape[0]
    ):
        return None
    found = newton_logistic(
        np.asarray(kept, dtype=np.float64),
        target,
        sample_weight,
        coef[0, columns],
        intercept[0],
        1.0 / params["C"],
        bool(params["fit_intercept"]),
    )
    return _one_output(found)


def _l1_repair(model, kept, target, sample_weight, columns, coef, intercept):
    """:func:`~skprune.weight_pruning._solvers._l1.l1_logistic` for a binary L1
    LogisticRegression fitted by liblinear or saga (``target``: 0 / 1); None
    where it does not apply."""
    params = _own_solver_params(model, kept, coef)
    if (
        params is None
        or params["l1_ratio"] != 1.0
        or params["solver"] not in ("liblinear", "saga")
    ):
        return None
    if not params["fit_intercept"]:
        column = None
    elif params["solver"] == "liblinear":  # a penalised constant column
        column = ("penalised", float(params["intercept_scaling"]))
    else:
        column = ("free", 1.0)
    found = l1_logistic(
        np.asarray(kept, dtype=np.float64),
        target,
        sample_weight,
        coef[0, columns],
        intercept[0],
        float(params["C"]),
        column,
    )
    return _one_output(found)


def _one_output(found):
    """A solver's ``(coef, intercept)`` of one output as 2-D / 1-D arrays (None
    where it gave up)."""
    return None if found is None else (found[0][None, :], np.array([found[1]]))


def refit_columns(model, kept, y, sample_weight, columns, coef, intercept, binary=None):
    """Refit a clone of ``model`` on ``kept``, the input's ``columns``; returns
    its 2-D weights. ``binary``: ``y`` as 0 / 1 for a binary classifier (the
    target of skprune's own Newton and L1 repairs), else None."""
    if binary is not None:
        args = (sample_weight, columns, coef, intercept)
        for repair in (_newton_repair, _l1_repair):
            fast = repair(model, kept, binary, *args)
            if fast is not None:
                return fast
    refitted = clone(model)
    params = own_params(model)
    if (
        known(model).own_solvers
        and params.get("solver") == "lbfgs"
        and not logistic_penalty(params)[0]
    ):
        few = len(columns) * coef.shape[0] <= _NEWTON_WEIGHTS
        if few and len(columns) < kept.shape[0]:
            refitted.set_params(solver="newton-cholesky")
        elif sp.issparse(kept):
            # Hessian-vector products on the sparse rows: faster than L-BFGS
            # along a warm-started chain, and closer to the optimum
            refitted.set_params(solver="newton-cg")
    same_outputs = np.atleast_2d(model.coef_).shape[0] == coef.shape[0]
    if known(model).warm_start and same_outputs:
        refitted.set_params(warm_start=True)
        refitted.coef_ = coef[:, columns].reshape(
            np.shape(model.coef_)[:-1] + (len(columns),)
        )
        refitted.intercept_ = intercept.reshape(np.shape(model.intercept_))
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    refitted.fit(kept, y, **kwargs)
    return as_2d(refitted.coef_, refitted.intercept_)


def _is_multinomial(model, n_outputs):
    return (
        known(model).own_solvers
        and n_outputs > 2
        and own_params(model).get("solver") != "liblinear"
    )


def repair_problem(model, problem, coef, intercept, alive):
    """Refit the surviving weights of ``coef`` (mask ``alive``) on the training
    data of a :class:`~skprune.weight_pruning._linear.Problem` with ``model``'s
    solver and penalty (the repair every pruner step and CV candidate uses);
    returns the new weights."""
    Z, y, y_codes, sample_weight = (
        problem.Z,
        problem.y,
        problem.y_codes,
        problem.sample_weight,
    )
    n_outputs = coef.shape[0]
    full_alive = np.broadcast_to(alive, coef.shape)
    if alive.shape[0] == 1:  # one output, or whole columns
        columns = np.flatnonzero(alive[0])
        if columns.size == 0:  # nothing left to refit: the intercept stays
            return np.zeros_like(coef), intercept.copy()
        new_coef, new_intercept = refit_columns(
            model,
            problem.columns_of(columns),
            y,
            sample_weight,
            columns,
            coef,
            intercept,
            problem.binary_target,
        )
        result = np.zeros_like(coef)
        result[:, columns] = new_coef
        return result, new_intercept
    if _is_multinomial(model, n_outputs):
        if logistic_penalty(own_params(model))[0] > 0:
            return coef, intercept
        fit_intercept = bool(model.fit_intercept)
        l2 = l2_strength(model, Z.shape[0])
        return masked_multinomial(
            Z, y_codes, sample_weight, coef, intercept, full_alive, l2, fit_intercept
        )
    result, new_intercept = np.zeros_like(coef), intercept.copy()
    for k in range(n_outputs):
        columns = np.flatnonzero(full_alive[k])
        if columns.size == 0:
            continue
        target = (y_codes == k) if y_codes is not None else y[:, k]
        one_coef, one_intercept = refit_columns(
            model,
            problem.columns_of(columns),
            target,
            sample_weight,
            columns,
            coef[k : k + 1],
            intercept[k : k + 1],
        )
        result[k, columns] = one_coef[0]
        new_intercept[k] = one_intercept[0]
    return result, new_intercept
