"""
Tuning pruning inside a Pipeline with GridSearchCV
==================================================

How many features and how many weights does a model need? Tune ``max_features`` of
:class:`~skprune.FeaturePruner` and ``sparsity`` of :class:`~skprune.WeightPruner`
together with cross-validation, then plot the score against each.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import FeaturePruner, WeightPruner

X, y = make_classification(
    n_samples=1500, n_features=40, n_informative=6, n_redundant=4, random_state=0
)
pipe = make_pipeline(
    FeaturePruner(threshold=None),
    WeightPruner(make_pipeline(StandardScaler(), LogisticRegression())),
)
grid = {
    "featurepruner__max_features": [2, 5, 10, 20, 40],
    "weightpruner__sparsity": [0.0, 0.5, 0.8],
}
search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
print("best:", search.best_params_, round(search.best_score_, 3))

# %%
# Score against kept features, one line per weight sparsity
# ---------------------------------------------------------
results = pd.DataFrame(search.cv_results_)
fig, ax = plt.subplots()
for sparsity, group in results.groupby("param_weightpruner__sparsity"):
    ax.plot(
        group["param_featurepruner__max_features"],
        group["mean_test_score"],
        marker="o",
        label=f"weight sparsity {sparsity}",
    )
ax.set_xlabel("features kept")
ax.set_ylabel("cross-validated accuracy")
ax.legend()
plt.show()
