"""Interactions from viewing, checked against a brute-force reading of the documented formula."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_rows_world import AS_OF, DAY, HOUR, World

from bingewise.recommend.interactions import (
    NOMINAL_RUNTIME_SECONDS,
    ConfidenceParams,
    build_interactions,
    confidence,
    default_as_of,
    estimated_runtimes,
    interactions_from_plays,
    item_table,
    maturity_level,
    member_title_plays,
)
from bingewise.recommend.rows import RowKind, RowOptions, home_rows
from bingewise.schema import Catalog, Events, Plays, Ratings, Recs
from bingewise.warehouse import Warehouse

FILMS = {1: 6000, 2: 6000, 3: 5400, 4: None, 5: 7200}  # title_id -> runtime (None: unknown)
B = 2**62  # series and episode ids as large as stable ids get: exact, never via a float
SERIES = {B + 100: [B + 101, B + 102, B + 103, B + 104], B + 200: [B + 201, B + 202]}
EPISODE_RUNTIME = 3000


def _catalog(w: World) -> None:
    for title_id, runtime in FILMS.items():
        w.film(title_id, f"Film {title_id}", runtime=runtime)
    for series_id, eps in SERIES.items():
        w.series(
            series_id,
            f"Series {series_id}",
            [(t, 1, k + 1) for k, t in enumerate(eps)],
            runtime=EPISODE_RUNTIME,
        )


def _runtime(title_id: int) -> float:
    if title_id in FILMS:
        return float(FILMS[title_id] or NOMINAL_RUNTIME_SECONDS)
    return float(EPISODE_RUNTIME)


def _item(title_id: int) -> int:
    for series_id, eps in SERIES.items():
        if title_id in eps:
            return series_id
    return title_id


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_confidence_matches_brute_force(warehouse: Warehouse, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = World()
    _catalog(w)
    titles = list(FILMS) + [t for eps in SERIES.values() for t in eps]
    share = 0.85
    params = ConfidenceParams(rewatch_weight=0.5, half_life_days=30.0, finished_share=share)
    # expected[(member, item)] -> (sum C_t, sum R_t, last start), built from the plays we write
    per_title: dict[tuple[int, int], list[tuple[float, bool, dt.datetime]]] = defaultdict(list)
    for member in range(1, 7):
        w.member(member, "MX")
        days = rng.choice(np.arange(1, 80), size=int(rng.integers(0, 9)), replace=False)
        for day in days:
            title = int(rng.choice(titles))
            start = AS_OF - int(day) * DAY + int(rng.integers(0, 12)) * HOUR
            runtime = _runtime(title)
            split = bool(rng.random() < 0.4)
            with_bookmark = bool(rng.random() < 0.5)
            first = int(rng.integers(60, 4000))
            second = int(rng.integers(60, 4000)) if split else 0
            bm1 = int(rng.integers(0, 7000)) if with_bookmark else None
            bm2 = int(rng.integers(0, 7000)) if with_bookmark and split else None
            w.watch(member, title, start, first, bookmark=bm1, null_bookmark=bm1 is None)
            if split:  # resumed five minutes after the first segment ended: the same play
                resume = start + dt.timedelta(seconds=first + 300)
                w.watch(member, title, resume, second, bookmark=bm2, null_bookmark=bm2 is None)
            marks = [b for b in (bm1, bm2) if b is not None]
            progress = max(marks) if marks else first + second
            per_title[(member, title)].append(
                (min(progress / runtime, 1.0), progress >= share * runtime, start)
            )
        # noise that must not count: a trailer, and a play after as_of
        w.watch(member, 1, AS_OF - 2 * HOUR, 120, supplemental="TRAILER")
        w.watch(member, 2, AS_OF + HOUR, 6000)
    w.write(warehouse)

    items: dict[tuple[int, int], list[float]] = {}
    last: dict[tuple[int, int], dt.datetime] = {}
    for (member, title), plays in per_title.items():
        key = (member, _item(title))
        c_t = max(p[0] for p in plays)
        r_t = max(0, sum(p[1] for p in plays) - 1)
        acc = items.setdefault(key, [0.0, 0.0])
        acc[0] += c_t
        acc[1] += r_t
        latest = max(p[2] for p in plays)
        last[key] = max(last.get(key, latest), latest)
    expected = {
        key: math.log2(1 + e + 0.5 * r)
        * 0.5 ** (((AS_OF - last[key]).total_seconds() / 86400) / 30.0)
        for key, (e, r) in items.items()
    }

    got = build_interactions(warehouse, as_of=AS_OF, params=params)
    inter = got.interactions
    assert list(inter.member_ids) == sorted({m for m, _ in expected})
    assert list(inter.title_ids) == sorted({i for _, i in expected})
    assert set(inter.title_ids) <= set(FILMS) | set(SERIES)  # episodes rolled up
    dense = inter.matrix.toarray()
    for r, member in enumerate(inter.member_ids):
        for c, item in enumerate(inter.title_ids):
            want = expected.get((int(member), int(item)), 0.0)
            assert dense[r, c] == pytest.approx(want, rel=1e-5, abs=1e-6)
    for c, item in enumerate(inter.title_ids):
        assert bool(got.is_series[c]) == (int(item) in SERIES)


def test_hand_computed_confidences(warehouse: Warehouse) -> None:
    """A finished film today weighs 1; rewatches and episodes add up; 90 days halves."""
    w = World()
    _catalog(w)
    w.member(1)
    w.watch(1, 1, AS_OF - HOUR, 6000)  # finished today: log2(2) = 1
    for k in range(3):  # finished three times: log2(1 + 1 + 0.5 * 2) = log2(3)
        w.watch(1, 2, AS_OF - (k + 1) * HOUR - 2 * HOUR * k, 6000)
    for k in (1, 2, 3):  # three episodes finished 90 days ago: log2(4) / 2 = 1
        w.watch(1, B + 100 + k, AS_OF - 90 * DAY - (4 - k) * 4 * HOUR, 3000)
    w.watch(1, 3, AS_OF - HOUR, 2700, bookmark=2700)  # half of a 5400 s film: log2(1.5)
    w.write(warehouse)
    got = build_interactions(warehouse, as_of=AS_OF, params=ConfidenceParams(finished_share=0.85))
    inter = got.interactions
    row = dict(zip(inter.title_ids.tolist(), inter.matrix.toarray()[0].tolist(), strict=True))
    age_series = (AS_OF - (AS_OF - 90 * DAY - 4 * HOUR)).total_seconds() / 86400
    hour_old = 0.5 ** (1 / 24 / 90)  # the decay of a play that started an hour ago
    assert row[1] == pytest.approx(1.0 * hour_old, rel=1e-6)
    assert row[2] == pytest.approx(math.log2(3) * hour_old, rel=1e-6)
    assert row[B + 100] == pytest.approx(2.0 * 0.5 ** (age_series / 90.0), rel=1e-6)
    assert row[3] == pytest.approx(math.log2(1.5) * hour_old, rel=1e-6)
    assert B + 101 not in row and B + 102 not in row


def test_fixed_rows_and_columns(warehouse: Warehouse) -> None:
    w = World()
    _catalog(w)
    w.watch(1, 1, AS_OF - HOUR, 6000)
    w.watch(1, B + 201, AS_OF - HOUR, 3000)
    w.write(warehouse)
    got = build_interactions(
        warehouse, as_of=AS_OF, member_ids=[9, 1], item_ids=np.array([B + 200, 5, 1])
    )
    inter = got.interactions
    assert list(inter.member_ids) == [9, 1]
    assert list(inter.title_ids) == [B + 200, 5, 1]
    dense = inter.matrix.toarray()
    assert dense[0].sum() == 0.0  # member 9 never watched
    assert dense[1, 0] == pytest.approx(0.5 ** (1 / 24 / 90), rel=1e-5)
    assert dense[1, 1] == 0.0
    assert dense[1, 2] == pytest.approx(0.5 ** (1 / 24 / 90), rel=1e-5)
    assert list(got.is_series) == [True, False, False]


def _tangled_viewing(w: World, rng: np.random.Generator) -> None:
    """Segments that test every edge of the merge rule, with event keys in shuffled order."""
    _catalog(w)
    w.film(6, "Film 6", runtime=0)  # a runtime of 0 counts as unknown
    titles = [*FILMS, 6, 99, B + 101, B + 102, B + 201]  # 99 is missing from the catalog
    gaps = [-600, 0, 3599, 3600, 3601, 7200]  # seconds from a segment's end to the next start
    for member in range(1, 9):
        if member != 8:  # member 8 is in no members table: default zone
            w.member(member, ["MX", "JP", "NZ", "US"][member % 4])
        start = AS_OF - int(rng.integers(5, 60)) * DAY
        for _ in range(int(rng.integers(0, 25))):
            title = int(rng.choice(titles[:3])) if rng.random() < 0.5 else int(rng.choice(titles))
            seconds = int(rng.choice([0, 30, 1800, 2700, 5200, 6000]))
            bookmark = int(rng.integers(0, 7000)) if rng.random() < 0.6 else None
            supplemental = str(rng.choice(["", "  ", "TRAILER"])) if rng.random() < 0.1 else None
            micros = dt.timedelta(microseconds=int(rng.choice([0, 400_000, 500_000, 600_000])))
            # Members 3 and 6 name a profile on every segment, 1, 4 and 7 on some: a 0-second
            # segment without one is a date of a history, taken whole; with one it is not.
            named = member % 3 == 0 or (member % 3 == 1 and rng.random() < 0.5)
            w.watch(member, title, start + micros, seconds, bookmark=bookmark,
                    null_bookmark=bookmark is None, supplemental=supplemental,
                    profile="Ana" if named else None)  # fmt: skip
            if rng.random() > 0.15:  # else the next segment starts at the same time
                start += dt.timedelta(seconds=seconds + int(rng.choice(gaps)))
        # Ties: segments starting at the same instant are ordered by title, then end.
        tie = AS_OF - int(rng.integers(1, 4)) * DAY
        w.watch(member, 2, tie, 3000, null_bookmark=True)
        for title, seconds in ((2, 3000), (1, 600), (2, 900)):  # film 1 comes between the 2s
            w.watch(member, title, tie + dt.timedelta(seconds=3300), seconds, null_bookmark=True)
        # A history of dates: midnight, no duration, no profile; a title twice on one date is
        # one play. Then a date merged with a named 0-second segment: not taken whole.
        midnight = dt.datetime.combine((AS_OF - int(rng.integers(6, 9)) * DAY).date(), dt.time())
        for title in (3, B + 102, 3, 5):
            w.watch(member, title, midnight, 0, null_bookmark=True)
        w.watch(member, 5, midnight + dt.timedelta(seconds=30), 0, profile="Ana")
        w.watch(member, 1, AS_OF + HOUR, 6000)  # after as_of: ignored
    keys = rng.permutation(len(w.events)) + 1  # the order of arrival does not matter
    for event, key in zip(w.events, keys, strict=True):
        event[Events.event_key] = int(key)


@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_matrix_matches_the_analytics_plays(warehouse: Warehouse, seed: int) -> None:
    """Training merges segments itself; the analytics' plays (zones and all) give the same."""
    w = World()
    _tangled_viewing(w, np.random.default_rng(seed))
    w.write(warehouse)
    params = ConfidenceParams(finished_share=0.85)
    for members in (None, [3, 1, 42, 8]):
        got = build_interactions(warehouse, as_of=AS_OF, member_ids=members, params=params)
        frame = member_title_plays(warehouse, members, as_of=AS_OF, finished_share=0.85)
        ref = interactions_from_plays(frame, as_of=AS_OF, member_ids=members, params=params)
        assert got.interactions.matrix.nnz > 0
        np.testing.assert_array_equal(got.interactions.member_ids, ref.interactions.member_ids)
        np.testing.assert_array_equal(got.item_ids, ref.item_ids)
        np.testing.assert_array_equal(got.is_series, ref.is_series)
        np.testing.assert_array_equal(
            got.interactions.matrix.toarray(), ref.interactions.matrix.toarray()
        )


def test_empty_warehouse_gives_empty_matrix(warehouse: Warehouse) -> None:
    got = build_interactions(warehouse, as_of=AS_OF)
    assert got.interactions.matrix.shape == (0, 0)


def test_item_table_rolls_episodes_up(warehouse: Warehouse) -> None:
    w = World()
    w.film(1, "Roma", genres="Drama", maturity="R")
    w.series(B + 50, "Dark", [(B + 51, 1, 1)], genres="Mystery|Drama", maturity="TV-14")
    w.series(B + 50, "Dark", [(B + 52, 1, 2)], genres="Drama", maturity="TV-MA")
    w.write(warehouse)
    items = item_table(warehouse)
    assert sorted(items.index) == [1, B + 50]
    assert items.at[B + 50, Recs.name] == "Dark"
    assert items.at[B + 50, Recs.n_episodes] == 2
    assert items.at[B + 50, Recs.maturity_level] == 3  # the most mature episode
    assert items.at[B + 50, Catalog.genres] == ("Drama", "Mystery")  # most frequent first
    assert not items.at[1, Recs.is_series]
    assert items.at[1, Catalog.genres] == ("Drama",)


def test_maturity_levels() -> None:
    assert [maturity_level(r) for r in ("TV-Y", "G", "TV-PG", "PG-13", "TV-MA")] == [
        0,
        0,
        1,
        2,
        3,
    ]
    assert maturity_level(" tv-14 ") == 2
    assert maturity_level(None) == 3
    assert maturity_level("Not Rated") == 3
    assert maturity_level(1) == 1
    assert maturity_level(9) == 3


@given(
    e=st.floats(0, 50),
    de=st.floats(0.01, 10),
    r=st.integers(0, 5),
    age=st.floats(0, 1000),
    dage=st.floats(0.1, 100),
)
def test_confidence_is_monotone(e: float, de: float, r: int, age: float, dage: float) -> None:
    p = ConfidenceParams()

    def f(e_: float, r_: int, a_: float) -> float:
        return float(confidence(np.array([e_]), np.array([r_]), np.array([a_]), p)[0])

    assert f(e + de, r, age) > f(e, r, age) or f(e, r, age) == 0.0
    assert f(e, r + 1, age) > f(e, r, age) or f(e, r, age) == 0.0
    assert f(e, r, age + dage) <= f(e, r, age)
    assert f(e, r, -5.0) == f(e, r, 0.0)  # a future play does not weigh more


SITCOM = [B + 301, B + 302, B + 303, B + 304, B + 305]  # 22-minute episodes, no runtimes
BROWSED = [B + 401, B + 402, B + 403]  # sampled for a minute or two each
PAIR = [B + 501, B + 502]  # two episodes watched through: too few to tell a length


def _no_runtimes(w: World) -> None:
    """A catalog as a Netflix export gives it: no runtimes (one film, three series)."""
    w.film(4, "Film 4", runtime=None)
    for series, eps in ((B + 300, SITCOM), (B + 400, BROWSED), (B + 500, PAIR)):
        w.series(
            series, f"Series {series}", [(t, 1, k + 1) for k, t in enumerate(eps)], runtime=None
        )
    w.series(B + 100, "Series 100", [(B + 101, 1, 1)], runtime=EPISODE_RUNTIME)
    w.member(1, "MX")
    w.member(2, "MX")
    day = AS_OF - 3 * DAY
    # Member 1 watches four sitcom episodes through (22 min), the first again for 5 minutes, and
    # leaves the fifth at 10 minutes; samples three episodes of another series; watches two of a
    # third through; a known-runtime episode; a film for 50 minutes.
    for k, ep in enumerate(SITCOM[:4]):
        w.watch(1, ep, day + k * HOUR, 1320)
    w.watch(1, SITCOM[0], day + 4 * HOUR, 300)
    w.watch(1, SITCOM[4], day + 5 * HOUR, 600)
    for k, (ep, seconds) in enumerate(zip(BROWSED, (60, 150, 95), strict=True)):
        w.watch(1, ep, day + DAY + k * 200 * dt.timedelta(seconds=1), seconds)
    for k, ep in enumerate(PAIR):
        w.watch(1, ep, day + DAY + (k + 2) * HOUR, 3000)
    w.watch(1, B + 101, day + 2 * DAY, 2900)
    w.watch(1, 4, day + 2 * DAY + 2 * HOUR, 3000)
    # Member 2 left the second sitcom episode early (furthest 5 minutes): the length still holds.
    w.watch(2, SITCOM[1], day, 300)
    w.watch(2, SITCOM[1], AS_OF + HOUR, 1500)  # after as_of: not seen


def test_unknown_episode_runtimes_come_from_their_series_viewing(warehouse: Warehouse) -> None:
    w = World()
    _no_runtimes(w)
    w.write(warehouse)
    est = estimated_runtimes(warehouse, AS_OF)
    # Only the sitcom: its upper-quartile length (22 min) is shared by four episodes; browsing
    # (1–2.5 min, under five minutes and not agreeing) and two episodes are no evidence; films
    # and known runtimes are not estimated.
    assert sorted(est.index) == sorted(SITCOM)
    assert set(est.to_numpy()) == {1320.0}
    # With the 1,500-second play of member 2 counted (no as_of), episode 2's own progress wins.
    assert estimated_runtimes(warehouse)[SITCOM[1]] == 1500.0


def test_unknown_runtimes_in_confidence_and_continue_watching(warehouse: Warehouse) -> None:
    w = World()
    _no_runtimes(w)
    w.write(warehouse)
    share = 0.85
    params = ConfidenceParams(rewatch_weight=0.5, half_life_days=30.0, finished_share=share)
    got = build_interactions(warehouse, as_of=AS_OF, params=params)
    inter = got.interactions
    assert list(inter.member_ids[:1]) == [1]
    row = inter.matrix.toarray()[0]
    col = {int(i): k for k, i in enumerate(got.item_ids)}
    # Sitcom: four episodes at 1320 / 1320 and the fifth at 600 / 1320, each finished once.
    age = (AS_OF - (AS_OF - 3 * DAY + 5 * HOUR)).total_seconds() / 86400
    e = 4 + 600 / 1320
    assert row[col[B + 300]] == pytest.approx(math.log2(1 + e) * 0.5 ** (age / 30), rel=1e-5)
    # Browsed series: the nominal 45 minutes stand in (60 + 150 + 95 seconds of 2700 each).
    age = (AS_OF - (AS_OF - 2 * DAY + 400 * dt.timedelta(seconds=1))).total_seconds() / 86400
    e = (60 + 150 + 95) / NOMINAL_RUNTIME_SECONDS
    assert row[col[B + 400]] == pytest.approx(math.log2(1 + e) * 0.5 ** (age / 30), rel=1e-5)
    # The member's page: the fifth sitcom episode is the one to continue (45 %), not the four
    # watched through (they read 49 % of a nominal 45 minutes before); the sampled episodes
    # stay unfinished against the nominal runtime.
    frame = member_title_plays(warehouse, [1], as_of=AS_OF, finished_share=share)
    done = frame.groupby(frame[Plays.title_id].astype("int64"))[Recs.finished].any()
    assert all(done[t] for t in SITCOM[:4]) and not done[SITCOM[4]]
    rows = home_rows(1, warehouse=warehouse, as_of=AS_OF, options=RowOptions(row_length=10))
    cont = [r for r in rows if r.kind == RowKind.CONTINUE_WATCHING]
    listed = {it.title_id: it.reason["completion"] for it in cont[0].items}
    assert listed[SITCOM[4]] == pytest.approx(600 / 1320, abs=1e-4)
    assert not set(SITCOM[:4]) & set(listed)


def _rate(warehouse: Warehouse, rows: list[tuple[int, int, float, dt.datetime]]) -> None:
    """Ratings as MovieLens ingestion stores them (one row per member, title and time)."""
    for k, (member, title, value, when) in enumerate(rows):
        warehouse.duck.execute(
            f"INSERT INTO {Ratings.table} ({Ratings.event_key}, {Ratings.member_id}, "
            f"{Ratings.title_id}, {Ratings.rating}, {Ratings.rated_utc}, {Ratings.source}) "
            "VALUES (?, ?, ?, ?, ?, 'test')",
            [k + 1, member, title, value, when],
        )


def test_ratings_count_as_whole_plays(warehouse: Warehouse) -> None:
    """A rating is a finished play of the title at the rating's time, whatever its value
    (MovieLens in the warehouse trains a model)."""
    w = World()
    _catalog(w)
    w.member(1)
    w.watch(1, 1, AS_OF - HOUR, 6000)  # finished an hour ago: 1 × hour_old
    w.write(warehouse)
    _rate(
        warehouse,
        [
            (1, 1, 1.0, AS_OF - 2 * HOUR),  # also rated: a second finished play
            (1, 4, 0.5, AS_OF - 90 * DAY),  # rated only, 90 days ago: log2(2) / 2
            (1, B + 101, 4.0, AS_OF - 90 * DAY),  # an episode: its series, as one finished episode
            (1, 2, 5.0, AS_OF + HOUR),  # after as_of: ignored
            (7, 5, 3.0, AS_OF - DAY),  # a member with ratings only gets a row
        ],
    )
    got = build_interactions(warehouse, as_of=AS_OF, params=ConfidenceParams(finished_share=0.85))
    inter = got.interactions
    dense = inter.matrix.toarray()
    rows = {
        int(m): dict(zip(inter.title_ids.tolist(), dense[r].tolist(), strict=True))
        for r, m in enumerate(inter.member_ids)
    }
    hour_old = 0.5 ** (1 / 24 / 90)
    # Watched to the end and rated: two finished plays, one counted as a rewatch.
    assert rows[1][1] == pytest.approx(math.log2(2.5) * hour_old, rel=1e-6)
    assert rows[1][4] == pytest.approx(0.5, rel=1e-6)
    assert rows[1][B + 100] == pytest.approx(0.5, rel=1e-6)
    assert rows[1].get(2, 0.0) == 0.0 and B + 101 not in rows[1]
    assert rows[7][5] == pytest.approx(0.5 ** (1 / 90), rel=1e-6)
    assert set(rows) == {1, 7}
    assert bool(got.is_series[list(inter.title_ids).index(B + 100)])


def test_default_as_of_covers_ratings(warehouse: Warehouse) -> None:
    assert default_as_of(warehouse) > AS_OF  # empty: now
    _rate(warehouse, [(1, 1, 4.0, AS_OF - DAY)])
    assert default_as_of(warehouse) == AS_OF - DAY + dt.timedelta(microseconds=1)
    w = World()
    _catalog(w)
    w.watch(1, 1, AS_OF - HOUR, 6000)
    w.write(warehouse)
    assert default_as_of(warehouse) == AS_OF - HOUR + dt.timedelta(microseconds=1)


def test_a_history_of_dates_counts_whole(warehouse: Warehouse) -> None:
    """A date of a NetflixViewingHistory.csv (midnight, no duration, no profile) is a play of the
    whole title, as a rating is: finished, weighed in training and on the page alike, and never
    offered to continue. A 0-second segment that names a profile (a detailed export) is not."""
    w = World()
    _catalog(w)
    day = dt.datetime.combine((AS_OF - 10 * DAY).date(), dt.time())
    for member in (1, 2):
        w.member(member, "MX")
        named = "Ana" if member == 2 else None
        w.watch(member, 1, day, 0, null_bookmark=True, profile=named)
        for k, ep in enumerate(SERIES[B + 100][:3]):
            w.watch(member, ep, day + (k + 1) * DAY, 0, null_bookmark=True, profile=named)
        w.watch(member, 3, day + 2 * DAY, 0, null_bookmark=True, profile=named)
    w.member(3, "MX")  # watches three films through yesterday: the country's Top 10
    for k, film in enumerate((1, 3, 5)):
        w.watch(3, film, AS_OF - DAY + k * 3 * HOUR, 7200)
    w.write(warehouse)
    params = ConfidenceParams(rewatch_weight=0.5, half_life_days=30.0, finished_share=0.85)
    got = build_interactions(warehouse, as_of=AS_OF, params=params)
    inter = got.interactions
    dense = inter.matrix.toarray()
    rows = {
        int(m): dict(zip(inter.title_ids.tolist(), dense[r].tolist(), strict=True))
        for r, m in enumerate(inter.member_ids)
    }

    def decay(last: dt.datetime) -> float:
        return float(0.5 ** ((AS_OF - last).total_seconds() / 86400 / 30.0))

    # Member 1: film 1 and film 3 once each (log2 2), three episodes of the series (log2 4).
    assert rows[1][1] == pytest.approx(decay(day), rel=1e-6)
    assert rows[1][3] == pytest.approx(decay(day + 2 * DAY), rel=1e-6)
    assert rows[1][B + 100] == pytest.approx(2.0 * decay(day + 3 * DAY), rel=1e-6)
    # Member 2 named a profile: 0 seconds of a detailed export is nothing watched.
    assert all(v == 0.0 for v in rows.get(2, {}).values())
    # The member's page reads the plays the same way.
    for member in (1, 2):
        frame = member_title_plays(warehouse, [member], as_of=AS_OF, finished_share=0.85)
        assert len(frame) == 5
        assert bool(frame[Recs.finished].all()) == (member == 1)
        want = 1.0 if member == 1 else 0.0
        assert frame[Recs.completion].tolist() == [want] * 5
        mine = interactions_from_plays(frame, as_of=AS_OF, member_ids=[member], params=params)
        mine_row = mine.interactions.matrix.toarray()[0].tolist()
        page = dict(zip(mine.item_ids.tolist(), mine_row, strict=True))
        for item in set(page) | set(rows.get(member, {})):
            assert page.get(item, 0.0) == pytest.approx(rows.get(member, {}).get(item, 0.0))
    # Nothing dated is offered to continue, and a dated film is not recommended back; the
    # series goes on after its last dated episode, as after a rated one.
    opts = RowOptions(row_length=10, min_viewers=1)
    rows_1 = home_rows(1, warehouse=warehouse, as_of=AS_OF, options=opts)
    assert not [r for r in rows_1 if r.kind == RowKind.CONTINUE_WATCHING]
    offered = {it.title_id for r in rows_1 for it in r.items}
    assert not {1, 3} & offered and 5 in offered
    nexts = [it.title_id for r in rows_1 if r.kind == RowKind.NEXT_EPISODE for it in r.items]
    assert nexts == [SERIES[B + 100][3]]
