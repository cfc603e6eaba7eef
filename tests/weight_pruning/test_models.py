"""What skprune knows about a model class (weight_pruning/_models.py)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from skprune.weight_pruning._models import (
    MODELS,
    affine_steps,
    is_columnwise,
    logistic_penalty,
    logistic_settings,
    model_kind,
    own_params,
)


class MyLR(LogisticRegression):
    pass


class MyMyLR(MyLR):
    pass


def test_subclasses_are_their_scikit_learn_base_and_cv_classes_are_not():
    assert model_kind(MyLR()) == model_kind(MyMyLR()) == "LogisticRegression"
    assert model_kind(LogisticRegressionCV()) == "LogisticRegressionCV"
    assert model_kind(Ridge()) == "Ridge"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"penalty": "l1", "l1_ratio": 0.0, "C": 2.0}, (1.0, 2.0)),
        ({"penalty": "l2", "l1_ratio": 1.0, "C": 2.0}, (0.0, 2.0)),
        ({"penalty": "elasticnet", "l1_ratio": 0.3, "C": 1.0}, (0.3, 1.0)),
        ({"penalty": None, "l1_ratio": 0.0, "C": 1.0}, (0.0, np.inf)),
        ({"penalty": "deprecated", "l1_ratio": None, "C": 0.5}, (0.0, 0.5)),
        ({"penalty": "deprecated", "l1_ratio": 1.0, "C": np.inf}, (1.0, np.inf)),
    ],
)
def test_every_penalty_spelling_reads_as_its_l1_ratio_and_c(params, expected):
    assert logistic_penalty(params) == expected


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_settings_give_the_model_that_penalty_whatever_its_spelling(l1_ratio):
    import warnings

    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        user = LogisticRegression(penalty="l1", solver="liblinear")
    model = user.set_params(**logistic_settings(user, l1_ratio, solver="saga"))
    assert logistic_penalty(own_params(model))[0] == l1_ratio
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the current spelling
        model.set_params(max_iter=5000).fit(X, y)


def test_own_params_equal_get_params():
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3))[-1]
    assert own_params(model) == model.get_params(deep=False)


@pytest.mark.parametrize(
    "scalers",
    [
        [StandardScaler()],
        [StandardScaler(with_mean=False)],
        [MinMaxScaler(), RobustScaler()],
        [MaxAbsScaler(), StandardScaler()],
    ],
)
def test_the_scalers_affine_map_equals_their_transform(scalers):
    X = np.random.default_rng(1).normal(size=(50, 3)) * [1, 10, 100] + 5
    head = make_pipeline(*scalers).fit(X)
    assert all(is_columnwise(step) for _, step in head.steps)
    scale, shift = affine_steps(head, 3)
    np.testing.assert_allclose(X * scale + shift, head.transform(X), atol=1e-12)


def test_a_head_that_is_not_per_column_has_no_affine_map():
    head = make_pipeline(OneHotEncoder()).fit(np.array([[0], [1]]))
    assert not is_columnwise(head[0])
    assert affine_steps(head, 1) is None


def _sklearn_class(name):
    import sklearn.linear_model
    import sklearn.svm

    return getattr(sklearn.linear_model, name, None) or getattr(sklearn.svm, name)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_table_names_real_classes_and_settings_they_take(name):
    cls = _sklearn_class(name)
    assert model_kind(cls()) == name
    for n_classes in (2, 3):
        for penalty in (MODELS[name].l1, MODELS[name].l2):
            settings = None if penalty is None else penalty(cls(), n_classes)
            if settings is not None:  # parameters the class takes, valid ones
                cls().set_params(**settings)._validate_params()
    MODELS[name].curvature(own_params(cls()))  # reads parameters it has
    assert MODELS[name].l2_strength(own_params(cls()), 10) >= 0.0
