"""Kernels import numba on their first call (skprune/utils/_jit.py)."""

import subprocess
import sys


def test_import_skprune_does_not_import_numba_and_a_small_fit_neither():
    script = (
        "import sys, numpy as np\n"
        "import skprune\n"
        "assert 'numba' not in sys.modules, 'import'\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "skprune.WeightPruner(LogisticRegression(max_iter=5000), sparsity=0.5)"
        ".fit(X, y).predict(X)\n"
        "assert 'numba' not in sys.modules, 'weights'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]


def test_a_lazy_kernel_compiles_with_its_callees_and_parallel_loops():
    import numpy as np

    from skprune.feature_pruning import _sparse
    from skprune.utils._jit import LazyKernel

    tables = np.random.default_rng(0).integers(1, 20, size=(600, 3, 2)).astype(float)
    scores = _sparse._batch(tables, False)  # calls _expected_nats, a lazy kernel
    assert not isinstance(_sparse._expected_nats, LazyKernel)  # now numba's
    expected = _sparse._one_by_one(tables, "entropy")
    np.testing.assert_allclose(scores[0], expected[0], rtol=1e-8, atol=1e-10)
