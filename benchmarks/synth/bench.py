"""Benchmark: synthetic platform generation speed and memory, against DuckDB's raw floor.

    uv run python benchmarks/synth/bench.py                       # in memory, medians of 3
    uv run python benchmarks/synth/bench.py --events-scale 100000000   # plus a 100M streamed run

Each measurement runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its own.

- **synth (memory)**: ``bingewise.synth.generate`` (catalog, members, every event as one Arrow
  table). Peer: DuckDB building an Arrow table of the same number of rows and the same 12
  columns and types from ``range()`` with random values (``SELECT ... FROM range(n)``) — the
  floor of "make that many rows", with none of the structure.
- **synth (Parquet stream)**, with ``--events-scale N``: ``write_parquet`` of a platform sized to
  about N events (members scaled from the in-memory run), against DuckDB's
  ``COPY (SELECT ... FROM range(N)) TO ... (FORMAT parquet)``.

Prints a table (median seconds, events per second, peak RSS, ratio to the peer) and writes
``benchmarks/results/synth.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results" / "synth.json"

_PEER_COLUMNS = """
    (hash(i) >> 1)::BIGINT AS event_key,
    (random() * {members})::BIGINT AS member_id,
    (random() * {members})::BIGINT AS household_id,
    ['Profile 1', 'Profile 2', 'Profile 3', 'Profile 4'][1 + (random() * 4)::INT % 4] AS profile,
    (random() * 9e18)::BIGINT AS title_id,
    TIMESTAMP '2017-01-01' + to_seconds((random() * 31536000)::BIGINT) AS start_utc,
    (random() * 7200)::INTEGER AS seconds,
    (random() * 7200)::INTEGER AS bookmark_seconds,
    ['Smart TV', 'Phone', 'Tablet', 'Web browser'][1 + (random() * 4)::INT % 4] AS device,
    ['US', 'BR', 'GB', 'DE', 'MX'][1 + (random() * 5)::INT % 5] AS country,
    CASE WHEN random() < 0.1 THEN 'TRAILER' END AS supplemental,
    'synth' AS source
"""


def _cpu() -> float:
    """CPU seconds used so far by this process, every thread (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def worker(
    kind: str, members: int, titles: int, days: int, events: int, out: str
) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    if kind == "synth-memory":
        from bingewise.console import set_quiet
        from bingewise.synth import generate

        set_quiet(True)
        generate(members=50, titles=20, days=7, seed=1)  # imports (pandas, DuckDB) not timed
        t, c = time.perf_counter(), _cpu()
        p = generate(members=members, titles=titles, days=days, seed=7)
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        return {"seconds": seconds, "cpu": cpu, "events": p.events.num_rows, "peak_mb": _peak_mb()}
    if kind == "synth-parquet":
        from bingewise.console import set_quiet
        from bingewise.synth import world, write_parquet

        set_quiet(True)
        world(50, 20, 7, seed=1)  # imports not timed
        t, c = time.perf_counter(), _cpu()
        n = write_parquet(world(members, titles, days, seed=7), out)
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        return {"seconds": seconds, "cpu": cpu, "events": n, "peak_mb": _peak_mb()}
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '8GB'")
    select = f"SELECT {_PEER_COLUMNS.format(members=members)} FROM range({events}) t(i)"
    t, c = time.perf_counter(), _cpu()
    if kind == "duckdb-memory":
        table = con.execute(select).arrow()
        if hasattr(table, "read_all"):  # DuckDB >= 1.4 returns a RecordBatchReader
            table = table.read_all()
        rows = table.num_rows
    else:
        con.execute(f"COPY ({select}) TO '{out}/peer.parquet' (FORMAT parquet)")
        rows = events
    seconds, cpu = time.perf_counter() - t, _cpu() - c
    return {"seconds": seconds, "cpu": cpu, "events": rows, "peak_mb": _peak_mb()}


def run(kind: str, members: int, titles: int, days: int, events: int) -> dict[str, Any]:
    """Run :func:`worker` in a subprocess; its result."""
    scratch = tempfile.mkdtemp(prefix="bw-synth-bench-")
    try:
        cmd = [sys.executable, __file__, "--worker", kind, "--members", str(members),
               "--titles", str(titles), "--days", str(days), "--events", str(events),
               "--out", scratch]  # fmt: skip
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds, events, events per second and max peak memory over ``runs``."""
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    events = runs[0]["events"]
    return {
        "seconds_median": seconds,
        "seconds_all": [r["seconds"] for r in runs],
        "cpu_seconds_median": cpu,
        "events": events,
        "events_per_second": events / seconds,
        "events_per_cpu_second": events / cpu,
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=8192)
    parser.add_argument("--titles", type=int, default=600)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events-scale", type=int, default=0, help="also stream ~N events")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(
            json.dumps(
                worker(args.worker, args.members, args.titles, args.days, args.events, args.out)
            )
        )
        return 0

    rows: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    synth = summarise(
        [run("synth-memory", args.members, args.titles, args.days, 0) for _ in range(args.repeat)]
    )
    peer = summarise(
        [
            run("duckdb-memory", args.members, args.titles, args.days, synth["events"])
            for _ in range(args.repeat)
        ]
    )
    rows += [("synth, in memory", synth, peer), ("duckdb range(), in memory", peer, None)]
    result: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": _cpus(),
            "load_average": os.getloadavg()[0],
        },
        "params": vars(args),
        "memory": {"synth": synth, "duckdb": peer},
    }
    if args.events_scale:
        per_member = synth["events"] / args.members
        members = math.ceil(args.events_scale / per_member)
        s_big = summarise([run("synth-parquet", members, args.titles, args.days, 0)])
        p_big = summarise([run("duckdb-parquet", members, args.titles, args.days, s_big["events"])])
        rows += [
            (f"synth, Parquet stream ({members:,} members)", s_big, p_big),
            ("duckdb range(), COPY to Parquet", p_big, None),
        ]
        result["stream"] = {"members": members, "synth": s_big, "duckdb": p_big}

    head = f"{'run':44} {'events':>12} {'wall s':>7} {'events/s':>10} {'ev/CPU-s':>10}"
    print(f"{head} {'peak MB':>8} {'vs peer':>8} {'CPU vs':>7}")
    for name, r, against in rows:
        ratio = cpu_ratio = ""
        if against:
            ratio = f"{r['events_per_second'] / against['events_per_second']:.2f}x"
            cpu_ratio = f"{r['events_per_cpu_second'] / against['events_per_cpu_second']:.2f}x"
        print(
            f"{name:44} {r['events']:>12,} {r['seconds_median']:>7.2f} "
            f"{r['events_per_second']:>10,.0f} {r['events_per_cpu_second']:>10,.0f} "
            f"{r['peak_mb']:>8,.0f} {ratio:>8} {cpu_ratio:>7}"
        )
    print("medians; vs peer: synth events/s over DuckDB rows/s (wall; CPU: per CPU-second)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {_cpus()} CPUs")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"wrote {RESULTS}")
    return 0


def _cpus() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
