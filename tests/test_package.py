import subprocess
import sys

import skprune
from skprune.cli import main


def test_import_does_not_load_torch():
    code = "import sys, skprune; print('torch' in sys.modules, 'skorch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_public_names_and_version():
    assert sorted(skprune.__all__) == skprune.__all__
    assert skprune.__version__.count(".") == 2
    assert skprune.FeaturePruner.__module__.startswith("skprune.feature_pruning")


def test_demo_prints_ranking_and_accuracies(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "worst perimeter" in out and "patient_id" in out
    assert "kept" in out and "accuracy" in out
