"""scikit-learn's estimator checks over every public estimator.

No estimator has expected failures (WeightPrunerCV at its defaults included),
but for WeightPrunerCV's sample-weight equivalence (its CV folds split repeated
rows differently from weighted ones, as for every CV estimator), the width
pruner's sample order invariance at 1e-7 (torch's float32 rounding) and two of
the regressor's (skorch's regressor has ``predict_proba``; its output layer fixes
the number of targets). LayerPruner is checked with a small residual net whose
input layer is lazy (any number of features) and whose output layer has room
for the checks' classes, or one output as a regressor.
"""

import torch
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch import NeuralNetClassifier, NeuralNetRegressor
from torch import nn

from skprune import FeaturePruner, LayerPruner, WeightPruner, WeightPrunerCV

ESTIMATORS = [
    FeaturePruner(),
    FeaturePruner("gini", threshold=None, max_features=0.5),
    FeaturePruner(redundancy="mrmr", threshold="median"),
    WeightPruner(LogisticRegression()),  # the default: sparsity="auto"
    WeightPruner(Ridge()),
    WeightPruner(LogisticRegression(), sparsity=0.5),
    WeightPruner(Ridge(), sparsity=0.5, method="magnitude"),
    WeightPruner(LinearRegression(), structure="feature", sparsity=0.5, n_steps=3),
    WeightPruner(RidgeClassifier(solver="lsqr"), structure="feature", sparsity=0.3),
    WeightPruner(LogisticRegression(), refit=False, sparsity=0.5, method="magnitude"),
    WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.5, n_steps=2
    ),
    WeightPrunerCV(LogisticRegression(), strengths=3, cv=3),  # sparsity="auto"
    WeightPrunerCV(LogisticRegression(), sparsity=0.5, strengths=3, cv=3),
    WeightPrunerCV(Ridge(), sparsity=0.5, tolerance=0.05, strengths=2, cv=2),
]


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(16, 16)

    def forward(self, x):
        return x + self.inner(torch.relu(x))


class _SmallNet(nn.Module):
    """Any number of inputs (LazyLinear), up to 5 classes, one residual block."""

    def __init__(self, n_out=5):
        super().__init__()
        self.head = nn.LazyLinear(16)
        self.block = _Residual()
        self.tail = nn.Linear(16, n_out)

    def forward(self, x):
        return self.tail(self.block(torch.relu(self.head(x.float()))))


_SMALL_NET = NeuralNetClassifier(
    _SmallNet,
    criterion=nn.CrossEntropyLoss,
    max_epochs=40,
    lr=0.1,
    train_split=None,
    verbose=0,
)
_SMALL_REGRESSOR = NeuralNetRegressor(
    _SmallNet,
    module__n_out=1,
    optimizer=torch.optim.Adam,
    max_epochs=40,
    lr=0.01,
    train_split=None,
    verbose=0,
)
LAYER_PRUNERS = [
    LayerPruner(_SMALL_NET, fine_tune_epochs=5, random_state=0),
    LayerPruner(_SMALL_REGRESSOR, fine_tune_epochs=5, random_state=0),
    # channels of the head and the residual block's, removed together
    LayerPruner(_SMALL_NET, structure="width", fine_tune_epochs=5, random_state=0),
]


def _expected_failures(estimator):
    """WeightPrunerCV's, which it shares with every CV estimator, one of the
    width-pruned net's, which is torch's, and two of the regressor's, which
    are skorch's and its module's."""
    if isinstance(getattr(estimator, "net", None), NeuralNetRegressor):
        return {
            "check_regressors_no_decision_function": (
                "predict_proba delegates to the wrapped net, and skorch's "
                "NeuralNetRegressor has one (its outputs)"
            ),
            "check_regressor_multioutput": (
                "the net's output layer fixes the number of targets (one here): "
                "y with 5 columns is refused with an error that says so"
            ),
        }
    if getattr(estimator, "structure", None) == "width":
        return {
            "check_methods_sample_order_invariance": (
                "torch's float32 Linear on CPU rounds a row differently by its "
                "position when in_features is not a multiple of 8 (1e-7 here; "
                "nn.Linear(14, 5) alone does it), and width pruning leaves such "
                "widths"
            )
        }
    if not isinstance(estimator, WeightPrunerCV):
        return {}
    why = (
        "CV folds split repeated rows differently from weighted ones (as for "
        "LogisticRegressionCV)"
    )
    return {
        "check_sample_weight_equivalence_on_dense_data": why,
        "check_sample_weight_equivalence_on_sparse_data": why,
    }


@parametrize_with_checks(
    [*ESTIMATORS, *LAYER_PRUNERS], expected_failed_checks=_expected_failures
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
