"""Export: every kind of record for a member who has each, as JSON and CSV, with a README."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from _rights_world import (
    FILE_ALONE,
    FILE_SHARED,
    FILM2,
    OTHER,
    SIBLING,
    TARGET,
    build,
    install_models,
)

from bingewise.config import get_settings, reset_settings
from bingewise.privacy.audit import audit_entries, audited
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.privacy.erase import erase_member
from bingewise.privacy.export import COLUMN_DOCS, DATASETS, export_member
from bingewise.privacy.retention import run_retention
from bingewise.registry import Registry
from bingewise.schema import ConsentEvents, Events, MemberExport, Quarantine
from bingewise.warehouse import Warehouse


@pytest.fixture
def exported(
    home: Path, registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[dict]]:
    """The export of TARGET from a world where they have every kind of record (a world of a
    few members: the viewer minimum is lowered so that TARGET's home page has picks)."""
    monkeypatch.setenv("BINGEWISE_MIN_VIEWERS", "1")
    reset_settings()
    install_models(get_settings().models_dir, ("ials",))
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
        # Retention with a window reaching only the first viewing day: a daily aggregate exists.
        run_retention(wh, days=0, now=dt.datetime(2017, 3, 2, 12))
        record_consent(
            registry, TARGET.member_id, Purpose.RECOMMENDATION_EMAILS, True, source="web"
        )
        record_consent(registry, TARGET.member_id, Purpose.STATISTICS, False, source="cli")
        audited(registry, "os:support", "consent.show", TARGET.member_id, "consents", "call")
        out = tmp_path / "export" / "target.zip"
        umask = os.umask(0o022)
        try:
            summary = export_member(
                registry,
                TARGET.member_id,
                out,
                actor="os:dpo",
                reason="subject access request",
                warehouse=wh,
            )
        finally:
            os.umask(umask)
    assert summary.path == out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the member's data: its owner's only
    files: dict[str, list[dict]] = {}
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert names == {"README.md"} | {
            f"{ds.name}.{ext}" for ds in DATASETS for ext in ("json", "csv")
        }
        for ds in DATASETS:
            records = json.loads(zf.read(f"{ds.name}.json"))
            rows = list(csv.DictReader(io.StringIO(zf.read(f"{ds.name}.csv").decode())))
            assert len(rows) == len(records) == summary.rows[ds.name], ds.name
            if records:
                assert list(rows[0]) == list(records[0]), ds.name  # same columns, same order
            files[ds.name] = records
        files["README"] = [{"text": zf.read("README.md").decode()}]
    return files


def test_every_kind_of_record_is_there(exported: dict[str, list[dict]]) -> None:
    profile = exported["profile"][0]
    assert profile["member_id"] == TARGET.member_id
    assert profile["email"] == TARGET.email
    assert profile["time_zone"] == TARGET.time_zone
    consents = {c[MemberExport.purpose]: c for c in exported["consents"]}
    assert consents["recommendation_emails"][MemberExport.granted] is True
    assert consents["statistics"][MemberExport.granted] is False
    assert consents["personalization"][MemberExport.is_default] is True
    assert [h[ConsentEvents.source] for h in exported["consent_history"]] == ["web", "cli"]
    # 12 events, of which those of the first day went to the daily aggregate by retention.
    events = exported["viewing_events"]
    assert len(events) == 6
    assert {e[Events.member_id] for e in events} == {TARGET.member_id}
    assert {e[MemberExport.title] for e in events} >= {"The Long Film"}
    assert len(exported["daily_viewing"]) == 1
    assert exported["daily_viewing"][0]["segments"] == 6
    assert len(exported["ratings"]) == 1
    plays = exported["plays"]
    assert len(plays) == 5  # film + 4 episodes; the trailer is not a play
    assert len(exported["sessions"]) == 1  # the first day's plays, 2 minutes apart
    assert [b["episodes"] for b in exported["binges"]] == [4]
    recs = exported["recommendations"]
    assert recs, "a member with viewing and a trained model has recommendations"
    assert all(r[MemberExport.reason] for r in recs)
    assert FILM2 in {r["title_id"] for r in recs}
    assert exported["messages"] == []
    actions = [a["action"] for a in exported["audit_log"]]
    assert actions == ["consent.show", "member.export"]  # the export is itself audited
    quarantine = {(q[Quarantine.source], q[Quarantine.line]) for q in exported["quarantine"]}
    assert quarantine == {(FILE_SHARED, 7), (FILE_ALONE, 3), ("contacts.csv", 2)}


def test_nothing_about_anyone_else(exported: dict[str, list[dict]]) -> None:
    text = json.dumps(exported)
    for other in (SIBLING, OTHER):
        assert str(other.member_id) not in text
        assert other.email not in text
        assert other.profile not in text


def test_readme_explains_every_file_and_column(exported: dict[str, list[dict]]) -> None:
    readme = exported.pop("README")[0]["text"]
    for ds in DATASETS:
        assert f"## {ds.name}.json / {ds.name}.csv" in readme
    assert "does not send messages yet" in readme
    for name, records in exported.items():
        for column in records[0] if records else ():
            assert column in COLUMN_DOCS, f"{name}.{column} has no description"
            assert f"| `{column}` | {COLUMN_DOCS[column]} |" in readme


def test_export_is_an_audited_read(home: Path, registry: Registry, tmp_path: Path) -> None:
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
        export_member(
            registry, OTHER.member_id, tmp_path / "o.zip", actor="os:x", reason="why", warehouse=wh
        )
        entries = audit_entries(registry, OTHER.member_id)
        assert [(e.actor, e.action, e.reason) for e in entries] == [
            ("os:x", "member.export", "why")
        ]
        with pytest.raises(LookupError, match="not known"):
            export_member(
                registry, 12345, tmp_path / "n.zip", actor="os:x", reason="why", warehouse=wh
            )
    erase_member(registry, OTHER.member_id, actor="os:x", reason="erase")
    with pytest.raises(LookupError, match="erased"):
        export_member(registry, OTHER.member_id, tmp_path / "e.zip", actor="os:x", reason="why")


def test_the_files_only_the_member_sent_are_listed(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """A personal export's file record (name, fingerprint, what became of its rows) is the
    member's, as erasure treats it: their export lists it; a file shared with another profile,
    whose counts are partly someone else's, is not listed (was: no file record at all)."""
    from bingewise.ingest import ReadOptions, ingest_paths
    from bingewise.schema import IngestedFiles

    header = "Profile Name,Start Time,Duration,Title\n"
    mine = tmp_path / "mine" / "ViewingActivity.csv"
    mine.parent.mkdir()
    mine.write_text(header + "Zephyrine,2023-03-04 20:00:00,0:45:00,Roma\n")
    shared = tmp_path / "shared" / "ViewingActivity.csv"
    shared.parent.mkdir()
    shared.write_text(
        header
        + "Zephyrine,2023-03-05 20:00:00,0:45:00,Dark\n"
        + "Olbert,2023-03-05 21:00:00,0:45:00,Dark\n"
    )
    db = home / "warehouse.duckdb"
    with Warehouse.open(db) as wh:
        ingest_paths([mine], warehouse=wh, registry=registry)
        ingest_paths([shared], warehouse=wh, registry=registry, options=ReadOptions(household="h"))
        ids = wh.duck.execute(
            "SELECT member_id FROM members WHERE profile = 'Zephyrine' ORDER BY household_id"
        ).fetchall()
        out = tmp_path / "export.zip"
        for (member,) in ids:
            export_member(registry, member, out, actor="os:dpo", reason="access", warehouse=wh)
            with zipfile.ZipFile(out) as zf:
                files = json.loads(zf.read("files.json"))
                readme = zf.read("README.md").decode()
            personal = wh.duck.execute(
                f"SELECT count(*) FROM events WHERE member_id = ? AND source IN "
                f"(SELECT left({IngestedFiles.sha256}, 16) FROM {IngestedFiles.table} "
                f"WHERE {IngestedFiles.name} = ?)",
                [member, str(mine)],
            ).fetchone()
            if personal and personal[0]:
                assert [(f[MemberExport.file], f[IngestedFiles.rows_read]) for f in files] == [
                    (str(mine), 1)
                ]
                assert len(files[0][IngestedFiles.sha256]) == 64
            else:
                assert files == []
            assert "## files.json / files.csv" in readme
