"""The L1-penalised binary logistic repair, solved without a scikit-learn fit.

WeightPrunerCV repairs each level of a fold's pruning path with an L1
LogisticRegression at ten strengths; on a small table each liblinear fit is
over in a millisecond and scikit-learn's clone, parameter and input checks take
as long again. :func:`l1_logistic` minimises the same objective as liblinear
(or saga) by proximal Newton steps - a coordinate-descent pass over a quadratic
model of the log-loss, then a backtracking line search, as liblinear's
newGLMNET does - warm-started from the previous strength's weights:

    F(theta) = sum_i s_i (log(1 + exp(z_i)) - t_i z_i) + lam sum_j m_j |theta_j|,
    z = A theta,

where ``A`` holds the kept columns and, with an intercept, a constant column
(liblinear's ``intercept_scaling``, penalised: ``m = 1``; saga's, not: ``m = 0``).
"""

import numpy as np

from skprune.utils._jit import njit


@njit(cache=True)
def _objective(z, t, s, theta, lam, penalised):
    value = 0.0
    for i in range(z.shape[0]):
        zi = z[i]
        value += s[i] * (max(zi, 0.0) + np.log1p(np.exp(-abs(zi))) - t[i] * zi)
    for j in range(theta.shape[0]):
        value += lam * penalised[j] * abs(theta[j])
    return value


@njit(cache=True, fastmath={"reassoc", "contract"})
def _coordinate_pass(A, w, g, lam, penalised, theta, step, r, diagonal, active):
    """One cyclic pass of coordinate descent on the quadratic model
    ``g'd + d'A'WAd / 2 + lam sum m_j |theta_j + d_j|`` over the ``active``
    coordinates (``r = A d`` kept current); returns the largest change, scaled
    by the curvature."""
    n = A.shape[0]
    largest = 0.0
    for j in active:
        total = 0.0
        for i in range(n):
            total += w[i] * A[i, j] * r[i]
        slope = g[j] + total
        h = diagonal[j]
        level = lam * penalised[j]
        u = theta[j] + step[j]
        if slope + level <= h * u:
            delta = -(slope + level) / h
        elif slope - level >= h * u:
            delta = -(slope - level) / h
        else:
            delta = -u
        if delta != 0.0:
            step[j] += delta
            for i in range(n):
                r[i] += delta * A[i, j]
            largest = max(largest, abs(delta) * np.sqrt(h))
    return largest


@njit(cache=True)
def _violation(g, theta, lam, penalised):
    """The largest entry of the minimum-norm subgradient: 0 at the optimum."""
    worst = 0.0
    for j in range(theta.shape[0]):
        level = lam * penalised[j]
        if theta[j] > 0.0:
            v = abs(g[j] + level)
        elif theta[j] < 0.0:
            v = abs(g[j] - level)
        else:
            v = max(abs(g[j]) - level, 0.0)
        worst = max(worst, v)
    return worst


@njit(cache=True, fastmath={"reassoc", "contract"})
def _proximal_newton(A, t, s, theta, lam, penalised, tol, max_iter):
    n, d = A.shape
    z = np.zeros(n)
    for j in range(d):  # column by column: A is column-major
        for i in range(n):
            z[i] += A[i, j] * theta[j]
    value = _objective(z, t, s, theta, lam, penalised)
    g, w, diagonal = np.empty(d), np.empty(n), np.empty(d)
    residual = np.empty(n)
    for _ in range(max_iter):
        for i in range(n):
            p = 1.0 / (1.0 + np.exp(-z[i]))
            w[i] = s[i] * max(p * (1.0 - p), 1e-12)
            residual[i] = s[i] * (p - t[i])
        for j in range(d):
            total = 0.0
            for i in range(n):
                total += A[i, j] * residual[i]
            g[j] = total
        if _violation(g, theta, lam, penalised) <= tol:
            return theta, True
        for j in range(d):
            total = 1e-12
            for i in range(n):
                total += w[i] * A[i, j] * A[i, j]
            diagonal[j] = total
        # coordinates at zero whose slope is well inside the penalty's dead
        # zone stay there this step (newGLMNET's shrinking): the optimality
        # test above still reads every gradient entry
        active = np.flatnonzero((theta != 0.0) | (np.abs(g) > 0.9 * lam * penalised))
        step, r = np.zeros(d), np.zeros(n)
        args = (A, w, g, lam, penalised, theta, step, r, diagonal, active)
        first = _coordinate_pass(*args)
        for _ in range(100):
            if _coordinate_pass(*args) <= 1e-3 * first:
                break
        # predicted decrease of the model: negative unless at the optimum
        decrease = 0.0
        for j in range(d):
            decrease += g[j] * step[j] + lam * penalised[j] * (
                abs(theta[j] + step[j]) - abs(theta[j])
            )
        if decrease >= -1e-12 * abs(value):  # nothing left within rounding
            return theta, True
        alpha = 1.0
        accepted = False
        for _ in range(40):
            new_theta = theta + alpha * step
            new_z = z + alpha * r
            new_value = _objective(new_z, t, s, new_theta, lam, penalised)
            if new_value < value and new_value <= value + 0.01 * alpha * decrease:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:  # no progress left within rounding
            return theta, True
        theta, z, value = new_theta, new_z, new_value
    return theta, False


def l1_logistic(Z, target, sample_weight, coef, intercept, C, intercept_column):
    """Weights minimising ``C sum_i s_i logloss_i + ||theta||_1`` from ``coef``,
    ``intercept`` (``target``: 0 / 1).

    ``intercept_column``: None (no intercept); ``("penalised", scaling)``, the
    intercept as liblinear fits it (a constant column ``scaling`` whose weight is
    penalised, ``intercept = scaling * weight``); or ``("free", 1.0)``, as saga
    fits it. Returns ``(coef, intercept)``, or None when the solver has not
    converged in 200 Newton steps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skprune.weight_pruning._solvers._l1 import l1_logistic
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(300, 5))
    >>> y = (Z[:, 0] - Z[:, 1] + rng.normal(size=300) > 0).astype(float)
    >>> w, b = l1_logistic(Z, y, None, np.zeros(5), 0.0, 0.05, ("penalised", 1.0))
    >>> ref = LogisticRegression(
    ...     C=0.05, l1_ratio=1.0, solver="liblinear", tol=1e-10
    ... ).fit(Z, y)
    >>> bool(np.allclose(w, ref.coef_[0], atol=1e-5)), int(np.count_nonzero(w))
    (True, 2)
    """
    n_samples, n_columns = Z.shape
    s = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight)
    penalised = np.ones(n_columns + (intercept_column is not None))
    theta = np.zeros(len(penalised))
    theta[:n_columns] = coef
    A = np.empty((n_samples, len(penalised)), order="F")
    A[:, :n_columns] = Z
    scaling = 1.0
    if intercept_column is not None:
        kind, scaling = intercept_column
        A[:, -1] = scaling
        penalised[-1] = 1.0 if kind == "penalised" else 0.0
        theta[-1] = intercept / scaling
    # the subgradient to within 1e-8 of the loss's scale (the weights' sum),
    # and of the penalty's where it is weaker (C = 1e6 on separable rows
    # stopped 0.25% above the optimum otherwise)
    tol = 1e-8 * s.sum() * min(1.0, 1.0 / C)
    theta, converged = _proximal_newton(
        A,
        np.asarray(target, np.float64),
        s.astype(np.float64),
        theta,
        1.0 / C,
        penalised,
        tol,
        200,
    )
    if not converged:
        return None
    if intercept_column is None:
        return theta, 0.0
    return theta[:n_columns], float(theta[-1] * scaling)
