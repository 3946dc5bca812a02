"""Erasure: after it, no store, file or model holds a trace of the member (SQLite and PostgreSQL).

The scan is independent of the erasure code: it reads every DuckDB table and column, every
registry table and column, and every byte of every file under BINGEWISE_HOME (``.npz`` arrays
loaded and compared too). It is first run before the erasure to show it finds the member.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from _rights_world import (
    FILE_ALONE,
    FILE_SHARED,
    OTHER,
    SIBLING,
    TARGET,
    Person,
    build,
    events_for,
    install_models,
)

from bingewise.config import get_settings
from bingewise.privacy.audit import audit_entries, audited
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.privacy.erase import erase_from_model, erase_member, mark_retrained, pending_retrains
from bingewise.privacy.retention import run_retention
from bingewise.privacy.tombstone import drop_erased, is_erased, tombstone_hash
from bingewise.registry import Registry
from bingewise.schema import Events, Quarantine
from bingewise.warehouse import Warehouse


def _needles(person: Person) -> list[bytes]:
    return [
        str(person.member_id).encode(),
        person.email.encode(),
        person.email.upper().encode(),
        person.profile.encode(),
        int(person.member_id).to_bytes(8, "little"),
    ]


def scan(home: Path, registry: Registry, person: Person) -> list[str]:
    """Every place under ``home`` and in ``registry`` where ``person`` can still be found."""
    found: list[str] = []
    texts = (str(person.member_id), person.email.lower(), person.profile.lower())
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            tables = [
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            ]
            for table in tables:
                for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                    for value in row:
                        if value is not None and any(t in str(value).lower() for t in texts):
                            found.append(f"warehouse {table}: {value!r}")
        finally:
            con.close()
    for table in sa.inspect(registry.engine).get_table_names():
        with registry.engine.connect() as conn:
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
        for row in rows:
            for value in row:
                if value is not None and any(t in str(value).lower() for t in texts):
                    found.append(f"registry {table}: {value!r}")
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in _needles(person):
            if needle in data:
                found.append(f"file {path.relative_to(home)}: bytes {needle[:12]!r}")
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                for key in npz.files:
                    arr = npz[key]
                    if arr.dtype.kind in "iu" and (arr == person.member_id).any():
                        found.append(f"model {path.name}[{key}]: member id")
                    if arr.dtype.kind == "U" and any(
                        t in str(v).lower() for v in arr.ravel() for t in texts
                    ):
                        found.append(f"model {path.name}[{key}]: text")
    return found


@pytest.fixture
def world(home: Path, registry: Registry) -> Path:
    """Every store filled, models trained, consents and audit entries recorded; wh closed."""
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
    install_models(get_settings().models_dir)
    # A model that keeps interaction rows as a CSR matrix (the erasure contract's third form).
    ids = np.array([SIBLING.member_id, TARGET.member_id, OTHER.member_id], dtype=np.int64)
    np.savez(
        get_settings().models_dir / "interactions.npz",
        member_ids=ids,
        user_items_data=np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32),
        user_items_indices=np.array([0, 1, 0, 1, 1], dtype=np.int32),
        user_items_indptr=np.array([0, 1, 3, 5], dtype=np.int32),
        user_items_shape=np.array([3, 2], dtype=np.int64),
    )
    for person in (TARGET, SIBLING):
        record_consent(
            registry, person.member_id, Purpose.RECOMMENDATION_EMAILS, True, source="web"
        )
        audited(registry, "os:ops", "member.export", person.member_id, "events", "copy")
    audited(registry, "os:ops", "support", None, "ticket", f"call from {TARGET.email}")
    releases = get_settings().releases_dir
    releases.mkdir(parents=True, exist_ok=True)
    (releases / "2017.json").write_text(json.dumps({"top_titles": [["Show", 53.2]]}))
    return home


def test_erasure_leaves_no_trace(world: Path, registry: Registry) -> None:
    assert len(scan(world, registry, TARGET)) > 10  # the scan sees the member before
    sibling_before = scan(world, registry, SIBLING)
    report = erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure request #1")
    assert scan(world, registry, TARGET) == []
    # Nobody else lost anything they had (their traces are exactly where they were)...
    sibling_after = scan(world, registry, SIBLING)
    assert sorted(f for f in sibling_after if not f.startswith("file")) == sorted(
        f for f in sibling_before if not f.startswith("file")
    )
    # ... counted precisely: 12 events, 1 member, 1 rating, 3 quarantine rows.
    assert report.warehouse_rows[Events.table] == 12
    assert report.warehouse_rows[Quarantine.table] == 3
    assert report.registry_rows["members"] == 1
    assert report.registry_rows["consent_events"] == 1
    assert report.tombstone == tombstone_hash(TARGET.member_id)
    assert bool(is_erased(registry, [TARGET.member_id])[0])
    # Quarantine: the sibling's row of the shared file and the unrelated row stay.
    with duckdb.connect(str(world / "warehouse.duckdb"), read_only=True) as con:
        left = con.execute(
            f"SELECT {Quarantine.source}, {Quarantine.line} FROM {Quarantine.table} ORDER BY 1, 2"
        ).fetchall()
    assert left == [(FILE_ALONE, 5), (FILE_SHARED, 9), ("other.csv", 4)]


def test_audit_shows_the_erasure_without_whom(world: Path, registry: Registry) -> None:
    erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure request")
    erasures = audit_entries(registry, action="member.erase")
    assert len(erasures) == 1
    assert erasures[0].member_id is None
    assert erasures[0].actor == "os:dpo"
    assert erasures[0].resource.startswith("tombstone:")
    # Earlier reads are still on record (who, when, why), unlinked.
    reads = audit_entries(registry, action="member.export")
    assert sorted((e.member_id is None) for e in reads) == [False, True]
    assert "[erased]" in audit_entries(registry, action="support")[0].reason


def test_models_lose_the_member_and_item_models_are_queued(world: Path, registry: Registry) -> None:
    from bingewise.recommend.train import load_trained

    before = load_trained("ials")
    report = erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure")
    assert sorted(report.models_rewritten) == ["ease", "ials", "interactions"]
    assert report.models_deleted == []
    assert sorted(pending_retrains(registry)) == ["ease", "ials", "interactions"]
    after = load_trained("ials")  # still loads: id maps re-paired with the rewritten model
    keep = before.member_ids != TARGET.member_id
    assert after.member_ids.tolist() == before.member_ids[keep].tolist()
    np.testing.assert_array_equal(
        after.model.state()["user_factors"], before.model.state()["user_factors"][keep]
    )
    with np.load(get_settings().models_dir / "interactions.npz") as npz:
        assert npz["member_ids"].tolist() == [SIBLING.member_id, OTHER.member_id]
        assert npz["user_items_indptr"].tolist() == [0, 1, 3]
        assert npz["user_items_data"].tolist() == [1.0, 4.0, 5.0]
        assert npz["user_items_shape"].tolist() == [2, 2]
    assert mark_retrained(registry, "ials") == 1
    assert sorted(pending_retrains(registry)) == ["ease", "interactions"]
    # The published release stays as it was.
    assert json.loads((get_settings().releases_dir / "2017.json").read_text())["top_titles"]


@pytest.mark.parametrize("model_name", ["itemknn", "rp3beta"])
def test_an_item_item_model_keeps_its_shape_when_members_are_as_many_as_items(
    tmp_path: Path, model_name: str
) -> None:
    """Six members 1..6 and six items: erasing member 3 rewrites the id maps and leaves the
    item-item matrix whole (it was cut to 5 x 6, and with small ids a matrix holding item
    position 3 was deleted outright)."""
    import scipy.sparse as sp

    from bingewise.recommend import MODELS
    from bingewise.recommend._common import csr_state
    from bingewise.recommend.train import pair_viewers

    x = sp.csr_matrix(np.array([[1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 0, 1], [1, 0, 1, 1, 0, 0],
                                [0, 0, 1, 1, 1, 0], [1, 0, 0, 1, 1, 1], [0, 1, 0, 0, 1, 1]],
                               dtype=np.float32))  # fmt: skip
    model = MODELS[model_name]().fit(x)
    path, ids = tmp_path / f"{model_name}.npz", tmp_path / f"{model_name}.ids.npz"
    model.save(path)
    pairs = csr_state("pair_viewers", pair_viewers(model, x, 3))  # as training keeps them
    assert 3 in pairs["pair_viewers_indices"]  # item position 3, no member
    np.savez(ids, member_ids=np.arange(1, 7), item_ids=np.arange(101, 107), **pairs)
    before = model.similar_items(np.arange(6), n=3)
    assert erase_from_model([path, ids], 3) == "rewritten"
    with np.load(ids) as kept:
        assert kept["member_ids"].tolist() == [1, 2, 4, 5, 6]
        for key, value in pairs.items():  # aggregates over items: kept until the retraining
            np.testing.assert_array_equal(kept[key], value)
    again = type(model).load(path)
    np.testing.assert_array_equal(again.similar_items(np.arange(6), n=3)[0], before[0])


def test_unknown_model_layout_is_deleted_not_kept(tmp_path: Path) -> None:
    """A member-side array without ids cannot be cleaned row by row: the file goes."""
    path = tmp_path / "odd.npz"
    np.savez(path, user_factors=np.ones((3, 2)), item_factors=np.ones((2, 2)))
    assert erase_from_model([path], 5) == "deleted"
    assert not path.exists()
    path2 = tmp_path / "hidden.npz"
    np.savez(path2, member_ids=np.array([5, 6]), log=np.array([5, 5, 6]))
    assert erase_from_model([path2], 5) == "deleted"  # the id survives elsewhere: forget it all
    path3 = tmp_path / "items.npz"
    np.savez(path3, weights=np.eye(2))
    assert erase_from_model([path3], 5) == "item-side"
    assert path3.exists()


def test_reingesting_an_old_file_brings_nothing_back(world: Path, registry: Registry) -> None:
    erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure")
    old = pa.Table.from_pylist(
        events_for(TARGET, dt.datetime(2017, 3, 1), "a1" * 8)
        + events_for(SIBLING, dt.datetime(2017, 3, 2), "a1" * 8),
        schema=Events.arrow,
    )
    kept, dropped = drop_erased(registry, old)
    assert dropped == 6
    assert set(kept.column(Events.member_id).to_pylist()) == {SIBLING.member_id}


def test_erasure_is_idempotent_and_retention_aggregates_go_too(
    world: Path, registry: Registry
) -> None:
    with Warehouse.open(world / "warehouse.duckdb") as wh:
        run_retention(wh, days=0, now=dt.datetime(2018, 1, 1))
    assert scan(world, registry, TARGET)  # the daily aggregate carries their id
    first = erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure")
    assert first.warehouse_rows["daily_viewing"] == 2  # two viewing days
    assert scan(world, registry, TARGET) == []
    second = erase_member(registry, TARGET.member_id, actor="os:dpo", reason="again")
    assert second.total_rows == 0


_ACTIVITY_HEADER = (
    "Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,"
    "Bookmark,Latest Bookmark,Country\n"
)


def _export_zip(path: Path, rows: list[str]) -> Path:
    """A Netflix export ZIP laid out as Netflix ships it (CONTENT_INTERACTION/...)."""
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("CONTENT_INTERACTION/ViewingActivity.csv", _ACTIVITY_HEADER + "\n".join(rows))
    return path


def test_erasure_forgets_the_titles_and_the_file_of_a_personal_netflix_export(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """A personal export's titles came into the catalog from the member's own viewing: after
    the erasure no title only they watched, and no record of their file, is left; titles others
    watched and the other household's file stay; re-ingesting the file brings nothing back."""
    from bingewise.ingest import ingest_paths
    from bingewise.schema import Catalog, IngestedFiles

    mine = _export_zip(
        tmp_path / "netflix-report.zip",
        [
            "Zephyrine,2023-03-04 20:00:00,00:45:00,,Quorvath Hollow: Season 1: Ashes "
            "(Episode 1),,TV,00:45:00,00:45:00,MX (Mexico)",
            "Zephyrine,2023-03-04 19:58:00,00:00:30,,Season 1 Trailer: Quorvath Hollow,"
            "TRAILER,TV,00:00:30,00:00:30,MX (Mexico)",
            "Zephyrine,2023-03-05 20:00:00,01:45:00,,Shared Film,,TV,01:45:00,01:45:00,MX (Mexico)",
        ],
    )
    theirs = _export_zip(
        tmp_path / "other-report.zip",
        ["Quillon,2023-03-06 20:00:00,01:45:00,,Shared Film,,TV,01:45:00,01:45:00,FR (France)"],
    )
    db = home / "warehouse.duckdb"
    with Warehouse.open(db) as wh:
        ingest_paths([mine, theirs], warehouse=wh, registry=registry)

    def held() -> tuple[list[str], list[str]]:
        with duckdb.connect(str(db), read_only=True) as con:
            titles = con.execute(f"SELECT {Catalog.title} FROM {Catalog.table}").fetchall()
            files = con.execute(
                f"SELECT {IngestedFiles.name} FROM {IngestedFiles.table}"
            ).fetchall()
        return sorted(r[0] for r in titles), sorted(r[0] for r in files)

    titles, files = held()
    assert len(titles) == 3 and len(files) == 2
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            f"SELECT DISTINCT {Events.member_id} FROM {Events.table} "
            f"WHERE {Events.profile} = 'Zephyrine'"
        ).fetchone()
    assert row is not None
    member = int(row[0])
    erase_member(registry, member, actor="os:dpo", reason="erasure request")
    titles, files = held()
    assert titles == ["Shared Film"]
    assert files == [f"{theirs}/CONTENT_INTERACTION/ViewingActivity.csv"]
    assert b"Quorvath" not in db.read_bytes()

    with Warehouse.open(db) as wh:
        (summary,) = ingest_paths([mine], warehouse=wh, registry=registry)
    assert summary.stored == 0 and summary.rejected == 3  # dropped as the erased member's
    assert held()[0] == ["Shared Film"]


def test_erasure_removes_the_parquet_copy_a_killed_spark_run_left(
    world: Path, registry: Registry
) -> None:
    """`facts --engine spark` exports every member's events to Parquet under the data folder and
    removes the copy at the end; a run killed (SIGKILL, out of memory, a SIGTERM) leaves it, and
    the erased member's events were still in it. Erasure removes such leftovers; the copy of a
    run still going is its own (the next run, or erasure after it, removes it)."""
    from bingewise.files import SPARK_SCRATCH, scratch_folder

    home = get_settings().home
    left = home / f"{SPARK_SCRATCH}dead01" / "tables"
    left.mkdir(parents=True)
    with duckdb.connect() as con:  # the member's events, as the export wrote them
        con.execute(f"COPY (SELECT {TARGET.member_id} AS member_id) TO '{left / 'events.parquet'}'")
    assert any(scan(world, registry, TARGET))
    with scratch_folder(home, SPARK_SCRATCH) as live:
        (live / "x").write_text("in use")
        report = erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure")
        assert live.exists()
    assert not left.parent.exists() and not live.exists()
    assert report.outbox_and_caches == 1


def test_a_training_closes_only_the_requests_made_before_it_read_the_warehouse(
    world: Path, registry: Registry
) -> None:
    """An erasure that lands while a training runs may reach the warehouse after the training
    read the member's rows: its request must stay open, or the saved model would hold an
    erased member with nothing left to say so."""
    import datetime as dt

    erase_member(registry, TARGET.member_id, actor="os:dpo", reason="erasure")
    assert "ials" in pending_retrains(registry)
    began = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # the training read before it
    assert mark_retrained(registry, "ials", read_from=began) == 0
    assert "ials" in pending_retrains(registry)
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert mark_retrained(registry, "ials", read_from=after) == 1
    assert "ials" not in pending_retrains(registry)
