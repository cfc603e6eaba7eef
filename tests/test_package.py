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


def test_demo_shows_each_familys_report_and_writes_a_picture(capsys, tmp_path):
    picture = tmp_path / "demo.png"
    assert main(["demo", "--picture", str(picture)]) == 0
    out = capsys.readouterr().out
    for family in ("FeaturePruner", "WeightPrunerCV", "LayerPruner"):
        assert f"== {family}" in out
    assert out.count("parameters") >= 3 and "to_estimator()" in out
    assert f"wrote {picture}" in out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_layer_pruner_without_torch_names_the_extra():
    code = (
        "import sys, importlib.abc\n"
        "class NoTorch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'skorch'):\n"
        "            raise ImportError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import skprune\n"
        "try:\n"
        "    skprune.LayerPruner\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert 'pip install "skprune[torch]"' in out.stdout


def test_layer_pruner_loads_lazily():
    assert skprune.LayerPruner.__module__ == "skprune.layer_pruning._pruner"


def test_html_repr_links_each_estimator_to_its_own_api_page():
    from sklearn.linear_model import LogisticRegression

    from skprune import FeaturePruner, WeightPruner

    pruner = WeightPruner(LogisticRegression())
    assert pruner._get_doc_link().endswith("/generated/skprune.WeightPruner.html")
    assert FeaturePruner()._get_doc_link().endswith("skprune.FeaturePruner.html")
    html = pruner._repr_html_()
    assert "generated/skprune.WeightPruner.html" in html
    assert "scikit-learn.org" in html  # the wrapped model keeps its own link
