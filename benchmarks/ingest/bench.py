"""Ingestion speed: our full ingest vs DuckDB's own raw read of the same file, in the same run.

Generates N synthetic events (default 10 million) as Parquet and CSV in a temporary folder,
then, for each format, times (median of ``--runs``):

- **peer**: ``CREATE TABLE t AS SELECT * FROM read_parquet(...)`` / ``read_csv(...)`` into a
  fresh DuckDB file — DuckDB reading the file with no validation, no keys, no dedupe;
- **bingewise**: :func:`bingewise.ingest.ingest_paths` into a fresh warehouse file — SHA-256 of
  the file, sniffing, vectorised validation, event keys (MD5), in-file and store dedupe,
  members, one transaction (the file is read once: see ``docs/ingest.md``, Speed).

Runs alternate (peer, ours, peer, ours...) so both meet the same load on a shared machine. Prints
median seconds, events/second and the ratio (ours / peer in events per second; 1.0 = as fast as
DuckDB's raw read) and writes ``benchmarks/results/ingest.json`` (every run's seconds too).

Run: ``uv run python benchmarks/ingest/bench.py --events 1000000`` (default: 10 million).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from bingewise.console import set_quiet
from bingewise.ingest import ingest_paths
from bingewise.schema import Events
from bingewise.warehouse import Warehouse

RESULTS = Path(__file__).resolve().parents[1] / "results" / "ingest.json"


def generate(folder: Path, n: int) -> dict[str, Path]:
    """N events (100k members, 5k titles, a year of starts) as Parquet and CSV."""
    con = duckdb.connect()
    query = f"""
        SELECT (i * 7919 % 100000)::BIGINT AS {Events.member_id},
               (i * 104729 % 5000)::BIGINT AS {Events.title_id},
               strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%SZ')
                   AS {Events.start_utc},
               (i % 3600)::INTEGER AS {Events.seconds},
               'p' || (i % 4) AS {Events.profile},
               (i * 7919 % 100000 // 4)::BIGINT AS {Events.household_id},
               (i % 5000)::INTEGER AS {Events.bookmark_seconds},
               ['TV', 'Phone', 'Web'][i % 3 + 1] AS {Events.device},
               ['US', 'BR', 'GB'][i % 3 + 1] AS {Events.country},
               CASE WHEN i % 50 = 0 THEN 'TRAILER' END AS {Events.supplemental}
        FROM range({n}) t(i)"""
    files = {"parquet": folder / "events.parquet", "csv": folder / "events.csv"}
    con.execute(f"COPY ({query}) TO '{files['parquet']}' (FORMAT parquet)")
    con.execute(f"COPY ({query}) TO '{files['csv']}' (HEADER)")
    con.close()
    return files


def timed(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Wall-clock seconds of ``runs`` calls of each function, interleaved (peer, ours, peer...)
    so that both meet the same load on a shared machine."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit for both")
    args = parser.parse_args()
    set_quiet(True)
    console = Console()
    results: dict[str, dict[str, float]] = {}
    runs: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bingewise-bench-") as tmp:
        folder = Path(tmp)
        console.print(f"generating {args.events:,} events…")
        files = generate(folder, args.events)
        for kind, path in files.items():
            reader = "read_parquet" if kind == "parquet" else "read_csv"
            counter = iter(range(10**6))

            def peer(reader: str = reader, path: Path = path, counter: object = counter) -> None:
                db = folder / f"peer{next(counter)}.duckdb"  # type: ignore[call-overload]
                con = duckdb.connect(str(db))
                con.execute(f"SET memory_limit = '{args.memory_limit}'")
                con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}('{path}')")
                con.close()
                db.unlink()

            def ours(path: Path = path, counter: object = counter) -> None:
                db = folder / f"ours{next(counter)}.duckdb"  # type: ignore[call-overload]
                wh = Warehouse.open(db)
                wh.duck.execute(f"SET memory_limit = '{args.memory_limit}'")
                [summary] = ingest_paths([path], warehouse=wh)
                assert summary.stored == args.events, summary
                wh.close()
                db.unlink()

            times = timed({"peer": peer, "ours": ours}, args.runs)
            peer_s, ours_s = (statistics.median(times[k]) for k in ("peer", "ours"))
            runs[kind] = {"peer_runs_s": times["peer"], "bingewise_runs_s": times["ours"]}
            results[kind] = {
                "events": args.events,
                "peer_seconds": peer_s,
                "bingewise_seconds": ours_s,
                "peer_events_per_s": args.events / peer_s,
                "bingewise_events_per_s": args.events / ours_s,
                "ratio": peer_s / ours_s,
            }
    table = Table(title=f"ingest {args.events:,} events, median of {args.runs}")
    columns = ("format", "DuckDB raw read", "ev/s", "bingewise ingest", "ev/s", "ratio (ours/peer)")
    for col in columns:
        table.add_column(col, justify="right")
    for kind, r in results.items():
        table.add_row(
            kind,
            f"{r['peer_seconds']:.1f} s",
            f"{r['peer_events_per_s']:,.0f}",
            f"{r['bingewise_seconds']:.1f} s",
            f"{r['bingewise_events_per_s']:,.0f}",
            f"{r['ratio']:.2f}",
        )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({k: {**r, **runs[k]} for k, r in results.items()}, indent=2))


if __name__ == "__main__":
    main()
