"""Property-based tests: random mixed frames and targets through every public method.

Every outcome is a result or a ``ValueError`` / ``TypeError`` that says what is
wrong; whatever ``fit`` accepts, the other methods accept; inputs are never
changed; a fit is deterministic. CI runs the derandomized ``ci`` profile; set
``HYPOTHESIS_PROFILE=long`` for a deeper search.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import FeaturePruner, WeightPruner
from skprune.utils._validation import resolve_count

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# what an unhelpful error looks like: Python's own words from deep inside
_UNHELPFUL = ("unhashable type", "not supported between", "could not convert")


def _column(kind, n, draw):
    if kind == "int":
        values = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
        return pd.Series(values, dtype="int64")
    if kind == "nullable_int":
        values = draw(st.lists(st.none() | st.integers(-3, 3), min_size=n, max_size=n))
        return pd.Series(values, dtype="Int64")
    if kind == "float":
        finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
        values = draw(st.lists(finite | st.just(np.nan), min_size=n, max_size=n))
        return pd.Series(values, dtype="float64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if kind == "string":
        words = st.sampled_from(["a", "b", "c", "ä", ""]) | st.none()
        return pd.Series(draw(st.lists(words, min_size=n, max_size=n)), dtype=object)
    if kind == "ids":
        return pd.Series([f"id{i}" for i in range(n)])
    if kind == "category":
        levels = st.sampled_from(["x", "y", "z"]) | st.none()
        return pd.Series(
            draw(st.lists(levels, min_size=n, max_size=n)), dtype="category"
        )
    if kind == "datetime":
        days = draw(
            st.lists(st.none() | st.integers(0, 10_000), min_size=n, max_size=n)
        )
        return pd.Series(
            [
                pd.NaT
                if d is None
                else pd.Timestamp("2000-01-01") + pd.Timedelta(d, "D")
                for d in days
            ]
        )
    if kind == "timedelta":
        secs = draw(st.lists(st.none() | st.integers(0, 100), min_size=n, max_size=n))
        return pd.Series([pd.NaT if s is None else pd.Timedelta(s, "s") for s in secs])
    if kind == "constant":
        return pd.Series(np.ones(n))
    return pd.Series([np.nan] * n)  # all missing


KINDS = [
    "int",
    "nullable_int",
    "float",
    "bool",
    "string",
    "ids",
    "category",
    "datetime",
    "timedelta",
    "constant",
    "missing",
]


@st.composite
def frames(draw, kinds=KINDS, max_rows=40):
    n = draw(st.integers(1, max_rows))
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=5))
    return pd.DataFrame(
        {f"{kind}_{j}": _column(kind, n, draw) for j, kind in enumerate(chosen)}
    )


@st.composite
def targets(draw, n):
    kind = draw(st.sampled_from(["binary", "multiclass", "strings", "floats", "one"]))
    if kind == "binary":
        return np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if kind == "multiclass":
        return np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    if kind == "strings":
        return np.array(
            draw(
                st.lists(
                    st.sampled_from(["no", "yes", "maybe"]), min_size=n, max_size=n
                )
            )
        )
    if kind == "floats":
        finite = st.floats(-1e6, 1e6, allow_nan=False)
        return np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    return np.zeros(n, dtype=int)


def _fit_or_clear_error(estimator, X, y):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return estimator.fit(X, y)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert message, "an error without a message"
        assert not any(words in message for words in _UNHELPFUL), message
        return None


@st.composite
def problems(draw, kinds=KINDS):
    X = draw(frames(kinds))
    return X, draw(targets(len(X)))


FEATURE_PRUNERS = [
    FeaturePruner(),
    FeaturePruner("gini", threshold=None, max_features=0.5),
    FeaturePruner(redundancy="mrmr", threshold=None),
    FeaturePruner(redundancy="jmi", max_features=2),
    FeaturePruner("gini", redundancy="mrmr"),
    FeaturePruner("variance", redundancy="jmi", threshold=None, max_features=3),
]


@pytest.mark.parametrize("pruner", FEATURE_PRUNERS, ids=repr)
@given(problem=problems())
def test_feature_pruner_fit_transform_on_random_frames(pruner, problem):
    X, y = problem
    X_before, y_before = X.copy(), y.copy()
    fitted = _fit_or_clear_error(pruner, X, y)
    pd.testing.assert_frame_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    if fitted is None:
        return
    assert np.isfinite(fitted.scores_).all() and np.isfinite(fitted.pvalues_).all()
    if pruner.threshold is None and pruner.max_features is not None:  # k means k
        k = resolve_count(pruner.max_features, X.shape[1])
        assert len(set(fitted.selection_order_)) == len(fitted.selection_order_) == k
    kept = X.iloc[:, fitted.get_support()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no features were selected"
        out = fitted.transform(X)
        framed = fitted.set_output(transform="pandas").transform(X)
    fitted.set_output(transform="default")
    assert out.shape == kept.shape
    pd.testing.assert_frame_equal(framed, kept)
    assert list(fitted.get_feature_names_out()) == list(kept.columns)
    again = pruner.__class__(**pruner.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again.fit(X, y)
    np.testing.assert_array_equal(again.scores_, fitted.scores_)
    np.testing.assert_array_equal(again.support_, fitted.support_)


@given(problem=problems(kinds=["int", "float", "bool", "nullable_int", "constant"]))
def test_feature_pruner_partial_fit_matches_fit_on_one_chunk(problem):
    X, y = problem
    fitted = _fit_or_clear_error(FeaturePruner(threshold=None), X, y)
    if fitted is None:
        return
    streamed = FeaturePruner(threshold=None).partial_fit(X, y)
    np.testing.assert_allclose(streamed.scores_, fitted.scores_)


NUMERIC = ["int", "float", "bool", "constant"]


@pytest.mark.parametrize(
    "estimator",
    [
        WeightPruner(LogisticRegression(), sparsity=0.5),
        WeightPruner(make_pipeline(StandardScaler(), Ridge()), sparsity=0.5),
        WeightPruner(LogisticRegression(), structure="feature", sparsity=0.5),
        # skprune's own L1 solver (two classes) and the swaps' search
        WeightPruner(
            LogisticRegression(l1_ratio=1.0, solver="liblinear"),
            structure="feature",
            sparsity=0.5,
            swaps=True,
        ),
    ],
    ids=repr,
)
@settings(max_examples=60)
@given(problem=problems(kinds=NUMERIC))
def test_weight_pruner_fit_predict_on_random_frames(estimator, problem):
    X, y = problem
    X_before = X.copy()
    fitted = _fit_or_clear_error(estimator, X, y)
    pd.testing.assert_frame_equal(X, X_before)
    if fitted is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = fitted.predict(X)
        assert predicted.shape[0] == len(X)
        expected = fitted.estimator_.predict(X)
        if expected.dtype.kind == "f":  # folded scalers round differently
            np.testing.assert_allclose(predicted, expected, rtol=1e-9, atol=1e-9)
        else:
            np.testing.assert_array_equal(predicted, expected)
        # R^2 of one sample is NaN in scikit-learn too: the same as the model's
        np.testing.assert_allclose(
            fitted.score(X, y), fitted.estimator_.score(X, y), equal_nan=True
        )


def _layer_pruner(structure="layers", regressor=False):
    torch = pytest.importorskip("torch")
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    from skprune import LayerPruner

    class Net(torch.nn.Module):
        def __init__(self, n_out=5):
            super().__init__()
            self.head = torch.nn.LazyLinear(8)
            self.middle = torch.nn.Linear(8, 8)
            self.tail = torch.nn.Linear(8, n_out)

        def forward(self, x):
            return self.tail(torch.relu(self.middle(torch.relu(self.head(x)))))

    kind, criterion = NeuralNetClassifier, torch.nn.CrossEntropyLoss
    if regressor:
        kind, criterion = NeuralNetRegressor, torch.nn.MSELoss
    net = kind(
        Net,
        module__n_out=1 if regressor else 5,
        criterion=criterion,
        max_epochs=2,
        train_split=None,
        verbose=0,
    )
    return LayerPruner(net, structure=structure, fine_tune_epochs=1, random_state=0)


@settings(max_examples=25)
@given(
    problem=problems(kinds=["int", "float", "bool", "constant"]),
    structure=st.sampled_from(["layers", "width"]),
)
def test_layer_pruner_fit_predict_on_random_frames(problem, structure):
    X, y = problem
    X = X.fillna(0.0)  # a net takes no missing values: that error is the net's
    fitted = _fit_or_clear_error(_layer_pruner(structure), X, y)
    if fitted is None:
        return
    predicted = fitted.predict(X)
    assert predicted.shape == (len(X),)
    assert set(predicted) <= set(fitted.classes_)
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@settings(max_examples=25)
@given(
    X=frames(kinds=["int", "float", "bool", "constant"]),
    data=st.data(),
    structure=st.sampled_from(["layers", "width"]),
    column=st.booleans(),
)
def test_layer_pruner_regressor_predicts_y_as_it_was_given(X, data, structure, column):
    X = X.fillna(0.0)
    finite = st.floats(-1e3, 1e3, allow_nan=False)
    y = np.array(data.draw(st.lists(finite, min_size=len(X), max_size=len(X))))
    y = y[:, None] if column else y
    fitted = _fit_or_clear_error(_layer_pruner(structure, regressor=True), X, y)
    if fitted is None:
        return
    predicted = fitted.predict(X)
    assert predicted.shape == y.shape  # (n,) for a 1-d y, (n, 1) for a column
    assert np.isfinite(predicted).all()
    assert np.isfinite(fitted.score(X, y)) or len(X) < 2


@st.composite
def _sparse_problems(draw):
    """A random sparse matrix (CSR or CSC, float64 or float32; explicit zeros, NaN,
    negatives, empty columns) and a class or regression target."""
    import scipy.sparse as sp

    n = draw(st.integers(2, 40))
    p = draw(st.integers(1, 12))
    density = draw(st.floats(0.0, 0.6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    mask = rng.random((n, p)) < density
    values = draw(
        st.sampled_from(
            [
                lambda m: rng.integers(1, 4, m).astype(float),  # counts
                lambda m: rng.normal(size=m),  # continuous, negatives
                lambda m: np.where(rng.random(m) < 0.2, np.nan, rng.random(m)),
                lambda m: np.where(rng.random(m) < 0.3, 0.0, 1.0),  # explicit zeros
            ]
        )
    )
    rows, cols = np.nonzero(mask)
    matrix = sp.csr_matrix((values(len(rows)), (rows, cols)), shape=(n, p))
    if draw(st.booleans()):
        matrix = matrix.tocsc()
    if draw(st.booleans()):  # read as stored: float32 values are not copied
        matrix = matrix.astype(np.float32)
    kind = draw(st.sampled_from(["binary", "multiclass", "float"]))
    if kind == "binary":
        y = rng.integers(0, 2, n)
    elif kind == "multiclass":
        y = rng.integers(0, 4, n)
    else:
        y = rng.normal(size=n)
    return matrix, y


@given(_sparse_problems(), st.sampled_from(["entropy", "gini"]))
def test_feature_pruner_on_random_sparse_matrices(problem, criterion):
    X, y = problem
    before = X.copy()
    pruner = FeaturePruner(criterion, threshold=None, max_features=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            pruner.fit(X, y)
        except (ValueError, TypeError) as error:
            assert not any(words in str(error) for words in _UNHELPFUL), error
            return
    assert X.format == before.format  # unchanged, NaN included
    assert np.array_equal(X.data, before.data, equal_nan=True)
    assert np.array_equal(X.indices, before.indices)
    assert np.isfinite(pruner.scores_).all()
    assert ((pruner.pvalues_ >= 0) & (pruner.pvalues_ <= 1)).all()
    out = pruner.transform(X)
    assert out.format == X.format
    assert out.shape == (X.shape[0], int(pruner.support_.sum()))
    # whatever the format, the same scores
    other = X.tocsr() if X.format == "csc" else X.tocsc()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again = FeaturePruner(criterion, threshold=None, max_features=0.5).fit(other, y)
    np.testing.assert_allclose(again.scores_, pruner.scores_, atol=1e-12)


@st.composite
def _awkward_sparse(draw):
    """A random CSR/CSC matrix with what scipy allows but rarely sees: explicit
    zeros, unsorted and duplicate indices, infinities; and a class target."""
    import scipy.sparse as sp

    n, p = draw(st.integers(2, 30)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = int(rng.integers(0, n * p + 1))
    rows, cols = rng.integers(0, n, m), rng.integers(0, p, m)  # duplicates
    values = rng.normal(size=m)
    values[rng.random(m) < 0.2] = 0.0  # explicit zeros
    if draw(st.booleans()) and m:
        values[rng.integers(0, m)] = draw(st.sampled_from([np.inf, -np.inf]))
    matrix = sp.coo_matrix((values, (rows, cols)), shape=(n, p))
    matrix = matrix.tocsr() if draw(st.booleans()) else matrix.tocsc()
    matrix.has_canonical_format = False
    if draw(st.booleans()):  # unsorted indices within each row / column
        for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True):
            matrix.indices[start:stop] = matrix.indices[start:stop][::-1].copy()
            matrix.data[start:stop] = matrix.data[start:stop][::-1].copy()
        matrix.has_sorted_indices = False
    return matrix, rng.integers(0, draw(st.integers(2, 3)), n)


@given(_awkward_sparse())
def test_feature_pruner_on_awkward_sparse_input(problem):
    X, y = problem
    pruner = FeaturePruner(threshold=None, max_features=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            pruner.fit(X, y)
        except ValueError as error:
            assert "infinity in column" in str(error), error
            assert np.isinf(X.data).any()
            return
    assert not np.isinf(X.data).any()
    # how the matrix is stored does not matter: duplicates add up (as in
    # X.toarray()), a stored zero is a zero, the order of indices is free
    canonical = X.copy()
    canonical.sum_duplicates()
    canonical.eliminate_zeros()
    again = FeaturePruner(threshold=None, max_features=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again.fit(canonical, y)
    np.testing.assert_allclose(pruner.scores_, again.scores_, atol=1e-9)
    assert pruner.transform(X).shape == (X.shape[0], int(pruner.support_.sum()))


_LOGISTIC_SPELLINGS = [
    {},
    {"solver": "liblinear"},
    {"penalty": "l1", "solver": "liblinear"},
    {"penalty": "l1", "solver": "saga"},
    {"penalty": "l2", "solver": "saga"},
    {"penalty": "elasticnet", "l1_ratio": 0.5, "solver": "saga"},
    {"l1_ratio": 1.0, "solver": "liblinear"},
    {"l1_ratio": 0.5, "solver": "saga"},
    {"penalty": None},
    {"C": np.inf},
]


@st.composite
def _weighted_problems(draw):
    """Numeric X, a class target, and sample weights that may hold zero blocks."""
    n = draw(st.integers(12, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(n, draw(st.integers(1, 6))))
    y = rng.integers(0, draw(st.integers(2, 3)), n)
    weight = draw(
        st.sampled_from(
            [
                None,
                np.ones(n),
                np.where(np.arange(n) < n // 2, 0.0, 1.0),  # a zero block
                rng.integers(0, 3, n).astype(float),
            ]
        )
    )
    return X, y, weight


@settings(max_examples=60)
@given(
    problem=_weighted_problems(),
    spelling=st.sampled_from(_LOGISTIC_SPELLINGS),
    structure=st.sampled_from(["unstructured", "feature"]),
    swaps=st.booleans(),
)
def test_weight_pruner_cv_takes_every_logistic_spelling(
    problem, spelling, structure, swaps
):
    from skprune import WeightPrunerCV

    X, y, weight = problem
    pruner = WeightPrunerCV(
        LogisticRegression(**spelling),
        sparsity=0.5,
        structure=structure,
        swaps=swaps,
        strengths=3,
        cv=2,
        random_state=0,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pruner.fit(X, y, sample_weight=weight)
    except ValueError as error:
        message = str(error)
        assert not any(words in message for words in _UNHELPFUL), message
        assert any(
            reason in message
            for reason in (
                "held-out row has sample_weight 0",
                "cannot take an L1 penalty",
                "populated class",
                "only one class",
                "contains only one class",
                "needs samples of at least 2 classes",
                "Sample weights must contain at least one non-zero number",
                "does not support multiclass",  # the user's liblinear model
            )
        ), message
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = pruner.predict(X)
        shipped = pruner.to_estimator().predict(X)
    np.testing.assert_array_equal(predicted, shipped)
    assert set(predicted) <= set(y)


def _small_net(kind, torch):
    nn = torch.nn
    if kind == "conv":
        return nn.Sequential(
            nn.Unflatten(1, (1, 4, 4)),
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(4, 4, 3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(3),
        )
    return nn.Sequential(
        nn.Linear(16, 8),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(8, 8),
        nn.ReLU(),
        nn.LazyLinear(3),
    )


@settings(max_examples=20)
@given(
    kind=st.sampled_from(["conv", "mlp"]),
    epochs=st.integers(0, 2),
    offset=st.sampled_from([0.0, 100.0]),
    seed=st.integers(0, 2**16),
)
def test_layer_pruner_on_barely_trained_nets_with_common_layers(
    kind, epochs, offset, seed
):
    torch = pytest.importorskip("torch")
    from skorch import NeuralNetClassifier

    from skprune import LayerPruner

    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(60, 16)) + offset).astype(np.float32)
    y = rng.integers(0, 3, 60)
    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        _small_net(kind, torch),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=max(epochs, 1),
        lr=0.05,
        train_split=None,
        verbose=0,
    )
    pruner = LayerPruner(net, n_layers=1, fine_tune_epochs=epochs, random_state=0)
    fitted = _fit_or_clear_error(pruner, X, y)
    if fitted is None:
        return
    proba = fitted.predict_proba(X)
    assert proba.shape == (60, 3) and np.isfinite(proba).all()
    assert set(fitted.predict(X)) <= {0, 1, 2}
