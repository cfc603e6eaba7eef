"""scikit-learn's estimator checks over every public estimator, with no expected
failures."""

from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skprune import FeaturePruner, WeightPruner

ESTIMATORS = [
    FeaturePruner(),
    FeaturePruner("gini", threshold=None, max_features=0.5),
    FeaturePruner(redundancy="mrmr", threshold="median"),
    WeightPruner(LogisticRegression(), sparsity=0.5),
    WeightPruner(Ridge(), sparsity=0.5, method="magnitude"),
    WeightPruner(LinearRegression(), structure="feature", sparsity=0.5, n_steps=3),
    WeightPruner(RidgeClassifier(), structure="feature", sparsity=0.3),
    WeightPruner(LogisticRegression(), refit=False, sparsity=0.5, method="magnitude"),
    WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()), sparsity=0.5, n_steps=2
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
