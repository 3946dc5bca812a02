"""The pipeline: bad files change nothing, idempotency, archives, catalog, MovieLens, members,
erased members, the CLI, and a kill in the middle of a transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from helpers import COLUMNS, good_events, write_csv, write_parquet
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.ingest import IngestError, ReadOptions, ingest_paths, pipeline
from bingewise.ingest.pipeline import TEST_PAUSE_ENV
from bingewise.registry import Registry
from bingewise.schema import (
    Catalog,
    Events,
    IngestedFiles,
    Members,
    MovieLensFiles,
    Quarantine,
    Ratings,
    SourceColumns,
)
from bingewise.warehouse import Warehouse


def _snapshot(wh: Warehouse) -> dict[str, int]:
    tables = (Events, Catalog, Members, Ratings, Quarantine, IngestedFiles)
    return {t.table: wh.count(t.table) for t in tables}


# ---------------------------------------------------------------------------------------------
# Files that cannot be ingested at all


def _bad_files(tmp: Path) -> dict[str, Path]:
    good = write_parquet(tmp / "good.parquet", good_events(500))
    data = good.read_bytes()
    (tmp / "cut.parquet").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(tmp / "full.zip", "w") as zf:
        zf.write(write_csv(tmp / "in.csv", [g.row() for g in good_events(300)]), "in.csv")
    zdata = (tmp / "full.zip").read_bytes()
    (tmp / "cut.zip").write_bytes(zdata[: len(zdata) // 2])
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "blank.csv").write_bytes(b"\n\n  \n")
    (tmp / "binary.bin").write_bytes(bytes(range(256)) * 20)
    (tmp / "notes.txt").write_text("dear diary,\nI watched things\n")
    (tmp / "junk_only").mkdir()
    (tmp / "junk_only" / "readme.txt").write_text("nothing to see")
    return {
        "truncated Parquet": tmp / "cut.parquet",
        "truncated ZIP": tmp / "cut.zip",
        "empty file": tmp / "empty.csv",
        "empty file (only white space)": tmp / "blank.csv",
        "binary file": tmp / "binary.bin",
        "no known format": tmp / "notes.txt",
        "holds no file of a known format": tmp / "junk_only",
        "no such file": tmp / "missing.csv",
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated Parquet",
        "truncated ZIP",
        "empty file",
        "empty file (only white space)",
        "binary file",
        "no known format",
        "holds no file of a known format",
        "no such file",
    ],
)
def test_unusable_file_raises_and_changes_nothing(
    case: str, tmp_path: Path, warehouse: Warehouse
) -> None:
    files = _bad_files(tmp_path)
    ingest_paths([tmp_path / "good.parquet"], warehouse=warehouse)
    before = _snapshot(warehouse)
    path = files[case]
    with pytest.raises(IngestError) as err:
        ingest_paths([path], warehouse=warehouse)
    assert err.value.path.endswith(path.name)
    assert str(path.name) in str(err.value)
    word = case.split()[0] if case != "no such file" else "no such"
    assert word.lower() in str(err.value).lower()
    assert _snapshot(warehouse) == before


def test_forced_format_on_a_truncated_parquet(tmp_path: Path, warehouse: Warehouse) -> None:
    files = _bad_files(tmp_path)
    with pytest.raises(IngestError, match="truncated or corrupt Parquet"):
        ingest_paths([files["truncated Parquet"]], warehouse=warehouse, fmt="events-parquet")
    assert warehouse.count() == 0


def test_failure_in_an_archive_rolls_back_the_whole_archive(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    good = write_csv(tmp_path / "a.csv", [g.row() for g in good_events(50)])
    bad = write_csv(tmp_path / "b.csv", [g.row() for g in good_events(5)], [*COLUMNS, "colour"])
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        zf.write(good, "1/a.csv")
        zf.write(bad, "2/b.csv")
    with pytest.raises(IngestError, match=r"x\.zip/2/b\.csv, line 1, field 'colour'"):
        ingest_paths([tmp_path / "x.zip"], warehouse=warehouse)
    assert _snapshot(warehouse)[Events.table] == 0
    assert _snapshot(warehouse)[IngestedFiles.table] == 0


# ---------------------------------------------------------------------------------------------
# Idempotency, archives, folders


def test_reingest_same_file_is_skipped_with_counts(tmp_path: Path, warehouse: Warehouse) -> None:
    rows = [g.row() for g in good_events(40)]
    rows.insert(3, {Events.member_id: "oops"})
    path = write_csv(tmp_path / "e.csv", rows)
    [first] = ingest_paths([path], warehouse=warehouse)
    [again] = ingest_paths([path], warehouse=warehouse)
    assert (first.stored, first.rejected) == (40, 1)
    assert again.skipped and "already ingested" in again.message
    assert (again.rows_read, again.stored, again.duplicates, again.rejected) == (41, 0, 40, 1)
    assert warehouse.count() == 40
    assert warehouse.count(Quarantine.table) == 1  # not quarantined twice


def _patched_zip(path: Path, *, flags: int = 0, method: int | None = None) -> Path:
    """A one-file export ZIP whose member is marked encrypted (``flags`` bit 0) or compressed
    by a method Python cannot read (``method``, e.g. 99: WinZip AES), as a password-protected
    or 7-Zip re-zip of an export is (zipfile writes neither, so the headers are patched)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(
            "CONTENT_INTERACTION/ViewingActivity.csv",
            "Profile Name,Start Time,Duration,Title\nAna,2023-03-04 20:00:00,00:40:00,Roma\n",
        )
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.index(signature)
        data[i + at] |= flags
        if method is not None:
            data[i + at + 2 : i + at + 4] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("patch", "said"),
    [
        ({"flags": 1}, "password-protected"),
        ({"method": 99}, "compressed in a way this program cannot read"),
    ],
)
def test_a_zip_that_cannot_be_extracted_is_one_line_not_a_traceback(
    tmp_path: Path, patch: dict[str, int], said: str
) -> None:
    """A person who re-zipped their export with a password, or with 7-Zip's or WinZip's own
    compression, gets one line naming the archive and what to do (was: a RuntimeError or
    NotImplementedError traceback from ingest and recap alike)."""
    path = _patched_zip(tmp_path / "netflix-report.zip", **patch)
    runner = CliRunner()
    for args in (["ingest", str(path)], ["recap", str(path), "--out-dir", str(tmp_path)]):
        done = runner.invoke(app, ["-q", *args])
        text = " ".join(done.output.split())
        assert done.exit_code == 1, text
        assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
        assert f"{path}/CONTENT_INTERACTION/ViewingActivity.csv" in text and said in text, text
        assert "extract it" in text


def test_zip_and_folder_dispatch_by_content(tmp_path: Path, warehouse: Warehouse) -> None:
    folder = tmp_path / "export"
    (folder / "deep").mkdir(parents=True)
    goods = good_events(30)
    write_csv(folder / "deep" / "events.csv", [g.row() for g in goods[:20]])
    write_parquet(folder / "more.parquet", goods[20:])
    (folder / "catalog.csv").write_text(
        f"{Catalog.title_id},{Catalog.title},{Catalog.genres}\n1,Film One, Drama | Comedy \n"
    )
    (folder / "notes.txt").write_text("hello\n")
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    summaries = ingest_paths([tmp_path / "export.zip"], warehouse=warehouse)
    by_name = {Path(s.file).name: s for s in summaries}
    assert by_name["events.csv"].stored == 20
    assert by_name["more.parquet"].stored == 10
    assert by_name["catalog.csv"].format == "catalog-csv"
    assert by_name["notes.txt"].skipped and by_name["notes.txt"].format == "unknown"
    assert all(s.file.startswith(str(tmp_path / "export.zip")) for s in summaries)
    genres = warehouse.duck.execute(f"SELECT {Catalog.genres} FROM {Catalog.table}").fetchall()
    assert genres == [("Drama|Comedy",)]
    # the same files as a folder: all already ingested (same bytes), nothing new
    again = ingest_paths([folder], warehouse=warehouse)
    assert all(s.stored == 0 for s in again)
    assert warehouse.count() == 30


@pytest.mark.parametrize(
    ("name", "members", "said"),
    [
        (
            "ViewingActivity.xlsx",
            {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"},
            "an Excel workbook",
        ),
        (
            "ViewingActivity.csv",  # renamed, as people do
            {"[Content_Types].xml": "<Types/>", "xl/worksheets/sheet1.xml": "<worksheet/>"},
            "an Excel workbook",
        ),
        (
            "ViewingActivity.ods",
            {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"},
            "an OpenDocument spreadsheet",
        ),
    ],
)
def test_a_spreadsheet_workbook_is_named_with_what_to_do(
    tmp_path: Path, warehouse: Warehouse, name: str, members: dict[str, str], said: str
) -> None:
    """An export saved in a spreadsheet's own format (a ZIP inside) is named as such, with
    what to do, instead of "holds no file of a known format"."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in members.items():
            zf.writestr(member, text)
    with pytest.raises(IngestError, match=f"{said}, not a CSV file .*save it as CSV"):
        ingest_paths([path], warehouse=warehouse)


@pytest.mark.parametrize("chunk", [1 << 25, 3])
def test_in_file_and_cross_file_duplicates(
    chunk: int, tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SORT_CHUNK", chunk)  # 3: keys sorted in several parts
    goods = good_events(10)
    a = write_csv(tmp_path / "a.csv", [g.row() for g in goods[:6] + goods[:2]])
    b = write_csv(tmp_path / "b.csv", [g.row() for g in goods[4:]])
    [sa] = ingest_paths([a], warehouse=warehouse)
    [sb] = ingest_paths([b], warehouse=warehouse)
    assert (sa.rows_read, sa.stored, sa.duplicates) == (8, 6, 2)
    assert (sb.rows_read, sb.stored, sb.duplicates) == (6, 4, 2)
    assert warehouse.count() == 10


# ---------------------------------------------------------------------------------------------
# Catalog and MovieLens


def test_catalog_upsert(tmp_path: Path, warehouse: Warehouse) -> None:
    header = f"{Catalog.title_id},{Catalog.title},{Catalog.kind},{Catalog.runtime_seconds}\n"
    one = tmp_path / "c1.csv"
    one.write_text(header + "1,Alpha,film,5400\n2,Beta,,3000\n3,Gamma,series,10\n4,Delta,,-5\n")
    [s1] = ingest_paths([one], warehouse=warehouse)
    assert (s1.rows_read, s1.stored, s1.rejected) == (4, 2, 2)
    two = tmp_path / "c2.csv"
    two.write_text(header + "1,Alpha,film,5400\n2,Beta (director's cut),film,3600\n2,Beta II,,1\n")
    [s2] = ingest_paths([two], warehouse=warehouse)
    # 1 unchanged (duplicate), 2 twice in the file: the last row wins and replaces the stored one
    assert (s2.rows_read, s2.stored, s2.duplicates) == (3, 1, 2)
    rows = warehouse.duck.execute(
        f"SELECT {Catalog.title_id}, {Catalog.title}, {Catalog.kind} FROM {Catalog.table} "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [(1, "Alpha", "film"), (2, "Beta II", "film")]


def test_movielens_files(tmp_path: Path, warehouse: Warehouse) -> None:
    ratings = tmp_path / MovieLensFiles.ratings_csv
    ratings.write_text(
        ",".join(MovieLensFiles.header) + "\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"
        "2,31,x,1260759144\n1,31,2.5,1260759144\n"
    )
    udata = tmp_path / MovieLensFiles.u_data
    udata.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    movies = tmp_path / SourceColumns.movies_csv
    movies.write_text(
        ",".join(SourceColumns.movies_header) + "\n"
        '31,"Dangerous Minds (1995)",Drama\n1029,Dumbo (1941),Animation|Children|Drama\n'
        "5,Nothing (2000),(no genres listed)\n"
    )
    s = {Path(x.file).name: x for x in ingest_paths([ratings, udata, movies], warehouse=warehouse)}
    r = s[MovieLensFiles.ratings_csv]
    assert (r.format, r.rows_read, r.stored, r.duplicates, r.rejected) == (
        "movielens-ratings", 4, 2, 1, 1,
    )  # fmt: skip
    assert s[MovieLensFiles.u_data].format == "movielens-udata"
    assert s[MovieLensFiles.u_data].stored == 2
    assert s[SourceColumns.movies_csv].stored == 3
    row = warehouse.duck.execute(
        f"SELECT {Ratings.rating}, {Ratings.rated_utc}::VARCHAR FROM {Ratings.table} "
        f"WHERE {Ratings.member_id} = 196"
    ).fetchone()
    assert row == (3.0, "1997-12-04 15:55:49")
    genres = dict(
        warehouse.duck.execute(
            f"SELECT {Catalog.title_id}, {Catalog.genres} FROM {Catalog.table}"
        ).fetchall()
    )
    assert genres == {31: "Drama", 1029: "Animation|Children|Drama", 5: ""}


def test_movielens_1m_dat_files(tmp_path: Path, warehouse: Warehouse) -> None:
    """ml-1m / ml-10m: ``::``-separated, no header, no quoting (a title may hold quotes), and
    ml-1m's movies.dat in Latin-1. Bad rows are named by line and field, blank lines skipped."""
    ratings = tmp_path / "ratings.dat"
    ratings.write_text(
        "1::1193::5::978300760\n1::661::3::978302109\n\n1::x::3::978302109\n2::1193::4.5::978298413\n"
    )
    movies = tmp_path / "movies.dat"
    movies.write_bytes(
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        '2560::"Great Performances" Cats (1998)::Musical\n'
        "3::Café au Lait (1993)::Comedy\n".encode("latin-1")
    )
    (tmp_path / "users.dat").write_text("1::F::1::10::48067\n")  # five fields: not movies
    s = {Path(x.file).name: x for x in ingest_paths([tmp_path], warehouse=warehouse)}
    assert s["users.dat"].format == "unknown" and s["users.dat"].rows_read == 0
    r = s["ratings.dat"]
    assert (r.format, r.rows_read, r.stored, r.rejected) == ("movielens-ratings-dat", 4, 3, 1)
    quarantined = warehouse.duck.execute(
        "SELECT line, field, raw FROM quarantine ORDER BY line"
    ).fetchall()
    assert quarantined == [(4, "movieId", "1::x::3::978302109")]
    assert s["movies.dat"].format == "movielens-movies-dat" and s["movies.dat"].stored == 3
    titles = dict(
        warehouse.duck.execute(
            f"SELECT {Catalog.title_id}, {Catalog.title} FROM {Catalog.table}"
        ).fetchall()
    )
    assert titles == {
        1193: "One Flew Over the Cuckoo's Nest (1975)",
        2560: '"Great Performances" Cats (1998)',
        3: "Café au Lait (1993)",
    }
    row = warehouse.duck.execute(
        f"SELECT {Ratings.rating} FROM {Ratings.table} WHERE {Ratings.member_id} = 2"
    ).fetchone()
    assert row == (4.5,)


def test_movielens_100k_items(tmp_path: Path, warehouse: Warehouse) -> None:
    """ml-100k's u.item: genres from its 19 flags ("unknown" is no genre), the release date, the
    Latin-1 titles kept whole; a row with a bad id is named."""
    flags = ["0"] * 19
    toy = flags.copy()
    for k in (3, 4, 5):  # Animation, Children's, Comedy
        toy[k] = "1"
    unknown = flags.copy()
    unknown[0] = "1"
    lines = [
        "|".join(["1", "Toy Story (1995)", "01-Jan-1995", "", "http://x", *toy]),
        "|".join(["267", "unknown", "", "", "", *unknown]),
        "|".join(["1300", "Á köldum klaka (Cold Fever) (1994)", "01-Jan-1994", "", "", *toy]),
        "|".join(["x", "Bad id", "", "", "", *flags]),
    ]
    path = tmp_path / "u.item"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    (summary,) = ingest_paths([path], warehouse=warehouse)
    assert (summary.format, summary.rows_read, summary.stored, summary.rejected) == (
        "movielens-uitem", 4, 3, 1,
    )  # fmt: skip
    rows = warehouse.duck.execute(
        f"SELECT {Catalog.title_id}, {Catalog.title}, {Catalog.genres}, "
        f"{Catalog.release_date}::VARCHAR, {Catalog.kind} FROM {Catalog.table} ORDER BY 1"
    ).fetchall()
    assert rows == [
        (1, "Toy Story (1995)", "Animation|Children's|Comedy", "1995-01-01", Catalog.FILM),
        (267, "unknown", "", None, Catalog.FILM),
        (1300, "Á köldum klaka (Cold Fever) (1994)", "Animation|Children's|Comedy",
         "1994-01-01", Catalog.FILM),
    ]  # fmt: skip
    assert warehouse.duck.execute("SELECT line, field FROM quarantine").fetchall() == [
        (4, "movie id")
    ]


# ---------------------------------------------------------------------------------------------
# Members and erased members (registry on SQLite and PostgreSQL)


def test_members_reach_the_registry(
    tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    goods = good_events(60)
    path = write_csv(tmp_path / "e.csv", [g.row() for g in goods])
    ingest_paths([path], warehouse=warehouse, registry=registry)
    ids = {g.member_id for g in goods}
    assert {m.member_id for m in registry.members.list()} == ids
    assert warehouse.count(Members.table) == len(ids)


def test_erased_members_are_dropped(
    tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    from bingewise.privacy.tombstone import add_tombstone

    goods = good_events(80)
    gone = goods[0].member_id
    add_tombstone(registry, gone)
    path = write_csv(tmp_path / "e.csv", [g.row() for g in goods])
    [s] = ingest_paths([path], warehouse=warehouse, registry=registry)
    n_gone = sum(g.member_id == gone for g in goods)
    assert (s.rows_read, s.stored, s.rejected) == (80, 80 - n_gone, n_gone)
    assert "erased" in s.message
    left = warehouse.duck.execute(
        f"SELECT count(*) FROM {Events.table} WHERE {Events.member_id} = ?", [gone]
    ).fetchone()
    assert left == (0,)
    assert warehouse.count(Quarantine.table) == 0  # nothing of the erased member is kept
    assert registry.members.get(gone) is None


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_erased_members_rejected_rows_are_dropped(
    kind: str, tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    """A service log with short member ids: the rejected rows of an erased member are dropped
    with their valid rows (counted, said in the summary, not quarantined); other members' bad
    rows and rows naming no one are quarantined as before."""
    from bingewise.privacy.tombstone import add_tombstone

    add_tombstone(registry, 42)
    rows = [
        {"member_id": "42", "title_id": "1", "start_utc": "2024-01-02T03:04:05Z", "seconds": "60"},
        {"member_id": "42", "title_id": "2", "start_utc": "Bad Time Of 42", "seconds": "60"},
        {"member_id": "42", "title_id": "3", "start_utc": "2024-01-02", "seconds": "-1"},
        {"member_id": "7", "title_id": "1", "start_utc": "2024-01-02T05:04:05Z", "seconds": "60"},
        {"member_id": "7", "title_id": "2", "start_utc": "Bad Time Of 7", "seconds": "60"},
        {"member_id": "?", "title_id": "2", "start_utc": "Bad Time Of Nobody", "seconds": "9"},
    ]  # fmt: skip
    columns = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds]
    path = tmp_path / f"log.{kind}"
    if kind == "csv":
        write_csv(path, rows, columns)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.table({c: [r[c] for r in rows] for c in columns}), path)
    [s] = ingest_paths([path], warehouse=warehouse, registry=registry)
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (6, 1, 0, 5)
    assert "3 rows of erased members dropped" in s.message
    raws = [r for (r,) in warehouse.duck.execute(f"SELECT {Quarantine.raw} FROM {Quarantine.table}")
            .fetchall()]  # fmt: skip
    assert len(raws) == 2 and not any("42" in r for r in raws)
    assert any("Bad Time Of 7" in r for r in raws) and any("Bad Time Of Nobody" in r for r in raws)


def test_an_older_warehouse_gains_the_quarantine_member_column(
    tmp_path: Path, registry: Registry
) -> None:
    """A warehouse made before quarantined rows named their member opens with the column added
    (old rows name no one) and takes new files."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        f"CREATE TABLE {Quarantine.table} (source VARCHAR, line BIGINT, field VARCHAR, "
        "reason VARCHAR, raw VARCHAR, ingested_utc TIMESTAMP)"
    )
    con.execute(f"INSERT INTO {Quarantine.table} VALUES ('a.csv', 2, 'f', 'r', 'x', now())")
    con.close()
    log = write_csv(tmp_path / "e.csv", [{"member_id": "5", "title_id": "1"}], COLUMNS)
    with Warehouse.open(path) as wh:
        ingest_paths([log], warehouse=wh, registry=registry)
        rows = wh.duck.execute(
            f"SELECT {Quarantine.source}, {Quarantine.member_id} FROM {Quarantine.table}"
        ).fetchall()
    assert sorted(rows, key=str) == sorted([("a.csv", None), (str(log), 5)], key=str)


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_json_and_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [g.row() for g in good_events(12)])
    (tmp_path / "bad.bin").write_bytes(b"\x00\x01\x02" * 10)
    runner = CliRunner()
    result = runner.invoke(app, ["-q", "ingest", "--json", str(path), str(tmp_path / "bad.bin")])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    [summary] = payload["files"]
    assert (summary["rows_read"], summary["stored"], summary["format"]) == (12, 12, "events-csv")
    assert "binary" in payload["errors"][0]["reason"]
    again = runner.invoke(app, ["-q", "ingest", "--format", "events-csv", str(path)])
    assert again.exit_code == 0
    assert "already" in again.stdout


def test_cli_names_where_the_first_rejected_row_is(tmp_path: Path) -> None:
    """`ingest` says which line and field of a file it rejected first and why (the row itself
    is not printed): a count alone left a person with "rejected 1" and nowhere to look. The
    line is of this reading of the file, not of an earlier one under the same name."""
    header = "Profile Name,Start Time,Duration,Title,Country\n"
    good = "Ana,2023-03-04 20:00:00,00:40:00,Zorvex Film,DE (Germany)\n"
    path = tmp_path / "ViewingActivity.csv"
    path.write_text(header + "Ana,2023-03-05 20:00:00,40 min,Quillara Film,DE (Germany)\n" + good)
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", str(path)])
    text = " ".join(done.output.split())
    assert done.exit_code == 0, text
    assert (
        "1 of 2 rows rejected (first: line 2, field 'Duration': not a duration (expected H:MM:SS))"
        in text
    )
    assert "Quillara" not in text
    path.write_text(header + good + "Ana,2023-13-05 20:00:00,00:40:00,Quillara Film,DE (Germany)\n")
    done = runner.invoke(app, ["ingest", str(path)])
    text = " ".join(done.output.split())
    assert "1 of 2 rows rejected (first: line 3, field 'Start Time':" in text, text
    assert "line 2" not in text
    path.write_text(header + good + good.replace("2023-03-04", "2023-03-06") + "Ana,bad\n")
    done = runner.invoke(app, ["-q", "ingest", "--json", str(path)])
    [summary] = json.loads(done.stdout)["files"]
    assert summary["first_rejection"].startswith("first: line 4: 2 fields where the header has 5")


def test_cli_refuses_bad_options(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [g.row() for g in good_events(2)])
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--date-order", "XYZ", str(path)]).exit_code == 2
    assert runner.invoke(app, ["ingest", "--format", "nope", str(path)]).exit_code == 2
    assert runner.invoke(app, ["ingest", "--tz", "Mars/Base", str(path)]).exit_code == 2


# ---------------------------------------------------------------------------------------------
# Kill in the middle of the transaction, then re-run


#: ``bingewise ingest`` alone (the full CLI imports every capability: slow to start on a busy box)
_INGEST_CLI = """
import typer
from bingewise.cli import ingest
from bingewise.console import set_quiet
app = typer.Typer()
app.callback()(lambda: set_quiet(True))
ingest.register(app)
app()
"""


def test_kill_mid_transaction_then_rerun(tmp_path: Path, home: Path) -> None:
    goods = good_events(5_000, seed=9)
    path = write_csv(tmp_path / "big.csv", [g.row() for g in goods])
    marker = tmp_path / "in-transaction"
    env = dict(os.environ, **{TEST_PAUSE_ENV: str(marker)})
    base = [sys.executable, "-c", _INGEST_CLI, "ingest"]
    cmd = [*base, str(path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the ingest never reached its transaction"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        assert wh.count() == 0
        assert wh.count(IngestedFiles.table) == 0
    env.pop(TEST_PAUSE_ENV)
    done = subprocess.run([*base, "--json", str(path)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    [summary] = json.loads(done.stdout)["files"]
    assert (summary["rows_read"], summary["stored"], summary["duplicates"]) == (5_000, 5_000, 0)
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        assert wh.count() == 5_000


def test_parquet_with_text_columns(tmp_path: Path, warehouse: Warehouse) -> None:
    table = pa.table(
        {
            Events.member_id: ["1", "2", "z"],
            Events.title_id: ["5", "6", "7"],
            Events.start_utc: ["2024-01-01T00:00:00Z", "2024-01-01 01:00:00+01:00", "x"],
            Events.seconds: ["10", "20", "30"],
        }
    )
    pq.write_table(table, tmp_path / "text.parquet")
    [s] = ingest_paths([tmp_path / "text.parquet"], warehouse=warehouse)
    assert (s.stored, s.rejected) == (2, 1)
    line = warehouse.duck.execute(f"SELECT {Quarantine.line} FROM {Quarantine.table}").fetchone()
    assert line == (3,)


def test_duplicates_and_rejects_across_files_of_one_archive(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """Files of one archive share a transaction: later files see the earlier ones' rows, and
    each file's reject lines are its own (whatever was appended before it)."""
    goods = good_events(12)
    bad = {Events.member_id: "1", Events.title_id: "2", Events.start_utc: "x", Events.seconds: "1"}
    a = write_csv(tmp_path / "a.csv", [g.row() for g in goods[:6]] + [bad] + [goods[0].row()])
    b = write_csv(tmp_path / "b.csv", [g.row() for g in goods[4:10]] + [bad])
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        zf.write(a, "a.csv")
        zf.write(b, "b.csv")
    sa, sb = ingest_paths([tmp_path / "x.zip"], warehouse=warehouse)
    assert (sa.rows_read, sa.stored, sa.duplicates, sa.rejected) == (8, 6, 1, 1)
    assert (sb.rows_read, sb.stored, sb.duplicates, sb.rejected) == (7, 4, 2, 1)
    # a third file, in its own transaction, after committed rows
    c = write_csv(tmp_path / "c.csv", [bad, goods[11].row(), goods[1].row(), bad])
    [sc] = ingest_paths([c], warehouse=warehouse)
    assert (sc.rows_read, sc.stored, sc.duplicates, sc.rejected) == (4, 1, 1, 2)
    lines = warehouse.duck.execute(
        f"SELECT {Quarantine.source}, {Quarantine.line} FROM {Quarantine.table} ORDER BY ALL"
    ).fetchall()
    zipped = str(tmp_path / "x.zip")
    assert lines == sorted(
        [(f"{zipped}/a.csv", 8), (f"{zipped}/b.csv", 8), (str(c), 2), (str(c), 5)]
    )
    rows = warehouse.duck.execute(f"SELECT {Events.event_key} FROM {Events.table}").fetchall()
    keys = {k for (k,) in rows}
    assert keys == {g.key for g in goods[:10] + goods[11:]}


def test_a_later_file_fills_in_what_a_member_lacked(tmp_path: Path, home: Path) -> None:
    """Member 60 first comes without a country or zone; a later file gives both (--tz): the
    warehouse and the registry fill them in (their local days leave UTC). A third file with
    another zone replaces nothing."""
    registry = Registry.open()
    day1 = tmp_path / "day1.csv"
    day1.write_text("member_id,title_id,start_utc,seconds\n60,1,2024-01-01T20:00:00Z,600\n")
    day2 = tmp_path / "day2.csv"
    day2.write_text(
        "member_id,title_id,start_utc,seconds,country\n60,1,2024-01-02T20:00:00Z,600,IN\n"
    )
    day3 = tmp_path / "day3.csv"
    day3.write_text(
        "member_id,title_id,start_utc,seconds,country\n60,1,2024-01-03T20:00:00Z,600,FR\n"
    )
    with Warehouse.open() as wh:
        ingest_paths([day1], warehouse=wh, registry=registry)
        ingest_paths(
            [day2], warehouse=wh, registry=registry, options=ReadOptions(tz="Asia/Kathmandu")
        )
        ingest_paths(
            [day3], warehouse=wh, registry=registry, options=ReadOptions(tz="Europe/Paris")
        )
        (row,) = wh.duck.execute(
            f"SELECT {Members.country}, {Members.time_zone} FROM {Members.table}"
        ).fetchall()
    assert row == ("IN", "Asia/Kathmandu")
    record = registry.members.get(60)
    assert record is not None and (record.country, record.time_zone) == row
    registry.close()


# ---------------------------------------------------------------------------------------------
# Member fields the registry holds: checked at ingest, on SQLite and PostgreSQL alike


#: (member, country, profile) of a log, and what becomes of each row: the field and reason
#: fragment it is rejected for, or the (country, profile) the member is stored with
_DESCRIBED: list[tuple[str, str, str, tuple[str, str] | tuple[str | None, str | None]]] = [
    ("61", "USA", "Ana", (Events.country, "not an ISO 3166-1 alpha-2 country code")),
    ("62", " gb ", "Bo", ("GB", "Bo")),
    ("63", "us", "Chen", ("US", "Chen")),
    ("64", "XX", "Dee", (Events.country, "not an ISO 3166-1 alpha-2 country code")),
    ("65", "FR", "p" * 201, (Events.profile, "longer than 200 characters")),
    ("66", "FR", "q" * 200, ("FR", "q" * 200)),
    ("67", "", "", (None, None)),
]


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_member_fields_are_checked_against_what_the_registry_holds(
    kind: str, tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    """A country that is no ISO 3166-1 alpha-2 code (``USA``, ``XX``) or a profile longer than
    the registry's column is a rejected row (file, line, field, reason); a code in lower case or
    with spaces is read as the code; every other row is stored, in the warehouse and in the
    registry (PostgreSQL refused the whole file; SQLite stored ``USA`` as a country)."""
    columns = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds,
               Events.country, Events.profile]  # fmt: skip
    rows = [
        dict(zip(columns, (m, "1001", f"2017-02-10T20:{i:02d}:00Z", "100", c, p), strict=True))
        for i, (m, c, p, _) in enumerate(_DESCRIBED)
    ]
    path = tmp_path / f"log.{kind}"
    if kind == "csv":
        write_csv(path, rows, columns)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if v}) + "\n" for r in rows))
    else:
        pq.write_table(pa.table({c: [r[c] or None for r in rows] for c in columns}), path)
    [s] = ingest_paths([path], warehouse=warehouse, registry=registry)
    first = 2 if kind == "csv" else 1  # CSV: the header is line 1; JSON Lines and Parquet rows
    rejected = [(i + first, m, want) for i, (m, _, _, want) in enumerate(_DESCRIBED)
                if want[0] in (Events.country, Events.profile)]  # fmt: skip
    assert (s.rows_read, s.stored, s.rejected) == (7, 4, len(rejected))
    quarantined = warehouse.duck.execute(
        f"SELECT {Quarantine.source}, {Quarantine.line}, {Quarantine.field}, "
        f"{Quarantine.reason}, {Quarantine.member_id} FROM {Quarantine.table} ORDER BY 2"
    ).fetchall()
    assert [(src, line, f, m) for src, line, f, _, m in quarantined] == [
        (str(path), line, field, int(m)) for line, m, (field, _) in rejected
    ]
    for (_, _, _, reason, _), (_, _, (_, fragment)) in zip(quarantined, rejected, strict=True):
        assert fragment in reason
    stored = {m.member_id: (m.country, m.profile) for m in registry.members.list()}
    kept = {
        int(m): want
        for m, _, _, want in _DESCRIBED
        if want[0] not in (Events.country, Events.profile)
    }
    assert stored == kept
    in_warehouse = warehouse.duck.execute(
        f"SELECT {Members.member_id}, {Members.country}, {Members.profile} FROM {Members.table}"
    ).fetchall()
    assert {m: (c, p) for m, c, p in in_warehouse} == kept
    events = warehouse.duck.execute(
        f"SELECT {Events.member_id}, {Events.country} FROM {Events.table}"
    ).fetchall()
    assert dict(events) == {m: c for m, (c, _) in kept.items()}


def test_an_unknown_time_zone_option_is_refused_before_anything_is_stored(
    tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    """``ReadOptions.tz`` becomes every member's time zone: a name that is no IANA zone is
    refused (the CLI's ``--tz`` already was), for every format, and nothing is stored."""
    path = write_csv(tmp_path / "e.csv", [g.row() for g in good_events(5)])
    for given in (registry, None):  # without a registry the warehouse's members took it
        with pytest.raises(ValueError, match="tz 'Mars/Olympus' is no IANA time zone"):
            ingest_paths(
                [path], warehouse=warehouse, registry=given, options=ReadOptions(tz="Mars/Olympus")
            )
    assert warehouse.count(Events.table) == 0 and warehouse.count(Members.table) == 0
    assert registry.members.count() == 0


def test_a_registry_failure_is_one_line_without_member_data(
    tmp_path: Path, registry: Registry
) -> None:
    """Whatever makes the registry refuse the members of a file, the CLI prints one line naming
    the file and the kind of failure, never the SQL's parameters (member ids, profiles,
    countries), exits with status 1, and nothing of the file is stored."""
    with registry.engine.begin() as conn:  # a registry that cannot take members
        conn.execute(sa.text(f"DROP TABLE {Members.table}"))
    path = tmp_path / "e.csv"
    path.write_text(
        "member_id,title_id,start_utc,seconds,country,profile\n"
        "987654321,1001,2017-02-10T20:00:00Z,100,US,Zelda Quartermaine\n"
    )
    result = CliRunner().invoke(app, ["-q", "ingest", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    for secret in ("987654321", "Zelda", "Quartermaine", "'US'", "parameters", "Traceback"):
        assert secret not in result.output
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert str(path) in line and "registry" in line
    with Warehouse.open() as wh:
        assert wh.count(Events.table) == 0 and wh.count(IngestedFiles.table) == 0
