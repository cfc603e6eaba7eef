import numpy as np
import pytest

from skprune.feature_pruning import (
    adjusted_gain,
    expected_gini_gain,
    expected_information_gain,
    g_test,
    gini_gain,
    information_gain,
)


def _table(x, y):
    xs, x_codes = np.unique(x, return_inverse=True)
    ys, y_codes = np.unique(y, return_inverse=True)
    table = np.zeros((xs.size, ys.size))
    np.add.at(table, (x_codes, y_codes), 1)
    return table


def test_information_gain_matches_entropy_identity():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 500)
    y = (x + rng.integers(0, 3, 500)) % 3
    table = _table(x, y)
    p_xy = table / table.sum()
    p_x, p_y = p_xy.sum(1), p_xy.sum(0)
    nz = p_xy > 0
    expected = (p_xy[nz] * np.log2(p_xy[nz] / np.outer(p_x, p_y)[nz])).sum()
    assert information_gain(table) == pytest.approx(expected)


@pytest.mark.parametrize("gain", [information_gain, gini_gain])
def test_gains_ignore_empty_levels_and_order(gain):
    table = np.array([[8.0, 2.0], [1.0, 9.0], [5.0, 5.0]])
    padded = np.vstack([table[[2, 0]], np.zeros((1, 2)), table[[1]]])
    assert gain(padded) == pytest.approx(gain(table))
    assert gain(table[:, ::-1]) == pytest.approx(gain(table))


@pytest.mark.parametrize(
    "gain, expected",
    [(information_gain, expected_information_gain), (gini_gain, expected_gini_gain)],
)
def test_expected_gain_matches_permutation_average(gain, expected):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 60)
    y = rng.integers(0, 3, 60)
    permuted = [gain(_table(x, rng.permutation(y))) for _ in range(4000)]
    assert expected(_table(x, y)) == pytest.approx(np.mean(permuted), rel=0.03)


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_unique_ids_have_zero_adjusted_gain(criterion):
    y = np.array([0, 1] * 50)
    ids = np.arange(100)
    table = _table(ids, y)
    raw = information_gain(table) if criterion == "entropy" else gini_gain(table)
    assert raw > 0.45
    assert adjusted_gain(table, criterion) == pytest.approx(0.0, abs=1e-9)


def test_expected_information_gain_handles_large_margins_quickly():
    table = np.array([[300_000.0, 200_000.0], [250_000.0, 250_000.0]])
    expected = expected_information_gain(table)
    # Miller-Madow: E[I] ~ (r - 1)(c - 1) / (2 n ln 2) bits for large n.
    assert expected == pytest.approx(1 / (2 * 1e6 * np.log(2)), rel=0.01)


def test_g_test_detects_dependence_and_not_sparse_noise():
    _, dof, p_dependent = g_test([[40, 10], [10, 40]])
    assert dof == 1 and p_dependent < 1e-6
    y = np.array([0, 1] * 500)
    _, dof, p_ids = g_test(_table(np.arange(1000), y))
    assert dof == 999 and p_ids > 0.5


def test_g_test_of_a_constant_is_one():
    assert g_test([[10, 20]]) == (0.0, 0, 1.0)
