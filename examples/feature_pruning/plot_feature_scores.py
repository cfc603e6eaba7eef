"""
Scoring the columns of a real table
===================================

:class:`~skprune.FeaturePruner` on the breast-cancer table padded with noise columns
and a string ID: the scores, what the automatic threshold keeps, and what pruning
does to a model's accuracy.
"""

# %%
# A table with signal, noise and an ID column
# -------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from skprune import FeaturePruner
from skprune.plotting import FeatureScoreDisplay

data = load_breast_cancer(as_frame=True)
rng = np.random.default_rng(0)
X = pd.concat(
    [
        data.data,
        pd.DataFrame(rng.normal(size=(len(data.data), 10))).add_prefix("noise_"),
    ],
    axis=1,
)
X["patient_id"] = [f"P{i:05d}" for i in range(len(X))]
y = data.target

# %%
# Scores and the automatic threshold
# ----------------------------------
# The ID column predicts the training labels perfectly, but its bias-adjusted score
# is zero; the G-test keeps the columns whose dependence on the target is
# significant after Holm's correction.
pruner = FeaturePruner().fit(X, y)
print(f"kept {pruner.get_support().sum()} of {X.shape[1]} columns")
print("patient_id score:", round(float(pruner.scores_[-1]), 6))
fig, ax = plt.subplots(figsize=(10, 4.5))
FeatureScoreDisplay.from_estimator(pruner, ax=ax, max_shown=len(X.columns))
plt.tight_layout()

# %%
# Entropy and Gini agree on the order
# -----------------------------------
gini = FeaturePruner("gini", threshold=None).fit(X, y)
fig, ax = plt.subplots()
ax.scatter(pruner.scores_, gini.scores_)
ax.set_xlabel("adjusted information gain (bits)")
ax.set_ylabel("adjusted Gini gain")
plt.show()
