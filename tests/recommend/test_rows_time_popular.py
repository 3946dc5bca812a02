"""Time-popular's picks come from when the member watched (what everyone took around the
member's own times), not from co-watching: a pick needs ``RowOptions.min_viewers`` counted
members who took it within the kernel's scale (σ days) of one of the member's times, not
members who took it with one of the member's titles. Session-blend, which mixes session-ease
with time-local popularity, needs both."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from test_rows_world import AS_OF, DAY, World

from bingewise.privacy.consent import Purpose, record_consent
from bingewise.recommend import SessionBlend
from bingewise.recommend.rows import Row, RowKind, RowOptions, home_rows, viewing_withheld
from bingewise.recommend.train import TrainedModel, train
from bingewise.registry import Registry
from bingewise.warehouse import Warehouse

FOCAL = 1
MINE = 20  #: the member's one title, taken at WHEN
WHEN = AS_OF - 60 * DAY
LONG_AGO = AS_OF - 3 * 365 * DAY  #: far beyond σ (100 days; session-blend 30)
LOCAL = 31  #: taken around WHEN by ten members, and long ago by five
LOCAL_NEAR = list(range(100, 110))
LOCAL_FAR = list(range(110, 115))
ALONE = 40  #: taken on WHEN by one member; by eleven others long ago, ten with MINE
ALONE_NEAR = 200
ALONE_FAR = list(range(210, 221))  #: the first ten took MINE too


def one_member_world() -> World:
    """Film 40 passes the item minimum (twelve viewers) and the pair rule (ten members took
    it with film 20), but around the member's time one member took it: a time-popular pick
    of 40 would tell the member what that person watched then. Film 31: ten members took it
    around the member's time."""
    w = World()
    for film in (MINE, LOCAL, ALONE):
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, MINE, WHEN, 6000)
    for k, m in enumerate(LOCAL_NEAR):
        w.member(m)
        w.watch(m, LOCAL, WHEN + (k - 5) * DAY, 6000)
    for m in LOCAL_FAR:
        w.member(m)
        w.watch(m, LOCAL, LONG_AGO, 6000)
    w.member(ALONE_NEAR)
    w.watch(ALONE_NEAR, ALONE, WHEN, 6000)
    for k, m in enumerate(ALONE_FAR):
        w.member(m)
        w.watch(m, ALONE, LONG_AGO, 6000)
        if k < 10:
            w.watch(m, MINE, LONG_AGO - DAY, 6000)
    return w


def no_co_takers_world() -> World:
    """Nobody else took the member's film 20; around the member's time twelve members took
    film 31 and twelve others film 32."""
    w = World()
    for film in (MINE, 31, 32):
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, MINE, WHEN, 6000)
    for k in range(24):
        m = 300 + k
        w.member(m)
        w.watch(m, 31 if k < 12 else 32, WHEN + (k % 12 - 6) * DAY, 6000)
    return w


def _page(wh: Warehouse, model: TrainedModel, **kw: object) -> list[Row]:
    return home_rows(FOCAL, warehouse=wh, trained=model, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def _shown(rows: list[Row]) -> set[int]:
    return {it.item_id for r in rows for it in r.items}


def _picks(rows: list[Row]) -> set[int]:
    return {
        it.item_id
        for r in rows
        for it in r.items
        if r.kind == RowKind.TOP_PICKS or it.reason.get("basis") == "model"
    }


def test_a_pick_one_member_took_around_the_members_time_is_not_shown(
    home: Path, registry: Registry
) -> None:
    """Oracle, counted by hand: within 100 days of the member's time, film 31 has ten viewers
    and film 40 one; in all, 31 has fifteen and 40 twelve. A pick needs both minimums."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    one_member_world().write(wh)
    model = train(wh, "time-popular", as_of=AS_OF, registry=registry)
    near, total = {LOCAL: 10, ALONE: 1}, {LOCAL: 15, ALONE: 12}
    assert model.pair_viewers is None  # no co-watching in its scores: no pair counts kept
    assert ALONE not in _shown(_page(wh, model, options=RowOptions(because_rows=0)))
    assert ALONE not in _shown(_page(wh, model))
    loose = _page(wh, model, options=RowOptions(min_viewers=1))
    assert _picks(loose) == {LOCAL, ALONE}  # the model does pick 40 from that one member
    for minimum in (1, 2, 10, 11):
        expected = {y for y in near if near[y] >= minimum and total[y] >= minimum}
        rows = _page(wh, model, options=RowOptions(min_viewers=minimum))
        assert _shown(rows) == expected, minimum
    # Its "Because you watched 20" would be what everyone took when 20 was taken: no such rows.
    assert RowKind.BECAUSE_YOU_WATCHED not in {r.kind for r in loose}
    # One of 31's near viewers withdraws statistics after the training: nine counted near
    # (fourteen in all), so 31 leaves the picks, and comes back with a minimum of nine.
    record_consent(registry, LOCAL_NEAR[0], Purpose.STATISTICS, False, source="web")
    withheld = viewing_withheld(registry)
    assert _shown(_page(wh, model, uncounted=withheld)) == set()
    nine = RowOptions(min_viewers=9)
    assert _shown(_page(wh, model, options=nine, uncounted=withheld)) == {LOCAL}


def test_picks_need_viewers_around_the_members_time_not_co_takers(
    home: Path, registry: Registry
) -> None:
    """Nobody took the member's title with films 31 and 32, which twelve members each took
    around the member's time: time-popular picks them (the pair rule left them out)."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    no_co_takers_world().write(wh)
    model = train(wh, "time-popular", as_of=AS_OF, registry=registry)
    rows = _page(wh, model)
    assert _picks(rows) == {31, 32}
    assert RowKind.TOP_PICKS in {r.kind for r in rows}
    assert _shown(_page(wh, model, options=RowOptions(min_viewers=13))) == set()


FILLERS = list(range(50, 56))  #: each taken by ten members long before the member's time
FILLER_TAKERS = 600
COUNTED_TOO = 32  #: taken by twelve members twenty days after the member's time


def blend_world() -> World:
    """:func:`one_member_world` with six films ten members each took long ago (their
    time-local popularity around the member's time is lowest) and film 32, twelve members
    took twenty days after the member's time: within σ = 30 days, films 31 and 32 are counted,
    film 40 (one member then) and the fillers (none) are not."""
    w = one_member_world()
    w.film(COUNTED_TOO, f"Film {COUNTED_TOO}", genres="Drama")
    for k in range(12):
        m = 500 + k
        w.member(m)
        w.watch(m, COUNTED_TOO, WHEN + 20 * DAY, 6000)
    for f, film in enumerate(FILLERS):
        w.film(film, f"Film {film}", genres="Drama")
        for k in range(10):
            m = FILLER_TAKERS + 10 * f + k
            w.member(m)
            w.watch(m, film, LONG_AGO - 300 * DAY, 6000)
    return w


def _z(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    out: np.ndarray = (values - values.mean()) / (sd if sd > 0 else 1.0)
    return out


def test_session_blend_scores_titles_few_took_around_the_members_time_without_that_part(
    home: Path, registry: Registry
) -> None:
    """Session-blend keeps the pair rule (films 31 and 32, taken by no one with film 20, are
    never picked) and applies the time rule inside its score: film 40, taken with 20 by ten
    members long ago and by one member within 30 days of the member's time, gets no
    time-local part, so it is picked (before: no picks at all) on its session-ease part
    alone. Brute force: the part's counted titles from the world as built (31: ten members
    near, 32: twelve), its z over them by hand; 40's score is its session-ease z exactly,
    below what the time-local part would have added without the rule."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    blend_world().write(wh)
    model = train(wh, "session-blend", as_of=AS_OF, registry=registry)
    picks_only = RowOptions(because_rows=0)
    rows = _page(wh, model, options=picks_only)
    assert _picks(rows) == {ALONE}
    assert LOCAL not in _shown(_page(wh, model)) and COUNTED_TOO not in _shown(_page(wh, model))
    blend = model.model
    assert isinstance(blend, SessionBlend)
    at = model.positions(np.array([MINE, ALONE, LOCAL, COUNTED_TOO, *FILLERS]))
    n = len(model.item_ids)
    user = sp.csr_matrix(([1.0], ([0], [at[0]])), shape=(1, n))
    when = sp.csr_matrix(([WHEN.replace(tzinfo=dt.UTC).timestamp()], ([0], [at[0]])), shape=(1, n))
    counted = np.zeros(n, dtype=bool)
    counted[[at[2], at[3]]] = True  # 31 and 32: ten and twelve members within 30 days
    ease_z = _z(np.asarray(blend.ease.scores_of(user), dtype=np.float64)[0])
    local = np.asarray(blend.popular.score_at(user, when), dtype=np.float64)[0]
    expected = ease_z.copy()
    expected[counted] += blend.mix * _z(local[counted])
    got = {it.item_id: it.reason["score"] for r in rows for it in r.items}
    assert got[ALONE] == pytest.approx(expected[at[1]], rel=1e-9, abs=1e-12)
    assert got[ALONE] == pytest.approx(ease_z[at[1]], rel=1e-9, abs=1e-12)
    free = np.asarray(blend.score_at(user, when), dtype=np.float64)[0]
    assert free[at[1]] > got[ALONE] + 1e-6  # the part would have lifted 40, one member's title
    # With the time rule removing titles instead (the earlier page), 40 was not picked at all:
    # its one viewer near the member's time is below the minimum either way.
    assert blend.popular.viewers_near(when)[0][at[1]] == 1
    # The pair rule still decides: with a minimum of 11 co-takers, nothing is picked.
    assert _picks(_page(wh, model, options=RowOptions(because_rows=0, min_viewers=11))) == set()


UNWATCHED = FILLERS[0]  #: the member opened it long ago and watched nothing (0 s, a profile)


def _opened_long_ago(w: World) -> World:
    """The member also opened film 50 on LONG_AGO and watched 0 seconds of it, naming a
    profile: no interaction (training weighs it nothing, its day counts leave it out), though
    its time is stored next to the explicit zero of the member's row."""
    w.watch(FOCAL, UNWATCHED, LONG_AGO, 0, profile="Main")
    return w


def test_a_play_without_progress_brings_no_time_to_time_popular(
    home: Path, registry: Registry
) -> None:
    """Film 40: one member near the member's one interaction (WHEN), eleven around LONG_AGO,
    when the member only opened film 50 for 0 seconds. Training counts that play nowhere; the
    page neither: 40 has one viewer near the member's times and is not shown, as without the
    play (the page read the play's time, found eleven viewers and picked 40 from them)."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    _opened_long_ago(blend_world()).write(wh)
    model = train(wh, "time-popular", as_of=AS_OF, registry=registry)
    at = model.positions(np.array([UNWATCHED]))
    assert at[0] >= 0  # the film is one of the model's items
    shown = _shown(_page(wh, model))
    assert ALONE not in shown
    assert shown == {LOCAL, COUNTED_TOO}  # what the member's one interaction has near it


def test_a_play_without_progress_brings_no_time_to_session_blends_rule(
    home: Path, registry: Registry
) -> None:
    """Session-blend reads the times of interactions only: its time-local part for film 40
    comes from WHEN, where one member took it. The rule must read the same times: with the
    0-second play's LONG_AGO counted, 40 had eleven members "near" and kept a time-local part
    made of one member's viewing. Oracle: 40's score is its session-ease z, as without the
    play."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    _opened_long_ago(blend_world()).write(wh)
    model = train(wh, "session-blend", as_of=AS_OF, registry=registry)
    blend = model.model
    assert isinstance(blend, SessionBlend)
    rows = _page(wh, model, options=RowOptions(because_rows=0))
    at = model.positions(np.array([MINE, ALONE]))
    n = len(model.item_ids)
    user = sp.csr_matrix(([1.0], ([0], [at[0]])), shape=(1, n))
    ease_z = _z(np.asarray(blend.ease.scores_of(user), dtype=np.float64)[0])
    got = {it.item_id: it.reason["score"] for r in rows for it in r.items}
    assert got[ALONE] == pytest.approx(ease_z[at[1]], rel=1e-9, abs=1e-12)
