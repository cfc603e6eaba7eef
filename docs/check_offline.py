"""Check that the built site needs no network: no script, style or font is loaded
from another host, and every page with formulas loads the bundled MathJax.

    python docs/check_offline.py docs/_build/html
"""

import re
import sys
from pathlib import Path

_LOADED = re.compile(r"<(?:script|link)\b[^>]*?(?:src|href)=\"([^\"]+)\"", re.I)
_MATH = re.compile(r"\\\(|\\\[|class=\"math")


def problems(site):
    found = []
    mathjax = site / "_static" / "mathjax"
    if not (mathjax / "tex-chtml.js").is_file():
        found.append("MathJax is not bundled in _static/mathjax")
    if not list(mathjax.glob("output/chtml/fonts/woff-v2/*.woff")):
        found.append("MathJax's fonts are not bundled")
    pages_with_math = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for address in _LOADED.findall(text):
            if address.startswith(("http://", "https://", "//")):
                found.append(f"{page.relative_to(site)} loads {address}")
        if _MATH.search(text):
            pages_with_math += 1
            if "_static/mathjax/tex-chtml.js" not in text:
                found.append(f"{page.relative_to(site)} has formulas but no MathJax")
    if pages_with_math == 0:
        found.append("no page has formulas: is this the right folder?")
    return found, pages_with_math


def main(site):
    found, pages_with_math = problems(Path(site))
    for problem in found:
        print(f"offline check: {problem}", file=sys.stderr)
    if not found:
        print(f"offline check: {pages_with_math} pages of formulas render offline")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
