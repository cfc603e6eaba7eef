import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import FeaturePruner, WeightPruner
from skprune.plotting import FeatureScoreDisplay, PruningCurveDisplay

matplotlib.use("Agg")


def test_pruning_curve_from_a_weight_pruner_with_validation():
    X, y = load_breast_cancer(return_X_y=True)
    pruner = WeightPruner(
        make_pipeline(StandardScaler(), LogisticRegression()),
        sparsity=0.9,
        n_steps=4,
        tolerance=0.5,
        random_state=0,
    ).fit(X, y)
    display = PruningCurveDisplay.from_estimator(pruner)
    assert len(display.line_.get_xdata()) == len(pruner.history_) == 5
    np.testing.assert_allclose(
        display.line_.get_ydata(), [r["validation_score"] for r in pruner.history_]
    )
    assert display.ax_.get_xlabel().startswith("sparsity")
    assert display.ax_.get_ylabel() == "score after repair"
    assert display.ax_.get_legend().get_texts()[0].get_text() == "WeightPruner"


def test_pruning_curve_reads_the_shared_keys_and_draws_on_ax():
    import matplotlib.pyplot as plt

    history = pd.DataFrame(
        {
            "step": [0, 1, 2],
            "n_removed": [0, 5, 9],
            "sparsity": [0.0, 0.5, 0.9],
            "score_before_repair": [0.9, 0.8, 0.7],
            "score": [0.9, 0.89, 0.8],
        }
    )
    _, ax = plt.subplots()
    display = PruningCurveDisplay.from_history(history, ax=ax, name="run")
    assert display.ax_ is ax
    np.testing.assert_allclose(display.line_.get_xdata(), [0.0, 0.5, 0.9])
    np.testing.assert_allclose(display.line_.get_ydata(), [0.9, 0.89, 0.8])
    before = PruningCurveDisplay.from_history(history, y="score_before_repair")
    assert before.ax_.get_ylabel() == "score before repair"


def test_layer_history_is_plotted_against_units_removed():
    history = [
        {"step": 0, "n_removed": 0, "score_before_repair": 0.9, "score": 0.9},
        {"step": 1, "n_removed": 1, "score_before_repair": 0.7, "score": 0.88},
    ]
    display = PruningCurveDisplay.from_history(history)
    np.testing.assert_allclose(display.line_.get_ydata(), [0.9, 0.88])
    assert display.ax_.get_xlabel() == "units removed"


def test_pruning_curve_needs_a_history():
    with pytest.raises(TypeError, match="no history_"):
        PruningCurveDisplay.from_estimator(FeaturePruner())
    with pytest.raises(ValueError, match="no column to plot"):
        PruningCurveDisplay.from_history([{"a": 1}])


def test_feature_score_bars_mark_kept_columns_and_threshold():
    X, y = make_classification(
        n_samples=800,
        n_features=12,
        n_informative=3,
        n_redundant=0,
        shuffle=False,
        random_state=2,
    )
    frame = pd.DataFrame(X, columns=[f"col{i}" for i in range(12)])
    pruner = FeaturePruner().fit(frame, y)
    display = FeatureScoreDisplay.from_estimator(pruner, max_shown=10)
    assert len(display.bars_) == 10
    labels = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert labels[:3] == [f"col{i}" for i in np.argsort(-pruner.scores_)[:3]]
    kept = pruner.get_support().sum()
    blue = matplotlib.colors.to_rgba("tab:blue")
    colours = [bar.get_facecolor() for bar in display.bars_]
    assert sum(c == blue for c in colours) == kept
    assert display.threshold_line_.get_ydata()[0] == pytest.approx(
        pruner.scores_[pruner.get_support()].min()
    )
    numeric = FeatureScoreDisplay.from_estimator(
        FeaturePruner(threshold="mean").fit(X, y)
    )
    assert numeric.threshold_line_.get_ydata()[0] == pytest.approx(
        FeaturePruner(threshold=None).fit(X, y).scores_.mean()
    )
