"""Netflix export readers: ViewingActivity (CSV, folder, ZIP) and NetflixViewingHistory.

Fixtures are written here, in tmp_path; nothing is read from the shared data folder except in the
optional test at the end (which prints nothing personal).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.ids import stable_id
from bingewise.ingest import ingest_paths
from bingewise.ingest.base import IngestError, Parsed, ReadOptions
from bingewise.ingest.generic import read_head
from bingewise.ingest.netflix import (
    HOUSEHOLD_NS,
    MEMBER_NS,
    NetflixViewingActivity,
    NetflixViewingHistory,
    infer_date_order,
    parse_hms,
    parse_stamp,
)
from bingewise.ingest.titles import series_id
from bingewise.registry import Registry
from bingewise.schema import Catalog, Events, Members, NetflixFiles, Quarantine
from bingewise.warehouse import Warehouse

#: The shared data folder, found relative to the repository as tests/conftest.py does.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
N = NetflixFiles
HEADER = [
    N.profile,
    N.start,
    N.duration,
    N.attributes,
    N.title,
    N.supplemental,
    N.device,
    N.bookmark,
    N.latest_bookmark,
    N.country,
]
ACTIVITY = NetflixViewingActivity()
HISTORY = NetflixViewingHistory()
EPOCH = dt.datetime(1970, 1, 1)


def row(
    profile: str = "Ana",
    start: str = "2022-07-28 04:22:10",
    duration: str = "0:45:00",
    title: str = "Dark: Staffel 1: Geheimnisse (Folge 1)",
    supplemental: str = "",
    device: str = "Chrome PC (Cadmium)",
    bookmark: str = "0:45:00",
    country: str = "DE (Germany)",
) -> dict[str, str]:
    return {
        N.profile: profile,
        N.start: start,
        N.duration: duration,
        N.attributes: "",
        N.title: title,
        N.supplemental: supplemental,
        N.device: device,
        N.bookmark: bookmark,
        N.latest_bookmark: "Not latest view",
        N.country: country,
    }


#: A small export: two profiles, several languages, supplemental videos, two countries.
ROWS = [
    row(),
    row(start="2022-07-28 05:10:00", title="Dark: Staffel 1: Lügen (Folge 2)", duration="0:50:12"),
    row(
        start="2022-07-29 20:00:00",
        title="Dark: Staffel 1 (Trailer)",
        duration="0:00:07",
        supplemental="TRAILER",
        bookmark="0:00:07",
    ),
    row(
        profile="Ben",
        start="2022-07-30 18:00:01",
        title="Black Mirror: Bandersnatch",
        duration="1:30:05",
        bookmark="1:30:05",
        country="US (United States)",
    ),
    row(
        profile="Ben",
        start="2022-07-31 18:00:00",
        title="La Casa de Papel: Parte 1: Episódio 3",
        duration="0:41:00",
        country="US (United States)",
    ),
    row(
        profile="Ben",
        start="2022-08-01 18:00:00",
        title="Narcos: México: Temporada 1: El Dorado (Episodio 4)",
        duration="0:10:00",
        supplemental="",
        country="BR (Brazil)",
    ),
    row(
        profile="Ben",
        start="2022-08-01 19:00:00",
        title="Narcos: México: Temporada 1",
        duration="0:00:30",
        supplemental="HOOK",
        bookmark="",
        country="US (United States)",
    ),
]


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    columns: list[str] = HEADER,
    *,
    bom: bool = False,
    quote_all: bool = False,
    crlf: bool = False,
) -> Path:
    """Rows as a CSV in ``columns`` order (missing columns left out)."""
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator="\r\n" if crlf else "\n",
    )
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def without_source(table: pa.Table) -> pa.Table:
    return table.drop_columns([Events.source])


def micros(t: dt.datetime) -> int:
    return (t - EPOCH) // dt.timedelta(microseconds=1)


# --- ViewingActivity --------------------------------------------------------------------------


def test_activity_rows_become_events_members_and_catalog(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ViewingActivity.csv", ROWS)
    parsed = ACTIVITY.read(path, ReadOptions(household="the-smiths"))
    assert parsed.format == "netflix-activity"
    assert parsed.rows_read == len(ROWS) == parsed.events.num_rows
    assert parsed.rejects.num_rows == 0
    ev = parsed.events.to_pylist()
    household = stable_id(HOUSEHOLD_NS, "the-smiths")
    ana = stable_id(MEMBER_NS, "the-smiths", "Ana")
    ben = stable_id(MEMBER_NS, "the-smiths", "Ben")
    assert {e[Events.household_id] for e in ev} == {household}
    assert [e[Events.member_id] for e in ev] == [ana] * 3 + [ben] * 4
    first = ev[0]
    assert first[Events.start_utc] == dt.datetime(2022, 7, 28, 4, 22, 10)
    assert first[Events.seconds] == 45 * 60
    assert first[Events.bookmark_seconds] == 45 * 60
    assert first[Events.country] == "DE"
    assert first[Events.device] == "Chrome PC (Cadmium)"
    assert first[Events.profile] == "Ana"
    assert first[Events.title_id] == stable_id("title", "dark: staffel 1: geheimnisse (folge 1)")
    # the event key: stable_id over member|title|start's minute (µs since 1970)|seconds
    for e in ev:
        minute = e[Events.start_utc].replace(second=0)
        expected = stable_id(
            e[Events.member_id], e[Events.title_id], micros(minute), e[Events.seconds]
        )
        assert e[Events.event_key] == expected
    assert [e[Events.supplemental] for e in ev] == [None, None, "TRAILER", None, None, None, "HOOK"]
    assert ev[6][Events.bookmark_seconds] is None
    assert ev[3][Events.seconds] == 3600 + 30 * 60 + 5

    members = {m[Members.profile]: m for m in parsed.members.to_pylist()}
    assert set(members) == {"Ana", "Ben"}
    assert members["Ana"][Members.member_id] == ana
    assert members["Ana"][Members.country] == "DE"
    assert members["Ana"][Members.time_zone] == "Europe/Berlin"
    # Ben: US three times, BR once -> US
    assert members["Ben"][Members.country] == "US"
    assert members["Ben"][Members.time_zone] == "America/New_York"
    assert {m[Members.household_id] for m in members.values()} == {household}

    catalog = {c[Catalog.title]: c for c in parsed.catalog.to_pylist()}
    assert len(catalog) == len({r[N.title] for r in ROWS})
    dark = catalog["Dark: Staffel 1: Lügen (Folge 2)"]
    assert dark[Catalog.kind] == Catalog.EPISODE
    assert dark[Catalog.series_id] == series_id("Dark") == stable_id("series", "dark")
    assert (dark[Catalog.season], dark[Catalog.episode]) == (1, 2)
    assert dark[Catalog.episode_title] == "Lügen"
    assert dark[Catalog.runtime_seconds] is None
    film = catalog["Black Mirror: Bandersnatch"]
    assert film[Catalog.kind] == Catalog.FILM
    assert film[Catalog.series_id] is None
    narcos = catalog["Narcos: México: Temporada 1: El Dorado (Episodio 4)"]
    assert narcos[Catalog.series_title] == "Narcos: México"
    assert catalog["La Casa de Papel: Parte 1: Episódio 3"][Catalog.episode] == 3
    assert {c[Catalog.title_id] for c in catalog.values()} == {e[Events.title_id] for e in ev}


def test_tz_option_sets_every_members_zone(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ViewingActivity.csv", ROWS)
    parsed = ACTIVITY.read(path, ReadOptions(tz="America/Mexico_City"))
    assert set(parsed.members.column(Members.time_zone).to_pylist()) == {"America/Mexico_City"}
    with pytest.raises(IngestError, match="unknown time zone"):
        ACTIVITY.read(path, ReadOptions(tz="Mars/Olympus_Mons"))


def test_layout_variants_read_the_same(tmp_path: Path) -> None:
    """BOM, every field quoted, CRLF, columns reordered, an extra column: same events."""
    plain = ACTIVITY.read(write_csv(tmp_path / "a.csv", ROWS), ReadOptions())
    shuffled = ["Something New", *reversed(HEADER)]
    variant = write_csv(tmp_path / "b.csv", ROWS, shuffled, bom=True, quote_all=True, crlf=True)
    assert variant.read_bytes().startswith(b'\xef\xbb\xbf"Something New","Country"')
    other = ACTIVITY.read(variant, ReadOptions())
    assert without_source(other.events).equals(without_source(plain.events))
    assert other.catalog.equals(plain.catalog)
    assert other.members.equals(plain.members)
    # lower-case, padded headers are the same columns
    relaxed = write_csv(tmp_path / "c.csv", ROWS)
    lines = relaxed.read_text().splitlines()
    lines[0] = ",".join(f" {c.lower()} " for c in HEADER)
    relaxed.write_text("\n".join(lines) + "\n")
    assert without_source(ACTIVITY.read(relaxed, ReadOptions()).events).equals(
        without_source(plain.events)
    )


def test_missing_optional_columns_are_empty(tmp_path: Path) -> None:
    columns = [N.title, N.start, N.profile, N.duration]
    parsed = ACTIVITY.read(write_csv(tmp_path / "v.csv", ROWS, columns), ReadOptions())
    assert parsed.events.num_rows == len(ROWS)
    ev = parsed.events
    for col in (Events.bookmark_seconds, Events.country, Events.device, Events.supplemental):
        assert ev.column(col).null_count == len(ROWS)
    assert set(parsed.members.column(Members.time_zone).to_pylist()) == {"UTC"}


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    columns = [c for c in HEADER if c != N.duration]
    path = write_csv(tmp_path / "v.csv", ROWS, columns)
    with pytest.raises(IngestError, match="Duration") as info:
        ACTIVITY.read(path, ReadOptions())
    assert info.value.line == 1
    assert info.value.field == N.duration


def test_spreadsheet_start_times(tmp_path: Path) -> None:
    rows = [
        row(start="7/28/2022 4:22"),
        row(start="7/28/2022 4:22:10", title="Roma"),
        row(start="12/1/2022 11:05 PM", title="Okja"),
        row(start="2022-07-28T04:22:10Z", title="Mank"),
    ]
    parsed = ACTIVITY.read(write_csv(tmp_path / "v.csv", rows), ReadOptions())
    assert parsed.events.column(Events.start_utc).to_pylist() == [
        dt.datetime(2022, 7, 28, 4, 22),
        dt.datetime(2022, 7, 28, 4, 22, 10),
        dt.datetime(2022, 12, 1, 23, 5),
        dt.datetime(2022, 7, 28, 4, 22, 10),
    ]
    dmy = [row(start="28.07.2022 04:22"), row(start="01.08.2022 20:00", title="Roma")]
    parsed = ACTIVITY.read(write_csv(tmp_path / "d.csv", dmy), ReadOptions())
    assert parsed.events.column(Events.start_utc).to_pylist() == [
        dt.datetime(2022, 7, 28, 4, 22),
        dt.datetime(2022, 8, 1, 20, 0),
    ]


def test_undecidable_day_month_order_asks_for_date_order(tmp_path: Path) -> None:
    rows = [row(start="7/8/2022 4:22"), row(start="1/1/2022 10:00", title="Roma")]
    path = write_csv(tmp_path / "v.csv", rows)
    with pytest.raises(IngestError, match="--date-order") as info:
        ACTIVITY.read(path, ReadOptions())
    assert (info.value.line, info.value.field) == (2, N.start)
    parsed = ACTIVITY.read(path, ReadOptions(date_order="dmy"))
    assert parsed.events.column(Events.start_utc)[0].as_py() == dt.datetime(2022, 8, 7, 4, 22)
    with pytest.raises(IngestError, match="MDY, DMY, YMD"):
        ACTIVITY.read(path, ReadOptions(date_order="DM"))


def test_contradicting_dates_name_the_line(tmp_path: Path) -> None:
    rows = [row(start="7/28/2022 4:22"), row(start="1/1/2022 1:00"), row(start="28/7/2022 5:00")]
    with pytest.raises(IngestError, match="disagree") as info:
        ACTIVITY.read(write_csv(tmp_path / "v.csv", rows), ReadOptions())
    assert info.value.line == 4


def test_bad_rows_are_rejected_with_physical_line_and_field(tmp_path: Path) -> None:
    rows = [
        row(title='Multi\nline "quoted" title'),  # line 2-3
        row(start="yesterday"),  # 4
        row(duration="45 minutes"),  # 5
        row(title=""),  # 6
        row(bookmark="1:99:00"),  # 7
        row(country="Atlantis"),  # 8
        row(start="2/30/2022 10:00"),  # 9: not a date in any order
        row(start="2022-07-28"),  # 10: no time of day
        row(profile=""),  # 11
        row(start="2022-07-29 10:00:00"),  # 12: fine
    ]
    path = write_csv(tmp_path / "v.csv", rows)
    with path.open("a") as fh:
        fh.write("\n,,,,,,,,,\n")  # blank and empty rows: not data
        fh.write("Ana,2022-07-30 10:00:00,0:10:00\n")  # 15: short row
    parsed = ACTIVITY.read(path, ReadOptions())
    rejects = parsed.rejects.to_pylist()
    got = [(r["line"], r["field"]) for r in rejects]
    assert got == [
        (4, N.start),
        (5, N.duration),
        (6, N.title),
        (7, N.bookmark),
        (8, N.country),
        (9, N.start),
        (10, N.start),
        (11, N.profile),
        (15, ""),
    ]
    assert parsed.rows_read == 11
    assert parsed.events.num_rows + parsed.rejects.num_rows == parsed.rows_read
    assert parsed.events.num_rows == 2
    assert "yesterday" in rejects[0]["raw"]
    assert "no time of day" in rejects[6]["reason"]
    assert "3 fields" in rejects[8]["reason"]
    titles = {c[Catalog.title] for c in parsed.catalog.to_pylist()}
    assert 'Multi line "quoted" title' in titles


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02PK", "binary"),
        (  # 0x81 is neither UTF-8 nor Windows-1252
            b"Profile Name,Start Time,Duration,Title\nZ\x81,2022-01-01 00:00:00,0:01:00,R\n",
            "neither UTF-8 nor Windows-1252",
        ),
        (  # a byte-order mark promises UTF-16; an odd byte count breaks it on the last line
            codecs.BOM_UTF16_LE + "Profile Name,Title\nAna,Roma\n".encode("utf-16-le") + b"x",
            "not utf-16 text",
        ),
    ],
)
def test_unusable_files_raise(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "ViewingActivity.csv"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message) as info:
        ACTIVITY.read(path, ReadOptions())
    if message.startswith(("neither", "not")):
        assert info.value.line == (2 if message.startswith("neither") else 3)


#: How spreadsheets re-save a CSV: (delimiter, bytes of the text) — European Excel's ";" with a
#: UTF-8 mark, "Unicode text" (tab, UTF-16 with a mark, either byte order), Windows "CSV"
#: (Windows-1252, no mark), UTF-32 with a mark.
RESAVES = {
    "semicolon, UTF-8 BOM": (";", lambda t: codecs.BOM_UTF8 + t.encode("utf-8")),
    "tab, UTF-16 LE": ("\t", lambda t: t.encode("utf-16")),
    "tab, UTF-16 BE": ("\t", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be")),
    "comma, Windows-1252": (",", lambda t: t.encode("cp1252")),
    "comma, UTF-32": (",", lambda t: t.encode("utf-32")),
}


@pytest.mark.parametrize("resave", list(RESAVES))
@pytest.mark.parametrize("reader", [ACTIVITY, HISTORY], ids=["activity", "history"])
def test_spreadsheet_resaves_read_like_the_export(
    tmp_path: Path, resave: str, reader: NetflixViewingActivity | NetflixViewingHistory
) -> None:
    """A re-saved export (other delimiter, encoding) is found and read exactly like the original;
    only the guessed Windows-1252 says how it was read."""
    delim, encode = RESAVES[resave]
    rows = [
        row(title="Dark: Staffel 1: Geheimnisse (Folge 1)"),
        row(title="Café – Crème brûlée, “Ça va”", start="2022-07-29 21:00:00"),
        row(profile="Zoë", title="Élite: Temporada 2: Episódio 3", country="BR (Brazil)"),
    ]
    columns = HEADER
    if reader is HISTORY:
        rows = [{N.title: r[N.title], N.date: r[N.start][:10]} for r in rows]
        columns = [N.title, N.date]
    original = write_csv(tmp_path / "original.csv", rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([r[c] for c in columns] for r in rows)
    path = tmp_path / "resaved.csv"
    path.write_bytes(encode(buf.getvalue()))
    assert reader.sniff(path, read_head(path))
    parsed = reader.read(path, ReadOptions())
    expected = reader.read(original, ReadOptions())
    assert parsed.rows_read == expected.rows_read == 3
    assert without_source(parsed.events).equals(without_source(expected.events))
    assert parsed.catalog.equals(expected.catalog)
    assert parsed.members.equals(expected.members)
    assert parsed.rejects.num_rows == 0
    guessed = "Windows-1252" in resave
    assert ("read as Windows-1252" in parsed.note) is guessed
    assert (parsed.note == "") is not guessed


def test_encoding_option_reads_another_legacy_encoding(tmp_path: Path) -> None:
    """A Central European spreadsheet saves Windows-1250: the Windows-1252 guess garbles "ł" and
    says so; --encoding cp1250 reads it right, without a note."""
    path = tmp_path / "ViewingActivity.csv"
    title = "Wiedźmin: Sezon 1: Koniec początku"
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, [row(title=title)[c] for c in HEADER]])
    path.write_bytes(buf.getvalue().encode("cp1250"))
    guessed = ACTIVITY.read(path, ReadOptions())
    assert "--encoding" in guessed.note
    assert title not in {c[Catalog.title] for c in guessed.catalog.to_pylist()}
    right = ACTIVITY.read(path, ReadOptions(encoding="cp1250"))
    assert right.note == ""
    assert title in {c[Catalog.title] for c in right.catalog.to_pylist()}


def test_the_summary_carries_the_readers_note(tmp_path: Path) -> None:
    path = tmp_path / "ViewingActivity.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, [row(title="Café")[c] for c in HEADER]])
    path.write_bytes(buf.getvalue().encode("cp1252"))
    with Warehouse.open(":memory:") as wh:
        (summary,) = ingest_paths([path], warehouse=wh)
    assert summary.stored == 1
    assert summary.message.startswith("not UTF-8 (line 2): read as Windows-1252")


def export_folder(root: Path) -> Path:
    """An export laid out like Netflix's: CONTENT_INTERACTION/ViewingActivity.csv and others."""
    write_csv(root / N.activity_folder / N.activity_csv, ROWS)
    (root / N.activity_folder / "MyList.csv").write_text("Profile Name,Title Name\nAna,Roma\n")
    (root / "Cover sheet.pdf").write_bytes(b"%PDF-1.4 not really")
    return root


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, f"netflix-report/{p.relative_to(folder).as_posix()}")
    return target


def same(a: Parsed, b: Parsed) -> None:
    assert a.rows_read == b.rows_read
    assert a.events.equals(b.events)
    assert a.catalog.equals(b.catalog)
    assert a.members.equals(b.members)


def test_folder_and_zip_read_like_the_csv(tmp_path: Path) -> None:
    folder = export_folder(tmp_path / "export")
    csv_path = folder / N.activity_folder / N.activity_csv
    direct = ACTIVITY.read(csv_path, ReadOptions())
    archive = zip_folder(folder, tmp_path / "export.zip")
    for path in (folder, archive):
        assert ACTIVITY.sniff(path, read_head(path) if path.is_file() else b"")
        same(ACTIVITY.read(path, ReadOptions()), direct)
    assert not HISTORY.sniff(archive, read_head(archive))


def test_truncated_or_empty_zip_raises(tmp_path: Path) -> None:
    archive = zip_folder(export_folder(tmp_path / "export"), tmp_path / "export.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(IngestError, match="truncated or corrupt ZIP"):
        ACTIVITY.read(cut, ReadOptions())
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("MyList.csv", "Profile Name,Title Name\n")
    with pytest.raises(IngestError, match=r"holds no ViewingActivity\.csv"):
        ACTIVITY.read(other, ReadOptions())
    assert not ACTIVITY.sniff(other, read_head(other))


def test_household_is_stable_and_tells_exports_apart(tmp_path: Path) -> None:
    def household(rows: list[dict[str, str]], name: str) -> set[int]:
        parsed = ACTIVITY.read(write_csv(tmp_path / name, rows), ReadOptions())
        return set(parsed.events.column(Events.household_id).to_pylist())

    base = household(ROWS, "a.csv")
    assert len(base) == 1
    assert household(ROWS, "again.csv") == base  # same file, same ids
    later = [*ROWS, row(start="2023-01-01 10:00:00", title="Roma")]
    assert household(later[::-1], "later.csv") == base  # a later export of the same account
    resaved = [{**r, N.start: r[N.start][:16]} for r in ROWS]  # a re-save drops seconds
    assert household(resaved, "resaved.csv") == base
    someone_else = [{**r, N.profile: "Carla"} for r in ROWS]
    assert household(someone_else, "other.csv").isdisjoint(base)
    other_first = [row(start="2021-01-01 10:00:00", title="Roma"), *ROWS]
    assert household(other_first, "other2.csv").isdisjoint(base)


@pytest.mark.parametrize("first", ["original", "resaved"])
def test_a_resave_without_seconds_holds_the_same_rows(tmp_path: Path, first: str) -> None:
    """A spreadsheet re-save that dropped the seconds of every start, ingested after the
    original (or before it), adds no row: the same household, members and event keys."""
    files = {
        "original": write_csv(tmp_path / "original.csv", ROWS),
        "resaved": write_csv(
            tmp_path / "resaved.csv",
            [
                {
                    **r,
                    N.start: f"{int(r[N.start][5:7])}/{int(r[N.start][8:10])}/{r[N.start][:4]}"
                    f" {int(r[N.start][11:13])}:{r[N.start][14:16]}",
                }
                for r in ROWS
            ],
        ),
    }
    second = "resaved" if first == "original" else "original"
    with Warehouse.open(":memory:") as wh:
        (a,) = ingest_paths([files[first]], warehouse=wh)
        (b,) = ingest_paths([files[second]], warehouse=wh)
        starts = wh.table(Events.table)[Events.start_utc].to_pyarrow().to_pylist()
    assert a.stored == len(ROWS) and b.rows_read == len(ROWS)
    assert (b.stored, b.duplicates) == (0, len(ROWS))
    # the first file's rows are kept: the original's seconds, or the re-save's whole minutes
    assert any(s.second for s in starts) is (first == "original")


# --- NetflixViewingHistory --------------------------------------------------------------------


def write_history(path: Path, rows: list[tuple[str, str]], *, bom: bool = False) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([N.title, N.date])
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


HISTORY_ROWS = [
    ("The Crown: Season 1: Wolferton Splash (Episode 1)", "12/31/17"),
    ("Roma", "1/2/18"),
    ("Dark: Staffel 1: Geheimnisse (Folge 1)", "3/4/18"),
]


@pytest.mark.parametrize(
    ("dates", "options"),
    [
        (["12/31/17", "1/2/18", "3/4/18"], ReadOptions()),  # 31 decides MDY
        (["31/12/2017", "2/1/2018", "4/3/2018"], ReadOptions()),  # 31 decides DMY
        (["2017-12-31", "2018-01-02", "2018-03-04"], ReadOptions()),
        (["31.12.2017", "02.01.2018", "04.03.2018"], ReadOptions()),
        (["17/12/31", "18/01/02", "18/03/04"], ReadOptions(date_order="YMD")),
    ],
)
def test_history_dates(tmp_path: Path, dates: list[str], options: ReadOptions) -> None:
    rows = [(t, d) for (t, _), d in zip(HISTORY_ROWS, dates, strict=True)]
    parsed = HISTORY.read(write_history(tmp_path / "h.csv", rows, bom=True), options)
    assert parsed.format == "netflix-history"
    assert parsed.rows_read == 3 == parsed.events.num_rows
    assert parsed.events.column(Events.start_utc).to_pylist() == [
        dt.datetime(2017, 12, 31),
        dt.datetime(2018, 1, 2),
        dt.datetime(2018, 3, 4),
    ]
    assert set(parsed.events.column(Events.seconds).to_pylist()) == {0}
    assert parsed.events.column(Events.profile).null_count == 3
    label = "\x1f".join(("netflix-history", "2017-12-31", HISTORY_ROWS[0][0].casefold()))
    member = stable_id(MEMBER_NS, label, "")
    assert set(parsed.events.column(Events.member_id).to_pylist()) == {member}
    (m,) = parsed.members.to_pylist()
    assert m[Members.member_id] == member
    assert m[Members.household_id] == stable_id(HOUSEHOLD_NS, label)
    assert m[Members.time_zone] == "UTC"
    kinds = parsed.catalog.column(Catalog.kind).to_pylist()
    assert kinds == [Catalog.EPISODE, Catalog.FILM, Catalog.EPISODE]


def test_history_local_midnight_with_tz_and_household(tmp_path: Path) -> None:
    path = write_history(tmp_path / "h.csv", HISTORY_ROWS)
    parsed = HISTORY.read(path, ReadOptions(tz="America/New_York", household="me"))
    # midnight in New York is 05:00 UTC in winter; the local date is kept
    assert parsed.events.column(Events.start_utc)[0].as_py() == dt.datetime(2017, 12, 31, 5)
    assert parsed.members.column(Members.time_zone).to_pylist() == ["America/New_York"]
    assert parsed.members.column(Members.member_id).to_pylist() == [stable_id(MEMBER_NS, "me", "")]


def test_history_ambiguous_and_conflicting_dates(tmp_path: Path) -> None:
    ambiguous = write_history(tmp_path / "a.csv", [("Roma", "1/2/18"), ("Okja", "3/4/18")])
    with pytest.raises(IngestError, match="--date-order"):
        HISTORY.read(ambiguous, ReadOptions())
    parsed = HISTORY.read(ambiguous, ReadOptions(date_order="DMY"))
    assert parsed.events.column(Events.start_utc)[0].as_py() == dt.datetime(2018, 2, 1)
    # dates where day == month do not need an order
    same_day = write_history(tmp_path / "s.csv", [("Roma", "1/1/18"), ("Okja", "5/5/18")])
    assert HISTORY.read(same_day, ReadOptions()).events.num_rows == 2
    conflicting = write_history(
        tmp_path / "c.csv", [("Roma", "12/31/17"), ("Okja", "1/1/18"), ("Mank", "31/12/17")]
    )
    with pytest.raises(IngestError, match="line 2 reads only as MDY, line 4 only as DMY"):
        HISTORY.read(conflicting, ReadOptions())


def test_history_bad_rows(tmp_path: Path) -> None:
    rows = [("Roma", "12/31/17"), ("", "1/2/18"), ("Okja", "13/13/18"), ("Mank", "soon")]
    parsed = HISTORY.read(write_history(tmp_path / "h.csv", rows), ReadOptions())
    got = [(r["line"], r["field"]) for r in parsed.rejects.to_pylist()]
    assert got == [(3, N.title), (4, N.date), (5, N.date)]
    assert parsed.events.num_rows == 1
    assert parsed.rows_read == 4


def test_sniffing(tmp_path: Path) -> None:
    activity = write_csv(
        tmp_path / "a.csv", ROWS[:1], [*reversed(HEADER)], bom=True, quote_all=True
    )
    history = write_history(tmp_path / "h.csv", HISTORY_ROWS, bom=True)
    mylist = tmp_path / "m.csv"
    mylist.write_text("Profile Name,Title Name,Country,Utc Title Add Date\n")
    movies = tmp_path / "movies.csv"
    movies.write_text("movieId,title,genres\n1,Toy Story (1995),Animation\n")
    heads = {p: read_head(p) for p in (activity, history, mylist, movies)}
    assert ACTIVITY.sniff(activity, heads[activity])
    assert not HISTORY.sniff(activity, heads[activity])
    assert HISTORY.sniff(history, heads[history])
    assert not ACTIVITY.sniff(history, heads[history])
    for other in (mylist, movies):
        assert not ACTIVITY.sniff(other, heads[other])
        assert not HISTORY.sniff(other, heads[other])


# --- through the pipeline ---------------------------------------------------------------------


def test_a_stray_quote_rejects_its_own_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    """A hand-edited export with one unbalanced quote (a title typed as ``"Roma``): CSV reads
    everything up to the next quote as one field, so the rows after it vanished inside one
    rejected (or, by chance, accepted) row, and the summary counted 1 row where there were many.
    Now that line alone is rejected, naming it, and every later row is read on its own; a title
    that really spans lines (quoted, closed) is still one row."""
    rows = [row(start=f"2022-07-{d:02d} 20:00:00") for d in range(1, 8)]
    rows[1] = row(start="2022-07-02 20:00:00", title='Multi\nline "quoted" title')  # lines 3-4
    path = write_csv(tmp_path / "ViewingActivity.csv", rows)
    lines = path.read_text().splitlines(keepends=True)
    assert lines[5].startswith("Ana,2022-07-04") and ",Dark: Staffel" in lines[5]
    for broken in (
        lines[5].replace(",Dark: Staffel", ',"Dark: Staffel'),  # 11 fields swallowed
        lines[5].replace(",Dark: Staffel", ',"Dark, Staffel'),  # by chance 10 fields
    ):
        path.write_text("".join([*lines[:5], broken, *lines[6:]]))
        parsed = ACTIVITY.read(path, ReadOptions())
        rejects = parsed.rejects.to_pylist()
        assert [(r["line"], r["field"]) for r in rejects] == [(6, "")], rejects
        assert "quote" in rejects[0]["reason"] and rejects[0]["raw"] == broken.rstrip("\n")
        assert parsed.rows_read == 7
        assert parsed.events.num_rows == 6
        titles = {c[Catalog.title] for c in parsed.catalog.to_pylist()}
        assert 'Multi line "quoted" title' in titles
    # Two columns: the end of a title quoted over two lines is no row of its own.
    history = tmp_path / "NetflixViewingHistory.csv"
    history.write_text('Title,Date\n"Roma: ""Part\none""",7/28/22\n"Dark, Staffel 1",7/29/22\n')
    parsed = HISTORY.read(history, ReadOptions())
    assert (parsed.rows_read, parsed.rejects.num_rows) == (2, 0)
    assert sorted(c[Catalog.title] for c in parsed.catalog.to_pylist()) == [
        "Dark, Staffel 1",
        'Roma: "Part one"',
    ]


def test_pipeline_ingests_the_export_zip(tmp_path: Path, warehouse: Warehouse) -> None:
    archive = zip_folder(export_folder(tmp_path / "export"), tmp_path / "export.zip")
    summaries = ingest_paths([archive], warehouse=warehouse)
    read = [s for s in summaries if not s.skipped]
    assert [s.format for s in read] == ["netflix-activity"]
    (s,) = read
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (len(ROWS), len(ROWS), 0, 0)
    assert warehouse.count(Events.table) == len(ROWS)
    assert warehouse.count(Catalog.table) == len({r[N.title] for r in ROWS})
    assert warehouse.count(Members.table) == 2
    # the same rows again (another file): all duplicates
    again = ingest_paths([write_csv(tmp_path / "copy.csv", ROWS, crlf=True)], warehouse=warehouse)
    assert [(x.stored, x.duplicates) for x in again] == [(0, len(ROWS))]


def test_pipeline_ingests_history_and_quarantines(tmp_path: Path, warehouse: Warehouse) -> None:
    path = write_history(tmp_path / "NetflixViewingHistory.csv", [*HISTORY_ROWS, ("Okja", "x")])
    (s,) = ingest_paths([path], warehouse=warehouse)
    assert s.format == "netflix-history"
    assert (s.rows_read, s.stored, s.duplicates, s.rejected) == (4, 3, 0, 1)
    row_ = warehouse.duck.execute(
        f'SELECT "{Quarantine.line}", "{Quarantine.field}" FROM "{Quarantine.table}"'
    ).fetchall()
    assert row_ == [(5, N.date)]


def test_member_fields_the_registry_cannot_hold_are_rejected_rows(
    tmp_path: Path, warehouse: Warehouse, registry: Registry
) -> None:
    """A profile name longer than the registry holds, or a country no ISO 3166 code names
    (``XX (Nowhere)`` was read as ``XX``), is a rejected row naming its line and field; the other
    profiles' rows are stored, on SQLite and PostgreSQL alike (PostgreSQL refused the file)."""
    long_name = "L" * 201
    rows = [
        row(),  # 2: Ana, DE
        row(profile=long_name, start="2022-07-28 06:00:00"),  # 3
        row(profile="Ben", start="2022-07-28 07:00:00", country="XX (Nowhere)"),  # 4
        row(profile="Ben", start="2022-07-28 08:00:00", country="us (United States)"),  # 5
    ]
    path = write_csv(tmp_path / "ViewingActivity.csv", rows)
    [s] = ingest_paths([path], warehouse=warehouse, registry=registry)
    assert (s.rows_read, s.stored, s.rejected) == (4, 2, 2)
    quarantined = warehouse.duck.execute(
        f'SELECT "{Quarantine.line}", "{Quarantine.field}", "{Quarantine.reason}" '
        f'FROM "{Quarantine.table}" ORDER BY 1'
    ).fetchall()
    assert [(line, f) for line, f, _ in quarantined] == [(3, N.profile), (4, N.country)]
    assert "longer than 200 characters" in quarantined[0][2]
    members = {(m.profile, m.country) for m in registry.members.list()}
    assert members == {("Ana", "DE"), ("Ben", "US")}


# --- properties of the small parsers ----------------------------------------------------------


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    st.sampled_from(["MDY", "DMY", "YMD"]),
    st.booleans(),
)
def test_stamps_round_trip(when: dt.datetime, order: str, short_year: bool) -> None:
    when = when.replace(microsecond=0)
    year = f"{when.year % 100:02d}" if short_year else str(when.year)
    parts = {"Y": year, "M": str(when.month), "D": str(when.day)}
    text = "/".join(parts[c] for c in order) + f" {when:%H:%M:%S}"
    stamp = parse_stamp(text)
    if order == "YMD" and not short_year:
        assert stamp.fixed
    assert stamp.date(order) == when.date()
    assert stamp.time == (when.hour, when.minute, when.second)
    if order != "YMD" and when.day > 12:
        assert infer_date_order([(2, stamp)]) == order


@given(st.integers(0, 99_999), st.integers(0, 59), st.integers(0, 59))
def test_hms_round_trip_up_to_a_day(h: int, m: int, s: int) -> None:
    seconds = h * 3600 + m * 60 + s
    if seconds <= 24 * 3600:
        assert parse_hms(f"{h}:{m:02d}:{s:02d}") == seconds
    else:
        with pytest.raises(ValueError, match="over 24 hours"):
            parse_hms(f"{h}:{m:02d}:{s:02d}")


def test_viewing_after_today_is_a_rejected_row(tmp_path: Path) -> None:
    """An export holds only viewing that happened: a start (or a history date) weeks ahead is a
    reject naming its line and field, and does not become the recap's year; tomorrow is kept
    (zones ahead of UTC)."""
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    rows = [row(), row(start=f"{later:%Y-%m-%d} 20:00:00"), row(start=f"{soon:%Y-%m-%d} 00:30:00")]
    parsed = ACTIVITY.read(write_csv(tmp_path / "ViewingActivity.csv", rows), ReadOptions())
    assert parsed.events.num_rows == 2
    (reject,) = parsed.rejects.to_pylist()
    assert (reject["line"], reject["field"]) == (3, N.start)
    assert "after today" in reject["reason"]
    dates = [{N.title: "Roma", N.date: f"{d:%Y-%m-%d}"} for d in (later, soon)]
    history = write_csv(tmp_path / "NetflixViewingHistory.csv", dates, [N.title, N.date])
    parsed = HISTORY.read(history, ReadOptions())
    assert parsed.events.num_rows == 1
    assert [(r["line"], r["field"]) for r in parsed.rejects.to_pylist()] == [(2, N.date)]


def test_a_duration_over_a_day_is_a_rejected_row(tmp_path: Path) -> None:
    """A damaged or hand-edited Duration (99:59:59) is a reject naming its line and field, not
    ten thousand hours in a recap; the other rows are kept."""
    rows = [row(), row(start="2022-07-28 06:00:00", duration="99:59:59"), row(duration="24:00:00")]
    parsed = ACTIVITY.read(write_csv(tmp_path / "ViewingActivity.csv", rows), ReadOptions())
    assert parsed.events.num_rows == 2  # 24:00:00 is the most a segment may last
    (reject,) = parsed.rejects.to_pylist()
    assert (reject["line"], reject["field"]) == (3, N.duration)
    assert "over 24 hours" in reject["reason"]


# --- the real exports in the shared data folder (optional) ------------------------------------


@pytest.mark.realdata
def test_every_shared_export_reads_and_adds_up(tmp_path: Path) -> None:
    folder = SHARED_DATA / "netflix"
    if not folder.is_dir():
        pytest.skip("shared data folder absent")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".csv")
    claimed = 0
    wh = Warehouse.open(tmp_path / "real.duckdb")
    try:
        for path in files:
            head = read_head(path)
            readers = [r for r in (ACTIVITY, HISTORY) if r.sniff(path, head)]
            if path.name.endswith((N.activity_csv, N.history_csv)):
                assert len(readers) == 1, path.name
            else:
                assert readers == [], path.name  # other export files are not viewing data
                continue
            claimed += 1
            parsed = readers[0].read(path, ReadOptions())
            events, rejects = parsed.events.num_rows, parsed.rejects.num_rows
            assert parsed.rows_read == events + rejects
            # real exports are clean: at most 1% rejected, each with a field and a reason
            assert rejects <= parsed.rows_read // 100
            assert all(r["field"] and r["reason"] for r in parsed.rejects.to_pylist())
            titles = set(parsed.events.column(Events.title_id).to_pylist())
            assert titles == set(parsed.catalog.column(Catalog.title_id).to_pylist())
            assert parsed.members.num_rows == len(
                set(parsed.events.column(Events.member_id).to_pylist())
            )
            (s,) = ingest_paths([path], warehouse=wh)
            assert s.rows_read == parsed.rows_read
            assert s.stored + s.duplicates + s.rejected == s.rows_read
            assert s.rejected == rejects
        assert claimed >= 1
    finally:
        wh.close()


def test_utf8_with_a_broken_byte_stays_utf8(tmp_path: Path) -> None:
    """A UTF-8 export with one damaged byte is not re-read as Windows-1252 (which would garble
    every accented title): the broken byte becomes U+FFFD, the note names its line."""
    path = tmp_path / "ViewingActivity.csv"
    rows = [row(title="Élite: Temporada 1: Bienvenidos (Episódio 1)"), row(title="Café")]
    write_csv(path, rows)
    data = path.read_bytes().replace("Café".encode(), b"Caf\xc3")  # a cut two-byte sequence
    path.write_bytes(data)
    parsed = ACTIVITY.read(path, ReadOptions())
    titles = {c[Catalog.title] for c in parsed.catalog.to_pylist()}
    assert "Élite: Temporada 1: Bienvenidos (Episódio 1)" in titles
    assert "Caf\ufffd" in titles
    assert parsed.note.startswith("not valid UTF-8 at line 3 (1 broken byte sequence(s)")
