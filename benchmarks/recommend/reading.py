"""Reading MovieLens ratings for `bingewise evaluate`: our reader against pandas and DuckDB.

Generates a ``ratings.csv`` of N rows (default 25 million, the size of ml-25m; 162,000 members,
59,000 titles, ratings in half stars, one row in a thousand repeating the (member, title) before
it) in a temporary folder, then times, interleaved and median of ``--runs``:

- **ours**: :func:`bingewise.recommend.evaluation.data.read_movielens`: every id and timestamp
  checked against the line reader's pattern, ratings checked finite, duplicate pairs merged (the
  latest kept), a full accounting of the rows;
- **pandas**: ``pd.read_csv`` with the four columns typed, then ``drop_duplicates`` on member and
  title: what a data scientist would write (no validation);
- **duckdb**: DuckDB's ``read_csv`` of the same columns into NumPy arrays (the raw engine, no
  validation, no dedupe);
- **line reader** (only up to ``--line-reader-max`` rows, default 2 million): the row-by-row
  reader that names bad rows, which every file went through before Arrow's parse was added and
  which a file with a bad row still goes through.

Peak memory is each contender's own process (``ru_maxrss`` of a child per contender, one run).
Prints medians and ratios to ours, writes ``benchmarks/results/reading.json``.

Run: ``uv run python -m benchmarks.recommend.reading --rows 1000000`` (default: 25 million).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from bingewise.recommend.evaluation import data
from bingewise.schema import MovieLensFiles as ML

RESULTS = Path(__file__).resolve().parents[1] / "results" / "reading.json"


def generate(folder: Path, n: int) -> Path:
    """N ratings as GroupLens writes ``ratings.csv``: header, then member, title, rating, time."""
    path = folder / ML.ratings_csv
    # Member j // 154 rates 154 distinct titles (104,729 is prime to 59,000); every thousandth row
    # repeats the row before it, as a re-rating does.
    query = f"""
        SELECT (j // 154 + 1)::BIGINT AS {ML.user},
               (j * 104729 % 59000 + 1)::BIGINT AS {ML.item},
               ((i % 10) + 1) / 2 AS {ML.rating},
               (789652009 + i * 30)::BIGINT AS {ML.timestamp}
        FROM (SELECT i, CASE WHEN i % 1000 = 999 THEN i - 1 ELSE i END AS j FROM range({n}) t(i))"""
    con = duckdb.connect()
    con.execute(f"COPY ({query}) TO '{path}' (HEADER)")
    con.close()
    return path


def ours(path: Path) -> int:
    return len(data.read_movielens(path))


def line_reader(path: Path) -> int:
    return len(data._read_line_by_line(path))


def pandas_peer(path: Path) -> int:
    frame = pd.read_csv(
        path,
        usecols=list(ML.header),
        dtype={ML.user: "int64", ML.item: "int64", ML.rating: "float64", ML.timestamp: "int64"},
    )
    frame = frame.sort_values(ML.timestamp, kind="stable").drop_duplicates(
        [ML.user, ML.item], keep="last"
    )
    return len(frame)


def duckdb_peer(path: Path) -> int:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    cols = con.execute(f"SELECT {', '.join(ML.header)} FROM read_csv('{path}')").fetchnumpy()
    con.close()
    return len(np.asarray(cols[ML.user]))


CONTENDERS: dict[str, Callable[[Path], int]] = {
    "ours": ours,
    "pandas": pandas_peer,
    "duckdb": duckdb_peer,
    "line reader": line_reader,
}


def _child(name: str, path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    start = time.perf_counter()
    rows = CONTENDERS[name](Path(path))
    seconds = time.perf_counter() - start
    queue.put((rows, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6))


def in_child(name: str, path: Path) -> tuple[int, float, float]:
    """(rows, seconds, peak GB) of one call in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, str(path), queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--line-reader-max", type=int, default=2_000_000)
    args = parser.parse_args()
    names = [n for n in CONTENDERS if n != "line reader" or args.rows <= args.line_reader_max]
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp), args.rows)
        console.print(f"{args.rows:,} ratings, {path.stat().st_size / 1e6:,.0f} MB of CSV")
        seconds: dict[str, list[float]] = {n: [] for n in names}
        rows: dict[str, int] = {}
        peak: dict[str, float] = {}
        for run in range(args.runs):
            for name in names:
                n_rows, secs, gb = in_child(name, path)
                seconds[name].append(secs)
                rows[name] = n_rows
                peak[name] = max(peak.get(name, 0.0), gb)
                console.print(f"run {run + 1} {name}: {secs:.2f} s, {gb:.2f} GB")
    med = {n: statistics.median(s) for n, s in seconds.items()}
    table = Table(title=f"Reading {args.rows:,} MovieLens ratings (median of {args.runs})")
    for col in ("contender", "rows kept", "median s", "ratio to ours", "peak RSS GB"):
        table.add_column(col, justify="left" if col == "contender" else "right")
    for n in names:
        table.add_row(
            n, f"{rows[n]:,}", f"{med[n]:.2f}", f"{med[n] / med['ours']:.2f}", f"{peak[n]:.2f}"
        )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "runs": args.runs,
                "seconds": seconds,
                "median_seconds": med,
                "ratio_to_ours": {n: med[n] / med["ours"] for n in names},
                "rows_kept": rows,
                "peak_rss_gb": peak,
            },
            indent=2,
        )
    )
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
