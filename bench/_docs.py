"""Writing a benchmark's latest figures into docs/benchmarks.md."""

import pathlib
import re

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(name, markdown):
    """Replace the text between ``<!-- bench-NAME-start -->`` and
    ``<!-- bench-NAME-end -->`` in docs/benchmarks.md (appended at the end
    under a heading if the markers are missing)."""
    start, end = f"<!-- bench-{name}-start -->", f"<!-- bench-{name}-end -->"
    text = PAGE.read_text()
    block = f"{start}\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        pattern = re.escape(start) + ".*?" + re.escape(end)
        text = re.sub(pattern, lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n## {name}\n\n{block}\n"
    PAGE.write_text(text)
    print(f"wrote the {name!r} section of {PAGE}")
