"""Training time at platform scale: EASE and iALS against implicit's own fit and Spark MLlib ALS.

Run from the repository root (check ``free -g`` first: the 1M × 10k EASE needs ~2 GB)::

    uv run python -m benchmarks.recommend.training [--members 1000000] [--titles 10000]
        [--repeats 2] [--spark-repeats 1] [--spark-memory 12g] [--spark-members N]
        [--spark-budget SECONDS]

At the defaults the Spark fit alone takes over an hour on two shared cores: run it with
``nohup`` and a log file outside the repository (it prints its progress every minute), and give
it a ``--spark-budget``: a fit still running then is cancelled and recorded as "at least".

Data: a synthetic platform generated with numpy — ``members`` members, ``titles`` titles in 20
planted genres with Zipf popularity; each member watches 20–50 titles, 80 % from their genre.

Measured in the same run, same data, same hyper-parameters (64 factors, 15 iterations,
regularization 0.01, alpha 1):

- ``implicit ALS fit``: ``implicit.cpu.als.AlternatingLeastSquares.fit`` on a ready CSR matrix;
- ``bingewise iALS pipeline``: raw (member id, title id) arrays → CSR → ``IALS.fit`` → ``.npz``
  on disk → the counts ``train`` keeps with a model for the home page's privacy rule (viewers
  per title, and members who took both of each title and its 200 nearest); the overhead ratio
  against the line above should stay under 1.5×;
- ``bingewise EASE pipeline``: the same arrays → CSR → ``EASE.fit`` (Gram + Cholesky inverse)
  → the same counts. The counts' own seconds are printed apart.
- ``Spark MLlib ALS``: ``pyspark.ml.recommendation.ALS(implicitPrefs=True).fit`` (plus a count
  of both factor tables) in local mode, bound to loopback, on the same interactions written once
  to Parquet and read back with ``spark.read.parquet`` (cached and counted before the clock
  starts). By default on the full platform, after the in-process contenders, so that nothing
  else of this run competes with it; ``--spark-members`` runs it on a smaller platform instead,
  with implicit measured again at that size for the ratio. Its peak memory is the JVM's peak
  resident set (``VmHWM``); the BLAS implementation Spark picked is recorded too. The ratio is
  printed next to implicit's published figure (Spark 20–30× slower).

Times are medians of ``--repeats`` runs taken in interleaved rounds (implicit, iALS, EASE,
implicit, ...) so that load from other processes falls on all alike, and of ``--spark-repeats``
Spark runs (the table states how many); wall clock and, for the in-process fits, CPU seconds
(all threads), which shared machines distort less. Results go to
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
import threading
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
from bingewise.recommend.base import Recommender
from bingewise.recommend.train import pair_viewers, viewers_per_item

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


COUNT_SECONDS: dict[str, list[float]] = {"ials": [], "ease": []}


def _counts(model: Recommender, x: sp.csr_matrix, name: str, folder: Path) -> None:
    """What ``train`` keeps next to the model: viewers per title and pair counts (privacy rule)."""
    start = time.perf_counter()
    np.savez(
        folder / f"{name}.counts.npz",
        item_viewers=viewers_per_item(x),
        pair_viewers=pair_viewers(model, x).data,
    )
    COUNT_SECONDS[name].append(time.perf_counter() - start)


def ials_pipeline(users: np.ndarray, items: np.ndarray, folder: Path) -> None:
    x = to_csr(users, items)
    model = IALS(seed=0, **ALS_PARAMS).fit(x)
    model.save(folder / "ials.npz")
    _counts(model, x, "ials", folder)


def ease_pipeline(users: np.ndarray, items: np.ndarray, folder: Path) -> None:
    x = to_csr(users, items)
    model = EASE(l2=500.0).fit(x)
    _counts(model, x, "ease", folder)


PUBLISHED_SPARK_RATIO = (20.0, 30.0)  # implicit's README: Spark MLlib ALS 20-30x slower


def _write_parquet(x: sp.csr_matrix, folder: Path, row_group: int = 2_000_000) -> Path:
    """The interactions as (user, item, rating) Parquet, as a warehouse would hold them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    coo = x.tocoo()
    table = pa.table(
        {
            "user": pa.array(coo.row.astype(np.int32)),
            "item": pa.array(coo.col.astype(np.int32)),
            "rating": pa.array(coo.data.astype(np.float32)),
        }
    )
    path = folder / "interactions.parquet"
    pq.write_table(table, path, row_group_size=row_group)
    return path


def _jvm_peak_rss_gb(pid: int) -> float | None:
    """Peak resident set (``VmHWM``) of a process, in GB; None where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        return None
    return None


def _fit_within(
    spark: Any, fit: Callable[[], Any], budget: float | None, console: Console
) -> tuple[float, bool]:
    """(wall seconds, finished) of ``fit``; its Spark jobs are cancelled after ``budget`` s.

    Progress (seconds so far, Spark jobs started) is printed every minute, so that a run left
    in the background can be followed; a cancelled fit counts as taking at least ``budget``.
    """
    sc = spark.sparkContext
    group = "bingewise-als-fit"
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        sc.setJobGroup(group, "timed ALS fit", interruptOnCancel=True)
        try:
            fit()
        except BaseException as exc:  # reported below, unless the fit was cancelled
            errors.append(exc)
        finally:
            done.set()

    gc.collect()
    start = time.perf_counter()
    threading.Thread(target=run, daemon=True).start()
    report = 60.0
    while not done.wait(1.0):
        elapsed = time.perf_counter() - start
        if elapsed >= report:
            jobs = len(sc.statusTracker().getJobIdsForGroup(group))
            console.print(f"{time.strftime('%H:%M:%S')} Spark fit: {elapsed:.0f} s, {jobs} jobs")
            report += 60.0
        if budget is not None and elapsed >= budget:
            sc.cancelJobGroup(group)
            done.wait()
            return elapsed, False
    if errors:
        raise errors[0]
    return time.perf_counter() - start, True


def spark_als(
    x: sp.csr_matrix, repeats: int, memory: str, console: Console, budget: float | None = None
) -> tuple[list[float], dict[str, Any]]:
    """Spark MLlib implicit ALS fit times (local mode, loopback only) and what the run used.

    The data goes through Parquet, as Spark would read a warehouse; the DataFrame is cached and
    counted before the clock starts, so only ``.fit`` and a count of the factors are timed. A
    fit still running after ``budget`` seconds is cancelled and recorded as unfinished.
    """
    from pyspark.ml.recommendation import ALS

    from bingewise.warehouse import local_spark

    cores = os.cpu_count() or 2
    scratch = tempfile.TemporaryDirectory()
    spark = local_spark(cores, work=Path(scratch.name), memory=memory, app="bingewise-als")
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    pid = int(jvm.java.lang.ProcessHandle.current().pid())
    blas = str(jvm.dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getName())
    info: dict[str, Any] = {"spark_version": spark.version, "blas": blas, "driver_memory": memory}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = _write_parquet(x, Path(tmp))
            df = spark.read.parquet(str(path)).repartition(2 * cores).cache()
            rows = df.count()
            console.print(
                f"{time.strftime('%H:%M:%S')} Spark {spark.version} ({blas}): "
                f"{rows:,} interactions cached"
            )
            als = ALS(
                rank=ALS_PARAMS["factors"],
                maxIter=ALS_PARAMS["iterations"],
                regParam=ALS_PARAMS["regularization"],
                alpha=ALS_PARAMS["alpha"],
                implicitPrefs=True,
                userCol="user",
                itemCol="item",
                ratingCol="rating",
                numUserBlocks=2 * cores,
                numItemBlocks=2 * cores,
                seed=0,
            )

            def fit() -> None:
                model = als.fit(df)
                model.userFactors.count()  # the factors are materialised, not merely planned
                model.itemFactors.count()

            runs: list[float] = []
            info["finished"] = True
            for _ in range(repeats):
                seconds, finished = _fit_within(spark, fit, budget, console)
                runs.append(seconds)
                info["finished"] = info["finished"] and finished
                state = "done" if finished else "cancelled at the budget"
                console.print(f"{time.strftime('%H:%M:%S')} Spark fit {state}: {seconds:.0f} s")
                if not finished:
                    break
            info["jvm_peak_rss_gb"] = _jvm_peak_rss_gb(pid)
            df.unpersist()
        return runs, info
    finally:
        spark.stop()
        scratch.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument(
        "--spark-members", type=int, default=None, help="Spark on a smaller platform instead"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--spark-repeats", type=int, default=1)
    parser.add_argument("--spark-memory", default="12g", help="Spark driver memory (local mode)")
    parser.add_argument(
        "--spark-budget", type=float, default=None, help="cancel a Spark fit after this many s"
    )
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
        console.print(
            f"{time.strftime('%H:%M:%S')} {label} @ {members:,}: "
            f"median {statistics.median(wall):.1f} s wall {[round(w, 1) for w in wall]}"
        )

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
                "ease": lambda: ease_pipeline(users, items, Path(tmp)),
            },
            args.repeats,
        )
    record("implicit ALS fit", args.members, x.nnz, runs["implicit"], "")
    record("bingewise iALS pipeline", args.members, x.nnz, runs["ials"], "implicit ALS fit")
    record("bingewise EASE pipeline", args.members, x.nnz, runs["ease"], "implicit ALS fit")
    for name, label in (("ials", "iALS"), ("ease", "EASE")):
        console.print(
            f"of which the {label} pipeline's viewer and pair counts (train's privacy rule): "
            f"median {statistics.median(COUNT_SECONDS[name]):.1f} s "
            f"{[round(c, 1) for c in COUNT_SECONDS[name]]}"
        )
    spark_info: dict[str, Any] = {}
    if not args.no_spark:
        spark_members = args.spark_members or args.members
        sx = x
        if spark_members != args.members:
            su, si = synthetic_platform(spark_members, args.titles, seed=1)
            sx = to_csr(su, si)
            small = interleaved({"implicit": lambda: implicit_fit(sx)}, args.repeats)
            record("implicit ALS fit", spark_members, sx.nnz, small["implicit"], "")
        spark_runs, spark_info = spark_als(
            sx, args.spark_repeats, args.spark_memory, console, args.spark_budget
        )
        record("Spark MLlib ALS fit", spark_members, sx.nnz, spark_runs, "implicit ALS fit")
        rows[-1]["jvm_peak_rss_gb"] = spark_info.get("jvm_peak_rss_gb")
        rows[-1]["finished"] = spark_info.get("finished")

    table = Table(title="training time, medians (wall clock)")
    for col in ("what", "members", "interactions", "runs", "median s", "ratio", "CPU s",
                "CPU ratio", "vs"):  # fmt: skip
        table.add_column(col)
    base = {(r["label"], r["members"]): r["median"] for r in rows}
    base_cpu = {(r["label"], r["members"]): r["cpu_median"] for r in rows}
    for r in rows:
        ref = base.get((r["peer"], r["members"])) if r["peer"] else None
        at_least = "≥ " if r.get("finished") is False else ""  # cancelled at the budget
        ratio = f"{at_least}{r['median'] / ref:.2f}×" if ref else "-"
        cpu_ref = base_cpu.get((r["peer"], r["members"])) if r["peer"] else None
        cpu = r["cpu_median"]
        cpu_ratio = f"{cpu / cpu_ref:.2f}×" if cpu and cpu_ref else "-"
        table.add_row(r["label"], f"{r['members']:,}", f"{r['interactions']:,}",
                      str(len(r["seconds"])), f"{at_least}{r['median']:.1f}", ratio,
                      f"{cpu:.1f}" if cpu else "-", cpu_ratio,
                      r["peer"] or "-")  # fmt: skip
        r["ratio"] = r["median"] / ref if ref else None
        r["cpu_ratio"] = cpu / cpu_ref if cpu and cpu_ref else None
    console.print(table)
    for r in rows:
        if r["label"] == "Spark MLlib ALS fit" and r["ratio"]:
            low, high = PUBLISHED_SPARK_RATIO
            at_least = "≥ " if r.get("finished") is False else ""
            console.print(
                f"Spark MLlib ALS / implicit ALS at {r['members']:,} members: "
                f"{at_least}{r['ratio']:.1f}× "
                f"(implicit's published figure: {low:.0f}–{high:.0f}×); Spark "
                f"{spark_info.get('spark_version')}, BLAS {spark_info.get('blas')}, "
                f"JVM peak RSS {spark_info.get('jvm_peak_rss_gb') or 0:.1f} GB"
            )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    console.print(f"peak RSS of this (Python) process: {peak_gb:.1f} GB; {os.cpu_count()} cores")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "recommend_training.json"
    meta = {"params": ALS_PARAMS, "titles": args.titles, "repeats": args.repeats,
            "spark_repeats": args.spark_repeats, "spark": spark_info,
            "published_spark_ratio": PUBLISHED_SPARK_RATIO, "peak_rss_gb": peak_gb,
            "machine": platform.platform(), "cores": os.cpu_count(),
            "load_average": os.getloadavg(),
            "count_seconds": COUNT_SECONDS}  # fmt: skip
    out.write_text(json.dumps({"rows": rows, **meta}, indent=2))
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
