"""FeaturePruner out of core: a table larger than the workers' memory, on dask.

    python -m bench.feature_pruning.bench_dask_scaling [--rows 20000000]
        [--dir /tmp/skprune-bench]

Writes a float32 table of ``--rows`` x 50 (5 informative columns) as .npy chunks
of 500,000 rows, then scores it on a ``distributed.LocalCluster`` of 2 worker
processes whose memory limit is far below the table's size, each chunk read from
disk (memory-mapped) where it is counted. Reports rows per second, the peak memory
of each worker, and the ratio to an in-memory fit of the largest table that fits
comfortably here (4,000,000 rows; the median of 3 fits after a first), in the
same run. The chunks are deleted after.
"""

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from skprune import FeaturePruner

N_FEATURES = 50
CHUNK_ROWS = 500_000


def make_chunk(index, rows, seed=0):
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, N_FEATURES), dtype=np.float32)
    logits = X[:, :5] @ np.array([1.5, -1.0, 0.8, 0.6, -0.4], dtype=np.float32)
    y = (logits + rng.standard_normal(rows, dtype=np.float32) > 0).astype(np.int8)
    return X, y


def write_table(folder, n_rows):
    paths = []
    for index, start in enumerate(range(0, n_rows, CHUNK_ROWS)):
        rows = min(CHUNK_ROWS, n_rows - start)
        X, y = make_chunk(index, rows)
        np.save(folder / f"X_{index:04d}.npy", X)
        np.save(folder / f"y_{index:04d}.npy", y)
        paths.append(
            (folder / f"X_{index:04d}.npy", folder / f"y_{index:04d}.npy", rows)
        )
    return paths


def lazy_table(paths):
    import dask
    import dask.array as da

    def load(path):
        return np.load(path, mmap_mode="r")

    X = da.concatenate(
        [
            da.from_delayed(dask.delayed(load)(x), (rows, N_FEATURES), np.float32)
            for x, _, rows in paths
        ]
    )
    y = da.concatenate(
        [
            da.from_delayed(dask.delayed(load)(y), (rows,), np.int8)
            for _, y, rows in paths
        ]
    )
    return X, y


def peak_rss():
    """Peak resident memory of this process (VmHWM: per process, not inherited)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--memory-limit", default="1GiB")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    folder = Path(args.dir or tempfile.mkdtemp(prefix="skprune-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        paths = write_table(folder, args.rows)
        size = args.rows * N_FEATURES * 4
        print(
            f"wrote {args.rows:,} x {N_FEATURES} float32 ({size / 2**30:.2f} GiB) in "
            f"{len(paths)} chunks, {time.perf_counter() - start:.1f} s"
        )

        in_memory_rows = 4_000_000
        parts = [make_chunk(i, CHUNK_ROWS) for i in range(in_memory_rows // CHUNK_ROWS)]
        X_mem = np.concatenate([p[0] for p in parts])
        y_mem = np.concatenate([p[1] for p in parts])
        reference = FeaturePruner().fit(X_mem, y_mem)  # compiles, warms threads
        times = []
        for _ in range(3):
            start = time.perf_counter()
            FeaturePruner().fit(X_mem, y_mem)
            times.append(time.perf_counter() - start)
        t_mem = float(np.median(times))
        del X_mem, y_mem

        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                memory_limit=args.memory_limit,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            X, y = lazy_table(paths)
            start = time.perf_counter()
            pruner = FeaturePruner().fit(X, y)
            t_dask = time.perf_counter() - start
            peaks = client.run(peak_rss)
        print("\n| fit | rows | seconds | rows/s |\n|---|---:|---:|---:|")
        print(
            f"| in memory (numpy, 2 threads) | {in_memory_rows:,} | {t_mem:.2f} | "
            f"{in_memory_rows / t_mem:,.0f} |"
        )
        print(
            f"| dask, 2 workers x {args.memory_limit}, from disk | {args.rows:,} | "
            f"{t_dask:.2f} | {args.rows / t_dask:,.0f} |"
        )
        ratio = (args.rows / t_dask) / (in_memory_rows / t_mem)
        print(f"\nthroughput out of core / in memory: {ratio:.2f}x")
        for worker, peak in peaks.items():
            print(
                f"peak memory of worker {worker}: {peak / 2**20:,.0f} MiB "
                f"(table: {size / 2**20:,.0f} MiB)"
            )
        print(
            f"kept columns: {pruner.get_support(indices=True).tolist()} "
            "(the in-memory fit of the first 4M rows kept "
            f"{reference.get_support(indices=True).tolist()})"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
