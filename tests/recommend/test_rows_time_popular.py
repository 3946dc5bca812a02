"""Time-popular's picks come from when the member watched (what everyone took around the
member's own times), not from co-watching: a pick needs ``RowOptions.min_viewers`` counted
members who took it within the kernel's scale (σ days) of one of the member's times, not
members who took it with one of the member's titles. Session-blend, which mixes session-ease
with time-local popularity, needs both."""

from __future__ import annotations

from pathlib import Path

from test_rows_world import AS_OF, DAY, World

from bingewise.privacy.consent import Purpose, record_consent
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


def test_session_blend_picks_need_co_takers_and_viewers_around_the_members_time(
    home: Path, registry: Registry
) -> None:
    """Session-blend keeps the pair rule (film 31, taken by no one with film 20, is never
    picked) and adds the time rule for its time-local part: film 40, taken with 20 by ten
    members long ago, was taken by one member within 30 days of the member's time."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    one_member_world().write(wh)
    model = train(wh, "session-blend", as_of=AS_OF, registry=registry)
    loose = _page(wh, model, options=RowOptions(min_viewers=1, because_rows=0))
    assert _picks(loose) == {ALONE}
    assert _picks(_page(wh, model, options=RowOptions(because_rows=0))) == set()
    assert LOCAL not in _shown(_page(wh, model))
