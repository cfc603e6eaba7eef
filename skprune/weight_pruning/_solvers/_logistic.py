"""The logistic loss, written once, and the Newton-type repairs built on it.

- :func:`binary_log_loss` / :func:`multinomial_log_loss`: per-sample losses from
  decision scores;
- :func:`probabilities`: the scores' class probabilities (the logistic of one
  score, or the softmax of several), as LogisticRegression's ``predict_proba``;
- :func:`newton_logistic`: the binary L2 repair (Newton steps, backtracking);
- :func:`masked_multinomial`: the multinomial L2 repair with per-class masks.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logsumexp, softmax


def binary_log_loss(z, target):
    """``log(1 + exp(z)) - t z`` per sample (``target`` 0 / 1), stable.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._solvers import binary_log_loss
    >>> binary_log_loss(np.array([0.0, 50.0]), np.array([1.0, 1.0])).round(6)
    array([0.693147, 0.      ])
    """
    return np.logaddexp(0.0, z) - target * z


def multinomial_log_loss(scores, codes):
    """``logsumexp(scores) - scores[code]`` per sample (``codes``: class index)."""
    return logsumexp(scores, axis=1) - scores[np.arange(len(scores)), codes]


def probabilities(scores):
    """Class probabilities of decision ``scores`` (n, 1) or (n, k): the
    logistic of one score (two classes) or the softmax of several.

    Examples
    --------
    >>> import numpy as np
    >>> from skprune.weight_pruning._solvers import probabilities
    >>> probabilities(np.array([[0.0]])), probabilities(np.zeros((1, 2)))
    (array([[0.5, 0.5]]), array([[0.5, 0.5]]))
    """
    if scores.shape[1] == 1:
        positive = expit(scores[:, 0])
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)


def newton_logistic(Z, target, sample_weight, coef, intercept, l2, fit_intercept):
    """Minimise ``sum_i s_i logloss(target_i, z_i) + l2 / 2 ||w||^2`` (the
    intercept unpenalised: the objective of LogisticRegression's lbfgs, newton
    and sag solvers) by Newton steps with backtracking, from ``coef``,
    ``intercept``; ``target`` is 0 / 1. Returns the weights, or None when a
    Newton system is singular.

    The repair of a binary L2 model on a few hundred kept columns, without the
    clone, parameter and input checks of a scikit-learn fit (the most of a
    repair on a small table).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skprune.weight_pruning._solvers import newton_logistic
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(200, 3))
    >>> y = (Z[:, 0] + rng.normal(size=200) > 0).astype(float)
    >>> w, b = newton_logistic(Z, y, None, np.zeros(3), 0.0, 2.0, True)
    >>> ref = LogisticRegression(C=0.5, tol=1e-10).fit(Z, y)
    >>> bool(np.allclose(w, ref.coef_[0], atol=1e-6))
    True
    """
    n_samples = Z.shape[0]
    A = np.column_stack([Z, np.ones(n_samples)]) if fit_intercept else Z
    s = np.ones(n_samples) if sample_weight is None else sample_weight
    ridge = np.full(A.shape[1], float(l2))
    if fit_intercept:
        ridge[-1] = 0.0
    theta = np.append(coef, intercept) if fit_intercept else np.array(coef, float)

    def objective(theta):
        z = A @ theta
        return s @ binary_log_loss(z, target) + 0.5 * ridge @ theta**2, z

    value, z = objective(theta)
    scale = s.sum()
    diagonal = np.diag_indices(A.shape[1])
    for _ in range(100):
        p = expit(z)
        gradient = A.T @ (s * (p - target)) + ridge * theta
        if np.max(np.abs(gradient)) <= 1e-8 * scale:
            break
        hessian = (A * (s * p * (1.0 - p))[:, None]).T @ A
        hessian[diagonal] += ridge
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return None
        decrease, t = gradient @ step, 1.0
        while True:  # Armijo backtracking
            new_value, new_z = objective(theta - t * step)
            if new_value <= value - 1e-4 * t * decrease or t < 1e-10:
                break
            t *= 0.5
        if t < 1e-10:  # no progress left within rounding
            break
        theta, value, z = theta - t * step, new_value, new_z
    if fit_intercept:
        return theta[:-1], float(theta[-1])
    return theta, 0.0


def masked_multinomial(
    Z, y_codes, sample_weight, coef, intercept, alive, l2, fit_intercept
):
    """Minimise the multinomial log-loss + ``l2/2 ||W||^2`` over the alive weights."""
    n_outputs, n_features = coef.shape
    mask = alive.astype(np.float64)
    onehot = np.eye(n_outputs)[y_codes]
    weights = np.ones(Z.shape[0]) if sample_weight is None else sample_weight

    def loss_and_gradient(theta):
        W = theta[: coef.size].reshape(coef.shape) * mask
        b = theta[coef.size :] if fit_intercept else np.zeros(n_outputs)
        scores = Z @ W.T + b
        log_norm = logsumexp(scores, axis=1)
        loss = (
            weights @ (log_norm - (onehot * scores).sum(axis=1))
            + 0.5 * l2 * (W**2).sum()
        )
        residual = (np.exp(scores - log_norm[:, None]) - onehot) * weights[:, None]
        grad_W = (np.asarray(Z.T @ residual).T + l2 * W) * mask
        grad_b = residual.sum(axis=0) if fit_intercept else np.zeros(0)
        return loss, np.concatenate([grad_W.ravel(), grad_b])

    start = np.concatenate([coef.ravel(), intercept if fit_intercept else []])
    result = minimize(
        loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    new_coef = result.x[: coef.size].reshape(coef.shape) * mask
    new_intercept = result.x[coef.size :] if fit_intercept else intercept
    return new_coef, new_intercept
