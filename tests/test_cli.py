import json
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
    assert lines[0].split() == [
        "feature",
        "score",
        "(bits)",
        "p_value",
        "kept",
        "reason",
    ]
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


def test_output_equal_to_the_input_is_refused_and_the_input_kept(table, capsys):
    before = table.read_bytes()
    assert (
        main(["features", str(table), "--target", "label", "--output", str(table)]) == 2
    )
    assert "is the input file" in capsys.readouterr().err
    assert table.read_bytes() == before


@pytest.mark.parametrize("where", ["missing/out.csv", "."])
def test_unwritable_output_is_refused_before_any_work(table, where, capsys):
    output = table.parent / where
    assert (
        main(["features", str(table), "--target", "label", "--output", str(output)])
        == 2
    )
    captured = capsys.readouterr()
    assert captured.err.startswith("skprune: error: --output")
    assert "kept" not in captured.out  # checked before the table was scored


def test_corrupt_parquet_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    assert main(["features", str(path), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert "is not a readable Parquet file" in err and len(err.splitlines()) == 1


def test_single_class_target_is_an_error(tmp_path, capsys):
    path = tmp_path / "one.csv"
    pd.DataFrame({"a": [1, 2, 3], "y": [0, 0, 0]}).to_csv(path, index=False)
    assert main(["features", str(path), "--target", "y"]) == 2
    assert "holds a single value" in capsys.readouterr().err


def test_output_is_written_atomically(table, tmp_path):
    output = tmp_path / "out.csv"
    assert (
        main(["features", str(table), "--target", "label", "--output", str(output)])
        == 0
    )
    assert list(pd.read_csv(output).columns)[-1] == "label"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".skprune-")]


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("skprune ")


def test_ranked_table_says_why_a_column_was_dropped(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    signal = y + rng.normal(scale=0.5, size=500)
    path = tmp_path / "copies.csv"
    pd.DataFrame(
        {"a": signal, "a_copy": signal, "noise": rng.normal(size=500), "y": y}
    ).to_csv(path, index=False)
    assert main(["features", str(path), "--target", "y", "--redundancy", "mrmr"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    rows = {line.split()[0]: line for line in lines}
    assert rows["a"].endswith("kept")
    assert rows["a_copy"].endswith("redundant with a")
    assert rows["noise"].endswith("below threshold")


def _small_table(rng):
    return pd.DataFrame(
        {
            "a": rng.normal(size=200),
            "b": rng.integers(0, 3, 200),
            "label": rng.integers(0, 2, 200),
        }
    )


def test_tab_separated_files_are_read(tmp_path, capsys):
    frame = _small_table(np.random.default_rng(0))
    frame["label"] = (frame["a"] > 0).astype(int)
    path = tmp_path / "data.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert main(["features", str(path), "--target", "label"]) == 0
    assert "kept 1 of 2 columns" in capsys.readouterr().out


def test_a_table_with_another_separator_names_the_formats_read(tmp_path, capsys):
    path = tmp_path / "data.csv"
    _small_table(np.random.default_rng(0)).to_csv(path, sep=";", index=False)
    assert main(["features", str(path), "--target", "label"]) == 2
    error = capsys.readouterr().err
    assert "reads as one column" in error and ".tsv" in error


def test_json_format_gives_the_ranked_table_for_machines(tmp_path, capsys):
    frame = _small_table(np.random.default_rng(0))
    frame["label"] = (frame["a"] > 0).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    assert main(["features", str(path), "--target", "label", "--format", "json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert ranked["unit"] == "bits"
    assert [row["feature"] for row in ranked["columns"]] == ["a", "b"]
    assert ranked["columns"][0]["kept"] is True
    assert ranked["columns"][1]["reason"] == "below threshold"


def test_warnings_become_one_line_notes(tmp_path, capsys):
    path = tmp_path / "data.csv"
    _small_table(np.random.default_rng(0)).to_csv(path, index=False)
    assert (
        main(["features", str(path), "--target", "label", "--threshold", "1e308"]) == 0
    )
    error = capsys.readouterr().err
    assert error.startswith("skprune: note: No column passed threshold=1e+308")
    assert "UserWarning" not in error and len(error.strip().splitlines()) == 1
