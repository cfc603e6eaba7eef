"""
Optimal Brain Surgeon against magnitude and random pruning
==========================================================

Prune a standardised logistic regression on the breast-cancer data to increasing
sparsity with each method and compare the held-out accuracy.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprune import WeightPruner
from skprune.plotting import PruningCurveDisplay

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
model = make_pipeline(StandardScaler(), LogisticRegression())

# %%
# Test accuracy against sparsity
# -------------------------------
sparsities = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95]
fig, ax = plt.subplots()
for method in ["obs", "magnitude", "random"]:
    scores = [
        WeightPruner(model, sparsity=s, method=method, random_state=0)
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for s in sparsities
    ]
    ax.plot(sparsities, scores, marker="o", label=method)
ax.set_xlabel("sparsity")
ax.set_ylabel("test accuracy")
ax.legend()
plt.show()

# %%
# A gradual schedule with a tolerance
# -----------------------------------
# Ten cubic steps; the pruner stops at the last step whose validation accuracy is
# within 0.01 of the dense model's.
pruner = WeightPruner(
    model, sparsity=0.97, n_steps=10, tolerance=0.01, random_state=0
).fit(X_train, y_train)
print(
    f"sparsity reached: {pruner.sparsity_:.2f}, columns used: {pruner.support_.sum()}"
)
PruningCurveDisplay.from_estimator(pruner)
plt.show()
