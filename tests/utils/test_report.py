"""report()'s table helpers (skprune/utils/_report.py)."""

import numpy as np
import pytest

from skprune.utils._report import COLUMNS, median_seconds, pickled_bytes, report_frame


def test_the_table_has_the_two_rows_and_every_column():
    table = report_frame({"parameters": 10, "score": 0.9}, {"parameters": 3})
    assert list(table.index) == ["dense", "pruned"]
    assert list(table.columns) == list(COLUMNS)
    assert table.loc["pruned", "parameters"] == 3
    assert np.isnan(table.loc["pruned", "score"])


def test_sizes_and_times_are_measured():
    assert pickled_bytes(np.zeros(1000)) > pickled_bytes(np.zeros(10))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeats=3) >= 0
    assert len(calls) == 4  # one untimed call first
    with pytest.raises(ZeroDivisionError):
        median_seconds(lambda: 1 / 0, repeats=1)
