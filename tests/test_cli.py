import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skprune.cli import main


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "signal": y + rng.normal(scale=0.3, size=n),
            "city": np.where(y == 1, "oslo", "rome"),
            "noise": rng.normal(size=n),
            "id": [f"r{i}" for i in range(n)],
            "label": np.where(y == 1, "yes", "no"),
        }
    )
    frame.loc[::10, "signal"] = np.nan
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_features_prints_a_ranked_table_and_writes_the_pruned_one(
    table, tmp_path, capsys
):
    out_path = tmp_path / "pruned.csv"
    code = main(
        ["features", str(table), "--target", "label", "--output", str(out_path)]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["feature", "score", "p_value", "kept"]
    ranked = [line.split()[0] for line in lines[1:5]]
    assert set(ranked[:2]) == {"signal", "city"}
    assert "kept 2 of 4 columns" in lines
    pruned = pd.read_csv(out_path)
    assert list(pruned.columns) == ["signal", "city", "label"]
    assert pruned["signal"].isna().sum() == 60  # values are kept as they were


def test_options_reach_the_pruner(table, capsys):
    code = main(
        [
            "features",
            str(table),
            "--target",
            "label",
            "--criterion",
            "gini",
            "--threshold",
            "none",
            "--max-features",
            "1",
            "--redundancy",
            "mrmr",
        ]
    )
    assert code == 0
    assert "kept 1 of 4 columns" in capsys.readouterr().out


def test_progress_is_reported_on_stderr(table, capsys):
    assert main(["features", str(table), "--target", "label", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "reading" in err and "600 rows" in err and "scored 4 columns" in err


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda t, d: ["features", str(d / "missing.csv"), "--target", "y"],
            "no such file",
        ),
        (lambda t, d: ["features", str(t), "--target", "price"], "no column 'price'"),
        (lambda t, d: ["features", str(d / "empty.csv"), "--target", "y"], "is empty"),
        (
            lambda t, d: [
                "features",
                str(t),
                "--target",
                "label",
                "--threshold",
                "2*mode",
            ],
            "not understood",
        ),
        (
            lambda t, d: [
                "features",
                str(t),
                "--target",
                "label",
                "--max-features",
                "9",
            ],
            "larger than the number of features",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(
    table, tmp_path, capsys, make_args, message
):
    (tmp_path / "empty.csv").write_text("")
    assert main(make_args(table, tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("skprune: error:")
    assert message in err


def test_module_entry_point_never_shows_a_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skprune",
            "features",
            str(tmp_path / "x.csv"),
            "--target",
            "y",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip() == f"skprune: error: no such file: {tmp_path / 'x.csv'}"
    )
