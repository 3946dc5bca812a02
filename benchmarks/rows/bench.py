"""Interactions from viewing, training from the warehouse, and home-page latency.

Run from the repository root (check ``free -g`` first; the defaults peak near 3 GB)::

    uv run python -m benchmarks.rows.bench [--members 10000] [--titles 1500] [--days 365]
        [--repeats 3] [--pages 20]

A synthetic platform (:mod:`bingewise.synth`) is loaded into a DuckDB warehouse in a temporary
folder. Measured in the same run, on the same data:

- ``interactions (bingewise)``: :func:`bingewise.recommend.interactions.build_interactions`
  (events → plays → confidence matrix, in DuckDB through Ibis), against
  ``interactions (pandas peer)``: the same formula written directly in pandas from the events
  table (what one would write by hand). The two matrices are compared (max abs difference).
- ``train ials (bingewise)``: :func:`bingewise.recommend.train.train` end to end (events →
  interactions → iALS fit → ``.npz`` store), against ``implicit ALS fit``: implicit's
  ``AlternatingLeastSquares.fit`` alone on the finished matrix, same hyper-parameters.
- ``home page (bingewise)``: :func:`bingewise.recommend.rows.home_rows` for ``--pages``
  members (all rows with reasons), against ``model.recommend``: the trained model's top-10 for
  one member alone (a bare list, no rows, no reasons).

Times are medians (wall clock, seconds) and, beside them, CPU seconds (all threads of the
process), which load from other processes on a shared machine distorts less. Each pair of
contenders runs in alternating rounds (peer, ours, peer, ...). The load average is printed and
recorded. Results go to ``benchmarks/results/rows.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform as host
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_limits

from bingewise.config import reset_settings
from bingewise.console import set_quiet
from bingewise.recommend.interactions import (
    NOMINAL_RUNTIME_SECONDS,
    ConfidenceParams,
    build_interactions,
    default_as_of,
)
from bingewise.recommend.rows import home_rows
from bingewise.recommend.train import train
from bingewise.schema import Catalog, Events
from bingewise.synth import generate, load
from bingewise.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
RESUME_GAP_SECONDS = 60 * 60  # bingewise.analytics.plays' default


@dataclass
class Runs:
    """Wall-clock and CPU seconds (all threads of this process) of repeated calls."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    result: Any = None

    def add(self, fn: Callable[[], Any]) -> Runs:
        start, start_cpu = time.perf_counter(), time.process_time()
        self.result = fn()
        self.wall.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - start_cpu)
        return self


def timed(fn: Callable[[], Any], repeats: int) -> Runs:
    """``repeats`` calls of ``fn``, timed; the last result is kept."""
    runs = Runs()
    for _ in range(repeats):
        runs.add(fn)
    return runs


def alternating(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, Runs]:
    """Like :func:`timed`, in alternating rounds, so that load from others hits all alike."""
    out = {name: Runs() for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            out[name].add(fn)
    return out


def pandas_interactions(
    wh: Warehouse, as_of: dt.datetime, params: ConfidenceParams
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The peer: the confidence formula written by hand in pandas, from the raw tables."""
    ev = wh.duck.execute(
        f'SELECT "{Events.member_id}", "{Events.title_id}", "{Events.start_utc}", '
        f'"{Events.seconds}", "{Events.bookmark_seconds}", "{Events.event_key}" '
        f'FROM "{Events.table}" WHERE ("{Events.supplemental}" IS NULL '
        f'OR trim("{Events.supplemental}") = \'\') AND "{Events.start_utc}" < ?',
        [as_of],
    ).df()
    cat = wh.duck.execute(
        f'SELECT "{Catalog.title_id}", "{Catalog.kind}", "{Catalog.series_id}", '
        f'"{Catalog.runtime_seconds}" FROM "{Catalog.table}"'
    ).df()
    ev = ev.sort_values([Events.member_id, Events.start_utc, Events.event_key], kind="stable")
    start_s = ev[Events.start_utc].astype("int64") // 1_000_000
    end_s = start_s + ev[Events.seconds].astype("int64")
    same_member = ev[Events.member_id].eq(ev[Events.member_id].shift())
    same_title = ev[Events.title_id].eq(ev[Events.title_id].shift())
    close = (start_s - end_s.shift()) <= RESUME_GAP_SECONDS
    ev["play"] = (~(same_member & same_title & close)).cumsum()
    plays = ev.groupby("play", sort=False).agg(
        member=(Events.member_id, "first"),
        title=(Events.title_id, "first"),
        start=(Events.start_utc, "min"),
        seconds=(Events.seconds, "sum"),
        bookmark=(Events.bookmark_seconds, "max"),
    )
    plays = plays.merge(cat, left_on="title", right_on=Catalog.title_id, how="left")
    progress = plays["bookmark"].fillna(plays["seconds"]).astype("float64")
    runtime = plays[Catalog.runtime_seconds].astype("float64")
    known = runtime > 0
    completion = (progress / runtime.where(known, NOMINAL_RUNTIME_SECONDS)).clip(0.0, 1.0)
    share = params.finished()
    finished = np.where(known, progress >= share * runtime, completion >= share)
    is_series = (plays[Catalog.kind] == Catalog.EPISODE) & plays[Catalog.series_id].notna()
    plays["item"] = np.where(is_series, plays[Catalog.series_id].fillna(0), plays["title"])
    plays["item"] = plays["item"].astype("int64")
    plays["completion"] = completion
    plays["finished"] = finished.astype("int64")
    per_title = plays.groupby(["member", "title"], sort=False).agg(
        item=("item", "first"),
        completion=("completion", "max"),
        finished=("finished", "sum"),
        last=("start", "max"),
    )
    per_title["rewatches"] = (per_title["finished"] - 1).clip(lower=0)
    per_item = (
        per_title.reset_index()
        .groupby(["member", "item"], sort=True)
        .agg(e=("completion", "sum"), r=("rewatches", "sum"), last=("last", "max"))
    )
    per_item = per_item.reset_index()
    age = (pd.Timestamp(as_of) - per_item["last"]).dt.total_seconds() / 86400.0
    conf = np.log2(1 + per_item["e"] + params.rewatch_weight * per_item["r"]) * 0.5 ** (
        age.clip(lower=0) / params.half_life_days
    )
    members, rows = np.unique(per_item["member"].to_numpy(), return_inverse=True)
    items, cols = np.unique(per_item["item"].to_numpy(), return_inverse=True)
    matrix = sp.csr_matrix(
        (conf.to_numpy(dtype=np.float32), (rows, cols)), shape=(len(members), len(items))
    )
    return matrix, members, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--titles", type=int, default=1_500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    set_quiet(True)
    console = Console(width=120)
    rows: list[dict[str, Any]] = []

    def record(label: str, runs: Runs, peer: str = "") -> None:
        median = statistics.median(runs.wall)
        cpu = statistics.median(runs.cpu)
        ref = next((r for r in rows if r["label"] == peer), None)
        rows.append(
            {
                "label": label,
                "seconds": runs.wall,
                "median": median,
                "cpu_seconds": runs.cpu,
                "cpu_median": cpu,
                "peer": peer,
                "ratio": median / ref["median"] if ref else None,
                "cpu_ratio": cpu / ref["cpu_median"] if ref and ref["cpu_median"] else None,
            }
        )

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BINGEWISE_HOME"] = tmp
        reset_settings()
        wh = Warehouse.open(Path(tmp) / "warehouse.duckdb")
        start = time.perf_counter()
        load(
            generate(members=args.members, titles=args.titles, days=args.days, seed=args.seed),
            wh,
            None,
        )
        events = wh.count(Events.table)
        console.print(f"platform: {events:,} events in {time.perf_counter() - start:.0f} s")
        as_of = default_as_of(wh)
        params = ConfidenceParams()

        runs = alternating(
            {
                "peer": lambda: pandas_interactions(wh, as_of, params),
                "ours": lambda: build_interactions(wh, as_of=as_of, params=params),
            },
            args.repeats,
        )
        record("interactions (pandas peer)", runs["peer"])
        record("interactions (bingewise)", runs["ours"], "interactions (pandas peer)")
        m_peer, mem_peer, item_peer = runs["peer"].result
        ours = runs["ours"].result
        same_ids = np.array_equal(ours.interactions.member_ids, mem_peer) and np.array_equal(
            ours.item_ids, item_peer
        )
        diff = float(abs(ours.interactions.matrix - m_peer).max()) if same_ids else float("nan")
        matrix = ours.interactions.matrix

        als_params: dict[str, Any] = {
            "factors": 64,
            "regularization": 0.01,
            "alpha": 1.0,
            "iterations": 15,
            "random_state": 0,
        }

        def implicit_fit() -> None:
            with threadpool_limits(1, "blas"):  # as IALS.fit does (implicit's own advice)
                AlternatingLeastSquares(**als_params).fit(matrix, show_progress=False)

        runs = alternating(
            {
                "fit": implicit_fit,
                "train": lambda: train(wh, "ials", as_of=as_of, params=params),
            },
            args.repeats,
        )
        record("implicit ALS fit", runs["fit"])
        record("train ials (bingewise)", runs["train"], "implicit ALS fit")
        trained = runs["train"].result

        rng = np.random.default_rng(args.seed)
        members = rng.choice(trained.member_ids, size=min(args.pages, len(trained.member_ids)))
        positions = {int(m): i for i, m in enumerate(trained.member_ids)}
        t_rec, t_page = Runs(), Runs()
        for m in members:
            row = matrix[positions[int(m)]]
            t_rec.add(partial(trained.model.recommend, row, n=10))
        record("model.recommend (one member)", t_rec)
        for m in members:
            t_page.add(partial(home_rows, int(m), warehouse=wh, trained=trained, as_of=as_of))
        record("home page (bingewise)", t_page, "model.recommend (one member)")
        wh.close()

    table = Table(
        title=f"rows benchmark: {events:,} events, {matrix.shape[0]:,} members × "
        f"{matrix.shape[1]:,} items, {matrix.nnz:,} interactions"
    )
    for col in ("measure", "median s", "CPU s", "runs", "peer", "ratio", "CPU ratio"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    for r in rows:
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else ""
        cpu_ratio = f"{r['cpu_ratio']:.2f}×" if r["cpu_ratio"] is not None else ""
        table.add_row(r["label"], f"{r['median']:.3f}", f"{r['cpu_median']:.3f}",
                      str(len(r["seconds"])), r["peer"], ratio, cpu_ratio)  # fmt: skip
    console.print(table)
    console.print(f"matrices equal (max abs difference bingewise vs pandas peer): {diff:.2e}")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    console.print(f"peak memory {peak_gb:.1f} GB; load average {load_avg}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "args": vars(args),
        "events": events,
        "shape": list(matrix.shape),
        "nnz": int(matrix.nnz),
        "max_abs_difference_vs_peer": diff,
        "peak_rss_gb": peak_gb,
        "host": {"python": host.python_version(), "machine": host.machine()},
        "load_average": os.getloadavg(),
        "rows": rows,
    }
    (RESULTS / "rows.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
