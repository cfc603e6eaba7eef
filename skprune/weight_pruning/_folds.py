"""One fold of WeightPrunerCV: every candidate repaired and scored.

Inside a fold the wrapped model is fitted on the training part (once per
ranking model), one pruning path is computed per ranking (it serves every
sparsity tried), and each level is repaired with every (penalty, strength)
candidate, per penalty from the strongest shrinkage to the weakest, each
warm-started from the last; the held-out part scores them. A penalty's chain
stops once :data:`_PATIENCE` strengths in a row score more than
:data:`_MARGIN` below its best (left NaN, as skipped).
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from skprune.utils._compat import _check_method_params, _safe_indexing
from skprune.weight_pruning._choice import NegLogLoss
from skprune.weight_pruning._linear import Problem, with_weights
from skprune.weight_pruning._repair import as_2d, repair_problem

# a chain of repair strengths stops in a fold once this many in a row score
# more than _MARGIN (relative) below its best so far: past the best, the weak
# L1 refits are the slowest fits of the CV
_PATIENCE = 2
_MARGIN = 0.02


def fold_scores(
    X,
    y,
    step_params,
    fold,
    *,
    estimator,
    selecting,
    ranked_path,
    structure,
    random_state,
    scorer,
    candidates,
    levels,
    rankings,
    start,
):
    """Scores of one CV fold: the dense model's, and every (ranking, level,
    repair candidate)'s in an (n_rankings, n_levels, n_candidates) array,
    with their numbers of nonzeros.

    ``estimator``: the wrapped model; ``selecting(m)``: the model whose
    weights rank for a shrinkage ``m`` times stronger; ``ranked_path``: the
    pruning path of a schedule (``WeightPrunerCV._ranked_path``);
    ``structure``, ``random_state``: the pruner's; ``start``: the weights of
    the fit on all the data, which warm-start the fold's dense fits."""
    train, test = fold
    params = {
        name: _check_method_params(X, value, train)
        for name, value in step_params.items()
    }
    data = (_safe_indexing(X, train), _safe_indexing(y, train), params)
    classifier = is_classifier(estimator)
    test_params = _check_method_params(X, list(step_params.values())[-1], test)
    weight = test_params.get("sample_weight")
    kwargs = {} if weight is None else {"sample_weight": weight}
    given = Problem(estimator, data, classifier, start)
    # the Pipeline's head transforms the test part once (it does not depend
    # on the last step's shrinkage); each candidate is scored as its last
    # step on it
    Z_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    if isinstance(given.model, Pipeline) and len(given.model) > 1:
        Z_test = given.model[:-1].transform(Z_test)

    # a LogisticRegression's log-loss straight from the weights; every model
    # of the fold (each ranking model's) has the same type and classes
    direct = (
        scorer.weights_scorer(given.final, Z_test, y_test, weight)
        if isinstance(scorer, NegLogLoss)
        else None
    )

    def score(final, coef, intercept):
        if direct is not None:
            return direct(coef, intercept)
        model = with_weights(final, coef, intercept)
        return float(scorer(model, Z_test, y_test, **kwargs))

    dense = score(given.final, *as_2d(given.final.coef_, given.final.intercept_))
    shape = (len(rankings), len(levels), len(candidates))
    scores, nonzero = np.full(shape, np.nan), np.full(shape, np.nan)
    problems = {1.0: given}  # one dense fit per ranking model
    for r, (multiplier, steps) in enumerate(rankings):
        if multiplier not in problems:
            ranking = selecting(multiplier)
            problems[multiplier] = Problem(ranking, data, classifier, start)
        path = _path(
            ranked_path, problems[multiplier], levels, structure, random_state, steps
        )
        _score_levels(
            path,
            problems[multiplier],
            levels,
            candidates,
            score,
            scores[r],
            nonzero[r],
        )
    return dense, scores, nonzero


def _path(ranked_path, problem, levels, structure, random_state, steps):
    """``problem``'s pruning path down to the sparsest of ``levels``, on the
    schedule ``steps``."""
    coef, intercept = as_2d(problem.final.coef_, problem.final.intercept_)
    n_units = coef.size if structure == "unstructured" else coef.shape[1]
    alive = np.ones(
        coef.shape if structure == "unstructured" else (1, coef.shape[1]), bool
    )
    target = int(round(levels[-1] * n_units, 9))
    rng = check_random_state(random_state)
    return ranked_path(problem, coef, intercept, alive, target, n_units, rng, steps)


def _score_levels(path, problem, levels, candidates, score, scores, nonzero):
    """Repair each level of ``problem``'s pruning ``path`` with every
    (penalty, strength) candidate (per penalty strongest first, warm-started)
    and score it, into ``scores`` and ``nonzero`` (n_levels, n_candidates)."""
    n_units = path[0].alive.size  # weights, or whole columns
    counts = [int(round(s * n_units, 9)) for s in levels]
    done = np.array([level.n_pruned for level in path])
    for i, count in enumerate(counts):
        level = path[int(np.searchsorted(done, count, side="right")) - 1]
        for j, (shrinkage, strength) in enumerate(candidates):
            if j == 0 or shrinkage is not candidates[j - 1][0]:  # a new chain
                start, best, falls = (level.coef, level.intercept), -np.inf, 0
            if falls >= _PATIENCE:  # past this chain's best: left NaN
                continue
            model = shrinkage.model(problem.final, strength)
            start = repair_problem(model, problem, *start, level.alive)
            nonzero[i, j] = np.count_nonzero(start[0])
            # a repair that zeroes every weight leaves the intercept-only
            # model, not a pruned one: no candidate (its fold log-loss can
            # win on a near-chance table, at a ROC AUC of 0.5)
            if nonzero[i, j] > 0:
                scores[i, j] = score(problem.final, *start)
            fell = scores[i, j] < best - _MARGIN * abs(best)
            falls = falls + 1 if fell else 0
            best = max(best, scores[i, j])
