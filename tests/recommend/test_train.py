"""The model store: train on the warehouse, save as .npz (no pickle), load back intact."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_rows_world import AS_OF, DAY, HOUR, MODELS, TinyCosine, World, platform

from bingewise.recommend.interactions import build_interactions, item_table
from bingewise.recommend.train import (
    CURRENT_FILE,
    TrainedModel,
    load_trained,
    pair_viewers,
    save_trained,
    train,
)
from bingewise.schema import Recs
from bingewise.warehouse import Warehouse


@pytest.fixture
def world(warehouse: Warehouse) -> Warehouse:
    return platform().write(warehouse)


def test_train_fits_on_viewing_interactions(world: Warehouse, tmp_path: Path) -> None:
    trained = train(world, "tinycos", as_of=AS_OF, models_dir=tmp_path, models=MODELS)
    data = build_interactions(world, as_of=AS_OF)
    oracle = TinyCosine().fit(data.interactions.matrix)
    assert isinstance(trained.model, TinyCosine)
    np.testing.assert_allclose(trained.model.sim, oracle.sim)
    assert np.array_equal(trained.member_ids, data.interactions.member_ids)
    assert np.array_equal(trained.item_ids, data.item_ids)
    names = item_table(world)[Recs.name]
    assert [str(n) for n in trained.names] == [names[int(i)] for i in trained.item_ids]
    assert "Dark" in set(trained.names)  # series are items, named by the series title
    assert trained.as_of == AS_OF


def test_round_trip_without_pickle(world: Warehouse, tmp_path: Path) -> None:
    trained = train(world, "tinycos", as_of=AS_OF, models_dir=tmp_path, models=MODELS)
    loaded = load_trained(models_dir=tmp_path, models=MODELS)  # current.json picks it
    assert json.loads((tmp_path / CURRENT_FILE).read_text()) == {"model": "tinycos"}
    assert isinstance(loaded.model, TinyCosine)
    np.testing.assert_array_equal(loaded.model.sim, trained.model.sim)
    for field in ("member_ids", "item_ids", "is_series", "names"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(trained, field))
    assert loaded.as_of == trained.as_of
    assert trained.pair_viewers is not None and loaded.pair_viewers is not None
    assert trained.pair_viewers.nnz > 0
    assert (loaded.pair_viewers != trained.pair_viewers).nnz == 0
    for path in tmp_path.glob("*.npz"):
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                assert data[key].dtype != object  # readable without pickle: no code inside
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_refuses_maps_of_another_run(world: Warehouse, tmp_path: Path) -> None:
    train(world, "tinycos", as_of=AS_OF, models_dir=tmp_path, models=MODELS)
    shutil.copy(tmp_path / "tinycos.ids.npz", tmp_path / "old.ids")
    train(world, "tinycos", as_of=AS_OF - 3 * DAY, models_dir=tmp_path, models=MODELS)
    shutil.copy(tmp_path / "old.ids", tmp_path / "tinycos.ids.npz")
    with pytest.raises(ValueError, match="another training run") as caught:
        load_trained("tinycos", models_dir=tmp_path, models=MODELS)
    # a training stopped between its two renames leaves such a pair: the error says what to do
    assert "run `bingewise train --model tinycos` again" in str(caught.value)


def test_two_saves_at_once_leave_a_model_with_its_own_id_maps(
    world: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two trainings of the same model saving at once (both model files written before either
    is renamed) each use their own temporary files: both saves succeed, and the store holds one
    run's model with that same run's id maps, and no temporary file."""
    store = tmp_path / "store"
    runs = [
        train(
            world,
            "tinycos",
            as_of=AS_OF - days * DAY,
            models_dir=tmp_path / str(days),
            models=MODELS,
        )
        for days in (0, 3)
    ]
    assert not np.array_equal(runs[0].model.sim, runs[1].model.sim)  # told apart below
    both_written = threading.Barrier(len(runs), timeout=30)
    for run in runs:
        write = run.model.save

        def save_then_wait(path: str | Path, write: Callable[[str | Path], None] = write) -> None:
            write(path)
            both_written.wait()  # the other run has written its model file too

        monkeypatch.setattr(run.model, "save", save_then_wait)
    failures: list[BaseException] = []

    def save(run: TrainedModel) -> None:
        try:
            save_trained(run, store)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    loaded = load_trained("tinycos", models_dir=store, models=MODELS)
    assert isinstance(loaded.model, TinyCosine)
    (run,) = [r for r in runs if np.array_equal(r.model.sim, loaded.model.sim)]
    assert loaded.as_of == run.as_of
    for field in ("member_ids", "item_ids", "is_series", "names"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(run, field))
    assert sorted(p.name for p in store.iterdir()) == [
        CURRENT_FILE,
        "tinycos.ids.npz",
        "tinycos.npz",
    ]


def test_a_failed_save_leaves_no_temporary_files(
    world: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that fails (disk full, killed model writer) removes its temporary files and
    keeps the model saved before, still whole."""
    store = tmp_path / "store"
    trained = train(world, "tinycos", as_of=AS_OF, models_dir=store, models=MODELS)
    before = sorted((p.name, p.read_bytes()) for p in store.iterdir())
    write = trained.model.save

    def write_half_then_fail(path: str | Path) -> None:
        write(path)
        raise OSError("no space left on device")

    monkeypatch.setattr(trained.model, "save", write_half_then_fail)
    with pytest.raises(OSError, match="no space left"):
        save_trained(trained, store)
    assert sorted((p.name, p.read_bytes()) for p in store.iterdir()) == before
    assert load_trained(models_dir=store, models=MODELS).as_of == AS_OF


def test_missing_model_says_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="bingewise train"):
        load_trained(models_dir=tmp_path, models=MODELS)
    with pytest.raises(FileNotFoundError, match="bingewise train --model tinycos"):
        load_trained("tinycos", models_dir=tmp_path, models=MODELS)


def test_unknown_model_is_named(world: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="nope"):
        train(world, "nope", models_dir=tmp_path, models=MODELS)


def test_default_store_is_settings_models_dir(world: Warehouse, home: Path) -> None:
    train(world, "tinycos", as_of=AS_OF, models=MODELS)
    assert (home / "models" / "tinycos.npz").exists()
    assert load_trained(models=MODELS).name == "tinycos"


def test_trains_on_ratings_alone_and_refuses_an_empty_warehouse(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A MovieLens warehouse (ratings, no viewing) trains; an empty one says there is nothing."""
    with pytest.raises(LookupError, match="nothing to train on"):
        train(warehouse, "tinycos", models_dir=tmp_path, models=MODELS)
    for k, (member, title) in enumerate([(1, 10), (1, 11), (2, 10), (2, 11), (3, 11)]):
        warehouse.duck.execute(
            "INSERT INTO ratings VALUES (?, ?, ?, 4.0, ?, 'test')",
            [k + 1, member, title, AS_OF - (k + 1) * DAY],
        )
    trained = train(warehouse, "tinycos", models_dir=tmp_path, models=MODELS)
    assert trained.member_ids.tolist() == [1, 2, 3] and trained.item_ids.tolist() == [10, 11]
    assert trained.as_of == AS_OF - DAY + dt.timedelta(microseconds=1)


def test_faded_share_counts_old_interactions_not_weak_ones(
    warehouse: Warehouse, home: Path
) -> None:
    """The note's share is of interactions six half-lives old: a recent 30-second sample or a
    0-second segment of a detailed export weighs little (or nothing) but is not old."""
    w = World()
    for film in (10, 11, 12, 13):
        w.film(film, f"Film {film}", runtime=6000)
    for member in (1, 2):
        w.member(member, "MX")
        w.watch(member, 10, AS_OF - HOUR, 30)  # log2(1 + 30 / 6000): under 1/64, yesterday
        w.watch(member, 11, AS_OF - 2 * HOUR, 0, profile="Ana")  # nothing watched: 0
        w.watch(member, 12, AS_OF - 3 * HOUR, 6000)
    w.watch(1, 13, AS_OF - 600 * DAY, 6000)  # six half-lives and more: the one old interaction
    w.write(warehouse)
    trained = train(warehouse, "tinycos", as_of=AS_OF, models_dir=home / "a", models=MODELS)
    assert trained.faded_share == pytest.approx(1 / 7)


def test_half_life_is_kept_with_the_model_and_old_data_gets_a_note(
    warehouse: Warehouse, home: Path
) -> None:
    """Years of ratings under a 90-day half-life weigh next to nothing: `train` says so, and
    `--half-life-days 0` weighs them all alike; the model keeps its half-life for the page."""
    from typer.testing import CliRunner

    from bingewise.cli import app
    from bingewise.recommend.interactions import ConfidenceParams

    for k, (member, title, days) in enumerate(
        [(1, 10, 3000), (1, 11, 3000), (2, 10, 2000), (2, 11, 2000), (3, 11, 1)]
    ):
        warehouse.duck.execute(
            "INSERT INTO ratings VALUES (?, ?, ?, 4.0, ?, 'test')",
            [k + 1, member, title, AS_OF - days * DAY],
        )
    decayed = train(warehouse, "tinycos", models_dir=home / "a", models=MODELS)
    assert decayed.half_life_days == 90.0 and decayed.faded_share == pytest.approx(0.8)
    flat = train(
        warehouse,
        "tinycos",
        models_dir=home / "b",
        models=MODELS,
        params=ConfidenceParams(half_life_days=0),
    )
    assert flat.half_life_days == 0.0 and flat.faded_share == 0.0
    assert load_trained(models_dir=home / "b", models=MODELS).half_life_days == 0.0
    data = build_interactions(warehouse, params=ConfidenceParams(half_life_days=0))
    assert sorted(set(data.interactions.matrix.data.tolist())) == [1.0]  # log2(1 + 1), no decay
    warehouse.close()
    runner = CliRunner()
    done = runner.invoke(app, ["train", "--model", "ease"])
    assert done.exit_code == 0, done.output
    assert "note: 80% of the interactions are six half-lives (540 days)" in " ".join(
        done.output.split()
    )
    done = runner.invoke(app, ["train", "--model", "ease", "--half-life-days", "0"])
    assert done.exit_code == 0 and "note:" not in done.output
    assert runner.invoke(app, ["train", "--half-life-days", "-1"]).exit_code == 2


def test_a_model_file_without_a_half_life_loads_with_none(world: Warehouse, tmp_path: Path) -> None:
    train(world, "tinycos", as_of=AS_OF, models_dir=tmp_path, models=MODELS)
    ids = tmp_path / "tinycos.ids.npz"
    with np.load(ids, allow_pickle=False) as f:
        kept = {k: f[k] for k in f.files if k != "half_life_days"}
    np.savez(ids, **kept)  # as written before the half-life was kept
    assert load_trained(models_dir=tmp_path, models=MODELS).half_life_days is None


def test_train_max_titles_keeps_the_most_watched_for_dense_models(
    world: Warehouse, home: Path
) -> None:
    """`train --max-titles N` fits a dense model on the N most watched items (saved with it, so
    the page never shows the others); other models refuse the option."""
    from typer.testing import CliRunner

    from bingewise.cli import app
    from bingewise.recommend.train import load_trained

    world.close()
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "train", "--model", "ease", "--max-titles", "2"])
    assert done.exit_code == 0, done.output
    assert "items, 2 of them learnt" in done.output  # the summary says how many it learnt
    trained = load_trained()
    assert trained.model.params()["max_titles"] == 2
    kept = trained.model.kept  # type: ignore[attr-defined]
    assert kept is not None and len(kept) == 2
    done = runner.invoke(app, ["-q", "train", "--model", "ials", "--max-titles", "2"])
    assert done.exit_code == 2 and "--max-titles is for dense models" in done.output


def test_train_param_sets_a_models_parameters(world: Warehouse, home: Path) -> None:
    """`train --param NAME=NUMBER` builds the model with those parameters (saved with it, so
    the page scores as trained: session-ease's genre weights reach the home page this way);
    an unknown name, a value that is no number, or one the model refuses is one line."""
    from typer.testing import CliRunner

    from bingewise.cli import app
    from bingewise.recommend.train import load_trained

    world.close()
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["-q", "train", "--model", "session-ease", "--param", "feature_rows=100",
         "--param", "feature_term=1", "--param", "l2=150", "--max-titles", "5"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    params = load_trained().model.params()
    assert params["feature_rows"] == 100.0 and params["feature_term"] == 1.0
    assert params["l2"] == 150.0 and params["max_titles"] == 5
    for bad, said in (
        (["--param", "nonsense=1"], "is not a parameter of 'session-ease'"),
        (["--param", "l2"], "expected NAME=NUMBER"),
        (["--param", "l2=abc"], "expected NAME=NUMBER"),
        (["--param", "l2=nan"], "expected NAME=NUMBER"),
        (["--param", "l2=-1"], "l2 must be positive"),
    ):
        done = runner.invoke(app, ["-q", "train", "--model", "session-ease", *bad])
        assert done.exit_code == 2, done.output
        assert said in " ".join(done.output.split())


@pytest.mark.parametrize("kind", ["ease", "itemknn", "ials"])
@pytest.mark.parametrize("block_entries", [1, 40, 1 << 22])
def test_pair_viewers_counts_the_members_who_took_both(kind: str, block_entries: int) -> None:
    """Brute force: for each item i and each of its n nearest items j with a positive
    similarity, the members with a positive entry on both; nothing else. Blocks of one item,
    of a few, and all at once give the same."""
    import scipy.sparse as sp

    from bingewise.recommend import MODELS

    rng = np.random.default_rng(7)
    dense = (rng.random((60, 13)) < 0.3) * rng.integers(1, 5, size=(60, 13)).astype(np.float64)
    dense[:, 12] = 0.0  # an item nobody took
    x = sp.csr_matrix(dense)
    x.data[::7] = 0.0  # explicit zeros are no interaction
    model = MODELS[kind]().fit(x)
    n = 4
    got = pair_viewers(model, x, n, block_entries=block_entries).toarray()
    ids, sims = model.similar_items(np.arange(13), n=n)
    took = x.toarray() > 0
    expected = np.zeros((13, 13))
    for i in range(13):
        for j, s in zip(ids[i], sims[i], strict=True):
            if j >= 0 and np.isfinite(s) and s > 0:
                expected[i, j] = sum(1 for u in range(60) if took[u, i] and took[u, j])
    np.testing.assert_array_equal(got, expected)
    assert expected.sum() > 0
