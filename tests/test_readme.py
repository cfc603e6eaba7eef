"""The README's code blocks must work when pasted."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_quick_start_finds_the_informative_columns():
    lines = _run(BLOCKS[0])
    assert lines[0] == "[0 1 2 3 4]"
    assert float(lines[-2]) > 0.85
    assert lines[-1] == "[0, 1, 2, 3, 4]"  # mRMR's k columns


@pytest.mark.parametrize("block", BLOCKS[1:])
def test_every_other_example_runs(block):
    assert _run(block)
