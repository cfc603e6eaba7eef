"""Every user-guide page's Python examples run when pasted, page by page."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def _blocks(page):
    """The page's ``.. code-block:: python`` bodies, dedented."""
    found = re.findall(
        r"\.\. code-block:: python\n\n((?:(?:    .*)?\n)+)", page.read_text()
    )
    return ["\n".join(line[4:] for line in block.splitlines()) for block in found]


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.stem not in ("index", "command_line")], ids=str
)
def test_page_has_examples_that_run(page, tmp_path):
    blocks = _blocks(page)
    assert blocks, f"{page.name} has no Python example"
    result = subprocess.run(
        [sys.executable, "-c", "\n".join(blocks)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
