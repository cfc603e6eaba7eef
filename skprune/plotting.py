"""Plots of pruning results, in scikit-learn's Display style.

matplotlib is an optional dependency (``pip install "skprune[plot]"``), imported
only when something is drawn.

- :class:`PruningCurveDisplay`: score against sparsity or units removed, from any
  fitted pruner's ``history_``;
- :class:`FeatureScoreDisplay`: the scores of a fitted :class:`FeaturePruner` as
  bars, kept and dropped columns coloured apart, the threshold marked;
- :class:`ReportDisplay`: a pruner's ``report()`` as pruned / dense ratios.
"""

import numpy as np
import pandas as pd

__all__ = ["FeatureScoreDisplay", "PruningCurveDisplay", "ReportDisplay"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'Plotting needs matplotlib: pip install "skprune[plot]"'
        ) from error
    if ax is None:
        _, ax = plt.subplots()
    return ax


_LABELS = {
    "sparsity": "sparsity (fraction of units pruned)",
    "n_removed": "units removed",
    "step": "step",
    "n_parameters": "parameters",
    "n_nonzero": "nonzero weights",
    "score": "score after repair",
    "score_before_repair": "score before repair",
}


class PruningCurveDisplay:
    """Score against sparsity (or units removed) along a pruning run.

    Use :meth:`from_estimator` or :meth:`from_history` to build one.

    Parameters
    ----------
    x, y : array-like
        The points of the curve.

    x_label, y_label : str
        Axis labels.

    name : str or None, default=None
        Legend label of the curve.

    Attributes
    ----------
    line_ : matplotlib Line2D
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprune import WeightPruner
    >>> from skprune.plotting import PruningCurveDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> pruner = WeightPruner(model, sparsity=0.95, n_steps=5).fit(X, y)
    >>> display = PruningCurveDisplay.from_estimator(pruner)
    >>> len(display.line_.get_xdata())
    6
    """

    def __init__(self, *, x, y, x_label, y_label, name=None):
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.x_label = x_label
        self.y_label = y_label
        self.name = name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curve on ``ax`` (a new figure if None); returns self."""
        ax = _axes(ax)
        name = self.name if name is None else name
        (self.line_,) = ax.plot(self.x, self.y, marker="o", label=name, **kwargs)
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(self.y_label)
        if name is not None:
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_history(cls, history, *, x=None, y=None, ax=None, name=None, **kwargs):
        """Plot a ``history_`` (list of dicts or DataFrame).

        The keys every pruner's history shares: ``x`` defaults to
        ``"sparsity"`` where the history has it (WeightPruner), else
        ``"n_removed"``; ``y`` to ``"score"`` (after each step's repair).
        """
        frame = pd.DataFrame(history)
        x = x or ("sparsity" if "sparsity" in frame else "n_removed")
        y = y or "score"
        if x not in frame or y not in frame:
            raise ValueError(
                f"history has no column to plot (x={x!r}, y={y!r}); it has "
                f"{list(frame.columns)}."
            )
        display = cls(
            x=frame[x],
            y=frame[y].to_numpy(dtype=float),
            x_label=_LABELS.get(x, x),
            y_label=_LABELS.get(y, y.replace("_", " ")),
            name=name,
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, x=None, y=None, ax=None, name=None, **kwargs):
        """Plot the ``history_`` of a fitted WeightPruner or LayerPruner."""
        if not hasattr(estimator, "history_"):
            raise TypeError(
                f"{type(estimator).__name__} has no history_: fit a WeightPruner or "
                "LayerPruner first."
            )
        name = type(estimator).__name__ if name is None else name
        return cls.from_history(
            estimator.history_, x=x, y=y, ax=ax, name=name, **kwargs
        )


class FeatureScoreDisplay:
    """Bar chart of a FeaturePruner's scores, kept columns highlighted.

    Parameters
    ----------
    scores : array-like of shape (n_features,)
    support : array-like of bool, shape (n_features,)
    feature_names : array-like of str, shape (n_features,)
    threshold : float or None, default=None
        Where to draw the cut; None draws it below the lowest kept score.
    threshold_label : str, default="threshold"

    Attributes
    ----------
    bars_ : matplotlib BarContainer
    threshold_line_ : matplotlib Line2D or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from skprune import FeaturePruner
    >>> from skprune.plotting import FeatureScoreDisplay
    >>> X, y = make_classification(n_samples=500, n_features=8, n_informative=2,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> display = FeatureScoreDisplay.from_estimator(FeaturePruner().fit(X, y))
    >>> len(display.bars_)
    8
    """

    def __init__(
        self,
        *,
        scores,
        support,
        feature_names,
        threshold=None,
        threshold_label="threshold",
    ):
        self.scores = np.asarray(scores, dtype=float)
        self.support = np.asarray(support, dtype=bool)
        self.feature_names = np.asarray(feature_names, dtype=object)
        self.threshold = threshold
        self.threshold_label = threshold_label

    def plot(self, ax=None, *, max_shown=30):
        """Draw the ``max_shown`` best-scored columns on ``ax``; returns self."""
        ax = _axes(ax)
        order = np.argsort(-self.scores, kind="stable")[:max_shown]
        colours = np.where(self.support[order], "tab:blue", "tab:gray")
        self.bars_ = ax.bar(range(len(order)), self.scores[order], color=colours)
        ax.set_xticks(range(len(order)), self.feature_names[order], rotation=90)
        ax.set_ylabel("score")
        cut = self.threshold
        if cut is None and self.support.any():
            cut = self.scores[self.support].min()
        self.threshold_line_ = None
        if cut is not None:
            self.threshold_line_ = ax.axhline(
                cut, color="tab:red", linestyle="--", label=self.threshold_label
            )
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, pruner, *, ax=None, max_shown=30):
        """Plot a fitted FeaturePruner's ``scores_`` and ``get_support()``."""
        names = getattr(pruner, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(pruner.n_features_in_)]
        threshold = pruner.threshold
        if isinstance(threshold, str) and threshold != "auto":
            from skprune.utils._validation import resolve_threshold

            threshold = resolve_threshold(threshold, pruner.scores_)
        label = "auto (G-test, Holm)" if threshold == "auto" else "threshold"
        display = cls(
            scores=pruner.scores_,
            support=pruner.get_support(),
            feature_names=names,
            threshold=None if threshold in ("auto", None) else float(threshold),
            threshold_label=label,
        )
        return display.plot(ax=ax, max_shown=max_shown)


class ReportDisplay:
    """What pruning bought, as bars: each ``report()`` column of the pruned model
    over the dense one's (1 = unchanged), green where pruning helped (a smaller
    cost, a score held or higher), red where it did not.

    Parameters
    ----------
    report : pandas.DataFrame
        A pruner's ``report()`` table (rows ``"dense"`` and ``"pruned"``).

    name : str or None, default=None
        Title of the plot.

    Attributes
    ----------
    ratios_ : pandas.Series
        Pruned over dense, per column (NaN columns left out).

    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skprune.plotting import ReportDisplay
    >>> report = pd.DataFrame({"parameters": [100, 10], "score": [0.9, 0.88]},
    ...                       index=["dense", "pruned"])
    >>> display = ReportDisplay.from_report(report, name="demo")
    >>> display.ratios_.round(3).to_dict()
    {'parameters': 0.1, 'score': 0.978}
    """

    def __init__(self, report, name=None):
        self.report = report
        self.name = name

    @classmethod
    def from_report(cls, report, *, name=None, ax=None):
        """Plot a ``report()`` table's pruned / dense ratios.

        Parameters
        ----------
        report : pandas.DataFrame
            A pruner's ``report()`` table.

        name : str or None, default=None
            Title of the plot.

        ax : matplotlib Axes or None, default=None
            Where to draw (a new figure if None).

        Returns
        -------
        display : ReportDisplay
        """
        return cls(report, name).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the bars; returns ``self``."""
        ax = _axes(ax)
        ratios = (self.report.loc["pruned"] / self.report.loc["dense"]).dropna()
        self.ratios_ = ratios
        # green where pruning helped: smaller costs, a score held or higher
        colors = [
            "tab:green" if (r >= 1 if name == "score" else r <= 1) else "tab:red"
            for name, r in ratios.items()
        ]
        bars = ax.barh(
            list(ratios.index)[::-1], ratios.to_numpy()[::-1], color=colors[::-1]
        )
        ax.bar_label(bars, labels=[f"{r:.2f}x" for r in ratios.to_numpy()[::-1]])
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xlabel("pruned / dense")
        ax.set_xlim(0, max(1.2, float(ratios.max()) * 1.25))
        if self.name:
            ax.set_title(self.name)
        self.ax_, self.figure_ = ax, ax.figure
        return self
