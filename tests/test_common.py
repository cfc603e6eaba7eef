"""scikit-learn's estimator checks over every public estimator, with no expected
failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skprune import FeaturePruner

ESTIMATORS = [
    FeaturePruner(),
    FeaturePruner("gini", threshold=None, max_features=0.5),
    FeaturePruner(redundancy="mrmr", threshold="median"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
