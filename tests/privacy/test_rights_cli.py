"""The member-rights commands end to end, and a real re-ingest after erasure (SQLite, PG)."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import duckdb
from _rights_world import SIBLING, TARGET, build
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.ingest import ingest_paths
from bingewise.privacy.audit import audit_entries
from bingewise.privacy.consent import Purpose, consent_history, current_consents
from bingewise.registry import Registry
from bingewise.schema import DailyViewing, Events
from bingewise.warehouse import Warehouse

runner = CliRunner(env={"COLUMNS": "240"})


def _cli(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, ["--quiet", *args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_consent_commands(home: Path, registry: Registry) -> None:
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
    mid = str(TARGET.member_id)
    _cli("consent", "grant", mid, "recommendation_emails", "--source", "web")
    _cli("consent", "withdraw", mid, "recommendation_emails")
    _cli("consent", "withdraw", mid, "statistics")
    shown = _cli("consent", "show", mid, "--reason", "member called")
    assert "recommendation_emails" in shown and "3 recorded changes" in shown
    assert current_consents(registry, TARGET.member_id)[Purpose.STATISTICS] is False
    assert [e.source for e in consent_history(registry, TARGET.member_id)] == ["web", "cli", "cli"]
    entries = audit_entries(registry, TARGET.member_id)
    assert [e.action for e in entries] == [
        "consent.grant",
        "consent.withdraw",
        "consent.withdraw",
        "consent.show",
    ]
    assert entries[-1].reason == "member called" and entries[-1].actor.startswith("os:")
    bad = runner.invoke(app, ["consent", "grant", mid, "marketing"])
    assert bad.exit_code != 0 and "valid purposes" in bad.output
    unknown = runner.invoke(app, ["consent", "grant", "31337", "statistics"])
    assert unknown.exit_code == 1 and "not known" in unknown.output


def test_export_erase_retention_commands(home: Path, registry: Registry, tmp_path: Path) -> None:
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
    mid = str(TARGET.member_id)
    out = tmp_path / "me.zip"
    assert "records" in _cli("member", "export", mid, "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        assert "README.md" in zf.namelist()
    assert "would delete 25" in _cli("retention", "run", "--dry-run", "--days", "0")
    assert "deleted 25 events" in _cli("retention", "run", "--days", "0")
    aborted = runner.invoke(app, ["member", "erase", mid], input="n\n")
    assert aborted.exit_code != 0
    assert registry.members.get(TARGET.member_id) is not None
    assert "erased:" in _cli("member", "erase", mid, input="y\n")
    assert registry.members.get(TARGET.member_id) is None
    assert "already erased" in _cli("member", "erase", mid, "--yes")
    gone = runner.invoke(app, ["member", "export", mid, "--out", str(tmp_path / "x.zip")])
    assert gone.exit_code == 1 and "erased" in gone.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        members = {
            r[0] for r in con.execute(f"SELECT member_id FROM {DailyViewing.table}").fetchall()
        }
    assert TARGET.member_id not in members and SIBLING.member_id in members


def _write_events(path: Path, people: list, start: dt.datetime, n: int) -> Path:  # type: ignore[type-arg]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["member_id", "title_id", "start_utc", "seconds", "profile"])
        for person in people:
            for i in range(n):
                t = start + dt.timedelta(hours=i)
                writer.writerow([person.member_id, 1001, t.isoformat(), 600, person.profile])
    return path


def test_reingesting_an_old_file_stores_nothing_of_them(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    old = _write_events(tmp_path / "old.csv", [TARGET, SIBLING], dt.datetime(2017, 5, 1), 4)
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        first = ingest_paths([old], warehouse=wh, registry=registry)
        assert first[0].stored == 8
    _cli("member", "erase", str(TARGET.member_id), "--yes")
    # The same rows in another file (re-saved, so another checksum), plus later viewing.
    again = _write_events(tmp_path / "resaved.csv", [SIBLING, TARGET], dt.datetime(2017, 5, 1), 6)
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        summary = ingest_paths([again], warehouse=wh, registry=registry)[0]
        count = wh.duck.execute(
            f"SELECT count(*) FROM {Events.table} WHERE {Events.member_id} = ?",
            [TARGET.member_id],
        ).fetchone()
    assert count == (0,)
    assert (summary.rows_read, summary.stored, summary.duplicates, summary.rejected) == (
        12,
        2,  # the sibling's two new hours
        4,  # the sibling's four old hours
        6,  # the erased member's rows, counted, not kept
    )
    assert registry.members.get(TARGET.member_id) is None


def test_members_who_came_with_ratings_have_their_rights(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """MovieLens ratings bring members with them (registry and warehouse): they can withdraw a
    consent, export and erase what is held, like members who came with viewing; the erased
    member's ratings are gone and the other member's stay."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "userId,movieId,rating,timestamp\n"
        "7001,10,4.0,964982703\n7001,20,3.5,964982224\n7002,10,5.0,964982931\n"
    )
    _cli("ingest", str(ratings))
    assert registry.members.get(7001) is not None
    _cli("consent", "withdraw", "7001", "personalization")
    assert current_consents(registry, 7001)[Purpose.PERSONALIZATION] is False
    out = tmp_path / "me.zip"
    assert "records" in _cli("member", "export", "7001", "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        rated = [n for n in zf.namelist() if "ratings" in n]
        assert rated and b"964982224" not in zf.read("README.md")
    assert "erased:" in _cli("member", "erase", "7001", "--yes")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        left = con.execute("SELECT member_id, count(*) FROM ratings GROUP BY 1").fetchall()
        members = con.execute("SELECT member_id FROM members ORDER BY 1").fetchall()
    assert left == [(7002, 1)] and members == [(7002,)]
    _cli("ingest", str(ratings))  # the same file again: nothing of the erased member comes back
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ratings WHERE member_id = 7001").fetchone() == (0,)


def test_a_short_member_id_erases_nobody_elses_text(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """Member 1 of a service log with small ids: erasing them deletes their rows and leaves
    every other member's text alone ("Profile 1", "Season 1: Episode 1", a rejected row of
    member 5 that watched 1 second); their export holds none of those."""
    events = tmp_path / "events.csv"
    rows = [
        "member_id,title_id,start_utc,seconds,profile",
        "1,10,2024-01-01T20:00:00Z,600,Profile 1",
        "2,11,2024-01-01T21:00:00Z,600,Profile 1",
        "5,10,2024-01-02T21:00:00Z,1,Profile 1",
        "5,11,yesterday,1,Profile 1",  # rejected: a row of member 5's, with a "1" in it
    ]
    events.write_text("\n".join(rows) + "\n")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("title_id,title\n10,Dark: Season 1: Episode 1\n11,Film 1\n")
    _cli("ingest", str(catalog), str(events))
    out = tmp_path / "one.zip"
    _cli("member", "export", "1", "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        held = [n for n in zf.namelist() if "quarantine" in n]
        assert not held or b"yesterday" not in zf.read(held[0])
    _cli("member", "erase", "1", "--yes")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        titles = sorted(r[0] for r in con.execute("SELECT title FROM catalog").fetchall())
        profiles = {r[0] for r in con.execute("SELECT profile FROM events").fetchall()}
        members = sorted(r[0] for r in con.execute("SELECT member_id FROM events").fetchall())
        (raw,) = con.execute("SELECT raw FROM quarantine").fetchone() or ("",)
    assert titles == ["Dark: Season 1: Episode 1", "Film 1"]
    assert profiles == {"Profile 1"} and members == [2, 5]
    assert "yesterday" in raw and "[erased]" not in raw


def test_after_erasure_reads_stay_unlinked_and_training_closes_the_queue(
    home: Path, registry: Registry
) -> None:
    """Reading about an erased member (consent show, recap) records no entry linked to their
    id; training a model that erasure queued closes the request."""
    from bingewise.privacy.erase import pending_retrains

    with Warehouse.open(home / "warehouse.duckdb") as wh:
        build(wh, registry)
    _cli("train", "--model", "ease")
    mid = str(TARGET.member_id)
    _cli("member", "erase", mid, "--yes")
    assert pending_retrains(registry) == ["ease"]
    shown = runner.invoke(app, ["--quiet", "consent", "show", mid])
    assert shown.exit_code == 1 and "was erased: nothing is held" in shown.output
    runner.invoke(app, ["--quiet", "recap", "--member", mid])  # nothing to show: exit 1
    rows = runner.invoke(app, ["--quiet", "rows", "--member", mid])
    assert rows.exit_code == 2 and "was erased: nothing is held" in rows.output
    assert audit_entries(registry, member_id=TARGET.member_id) == []
    unlinked = [e for e in audit_entries(registry) if "of an erased member" in e.resource]
    assert {e.action for e in unlinked} >= {"consent.show", "recap.read", "rows.read"}
    # a member who never was: no consents to show, not "granted (default)"
    nobody = runner.invoke(app, ["--quiet", "consent", "show", "424242"])
    assert nobody.exit_code == 1 and "not known" in nobody.output
    _cli("train", "--model", "ease")
    assert pending_retrains(registry) == []


def test_retention_leaves_no_deleted_value_in_the_file(home: Path, tmp_path: Path) -> None:
    """DuckDB keeps deleted values in its file: after `retention run` the raw bytes of the
    warehouse no longer hold an old event's device name (erasure rewrites the file likewise)."""
    events = tmp_path / "old.csv"
    events.write_text(
        "member_id,title_id,start_utc,seconds,device\n"
        "4242,10,2015-01-01T20:00:00Z,600,Quentin iPad Xylophone\n"
        "4242,11,2030-01-01T20:00:00Z,600,Living room TV\n"
    )
    _cli("ingest", str(events))
    path = home / "warehouse.duckdb"
    assert b"Xylophone" in path.read_bytes()
    assert "deleted 1 events" in _cli("retention", "run", "--days", "365")
    assert b"Xylophone" not in path.read_bytes()
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT device FROM events").fetchall() == [("Living room TV",)]


def test_an_erased_profiles_rejected_rows_do_not_come_back(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """A household export with a bad row per profile: after erasing Zelda, re-ingesting the
    export (re-saved: other bytes) keeps none of her rows, rejected ones included; Mortimer's
    bad row is still quarantined."""
    header = "Profile Name,Start Time,Duration,Title,Country"
    rows = [
        "Zelda Quixote,2024-01-01 20:00:00,0:40:00,Roma,DE (Germany)",
        "Zelda Quixote,not a date,0:40:00,Broken Row Title Zelda,DE (Germany)",
        "Mortimer Yarrow,2024-01-02 20:00:00,0:40:00,Coco,DE (Germany)",
        "Mortimer Yarrow,not a date,0:40:00,Broken Row Title Mortimer,DE (Germany)",
    ]
    export = tmp_path / "ViewingActivity.csv"
    export.write_text("\n".join([header, *rows]) + "\n")
    _cli("ingest", str(export))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        zelda = con.execute("SELECT member_id FROM members WHERE profile = 'Zelda Quixote'")
        (member,) = zelda.fetchone() or (None,)
    assert member is not None
    _cli("member", "erase", str(member), "--yes")
    resaved = tmp_path / "resaved" / "ViewingActivity.csv"
    resaved.parent.mkdir()
    resaved.write_text("\r\n".join([header, *rows]) + "\r\n")  # the same rows, other bytes
    _cli("ingest", str(resaved))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        raws = [r[0] for r in con.execute("SELECT raw FROM quarantine").fetchall()]
        profiles = {r[0] for r in con.execute("SELECT profile FROM events").fetchall()}
    assert profiles == {"Mortimer Yarrow"}
    assert raws and not any("Zelda" in r for r in raws)
    assert any("Broken Row Title Mortimer" in r for r in raws)


def test_a_service_log_members_rejected_rows_follow_them(
    home: Path, registry: Registry, tmp_path: Path
) -> None:
    """A service log with short member ids ("42", "7"): each rejected row names its member, so
    export and erasure find member 42's bad row by that (not by looking for "42" in text, which
    is also a title id and a number of seconds), leave member 7's; re-ingesting the log (re-saved:
    other bytes) after the erasure keeps none of 42's rows, rejected ones included, and says so."""
    header = "member_id,title_id,start_utc,seconds"
    rows = [
        "42,7,2024-01-01T20:00:00Z,42",
        "42,8,Broken Row Of Member A,60",
        "7,42,2024-01-02T20:00:00Z,42",
        "7,42,Broken Row Of Member B,42",
    ]
    log = tmp_path / "service.csv"
    log.write_text("\n".join([header, *rows]) + "\n")
    _cli("ingest", str(log))
    out = tmp_path / "a.zip"
    _cli("member", "export", "42", "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        exported = list(csv.DictReader(zf.read("quarantine.csv").decode().splitlines()))
    assert [r["raw"] for r in exported] == ["42,8,Broken Row Of Member A,60"]
    assert "quarantine 1" in _cli("member", "erase", "42", "--yes")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        raws = [r[0] for r in con.execute("SELECT raw FROM quarantine").fetchall()]
    assert raws == ["7,42,Broken Row Of Member B,42"]
    resaved = tmp_path / "resaved" / "service.csv"
    resaved.parent.mkdir()
    resaved.write_text("\r\n".join([header, *rows]) + "\r\n")  # the same rows, other bytes
    summary = _cli("ingest", str(resaved))
    assert "2 rows of erased members dropped" in summary
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        raws = [r[0] for r in con.execute("SELECT raw FROM quarantine").fetchall()]
        members = {r[0] for r in con.execute("SELECT member_id FROM events").fetchall()}
    assert members == {7}
    assert not any("Member A" in r for r in raws)
    assert sum("Member B" in r for r in raws) == 2
