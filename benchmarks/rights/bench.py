"""Cost of the member's rights, each against the naive way measured in the same run.

Builds a synthetic warehouse of N events (default 2 million; 20,000 members over a year) and
times, as medians of ``--runs``:

- **erasure**: :func:`bingewise.privacy.erase.erase_member` (every member table, quarantine,
  text scrub, compaction of the DuckDB file so no deleted value stays readable, registry,
  tombstone) vs the **peer** ``DELETE FROM events/members WHERE member_id = ?`` (which leaves the
  member's values readable in the file's free blocks);
- **retention**: :func:`bingewise.privacy.retention.run_retention` (daily aggregate, then delete)
  vs the **peer** ``DELETE FROM events WHERE start_utc < cutoff`` (no aggregate kept);
- **tombstone filter**: :func:`bingewise.privacy.tombstone.drop_erased` on an Arrow batch with
  1,000 tombstones vs the **peer** a per-row HMAC check in Python.

Prints a table (seconds, ratio ours / peer) and writes ``benchmarks/results/rights.json``.
Run: ``uv run python benchmarks/rights/bench.py --events 2000000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from bingewise.config import get_settings
from bingewise.console import set_quiet
from bingewise.privacy.erase import erase_member
from bingewise.privacy.retention import run_retention
from bingewise.privacy.tombstone import add_tombstone, drop_erased, tombstone_hash
from bingewise.registry import MemberRecord, Registry
from bingewise.schema import Events, Members
from bingewise.warehouse import Warehouse

RESULTS = Path(__file__).resolve().parents[1] / "results" / "rights.json"
MEMBERS = 20_000


def build(path: Path, n: int) -> None:
    """N events of MEMBERS members over 2017, and the members table."""
    with Warehouse.open(path) as wh:
        wh.duck.execute(
            f"""INSERT INTO {Events.table} ({Events.event_key}, {Events.member_id},
                {Events.title_id}, {Events.start_utc}, {Events.seconds}, {Events.profile},
                {Events.source})
            SELECT i, i % {MEMBERS}, i * 104729 % 5000,
                   TIMESTAMP '2017-01-01' + to_seconds((i * 7919) % 31536000),
                   (i % 3600)::INTEGER, 'p' || (i % {MEMBERS}), 'bench'
            FROM range({n}) t(i)"""
        )
        wh.duck.execute(
            f"""INSERT INTO {Members.table} ({Members.member_id}, {Members.profile},
                {Members.time_zone})
            SELECT i, 'p' || i, 'Europe/Paris' FROM range({MEMBERS}) t(i)"""
        )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(runs: int, setup: Callable[[], object], fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        setup()
        times.append(timed(fn))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    set_quiet(True)
    # One-time cost of the process's first bound parameter in DuckDB's Python client (seconds):
    # paid here so that neither side of the first comparison carries it.
    duckdb.connect().execute("SELECT ?::BIGINT", [1]).fetchall()
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-rights-"))
    try:
        template = folder / "template.duckdb"
        build(template, args.events)
        work = folder / "warehouse.duckdb"
        registry = Registry.open(f"sqlite:///{folder / 'registry.sqlite'}")
        registry.members.upsert_many(MemberRecord(member_id=i) for i in range(100))
        models = folder / "models"
        counter = iter(range(10_000))

        def fresh() -> None:
            shutil.copy(template, work)
            work.with_name(work.name + ".wal").unlink(missing_ok=True)

        def ours_erase() -> None:
            erase_member(
                registry,
                next(counter),
                actor="os:bench",
                reason="bench",
                warehouse_path=work,
                models_dir=models,
            )

        def peer_erase() -> None:
            member = next(counter)
            with duckdb.connect(str(work)) as con:
                for table in (Events.table, Members.table):
                    con.execute(f"DELETE FROM {table} WHERE {Events.member_id} = ?", [member])

        now = dt.datetime(2018, 1, 1)

        def ours_retention() -> None:
            with Warehouse.open(work) as wh:
                run_retention(wh, days=180, now=now)

        def peer_retention() -> None:
            with duckdb.connect(str(work)) as con:
                cutoff = now - dt.timedelta(days=180)
                con.execute(f"DELETE FROM {Events.table} WHERE {Events.start_utc} < ?", [cutoff])

        rows: list[tuple[str, float, float]] = []
        rows.append(
            (
                "erasure (1 member)",
                median_of(args.runs, fresh, ours_erase),
                median_of(args.runs, fresh, peer_erase),
            )
        )
        rows.append(
            (
                "retention (half a year)",
                median_of(args.runs, fresh, ours_retention),
                median_of(args.runs, fresh, peer_retention),
            )
        )
        for member in range(1000):
            add_tombstone(registry, member)
        batch_n = min(args.events, 500_000)
        ids = pa.array(np.arange(batch_n, dtype=np.int64) % MEMBERS)
        batch = pa.table({Events.member_id: ids})
        key = get_settings().secret_key
        stones = {tombstone_hash(m, key=key) for m in range(1000)}

        def ours_filter() -> None:
            drop_erased(registry, batch)

        def peer_filter() -> None:
            keep = [tombstone_hash(m, key=key) not in stones for m in ids.to_pylist()]
            batch.filter(pa.array(keep))

        rows.append(
            (
                f"tombstone filter ({batch_n:,} rows)",
                median_of(args.runs, lambda: None, ours_filter),
                median_of(args.runs, lambda: None, peer_filter),
            )
        )
        registry.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    table = Table(title=f"Member rights on {args.events:,} events (median of {args.runs})")
    for column in ("operation", "bingewise s", "peer s", "ratio ours/peer"):
        table.add_column(column)
    for name, ours, peer in rows:
        table.add_row(name, f"{ours:.3f}", f"{peer:.3f}", f"{ours / peer:.2f}")
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "events": args.events,
                "runs": args.runs,
                "results": [
                    {"operation": n, "bingewise_s": o, "peer_s": p, "ratio": o / p}
                    for n, o, p in rows
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
