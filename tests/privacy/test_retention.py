"""Retention: old raw events go, daily aggregates stay, sums are preserved (brute-force oracle).

A summarised member-day is closed: the same events ingested again after a run (a re-saved file,
a later export of the whole history) are not stored and summed a second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.ingest import IngestSummary, ReadOptions, ingest_paths
from bingewise.privacy.retention import closed_bound, run_retention
from bingewise.schema import DailyViewing, Events, Members, RetentionRuns
from bingewise.warehouse import Warehouse

#: member, start (naive UTC), seconds, supplemental type
Event = tuple[int, dt.datetime, int, str | None]

#: 3: unknown zone -> UTC days; 5: no zone, country "us" -> the country's zone, as in the facts
ZONES = {1: "America/Mexico_City", 2: "Asia/Tokyo", 3: None, 5: "America/New_York"}
COUNTRY_ONLY = {5: "us"}
NOW = dt.datetime(2019, 1, 1)


def _load(wh: Warehouse, events: list[tuple[int, dt.datetime, int, str | None]]) -> None:
    rows = [
        {
            Events.event_key: k,
            Events.member_id: m,
            Events.title_id: 1,
            Events.start_utc: t,
            Events.seconds: s,
            Events.supplemental: supp,
            Events.source: "test",
        }
        for k, (m, t, s, supp) in enumerate(events)
    ]
    wh.duck.register("bw_ev", pa.Table.from_pylist(rows, schema=Events.arrow))
    wh.duck.execute(f"INSERT INTO {Events.table} SELECT * FROM bw_ev")
    wh.duck.unregister("bw_ev")


def _day(member: int, start: dt.datetime) -> dt.date:
    """The member's local day of a UTC start (UTC days for an unknown zone)."""
    zone = ZONES[member]
    return (start.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)) if zone else start).date()


def _oracle(events, cutoff):  # type: ignore[no-untyped-def]
    """Per (member, local day): segments, seconds, supplemental seconds of events before cutoff."""
    agg: Counter[tuple[int, dt.date, str]] = Counter()
    for m, t, s, supp in events:
        if t >= cutoff:
            continue
        day = _day(m, t)
        agg[(m, day, DailyViewing.segments)] += 1
        agg[(m, day, DailyViewing.seconds)] += s
        agg[(m, day, DailyViewing.supplemental_seconds)] += s if supp else 0
    return agg


def _daily(wh: Warehouse) -> Counter[tuple[int, dt.date, str]]:
    out: Counter[tuple[int, dt.date, str]] = Counter()
    cols = [DailyViewing.segments, DailyViewing.seconds, DailyViewing.supplemental_seconds]
    for m, day, *vals in wh.duck.execute(
        f"SELECT {DailyViewing.member_id}, {DailyViewing.local_day}, {', '.join(cols)} "
        f"FROM {DailyViewing.table}"
    ).fetchall():
        for c, v in zip(cols, vals, strict=True):
            if v:
                out[(m, day, c)] += v
    return out


def _members(wh: Warehouse) -> None:
    rows = [
        {Members.member_id: m, Members.country: COUNTRY_ONLY[m]}
        if m in COUNTRY_ONLY
        else {Members.member_id: m, Members.time_zone: z}
        for m, z in ZONES.items()
        if z
    ]
    rows.append({Members.member_id: 3, Members.time_zone: "Mars/Olympus_Mons"})  # invalid zone
    wh.duck.register("bw_m", pa.Table.from_pylist(rows, schema=Members.arrow))
    wh.duck.execute(f"INSERT INTO {Members.table} SELECT * FROM bw_m")
    wh.duck.unregister("bw_m")


event_st = st.tuples(
    st.sampled_from(sorted(ZONES)),
    st.datetimes(dt.datetime(2016, 12, 25), dt.datetime(2018, 12, 31)),
    st.integers(1, 20_000),
    st.sampled_from([None, "TRAILER"]),
)


@settings(max_examples=30)
@given(st.lists(event_st, max_size=40), st.integers(0, 800), st.integers(0, 800))
def test_deletes_old_events_only_and_keeps_sums(events, days1: int, days2: int) -> None:  # type: ignore[no-untyped-def]
    """Two runs (any windows, in any order) keep exactly the oracle's sums; new events stay."""
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _load(wh, events)
        dry = run_retention(wh, days=days1, now=NOW, dry_run=True)
        assert wh.count(DailyViewing.table) == 0
        assert wh.count(Events.table) == len(events)
        first = run_retention(wh, days=days1, now=NOW)
        assert (dry.events_deleted, dry.aggregate_rows) == (
            first.events_deleted,
            first.aggregate_rows,
        )
        run_retention(wh, days=days2, now=NOW)
        cutoff = max(NOW - dt.timedelta(days=days1), NOW - dt.timedelta(days=days2))
        left = wh.duck.execute(f"SELECT min({Events.start_utc}) FROM {Events.table}").fetchone()
        assert left is not None and (left[0] is None or left[0] >= cutoff)
        assert wh.count(Events.table) == sum(1 for e in events if e[1] >= cutoff)
        assert _daily(wh) == _oracle(events, cutoff)


def test_default_window_from_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bingewise.config import reset_settings

    monkeypatch.setenv("BINGEWISE_RETENTION_DAYS", "30")
    reset_settings()
    with Warehouse.open(":memory:") as wh:
        _load(
            wh,
            [
                (3, NOW - dt.timedelta(days=31), 100, None),
                (3, NOW - dt.timedelta(days=29), 50, None),
            ],
        )
        report = run_retention(wh, now=NOW)
        assert report.cutoff_utc == NOW - dt.timedelta(days=30)
        assert report.events_deleted == 1
        assert wh.count(Events.table) == 1
        assert _daily(wh) == Counter(
            {
                (3, (NOW - dt.timedelta(days=31)).date(), DailyViewing.segments): 1,
                (3, (NOW - dt.timedelta(days=31)).date(), DailyViewing.seconds): 100,
            }
        )


def test_a_run_is_recorded_without_member_data() -> None:
    """Each run that changes the warehouse is a row of retention_runs: when, cutoff, counts."""
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _load(wh, [(1, dt.datetime(2016, 1, 1), 60, None), (2, dt.datetime(2018, 12, 1), 5, None)])
        run_retention(wh, days=730, now=NOW, dry_run=True)
        assert wh.count(RetentionRuns.table) == 0
        report = run_retention(wh, days=730, now=NOW)
        cols = wh.table(RetentionRuns.table).columns
        assert list(cols) == RetentionRuns.arrow.names and Members.member_id not in cols
        rows = wh.duck.execute(f"SELECT * FROM {RetentionRuns.table}").fetchall()
        assert rows == [(NOW, report.cutoff_utc, 1, 1, 0)]


# ---------------------------------------------------------------------------------------------
# Ingest, retention, the same events ingested again: a summarised member-day is closed


def _write(path: Path, events: Sequence[Event], fmt: str, *, resaved: bool = False) -> Path:
    """Events as a generic events file: CSV, or JSON Lines. ``resaved``: other bytes, same rows
    (columns in another order, a trailing blank line), as a spreadsheet's re-save gives."""
    rows = [
        {
            Events.member_id: str(m),
            Events.title_id: "1",
            Events.start_utc: t.isoformat(),
            Events.seconds: str(s),
            Events.supplemental: supp or "",
        }
        for m, t, s, supp in events
    ]
    cols = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds]
    cols.append(Events.supplemental)
    if resaved:
        cols.reverse()
    with path.open("w", newline="", encoding="utf-8") as fh:
        if fmt == "csv":
            writer = csv.DictWriter(fh, cols, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                fh.write(json.dumps({c: row[c] for c in cols if row[c]}) + "\n")
        if resaved:
            fh.write("\n")
    return path


def _ingest(wh: Warehouse, path: Path) -> IngestSummary:
    [summary] = ingest_paths([path], warehouse=wh)
    return summary


def _not_stored_again(n: int) -> str:
    return (
        f"{n} rows older than the retention window, on days already summarised (not stored again)"
    )


def unique_events(min_size: int = 0) -> st.SearchStrategy[list[Event]]:
    """Events of distinct keys (member, title, start, seconds; the title is always 1)."""
    return st.lists(event_st, min_size=min_size, max_size=30, unique_by=lambda e: e[:3])


@settings(max_examples=25)
@given(
    unique_events(1),
    st.lists(st.booleans(), min_size=30, max_size=30),
    unique_events(),
    st.integers(0, 800),
    st.integers(0, 800),
    st.sampled_from(["csv", "jsonl"]),
    st.sampled_from(["csv", "jsonl"]),
)
def test_events_ingested_again_after_a_run_are_not_summed_twice(  # type: ignore[no-untyped-def]
    events, again, extra, days1: int, days2: int, fmt1: str, fmt2: str
) -> None:
    """Ingest, run, ingest some of the same events again (another file; the first always) with
    new ones, run: the aggregates are the oracle's for each event once, where a new event is not
    stored if it starts before the first run's cutoff on a member-day that run summarised."""
    keys = {e[:3] for e in events}
    extra = [e for e in extra if e[:3] not in keys]
    second = [e for i, e in enumerate(events) if i == 0 or again[i]] + extra
    cut1, cut2 = NOW - dt.timedelta(days=days1), NOW - dt.timedelta(days=days2)
    summarised = {(m, _day(m, t)) for m, t, _, _ in events if t < cut1}
    closed = [e for e in second if e[1] < cut1 and (e[0], _day(e[0], e[1])) in summarised]
    new = [e for e in extra if e not in closed]
    with tempfile.TemporaryDirectory() as tmp, Warehouse.open(":memory:") as wh:
        _members(wh)
        _ingest(wh, _write(Path(tmp) / f"a.{fmt1}", events, fmt1))
        run_retention(wh, days=days1, now=NOW)
        summary = _ingest(wh, _write(Path(tmp) / f"b.{fmt2}", second, fmt2, resaved=True))
        assert (summary.rows_read, summary.stored) == (len(second), len(new))
        assert summary.duplicates == len(second) - len(new)
        assert (_not_stored_again(len(closed)) in summary.message) == bool(closed)
        run_retention(wh, days=days2, now=NOW)
        cutoff = max(cut1, cut2)  # the first file's events met both runs, the new ones the second
        assert _daily(wh) == _oracle(events, cutoff) + _oracle(new, cut2)
        left = sum(1 for e in events if e[1] >= cutoff) + sum(1 for e in new if e[1] >= cut2)
        assert wh.count(Events.table) == left


OLD = [  # two+ years before NOW: members 1 (Mexico City), 2 (Tokyo), 3 (UTC)
    (1, dt.datetime(2016, 3, 1, 18, 0), 1200, None),
    (1, dt.datetime(2016, 3, 1, 20, 30), 90, "TRAILER"),
    (2, dt.datetime(2016, 5, 7, 1, 0), 2400, None),
    (3, dt.datetime(2016, 8, 9, 23, 0), 600, None),
]
RECENT = [(3, dt.datetime(2018, 12, 20, 12, 0), 300, None)]  # inside the window


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_resaved_file_after_retention_is_not_stored_again(tmp_path: Path, fmt: str) -> None:
    """The bug: ingest, run, ingest the re-saved file, run doubled every daily total."""
    events = [*OLD, *RECENT]
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _ingest(wh, _write(tmp_path / "a.csv", events, "csv"))
        run_retention(wh, days=730, now=NOW)
        once = _daily(wh)
        assert once == _oracle(events, NOW - dt.timedelta(days=730))
        again = _ingest(wh, _write(tmp_path / f"resaved.{fmt}", events, fmt, resaved=True))
        assert not again.skipped  # other bytes: ingested_files does not know the file
        assert (again.rows_read, again.stored, again.duplicates, again.rejected) == (5, 0, 5, 0)
        assert _not_stored_again(len(OLD)) in again.message
        report = run_retention(wh, days=730, now=NOW)
        assert (report.events_deleted, report.aggregate_rows) == (0, 0)
        assert _daily(wh) == once
        assert wh.count(Events.table) == len(RECENT)


def test_an_old_event_of_a_day_not_summarised_is_stored_and_summed(tmp_path: Path) -> None:
    """Runs stay additive: an old event of a member-day without an aggregate is stored, and the
    next run sums it; a late event of a summarised day is not stored, and is counted."""
    unsummarised = (2, dt.datetime(2016, 5, 8, 3, 0), 700, None)  # Tokyo: 8 May, no aggregate
    late = (2, dt.datetime(2016, 5, 6, 20, 0), 50, None)  # Tokyo: 7 May, summarised
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _ingest(wh, _write(tmp_path / "a.csv", OLD, "csv"))
        run_retention(wh, days=730, now=NOW)
        later = _ingest(wh, _write(tmp_path / "b.csv", [*OLD, unsummarised, late], "csv"))
        assert (later.rows_read, later.stored, later.duplicates) == (6, 1, 5)
        assert _not_stored_again(5) in later.message
        assert wh.count(Events.table) == 1
        run_retention(wh, days=730, now=NOW)
        assert _daily(wh) == _oracle([*OLD, unsummarised], NOW)


def test_a_member_west_of_utc_is_checked_on_their_local_day(tmp_path: Path) -> None:
    """Mexico City, UTC-6 in January: a late-evening event belongs to the previous local day,
    and an early-morning UTC one to the day before that: the closed check uses local days."""
    evening = (1, dt.datetime(2016, 1, 11, 3, 30), 1800, None)  # local 10 Jan 21:30
    same_utc_day = (1, dt.datetime(2016, 1, 11, 18, 0), 900, None)  # local 11 Jan 12:00
    day_before = (1, dt.datetime(2016, 1, 10, 5, 0), 400, None)  # local 9 Jan 23:00
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _ingest(wh, _write(tmp_path / "a.csv", [evening], "csv"))
        run_retention(wh, days=730, now=NOW)
        assert set(_daily(wh)) == {(1, dt.date(2016, 1, 10), DailyViewing.segments)} | {
            (1, dt.date(2016, 1, 10), DailyViewing.seconds)
        }
        b = _write(tmp_path / "b.jsonl", [evening, same_utc_day, day_before], "jsonl")
        summary = _ingest(wh, b)
        assert (summary.stored, summary.duplicates) == (2, 1)
        assert _not_stored_again(1) in summary.message
        run_retention(wh, days=730, now=NOW)
        assert _daily(wh) == _oracle([evening, same_utc_day, day_before], NOW)


def test_an_older_warehouse_without_recorded_runs(tmp_path: Path) -> None:
    """Aggregates made before runs were recorded: the table is added on open, and summarised
    member-days are closed up to the end of the latest summarised day in the zone where days
    end last (UTC-12): all of that day in every zone; days without aggregates stay open."""
    path = tmp_path / "warehouse.duckdb"
    old = OLD[:3]  # the latest: member 2 (Tokyo) on 7 May 2016
    unsummarised = (3, dt.datetime(2016, 4, 1, 12, 0), 30, None)  # before the last summarised day
    with Warehouse.open(path) as wh:
        _members(wh)
        _ingest(wh, _write(tmp_path / "a.csv", [*old, *RECENT], "csv"))
        run_retention(wh, days=730, now=NOW)
        once = _daily(wh)
        wh.duck.execute(f"DROP TABLE {RetentionRuns.table}")  # as an older version left it
    with Warehouse.open(path) as wh:
        assert wh.count(RetentionRuns.table) == 0
        assert closed_bound(wh.duck) == dt.datetime(2016, 5, 8, 12, 0)
        again = _ingest(wh, _write(tmp_path / "b.csv", [*old, *RECENT, unsummarised], "csv"))
        assert (again.stored, again.duplicates) == (1, 4)
        assert _not_stored_again(len(old)) in again.message
        run_retention(wh, days=730, now=NOW)
        assert _daily(wh) == once + _oracle([unsummarised], NOW)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_zone_given_after_the_run_does_not_move_the_summarised_days(
    tmp_path: Path, fmt: str
) -> None:
    """A member summarised on UTC days (zone unknown then) whose zone a later file gives: that
    file's events are checked on the days the aggregates were made with, not doubled."""
    member = 4  # no zone in the warehouse until the second file
    event = (member, dt.datetime(2016, 1, 11, 3, 30), 1800, None)  # UTC 11 Jan, Mexico 10 Jan
    with Warehouse.open(":memory:") as wh:
        ingest_paths([_write(tmp_path / "a.csv", [event], "csv")], warehouse=wh)
        run_retention(wh, days=730, now=NOW)
        once = _daily(wh)
        assert {day for _, day, _ in once} == {dt.date(2016, 1, 11)}
        [again] = ingest_paths(
            [_write(tmp_path / f"b.{fmt}", [event], fmt, resaved=True)],
            warehouse=wh,
            options=ReadOptions(tz="America/Mexico_City"),
        )
        assert (again.stored, again.duplicates) == (0, 1)
        zone = wh.duck.execute(
            f"SELECT {Members.time_zone} FROM {Members.table} WHERE {Members.member_id} = ?",
            [member],
        ).fetchone()
        assert zone == ("America/Mexico_City",)  # the file's zone is kept for what follows
        run_retention(wh, days=730, now=NOW)
        assert _daily(wh) == once


def test_a_summarised_day_is_the_facts_local_day(tmp_path: Path) -> None:
    """A member known by country only (no zone): retention's day is their country's local day,
    the one the facts and the export show (a 03:00 UTC play in the US is the evening before)."""
    from bingewise.analytics import plays

    event = (5, dt.datetime(2016, 2, 11, 3, 0), 1200, None)
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        _load(wh, [event])
        p = plays(wh.table(Events.table), wh.table("catalog"), wh.table(Members.table))
        (shown,) = p.to_pyarrow().column("local_date").to_pylist()
        run_retention(wh, days=730, now=NOW)
        (day,) = {d for (_, d, _) in _daily(wh)}
    assert shown == day == dt.date(2016, 2, 10)


def test_retention_keeps_catalogue_rejects_and_counts_what_it_deletes(tmp_path: Path) -> None:
    """A catalogue's rejected rows are about titles, not members: a run whose window deletes
    nothing leaves them; a viewing file's unattributed rejects go with its last events, and
    the report counts them."""
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("title_id,title,kind\n1,A Film,film\nx,Bad Id,film\n")
    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,title_id,start_utc,seconds\n"
        "1,1,2015-03-01T20:00:00Z,600\n"
        ",1,2015-03-01T21:00:00Z,600\n"  # no member: a reject that names no one
    )
    with Warehouse.open(":memory:") as wh:
        _members(wh)
        ingest_paths([catalog, events], warehouse=wh)
        assert wh.count("quarantine") == 2
        kept = run_retention(wh, days=100_000, now=NOW)
        assert (kept.events_deleted, kept.quarantine_deleted) == (0, 0)
        assert wh.count("quarantine") == 2
        gone = run_retention(wh, days=730, now=NOW)
        assert (gone.events_deleted, gone.quarantine_deleted) == (1, 1)
        (source,) = wh.duck.execute("SELECT source FROM quarantine").fetchone() or ("",)
        assert source == str(catalog)


def test_a_run_removes_the_copy_a_killed_spark_run_left() -> None:
    """A killed `facts --engine spark` left a Parquet copy of every event under the data folder:
    retention, which deletes old events, removes it too (not in a dry run; not a run's own)."""
    from bingewise.config import get_settings
    from bingewise.files import SPARK_SCRATCH, scratch_folder

    home = get_settings().ensure_home()
    left = home / f"{SPARK_SCRATCH}dead01" / "tables"
    left.mkdir(parents=True)
    (left / "events.parquet").write_bytes(b"PAR1")
    with Warehouse.open(":memory:") as wh:
        _load(wh, [(3, NOW - dt.timedelta(days=800), 100, None)])
        run_retention(wh, now=NOW, dry_run=True)
        assert left.exists()
        with scratch_folder(home, SPARK_SCRATCH) as live:
            run_retention(wh, now=NOW)
            assert live.exists()
    assert not left.parent.exists()
