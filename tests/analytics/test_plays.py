"""Plays: merging, supplemental exclusion, finished share, and local days across time zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.helpers import Seg, Title, load
from bingewise.analytics import plays, sessions
from bingewise.schema import Catalog, Events, Members, Plays
from bingewise.warehouse import Warehouse

T0 = dt.datetime(2021, 1, 2, 3, 0)


def _plays(wh: Warehouse, **kw: object) -> list[dict[str, object]]:
    expr = plays(
        wh.table(Events.table),
        wh.table(Catalog.table),
        wh.table(Members.table),
        **kw,  # type: ignore[arg-type]
    )
    assert expr.schema().to_pyarrow() == Plays.arrow
    return sorted(expr.to_pyarrow().to_pylist(), key=lambda r: (r["member_id"], r["start_utc"]))


def test_segments_merge_within_resume_gap_and_supplemental_is_excluded(
    warehouse: Warehouse,
) -> None:
    m = dt.timedelta(minutes=1)
    load(
        warehouse,
        [
            Seg(1, 10, T0, 1200, bookmark=1200),
            Seg(1, 10, T0 + 30 * m, 1500, bookmark=2700),  # resumed 10 min later: same play
            Seg(1, 99, T0 + 60 * m, 30, supplemental="TRAILER"),  # excluded, does not split
            Seg(1, 10, T0 + 70 * m, 60, bookmark=2760),  # 15 min after: still the same play
            Seg(1, 10, T0 + 300 * m, 100, bookmark=100),  # 3h later: a new play, from the start
            Seg(1, 11, T0 + 302 * m, 100),  # other title
            Seg(1, 10, T0 + 304 * m, 100),  # back to title 10: a new play
        ],
        [Title(10, runtime=3200), Title(11, runtime=None)],
    )
    rows = _plays(warehouse)
    assert [(r["title_id"], r["segments"], r["seconds"]) for r in rows] == [
        (10, 3, 2760),
        (10, 1, 100),
        (11, 1, 100),
        (10, 1, 100),
    ]
    first = rows[0]
    assert first["end_utc"] == T0 + 71 * m
    assert first["progress_seconds"] == 2760
    assert first["finished"] is True  # 2760 ≥ 0.85 × 3200 = 2720
    assert rows[1]["finished"] is False
    assert rows[2]["finished"] is None  # runtime unknown
    assert all(r["title_id"] != 99 for r in rows)
    # A stricter share flips the first play; a shorter resume gap splits it.
    assert _plays(warehouse, finished_share=0.9)[0]["finished"] is False
    assert [r["segments"] for r in _plays(warehouse, resume_gap_minutes=12)][:3] == [2, 1, 1]


def test_late_evening_in_mexico_city_is_previous_utc_day(warehouse: Warehouse) -> None:
    # 03:00 UTC on 2 January is 21:00 on 1 January in Mexico City (UTC−6, no DST since 2022).
    load(
        warehouse,
        [Seg(1, 10, T0, 600), Seg(2, 10, T0, 600)],
        [Title(10)],
        [(1, "MX", "America/Mexico_City"), (2, "MX", None)],
    )
    rows = _plays(warehouse)
    for r in rows:
        assert r["local_start"] == dt.datetime(2021, 1, 1, 21, 0)
        assert r["local_date"] == dt.date(2021, 1, 1)
        assert r["time_zone"] == "America/Mexico_City"


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # America/New_York spring forward, 14 March 2021 07:00 UTC (02:00 EST → 03:00 EDT)
        (dt.datetime(2021, 3, 14, 6, 59, 59), dt.datetime(2021, 3, 14, 1, 59, 59)),
        (dt.datetime(2021, 3, 14, 7, 0, 0), dt.datetime(2021, 3, 14, 3, 0, 0)),
        # fall back, 7 November 2021 06:00 UTC (02:00 EDT → 01:00 EST)
        (dt.datetime(2021, 11, 7, 5, 30), dt.datetime(2021, 11, 7, 1, 30)),
        (dt.datetime(2021, 11, 7, 6, 30), dt.datetime(2021, 11, 7, 1, 30)),
        # 03:30 UTC on 7 November is 23:30 EDT on the 6th
        (dt.datetime(2021, 11, 7, 3, 30), dt.datetime(2021, 11, 6, 23, 30)),
    ],
)
def test_new_york_dst_changes(warehouse: Warehouse, utc: dt.datetime, local: dt.datetime) -> None:
    load(warehouse, [Seg(1, 10, utc, 60)], [Title(10)], [(1, "US", "America/New_York")])
    (row,) = _plays(warehouse)
    assert row["local_start"] == local
    assert row["local_date"] == local.date()


def test_zone_precedence_and_bad_zone(
    warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    load(
        warehouse,
        [Seg(i, 10, T0, 60) for i in range(1, 6)],
        [Title(10)],
        [
            (1, "MX", "Asia/Tokyo"),  # own zone wins over country
            (2, "DE", None),  # country's zone
            (3, None, None),  # default
            (4, "MX", "Mars/Olympus_Mons"),  # unknown zone: country, with a warning
            # member 5 is not in the members table: default
        ],
    )
    rows = _plays(warehouse, default_tz="Asia/Kolkata")
    assert [r["time_zone"] for r in rows] == [
        "Asia/Tokyo",
        "Europe/Berlin",
        "Asia/Kolkata",
        "America/Mexico_City",
        "Asia/Kolkata",
    ]
    assert "Mars/Olympus_Mons" in caplog.text
    forced = _plays(warehouse, override_tz="America/Chicago")
    assert {r["time_zone"] for r in forced} == {"America/Chicago"}
    with pytest.raises(ValueError, match="Nowhere/Land"):
        _plays(warehouse, default_tz="Nowhere/Land")


ZONES = [
    "America/New_York",
    "America/Chicago",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Auckland",
]


@settings(max_examples=20)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ZONES),
            st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2024, 12, 31)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_local_start_matches_zoneinfo(
    tmp_path_factory: pytest.TempPathFactory, cases: list[tuple[str, dt.datetime]]
) -> None:
    with Warehouse.open(":memory:") as wh:
        segs = [Seg(i, 10, t.replace(microsecond=0), 60) for i, (_, t) in enumerate(cases)]
        load(wh, segs, [Title(10)], [(i, None, z) for i, (z, _) in enumerate(cases)])
        rows = _plays(wh)
    for r in rows:
        z, t = cases[r["member_id"]]
        expect = (
            t.replace(microsecond=0, tzinfo=dt.UTC).astimezone(ZoneInfo(z)).replace(tzinfo=None)
        )
        assert r["local_start"] == expect


def test_a_session_starts_at_its_first_plays_local_time(warehouse: Warehouse) -> None:
    """On the night New York's clocks go back, a play at 01:10 EST follows one at 01:30 EDT in
    the same session: the session starts at 01:30 local (its first play), not at the earliest
    local time; a session of titles missing from the catalog holds 0 episodes, not NULL."""
    first = dt.datetime(2024, 11, 3, 5, 30)  # 01:30 EDT
    second = dt.datetime(2024, 11, 3, 6, 10)  # 01:10 EST, 40 minutes later
    load(
        warehouse,
        [Seg(1, 10, first, 1800), Seg(1, 11, second, 600), Seg(2, 777, T0, 600)],
        [Title(10), Title(11)],  # 777 is missing from the catalog
        [(1, "US", "America/New_York"), (2, "US", None)],
    )
    p = plays(
        warehouse.table(Events.table),
        warehouse.table(Catalog.table),
        warehouse.table(Members.table),
    )
    rows = {r["member_id"]: r for r in sessions(p).to_pyarrow().to_pylist()}
    assert rows[1]["plays"] == 2 and rows[1]["start_utc"] == first
    assert rows[1]["local_start"] == dt.datetime(2024, 11, 3, 1, 30)
    assert rows[2]["episodes"] == 0
