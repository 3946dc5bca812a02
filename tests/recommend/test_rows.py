"""Home rows: every rule of the page and every reason, checked against brute force."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_rows_world import (
    AS_OF,
    BIG,
    COCO,
    DARK,
    DAY,
    FOCAL,
    HEAT,
    HOUR,
    MODELS,
    NARCOS,
    NEWCOMER,
    PEPPA,
    ROMA,
    World,
    platform,
)

from bingewise.recommend.interactions import build_interactions, item_table, maturity_level
from bingewise.recommend.rows import (
    Row,
    RowItem,
    RowKind,
    RowOptions,
    country_rankings,
    describe,
    home_rows,
    print_rows,
)
from bingewise.recommend.train import TrainedModel, train
from bingewise.schema import Catalog, Events, Recs
from bingewise.warehouse import Warehouse

#: every item watched at all is ranked in this small world (the default needs 10 viewers)
OPTS = RowOptions(row_length=3, because_rows=2, genre_rows=2, min_viewers=1)
#: What the focal member's history implies (see ``platform``): finished, and watched at all.
FINISHED = {ROMA, PEPPA}
SEEN = {ROMA, PEPPA, DARK, COCO, NARCOS}


@pytest.fixture(scope="module")
def world() -> World:
    return platform()


@pytest.fixture(scope="module")
def store(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("rows")
    wh = world.write(Warehouse.open(folder / "warehouse.duckdb"))
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def trained(store: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    folder = tmp_path_factory.mktemp("models")
    return train(store, "tinycos", as_of=AS_OF, models_dir=folder, models=MODELS)


def page(store: Warehouse, trained: TrainedModel | None, member: int, **kw: Any) -> list[Row]:
    return home_rows(member, warehouse=store, trained=trained, as_of=AS_OF, options=OPTS, **kw)


def _item_of(world: World) -> dict[int, int]:
    """title_id -> item id (series for episodes)."""
    return {
        c[Catalog.title_id]: c.get(Catalog.series_id) or c[Catalog.title_id] for c in world.catalog
    }


def _levels(world: World) -> dict[int, int]:
    """item id -> maturity level (a series takes its most mature episode)."""
    item_of = _item_of(world)
    levels: dict[int, int] = {}
    for c in world.catalog:
        item = item_of[c[Catalog.title_id]]
        levels[item] = max(levels.get(item, 0), maturity_level(c[Catalog.maturity]))
    return levels


def _genres(world: World) -> dict[int, set[str]]:
    item_of = _item_of(world)
    genres: dict[int, set[str]] = defaultdict(set)
    for c in world.catalog:
        genres[item_of[c[Catalog.title_id]]].update(c[Catalog.genres].split("|"))
    return genres


def _viewers(
    world: World, country: str, hours: float, uncounted: set[int] | None = None
) -> dict[int, set[int]]:
    """Brute force: each item's distinct viewers in the country and window."""
    item_of = _item_of(world)
    start = AS_OF - dt.timedelta(hours=hours)
    viewers: dict[int, set[int]] = defaultdict(set)
    for e in world.events:
        if e[Events.supplemental] or e[Events.country] != country:
            continue
        if e[Events.member_id] in (uncounted or set()):
            continue
        if start <= e[Events.start_utc] < AS_OF:
            viewers[item_of[e[Events.title_id]]].add(e[Events.member_id])
    return viewers


def _ranking(
    world: World,
    country: str,
    hours: float,
    min_viewers: int = 1,
    uncounted: set[int] | None = None,
) -> list[int]:
    """Brute force: items by distinct viewers in the country and window, ties by item id."""
    viewers = _viewers(world, country, hours, uncounted)
    kept = [i for i in viewers if len(viewers[i]) >= min_viewers]
    return sorted(kept, key=lambda i: (-len(viewers[i]), i))


def _items_before(rows: list[Row], index: int) -> set[int]:
    return {it.item_id for row in rows[:index] for it in row.items}


def test_page_has_every_row_and_no_title_twice(store: Warehouse, trained: TrainedModel) -> None:
    rows = page(store, trained, FOCAL)
    kinds = [r.kind for r in rows]
    assert kinds[:3] == [
        RowKind.CONTINUE_WATCHING,
        RowKind.NEXT_EPISODE,
        RowKind.BECAUSE_YOU_WATCHED,
    ]
    assert {RowKind.TOP10_COUNTRY, RowKind.TOP_PICKS, RowKind.GENRE} <= set(kinds)
    ids = [it.item_id for r in rows for it in r.items]
    assert len(ids) == len(set(ids))
    for r in rows:
        assert 0 < len(r.items) <= OPTS.row_length
        for it in r.items:
            assert it.reason["kind"] == r.kind
    json.dumps([r.to_dict() for r in rows])  # machine readable as it stands


def test_finished_titles_are_not_shown(store: Warehouse, trained: TrainedModel) -> None:
    mine = {it.item_id for r in page(store, trained, FOCAL) for it in r.items}
    assert not mine & FINISHED
    # control: the same titles are popular enough to be shown to someone who has not seen them
    newcomer = {it.item_id for r in page(store, trained, NEWCOMER) for it in r.items}
    assert newcomer >= FINISHED


def test_continue_watching(store: Warehouse, trained: TrainedModel) -> None:
    row = page(store, trained, FOCAL)[0]
    assert row.title == "Continue watching"
    got = [(it.title_id, it.series_id, it.reason) for it in row.items]
    assert got == [
        (
            BIG + 2001,
            NARCOS,
            {
                "kind": "continue_watching",
                "play_start_utc": (AS_OF - 2 * DAY).isoformat(),
                "position_seconds": 1300,
                "completion": round(1300 / 3000, 4),
            },
        ),
        (
            COCO,
            None,
            {
                "kind": "continue_watching",
                "play_start_utc": (AS_OF - 3 * DAY).isoformat(),
                "position_seconds": 2500,
                "completion": round(2500 / 6000, 4),
            },
        ),
    ]
    assert row.items[0].name == "Narcos: Season 1: Episode 1"


def test_next_episode_follows_the_last_finished(store: Warehouse, trained: TrainedModel) -> None:
    row = page(store, trained, FOCAL)[1]
    assert row.kind == RowKind.NEXT_EPISODE
    [item] = row.items
    assert (item.title_id, item.series_id) == (BIG + 1003, DARK)
    assert item.reason == {
        "kind": "next_episode",
        "series_id": DARK,
        "season": 1,
        "episode": 3,
        "after_title_id": BIG + 1002,
    }


def test_next_episode_skips_finished_and_ends_with_the_series(warehouse: Warehouse) -> None:
    w = World()
    ep1, ep2, ep3, ep4 = BIG + 1001, BIG + 1002, BIG + 1003, BIG + 1004
    w.series(DARK, "Dark", [(ep1, 1, 1), (ep2, 1, 2), (ep3, 1, 3), (ep4, 2, 1)])
    w.member(7)
    w.member(8)
    w.watch(7, ep3, AS_OF - 6 * DAY, 3000)  # S1E3 seen first
    w.watch(7, ep1, AS_OF - 5 * DAY, 3000)
    w.watch(7, ep2, AS_OF - 4 * DAY, 3000)  # last finished: S1E2, next unfinished: S2E1
    w.watch(8, ep1, AS_OF - 5 * DAY, 100)
    w.watch(8, ep4, AS_OF - 4 * DAY, 3000)  # finished the last episode: nothing next
    w.write(warehouse)
    rows7 = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    nxt = [it for r in rows7 if r.kind == RowKind.NEXT_EPISODE for it in r.items]
    assert [(it.title_id, it.reason["season"], it.reason["episode"]) for it in nxt] == [(ep4, 2, 1)]
    rows8 = home_rows(8, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    assert RowKind.NEXT_EPISODE not in [r.kind for r in rows8]
    assert RowKind.CONTINUE_WATCHING not in [r.kind for r in rows8]


def test_unnumbered_clips_are_not_episodes(warehouse: Warehouse) -> None:
    """A Netflix export catalogues a promotional clip as an unnumbered episode of its series
    ("Russian Doll: Season 1 - Clip 4"): it is neither the next episode nor one to finish."""
    w = World()
    ep1, ep2, clip, s2e1 = BIG + 1001, BIG + 1002, BIG + 1009, BIG + 1021
    w.series(DARK, "Dark", [(ep1, 1, 1), (ep2, 1, 2), (clip, 1, None), (s2e1, 2, 1)])  # type: ignore[list-item]
    w.member(7)
    w.watch(7, ep1, AS_OF - 5 * DAY, 3000)
    w.watch(7, ep2, AS_OF - 4 * DAY, 3000)
    w.watch(7, clip, AS_OF - 4 * DAY + HOUR, 40, supplemental="PROMOTIONAL")
    w.write(warehouse)
    rows = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    nxt = [it for r in rows if r.kind == RowKind.NEXT_EPISODE for it in r.items]
    assert [(it.title_id, it.reason["season"], it.reason["episode"]) for it in nxt] == [
        (s2e1, 2, 1)
    ]
    assert item_table(warehouse).loc[DARK, Recs.n_episodes] == 3


def test_continue_watching_leaves_out_plays_started_by_mistake(warehouse: Warehouse) -> None:
    """Under 5 % of a title is no place to resume (Jellyfin's and Emby's minimum resume share)."""
    w = World()
    w.film(901, "Glimpsed", runtime=6000)
    w.film(902, "Begun", runtime=6000)
    w.member(7)
    w.watch(7, 901, AS_OF - DAY, 299)  # 4.98 %
    w.watch(7, 902, AS_OF - 2 * DAY, 300)  # 5 %
    w.write(warehouse)
    rows = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    cont = [it.title_id for r in rows if r.kind == RowKind.CONTINUE_WATCHING for it in r.items]
    assert cont == [902]
    loose = RowOptions(min_resume_share=0.0)
    rows = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX", options=loose)
    cont = [it.title_id for r in rows if r.kind == RowKind.CONTINUE_WATCHING for it in r.items]
    assert cont == [901, 902]


def test_because_you_watched_are_the_sources_nearest_neighbours(
    world: World, store: Warehouse, trained: TrainedModel
) -> None:
    rows = page(store, trained, FOCAL)
    levels = _levels(world)
    sim = trained.model.sim  # type: ignore[attr-defined]
    pos = {int(i): j for j, i in enumerate(trained.item_ids)}
    because = [(k, r) for k, r in enumerate(rows) if r.kind == RowKind.BECAUSE_YOU_WATCHED]
    assert because
    # sources: the member's most recently watched items, Narcos (2 days ago) first
    first_source = because[0][1].items[0].reason["source_series_id"]
    assert first_source == NARCOS
    assert because[0][1].title == "Because you watched Narcos"
    for k, row in because:
        reason = row.items[0].reason
        source = reason["source_series_id"] or reason["source_title_id"]
        taken = _items_before(rows, k) | SEEN | FINISHED
        order = np.argsort(-sim[pos[source]], kind="stable")
        expected = [
            int(trained.item_ids[j])
            for j in order
            if j != pos[source]
            and int(trained.item_ids[j]) not in taken
            and sim[pos[source], j] > 0  # only titles the model finds like the source
        ][: OPTS.row_length]
        assert [it.item_id for it in row.items] == expected
        for it in row.items:
            assert it.reason["similarity"] == pytest.approx(sim[pos[source], pos[it.item_id]])
            assert it.reason["source_name"] == row.title.removeprefix("Because you watched ")
            assert it.reason["source_from"] == "viewing"
            assert levels[it.item_id] <= 3


@pytest.mark.parametrize("member", [FOCAL, NEWCOMER])
def test_top10_is_the_true_count_order(
    world: World, store: Warehouse, trained: TrainedModel, member: int
) -> None:
    rows = page(store, trained, member)
    hidden = FINISHED | SEEN if member == FOCAL else set()
    tops = [(k, r) for k, r in enumerate(rows) if r.kind == RowKind.TOP10_COUNTRY]
    assert [r.items[0].reason["window"] for _, r in tops] == ["24h", "7d"]
    for k, row in tops:
        window = row.items[0].reason["window"]
        ranking = _ranking(world, "MX", 24.0 if window == "24h" else 168.0)[:10]
        ranks = {item: r for r, item in enumerate(ranking, start=1)}
        taken = _items_before(rows, k) | (hidden & FINISHED)
        expected = [i for i in ranking if i not in taken][: OPTS.row_length]
        assert [it.item_id for it in row.items] == expected
        for it in row.items:
            assert it.reason == {
                "kind": "top10_country",
                "country": "MX",
                "window": window,
                "rank": ranks[it.item_id],
            }
    assert _ranking(world, "MX", 24.0) != _ranking(world, "MX", 168.0)  # the windows differ


def test_country_rankings_need_enough_viewers_who_consented(
    world: World, store: Warehouse, trained: TrainedModel
) -> None:
    """A country's ranking is shown to everyone there: an item needs min_viewers viewers (10 by
    default) to enter it, and members who withdrew their consent to statistics are not counted.
    Checked against the brute-force count, then on a page."""
    week = {"7d": dt.timedelta(hours=168.0)}
    counts = sorted({len(v) for v in _viewers(world, "MX", 168.0).values()})
    assert counts[0] < RowOptions().min_viewers <= counts[-1]  # the default cuts this world
    for least in (1, counts[len(counts) // 2], counts[-1], counts[-1] + 1):
        got = country_rankings(store, "MX", AS_OF, week, min_viewers=least)["7d"]
        assert [i for i, _ in got] == _ranking(world, "MX", 168.0, min_viewers=least)
    # the top item's viewers withdraw but one: it leaves the ranking, as the brute force says
    top = _ranking(world, "MX", 168.0)[0]
    quiet = set(sorted(_viewers(world, "MX", 168.0)[top])[1:])
    got = country_rankings(store, "MX", AS_OF, week, min_viewers=2, uncounted=quiet)["7d"]
    expected = _ranking(world, "MX", 168.0, min_viewers=2, uncounted=quiet)
    assert [i for i, _ in got] == expected and top not in expected
    # on a page: the default threshold, then withdrawn members too
    for uncounted in (set(), quiet):
        rows = home_rows(
            NEWCOMER, warehouse=store, trained=trained, as_of=AS_OF, uncounted=uncounted
        )
        tops = [r for r in rows if r.kind == RowKind.TOP10_COUNTRY]
        assert tops or uncounted  # withdrawn viewers may leave no item with ten
        for row in tops:
            hours = 24.0 if row.items[0].reason["window"] == "24h" else 168.0
            ranking = _ranking(world, "MX", hours, min_viewers=10, uncounted=uncounted)[:10]
            assert [it.reason["rank"] for it in row.items] == [
                ranking.index(it.item_id) + 1 for it in row.items
            ]


def test_top_picks_are_the_models_best_unseen(store: Warehouse, trained: TrainedModel) -> None:
    rows = page(store, trained, FOCAL)
    k, row = next((k, r) for k, r in enumerate(rows) if r.kind == RowKind.TOP_PICKS)
    user = build_interactions(
        store, as_of=AS_OF, member_ids=[FOCAL], item_ids=trained.item_ids
    ).interactions.matrix.toarray()[0]
    scores = user @ trained.model.sim  # type: ignore[attr-defined]
    taken = _items_before(rows, k) | SEEN
    candidates = [
        (float(scores[j]), int(i)) for j, i in enumerate(trained.item_ids) if int(i) not in taken
    ]
    best = sorted(candidates, key=lambda c: -c[0])[: OPTS.row_length]
    assert [it.reason["score"] for it in row.items] == pytest.approx([s for s, _ in best])
    assert {it.item_id for it in row.items} == {i for _, i in best}
    assert all(it.reason["model"] == "tinycos" for it in row.items)


def test_genre_rows_follow_the_members_tastes(
    world: World, store: Warehouse, trained: TrainedModel
) -> None:
    rows = page(store, trained, FOCAL)
    genres_of = _genres(world)
    user = build_interactions(
        store, as_of=AS_OF, member_ids=[FOCAL], item_ids=trained.item_ids
    ).interactions.matrix.toarray()[0]
    weight: dict[str, float] = defaultdict(float)
    for j, w in enumerate(user):
        for g in genres_of[int(trained.item_ids[j])]:
            weight[g] += float(w) if w else 0.0
    favourites = sorted((g for g in weight if weight[g] > 0), key=lambda g: (-weight[g], g))
    genre_rows = [r for r in rows if r.kind == RowKind.GENRE]
    assert genre_rows
    shown = [r.items[0].reason["genre"] for r in genre_rows]
    assert shown == [g for g in favourites if g in shown]  # in order of the member's weights
    assert shown[0] == favourites[0] or favourites[0] not in shown
    scores = user @ trained.model.sim  # type: ignore[attr-defined]
    pos = {int(i): j for j, i in enumerate(trained.item_ids)}
    for row in genre_rows:
        got = [it.reason["score"] for it in row.items]
        assert got == sorted(got, reverse=True)
        for it in row.items:
            assert it.reason["genre"] in genres_of[it.item_id]
            assert it.reason["score"] == pytest.approx(scores[pos[it.item_id]])
            assert it.item_id not in SEEN


@pytest.mark.parametrize("member", [FOCAL, NEWCOMER])
def test_maturity_limit_is_respected(
    world: World, store: Warehouse, trained: TrainedModel, member: int
) -> None:
    levels = _levels(world)
    free = page(store, trained, member)
    assert any(levels[it.item_id] > 1 for r in free for it in r.items)  # control
    kids = page(store, trained, member, max_maturity="TV-PG")
    assert kids
    for r in kids:
        for it in r.items:
            assert levels[it.item_id] <= 1, (r.title, it.name)
        if r.kind == RowKind.BECAUSE_YOU_WATCHED:
            src = r.items[0].reason
            assert levels[src["source_series_id"] or src["source_title_id"]] <= 1
    unrated = page(store, trained, member, max_maturity=2)
    assert all(levels[it.item_id] <= 2 for r in unrated for it in r.items)
    with pytest.raises(ValueError, match="TV-PGG"):  # a mistyped limit never opens the catalog
        page(store, trained, member, max_maturity="TV-PGG")


def test_new_member_gets_country_popular_titles_only(
    world: World, store: Warehouse, trained: TrainedModel
) -> None:
    rows = page(store, trained, NEWCOMER)
    assert {r.kind for r in rows} == {RowKind.TOP10_COUNTRY, RowKind.GENRE}
    month = _ranking(world, "MX", 28 * 24.0)
    genres_of = _genres(world)
    for k, row in enumerate(rows):
        if row.kind != RowKind.GENRE:
            continue
        genre = row.items[0].reason["genre"]
        in_genre = [i for i in month if genre in genres_of[i]]
        taken = _items_before(rows, k)
        assert [it.item_id for it in row.items] == [i for i in in_genre if i not in taken][
            : OPTS.row_length
        ]
        for it in row.items:
            assert it.reason == {
                "kind": "genre",
                "genre": genre,
                "basis": "popular_in_country",
                "country": "MX",
                "window": "28d",
                "rank": in_genre.index(it.item_id) + 1,
            }


def test_without_consent_the_page_ignores_history(store: Warehouse, trained: TrainedModel) -> None:
    personal = page(store, trained, FOCAL)
    anonymous = page(store, trained, FOCAL, personalized=False)
    assert [r.to_dict() for r in anonymous] == [r.to_dict() for r in page(store, None, NEWCOMER)]
    assert {r.kind for r in anonymous} == {RowKind.TOP10_COUNTRY, RowKind.GENRE}
    assert [r.to_dict() for r in anonymous] != [r.to_dict() for r in personal]


def test_without_a_model_the_history_rows_remain(store: Warehouse, home: Path) -> None:
    rows = page(store, None, FOCAL)  # the store in $BINGEWISE_HOME is empty
    kinds = [r.kind for r in rows]
    assert kinds[:2] == [RowKind.CONTINUE_WATCHING, RowKind.NEXT_EPISODE]
    assert RowKind.BECAUSE_YOU_WATCHED not in kinds and RowKind.TOP_PICKS not in kinds
    ids = [it.item_id for r in rows for it in r.items]
    assert len(ids) == len(set(ids)) and not set(ids) & FINISHED
    assert all(
        it.reason["basis"] == "popular_in_country"
        for r in rows
        if r.kind == RowKind.GENRE
        for it in r.items
    )


def test_country_comes_from_the_member_or_is_asked_for(
    world: World, store: Warehouse, trained: TrainedModel
) -> None:
    with pytest.raises(LookupError, match="country"):
        page(store, trained, 999)  # no country, no plays, no ratings: nothing to show
    rows = page(store, trained, 999, country="US")
    tops = [r for r in rows if r.kind == RowKind.TOP10_COUNTRY]
    assert tops and tops[0].title == "Top 10 in United States today"
    assert [it.item_id for it in tops[0].items] == _ranking(world, "US", 24.0)[: OPTS.row_length]


def test_future_plays_are_not_history(store: Warehouse, trained: TrainedModel) -> None:
    # the focal member plays Heat an hour after as_of: not finished, not seen, not continued
    rows = page(store, trained, FOCAL)
    assert HEAT not in {it.item_id for r in rows[:2] for it in r.items}
    later = home_rows(
        FOCAL,
        warehouse=store,
        trained=trained,
        as_of=AS_OF + 3 * DAY,
        options=OPTS,
    )
    assert HEAT not in {it.item_id for r in later for it in r.items}  # finished by then


def test_because_you_watched_shows_only_titles_like_the_source(
    store: Warehouse, trained: TrainedModel
) -> None:
    """Long rows run out of neighbours: a title with no similarity to the source (zero, or a
    negative weight in EASE or ALS) is not "like" it, so the row ends there."""
    opts = RowOptions(row_length=40, because_rows=2, genre_rows=0, min_viewers=1)
    rows = home_rows(FOCAL, warehouse=store, trained=trained, as_of=AS_OF, options=opts)
    sim = trained.model.sim  # type: ignore[attr-defined]
    pos = {int(i): j for j, i in enumerate(trained.item_ids)}
    because = [(k, r) for k, r in enumerate(rows) if r.kind == RowKind.BECAUSE_YOU_WATCHED]
    assert because
    for k, row in because:
        reason = row.items[0].reason
        source = reason["source_series_id"] or reason["source_title_id"]
        taken = _items_before(rows, k) | SEEN | FINISHED
        liked = {
            int(trained.item_ids[j])
            for j in np.flatnonzero(sim[pos[source]] > 0)
            if j != pos[source] and int(trained.item_ids[j]) not in taken
        }
        assert {it.item_id for it in row.items} == liked
        assert all(it.reason["similarity"] > 0 for it in row.items)


def test_reasons_read_with_significant_digits() -> None:
    """A small weight on a small platform still reads as a number, not "0.00"."""
    because = {"kind": RowKind.BECAUSE_YOU_WATCHED, "source_name": "Dark", "similarity": 0.0042}
    assert describe(because) == "like Dark (similarity 0.0042)"
    assert describe({**because, "similarity": 0.5}) == "like Dark (similarity 0.5)"
    picks = {"kind": RowKind.TOP_PICKS, "model": "ease", "score": 1.12049}
    assert describe(picks) == "ease score 1.12"
    assert describe({**picks, "score": 0.000123}) == "ease score 0.000123"


def test_a_member_with_ratings_only_gets_a_page_from_them(warehouse: Warehouse, home: Path) -> None:
    """MovieLens in the warehouse: films, ratings, no viewing and no countries. The page is built
    from the member's ratings (read as finished plays, as training reads them): the rated films
    are neither shown again nor "continued", "Because you rated" names a rated film, and there
    are no country rows (nothing to rank)."""
    w = World()
    for t in range(1, 7):
        w.film(t, f"Film {t}", runtime=6000)
    w.write(warehouse)
    # Members 1-4 rate films 1, 2 and 3 together; member 5 rates films 4, 5, 6 together.
    rated = [(m, t) for m in (1, 2, 3, 4) for t in (1, 2, 3)] + [(5, t) for t in (4, 5, 6)]
    rated += [(9, 1)]  # the member whose page we read: film 1 only
    for k, (m, t) in enumerate(rated):
        warehouse.duck.execute(
            "INSERT INTO ratings VALUES (?, ?, ?, 4.0, ?, 'test')", [k + 1, m, t, AS_OF - DAY]
        )
    model = train(warehouse, "tinycos", as_of=AS_OF, models_dir=home / "m", models=MODELS)
    rows = home_rows(9, warehouse=warehouse, trained=model, as_of=AS_OF, options=OPTS)
    kinds = {r.kind for r in rows}
    assert RowKind.TOP10_COUNTRY not in kinds and RowKind.CONTINUE_WATCHING not in kinds
    because = [r for r in rows if r.kind == RowKind.BECAUSE_YOU_WATCHED]
    assert because and because[0].title == "Because you rated Film 1"  # rated, not watched
    assert because[0].items[0].reason["source_from"] == "rating"
    assert [it.item_id for it in because[0].items][:2] in ([2, 3], [3, 2])
    shown = {it.item_id for r in rows for it in r.items}
    assert 1 not in shown and {2, 3} <= shown


def test_the_member_row_takes_the_models_half_life(trained: TrainedModel) -> None:
    from dataclasses import replace

    from bingewise.recommend.interactions import ConfidenceParams
    from bingewise.recommend.rows import _member_params

    page_params = ConfidenceParams(half_life_days=30.0, rewatch_weight=0.25)
    assert _member_params(page_params, replace(trained, half_life_days=None)) == page_params
    flat = _member_params(page_params, replace(trained, half_life_days=0.0))
    assert flat == ConfidenceParams(half_life_days=0.0, rewatch_weight=0.25) and not flat.decays()


def test_a_few_seconds_name_no_because_row(tmp_path: Path) -> None:
    """A title played for 10 s of 6,000 (0.17 %, started by mistake) is not "watched": the
    Because rows name the titles before it; a rating still names its title."""
    w = platform()
    w.watch(FOCAL, HEAT, AS_OF - HOUR, 10)  # the most recent play of the focal member
    store = w.write(Warehouse.open(tmp_path / "w.duckdb"))
    model = train(store, "tinycos", as_of=AS_OF, models_dir=tmp_path / "m", models=MODELS)
    rows = home_rows(FOCAL, warehouse=store, trained=model, as_of=AS_OF, options=OPTS)
    because = [r.title for r in rows if r.kind == RowKind.BECAUSE_YOU_WATCHED]
    assert because and "Because you watched Heat" not in because
    assert because[0] == "Because you watched Narcos"
    loose = dataclasses.replace(OPTS, min_resume_share=0.0)
    rows = home_rows(FOCAL, warehouse=store, trained=model, as_of=AS_OF, options=loose)
    assert next(r.title for r in rows if r.kind == RowKind.BECAUSE_YOU_WATCHED) == (
        "Because you watched Heat"
    )
    store.close()


def test_popularity_makes_no_because_row_and_picks_need_evidence(
    store: Warehouse, trained: TrainedModel, tmp_path: Path
) -> None:
    """Popularity's "similar" titles are the popular ones whatever the source: no Because rows
    from it. Top picks and the model's genre rows show only titles with a positive score."""
    popular = train(store, "popular", as_of=AS_OF, models_dir=tmp_path / "m")
    rows = home_rows(FOCAL, warehouse=store, trained=popular, as_of=AS_OF, options=OPTS)
    kinds = {r.kind for r in rows}
    assert RowKind.BECAUSE_YOU_WATCHED not in kinds and RowKind.TOP_PICKS in kinds
    for model in (trained, popular):
        rows = home_rows(FOCAL, warehouse=store, trained=model, as_of=AS_OF, options=OPTS)
        scored = [it.reason["score"] for r in rows for it in r.items if "score" in it.reason]
        assert scored and min(scored) > 0


def test_next_episode_of_a_limited_series_reads_without_a_season() -> None:
    reason = {"kind": "next_episode", "series_id": 1, "season": None, "episode": 3}
    assert describe(reason) == "next: episode 3"
    assert describe({**reason, "season": 2}) == "next: season 2, episode 3"
    assert describe({**reason, "episode": None}) == "next episode"


def test_time_aware_models_train_and_score_with_the_times(warehouse: Warehouse, home: Path) -> None:
    """``train`` gives a model that reads times (time-popular) the times of the interactions,
    and the page scores the member with the times of their own history: a member active a year
    ago gets what was taken around then, not the platform's all-time popularity (which the
    model falls back to without times, for everyone alike, whatever their history).
    Every other member also took film 10 when they took the others (the picks of a personalized
    model need members who took them with one of the member's titles)."""
    w = World()
    old_films, new_films = [11, 12], [21, 22]
    for t in [10, *old_films, *new_films]:
        w.film(t, f"Film {t}", runtime=6000)
    # Three members took films 11 and 12 a year ago; six took films 21 and 22 last week.
    for m in (1, 2, 3):
        w.member(m)
        for t in [10, *old_films]:
            w.watch(m, t, AS_OF - 365 * DAY + m * HOUR, 6000)
    for m in (4, 5, 6, 7, 8, 9):
        w.member(m)
        for t in [10, *new_films]:
            w.watch(m, t, AS_OF - 7 * DAY + m * HOUR, 6000)
    w.member(30)  # the page's member: film 10 only, a year ago
    w.watch(30, 10, AS_OF - 365 * DAY, 6000)
    w.write(warehouse)
    model = train(warehouse, "time-popular", as_of=AS_OF, models_dir=home / "m")
    only_picks = dataclasses.replace(OPTS, because_rows=0, genre_rows=0, row_length=4)
    rows = home_rows(30, warehouse=warehouse, trained=model, as_of=AS_OF, options=only_picks)
    picks = [it.item_id for r in rows if r.kind == RowKind.TOP_PICKS for it in r.items]
    # Brute force (sigma = 100 days): films 11 and 12 weigh 3 near the member's day; films 21 and
    # 22 weigh 6 * exp(-358 / 100) = 0.17 there.
    assert picks[:2] in ([11, 12], [12, 11]) and set(picks[2:]) <= set(new_films)


def test_a_clip_played_last_is_neither_resumed_nor_hides_the_next_episode(
    warehouse: Warehouse,
) -> None:
    """A clip catalogued as an unnumbered episode (not in the series' running order) and played
    without a supplemental flag, after the member finished episode 2: Continue watching does
    not offer the clip, and Next episode is still season 2's first episode."""
    w = World()
    ep1, ep2, clip, s2e1 = BIG + 1001, BIG + 1002, BIG + 1009, BIG + 1021
    w.series(DARK, "Dark", [(ep1, 1, 1), (ep2, 1, 2), (clip, 1, None), (s2e1, 2, 1)])  # type: ignore[list-item]
    w.member(7)
    w.watch(7, ep1, AS_OF - 5 * DAY, 3000)
    w.watch(7, ep2, AS_OF - 4 * DAY, 3000)
    w.watch(7, clip, AS_OF - 4 * DAY + HOUR, 600)  # 20 % of the runtime
    w.write(warehouse)
    rows = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    by_kind = {r.kind: [it.title_id for it in r.items] for r in rows}
    assert RowKind.CONTINUE_WATCHING not in by_kind
    assert by_kind[RowKind.NEXT_EPISODE] == [s2e1]


def test_an_event_dated_in_the_future_does_not_move_now(warehouse: Warehouse) -> None:
    """The page's default "now" is the latest event, but never later than the clock: one event
    a device dated 2099 must not empty every country's Top 10 (their windows would end in 2099)
    nor enter anyone's history."""
    w = World()
    w.film(ROMA, "Roma")
    w.film(COCO, "Coco")
    for m in (11, 12, 13):
        w.member(m)
        w.watch(m, ROMA, AS_OF - 2 * HOUR, 6000)
    w.member(NEWCOMER)
    w.watch(11, COCO, dt.datetime(2099, 1, 1), 3000)  # a wrong device clock
    w.write(warehouse)
    rows = home_rows(NEWCOMER, warehouse=warehouse, trained=None, options=OPTS)
    today = [
        r for r in rows if r.kind == RowKind.TOP10_COUNTRY and r.items[0].reason["window"] == "24h"
    ]
    assert [it.item_id for r in today for it in r.items] == [ROMA]
    mine = home_rows(11, warehouse=warehouse, trained=None, options=OPTS)
    assert RowKind.CONTINUE_WATCHING not in {r.kind for r in mine}  # Coco's play is not history


def test_titles_print_as_they_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalog title holding square brackets is text, not terminal markup: "[/x]" made the
    terminal page fail, and "[b]...[/b]" lost its brackets."""
    reason = {"kind": RowKind.TOP_PICKS, "model": "ease", "score": 0.5}
    rows = [
        Row(
            RowKind.TOP_PICKS,
            "Because you watched [b]Heat[/b]",
            [
                RowItem(1, None, "Foo [/x] bar", reason),
                RowItem(2, None, "[red]Alert[/red]", reason),
            ],
        )
    ]
    print_rows(rows)
    printed = capsys.readouterr().out
    for text in ("Because you watched [b]Heat[/b]", "Foo [/x] bar", "[red]Alert[/red]"):
        assert text in printed


def test_a_finished_clip_does_not_finish_its_series(warehouse: Warehouse) -> None:
    """A series is finished when every episode in its running order is: a clip catalogued as an
    unnumbered episode, watched to the end, is no episode, and must not stand in for the one
    the member has yet to watch (the series was hidden, its Next episode with it)."""
    w = World()
    ep1, ep2, clip, ep3 = BIG + 1001, BIG + 1002, BIG + 1009, BIG + 1003
    w.series(DARK, "Dark", [(ep1, 1, 1), (ep2, 1, 2), (clip, 1, None), (ep3, 1, 3)])  # type: ignore[list-item]
    w.member(7)
    w.watch(7, ep1, AS_OF - 5 * DAY, 3000)
    w.watch(7, clip, AS_OF - 5 * DAY + 2 * HOUR, 3000)
    w.watch(7, ep2, AS_OF - 4 * DAY, 3000)
    w.write(warehouse)
    rows = home_rows(7, warehouse=warehouse, trained=None, as_of=AS_OF, country="MX")
    nxt = [it.title_id for r in rows if r.kind == RowKind.NEXT_EPISODE for it in r.items]
    assert nxt == [ep3]
