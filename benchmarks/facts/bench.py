"""Benchmark: the full binge fact set against DuckDB's raw sort and a pandas implementation.

    uv run python benchmarks/facts/bench.py                        # 10M events, medians of 3
    uv run python benchmarks/facts/bench.py --events 100000000 --repeat 1 --no-pandas
    uv run python benchmarks/facts/bench.py --floors --no-pandas     # and the raw engine's windows

A synthetic platform of about ``--events`` events (``bingewise.synth``, members scaled at ~550
events per member-year) is written once to Parquet and loaded into a DuckDB warehouse file under
``--work`` (default: the system temp folder), then each contender runs in a fresh subprocess so
its peak resident memory (``ru_maxrss``) is its own:

- **facts**: ``FactSet.compute(warehouse)``: plays, sessions, binges, finished seasons, season
  binges, binge races, streaks (any and per show), per-member daily/heatmap/top/facts, countries,
  platform tables; every table materialised.
- **sort** (the floor any sessionisation pays): DuckDB ``CREATE TEMP TABLE AS SELECT * FROM
  events ORDER BY member_id, start_utc``.
- **lag**, **numbered** (``--floors``): the least sessionisation raw DuckDB can do, reading only
  member, title, start and seconds: one window by member in start order giving each segment the
  previous segment's end; and that plus the session number (a second window).
  Not contenders: what the engine's own windows cost next to its sort, before any fact.
- **pandas**: the same facts written as a data scientist would (groupby/shift/cumsum/rolling,
  needed columns selected first, one vectorised time-zone conversion per zone), from the events
  already in memory (reading them is not counted). Single-threaded, as pandas is.

- **spark** (``--spark N``): the same fact set, the same Ibis code
  (``FactSet.compute_tables``), on Spark in local mode with two cores, reading the events,
  catalog and members from Parquet copies of the warehouse tables; peak memory adds the JVM's
  peak resident set to the Python driver's. Not a peer to beat: what moving to Spark costs on one
  machine.

``--steps`` prints the time of each materialised table of the fact set (from the
``bingewise.analytics.facts`` debug log) for the first facts run. Each contender also reports
its CPU seconds (all threads), steadier than wall time on a shared machine.

An untimed sort runs first, so no contender pays for the first read of the warehouse file.
DuckDB gets ``--memory-limit`` (default 6GB) and spills to the work folder. Prints a table of
medians (seconds, peak RSS, ratio to the sort) and writes ``benchmarks/results/facts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results" / "facts.json"
EVENTS_PER_MEMBER_YEAR = 550


# ------------------------------------------------------------------------------- data


def prepare(work: Path, events: int, seed: int) -> Path:
    """A DuckDB warehouse with about ``events`` synthetic events (cached by size and seed)."""
    import duckdb

    from bingewise.ingest.generic import event_key_sql
    from bingewise.schema import Catalog, Events, Members
    from bingewise.synth import SOURCE, world, write_parquet
    from bingewise.warehouse import Warehouse

    db = work / f"facts-{events}-{seed}.duckdb"
    if db.exists():
        return db
    members = max(50, events // EVENTS_PER_MEMBER_YEAR)
    pq_dir = work / f"facts-{events}-{seed}-parquet"
    written = write_parquet(world(members, min(10_000, max(200, members // 4)), 365, seed), pq_dir)
    print(f"synthesised {written:,} events for {members:,} members", file=sys.stderr)
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    Warehouse.open(tmp).close()
    con = duckdb.connect(str(tmp))
    con.execute("SET preserve_insertion_order=false")
    con.execute("SET memory_limit='4GB'")  # loading streams; keep a shared machine usable
    for name in (Catalog.table, Members.table):
        con.execute(
            f"INSERT INTO \"{name}\" BY NAME SELECT * FROM read_parquet('{pq_dir / name}.parquet')"
        )
    # the Parquet events are in the ingest format: the key and source are the warehouse's
    warehouse_columns = f"{event_key_sql()} AS {Events.event_key}, '{SOURCE}' AS {Events.source}"
    con.execute(
        f'INSERT INTO "{Events.table}" BY NAME SELECT *, {warehouse_columns} '
        f"FROM read_parquet('{pq_dir / Events.table}/*.parquet')"
    )
    con.close()
    tmp.rename(db)
    for f in sorted(pq_dir.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    pq_dir.rmdir()
    return db


# ------------------------------------------------------------------------------- contenders


def _tune(con: Any, memory_limit: str, work: Path) -> None:
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute(f"SET temp_directory='{work / 'spill'}'")
    con.execute("SET threads=2")
    con.execute("SET preserve_insertion_order=false")


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_facts(db: Path, memory_limit: str, work: Path) -> dict[str, Any]:
    import pandas  # noqa: F401  (Ibis imports it lazily; a one-off cost, kept out of the timing)

    from bingewise.analytics import FactSet
    from bingewise.console import set_quiet
    from bingewise.warehouse import Warehouse

    set_quiet(True)
    with Warehouse.open(db) as wh:
        _tune(wh.duck, memory_limit, work)
        t0, c0 = time.perf_counter(), _cpu_seconds()
        fs = FactSet.compute(wh)
        rows = {name: int(t.count().execute()) for name, t in fs.tables.items()}
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows}


def run_sort(db: Path, memory_limit: str, work: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db))
    _tune(con, memory_limit, work)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    con.execute(
        "CREATE TEMP TABLE sorted_events AS SELECT * FROM events ORDER BY member_id, start_utc"
    )
    n = con.execute("SELECT count(*) FROM sorted_events").fetchone()
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": {"events": int(n[0]) if n else 0}}


#: ``--floors``: the least sessionisation in the raw engine. It reads only what sessions need
#: (member, title, start, seconds; the fact set reads a few more), so it is a lower bound for the
#: fact set's first pass: one window partitioned by member in start order giving each segment the
#: previous segment's end; and that plus the session number. The number is counted as the plays
#: pass counts it (``bingewise.analytics.plays``): a segment opening a session is numbered by its
#: row among the member's openers, any other by its row number less its row among the non-openers
#: (one ``row_number`` over member and flag; a running sum costs 1.5× as much). No segment merging,
#: no local days, no fact table.
_NARROW = "SELECT member_id, title_id, start_utc, seconds"
_BY_START = "OVER (PARTITION BY member_id ORDER BY start_utc)"
_PREVIOUS_END = f"lag(epoch(start_utc)::BIGINT + seconds) {_BY_START}"
FLOOR_QUERIES = {
    "lag": f"{_NARROW}, {_PREVIOUS_END} AS previous_end FROM events",
    "numbered": (
        f"{_NARROW}, CASE WHEN opens THEN r ELSE rn - r END AS session_no FROM ("
        f"{_NARROW}, opens, rn, "
        "row_number() OVER (PARTITION BY member_id, opens ORDER BY rn) AS r FROM ("
        f"{_NARROW}, coalesce(epoch(start_utc)::BIGINT - {_PREVIOUS_END} >= 1800, true) AS opens, "
        f"row_number() {_BY_START} AS rn FROM events))"
    ),
}


def _run_floor(name: str, db: Path, memory_limit: str, work: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db))
    _tune(con, memory_limit, work)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    con.execute(f"CREATE TEMP TABLE floor_events AS {FLOOR_QUERIES[name]}")
    n = con.execute("SELECT count(*) FROM floor_events").fetchone()
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": {"events": int(n[0]) if n else 0}}


def run_pandas(db: Path, memory_limit: str, work: Path) -> dict[str, Any]:
    import duckdb
    from pandas_facts import compute  # type: ignore[import-not-found]

    con = duckdb.connect(str(db), read_only=True)
    t_load = time.perf_counter()
    events = con.execute("SELECT * FROM events").df()
    catalog = con.execute("SELECT * FROM catalog").df()
    members = con.execute("SELECT * FROM members").df()
    con.close()
    load = time.perf_counter() - t_load
    t0, c0 = time.perf_counter(), _cpu_seconds()
    rows = compute(events, catalog, members)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "load_seconds": load, "rows": rows}


def _parquet_copy(db: Path, work: Path) -> Path:
    """The warehouse's events, catalog and members as Parquet (written once, beside the file),
    as ``bingewise facts --engine spark`` exports them (``Warehouse.export_parquet``)."""
    from bingewise.spark import FACT_INPUTS
    from bingewise.warehouse import Warehouse

    out = work / f"{db.stem}-parquet"
    if (out / "done").exists():
        return out
    with Warehouse.open(db, read_only=True) as wh:
        wh.export_parquet(out, [cls.table for cls in FACT_INPUTS])  # type: ignore[attr-defined]
    (out / "done").touch()
    return out


def _peak_rss_mb(pid: int) -> float:
    """Peak resident set (``VmHWM``) of a process in MB (0 where /proc does not tell)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_spark(db: Path, memory_limit: str, work: Path) -> dict[str, Any]:
    """The same fact set (``FactSet.compute_tables``, the same Ibis code) on Spark local[2]."""
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")

    from bingewise.analytics import FactSet
    from bingewise.console import set_quiet
    from bingewise.spark import FACT_INPUTS, read_tables
    from bingewise.warehouse import local_spark

    set_quiet(True)
    pq = _parquet_copy(db, work)
    memory = memory_limit.lower().replace("gb", "g")
    spark = local_spark(2, work=work / "spark", memory=memory, shuffle_partitions=8, app="facts")
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    pid = int(jvm.java.lang.ProcessHandle.current().pid())
    version = spark.version
    try:
        tables = read_tables(spark, pq)  # as `bingewise facts --engine spark` reads them
        t0, c0 = time.perf_counter(), _cpu_seconds()
        fs = FactSet.compute_tables(*(tables[cls.table] for cls in FACT_INPUTS))
        rows = {name: int(t.count().execute()) for name, t in fs.tables.items()}
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    finally:
        jvm_mb = _peak_rss_mb(pid)
        spark.stop()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": rows,
        "jvm_peak_rss_mb": jvm_mb,
        "spark_version": version,
        "note": "CPU seconds are the Python driver's only; the JVM's are not counted",
    }


CONTENDERS = {
    "facts": run_facts,
    "sort": run_sort,
    "lag": partial(_run_floor, "lag"),
    "numbered": partial(_run_floor, "numbered"),
    "pandas": run_pandas,
    "spark": run_spark,
}


def child(name: str, db: Path, memory_limit: str, work: Path, steps: bool = False) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if steps:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("    step %(message)s"))
        facts_log = logging.getLogger("bingewise.analytics.facts")
        facts_log.addHandler(handler)
        facts_log.setLevel(logging.DEBUG)
    result = CONTENDERS[name](db, memory_limit, work)
    # Python's own peak, plus the JVM's for Spark (two processes: the sum bounds the total).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_rss_mb"] = own + result.get("jvm_peak_rss_mb", 0)
    print(json.dumps(result))


def measure(
    name: str, db: Path, memory_limit: str, work: Path, steps: bool = False
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--db",
        str(db),
        "--memory-limit",
        memory_limit,
        "--work",
        str(work),
        *(["--steps"] if steps else []),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-4000:]}")
    for line in done.stderr.splitlines():
        if line.startswith("    step "):
            print(line, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pandas-repeat", type=int, default=1)
    ap.add_argument("--no-pandas", action="store_true")
    ap.add_argument(
        "--spark", type=int, default=0, metavar="N", help="also N runs of the fact set on Spark"
    )
    ap.add_argument(
        "--floors",
        action="store_true",
        help="also the least sessionisation in raw DuckDB (one lag window; session numbers)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--memory-limit", default="6GB")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bingewise-bench")
    ap.add_argument("--steps", action="store_true", help="time each fact table (first run)")
    ap.add_argument("--child", choices=sorted(CONTENDERS))
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.child, args.db, args.memory_limit, args.work, args.steps)
        return

    db = prepare(args.work, args.events, args.seed)
    # One untimed sort first: the first query on a freshly opened warehouse file pays for reading
    # it (1.8 s against 4.4 s at 10M); counted, it would flatter every ratio to the sort.
    warm = measure("sort", db, args.memory_limit, args.work, False)
    print(f"  warm-up sort (not counted): {warm['seconds']:.2f} s", file=sys.stderr)
    runs: dict[str, list[dict[str, Any]]] = {}
    plan = [("sort", args.repeat)]
    if args.floors:
        plan += [("lag", args.repeat), ("numbered", args.repeat)]
    plan.append(("facts", args.repeat))
    if not args.no_pandas:
        plan.append(("pandas", args.pandas_repeat))
    if args.spark:
        plan.append(("spark", args.spark))
    for name, times in plan:
        for i in range(times):
            r = measure(name, db, args.memory_limit, args.work, args.steps and i == 0)
            print(
                f"  {name} run {i + 1}: {r['seconds']:.2f} s ({r['cpu_seconds']:.2f} CPU s), "
                f"{r['peak_rss_mb']:.0f} MB",
                file=sys.stderr,
            )
            runs.setdefault(name, []).append(r)

    n_events = runs["sort"][0]["rows"]["events"]
    summary = {}
    for name, rs in runs.items():
        summary[name] = {
            "median_seconds": statistics.median(r["seconds"] for r in rs),
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in rs),
            "runs": len(rs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "rows": rs[0]["rows"],
        }
    floor = summary["sort"]["median_seconds"]
    cpu_floor = summary["sort"]["median_cpu_seconds"]
    print(f"\nbinge facts on {n_events:,} events (medians; ratio = time / DuckDB raw sort)")
    print(
        f"{'contender':<10}{'runs':>6}{'median s':>11}{'CPU s':>9}{'Mev/s':>9}"
        f"{'peak RSS MB':>13}{'ratio':>8}{'CPU ratio':>11}"
    )
    for name, s in summary.items():
        print(
            f"{name:<10}{s['runs']:>6}{s['median_seconds']:>11.2f}{s['median_cpu_seconds']:>9.2f}"
            f"{n_events / s['median_seconds'] / 1e6:>9.2f}{s['peak_rss_mb']:>13.0f}"
            f"{s['median_seconds'] / floor:>8.2f}{s['median_cpu_seconds'] / cpu_floor:>11.2f}"
        )
    if "pandas" in summary:
        ratio = summary["pandas"]["median_seconds"] / summary["facts"]["median_seconds"]
        print(f"facts are {ratio:.1f}x faster than pandas")
    if "spark" in summary:
        ratio = summary["spark"]["median_seconds"] / summary["facts"]["median_seconds"]
        print(f"the same fact set on Spark local[2] takes {ratio:.1f}x DuckDB's time")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing[str(n_events)] = {
        "events": n_events,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "memory_limit": args.memory_limit,
        "contenders": summary,
    }
    RESULTS.write_text(json.dumps(existing, indent=2, default=str))


if __name__ == "__main__":
    main()
