"""The command line: ``skprune features`` and ``skprune demo``.

    skprune features DATA.csv --target COL [--criterion entropy|gini|variance]
        [--max-features N] [--threshold auto|FLOAT|mean|median|none]
        [--redundancy mrmr|jmi] [--output PRUNED.csv] [--format table|json]
        [--progress]
    skprune demo

Bad input (a missing file, an unknown target column, an empty table) gives a
one-line error and exit status 2, never a traceback.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

_PROGRESS_BYTES = 50 * 2**20  # files larger than this report reading progress
_CHUNK_ROWS = 100_000
_TAB_SEPARATED = (".tsv", ".tab")
# the unit of each criterion's scores, for the ranked table
_UNITS = {"entropy": "bits", "gini": "Gini", "variance": "share of variance"}


class UsageError(Exception):
    """A problem with what the user gave: reported in one line, exit status 2."""


def _read_table(path, progress):
    import pandas as pd

    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    if _is_parquet(path):
        try:
            return pd.read_parquet(path)
        except ImportError as error:
            raise UsageError(f"reading Parquet needs pyarrow: {error}") from error
        except Exception as error:  # pyarrow's own errors name no common base
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise UsageError(
                f"{path} is not a readable Parquet file: {first}"
            ) from error
    show = progress or os.path.getsize(path) > _PROGRESS_BYTES
    sep = "\t" if path.lower().endswith(_TAB_SEPARATED) else ","
    try:
        if not show:
            return _check_columns(pd.read_csv(path, sep=sep), path)
        chunks, rows = [], 0
        for chunk in pd.read_csv(path, sep=sep, chunksize=_CHUNK_ROWS):
            chunks.append(chunk)
            rows += len(chunk)
            print(f"\rreading {path}: {rows:,} rows", end="", file=sys.stderr)
        print(file=sys.stderr)
        frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
        return _check_columns(frame, path)
    except pd.errors.EmptyDataError as error:
        raise UsageError(f"{path} is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UsageError(f"{path} is not a readable CSV file: {error}") from error


def _check_columns(frame, path):
    """A table read as one column whose name holds another separator was
    written with that separator: say which formats are read."""
    if frame.shape[1] == 1:
        name = str(frame.columns[0])
        found = next((sep for sep in ("\t", ";", "|") if sep in name), None)
        if found is not None:
            raise UsageError(
                f"{path} reads as one column, and its header holds "
                f"{found!r}: skprune reads comma-separated .csv, tab-separated "
                ".tsv / .tab and .parquet files; rename or convert it"
            )
    return frame


def _is_parquet(path):
    return path.lower().endswith((".parquet", ".pq"))


def _check_output(output, data):
    """Refuse an output that would replace the input or cannot be written."""
    if output is None:
        return
    if os.path.exists(output) and os.path.samefile(output, data):
        raise UsageError(
            f"--output {output} is the input file; choose another path (the input "
            "is never overwritten)"
        )
    if os.path.isdir(output):
        raise UsageError(f"--output {output} is a directory; give a file name")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise UsageError(f"--output {output}: no such directory {folder}")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--output {output}: directory {folder} is not writable")


def _write_atomically(frame, path):
    """Write to a temporary file beside ``path``, then rename it into place: a
    failed write leaves no partial file and never touches an existing one."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".skprune-", suffix=".tmp")
    os.close(handle)
    try:
        if _is_parquet(path):
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _threshold(text):
    if text.lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _reasons(pruner, args, names):
    """Why each column is kept or dropped, for the ranked table."""
    passing = pruner._threshold_mask()
    dropped_by_count = (
        "redundant"
        if args.redundancy and args.max_features is None
        else "beyond --max-features"
        if not args.redundancy
        else "redundant or beyond --max-features"
    )
    reasons = []
    for kept, passes, nearest in zip(
        pruner.get_support(), passing, pruner.redundant_with_, strict=True
    ):
        if kept or not passes:
            reasons.append("kept" if kept else "below threshold")
        elif nearest >= 0 and pruner.get_support()[nearest]:
            reasons.append(f"redundant with {names[nearest]}")
        else:
            reasons.append(dropped_by_count)
    return reasons


def features(args):
    """Score the columns of a table against a target, print them, write the rest."""
    import pandas as pd

    from skprune import FeaturePruner

    if not os.path.isfile(args.data):
        raise UsageError(f"no such file: {args.data}")
    _check_output(args.output, args.data)
    frame = _read_table(args.data, args.progress)
    if frame.empty or frame.shape[1] < 2:
        raise UsageError(f"{args.data} has no rows or no feature columns")
    if args.target not in frame.columns:
        raise UsageError(
            f"no column {args.target!r} in {args.data}; columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    X, y = frame.drop(columns=args.target), frame[args.target]
    if y.nunique(dropna=True) < 2:
        raise UsageError(
            f"the target column {args.target!r} holds a single value; there is "
            "nothing to predict, so no column can be scored"
        )
    start = time.perf_counter()
    pruner = FeaturePruner(
        args.criterion,
        threshold=_threshold(args.threshold),
        max_features=args.max_features,
        redundancy=args.redundancy,
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pruner.fit(X, y)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error).splitlines()[0]) from error
    for warning in caught:  # one line each, not Python's two
        print(f"skprune: note: {warning.message}", file=sys.stderr)
    if args.progress:
        print(
            f"scored {X.shape[1]} columns in {time.perf_counter() - start:.2f} s",
            file=sys.stderr,
        )
    names = X.columns.astype(str)
    table = pd.DataFrame(
        {
            "feature": names,
            "score": pruner.scores_,
            "p_value": pruner.pvalues_,
            "kept": pruner.get_support(),
            "reason": _reasons(pruner, args, names),
        }
    ).sort_values("score", ascending=False, kind="stable")
    kept = list(X.columns[pruner.get_support()])
    if args.format == "json":
        ranked = {
            "criterion": args.criterion,
            "unit": _UNITS[args.criterion],
            "columns": table.to_dict(orient="records"),
        }
        print(json.dumps(ranked, indent=1, default=_plain))
    else:
        unit = f"score ({_UNITS[args.criterion]})"
        print(
            table.rename(columns={"score": unit}).to_string(
                index=False, float_format=lambda v: f"{v:.4g}"
            )
        )
        print(f"\nkept {len(kept)} of {X.shape[1]} columns")
    if args.output:
        _write_atomically(frame[kept + [args.target]], args.output)
        print(
            f"wrote {args.output}", file=sys.stderr if args.format == "json" else None
        )


def _plain(value):
    """numpy scalars as JSON numbers and booleans."""
    return value.item() if hasattr(value, "item") else str(value)


def demo(args=None):
    """The three families on real tables, each with its report(), and a picture."""
    from skprune import _demo

    try:
        _demo.run(getattr(args, "picture", None) or "skprune-demo.png")
    except ImportError as error:
        raise UsageError(str(error)) from error


def _parser():
    parser = argparse.ArgumentParser(
        prog="skprune", description="Make scikit-learn models smaller."
    )
    from skprune import __version__

    parser.add_argument("--version", action="version", version=f"skprune {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    table = commands.add_parser(
        "features", help="rank the columns of a CSV/TSV/Parquet table, keep the useful"
    )
    table.add_argument("data", help="a .csv, .tsv / .tab or .parquet file")
    table.add_argument("--target", required=True, help="the column to predict")
    table.add_argument(
        "--criterion", choices=["entropy", "gini", "variance"], default="entropy"
    )
    table.add_argument("--max-features", type=int, default=None)
    table.add_argument(
        "--threshold",
        default="auto",
        help="auto (G-test), a float, mean, median, 1.5*mean, or none",
    )
    table.add_argument("--redundancy", choices=["mrmr", "jmi"], default=None)
    table.add_argument("--output", help="write the kept columns and the target here")
    table.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help="the ranked columns as a text table (default) or JSON for machines",
    )
    table.add_argument(
        "--progress",
        action="store_true",
        help="report progress (on by default for files over 50 MB)",
    )
    shown = commands.add_parser(
        "demo", help="prune real tables with each family, show what it bought"
    )
    shown.add_argument(
        "--picture", default="skprune-demo.png", help="where to write the PNG"
    )
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "features":
            features(args)
        else:
            demo(args)
    except UsageError as error:
        print(f"skprune: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
