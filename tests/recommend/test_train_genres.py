"""Training gives session-ease the warehouse catalogue's genres and years; the home page scores
as trained and keeps the pair rule whatever the genre term adds."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from test_rows_world import AS_OF, DAY, platform

from bingewise.recommend import SessionEASE
from bingewise.recommend.interactions import build_interactions
from bingewise.recommend.rows import RowKind, RowOptions, home_rows
from bingewise.recommend.session_ease import genre_vectors
from bingewise.recommend.train import load_trained, train
from bingewise.schema import Catalog
from bingewise.warehouse import Warehouse


def _expected_genres(world_catalog: list[dict[str, object]]) -> dict[int, set[str]]:
    """Brute force: each item's genres (a series: those of all its episodes)."""
    out: dict[int, set[str]] = defaultdict(set)
    for c in world_catalog:
        item = int(c.get(Catalog.series_id) or c[Catalog.title_id])  # type: ignore[call-overload]
        out[item].update(str(c[Catalog.genres]).split("|"))
    return out


def test_train_gives_session_ease_the_catalogue_genres(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    world = platform()
    world.write(warehouse)
    model = SessionEASE(l2=5.0, feature_rows=10.0, feature_term=1.0)
    trained = train(warehouse, model, as_of=AS_OF, models_dir=tmp_path)
    expected = _expected_genres(world.catalog)
    names = sorted({g for gs in expected.values() for g in gs})
    incidence = np.array(
        [[g in expected[int(i)] for g in names] for i in trained.item_ids], dtype=np.float32
    )
    assert trained.model.genre_vectors is not None  # type: ignore[attr-defined]
    want = genre_vectors(sp.csr_matrix(incidence)).toarray()
    np.testing.assert_allclose(
        trained.model.genre_vectors.toarray(),  # type: ignore[attr-defined]
        want,
        atol=1e-6,
    )
    # Loaded from the store, it scores as trained.
    loaded = load_trained(models_dir=tmp_path)
    data = build_interactions(warehouse, as_of=AS_OF)
    x = data.interactions.matrix[:5]
    np.testing.assert_allclose(loaded.model.score(x), trained.model.score(x), rtol=1e-6)


def test_a_movielens_film_takes_the_year_of_its_title(warehouse: Warehouse, tmp_path: Path) -> None:
    """MovieLens ingest keeps the year in the title ("Heat (1995)"), not in release_date."""
    from bingewise.recommend.interactions import item_table
    from bingewise.recommend.train import catalog_features

    for title_id, title, genres in [(10, "Heat (1995)", "Crime"), (11, "Up", "Animation")]:
        warehouse.duck.execute(
            "INSERT INTO catalog (title_id, title, kind, genres) VALUES (?, ?, 'film', ?)",
            [title_id, title, genres],
        )
    for k, (member, title) in enumerate([(1, 10), (1, 11), (2, 10)]):
        warehouse.duck.execute(
            "INSERT INTO ratings VALUES (?, ?, ?, 4.0, ?, 'test')",
            [k + 1, member, title, AS_OF - (k + 1) * DAY],
        )
    f = catalog_features(item_table(warehouse), np.array([10, 11, 12]))
    assert f is not None
    np.testing.assert_array_equal(f.years, [1995.0, np.nan, np.nan])
    assert f.genres.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("term", [0.0, 50.0])
def test_the_genre_term_never_shows_a_pick_the_pair_rule_forbids(
    warehouse: Warehouse, tmp_path: Path, term: float
) -> None:
    """However much the genre term weighs, every Top pick and genre-row title is linked to one
    title of the member's history by enough members who took both (the pair counts kept)."""
    world = platform()
    world.write(warehouse)
    trained = train(
        warehouse, SessionEASE(l2=5.0, feature_term=term), as_of=AS_OF, models_dir=tmp_path
    )
    assert trained.pair_viewers is not None
    pairs = sp.csr_matrix(trained.pair_viewers)
    opts = RowOptions(row_length=3, because_rows=2, genre_rows=2, min_viewers=2)
    data = build_interactions(warehouse, as_of=AS_OF)
    column = {int(i): j for j, i in enumerate(trained.item_ids)}
    shown = 0
    for r, member in list(enumerate(data.interactions.member_ids))[:15]:
        history = data.interactions.matrix[r].indices
        page = home_rows(
            int(member), warehouse=warehouse, trained=trained, as_of=AS_OF, options=opts
        )
        for row in page:
            if row.kind not in (RowKind.TOP_PICKS, RowKind.GENRE):
                continue
            for item in row.items:
                y = column[item.item_id]
                both = np.maximum(pairs[history, y].toarray(), pairs[y, history].toarray().T)
                assert both.max() >= opts.min_viewers
                shown += 1
    assert shown > 0  # the rule is exercised, not vacuous


def test_erasure_rewrites_a_model_with_genre_vectors(warehouse: Warehouse, tmp_path: Path) -> None:
    """The genre vectors are an item-side sparse matrix (item positions, never member ids):
    erasing a member rewrites the model rather than deleting it, and it still loads."""
    from bingewise.privacy.erase import erase_from_model, model_groups

    platform().write(warehouse)
    model = SessionEASE(l2=5.0, feature_term=1.0)
    trained = train(warehouse, model, as_of=AS_OF, models_dir=tmp_path)
    member = int(trained.member_ids[0])
    paths = model_groups(tmp_path)["session-ease"]
    assert erase_from_model(paths, member, warehouse) == "rewritten"
    loaded = load_trained(models_dir=tmp_path)
    assert member not in loaded.member_ids.tolist()
    assert loaded.model.genre_vectors is not None  # type: ignore[attr-defined]
