"""Erasure and the counts a model keeps for the home page's privacy rule.

A trained model keeps ``item_viewers`` and ``pair_viewers`` next to its weights; the home page
shows a title, a "Because you watched" neighbour or a pick only with ``min_viewers`` counted
members behind it. An erased member's history is gone, so it cannot be subtracted when a page
is read: erasure takes them out of every saved model's counts at once, before the retraining
it queues. Oracle: the counts recomputed by training's own code on the members who remain.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from test_rows_popular_minimum import (
    FOCAL,
    PAIR_TAKERS,
    PAIRED,
    X,
    pair_world,
)
from test_rows_time_popular import FOCAL as TP_FOCAL
from test_rows_time_popular import LOCAL, LOCAL_NEAR, one_member_world
from test_rows_world import AS_OF, DAY, HOUR, World

from bingewise.config import get_settings
from bingewise.privacy.erase import erase_member, pending_retrains
from bingewise.recommend import TimePopular
from bingewise.recommend.interactions import ConfidenceParams, build_interactions
from bingewise.recommend.rows import Row, RowKind, RowOptions, home_rows
from bingewise.recommend.time_popular import day_counts
from bingewise.recommend.train import (
    TrainedModel,
    load_trained,
    model_store_lock,
    pair_viewers,
    train,
    viewers_per_item,
)
from bingewise.registry import Registry
from bingewise.schema import Ratings
from bingewise.warehouse import Warehouse


def _because(rows: list[Row]) -> set[int]:
    return {it.item_id for r in rows if r.kind == RowKind.BECAUSE_YOU_WATCHED for it in r.items}


def _model_picks(rows: list[Row]) -> set[int]:
    return {
        it.item_id
        for r in rows
        for it in r.items
        if r.kind == RowKind.TOP_PICKS or it.reason.get("basis") == "model"
    }


def _erase(registry: Registry, home: Path, member_id: int) -> None:
    erase_member(
        registry,
        member_id,
        actor="os:dpo",
        reason="erasure",
        warehouse_path=home / "warehouse.duckdb",
        models_dir=get_settings().models_dir,
    )


@pytest.mark.parametrize("kind", ["itemknn", "ease"])
def test_an_erased_tenth_co_taker_no_longer_counts(
    home: Path, registry: Registry, kind: str
) -> None:
    """Exactly ten members took film 20 and film 31: the focal member (who took 20) is shown
    31 as "Because you watched 20" and as a pick. One of the ten is erased: nine remain, and
    the row and the pick go at once, without retraining (the retraining stays queued)."""
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        pair_world().write(wh)
        train(wh, kind, as_of=AS_OF, registry=registry)
        before = load_trained(kind)
        assert _because(home_rows(FOCAL, warehouse=wh, trained=before, as_of=AS_OF)) == {PAIRED}
        picks_only = RowOptions(because_rows=0)
        shown = home_rows(FOCAL, warehouse=wh, trained=before, as_of=AS_OF, options=picks_only)
        assert _model_picks(shown) == {PAIRED}
    _erase(registry, home, PAIR_TAKERS[0])
    assert kind in pending_retrains(registry)
    after = load_trained(kind)
    assert PAIR_TAKERS[0] not in after.member_ids.tolist()
    with Warehouse.open(home / "warehouse.duckdb", read_only=True) as wh:
        assert _because(home_rows(FOCAL, warehouse=wh, trained=after, as_of=AS_OF)) == set()
        rows = home_rows(FOCAL, warehouse=wh, trained=after, as_of=AS_OF, options=picks_only)
        assert _model_picks(rows) == set()
        nine = RowOptions(min_viewers=9)
        assert _because(
            home_rows(FOCAL, warehouse=wh, trained=after, as_of=AS_OF, options=nine)
        ) == {PAIRED}
    assert after.pair_viewers is not None and after.item_viewers is not None
    at = after.positions(np.array([X, PAIRED]))
    pairs = after.pair_viewers.toarray()
    assert max(pairs[at[0], at[1]], pairs[at[1], at[0]]) == 9
    # Erasing again finds the member in no model: the counts are not taken down twice.
    _erase(registry, home, PAIR_TAKERS[0])
    again = load_trained(kind)
    assert again.pair_viewers is not None
    np.testing.assert_array_equal(again.pair_viewers.toarray(), pairs)


FILMS = list(range(10, 18))
SERIES = {900: [9001, 9002, 9003], 910: [9101, 9102]}
TRAILER = 19  #: a film of its own, watched only as a supplemental video by some


def random_world(seed: int) -> tuple[World, list[dict[str, object]]]:
    """Forty members, eight films, two series (episodes roll up), a trailer, plays of zero
    seconds that name a profile (no interaction) and dates-only plays (a whole title), some
    ratings, and plays after ``AS_OF`` (unseen by a model trained as of then). Returns the
    world and its ratings rows."""
    rng = np.random.default_rng(seed)
    w = World()
    for film in [*FILMS, TRAILER]:
        w.film(film, f"Film {film}")
    for sid, eps in SERIES.items():
        w.series(sid, f"Show {sid}", [(e, 1, n) for n, e in enumerate(eps, start=1)])
    titles = [*FILMS, *(e for eps in SERIES.values() for e in eps)]
    ratings: list[dict[str, object]] = []
    for m in range(100, 140):
        w.member(m)
        for t in rng.choice(titles, size=int(rng.integers(2, 9)), replace=False):
            start = AS_OF - int(rng.integers(1, 300)) * DAY + int(rng.integers(0, 20)) * HOUR
            kind = rng.random()
            if kind < 0.1:
                w.watch(m, int(t), start, 0, bookmark=0, profile="Main")  # 0 s: no interaction
            elif kind < 0.2:
                w.watch(m, int(t), start, 0, null_bookmark=True)  # a date of a history
            else:
                w.watch(m, int(t), start, int(rng.integers(60, 6000)))
        if rng.random() < 0.3:
            w.watch(m, TRAILER, AS_OF - 3 * DAY, 120, supplemental="TRAILER")
        if rng.random() < 0.3:
            w.watch(m, int(rng.choice(titles)), AS_OF + 2 * DAY, 3000)  # after the training
        if rng.random() < 0.25:
            ratings.append(
                {
                    Ratings.event_key: len(ratings) + 1,
                    Ratings.member_id: m,
                    Ratings.title_id: int(rng.choice(FILMS)),
                    Ratings.rating: 4.0,
                    Ratings.rated_utc: AS_OF - int(rng.integers(1, 100)) * DAY,
                    Ratings.source: "test",
                }
            )
    return w, ratings


@pytest.mark.parametrize("kind", ["ease", "itemknn", "popular"])
def test_counts_after_erasure_are_the_counts_of_the_members_who_remain(
    home: Path, registry: Registry, kind: str
) -> None:
    """Brute force: after erasing three members, the model's ``item_viewers`` and
    ``pair_viewers`` equal training's own counting (``build_interactions``,
    ``viewers_per_item``, ``pair_viewers`` with the same fitted model, so the same
    neighbours) run on the members who remain, as of the training."""
    trained = _trained_on_random_world(home, registry, kind, 7)
    erased = [int(m) for m in trained.member_ids[[0, 5, 17]]]
    for m in erased:
        _erase(registry, home, m)
    after = load_trained(kind)
    remaining = [int(m) for m in trained.member_ids if int(m) not in erased]
    assert after.member_ids.tolist() == remaining
    with Warehouse.open(home / "warehouse.duckdb", read_only=True) as wh:
        half_life = after.half_life_days if after.half_life_days is not None else 90.0
        x = build_interactions(
            wh,
            as_of=after.as_of,
            member_ids=remaining,
            item_ids=after.item_ids,
            params=dataclasses.replace(ConfidenceParams(), half_life_days=half_life),
        ).interactions.matrix
    assert after.item_viewers is not None and trained.item_viewers is not None
    np.testing.assert_array_equal(after.item_viewers, viewers_per_item(x))
    assert (after.item_viewers < trained.item_viewers).any()  # the erasure did take some away
    if trained.pair_viewers is None:
        assert after.pair_viewers is None
        return
    assert after.pair_viewers is not None
    expected = pair_viewers(after.model, x)
    np.testing.assert_array_equal(after.pair_viewers.toarray(), expected.toarray())
    assert after.pair_viewers.nnz == expected.nnz  # pairs no one remains behind are dropped
    assert after.pair_viewers.sum() < trained.pair_viewers.sum()


def _trained_on_random_world(home: Path, registry: Registry, kind: str, seed: int) -> TrainedModel:
    """``random_world(seed)`` with its ratings written to the warehouse, and ``kind`` trained on
    it as of ``AS_OF``."""
    world, ratings = random_world(seed)
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        world.write(wh)
        wh.duck.register("_incoming", pa.Table.from_pylist(ratings, schema=Ratings.arrow))
        wh.duck.execute(f'INSERT INTO "{Ratings.table}" SELECT * FROM _incoming')
        wh.duck.unregister("_incoming")
        return train(wh, kind, as_of=AS_OF, registry=registry)


def test_a_model_is_not_read_while_a_save_holds_the_store(home: Path, registry: Registry) -> None:
    """A save renames the model, then its id maps, holding the store's lock; a reader that
    looked in between would pair one run's model with another's maps. Here the files are
    left mismatched (another run's model) while the lock is held: a load started then waits
    for the lock and reads the pair as it stands once the lock is released."""
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        pair_world().write(wh)
        train(wh, "ease", as_of=AS_OF, registry=registry)
        folder = get_settings().models_dir
        model_path = folder / "ease.npz"
        first = model_path.read_bytes()
        train(wh, "ease", as_of=AS_OF - 30 * DAY, registry=registry)
    second = model_path.read_bytes()
    assert first != second
    results: list[object] = []

    def read() -> None:
        try:
            results.append(load_trained("ease"))
        except ValueError as exc:  # the maps of one run with the model of another
            results.append(exc)

    with model_store_lock(folder):
        model_path.write_bytes(first)  # as if a save were halfway through its renames
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(0.5)  # a reader that ignores the lock reads the mismatched pair now
        model_path.write_bytes(second)
    reader.join()
    assert len(results) == 1
    assert not isinstance(results[0], ValueError), results[0]


@pytest.mark.parametrize("kind", ["time-popular", "session-blend"])
def test_day_counts_after_erasure_are_those_of_the_members_who_remain(
    home: Path, registry: Registry, kind: str
) -> None:
    """Brute force: a time-local model's daily counts (title x day, what ``viewers_near`` and
    the scores read) and its per-title counts, after erasing three members, equal training's
    own counting (``build_interactions`` with its times, ``day_counts``) on the members who
    remain, day for day; the retraining stays queued."""
    trained = _trained_on_random_world(home, registry, kind, 11)
    erased = [int(m) for m in trained.member_ids[[1, 6, 20]]]
    for m in erased:
        _erase(registry, home, m)
    assert kind in pending_retrains(registry)
    after = load_trained(kind)
    remaining = [int(m) for m in trained.member_ids if int(m) not in erased]
    with Warehouse.open(home / "warehouse.duckdb", read_only=True) as wh:
        half_life = after.half_life_days if after.half_life_days is not None else 90.0
        data = build_interactions(
            wh,
            as_of=after.as_of,
            member_ids=remaining,
            item_ids=after.item_ids,
            params=dataclasses.replace(ConfidenceParams(), half_life_days=half_life),
        )
    assert data.times is not None
    expected, start = day_counts(data.interactions.matrix, data.times)
    before_part, part = trained.model.time_local(), after.model.time_local()
    assert isinstance(part, TimePopular) and isinstance(before_part, TimePopular)
    assert part.counts is not None and before_part.counts is not None
    assert part.popularity is not None and before_part.popularity is not None
    shift = round((start - part.start) / DAY.total_seconds())
    got = part.counts.toarray()
    assert got.shape[0] >= shift + expected.shape[0]
    np.testing.assert_array_equal(got[shift : shift + expected.shape[0]], expected.toarray())
    assert got[:shift].sum() == 0 and got[shift + expected.shape[0] :].sum() == 0
    assert part.counts.nnz == expected.nnz  # days left at 0 are dropped
    assert part.counts.sum() < before_part.counts.sum()  # the erasure did take some away
    np.testing.assert_array_equal(part.popularity, viewers_per_item(data.interactions.matrix))


def test_a_time_local_pick_whose_tenth_nearby_member_is_erased_goes_at_once(
    home: Path, registry: Registry
) -> None:
    """Exactly ten members took film 31 within 100 days of the member's time: time-popular
    picks it. One of the ten is erased: nine remain near, and the pick goes at once, without
    retraining (which stays queued); with a minimum of nine it is back."""
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        one_member_world().write(wh)
        train(wh, "time-popular", as_of=AS_OF, registry=registry)
        before = load_trained("time-popular")
        assert _model_picks(home_rows(TP_FOCAL, warehouse=wh, trained=before, as_of=AS_OF)) == {
            LOCAL
        }
    _erase(registry, home, LOCAL_NEAR[3])
    assert "time-popular" in pending_retrains(registry)
    after = load_trained("time-popular")
    with Warehouse.open(home / "warehouse.duckdb", read_only=True) as wh:
        assert _model_picks(home_rows(TP_FOCAL, warehouse=wh, trained=after, as_of=AS_OF)) == set()
        nine = RowOptions(min_viewers=9)
        rows = home_rows(TP_FOCAL, warehouse=wh, trained=after, as_of=AS_OF, options=nine)
        assert _model_picks(rows) == {LOCAL}
