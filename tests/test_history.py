"""Every pruner's history_ speaks one vocabulary (skprune.utils._loop)."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import WeightPruner, WeightPrunerCV
from skprune.utils._loop import SHARED_KEYS


def _model():
    return make_pipeline(StandardScaler(), LogisticRegression())


def _check_shared(history, n_units_removed):
    for record in history:
        assert set(SHARED_KEYS) <= set(record)
    assert history[0]["n_removed"] == 0
    assert history[0]["score_before_repair"] == history[0]["score"]
    assert [r["step"] for r in history] == list(range(len(history)))
    assert np.all(np.diff([r["n_removed"] for r in history]) > 0)
    assert history[-1]["n_removed"] == n_units_removed
    assert np.all(np.diff([r["seconds"] for r in history]) >= 0)


@pytest.mark.parametrize(
    "pruner",
    [
        WeightPruner(_model(), sparsity=0.9, n_steps=3, structure="feature"),
        WeightPruner(_model(), sparsity=0.9, tolerance=0.02, random_state=0),
        WeightPrunerCV(_model(), sparsity=0.9, structure="feature", cv=3),
    ],
    ids=["schedule", "tolerance", "cv"],
)
def test_weight_pruners_record_the_shared_keys(pruner):
    X, y = load_breast_cancer(return_X_y=True)
    pruner.fit(X, y)
    units = pruner.support_ if pruner.structure == "feature" else pruner.mask_
    _check_shared(pruner.history_, int((~units).sum()))
    # the repair never leaves the training score below the path's weights'
    if pruner.tolerance is None and not isinstance(pruner, WeightPrunerCV):
        for record in pruner.history_[1:]:
            assert record["score"] >= record["score_before_repair"] - 1e-9


def test_the_layer_pruner_records_the_shared_keys():
    pytest.importorskip("torch")
    from skprune import LayerPruner

    from .layer_pruning.conftest import ResidualMLP, make_net

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    net = make_net(ResidualMLP, module__n_in=30, module__n_out=2, max_epochs=3)
    pruner = LayerPruner(net, n_layers=2, fine_tune_epochs=2, random_state=0)
    pruner.fit(X, y)
    _check_shared(pruner.history_, 2)
    assert pruner.history_[-1]["healing_epochs"] > 0
