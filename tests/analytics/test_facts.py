"""Binge facts against oracles: a planted member built by hand, and a brute-force reference."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import ibis
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics.helpers import Seg, Title, load
from analytics.reference import (
    ref_binges,
    ref_daily,
    ref_daily_audience,
    ref_finished_seasons,
    ref_member_facts,
    ref_plays,
    ref_sessionize,
    ref_streaks,
    ref_top_shows,
)
from bingewise.analytics import (
    FactSet,
    Period,
    binge_races,
    binges,
    country_facts,
    extreme_streaks,
    finished_seasons,
    member_facts,
    plays,
    season_binges,
    sessions,
    streaks,
)
from bingewise.schema import Catalog, Events, Members
from bingewise.warehouse import Warehouse

CHI = ZoneInfo("America/Chicago")
EP = Catalog.EPISODE

# Series 100 (season 1: episodes 101–103, released 4 January 2021), series 200 (season 1:
# episodes 201–202), a film 300. Runtimes in seconds.
TITLES = [
    Title(101, EP, 100, 1, 1, 1800, dt.date(2021, 1, 4)),
    Title(102, EP, 100, 1, 2, 1800, dt.date(2021, 1, 4)),
    Title(103, EP, 100, 1, 3, 1800, dt.date(2021, 1, 4)),
    Title(201, EP, 200, 1, 1, 1800, dt.date(2020, 6, 1)),
    Title(202, EP, 200, 1, 2, 1800, dt.date(2020, 6, 1)),
    Title(300, Catalog.FILM, runtime=6000),
]


def chicago(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """UTC instant of a local time in Chicago in January 2021 (UTC−6)."""
    local = dt.datetime(2021, 1, day, hour, minute, tzinfo=CHI)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def planted() -> list[Seg]:
    """Member 1 in Chicago; local days in January 2021 (4 January is a Monday)."""
    m = 1
    return [
        # Monday 4th, noon: all of series 100 season 1 back to back (a 3-episode binge, a
        # season binge and a binge race: finished 19.6 h after release at 00:00 UTC).
        Seg(m, 101, chicago(4, 12, 0), 1800),
        Seg(m, 999, chicago(4, 12, 30), 20, supplemental="HOOK"),
        Seg(m, 102, chicago(4, 12, 31), 1800),
        Seg(m, 103, chicago(4, 13, 2), 1800),
        # Tuesday 5th: the film.
        Seg(m, 300, chicago(5, 19, 0), 6000),
        # Wednesday 6th: series 200, with exactly 30 minutes between: two sessions, no binge,
        # but the season is finished within a day.
        Seg(m, 201, chicago(6, 22, 0), 1800),
        Seg(m, 202, chicago(6, 23, 0), 1800),
        # Thursday 7th, 23:50 local = Friday 05:50 UTC: still the 7th locally. Unfinished.
        Seg(m, 201, chicago(7, 23, 50), 1200),
        # No viewing on the 8th, then one episode of series 100 a day from the 9th to the 13th.
        *[Seg(m, 101 + (d - 9) % 3, chicago(d, 20, 0), 1800) for d in range(9, 14)],
        # Member 2 (also US) only on the 4th; member 3 (MX) never watches.
        Seg(2, 300, chicago(4, 20, 0), 6000),
    ]


MEMBERS = [(1, "US", "America/Chicago"), (2, "US", "America/Chicago"), (3, "MX", None)]


def _plays(wh: Warehouse):  # type: ignore[no-untyped-def]
    return plays(wh.table(Events.table), wh.table(Catalog.table), wh.table(Members.table))


def test_planted_member(warehouse: Warehouse) -> None:
    load(warehouse, planted(), TITLES, MEMBERS)
    p = _plays(warehouse)
    facts = {r["member_id"]: r for r in member_facts(p).to_pyarrow().to_pylist()}[1]
    assert facts["plays"] == 12
    assert facts["episodes"] == 11
    assert facts["films"] == 1
    assert facts["hours"] == pytest.approx(25200 / 3600)
    assert facts["active_days"] == 9
    assert facts["completion_rate"] == pytest.approx(11 / 12)
    # Busiest week: 4th–10th holds 3 + 0 + 2 + 1 + 0 + 1 + 1 = 8 episodes.
    assert facts["busiest_week_start"] == dt.date(2021, 1, 4)
    assert facts["busiest_week_episodes"] == 8
    assert facts["longest_binge_episodes"] == 3
    assert facts["longest_binge_series_id"] == 100
    assert facts["longest_binge_date"] == dt.date(2021, 1, 4)
    # Streaks: 4th–7th (4 days) and 9th–13th (5 days).
    assert facts["longest_streak_days"] == 5
    assert facts["longest_streak_start"] == dt.date(2021, 1, 9)

    mine = p.filter(p.member_id == 1)
    assert sorted(
        (r["start_date"], r["days"]) for r in streaks(mine, "any").to_pyarrow().to_pylist()
    ) == [(dt.date(2021, 1, 4), 4), (dt.date(2021, 1, 9), 5)]
    by_title = {
        (r["show_id"], r["start_date"]): r["days"]
        for r in streaks(mine, "title").to_pyarrow().to_pylist()
    }
    assert by_title[(100, dt.date(2021, 1, 9))] == 5
    assert by_title[(200, dt.date(2021, 1, 6))] == 2  # 6th and 7th (local)
    assert by_title[(300, dt.date(2021, 1, 5))] == 1

    (binge,) = binges(mine).to_pyarrow().to_pylist()
    assert (binge["series_id"], binge["episodes"]) == (100, 3)
    sess = sessions(mine).to_pyarrow().to_pylist()
    assert len(sess) == 10  # 4th: 1, 5th: 1, 6th: 2 (a 30-minute gap splits), 7th: 1, 9th–13th: 5
    assert sum(s["plays"] for s in sess) == 12

    seasons = {
        (r["series_id"], r["season"]): r
        for r in finished_seasons(mine, warehouse.table(Catalog.table)).to_pyarrow().to_pylist()
    }
    assert seasons[(100, 1)]["finished_utc"] == chicago(4, 13, 32)
    assert seasons[(100, 1)]["days"] == pytest.approx(92 / 1440)
    assert seasons[(100, 1)]["hours_after_release"] == pytest.approx(19 + 32 / 60)
    assert seasons[(200, 1)]["days"] == pytest.approx(1.5 / 24)
    cat = warehouse.table(Catalog.table)
    assert {(r["series_id"]) for r in season_binges(mine, cat).to_pyarrow().to_pylist()} == {
        100,
        200,
    }
    assert [r["series_id"] for r in binge_races(mine, cat).to_pyarrow().to_pylist()] == [100]


def test_country_facts_every_day(warehouse: Warehouse) -> None:
    load(warehouse, planted(), TITLES, MEMBERS)
    period = Period.parse("2021-01-04:2021-01-07")
    rows = {
        r["country"]: r
        for r in country_facts(_plays(warehouse), warehouse.table(Members.table), period)
        .to_pyarrow()
        .to_pylist()
    }
    assert (rows["US"]["members"], rows["US"]["members_every_day"]) == (2, 1)
    assert rows["US"]["members_watching"] == 2
    assert rows["US"]["share_every_day"] == pytest.approx(0.5)
    # Member 1: 5400 + 6000 + 3600 + 1200 s; member 2: 6000 s; over 2 members × 4 days.
    assert rows["US"]["hours_per_member_day"] == pytest.approx(22200 / 3600 / 2 / 4)
    assert (rows["MX"]["members"], rows["MX"]["members_every_day"]) == (1, 0)
    assert rows["MX"]["members_watching"] == 0  # on the roster, never watched
    assert rows["MX"]["hours_per_member_day"] == 0


def test_default_period_leaves_out_slivers_at_its_edges(warehouse: Warehouse) -> None:
    """120 London members watch at noon UTC on 1–3 January; 5 Tokyo members at 20:00 UTC on
    3 January, which is their 4 January: a sliver (5 plays against a median day of 120). Counted,
    nobody would have watched every day of 1–4 January."""
    utc = dt.UTC
    london = range(1, 121)
    segs = [
        Seg(m, 300, dt.datetime(2021, 1, d, 12, tzinfo=utc), 600) for m in london for d in (1, 2, 3)
    ]
    segs += [Seg(m, 300, dt.datetime(2021, 1, 3, 20, tzinfo=utc), 600) for m in range(121, 126)]
    members = [(m, "GB", "Europe/London") for m in london]
    members += [(m, "JP", "Asia/Tokyo") for m in range(121, 126)]
    load(warehouse, segs, TITLES, members)
    fs = FactSet.compute(warehouse)
    assert fs.period == Period(dt.date(2021, 1, 1), dt.date(2021, 1, 3))
    countries = {r["country"]: r for r in fs["country_facts"].to_pyarrow().to_pylist()}
    assert (countries["GB"]["members_every_day"], countries["GB"]["days"]) == (120, 3)
    jp = countries["JP"]  # on the roster, but all their viewing is in the sliver
    assert (jp["members"], jp["members_every_day"], jp["hours_per_member_day"]) == (5, 0, 0)
    assert (jp["members_watching"], countries["GB"]["members_watching"]) == (0, 120)
    assert fs["plays"].count().execute() == 360  # the sliver's plays are outside the period
    assert len(fs.held) == 1
    fs.release()
    assert not fs.held and not fs.tables
    # With a tenth of the median (12 plays), the last day is a day of the period.
    more = [Seg(m, 300, dt.datetime(2021, 1, 3, 20, tzinfo=utc), 600) for m in range(121, 133)]
    members += [(m, "JP", "Asia/Tokyo") for m in range(126, 133)]
    load(warehouse, [*segs, *more[5:]], TITLES, members)
    fs = FactSet.compute(warehouse)
    assert fs.period == Period(dt.date(2021, 1, 1), dt.date(2021, 1, 4)) and not fs.held
    fs.drop(warehouse)


def test_default_period_of_one_history_keeps_every_day(warehouse: Warehouse) -> None:
    """A person's few plays a day are not a platform: a lone play on an edge day still counts."""
    load(warehouse, planted(), TITLES, MEMBERS)
    fs = FactSet.compute(warehouse)
    assert fs.period == Period(dt.date(2021, 1, 4), dt.date(2021, 1, 13))
    assert fs["plays"].count().execute() == 13 and not fs.held
    fs.drop(warehouse)


def test_factset_on_planted_platform(warehouse: Warehouse) -> None:
    load(warehouse, planted(), TITLES, MEMBERS)
    fs = FactSet.compute(warehouse, "2021-01")
    assert fs.period == Period(dt.date(2021, 1, 1), dt.date(2021, 1, 31))
    mf = {r["member_id"]: r for r in fs["member_facts"].to_pyarrow().to_pylist()}
    assert mf[1]["longest_streak_days"] == 5 and mf[2]["plays"] == 1
    assert fs.platform is not None
    racers = fs.platform.binge_racers.to_pylist()
    assert [(r["series_id"], r["season"], r["racers"]) for r in racers] == [(100, 1, 1)]
    day4 = [
        r for r in fs.platform.top_daily.to_pylist() if r["period_start"] == dt.date(2021, 1, 4)
    ]
    assert [(r["show_id"], r["members"], r["rank"]) for r in day4] == [(300, 1, 1), (100, 1, 2)]
    # Each member's longest streak once: member 1's 4-day streak (4th–7th) is not a second fact.
    assert [
        (r["member_id"], r["days"], r["start_date"])
        for r in fs.platform.extreme_streaks.to_pylist()
    ] == [(1, 5, dt.date(2021, 1, 9)), (2, 1, dt.date(2021, 1, 4))]
    heat = fs["member_heatmap"].to_pyarrow().to_pylist()
    monday_noon = [h for h in heat if h["member_id"] == 1 and (h["weekday"], h["hour"]) == (0, 12)]
    assert monday_noon[0]["seconds"] == 3600  # 12:00 and 12:31; 13:02 is in the next hour
    top = [t for t in fs["member_top"].to_pyarrow().to_pylist() if t["member_id"] == 1]
    assert [
        (t["kind"], t["show_id"], t["rank"])
        for t in sorted(top, key=lambda t: (t["kind"], t["rank"]))
    ] == [
        ("episode", 100, 1),
        ("episode", 200, 2),
        ("film", 300, 1),
    ]
    # A period with nothing in it.
    empty = FactSet.compute(warehouse, "2019")
    assert empty["member_facts"].count().execute() == 0
    fs.drop(warehouse)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2017", dt.date(2017, 1, 1), dt.date(2017, 12, 31)),
        ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
        ("2017-12", dt.date(2017, 12, 1), dt.date(2017, 12, 31)),
        ("9999-12", dt.date(9999, 12, 1), dt.date(9999, 12, 31)),  # no year 10000 needed
        ("2017-01-01:2017-06-30", dt.date(2017, 1, 1), dt.date(2017, 6, 30)),
    ],
)
def test_period_parse(text: str, start: dt.date, end: dt.date) -> None:
    assert Period.parse(text) == Period(start, end)


@pytest.mark.parametrize("bad", ["17", "2017-13", "2017-06-30:2017-01-01", "last year"])
def test_period_parse_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="period"):
        Period.parse(bad)


# ---------------------------------------------------------------- brute-force comparison

R_TITLES = [
    Title(11, EP, 1, 1, 1, 1500, dt.date(2021, 3, 1)),
    Title(12, EP, 1, 1, 2, 1500, dt.date(2021, 3, 1)),
    Title(13, EP, 1, 1, 3, 1500, dt.date(2021, 3, 1)),
    Title(21, EP, 2, 1, 1, None, None),
    Title(22, EP, 2, 1, 2, None, None),
    Title(31, Catalog.FILM, runtime=5000),
    Title(32, Catalog.FILM, runtime=None),
]
R_ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
BASE = dt.datetime(2021, 3, 1, 0, 0)

steps = st.lists(
    st.tuples(
        st.integers(1, 3),  # member
        st.sampled_from([11, 12, 13, 21, 22, 31, 32, 40]),  # 40 is not in the catalog
        st.one_of(st.integers(0, 120), st.integers(0, 4 * 1440)),  # minutes after previous
        st.integers(30, 3000),  # seconds
        st.one_of(st.none(), st.integers(0, 5000)),  # bookmark
        st.sampled_from([None, None, None, None, "TRAILER"]),
    ),
    min_size=1,
    max_size=30,
)


Raw = list[tuple[int, int, int, int, int | None, str | None]]


def _history(raw: Raw, zones: list[str]) -> tuple[list[Seg], dict[int, str]]:
    """Segments from (member, title, minutes after the member's previous start, ...) steps."""
    last: dict[int, dt.datetime] = {}
    segs = []
    for member, title, minutes, seconds, bookmark, supp in raw:
        start = last.get(member, BASE) + dt.timedelta(minutes=minutes)
        last[member] = start
        segs.append(Seg(member, title, start, seconds, bookmark, supp))
    return segs, {m: zones[m - 1] for m in (1, 2, 3)}


def _check_member_facts(got: list[dict[str, object]], rmf: dict[int, dict[str, object]]) -> None:
    assert {m["member_id"] for m in got} == set(rmf)
    for m in got:
        expect = rmf[m["member_id"]]  # type: ignore[index]
        for key, value in expect.items():
            if isinstance(value, float):
                assert m[key] == pytest.approx(value), key
            else:
                assert m[key] == value, key


@settings(max_examples=25)
@given(steps, st.lists(st.sampled_from(R_ZONES), min_size=3, max_size=3))
def test_matches_bruteforce_reference(raw: Raw, zones: list[str]) -> None:
    segs, zone_of = _history(raw, zones)
    with Warehouse.open(":memory:") as wh:
        load(wh, segs, R_TITLES, [(m, None, z) for m, z in zone_of.items()])
        got = _plays(wh).to_pyarrow()
        got_plays = got.to_pylist()
        p = ibis.memtable(got)
        got_b = binges(p).to_pyarrow().to_pylist()
        got_s = {by: streaks(p, by).to_pyarrow().to_pylist() for by in ("any", "title")}
        got_fs = finished_seasons(p, wh.table(Catalog.table)).to_pyarrow().to_pylist()
        got_mf = member_facts(p).to_pyarrow().to_pylist()

    ref = ref_plays(segs, R_TITLES, zone_of)
    assert sorted(
        (
            r["member_id"],
            r["title_id"],
            r["start_utc"],
            r["end_utc"],
            r["seconds"],
            r["segments"],
            r["progress_seconds"],
            r["finished"],
            r["local_date"],
        )
        for r in got_plays
    ) == sorted(
        (
            q.member,
            q.title,
            q.start,
            q.end,
            q.seconds,
            q.segments,
            q.progress,
            q.finished,
            q.local_date,
        )
        for q in ref
    )
    ref_sessionize(ref)
    rb = ref_binges(ref)
    assert sorted(
        (b["member_id"], b["series_id"], b["episodes"], b["start_utc"]) for b in got_b
    ) == sorted((k[0], k[2], v[0], v[2]) for k, v in rb.items())
    for by in ("any", "title"):
        assert sorted(
            (s["member_id"], s["show_id"], s["start_date"], s["days"]) for s in got_s[by]
        ) == sorted(
            ref_streaks(ref, by_show=by == "title"), key=lambda s: (s[0], s[1] or 0, s[2], s[3])
        )
    rfs = ref_finished_seasons(ref, R_TITLES)
    assert {
        (f["member_id"], f["series_id"], f["season"]): (f["started_utc"], f["finished_utc"])
        for f in got_fs
    } == rfs
    _check_member_facts(got_mf, ref_member_facts(ref))


@settings(max_examples=20)
@given(steps, st.lists(st.sampled_from(R_ZONES), min_size=3, max_size=3))
@example([(1, 11, 0, 30, None, "TRAILER")], ["UTC", "UTC", "UTC"])  # no plays at all
def test_factset_matches_bruteforce_reference(raw: Raw, zones: list[str]) -> None:
    """``FactSet.compute`` takes its own paths (sessions in the plays pass, roll-ups from the
    member-show-day table, per-member bests by semi-join): every table against the reference."""
    segs, zone_of = _history(raw, zones)
    with Warehouse.open(":memory:") as wh:
        load(wh, segs, R_TITLES, [(m, None, z) for m, z in zone_of.items()])
        fs = FactSet.compute(wh)
        got = {name: t.to_pyarrow().to_pylist() for name, t in fs.tables.items()}
        assert fs.platform is not None
        top_daily = fs.platform.top_daily.to_pylist()
        fs.drop(wh)

    ref = ref_plays(segs, R_TITLES, zone_of)
    ref_sessionize(ref)
    # The default period: a few plays a day are not a platform, so no edge day is a sliver
    # (no plays at all, a history of trailers say: today).
    days = [q.local_date for q in ref] or [dt.date.today()]
    assert fs.period == Period(min(days), max(days))
    assert sorted(
        (r["member_id"], r["start_utc"], r["title_id"], r["end_utc"], r["session_no"])
        for r in got["plays"]
    ) == sorted((q.member, q.start, q.title, q.end, q.session) for q in ref)
    sessions_of: dict[tuple[int, int], int] = {}
    for q in ref:
        sessions_of[(q.member, q.session)] = sessions_of.get((q.member, q.session), 0) + 1
    assert {(s["member_id"], s["session_no"]): s["plays"] for s in got["sessions"]} == sessions_of
    assert sorted(
        (b["member_id"], b["session_no"], b["series_id"], b["episodes"]) for b in got["binges"]
    ) == sorted((k[0], k[1], k[2], v[0]) for k, v in ref_binges(ref).items())
    assert {
        (f["member_id"], f["series_id"], f["season"]): (f["started_utc"], f["finished_utc"])
        for f in got["finished_seasons"]
    } == ref_finished_seasons(ref, R_TITLES)
    for name, by_show in (("streaks_any", False), ("streaks_title", True)):
        assert sorted(
            (s["member_id"], s["show_id"] or 0, s["start_date"], s["days"]) for s in got[name]
        ) == sorted((s[0], s[1] or 0, s[2], s[3]) for s in ref_streaks(ref, by_show=by_show))
    assert {
        (d["member_id"], d["local_date"]): (d["plays"], d["episodes"], d["seconds"])
        for d in got["member_daily"]
    } == ref_daily(ref)
    assert {
        (t["member_id"], t["kind"]): t["show_id"] for t in got["member_top"] if t["rank"] == 1
    } == ref_top_shows(ref)
    # Three members and a handful of shows: every (day, show) makes its day's top 10.
    assert {
        (t["period_start"], t["kind"], t["show_id"]): t["members"] for t in top_daily
    } == ref_daily_audience(ref)
    _check_member_facts(got["member_facts"], ref_member_facts(ref))


def test_extreme_streaks_list_each_member_once() -> None:
    """A member's equal streaks: the earliest; the list: longest first, then earliest start."""
    d = dt.date
    rows = [
        (7, d(2021, 1, 10), d(2021, 1, 12), 3),
        (7, d(2021, 1, 1), d(2021, 1, 3), 3),
        (7, d(2021, 1, 20), d(2021, 1, 20), 1),
        (8, d(2021, 1, 5), d(2021, 1, 7), 3),
        (9, d(2021, 1, 1), d(2021, 1, 2), 2),
        (9, d(2021, 1, 8), d(2021, 1, 9), 2),
    ]
    s = ibis.memtable(
        {
            "member_id": [r[0] for r in rows],
            "show_id": [None] * len(rows),
            "start_date": [r[1] for r in rows],
            "end_date": [r[2] for r in rows],
            "days": [r[3] for r in rows],
        },
        schema={
            "member_id": "int64",
            "show_id": "int64",
            "start_date": "date",
            "end_date": "date",
            "days": "int64",
        },
    )
    got = [(r["member_id"], r["start_date"]) for r in extreme_streaks(s).to_pyarrow().to_pylist()]
    assert got == [(7, d(2021, 1, 1)), (8, d(2021, 1, 5)), (9, d(2021, 1, 1))]
    top2 = extreme_streaks(s, n=2).to_pyarrow().to_pylist()
    assert [r["member_id"] for r in top2] == [7, 8]


def test_seasons_of_a_period_keep_their_true_start(warehouse: Warehouse) -> None:
    """A season is the period's when its last episode is finished in it, and its start is the
    first play of the season, however long before. Member 1 samples episode 1 of series 500 on
    20 May and watches the season through on 1-2 June: finished in June after 13 days, no season
    binge. Member 2 watches episodes 1-2 on 30 May and 3 on 1 June: a season binge of June's
    (its first episodes were before June, it is still finished in June within 2 days)."""
    utc = dt.UTC
    eps = [Title(500 + e, Catalog.EPISODE, 500, 1, e, runtime=1800) for e in (1, 2, 3)]
    segs = [Seg(1, 501, dt.datetime(2024, 5, 20, 20, tzinfo=utc), 300)]
    segs += [Seg(1, 500 + e, dt.datetime(2024, 6, 1, 18 + e, tzinfo=utc), 1800) for e in (1, 2)]
    segs += [Seg(1, 503, dt.datetime(2024, 6, 2, 20, tzinfo=utc), 1800)]
    segs += [Seg(2, 500 + e, dt.datetime(2024, 5, 30, 18 + e, tzinfo=utc), 1800) for e in (1, 2)]
    segs += [Seg(2, 503, dt.datetime(2024, 6, 1, 20, tzinfo=utc), 1800)]
    load(warehouse, segs, eps, [(1, "GB", "UTC"), (2, "GB", "UTC")])
    june = FactSet.compute(warehouse, "2024-06")
    found = {r["member_id"]: r for r in june["finished_seasons"].to_pyarrow().to_pylist()}
    assert set(found) == {1, 2}
    assert found[1]["days"] == pytest.approx(13 + 0.5 / 24)  # 20 May 20:00 to 2 June 20:30
    assert found[2]["days"] < 3
    assert [r["member_id"] for r in june["season_binges"].to_pyarrow().to_pylist()] == [2]
    assert june["plays"].filter(june["plays"].member_id == 1).count().execute() == 3
    june.release()
    may = FactSet.compute(warehouse, "2024-05")
    assert may["finished_seasons"].count().execute() == 0  # nothing finished in May
    may.release()
    whole = FactSet.compute(warehouse, "2024")
    assert whole["season_binges"].member_id.to_pyarrow().to_pylist() == [2]
    whole.release()


def test_a_binge_across_a_period_boundary_belongs_to_the_period_it_starts_in(
    warehouse: Warehouse,
) -> None:
    """A session and a binge belong, whole, to the period of the local day they start on (as a
    play does): counted once over two periods, never split into two smaller ones. Member 1 (UTC)
    watches six episodes of series 500 from 22:00 on 31 December 2017 to 01:25 on 1 January:
    one 6-episode binge of 2017. Member 2 watches a film from 23:00, then episodes 1-3 from
    00:45: a session of 2017 holding a binge that starts in 2018. Member 3 binges on 2 January
    only."""
    utc = dt.UTC
    eps = [Title(500 + e, Catalog.EPISODE, 500, 1, e, runtime=1800) for e in range(1, 7)]
    nye = dt.datetime(2017, 12, 31, 22, tzinfo=utc)
    segs = [Seg(1, 500 + e, nye + dt.timedelta(minutes=35 * (e - 1)), 1800) for e in range(1, 7)]
    segs += [Seg(2, 300, dt.datetime(2017, 12, 31, 23, tzinfo=utc), 6000)]
    after = dt.datetime(2018, 1, 1, 0, 45, tzinfo=utc)
    segs += [Seg(2, 500 + e, after + dt.timedelta(minutes=35 * (e - 1)), 1800) for e in (1, 2, 3)]
    jan2 = dt.datetime(2018, 1, 2, 20, tzinfo=utc)
    segs += [Seg(3, 500 + e, jan2 + dt.timedelta(minutes=35 * (e - 1)), 1800) for e in (1, 2)]
    load(warehouse, segs, [*eps, TITLES[-1]], [(m, "GB", "UTC") for m in (1, 2, 3)])

    def rows(period: str, table: str) -> list[tuple[object, ...]]:
        fs = FactSet.compute(warehouse, period)
        keys = ("member_id", "local_date", "start_utc", "end_utc", "episodes", "seconds")
        out = sorted(tuple(r[k] for k in keys) for r in fs[table].to_pyarrow().to_pylist())
        fs.release()
        return out

    for table in ("sessions", "binges"):
        both = rows("2017-01-01:2018-12-31", table)
        # years, months, and the two weeks Monday 25 December to Sunday 7 January
        for first, second in (
            ("2017", "2018"),
            ("2017-12", "2018-01"),
            ("2017-12-25:2017-12-31", "2018-01-01:2018-01-07"),
        ):
            split = rows(first, table) + rows(second, table)
            assert sorted(split) == both, (table, first, second)
    whole = {(r[0], r[1]): r[4] for r in rows("2017-01-01:2018-12-31", "binges")}
    assert whole == {
        (1, dt.date(2017, 12, 31)): 6,
        (2, dt.date(2018, 1, 1)): 3,
        (3, dt.date(2018, 1, 2)): 2,
    }
    fs = FactSet.compute(warehouse, "2017")
    mf = {r["member_id"]: r for r in fs["member_facts"].to_pyarrow().to_pylist()}
    assert (mf[1]["longest_binge_episodes"], mf[1]["longest_binge_date"]) == (6, nye.date())
    assert mf[1]["plays"] == 4  # plays stay on the local day they start on
    assert mf[2]["longest_binge_episodes"] is None  # member 2's binge starts in 2018
    fs.release()
    fs = FactSet.compute(warehouse, "2018")
    mf = {r["member_id"]: r for r in fs["member_facts"].to_pyarrow().to_pylist()}
    assert mf[1]["longest_binge_episodes"] is None and mf[1]["plays"] == 2
    assert mf[2]["longest_binge_episodes"] == 3
    fs.release()


def test_facts_json_orders_every_list_with_its_ties(home: object) -> None:
    """`facts --json --top N`: racers by racers, then fastest finish, then series; countries
    by members, then code. Tied rows come in that order, not the engine's, so the same data
    prints the same facts and the cut at N is always the same."""
    import json

    from typer.testing import CliRunner

    from bingewise.cli import app

    released = dt.date(2021, 3, 1)
    midnight = dt.datetime(2021, 3, 1, tzinfo=dt.UTC)
    # five series of two episodes; a race finishes both within 24 h of release
    titles = [
        Title(s * 10 + e, EP, s, 1, e, 1500, released) for s in (61, 62, 63, 64, 65) for e in (1, 2)
    ]
    hours = {(1, 65): 9, (2, 65): 8, (3, 63): 5, (4, 62): 5, (5, 64): 5, (6, 61): 7}
    segs = [
        Seg(m, s * 10 + e, midnight + dt.timedelta(hours=h - 1, minutes=30 * (e - 1)), 1500)
        for (m, s), h in hours.items()
        for e in (1, 2)
    ]
    countries = {1: "SE", 2: "NO", 3: "DK", 4: "FI", 5: "IS", 6: "EE"}
    with Warehouse.open() as wh:
        load(wh, segs, titles, [(m, c, "UTC") for m, c in countries.items()])
    for _ in range(3):
        args = ["-q", "facts", "--period", "2021-03", "--top", "3", "--json"]
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0, done.output
        facts = json.loads(done.output)
        assert [r["series_id"] for r in facts["binge_racers"]] == [65, 62, 63]
        assert [c["country"] for c in facts["countries"]] == sorted(countries.values())


def test_a_member_of_dates_only_has_unknown_hours_not_zero(warehouse: Warehouse) -> None:
    """A history of dates (Netflix's Title,Date list: every play 0 s at midnight) knows no hours:
    the member's hours are NULL, not 0, and a country's hours per member leave them out, as a
    member on the roster who did not watch (0 hours, known) is not."""
    day = dt.datetime(2021, 1, 4)
    segs = [
        Seg(1, 300, day + dt.timedelta(hours=20), 5400),  # watched 1.5 h
        Seg(2, 101, day, 0),  # dates only: two episodes on the 4th, the film on the 5th
        Seg(2, 102, day, 0),
        Seg(2, 300, day + dt.timedelta(days=1), 0),
    ]
    # 2's dates sit at midnight UTC, the zone the history was read in; 3 never watched
    members = [(1, "US", None), (2, "US", "UTC"), (3, "US", None)]
    load(warehouse, segs, TITLES, members)
    fs = FactSet.compute(warehouse, "2021-01-04:2021-01-05")
    mf = {r["member_id"]: r for r in fs.to_arrow("member_facts").to_pylist()}
    cf = fs.to_arrow("country_facts").to_pylist()
    fs.drop(warehouse)
    assert (mf[1]["hours"], mf[1]["hours_per_active_day"]) == (1.5, 1.5)
    assert (mf[2]["hours"], mf[2]["hours_per_active_day"]) == (None, None)
    assert (mf[2]["plays"], mf[2]["active_days"]) == (3, 2)  # what is known stays
    # 1.5 h over the members whose hours are known (1 and 3) and the period's 2 days.
    (us,) = cf
    assert (us["members"], us["members_watching"]) == (3, 2)
    assert us["hours_per_member_day"] == pytest.approx(1.5 / 2 / 2)


def test_a_history_of_dates_has_no_sessions_or_binges(warehouse: Warehouse) -> None:
    """Sittings need times and durations: the plays of a history of dates (0 s, all at midnight)
    are no sessions and no binges of the fact set, where they made one "session" a day and a
    "binge" of each day's episodes; their plays, days and streaks still count."""
    day = dt.datetime(2021, 1, 4)
    segs = [
        Seg(1, 101, day + dt.timedelta(hours=20), 1800),  # a binge of series 100
        Seg(1, 102, day + dt.timedelta(hours=20, minutes=31), 1800),
        Seg(2, 201, day, 0),  # dates only: both episodes of series 200 on the 4th
        Seg(2, 202, day, 0),
        Seg(2, 300, day + dt.timedelta(days=1), 0),
    ]
    load(warehouse, segs, TITLES, [(1, "US", "UTC"), (2, "US", "UTC")])
    fs = FactSet.compute(warehouse, "2021-01-04:2021-01-05")
    got = {n: fs.to_arrow(n).to_pylist() for n in ("sessions", "binges", "member_facts")}
    fs.drop(warehouse)
    assert [(s["member_id"], s["plays"]) for s in got["sessions"]] == [(1, 2)]
    assert [(b["member_id"], b["series_id"], b["episodes"]) for b in got["binges"]] == [(1, 100, 2)]
    mf = {r["member_id"]: r for r in got["member_facts"]}
    assert mf[1]["longest_binge_episodes"] == 2
    assert mf[2]["longest_binge_episodes"] is None
    assert (mf[2]["plays"], mf[2]["active_days"], mf[2]["longest_streak_days"]) == (3, 2, 2)
