"""Retention: old raw events go, daily aggregates stay, sums are preserved (brute-force oracle)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.privacy.retention import run_retention
from bingewise.schema import DailyViewing, Events, Members
from bingewise.warehouse import Warehouse

ZONES = {1: "America/Mexico_City", 2: "Asia/Tokyo", 3: None}  # 3: unknown zone -> UTC days
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


def _oracle(events, cutoff):  # type: ignore[no-untyped-def]
    """Per (member, local day): segments, seconds, supplemental seconds of events before cutoff."""
    agg: Counter[tuple[int, dt.date, str]] = Counter()
    for m, t, s, supp in events:
        if t >= cutoff:
            continue
        zone = ZONES[m]
        local = t.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)) if zone else t
        day = local.date()
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
    rows = [{Members.member_id: m, Members.time_zone: z} for m, z in ZONES.items() if z]
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
