"""A model's picks need as many counted viewers as the country rankings
(``RowOptions.min_viewers``): a popularity model's are a platform ranking, and a personalized
model's would otherwise tell a member what one or two others watched. Members who withdrew
their consent to statistics are not counted, even when the model was trained before they
withdrew."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_rows_world import AS_OF, DAY, World

from bingewise.privacy.consent import Purpose, record_consent
from bingewise.recommend.rows import Row, RowKind, RowOptions, home_rows, viewing_withheld
from bingewise.recommend.train import TrainedModel, load_trained, train
from bingewise.registry import Registry
from bingewise.warehouse import Warehouse

FOCAL = 1
HITS = {10: 14, 11: 12}  #: film -> viewers (enough)
EDGE = 12  #: exactly ten viewers
RARE = {13: 1, 14: 2}  #: one or two viewers
EDGE_VIEWERS = list(range(300, 310))


def world() -> World:
    """Films watched long ago (outside every country window: only the model ranks them) by
    distinct members; the focal member watched only film 20. Every film is a Drama."""
    w = World()
    for film in [*HITS, EDGE, *RARE, 20]:
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, 20, AS_OF - 60 * DAY, 6000)
    next_member = 100
    for film, n in {**HITS, **RARE}.items():
        for _ in range(n):
            w.member(next_member)
            w.watch(next_member, film, AS_OF - 60 * DAY, 6000)
            next_member += 1
    for m in EDGE_VIEWERS:
        w.member(m)
        w.watch(m, EDGE, AS_OF - 60 * DAY, 6000)
    return w


@pytest.fixture
def store(home: Path) -> Warehouse:
    wh = Warehouse.open(home / "warehouse.duckdb")
    world().write(wh)
    return wh


def _non_personalized_picks(rows: list[Row]) -> set[int]:
    """Items the model placed: Top picks and the model's genre rows."""
    return {
        it.item_id
        for r in rows
        for it in r.items
        if r.kind == RowKind.TOP_PICKS or it.reason.get("basis") == "model"
    }


def _page(store: Warehouse, model: TrainedModel, **kw: object) -> list[Row]:
    return home_rows(FOCAL, warehouse=store, trained=model, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def test_popular_picks_need_min_viewers(store: Warehouse, registry: Registry) -> None:
    """Brute force: a title is picked iff at least ``min_viewers`` distinct members watched it."""
    popular = train(store, "popular", as_of=AS_OF, registry=registry)
    assert popular.item_viewers is not None
    viewers = dict(zip(popular.item_ids.tolist(), popular.item_viewers.tolist(), strict=True))
    assert viewers == {**HITS, EDGE: 10, **RARE, 20: 1}
    rows = _page(store, popular)
    assert RowKind.TOP_PICKS in {r.kind for r in rows}
    assert _non_personalized_picks(rows) == {*HITS, EDGE}
    for minimum in (1, 2, 11, 13, 15):
        got = _non_personalized_picks(
            _page(store, popular, options=RowOptions(min_viewers=minimum))
        )
        expected = {i for i, n in {**HITS, EDGE: 10, **RARE}.items() if n >= minimum}
        assert got == expected, minimum


@pytest.mark.parametrize("purpose", [Purpose.STATISTICS, Purpose.PERSONALIZATION])
def test_members_without_consent_are_not_counted(
    store: Warehouse, registry: Registry, purpose: Purpose
) -> None:
    """Trained before one of film 12's ten viewers withdrew statistics or personalization (the
    training purposes): the page does not count them, so film 12 has nine counted viewers and
    leaves the picks; retrained, it is not learnt at all."""
    popular = train(store, "popular", as_of=AS_OF, registry=registry)
    record_consent(registry, EDGE_VIEWERS[0], purpose, False, source="web")
    uncounted = viewing_withheld(registry)
    rows = _page(store, popular, uncounted=uncounted)
    assert _non_personalized_picks(rows) == set(HITS)
    retrained = train(store, "popular", as_of=AS_OF, registry=registry)
    assert retrained.item_viewers is not None
    at = retrained.positions(np.array([EDGE]))[0]
    assert retrained.item_viewers[at] == 9
    assert _non_personalized_picks(_page(store, retrained, uncounted=uncounted)) == set(HITS)


def personal_world() -> World:
    """The focal member watched film 20. Twelve others watched 20 and film 31; one other
    watched 20 and film 30 (and nobody else did): a personalized model links both to 20."""
    w = World()
    for film in (20, 30, 31):
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, 20, AS_OF - 60 * DAY, 6000)
    for m in range(200, 212):
        w.member(m)
        w.watch(m, 20, AS_OF - 61 * DAY, 6000)
        w.watch(m, 31, AS_OF - 60 * DAY, 6000)
    w.member(250)
    w.watch(250, 20, AS_OF - 61 * DAY, 6000)
    w.watch(250, 30, AS_OF - 60 * DAY, 6000)
    return w


def _shown(rows: list[Row]) -> set[int]:
    return {it.item_id for r in rows for it in r.items}


@pytest.mark.parametrize("kind", ["itemknn", "ease"])
def test_personalized_models_show_no_title_too_few_members_took(
    home: Path, registry: Registry, kind: str
) -> None:
    """A title one other member watched, offered as "Because you watched 20" or as a pick,
    tells the focal member what that one person watched: every model's rows need
    ``min_viewers`` counted viewers per title, as the country rankings do."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    personal_world().write(wh)
    model = train(wh, kind, as_of=AS_OF, registry=registry)
    assert type(model.model).personalized
    loose = _page(wh, model, options=RowOptions(min_viewers=1))
    assert {30, 31} <= _shown(loose)  # the model does link both to film 20
    assert _shown(_page(wh, model)) & {30, 31} == {31}
    # One of film 31's twelve viewers withdraws: eleven counted, still shown; at twelve, not.
    record_consent(registry, 200, Purpose.STATISTICS, False, source="web")
    withheld = viewing_withheld(registry)
    assert 31 in _shown(_page(wh, model, uncounted=withheld))
    strict = RowOptions(min_viewers=12)
    assert 31 not in _shown(_page(wh, model, options=strict, uncounted=withheld))


def test_a_model_file_without_viewer_counts_shows_no_popular_picks(
    store: Warehouse, registry: Registry, home: Path
) -> None:
    """A popularity model saved before viewer counts were kept cannot show that its titles
    have enough viewers: its picks are left out until it is retrained."""
    train(store, "popular", as_of=AS_OF, registry=registry)
    ids_path = home / "models" / "popular.ids.npz"
    with np.load(ids_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "item_viewers"}
    np.savez(ids_path, **arrays)  # type: ignore[arg-type]
    old = load_trained("popular")
    assert old.item_viewers is None
    assert _non_personalized_picks(_page(store, old)) == set()


X, PAIRED, LONE = 20, 31, 40  #: the source, a title taken with it by many, by one
PAIR_TAKERS = list(range(400, 410))  #: took X and PAIRED: exactly ten
PAIRED_ONLY = list(range(420, 425))  #: took PAIRED alone
LONE_TAKER = 450  #: the one member who took X and LONE
LONE_ONLY = list(range(460, 471))  #: took LONE alone: LONE has twelve viewers


def pair_world() -> World:
    """Film 40 has twelve viewers (enough for the item minimum) but only member 450 took both
    film 20 and film 40; film 31 has fifteen viewers, ten of whom also took film 20."""
    w = World()
    for film in (X, PAIRED, LONE):
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, X, AS_OF - 60 * DAY, 6000)
    for m in PAIR_TAKERS:
        w.member(m)
        w.watch(m, X, AS_OF - 61 * DAY, 6000)
        w.watch(m, PAIRED, AS_OF - 60 * DAY, 6000)
    w.member(LONE_TAKER)
    w.watch(LONE_TAKER, X, AS_OF - 61 * DAY, 6000)
    w.watch(LONE_TAKER, LONE, AS_OF - 60 * DAY, 6000)
    for m in [*PAIRED_ONLY, *LONE_ONLY]:
        w.member(m)
        w.watch(m, PAIRED if m in PAIRED_ONLY else LONE, AS_OF - 60 * DAY, 6000)
    return w


def _because(rows: list[Row]) -> set[int]:
    return {it.item_id for r in rows if r.kind == RowKind.BECAUSE_YOU_WATCHED for it in r.items}


@pytest.mark.parametrize("kind", ["itemknn", "ease"])
def test_because_you_watched_needs_min_viewers_who_took_both(
    home: Path, registry: Registry, kind: str
) -> None:
    """A row "Because you watched 20: 40" tells the reader that somebody who watched 20 watched 40;
    with one such member, it tells what that member watched, however many watched 40 alone.
    A pair is shown only when ``min_viewers`` counted members took both; a member who withdrew
    their consent after the training is not counted."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    pair_world().write(wh)
    model = train(wh, kind, as_of=AS_OF, registry=registry)
    assert model.item_viewers is not None
    viewers = dict(zip(model.item_ids.tolist(), model.item_viewers.tolist(), strict=True))
    assert viewers[LONE] == 12 and viewers[PAIRED] == 15  # both pass the item minimum
    assert _because(_page(wh, model, options=RowOptions(min_viewers=1))) == {PAIRED, LONE}
    assert _because(_page(wh, model)) == {PAIRED}
    assert _because(_page(wh, load_trained(kind))) == {PAIRED}  # kept in the model store
    # A co-taker of 20 and 31 withdraws: nine counted pairs, though 31 keeps fourteen viewers.
    record_consent(registry, PAIR_TAKERS[0], Purpose.STATISTICS, False, source="web")
    withheld = viewing_withheld(registry)
    assert _because(_page(wh, model, uncounted=withheld)) == set()
    assert _because(_page(wh, model, options=RowOptions(min_viewers=9), uncounted=withheld)) == {
        PAIRED
    }


def test_a_model_file_without_pair_counts_shows_no_model_rows(
    home: Path, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    """A personalized model saved before pair counts were kept cannot show that a neighbour
    or a pick was taken with the member's titles by enough members: no "Because you watched"
    rows, Top picks or model genre rows until it is retrained."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    pair_world().write(wh)
    train(wh, "ease", as_of=AS_OF, registry=registry)
    kept = _page(wh, load_trained("ease"), options=RowOptions(min_viewers=1, because_rows=0))
    assert _model_picks(kept) == {PAIRED, LONE}  # with its counts, the model picks both
    ids_path = home / "models" / "ease.ids.npz"
    with np.load(ids_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if not k.startswith("pair_viewers")}
    assert len(arrays) < len(np.load(ids_path).files)
    np.savez(ids_path, **arrays)  # type: ignore[arg-type]
    old = load_trained("ease")
    assert old.pair_viewers is None
    rows = _page(wh, old, options=RowOptions(min_viewers=1))
    assert _because(rows) == set()
    assert _model_picks(rows) == set()
    assert RowKind.TOP_PICKS not in {r.kind for r in rows}
    assert "keeps no pair counts" in caplog.text


def _model_picks(rows: list[Row]) -> set[int]:
    """Items a model placed by the member's scores: Top picks and the model's genre rows."""
    return {
        it.item_id
        for r in rows
        for it in r.items
        if r.kind == RowKind.TOP_PICKS or it.reason.get("basis") == "model"
    }


@pytest.mark.parametrize("kind", ["itemknn", "ease"])
def test_top_picks_and_genre_rows_need_min_viewers_who_took_both(
    home: Path, registry: Registry, kind: str
) -> None:
    """A member whose history is film 20 alone gets 20's neighbours as picks, as "Because you
    watched 20" would show them: film 40, with twelve viewers but one member who took it with
    20, would tell what that member watched. A pick needs ``min_viewers`` counted members who
    took it with one of the member's titles (the Because rows left out, so that each title
    is free for the picks). Oracle: the pairs counted by hand in :func:`pair_world`."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    pair_world().write(wh)
    model = train(wh, kind, as_of=AS_OF, registry=registry)
    assert type(model.model).personalized
    both = {PAIRED: len(PAIR_TAKERS), LONE: 1}
    viewers = {PAIRED: len(PAIR_TAKERS) + len(PAIRED_ONLY), LONE: 1 + len(LONE_ONLY)}
    for minimum in (1, 2, 10, 11):
        # one title a row: Top picks takes the best, the genre row what is left
        opts = RowOptions(min_viewers=minimum, because_rows=0, row_length=1)
        expected = {y for y in both if both[y] >= minimum and viewers[y] >= minimum}
        assert _model_picks(_page(wh, model, options=opts)) == expected, minimum
    loose = _page(wh, model, options=RowOptions(min_viewers=1, because_rows=0, row_length=1))
    by_kind = {r.kind: {it.item_id for it in r.items} for r in loose}
    assert by_kind[RowKind.TOP_PICKS] | by_kind[RowKind.GENRE] == {PAIRED, LONE}
    rows = _page(wh, model, options=RowOptions(because_rows=0, row_length=1))
    assert RowKind.TOP_PICKS in {r.kind for r in rows}
    assert LONE not in _shown(rows)
    # A co-taker of 20 and 31 withdraws after the training: nine counted pairs, no pick.
    record_consent(registry, PAIR_TAKERS[0], Purpose.STATISTICS, False, source="web")
    withheld = viewing_withheld(registry)
    assert (
        _model_picks(_page(wh, model, options=RowOptions(because_rows=0), uncounted=withheld))
        == set()
    )
    nine = RowOptions(min_viewers=9, because_rows=0)
    assert _model_picks(_page(wh, model, options=nine, uncounted=withheld)) == {PAIRED}


A, B, SPLIT, WITH_A = 50, 51, 52, 53  #: the member's two titles; one taken with each by few
SPLIT_WITH_A = list(range(500, 506))  #: took A and SPLIT
SPLIT_WITH_B = list(range(510, 516))  #: took B and SPLIT: twelve co-takers in all, six a pair
WITH_A_TAKERS = list(range(520, 530))  #: took A and WITH_A: ten


def split_world() -> World:
    """The focal member took films 50 and 51. Film 52 was taken with 50 by six members and
    with 51 by six others (twelve viewers, no pair reaches ten); film 53 with 50 by ten."""
    w = World()
    for film in (A, B, SPLIT, WITH_A):
        w.film(film, f"Film {film}", genres="Drama")
    w.member(FOCAL)
    w.watch(FOCAL, A, AS_OF - 61 * DAY, 6000)
    w.watch(FOCAL, B, AS_OF - 60 * DAY, 6000)
    for members, source, target in (
        (SPLIT_WITH_A, A, SPLIT),
        (SPLIT_WITH_B, B, SPLIT),
        (WITH_A_TAKERS, A, WITH_A),
    ):
        for m in members:
            w.member(m)
            w.watch(m, source, AS_OF - 61 * DAY, 6000)
            w.watch(m, target, AS_OF - 60 * DAY, 6000)
    return w


@pytest.mark.parametrize("kind", ["itemknn", "ease"])
def test_the_pair_minimum_holds_for_one_pair_not_for_a_sum(
    home: Path, registry: Registry, kind: str
) -> None:
    """The rule reads each (member's title, pick) count on its own: six members link film 52
    to film 50 and six others to film 51; summed over the history they pass the minimum, but
    no one pair does (a pick needs one pair of the member's history with enough co-takers)."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    split_world().write(wh)
    model = train(wh, kind, as_of=AS_OF, registry=registry)
    assert model.pair_viewers is not None
    at = model.positions(np.array([A, B, SPLIT, WITH_A]))
    pairs = model.pair_viewers.toarray()
    assert pairs[at[0], at[2]] == 6 and pairs[at[1], at[2]] == 6 and pairs[at[0], at[3]] == 10
    loose = _page(wh, model, options=RowOptions(min_viewers=6, because_rows=0))
    assert _model_picks(loose) == {SPLIT, WITH_A}
    assert _model_picks(_page(wh, model, options=RowOptions(because_rows=0))) == {WITH_A}
    assert _model_picks(_page(wh, model, options=RowOptions(min_viewers=7, because_rows=0))) == {
        WITH_A
    }
