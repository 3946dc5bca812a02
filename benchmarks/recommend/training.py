"""Training time at platform scale: EASE and iALS against implicit's own fit and Spark MLlib ALS.

Run from the repository root (check ``free -g`` first: the 1M × 10k EASE needs ~2 GB)::

    uv run python -m benchmarks.recommend.training [--members 1000000] [--titles 10000]
        [--spark-members 100000] [--repeats 3]

Data: a synthetic platform generated with numpy — ``members`` members, ``titles`` titles in 20
planted genres with Zipf popularity; each member watches 20–50 titles, 80 % from their genre.

Measured in the same run, same data, same hyper-parameters (64 factors, 15 iterations,
regularization 0.01, alpha 1):

- ``implicit ALS fit``: ``implicit.cpu.als.AlternatingLeastSquares.fit`` on a ready CSR matrix;
- ``bingewise iALS pipeline``: raw (member id, title id) arrays → CSR → ``IALS.fit`` → ``.npz``
  on disk (the overhead ratio against the line above should stay under 1.5×);
- ``bingewise EASE pipeline``: the same arrays → CSR → ``EASE.fit`` (Gram + Cholesky inverse);
- ``Spark MLlib ALS``: ``pyspark.ml.recommendation.ALS(implicitPrefs=True).fit`` in local mode on
  a cached DataFrame, at ``--spark-members`` (Spark at the full size does not fit this machine's
  time budget), with implicit measured again at that size for the ratio.

Times are medians of ``--repeats`` runs, taken in interleaved rounds (implicit, iALS, EASE,
implicit, ...) so that load from other processes falls on all alike; wall clock and, for the
in-process fits, CPU seconds (all threads), which shared machines distort less. Results go to
``benchmarks/results/recommend_training.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_limits

from bingewise.recommend import EASE, IALS

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
ALS_PARAMS: dict[str, Any] = {"factors": 64, "iterations": 15, "regularization": 0.01, "alpha": 1.0}


def synthetic_platform(members: int, titles: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(member ids, title ids) of a planted-genre platform; 20–50 distinct titles per member."""
    rng = np.random.default_rng(seed)
    genres = 20
    per_genre = titles // genres
    counts = rng.integers(20, 51, size=members)
    users = np.repeat(np.arange(members, dtype=np.int64), counts)
    taste = rng.integers(0, genres, size=members)[users]
    zipf = 1.0 / (1.0 + np.arange(per_genre)) ** 0.8
    cdf_genre = np.cumsum(zipf) / zipf.sum()
    zipf_all = 1.0 / (1.0 + np.arange(titles)) ** 0.8
    cdf_all = np.cumsum(zipf_all) / zipf_all.sum()
    from_genre = rng.random(len(users)) < 0.8
    in_genre = np.minimum(np.searchsorted(cdf_genre, rng.random(len(users))), per_genre - 1)
    anywhere = np.minimum(np.searchsorted(cdf_all, rng.random(len(users))), titles - 1)
    items = np.where(from_genre, taste * per_genre + in_genre, anywhere)
    # Member and title ids as a source would give them: large, non-contiguous.
    return users * 7 + 1_000_000, items.astype(np.int64) * 13 + 500


def to_csr(users: np.ndarray, items: np.ndarray) -> sp.csr_matrix:
    """Raw id arrays → binary CSR (members × titles), as the pipeline does."""
    member_ids, rows = np.unique(users, return_inverse=True)
    title_ids, cols = np.unique(items, return_inverse=True)
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(member_ids), len(title_ids)),
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls."""
    return [t[0] for t in (_once(fn) for _ in range(repeats))]


def _once(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU counts every thread of this process."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(
    fns: dict[str, Callable[[], Any]], repeats: int
) -> dict[str, list[tuple[float, float]]]:
    """Run the callables in turn, ``repeats`` rounds, so machine load hits them alike."""
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            out[name].append(_once(fn))
    return out


def implicit_fit(x: sp.csr_matrix) -> None:
    with threadpool_limits(1, "blas"):
        AlternatingLeastSquares(random_state=0, **ALS_PARAMS).fit(x, show_progress=False)


def ials_pipeline(users: np.ndarray, items: np.ndarray, folder: Path) -> None:
    model = IALS(seed=0, **ALS_PARAMS).fit(to_csr(users, items))
    model.save(folder / "ials.npz")


def ease_pipeline(users: np.ndarray, items: np.ndarray) -> None:
    EASE(l2=500.0).fit(to_csr(users, items))


def spark_als(users: np.ndarray, items: np.ndarray, repeats: int) -> list[float]:
    """Spark MLlib implicit ALS fit times on a cached DataFrame (local mode, loopback only)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import pandas as pd
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bingewise-als-benchmark")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "6g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        x = to_csr(users, items).tocoo()
        frame = pd.DataFrame(
            {"user": x.row.astype(np.int32), "item": x.col.astype(np.int32), "rating": x.data}
        )
        df = spark.createDataFrame(frame).repartition(4).cache()
        df.count()
        als = ALS(
            rank=ALS_PARAMS["factors"],
            maxIter=ALS_PARAMS["iterations"],
            regParam=ALS_PARAMS["regularization"],
            alpha=ALS_PARAMS["alpha"],
            implicitPrefs=True,
            userCol="user",
            itemCol="item",
            ratingCol="rating",
            numUserBlocks=4,
            numItemBlocks=4,
            seed=0,
        )

        def fit() -> None:
            model = als.fit(df)
            model.itemFactors.count()  # force the lazy parts

        return timed(fit, repeats)
    finally:
        spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--spark-members", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    console = Console(width=150)
    rows: list[dict[str, Any]] = []

    def record(label: str, members: int, nnz: int, runs: list[tuple[float, float]] | list[float],
               peer: str) -> None:  # fmt: skip
        wall = [r[0] if isinstance(r, tuple) else r for r in runs]
        cpu = [r[1] for r in runs if isinstance(r, tuple)]
        cpu_median = statistics.median(cpu) if cpu else None
        rows.append({"label": label, "members": members, "interactions": nnz, "seconds": wall,
                     "median": statistics.median(wall), "cpu_seconds": cpu,
                     "cpu_median": cpu_median, "peer": peer})  # fmt: skip
        console.print(f"{label} @ {members:,}: median {statistics.median(wall):.1f} s wall {wall}")

    users, items = synthetic_platform(args.members, args.titles)
    x = to_csr(users, items)
    console.print(
        f"platform: {x.shape[0]:,} members × {x.shape[1]:,} titles, {x.nnz:,} interactions"
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = interleaved(
            {
                "implicit": lambda: implicit_fit(x),
                "ials": lambda: ials_pipeline(users, items, Path(tmp)),
                "ease": lambda: ease_pipeline(users, items),
            },
            args.repeats,
        )
    record("implicit ALS fit", args.members, x.nnz, runs["implicit"], "")
    record("bingewise iALS pipeline", args.members, x.nnz, runs["ials"], "implicit ALS fit")
    record("bingewise EASE pipeline", args.members, x.nnz, runs["ease"], "implicit ALS fit")
    if not args.no_spark:
        su, si = synthetic_platform(args.spark_members, args.titles, seed=1)
        sx = to_csr(su, si)
        small = interleaved({"implicit": lambda: implicit_fit(sx)}, args.repeats)
        record("implicit ALS fit", args.spark_members, sx.nnz, small["implicit"], "")
        record("Spark MLlib ALS fit", args.spark_members, sx.nnz,
               spark_als(su, si, args.repeats), "implicit ALS fit")  # fmt: skip

    table = Table(title="training time, medians (wall clock)")
    for col in ("what", "members", "interactions", "median s", "ratio", "CPU s", "CPU ratio", "vs"):
        table.add_column(col)
    base = {(r["label"], r["members"]): r["median"] for r in rows}
    base_cpu = {(r["label"], r["members"]): r["cpu_median"] for r in rows}
    for r in rows:
        ref = base.get((r["peer"], r["members"])) if r["peer"] else None
        ratio = f"{r['median'] / ref:.2f}×" if ref else "-"
        cpu_ref = base_cpu.get((r["peer"], r["members"])) if r["peer"] else None
        cpu = r["cpu_median"]
        cpu_ratio = f"{cpu / cpu_ref:.2f}×" if cpu and cpu_ref else "-"
        table.add_row(r["label"], f"{r['members']:,}", f"{r['interactions']:,}",
                      f"{r['median']:.1f}", ratio, f"{cpu:.1f}" if cpu else "-", cpu_ratio,
                      r["peer"] or "-")  # fmt: skip
        r["ratio"] = r["median"] / ref if ref else None
        r["cpu_ratio"] = cpu / cpu_ref if cpu and cpu_ref else None
    console.print(table)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    console.print(f"peak RSS of this process: {peak_gb:.1f} GB; {os.cpu_count()} cores")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "recommend_training.json"
    meta = {"params": ALS_PARAMS, "titles": args.titles, "repeats": args.repeats,
            "peak_rss_gb": peak_gb, "machine": platform.platform(),
            "cores": os.cpu_count()}  # fmt: skip
    out.write_text(json.dumps({"rows": rows, **meta}, indent=2))
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
