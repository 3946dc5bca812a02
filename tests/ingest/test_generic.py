"""Generic events (CSV, JSON Lines, Parquet): values, keys, line numbers, counts adding up."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import (
    BAD_ROWS,
    COLUMNS,
    EVENT_ID,
    good_events,
    write_csv,
    write_jsonl,
    write_parquet,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.ids import stable_id
from bingewise.ingest import IngestError, IngestSummary, event_key, ingest_paths
from bingewise.ingest.base import ReadOptions
from bingewise.ingest.catalog import CatalogCsv
from bingewise.ingest.generic import (
    EventsCsv,
    EventsJsonl,
    EventsParquet,
    _write_lf,
    event_key_sql,
    unbalanced_quote,
)
from bingewise.schema import Catalog, Events, IngestedFiles, Members, Quarantine
from bingewise.warehouse import Warehouse


def _stored(wh: Warehouse) -> dict[int, tuple[object, ...]]:
    cols = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds, Events.device]
    rows = wh.duck.execute(
        f"SELECT {Events.event_key}, {', '.join(cols)} FROM {Events.table}"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def _quarantine(wh: Warehouse) -> list[tuple[int, str, str]]:
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in wh.duck.execute(
            f"SELECT {Quarantine.line}, {Quarantine.field}, {Quarantine.reason} "
            f"FROM {Quarantine.table} ORDER BY {Quarantine.line}"
        ).fetchall()
    ]


_CON = duckdb.connect()


@given(
    member=st.integers(0, 2**62),
    title=st.integers(0, 2**62),
    micros=st.integers(0, 2**50),
    seconds=st.integers(0, 2**31 - 1),
)
def test_event_key_python_matches_sql(member: int, title: int, micros: int, seconds: int) -> None:
    start = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    con = _CON
    sql = event_key_sql("?::BIGINT", "?::BIGINT", "?::TIMESTAMP", "?::INTEGER")
    row = con.execute(f"SELECT {sql}", [member, title, start, seconds]).fetchone()
    assert row is not None and row[0] == event_key(member, title, start, seconds)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_every_format_stores_exact_values(kind: str, tmp_path: Path, warehouse: Warehouse) -> None:
    goods = good_events(300, seed=1)
    path = tmp_path / f"events.{kind}"
    if kind == "csv":
        write_csv(path, [g.row() for g in goods])
    elif kind == "jsonl":
        write_jsonl(path, [g.row() for g in goods])
    else:
        write_parquet(path, goods)
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert summary.format == f"events-{kind}"
    assert (summary.rows_read, summary.stored, summary.duplicates, summary.rejected) == (
        300,
        300,
        0,
        0,
    )
    expected = {g.key: (g.member_id, g.title_id, g.start, g.seconds, g.device) for g in goods}
    assert _stored(warehouse) == expected
    # members seen, with the file's profile and a country of theirs
    members = warehouse.duck.execute(
        f"SELECT {Members.member_id}, {Members.profile} FROM {Members.table}"
    ).fetchall()
    assert {m for m, _ in members} == {g.member_id for g in goods}


def test_offsets_are_converted_to_utc(tmp_path: Path, warehouse: Warehouse) -> None:
    rows = [
        {Events.member_id: "1", Events.title_id: "1", Events.start_utc: text, Events.seconds: "60"}
        for text in (
            "2024-05-01T12:00:00Z",
            "2024-05-01 14:00:00+02:00",
            "2024-05-01T06:30:00-0530",
            "2024-05-01T13:00:00.5+01",
        )
    ]
    write_csv(tmp_path / "tz.csv", rows, COLUMNS[:4])
    [summary] = ingest_paths([tmp_path / "tz.csv"], warehouse=warehouse)
    starts = sorted(r[2] for r in _stored(warehouse).values())
    # the first three are the same instant: one event stored, two duplicates
    assert starts == [dt.datetime(2024, 5, 1, 12), dt.datetime(2024, 5, 1, 12, 0, 0, 500000)]
    assert (summary.stored, summary.duplicates) == (2, 2)


def test_event_id_is_the_key_when_given(tmp_path: Path, warehouse: Warehouse) -> None:
    cols = [EVENT_ID, *COLUMNS[:4], Events.device]
    rows = [
        {EVENT_ID: "ev-1", Events.member_id: "1", Events.title_id: "2",
         Events.start_utc: "2024-01-01T00:00:00Z", Events.seconds: "10", Events.device: "TV"},
        {EVENT_ID: "ev-1", Events.member_id: "1", Events.title_id: "2",
         Events.start_utc: "2024-01-01T02:00:00+02:00", Events.seconds: "10",
         Events.device: "Web"},  # same id, same event: duplicate
        {EVENT_ID: "", Events.member_id: "1", Events.title_id: "2",
         Events.start_utc: "2024-01-01T00:00:00Z", Events.seconds: "10"},  # no id: composite key
    ]  # fmt: skip
    write_csv(tmp_path / "ids.csv", rows, cols)
    [summary] = ingest_paths([tmp_path / "ids.csv"], warehouse=warehouse)
    assert (summary.stored, summary.duplicates) == (2, 1)
    stored = _stored(warehouse)
    assert stored[stable_id("ev-1")][4] == "TV"  # the first occurrence wins
    assert event_key(1, 2, dt.datetime(2024, 1, 1), 10) in stored


def _reused_id_rows(*rows: tuple[str, int, int, str, int]) -> list[dict[str, str]]:
    return [
        {EVENT_ID: e, Events.member_id: str(m), Events.title_id: str(t), Events.start_utc: start,
         Events.seconds: str(sec)}
        for e, m, t, start, sec in rows
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "csv-mapped"])
def test_reused_event_id_is_quarantined_never_silent(
    kind: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """An event_id already used by a different event (member, title, start or seconds differ),
    earlier in the file or already stored, is rejected naming the earlier occurrence; the stored
    event stays as it was; the same event again is a duplicate, as before."""
    first = _reused_id_rows(
        ("e1", 1, 10, "2024-01-01T10:00:00Z", 60),
        ("e2", 1, 11, "2024-01-01T11:00:00Z", 60),
        ("e1", 2, 12, "2024-01-02T10:00:00Z", 90),  # reuse of e1 (row 1): rejected
        ("e1", 1, 10, "2024-01-01T12:00:00+02:00", 60),  # e1 again, same event: duplicate
    )
    second = _reused_id_rows(
        ("e2", 1, 11, "2024-01-01T11:00:00Z", 60),  # same event as stored: duplicate
        ("e1", 3, 13, "2024-01-03T10:00:00Z", 30),  # reuse of the stored e1: rejected
        ("e3", 4, 14, "2024-01-04T10:00:00Z", 30),
        ("e3", 4, 14, "2024-01-04T10:00:00Z", 31),  # reuse of e3 (row 3): rejected
    )
    column = "uid" if kind == "csv-mapped" else EVENT_ID
    options = ReadOptions(columns=(("uid", EVENT_ID),)) if kind == "csv-mapped" else ReadOptions()
    header = 1 if kind.startswith("csv") else 0  # a row's line is its number plus the header's
    paths = []
    for name, rows in (("a", first), ("b", second)):
        if kind == "parquet":
            path = tmp_path / f"{name}.parquet"
            pq.write_table(pa.table({c: [r[c] for r in rows] for c in rows[0]}), path)
        elif kind == "jsonl":
            path = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        else:
            renamed = [{column if k == EVENT_ID else k: v for k, v in r.items()} for r in rows]
            path = write_csv(tmp_path / f"{name}.csv", renamed, [column, *COLUMNS[:4]])
        paths.append(path)
    a, b = ingest_paths(paths, warehouse=warehouse, options=options)
    assert (a.rows_read, a.stored, a.duplicates, a.rejected) == (4, 2, 1, 1)
    assert (b.rows_read, b.stored, b.duplicates, b.rejected) == (4, 1, 1, 2)
    reason = f"{column} already used by a different event"
    quarantined = warehouse.duck.execute(
        f"SELECT {Quarantine.source}, {Quarantine.line}, {Quarantine.field}, "
        f"{Quarantine.reason}, {Quarantine.raw} FROM {Quarantine.table} "
        f"ORDER BY {Quarantine.source}, {Quarantine.line}"
    ).fetchall()
    assert [r[:4] for r in quarantined] == [
        (str(paths[0]), 3 + header, column, f"{reason} (line {1 + header} of this file)"),
        (str(paths[1]), 2 + header, column, f"{reason} (already stored, from {paths[0]})"),
        (str(paths[1]), 4 + header, column, f"{reason} (line {3 + header} of this file)"),
    ]
    # the raw row is the rejected one (its member id is there: an erasure finds it)
    rejected = [("e1", "2024-01-02"), ("e1", "2024-01-03"), ("e3", "31")]
    for row, (event_id, value) in zip(quarantined, rejected, strict=True):
        assert event_id in row[4] and value in row[4]
    # and each names its member, so an erasure of that member takes it too
    members = warehouse.duck.execute(
        f"SELECT {Quarantine.member_id} FROM {Quarantine.table} "
        f"ORDER BY {Quarantine.source}, {Quarantine.line}"
    ).fetchall()
    assert [m for (m,) in members] == [2, 3, 4]
    # a row rejected for a reused id describes no one: members 2 and 3 had only such rows
    known = warehouse.duck.execute(f"SELECT {Members.member_id} FROM {Members.table}").fetchall()
    assert sorted(m for (m,) in known) == [1, 4]
    stored = _stored(warehouse)
    assert {k: v[:4] for k, v in stored.items()} == {
        stable_id("e1"): (1, 10, dt.datetime(2024, 1, 1, 10), 60),
        stable_id("e2"): (1, 11, dt.datetime(2024, 1, 1, 11), 60),
        stable_id("e3"): (4, 14, dt.datetime(2024, 1, 4, 10), 30),
    }
    # the same bytes again change nothing
    again = ingest_paths(paths, warehouse=warehouse, options=options)
    assert [(s.stored, s.rejected, s.skipped) for s in again] == [(0, 1, True), (0, 2, True)]
    assert _stored(warehouse) == stored


def test_csv_rejects_carry_physical_lines(tmp_path: Path, warehouse: Warehouse) -> None:
    text = (
        "member_id,title_id,start_utc,seconds,device\n"  # 1
        "1,2,2024-01-02T03:04:05Z,60,TV\n"  # 2 ok
        "1.5,2,2024-01-02,5,\n"  # 3 bad member_id
        "\n"  # 4 blank
        '1,3,2024-01-02,30,"two\nlines"\n'  # 5-6 ok
        "1,2,2024-01-02,-4,x\n"  # 7 negative
        "1,2,3,4,5,6\n"  # 8 too many fields
        "1,2,2024-13-01,3,\n"  # 9 bad timestamp
        ",5,2024-01-01,3,\n"  # 10 missing member
        "2,2,2024-01-03,7,TV"  # 11 ok, no final newline
    )
    path = tmp_path / "messy.csv"
    path.write_text(text)
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.rows_read, summary.stored, summary.rejected) == (8, 3, 5)
    assert _quarantine(warehouse) == [
        (3, Events.member_id, "not a whole number (64-bit)"),
        (7, Events.seconds, "negative value"),
        (8, "", "too many fields"),
        (9, Events.start_utc, "not an ISO 8601 timestamp or a time since the epoch"),
        (10, Events.member_id, "missing required field"),
    ]
    devices = sorted(str(r[4]) for r in _stored(warehouse).values())
    assert devices == ["TV", "TV", "two\nlines"]


def test_line_numbers_survive_parallel_scans(tmp_path: Path, warehouse: Warehouse) -> None:
    """A file of several DuckDB row groups: bad rows planted at known lines are reported there."""
    goods = good_events(250_000, seed=2)
    rng = random.Random(3)
    bad_at = sorted(rng.sample(range(len(goods)), 40))
    rows = [g.row() for g in goods]
    for i in bad_at:
        rows[i] = dict(rows[i], **{Events.seconds: "-1"})
    write_csv(tmp_path / "big.csv", rows, COLUMNS[:4])
    [summary] = ingest_paths([tmp_path / "big.csv"], warehouse=warehouse)
    assert summary.rejected == 40
    assert [line for line, _, _ in _quarantine(warehouse)] == [i + 2 for i in bad_at]
    # and the raw text of each is its own line
    raws = warehouse.duck.execute(
        f"SELECT {Quarantine.raw} FROM {Quarantine.table} ORDER BY {Quarantine.line}"
    ).fetchall()
    lines = (tmp_path / "big.csv").read_text().splitlines()
    assert [r[0] for r in raws] == [lines[i + 1] for i in bad_at]


def test_jsonl_rejects_and_lines(tmp_path: Path, warehouse: Warehouse) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"member_id": 1, "title_id": 2, "start_utc": "2024-01-02T03:04:05Z", "seconds": 60}\n'
        "\n"
        "not json\n"
        '{"member_id": 1, "title_id": 2, "start_utc": "2024-01-02T03:04:05Z", "seconds": -1}\n'
        '{"member_id": 1, "title_id": 2, "start_utc": "2024-01-02", "seconds": 6, "zz": 1}\n'
        '{"member_id": 1.5, "title_id": 2, "start_utc": "2024-01-02", "seconds": 60}\n'
        "[1, 2]\n"
    )
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.rows_read, summary.stored, summary.rejected) == (6, 1, 5)
    assert _quarantine(warehouse) == [
        (3, "", "not a JSON object"),
        (4, Events.seconds, "negative value"),
        (5, "zz", "unknown field"),
        (6, Events.member_id, "not a whole number (64-bit)"),
        (7, "", "not a JSON object"),
    ]


def test_parquet_typed_columns_checked(tmp_path: Path, warehouse: Warehouse) -> None:
    table = pa.table(
        {
            Events.member_id: pa.array([1, 2, None, 4], pa.int64()),
            Events.title_id: pa.array([1.0, 2.5, 3.0, 4.0], pa.float64()),
            Events.start_utc: pa.array(
                [dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))] * 4,
                pa.timestamp("us", tz="Europe/Paris"),
            ),
            Events.seconds: pa.array([10, 20, 30, 2**40], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "typed.parquet")
    [summary] = ingest_paths([tmp_path / "typed.parquet"], warehouse=warehouse)
    assert (summary.rows_read, summary.stored, summary.rejected) == (4, 1, 3)
    assert _quarantine(warehouse) == [
        (2, Events.title_id, "not a whole number (64-bit)"),
        (3, Events.member_id, "missing required field"),
        (4, Events.seconds, "not a whole number ≥ 0 (32-bit)"),
    ]
    [(start,)] = warehouse.duck.execute(f"SELECT {Events.start_utc} FROM {Events.table}").fetchall()
    assert start == dt.datetime(2024, 1, 1, 10)


def test_household_option_fills_household(tmp_path: Path, warehouse: Warehouse) -> None:
    write_csv(tmp_path / "h.csv", [g.row() for g in good_events(5)])
    ingest_paths([tmp_path / "h.csv"], warehouse=warehouse, options=ReadOptions(household="Casa"))
    values = warehouse.duck.execute(f"SELECT DISTINCT {Events.household_id} FROM {Events.table}")
    assert values.fetchall() == [(stable_id("Casa"),)]


def test_readers_return_arrow_like_the_contract(tmp_path: Path) -> None:
    goods = good_events(20)
    rows = [g.row() for g in goods] + [BAD_ROWS[0][0]]
    for reader, path in (
        (EventsCsv(), write_csv(tmp_path / "a.csv", rows)),
        (EventsJsonl(), write_jsonl(tmp_path / "a.jsonl", rows)),
        (EventsParquet(), write_parquet(tmp_path / "a.parquet", goods)),
    ):
        head = path.read_bytes()[:4096]
        assert reader.sniff(path, head)
        parsed = reader.read(path, ReadOptions())
        assert parsed.events is not None
        assert parsed.events.schema == Events.arrow
        assert parsed.rows_read == parsed.events.num_rows + parsed.rejects.num_rows
        assert sorted(parsed.events.column(Events.event_key).to_pylist()) == sorted(
            g.key for g in goods
        )


def test_unknown_column_is_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    from bingewise.ingest import IngestError

    write_csv(tmp_path / "x.csv", [g.row() for g in good_events(3)], [*COLUMNS, "colour"])
    with pytest.raises(IngestError, match=r"x\.csv, line 1, field 'colour'"):
        ingest_paths([tmp_path / "x.csv"], warehouse=warehouse)
    assert warehouse.count() == 0


# ---------------------------------------------------------------------------------------------
# Counts add up, whatever the mix


@settings(max_examples=25)
@given(
    plan=st.lists(
        st.one_of(
            st.tuples(st.just("good"), st.integers(0, 29)),
            st.tuples(st.just("bad"), st.integers(0, len(BAD_ROWS) - 1)),
        ),
        min_size=1,
        max_size=40,
    ),
    kind=st.sampled_from(["csv", "jsonl"]),
)
def test_counts_add_up_for_any_mix(
    plan: list[tuple[str, int]], kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("mix")
    pool = good_events(30, seed=5)
    rows: list[dict[str, str]] = []
    bad_lines: list[tuple[int, str]] = []
    good_keys: set[int] = set()
    for what, i in plan:
        if what == "good":
            rows.append(pool[i].row())
            good_keys.add(pool[i].key)
        else:
            row, fld, _ = BAD_ROWS[i]
            rows.append(row)
            bad_lines.append((len(rows) + (1 if kind == "csv" else 0), fld))
    path = tmp / f"mix.{kind}"
    (write_csv if kind == "csv" else write_jsonl)(path, rows)
    with Warehouse.open(":memory:") as wh:
        fmt = f"events-{kind}"  # a JSON Lines file of bad rows only may not show its layout
        [s] = ingest_paths([path], warehouse=wh, fmt=fmt)
        assert s.rows_read == len(rows) == s.stored + s.duplicates + s.rejected
        assert s.rejected == len(bad_lines)
        assert s.stored == len(good_keys) == wh.count()
        assert [(line, fld) for line, fld, _ in _quarantine(wh)] == bad_lines
        # a second file with the same rows stores nothing new
        copy = tmp / f"copy.{kind}"
        copy.write_bytes(path.read_bytes() + (b"\n" if kind == "jsonl" else b""))
        [again] = ingest_paths([copy], warehouse=wh, fmt=fmt)
        assert (again.stored, again.duplicates, again.rejected) == (
            0,
            len(rows) - len(bad_lines),
            len(bad_lines),
        )


def test_summary_refuses_counts_that_do_not_add_up() -> None:
    with pytest.raises(AssertionError, match="do not add up"):
        IngestSummary("f", "events-csv", 3, 1, 1, 0)


def test_ingested_files_records_sha256(tmp_path: Path, warehouse: Warehouse) -> None:
    import hashlib

    path = write_csv(tmp_path / "e.csv", [g.row() for g in good_events(4)])
    ingest_paths([path], warehouse=warehouse)
    row = warehouse.duck.execute(
        f"SELECT {IngestedFiles.sha256}, {IngestedFiles.stored} FROM {IngestedFiles.table}"
    ).fetchone()
    assert row == (hashlib.sha256(path.read_bytes()).hexdigest(), 4)


def test_csv_semicolon_and_bom(tmp_path: Path, warehouse: Warehouse) -> None:
    goods = good_events(6)
    path = tmp_path / "semi.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for g in goods:
            writer.writerow([g.row()[c] for c in COLUMNS])
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.stored, s.rejected) == (6, 0)
    assert set(_stored(warehouse)) == {g.key for g in goods}


# ---------------------------------------------------------------------------------------------
# The one-pass load (CSV, Parquet) against the staging path (the reference)


def _text_parquet(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    """Rows as a Parquet file of text columns (empty values as nulls)."""
    table = pa.table({c: pa.array([r.get(c) or None for r in rows], pa.string()) for c in columns})
    pq.write_table(table, path, row_group_size=7)  # several row groups even for small files
    return path


@settings(max_examples=20, deadline=None)
@given(
    plan=st.lists(
        st.one_of(
            st.tuples(st.just("good"), st.integers(0, 19)),
            st.tuples(st.just("bad"), st.integers(0, len(BAD_ROWS) - 1)),
        ),
        min_size=1,
        max_size=40,
    ),
    kind=st.sampled_from(["csv", "parquet"]),
)
def test_load_agrees_with_staging(
    plan: list[tuple[str, int]], kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The pipeline's one-pass load stores and quarantines exactly what the staging path reads.

    The staging path (``Reader.read``: every row parsed into a table with its problem code) is
    the reference; repeated good rows are exact copies, so which copy is kept does not matter.
    """
    pool = good_events(20, seed=11)
    rows = [pool[i].row() if what == "good" else BAD_ROWS[i][0] for what, i in plan]
    tmp = tmp_path_factory.mktemp("agree")
    if kind == "csv":
        path, reader = write_csv(tmp / "e.csv", rows), EventsCsv()
    else:
        path, reader = _text_parquet(tmp / "e.parquet", rows, COLUMNS), EventsParquet()
    reference = reader.read(path, ReadOptions())
    assert reference.events is not None
    cols = [c for c in Events.arrow.names if c != Events.source]
    expected = set(zip(*(reference.events.column(c).to_pylist() for c in cols), strict=True))
    with Warehouse.open(":memory:") as wh:
        [s] = ingest_paths([path], warehouse=wh, fmt=reader.name)
        stored = wh.duck.execute(f"SELECT {', '.join(cols)} FROM {Events.table}").fetchall()
        quarantined = wh.duck.execute(
            f"SELECT {Quarantine.line}, {Quarantine.field}, {Quarantine.reason}, {Quarantine.raw}, "
            f"{Quarantine.member_id} FROM {Quarantine.table} ORDER BY {Quarantine.line}"
        ).fetchall()
    assert len(stored) == len(set(stored)) == s.stored
    assert set(stored) == expected
    assert quarantined == [tuple(r.values()) for r in reference.rejects.to_pylist()]
    assert (s.rows_read, s.rejected) == (reference.rows_read, reference.rejects.num_rows)


def _planted(path: Path, n: int, kind: str) -> dict[int, str]:
    """``n`` events in file order; the last two repeat the first two's keys with another device.

    Returns the expected device of each repeated key (the first occurrence's). Parquet files get
    small row groups, so DuckDB reads (and appends) them in parallel.
    """
    con = duckdb.connect()
    late = f"i >= {n - 2}"
    first = f"CASE WHEN {late} THEN i - {n - 2} ELSE i END"
    con.execute(
        f"COPY (SELECT {first} AS {Events.member_id}, {first} % 97 AS {Events.title_id}, "
        f"TIMESTAMP '2024-01-01' + to_seconds({first}) AS {Events.start_utc}, "
        f"60 AS {Events.seconds}, CASE WHEN {late} THEN 'late' ELSE 'first' END AS "
        f"{Events.device} FROM range({n}) t(i) ORDER BY i) TO '{path}' "
        + ("(FORMAT parquet, ROW_GROUP_SIZE 2048)" if kind == "parquet" else "(HEADER)")
    )
    con.close()
    base = dt.datetime(2024, 1, 1)
    return {event_key(i, i % 97, base + dt.timedelta(seconds=i), 60): "first" for i in (0, 1)}


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_first_occurrence_wins_across_row_groups(
    kind: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    n = 150_000  # more than one DuckDB row group (122,880 rows)
    expected = _planted(tmp_path / f"e.{kind}", n, kind)
    [s] = ingest_paths([tmp_path / f"e.{kind}"], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (n, n - 2, 2, 0)
    found = dict(
        warehouse.duck.execute(
            f"SELECT {Events.event_key}, {Events.device} FROM {Events.table} "
            f"WHERE {Events.event_key} IN ({', '.join(map(str, expected))})"
        ).fetchall()
    )
    assert found == expected


def test_file_order_kept_when_the_session_does_not_keep_it(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """Rowids must follow the file (first occurrences, reject lines): the loader insists on it.

    Without it DuckDB appends a large Parquet file's row groups in whatever order its threads
    finish them.
    """
    n = 400_000
    expected = _planted(tmp_path / "e.parquet", n, "parquet")
    warehouse.duck.execute("SET preserve_insertion_order = false")
    [s] = ingest_paths([tmp_path / "e.parquet"], warehouse=warehouse)
    assert (s.stored, s.duplicates) == (n - 2, 2)
    out_of_order = warehouse.duck.execute(
        f"SELECT count(*) FROM (SELECT {Events.member_id} AS m, lag({Events.member_id}) "
        f"OVER (ORDER BY rowid) AS before FROM {Events.table}) WHERE m <= before"
    ).fetchone()
    assert out_of_order == (0,)
    found = warehouse.duck.execute(
        f"SELECT DISTINCT {Events.device} FROM {Events.table} "
        f"WHERE {Events.event_key} IN ({', '.join(map(str, expected))})"
    ).fetchall()
    assert found == [("first",)]
    setting = warehouse.duck.execute("SELECT current_setting('preserve_insertion_order')")
    assert setting.fetchone() == (False,)  # the session's setting is left as it was


def test_parquet_rejects_across_row_groups(tmp_path: Path, warehouse: Warehouse) -> None:
    """Bad values planted at known rows of a many-row-group Parquet file are reported there."""
    goods = good_events(20_000, seed=4)
    rows = [g.row() for g in goods]
    bad_at = sorted(random.Random(8).sample(range(len(rows)), 25))
    for i in bad_at:
        rows[i] = dict(rows[i], **{Events.title_id: "t"})
    path = tmp_path / "e.parquet"
    table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS})
    pq.write_table(table, path, row_group_size=500)
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.rejected) == (20_000, 20_000 - 25, 25)
    assert _quarantine(warehouse) == [
        (i + 1, Events.title_id, "not a whole number (64-bit)") for i in bad_at
    ]


def test_csv_with_carriage_returns_only(tmp_path: Path, warehouse: Warehouse) -> None:
    """Old Mac line ends (CR alone): lines are still physical lines."""
    path = tmp_path / "cr.csv"
    path.write_bytes(
        b"member_id,title_id,start_utc,seconds\r1,2,2024-01-01,5\r1,x,2024-01-01,5\r"
        b"2,2,2024-01-01,7\r"
    )
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.rejected) == (3, 2, 1)
    assert _quarantine(warehouse) == [(3, Events.title_id, "not a whole number (64-bit)")]


#: CRLF lines with a few lone LF (a file edited by hand on two systems), bad rows among them.
MIXED_LINE_ENDS = (
    b"member_id,title_id,start_utc,seconds,device\r\n"  # 1
    b"1,2,2024-01-02T03:04:05Z,60,TV\r\n"  # 2 ok
    b"1,3,2024-01-02T04:04:05Z,60,TV\n"  # 3 ok, lone LF
    b"1,2,3,4,5,6\r\n"  # 4 too many fields
    b"x,4,2024-01-02,5,\n"  # 5 bad member_id, lone LF
    b'2,5,2024-01-02,30,"Web\r\nTV"\n'  # 6-7 ok, a quoted line break (kept as it is)
    b"2,6,2024-01-02,-1,Web\r\n"  # 8 negative
    b"2,7,2024-01-03,30,Web"  # 9 ok, no line end
)


@pytest.mark.parametrize("path_taken", ["load", "stage"])
def test_csv_with_mixed_line_ends(path_taken: str, tmp_path: Path, warehouse: Warehouse) -> None:
    """Mixed CRLF and lone LF line ends are read (by the loader and by the staging reader);
    only the bad rows are rejected, at their physical lines; quoted values keep their breaks."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(MIXED_LINE_ENDS)
    rejects = [
        (4, "", "too many fields"),
        (5, Events.member_id, "not a whole number (64-bit)"),
        (8, Events.seconds, "negative value"),
    ]
    stored = {(1, 2, "TV"), (1, 3, "TV"), (2, 5, "Web\r\nTV"), (2, 7, "Web")}
    if path_taken == "stage":
        parsed = EventsCsv().read(path, ReadOptions())
        assert parsed.events is not None and parsed.rows_read == 7
        rows = parsed.events.select([Events.member_id, Events.title_id, Events.device])
        assert {tuple(r.values()) for r in rows.to_pylist()} == stored
        got = parsed.rejects.select(["line", "field", "reason"]).to_pylist()
        assert [tuple(r.values()) for r in got] == rejects
        return
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.rejected) == (7, 4, 3)
    assert {(r[0], r[1], r[4]) for r in _stored(warehouse).values()} == stored
    assert _quarantine(warehouse) == rejects


@given(
    text=st.lists(st.sampled_from([b"a", b",", b'"', b"\r", b"\n", b"\r\n", b"\xc3\xa9"])),
)
@settings(max_examples=200)
def test_line_ends_made_lf_outside_quotes_only(text: list[bytes]) -> None:
    """Oracle: a quote-state walk byte by byte. Outside quotes CRLF becomes LF; inside quotes
    nothing changes; LF count (lines) is kept."""
    data = b"".join(text)
    expected, inside, i = bytearray(), False, 0
    while i < len(data):
        if data[i : i + 1] == b'"':
            inside = not inside
        if not inside and data[i : i + 2] == b"\r\n":
            expected += b"\n"
            i += 2
            continue
        expected += data[i : i + 1]
        i += 1
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        src.write_bytes(data)
        _write_lf(src, dst, '"')
        assert dst.read_bytes() == bytes(expected)
        assert dst.read_bytes().count(b"\n") == data.count(b"\n")


@given(
    ends=st.lists(st.sampled_from([b"\r\n", b"\n"]), min_size=3, max_size=12),
    data=st.data(),
)
@settings(max_examples=100)
def test_a_stray_quote_carries_no_quote_state_to_the_lines_after_it(
    ends: list[bytes], data: st.DataObject
) -> None:
    """Oracle: rows of three fields, some quoted, one with a stray quote (its next line a whole
    row): no line end is inside a quoted value, so every CRLF becomes LF."""
    rows = [b'1,"a b",c' if k % 2 else b"1,ab,c" for k in range(len(ends))]
    stray = data.draw(st.integers(0, len(rows) - 2))
    rows[stray] = b'1,ab,"c'
    src_bytes = b"".join(r + e for r, e in zip(rows, ends, strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        src.write_bytes(src_bytes)
        _write_lf(src, dst, '"', width=3)
        assert dst.read_bytes() == src_bytes.replace(b"\r\n", b"\n")


def test_csv_malformed_rows_one_record_per_line(tmp_path: Path, warehouse: Warehouse) -> None:
    """Lines read off the counts (no blank lines, no quoted breaks), malformed rows included."""
    text = (
        "member_id,title_id,start_utc,seconds,device\n"  # 1
        "1,2,2024-01-02T03:04:05Z,60,TV\n"  # 2 ok
        "1,2,3,4,5,6\n"  # 3 too many fields
        "x,2,2024-01-02,5,\n"  # 4 bad member_id
        "1,2\n"  # 5 too few fields
        "2,3,2024-01-02,30,Web\n"  # 6 ok
        "2,3,2024-01-02,-1,Web\n"  # 7 negative
    )
    path = tmp_path / "m.csv"
    path.write_text(text)
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.rows_read, summary.stored, summary.rejected) == (6, 2, 4)
    assert _quarantine(warehouse) == [
        (3, "", "too many fields"),
        (4, Events.member_id, "not a whole number (64-bit)"),
        (5, Events.start_utc, "too few fields"),  # the first missing column
        (7, Events.seconds, "negative value"),
    ]


# ---------------------------------------------------------------------------------------------
# Rejected rows name their member when it can be read

#: Rows of a service log, each with the member its rejected row must name (None: no one).
NAMED_ROWS: list[tuple[dict[str, str], int | None]] = [
    ({"member_id": "42", "title_id": "1", "start_utc": "2024-01-02T03:04:05Z", "seconds": "60"},
     None),  # valid: stored, not rejected
    ({"member_id": "42", "title_id": "2", "start_utc": "not a time", "seconds": "60"}, 42),
    ({"member_id": " 7 ", "title_id": "3", "start_utc": "2024-01-02", "seconds": "-5"}, 7),
    ({"member_id": "x42", "title_id": "4", "start_utc": "2024-01-02", "seconds": "60"}, None),
    ({"member_id": "", "title_id": "5", "start_utc": "2024-01-02", "seconds": "60"}, None),
    ({"member_id": "9", "title_id": "many", "start_utc": "2024-01-02", "seconds": "60"}, 9),
]  # fmt: skip
NAMED_COLUMNS = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds]


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_rejects_name_the_member_they_are_about(
    kind: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """A rejected row whose member field is readable carries that member id (a short one too),
    whatever else is wrong with it, in the staging path and the pipeline's one-pass load alike;
    it is quarantined with it. A row whose member field is unreadable names no one."""
    rows = [r for r, _ in NAMED_ROWS]
    expected = [m for r, m in NAMED_ROWS[1:]]
    if kind == "csv":
        path, reader = write_csv(tmp_path / "e.csv", rows, NAMED_COLUMNS), EventsCsv()
    elif kind == "jsonl":
        path, reader = write_jsonl(tmp_path / "e.jsonl", rows), EventsJsonl()
    else:
        path = _text_parquet(tmp_path / "e.parquet", rows, NAMED_COLUMNS)
        reader = EventsParquet()
    staged = reader.read(path, ReadOptions())
    assert staged.rejects.column(Quarantine.member_id).to_pylist() == expected
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.stored, summary.rejected) == (1, len(expected))
    quarantined = warehouse.duck.execute(
        f"SELECT {Quarantine.member_id} FROM {Quarantine.table} ORDER BY {Quarantine.line}"
    ).fetchall()
    assert [m for (m,) in quarantined] == expected


def test_malformed_csv_rows_name_a_member_only_when_split_into_the_columns(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """A row DuckDB cannot use as a whole names its member when its fields are the file's
    columns (bad text encoding); with a field too many or too few, which field is the member's
    cannot be told, and no one is named rather than perhaps the wrong member."""
    path = tmp_path / "m.csv"
    path.write_bytes(
        b"member_id,title_id,start_utc,seconds,device\n"  # 1
        b"42,1,2024-01-02T03:04:05Z,60,TV\n"  # 2 ok
        b"42,2,2024-01-02T03:04:05Z,60,T\xffV\n"  # 3 not UTF-8: 42's
        b"42,3,2024-01-02T03:04:05Z,60,TV,extra\n"  # 4 too many fields: no one's
        b"7,4\n"  # 5 too few fields: no one's
    )
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.stored, summary.rejected) == (1, 3)
    rows = warehouse.duck.execute(
        f"SELECT {Quarantine.line}, {Quarantine.reason}, {Quarantine.member_id} "
        f"FROM {Quarantine.table} ORDER BY {Quarantine.line}"
    ).fetchall()
    assert rows == [
        (3, "not valid UTF-8", 42),
        (4, "too many fields", None),
        (5, "too few fields", None),
    ]


# ---------------------------------------------------------------------------------------------
# A service's own column names (--columns)

#: How a service's log might name the columns, and a column of its own nobody asked for.
THEIRS = {
    Events.member_id: "user_id",
    Events.title_id: "video_id",
    Events.start_utc: "ts",
    Events.seconds: "watch_secs",
    Events.device: "client",
}
MAP = (*((theirs, mine) for mine, theirs in THEIRS.items()), ("ip", ""))


def _renamed(row: dict[str, str]) -> dict[str, str]:
    return {THEIRS.get(k, k): v for k, v in row.items()} | {"ip": "10.0.0.1"}


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_column_map_reads_a_services_own_names(
    kind: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """The same events under other column names, plus a column left out on purpose, store
    exactly what the plain file stores; a bad value is named by the file's own column."""
    goods = good_events(40, seed=3)
    bad = {**goods[0].row(), Events.seconds: "-5"}
    path = tmp_path / f"log.{kind}"
    if kind == "csv":
        rows = [_renamed(g.row()) for g in goods] + [_renamed(bad)]
        write_csv(path, rows, [THEIRS.get(c, c) for c in COLUMNS] + ["ip"])
    elif kind == "jsonl":
        write_jsonl(path, [_renamed(g.row()) for g in goods] + [_renamed(bad)])
    else:
        plain = tmp_path / "plain.parquet"
        write_parquet(plain, goods)
        table = pq.read_table(plain)
        table = table.rename_columns([THEIRS.get(c, c) for c in table.column_names])
        table = table.append_column("ip", pa.array(["10.0.0.1"] * table.num_rows))
        pq.write_table(table, path)
    with pytest.raises(IngestError, match="--columns"):  # not without the map
        ingest_paths([path], warehouse=warehouse)
    [summary] = ingest_paths([path], warehouse=warehouse, options=ReadOptions(columns=MAP))
    assert summary.format == f"events-{kind}"
    expected = {g.key: (g.member_id, g.title_id, g.start, g.seconds, g.device) for g in goods}
    assert _stored(warehouse) == expected
    if kind != "parquet":
        assert summary.rejected == 1
        line = 42 if kind == "csv" else 41  # after the header, or with none
        assert _quarantine(warehouse) == [(line, "watch_secs", "negative value")]
        named = warehouse.duck.execute(f"SELECT {Quarantine.member_id} FROM {Quarantine.table}")
        assert named.fetchall() == [(goods[0].member_id,)]  # read from the file's user_id


def test_column_map_refuses_what_could_not_mean_one_thing(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    from bingewise.ingest.formats import check_column_map

    for pairs, message in [
        ((("user_id", "member"),), "'member' is not a column of events or catalog files"),
        ((("a", "member_id"), ("b", "member_id")), "both 'a' and 'b' are given as 'member_id'"),
        ((("a", "member_id"), ("a", "")), "file column 'a' is given twice"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_column_map(pairs)
    # a file keeping our name too: that column is now unknown, not silently one of two
    rows = [{**_renamed(g.row()), Events.member_id: "7"} for g in good_events(2)]
    path = write_csv(tmp_path / "both.csv", rows, [*THEIRS.values(), Events.member_id, "ip"])
    with pytest.raises(IngestError, match="field 'member_id'"):
        ingest_paths([path], warehouse=warehouse, options=ReadOptions(columns=MAP))
    assert warehouse.count() == 0


def test_cli_columns_option(tmp_path: Path, home: Path) -> None:
    from typer.testing import CliRunner

    from bingewise.cli import app

    rows = [_renamed(g.row()) for g in good_events(3)]
    path = write_csv(tmp_path / "log.csv", rows, [THEIRS.get(c, c) for c in COLUMNS] + ["ip"])
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "ingest", str(path)])
    assert done.exit_code == 1
    assert "--columns" in " ".join(done.output.split())  # the way out is named
    spec = ",".join(f"{theirs}={mine}" for theirs, mine in MAP)
    done = runner.invoke(app, ["-q", "ingest", str(path), "--columns", spec, "--json"])
    assert done.exit_code == 0, done.output
    assert '"stored": 3' in done.output
    done = runner.invoke(app, ["-q", "ingest", str(path), "--columns", "user_id"])
    assert done.exit_code == 2 and "is not FILE_COLUMN=COLUMN" in done.output


# ---------------------------------------------------------------------------------------------
# Times since the epoch, as service logs often write them


def test_times_since_the_epoch_in_any_unit(tmp_path: Path, warehouse: Warehouse) -> None:
    """Seconds (with or without a fraction), milliseconds, microseconds and nanoseconds since
    1970 are told apart by size and read to the microsecond; numbers that are no time of this
    century (a yyyymmdd date, a small count) are rejected, not read as 1970."""
    when = dt.datetime(2024, 3, 1, 20, 0, 0, 250000)
    s = 1709323200
    spellings = [
        (f"{s}.25", when),
        (f"{s * 1000 + 250}", when),
        (f"{s * 10**6 + 250000}", when),
        (f"{s * 10**9 + 250000999}", when),  # nanoseconds: floored to the microsecond
        (f" {s} ", when.replace(microsecond=0)),
    ]
    rows = [
        {Events.member_id: "1", Events.title_id: str(i), Events.start_utc: t, Events.seconds: "60"}
        for i, (t, _) in enumerate(spellings)
    ]
    bad = ["20240301", "42", "1709323200123456789012", "-1709323200"]
    rows += [
        {Events.member_id: "2", Events.title_id: "9", Events.start_utc: t, Events.seconds: "60"}
        for t in bad
    ]
    write_csv(tmp_path / "epoch.csv", rows, COLUMNS[:4])
    [summary] = ingest_paths([tmp_path / "epoch.csv"], warehouse=warehouse)
    assert (summary.stored, summary.rejected) == (len(spellings), len(bad))
    stored = {r[1]: r[2] for r in _stored(warehouse).values()}
    assert stored == {i: w for i, (_, w) in enumerate(spellings)}
    assert {(f, r.split(" or ")[0]) for _, f, r in _quarantine(warehouse)} == {
        (Events.start_utc, "not an ISO 8601 timestamp")
    }


def test_parquet_epoch_columns(tmp_path: Path, warehouse: Warehouse) -> None:
    """Typed Parquet: an int64 of milliseconds and a double of seconds are times too."""
    s = 1709323200
    for name, column in [
        ("ms", pa.array([s * 1000 + 7, 20240301], pa.int64())),
        ("s", pa.array([s + 0.5, 12.0], pa.float64())),
    ]:
        table = pa.table(
            {
                Events.member_id: pa.array([1, 1], pa.int64()),
                Events.title_id: pa.array([1, 2], pa.int64()),
                Events.start_utc: column,
                Events.seconds: pa.array([60, 60], pa.int64()),
            }
        )
        pq.write_table(table, tmp_path / f"{name}.parquet")
        [summary] = ingest_paths([tmp_path / f"{name}.parquet"], warehouse=warehouse)
        assert (summary.stored, summary.rejected) == (1, 1)
    starts = sorted(r[2] for r in _stored(warehouse).values())
    base = dt.datetime(2024, 3, 1, 20)
    assert starts == [base + dt.timedelta(milliseconds=7), base + dt.timedelta(milliseconds=500)]


def test_no_known_format_names_header_columns_but_never_a_row(tmp_path: Path) -> None:
    """The message shows a header's names (with the --columns way out); a header-less file's
    first line is data, and is not shown."""
    from bingewise.ingest import detect

    named = tmp_path / "named.csv"
    named.write_text("user_id,video_id,ts\n1,2,3\n")
    with pytest.raises(IngestError, match=r"its columns \(user_id, video_id, ts\).*--columns"):
        detect(named)
    rows = tmp_path / "rows.csv"
    rows.write_text("Ana,2022-01-01 10:00:00,0:45:00,Dark\n17,100,2024-03-01\n")
    with pytest.raises(IngestError) as info:
        detect(rows)
    assert "Ana" not in str(info.value) and "the first line matches no reader" in str(info.value)


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_whole_numbers_written_as_floats_read_alike_in_every_format(
    tmp_path: Path, warehouse: Warehouse, suffix: str
) -> None:
    """pandas writes a nullable integer column as 200.0: CSV and JSON Lines read it as Parquet
    does (a whole number), and 200.5 is refused in each."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            Events.member_id: [1.0, 2.0, 3.0],
            Events.title_id: [10, 11, 12],
            Events.start_utc: ["2024-01-01T20:00:00Z"] * 3,
            Events.seconds: [200.0, 300.0, 200.5],
        }
    )
    path = tmp_path / f"events.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    [summary] = ingest_paths([path], warehouse=warehouse)
    assert (summary.stored, summary.rejected) == (2, 1)
    stored = warehouse.duck.execute(
        f"SELECT {Events.member_id}, {Events.seconds} FROM {Events.table} ORDER BY 1"
    ).fetchall()
    assert stored == [(1, 200), (2, 300)]
    (reject,) = _quarantine(warehouse)
    assert reject[1] == Events.seconds


#: A service's own events with two stray quotes (hand edits) and a value really quoted over two
#: lines; the stray quotes swallowed every row after them into one rejected row.
STRAY_QUOTES = (
    "event_id,member_id,title_id,start_utc,seconds,device,country\n"  # 1
    "e1,1,1,2021-01-01T10:00:00Z,600,tv,US\n"  # 2 ok
    'e2,1,1,2021-01-01T10:20:00Z,600,"tv,US\n'  # 3 stray quote in device
    "e3,1,2,2021-01-01T11:00:00Z,600,tv,US\n"  # 4 ok
    'e4,2,2,2021-01-02T11:00:00Z,600,"Web\nTV",US\n'  # 5-6 ok, quoted over two lines
    'e5,2,3,2021-01-02T12:00:00Z,600,"t, v",US\n'  # 7 ok, quoted
    'e6,3,3,2021-01-03T12:00:00Z,600,tv,"US\n'  # 8 stray quote in country
    "e7,3,4,2021-01-03T13:00:00Z,600,tv,US\n"  # 9 ok
)
_STRAY_REJECTS = [(3, Events.device), (8, Events.country)]
_STRAY_STORED = {("e1", "tv"), ("e3", "tv"), ("e4", "Web\nTV"), ("e5", "t, v"), ("e7", "tv")}


@pytest.mark.parametrize("path_taken", ["load", "stage"])
def test_a_stray_quote_rejects_its_own_line_not_the_rest_of_the_file(
    path_taken: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """One unbalanced quote read everything after it as one field: the rows after it were lost
    inside one rejected row. Now the line with the stray quote alone is rejected (its line, the
    field where the quote opens), every later row is read on its own, and a value really quoted
    over two lines is still one row. Counts add up; the same rows again store nothing new."""
    path = tmp_path / "events.csv"
    path.write_text(STRAY_QUOTES)
    lines = STRAY_QUOTES.splitlines()
    if path_taken == "stage":
        parsed = EventsCsv().read(path, ReadOptions())
        assert parsed.events is not None
        assert (parsed.rows_read, parsed.events.num_rows, parsed.rejects.num_rows) == (7, 5, 2)
        got = parsed.events.select([Events.event_key, Events.device]).to_pylist()
        assert {tuple(r.values()) for r in got} == {(stable_id(e), d) for e, d in _STRAY_STORED}
        rejects = parsed.rejects.to_pylist()
        assert [(r["line"], r["field"]) for r in rejects] == _STRAY_REJECTS
        assert all("quote" in r["reason"] for r in rejects), rejects
        assert [r["raw"] for r in rejects] == [lines[2], lines[7]]
        return
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (7, 5, 0, 2)
    assert [(line, fld) for line, fld, _ in _quarantine(warehouse)] == _STRAY_REJECTS
    assert all("quote" in reason for _, _, reason in _quarantine(warehouse))
    stored = _stored(warehouse)
    assert {v[4] for v in stored.values()} == {d for _, d in _STRAY_STORED}
    assert set(stored) == {stable_id(e) for e, _ in _STRAY_STORED}
    # the same bytes again: nothing new; the quotes mended: only the two rows they held are new
    [again] = ingest_paths([path], warehouse=warehouse)
    assert (again.stored, again.skipped) == (0, True)
    mended = tmp_path / "mended.csv"
    mended.write_text(STRAY_QUOTES.replace('"tv,US', "tv,US").replace(',"US\n', ",US\n"))
    [fixed] = ingest_paths([mended], warehouse=warehouse)
    assert (fixed.rows_read, fixed.stored, fixed.duplicates, fixed.rejected) == (7, 2, 5, 0)
    assert warehouse.count() == 7


#: Mixed CRLF and LF line ends, a stray quote, quoted values after it (one over two lines).
MIXED_ENDS_STRAY_QUOTE = (
    b"event_id,member_id,title_id,start_utc,seconds,device,country\r\n"  # 1
    b"e1,1,10,2024-05-01T10:00:00Z,600,tv,US\n"  # 2 ok
    b'e2,2,11,2024-05-02T10:00:00Z,600,"tv,US\r\n'  # 3 stray quote
    b'e3,3,12,2024-05-03T10:00:00Z,600,"Web TV",US\n'  # 4 ok, quoted
    b"e4,4,13,2024-05-04T10:00:00Z,600,tv,US\r\n"  # 5 ok
    b'e5,5,14,2024-05-05T10:00:00Z,600,"Web\r\n'  # 6-7 ok, a quoted line break
    b'TV",US\n'
    b"e6,6,15,2024-05-06T10:00:00Z,600,tv,US\r\n"  # 8 ok
)
_MIXED_STORED = {("e1", "tv"), ("e3", "Web TV"), ("e4", "tv"), ("e5", "Web\r\nTV"), ("e6", "tv")}


@pytest.mark.parametrize("path_taken", ["load", "stage"])
def test_a_stray_quote_in_a_file_of_mixed_line_ends_rejects_its_own_line(
    path_taken: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """Mixed line ends and a stray quote together: the line end conversion followed the stray
    quote's parity, left the file mixed, and DuckDB refused it as a whole ("state machine
    reached an invalid state", no line named). Now the stray line alone is rejected, every
    other row is stored, a quoted line break keeps its CRLF, and counts add up."""
    path = tmp_path / "events.csv"
    path.write_bytes(MIXED_ENDS_STRAY_QUOTE)
    if path_taken == "stage":
        parsed = EventsCsv().read(path, ReadOptions())
        assert parsed.events is not None
        assert (parsed.rows_read, parsed.events.num_rows, parsed.rejects.num_rows) == (6, 5, 1)
        got = parsed.events.select([Events.event_key, Events.device]).to_pylist()
        assert {tuple(r.values()) for r in got} == {(stable_id(e), d) for e, d in _MIXED_STORED}
        [reject] = parsed.rejects.to_pylist()
        assert (reject["line"], reject["field"]) == (3, Events.device)
        assert reject["reason"].startswith("unbalanced quote")
        return
    [s] = ingest_paths([path], warehouse=warehouse)
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (6, 5, 0, 1)
    [(line, fld, reason)] = _quarantine(warehouse)
    assert (line, fld) == (3, Events.device) and reason.startswith("unbalanced quote")
    stored = _stored(warehouse)
    assert set(stored) == {stable_id(e) for e, _ in _MIXED_STORED}
    assert {v[4] for v in stored.values()} == {d for _, d in _MIXED_STORED}


@pytest.mark.parametrize("path_taken", ["pipeline", "read"])
def test_a_stray_quote_in_a_catalog_rejects_its_own_line(
    path_taken: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """The same for a catalog CSV (staged, never loaded): a title typed with an opening quote
    only is that line's reject; the titles after it are read, a title quoted over two lines
    is one title."""
    path = tmp_path / "catalog.csv"
    path.write_text(
        f"{Catalog.title_id},{Catalog.title},{Catalog.runtime_seconds}\n"  # 1
        '1,"Two\nLines",5400\n'  # 2-3 ok
        '2,"Roma,7200\n'  # 4 stray quote in title
        "3,Film Three,3600\n"  # 5 ok
        '4,"Film, Four",6000\n'  # 6 ok
    )
    titles = {1: "Two\nLines", 3: "Film Three", 4: "Film, Four"}
    if path_taken == "read":
        parsed = CatalogCsv().read(path, ReadOptions())
        assert parsed.catalog is not None and parsed.rows_read == 4
        got = parsed.catalog.select([Catalog.title_id, Catalog.title]).to_pylist()
        assert {r[Catalog.title_id]: r[Catalog.title] for r in got} == titles
        rejects = parsed.rejects.to_pylist()
        assert [(r["line"], r["field"], r["raw"]) for r in rejects] == [
            (4, Catalog.title, '2,"Roma,7200')
        ]
        assert "quote" in rejects[0]["reason"]
        return
    [s] = ingest_paths([path], warehouse=warehouse)
    assert s.format == "catalog-csv"
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (4, 3, 0, 1)
    assert [(line, fld) for line, fld, _ in _quarantine(warehouse)] == [(4, Catalog.title)]
    rows = warehouse.duck.execute(f"SELECT {Catalog.title_id}, {Catalog.title} FROM catalog")
    assert dict(rows.fetchall()) == titles


def test_an_unclosed_quote_before_no_whole_row_stays_one_reject(tmp_path: Path) -> None:
    """A quote left open where the next line is no row by itself (the end of a value that
    really spans lines, cut short) is not split: one reject, as DuckDB reads it."""
    path = tmp_path / "events.csv"
    path.write_text(
        "member_id,title_id,start_utc,seconds,device\n"  # 1
        "1,2,2024-01-02T03:04:05Z,60,TV\n"  # 2 ok
        '1,3,2024-01-02T04:04:05Z,60,"Web\n'  # 3 opens a value ...
        "TV\n"  # 4 ... never closed
    )
    parsed = EventsCsv().read(path, ReadOptions())
    assert parsed.events is not None
    assert (parsed.rows_read, parsed.events.num_rows, parsed.rejects.num_rows) == (2, 1, 1)
    assert parsed.rejects.to_pylist()[0]["line"] == 3


@pytest.mark.parametrize("next_line", ["whole row", "no row"])
def test_a_quote_swallowing_more_than_csvs_field_limit(
    next_line: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    """An open quote followed by more text than Python's ``csv`` holds in one field (128 KiB):
    the line walk crashed (``field larger than field limit``). A stray quote is still its own
    line's reject and the rows after it are stored; a quote before a line that is no row stays
    one malformed record, and the counts add up."""
    header = "event_id,member_id,title_id,start_utc,seconds,device\n"
    rows = [f"e{i},{i % 50},{i % 70},2021-01-01T10:00:00Z,60,tv\n" for i in range(4000)]
    rows[1] = 'e1,1,1,2021-01-01T10:00:00Z,60,"tv\n'  # line 3
    if next_line == "no row":
        rows[2] = "TV\n"  # line 4: no row by itself
    path = tmp_path / "big.csv"
    path.write_text(header + "".join(rows))
    [s] = ingest_paths([path], warehouse=warehouse)
    assert s.rows_read == s.stored + s.duplicates + s.rejected
    if next_line == "whole row":
        assert (s.rows_read, s.stored, s.rejected) == (4000, 3999, 1)
        assert _quarantine(warehouse) == [(3, Events.device, unbalanced_quote())]
    else:
        assert (s.rejected, _quarantine(warehouse)[0][0]) == (1, 3)
        assert s.stored == 1
