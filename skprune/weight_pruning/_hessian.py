"""The Hessian of a fitted linear model's loss, for Optimal Brain Surgeon.

Each output ``k`` (a row of ``coef_``) gets its own Hessian over its weights and
intercept, the intercept last; the outputs are treated as independent blocks
(exact for one-vs-rest and multi-target models, the block-diagonal approximation
for the multinomial). Losses are summed over samples, so the L2 penalty enters in
the same units:

=============================  ===================================================
estimator                      Hessian of output ``k``
=============================  ===================================================
Ridge, RidgeClassifier         ``Z'Z + alpha I``
LinearRegression, Lasso        ``Z'Z`` (ElasticNet: + its L2 part)
SGDRegressor (squared loss)    ``Z'Z + n alpha I``
LogisticRegression             ``Z' diag(p_k (1 - p_k)) Z + (1 - l1_ratio) / C I``
SGDClassifier (log_loss)       ``Z' diag(p_k (1 - p_k)) Z + n alpha I``
LinearSVC (squared hinge)      ``Z_A' Z_A + I / (2 C)``, ``A`` the margin violators
hinge losses (Perceptron...)   ``Z'Z``, the Hessian of the decision function
=============================  ===================================================

``Z`` is the input with a column of ones appended (no penalty on the intercept);
``sample_weight`` weighs every row. A damping of ``damping * mean(diag(H))`` on the
diagonal keeps ``H`` invertible on collinear columns.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.special import expit, softmax

from skprune.utils._threads import blas_threads, one_blas_thread
from skprune.weight_pruning._models import known, l2_strength, own_params


def curvature_weights(model, Z, coef, intercept, y_codes):
    """Per-output sample weights ``d_k`` of the Hessian ``Z' diag(d_k) Z``."""
    loss = known(model).curvature(own_params(model))
    scores = Z @ coef.T + intercept
    if loss == "logistic":
        if coef.shape[0] == 1:
            p = expit(scores)
        else:
            p = softmax(scores, axis=1)
        return p * (1.0 - p)
    if loss == "squared_hinge":
        if coef.shape[0] == 1:
            signs = np.where(y_codes == 1, 1.0, -1.0)[:, None]
        else:
            signs = np.where(y_codes[:, None] == np.arange(coef.shape[0]), 1.0, -1.0)
        return (signs * scores < 1.0).astype(np.float64)
    return np.ones_like(scores)


_FLOAT32_FROM = 2**20  # entries of Z


def _weighted_gram(Z, weights):
    """``[Z 1]' diag(weights) [Z 1]``, with Z'DZ as one symmetric (syrk) product.

    On large inputs the product is accumulated in float32 (half the time of
    float64; its relative error, ~1e-6, is far below the damping), the rest always
    in float64.
    """
    gram = np.empty((Z.shape[1] + 1, Z.shape[1] + 1))
    if sp.issparse(Z):  # work proportional to the nonzeros; the d x d result dense
        gram[:-1, :-1] = (Z.T @ Z.multiply(weights[:, None]).tocsr()).toarray()
    else:
        dtype = np.float32 if Z.size >= _FLOAT32_FROM else np.float64
        scaled = Z.astype(dtype)
        scaled *= np.sqrt(weights).astype(dtype)[:, None]
        gram[:-1, :-1] = scaled.T @ scaled
    gram[:-1, -1] = gram[-1, :-1] = Z.T @ weights
    gram[-1, -1] = weights.sum()
    return gram


def hessian_diagonals(model, Z, coef, intercept, y_codes, sample_weight):
    """The diagonal of every output's Hessian over its weights, (n_outputs,
    n_features): ``sum_i d_ik z_iq**2 + l2``, in time proportional to the nonzeros
    of ``Z``. The diagonal OBS of inputs too wide for a d x d inverse."""
    curvature = curvature_weights(model, Z, coef, intercept, y_codes)
    if sample_weight is not None:
        curvature = curvature * sample_weight[:, None]
    squares = Z.multiply(Z) if sp.issparse(Z) else Z**2
    diagonal = np.asarray((squares.T @ curvature).T)
    return diagonal + l2_strength(model, Z.shape[0])


# fewer rows (of nonzero curvature) than this fraction of the weights: the inverse
# through the rows' n x n system (Woodbury), the smaller one
_LOW_RANK_ROWS = 0.6


def _low_rank_inverse(Z, weights, penalty):
    """``(A' diag(weights) A + diag(penalty))^-1`` through the rows' n x n system
    (Woodbury), ``A`` being ``Z`` with a column of ones when ``penalty`` has one
    more entry: ``P^-1/2 (I - U' (I + U U')^-1 U) P^-1/2`` with
    ``U = diag(sqrt(weights)) A P^-1/2``."""
    active = weights > 0
    rows = Z[active]
    if len(penalty) > Z.shape[1]:
        rows = np.column_stack([rows, np.ones(len(rows))])
    root = 1.0 / np.sqrt(penalty)
    U = rows * np.sqrt(weights[active])[:, None] * root
    inner = U @ U.T
    inner[np.diag_indices_from(inner)] += 1.0
    W = np.linalg.inv(np.linalg.cholesky(inner)) @ U
    W *= root
    inverse = W.T @ W
    inverse *= -1.0
    inverse[np.diag_indices_from(inverse)] += 1.0 / penalty
    return inverse


def _penalty(mean_diag, l2, damping, n_weights, fit_intercept):
    """The diagonal added to ``A' D A``: ``l2`` on the weights (not the intercept)
    and ``damping`` times the mean diagonal on every coordinate."""
    shift = damping * max(mean_diag, 1e-12)
    penalty = np.full(n_weights + fit_intercept, l2 + shift)
    if fit_intercept:
        penalty[-1] = shift
    return penalty


# symmetric positive definite matrices up to this width are inverted through their
# Cholesky factor on one thread (LAPACK potrf + potri: half the work of numpy's LU
# inverse, faster even than the LU on two threads at this width). Wider ones
# take numpy's threaded LU inverse.
_CHOLESKY_WIDTH = 2048


def _spd_inverse(hessian):
    """``hessian^-1`` (see :data:`_CHOLESKY_WIDTH`); numpy's inverse where the
    Cholesky factorisation fails (a Hessian not positive definite)."""
    if len(hessian) <= _CHOLESKY_WIDTH:
        # one thread: scipy's LAPACK has its own pool, which numpy's threads,
        # still spinning after the gram, would slow down
        with one_blas_thread():
            factor, info = lapack.dpotrf(hessian, lower=1)
            if info == 0:
                inverse, info = lapack.dpotri(factor, lower=1)
        if info == 0:  # the lower triangle holds the inverse
            inverse = np.tril(inverse)
            inverse += inverse.T
            inverse[np.diag_indices_from(inverse)] *= 0.5
            return inverse
    return np.linalg.inv(hessian)


def _inverse_hessian(Z, weights, l2, damping, fit_intercept):
    """One output's ``H^-1``, (n_features + 1) square, the intercept last."""
    n_features = Z.shape[1]
    if not sp.issparse(Z) and np.count_nonzero(weights) <= _LOW_RANK_ROWS * (
        n_features + 1
    ):
        mean_diag = float(np.mean((Z**2).T @ weights)) + l2
        penalty = _penalty(mean_diag, l2, damping, n_features, fit_intercept)
        if np.all(penalty > 0):  # else the Hessian may be singular
            inverse = _low_rank_inverse(Z, weights, penalty)
            if fit_intercept:
                return inverse
            padded = np.zeros((n_features + 1, n_features + 1))
            padded[:-1, :-1] = inverse
            padded[-1, -1] = 1.0
            return padded
    hessian = _weighted_gram(Z, weights)
    mean_diag = float(np.mean(np.diag(hessian)[:n_features])) + l2
    hessian[np.diag_indices_from(hessian)] += _penalty(
        mean_diag, l2, damping, n_features, True
    )
    if not fit_intercept:
        hessian[-1, :] = hessian[:, -1] = 0.0
        hessian[-1, -1] = 1.0
    inverse = _spd_inverse(hessian)
    if not fit_intercept:
        inverse[-1, :] = inverse[:, -1] = 0.0
        inverse[-1, -1] = 1.0
    return inverse


def inverse_hessians(model, Z, coef, intercept, y_codes, sample_weight, damping):
    """``H_k^-1`` for every output ``k``, each (n_features + 1) square (one
    shared array where every output has the same Hessian)."""
    fit_intercept = bool(getattr(model, "fit_intercept", True))
    curvature = curvature_weights(model, Z, coef, intercept, y_codes)
    if sample_weight is not None:
        curvature = curvature * sample_weight[:, None]
    l2 = l2_strength(model, Z.shape[0])
    args = (l2, damping, fit_intercept)
    with blas_threads(Z.shape[1]):
        if np.all(curvature == curvature[:, :1]):  # one Hessian for every output
            return [_inverse_hessian(Z, curvature[:, 0], *args)] * coef.shape[0]
        return [
            _inverse_hessian(Z, curvature[:, k], *args) for k in range(coef.shape[0])
        ]
