"""The ingestion pipeline: detect, read, drop erased members, dedupe, store in one transaction.

For every path given (a file, a ZIP archive or a folder such as a Netflix export):

1. each file is matched to a reader (:func:`bingewise.ingest.formats.detect`, or ``fmt``); in an
   archive or folder, files of no known format are listed as skipped, not read;
2. a file already ingested (same SHA-256) stores nothing and reports its rows as before: stored
   and duplicate rows as duplicates, rejected as rejected;
3. the file is read and validated in DuckDB (bad rows become quarantine rows with file, line,
   field and reason). Events and ratings in CSV or Parquet are appended straight to their table
   in file order (:meth:`~bingewise.ingest.generic.TabularReader.load`: one pass over the file);
   other formats are staged in temporary tables, then appended in file order;
4. appended rows of erased members are deleted (see :func:`drop_erased`), and rejected rows
   naming an erased member left out, all counted as rejected and *not* quarantined (nothing of
   an erased member is kept); other rejected rows are quarantined with the member they name;
5. appended events and ratings whose key came earlier in the file, or was already stored, are
   deleted (the first occurrence wins; an ``event_id`` reused for a different event is
   rejected and quarantined instead, naming the earlier occurrence); catalog rows are
   upserted by ``title_id``; members found go to the warehouse and, given a registry, to
   ``registry.members``;
6. appended events of member-days that retention closed (older than its latest cutoff, on a
   day ``daily_viewing`` summarises; see :mod:`bingewise.privacy.retention`) are deleted and
   counted as duplicates: the aggregate holds them already;
7. the file is recorded in ``ingested_files``.

A file's appended rows are found by ``rowid`` (above the table's largest before the file; checked
to be contiguous), so nothing is copied twice. Everything of one path (all files of an archive)
happens in **one DuckDB transaction**: a failure or a kill leaves the warehouse as it was. Every
summary satisfies ``rows_read == stored + duplicates + rejected``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import sqlalchemy as sa

from bingewise.console import progress
from bingewise.files import sha256_file
from bingewise.geo import is_time_zone
from bingewise.ingest.base import REJECTS_SCHEMA, IngestError, Parsed, Reader, ReadOptions
from bingewise.ingest.formats import detect, diagnose, is_zip, mapped_readers, reader_named
from bingewise.ingest.generic import (
    ORD,
    Loaded,
    ReusedIds,
    Staged,
    TabularReader,
    check_appended,
    drop_temp,
    event_key_sql,
    last_rowid,
    lit,
    q,
    read_head,
    temp_name,
    timed,
)
from bingewise.ingest.movielens import rating_key_sql
from bingewise.registry import MemberRecord, Registry
from bingewise.registry.members import FILLABLE, InvalidMember
from bingewise.schema import (
    Catalog,
    Events,
    IngestedFiles,
    Members,
    Quarantine,
    Ratings,
)
from bingewise.warehouse import Warehouse

__all__ = ["TEST_PAUSE_ENV", "IngestSummary", "drop_erased", "ingest_paths", "sha256_file"]

log = logging.getLogger(__name__)

#: Test hook: when set to a file path, the pipeline creates that file once everything of a path
#: is written but not committed, then sleeps, so a test can kill the process mid-transaction.
TEST_PAUSE_ENV = "BINGEWISE_TEST_PAUSE_IN_TRANSACTION"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What became of one file's rows: ``rows_read == stored + duplicates + rejected``."""

    file: str
    format: str
    rows_read: int
    stored: int
    duplicates: int
    rejected: int
    skipped: bool = False  #: not read (already ingested, or of no known format in an archive)
    message: str = ""

    def __post_init__(self) -> None:
        if self.rows_read != self.stored + self.duplicates + self.rejected:
            raise AssertionError(
                f"{self.file}: counts do not add up: read {self.rows_read} != stored "
                f"{self.stored} + duplicates {self.duplicates} + rejected {self.rejected}"
            )

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Entry point


def ingest_paths(
    paths: Sequence[str | Path],
    *,
    warehouse: Warehouse,
    registry: Registry | None = None,
    fmt: str | None = None,
    options: ReadOptions = ReadOptions(),
) -> list[IngestSummary]:
    """Ingest files, ZIP archives and folders; one summary per file.

    Raises :class:`IngestError` (naming the file) for a path that cannot be ingested at all, in
    which case nothing of that path is stored; paths before it stay ingested. A registry that
    fails to take a path's members is such a case too: the error names the path and the kind of
    failure, never the database's message (it may quote the members' data). Raises
    :class:`ValueError` before reading anything when ``options.tz`` is no IANA time zone (it
    would become every member's zone).
    """
    if options.tz is not None and not is_time_zone(options.tz):
        raise ValueError(f"ReadOptions.tz {options.tz!r} is no IANA time zone (e.g. Europe/Paris)")
    readers = mapped_readers(options.columns)
    forced = reader_named(fmt, readers) if fmt else None
    summaries: list[IngestSummary] = []
    with progress() as bar:
        task = bar.add_task("ingest", total=len(paths))
        for raw in paths:
            path = Path(raw)
            bar.update(task, description=f"ingest {path.name}")
            with _expanded(path, forced, readers) as items:
                try:
                    summaries.extend(_ingest_unit(warehouse, registry, items, options))
                except sa.exc.SQLAlchemyError as exc:
                    raise IngestError(path, _registry_failure(exc)) from None
                except InvalidMember as exc:  # a value a reader should have rejected
                    raise IngestError(path, f"the registry refused a member: {exc}") from None
            bar.advance(task)
    return summaries


@dataclass(frozen=True, slots=True)
class _Item:
    name: str  #: file name as given (archive members: "archive.zip/member")
    path: Path  #: where to read it
    reader: Reader | None  #: None: of no known format (skipped)


@contextmanager
def _expanded(
    path: Path, forced: Reader | None, readers: Sequence[Reader]
) -> Iterator[list[_Item]]:
    """The files of a path, each with its reader; archives are extracted to a temporary folder."""
    name = str(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        items = [
            _member(f"{name}/{p.relative_to(path).as_posix()}", p, forced, readers) for p in files
        ]
        yield _require_some(path, items)
        return
    if not path.is_file():
        raise IngestError(path, "no such file or folder")
    head = read_head(path)
    if is_zip(head):
        workbook = _workbook(path)
        if workbook:
            raise IngestError(
                path, f"{workbook}, not a CSV file or an export's ZIP: save it as CSV and read that"
            )
        tmp = Path(tempfile.mkdtemp(prefix="bingewise-zip-"))
        try:
            items = [
                _member(f"{name}/{member}", file, forced, readers)
                for member, file in _extract(path, tmp)
            ]
            yield _require_some(path, items)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if forced is not None:
        if not head:
            raise IngestError(path, "empty file")
        yield [_Item(name, path, forced)]
        return
    yield [_Item(name, path, detect(path, head, readers))]


def _workbook(path: Path) -> str:
    """What spreadsheet a ZIP-based file is ("an Excel workbook"), or "" if none: a person who
    opened their export in a spreadsheet may save it in the spreadsheet's own format."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            kind = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return ""  # the extraction names what is wrong
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "an Excel workbook"
    if b"opendocument.spreadsheet" in kind:
        return "an OpenDocument spreadsheet"
    return ""


def _member(name: str, path: Path, forced: Reader | None, readers: Sequence[Reader]) -> _Item:
    head = read_head(path)
    if forced is not None:
        return _Item(name, path, forced if head and forced.sniff(path, head) else None)
    try:
        return _Item(name, path, detect(path, head, readers))
    except IngestError:
        return _Item(name, path, None)


def _require_some(path: Path, items: list[_Item]) -> list[_Item]:
    if not any(item.reader is not None for item in items):
        raise IngestError(path, "holds no file of a known format")
    return items


def _unreadable_member(exc: Exception) -> str:
    """Why an archive member cannot be read, and what to do (for an :class:`IngestError`)."""
    what = (  # NotImplementedError is a RuntimeError: asked first
        "compressed in a way this program cannot read"
        if isinstance(exc, NotImplementedError)
        else "password-protected"
    )
    return f"{what}: extract it with the program that made the archive and ingest the folder"


def _extract(archive: Path, into: Path) -> list[tuple[str, Path]]:
    """Extract every file of a ZIP archive safely (no path escapes); CRCs are checked."""
    out: list[tuple[str, Path]] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                parts = [p for p in PurePosixPath(info.filename).parts if p not in ("", ".", "..")]
                if not parts:
                    continue
                target = into.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    src = zf.open(info)
                except (RuntimeError, NotImplementedError) as exc:
                    # zipfile: RuntimeError for an encrypted member, NotImplementedError for a
                    # compression it lacks (WinZip AES, Deflate64, PPMd...).
                    raise IngestError(
                        f"{archive}/{info.filename}", _unreadable_member(exc)
                    ) from None
                with src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                out.append(("/".join(parts), target))
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
        raise IngestError(archive, f"truncated or corrupt ZIP archive ({exc})") from None
    return out


# ---------------------------------------------------------------------------------------------
# One path: one transaction


def _ingest_unit(
    warehouse: Warehouse, registry: Registry | None, items: list[_Item], options: ReadOptions
) -> list[IngestSummary]:
    summaries: list[IngestSummary] = []
    members: list[MemberRecord] = []
    with warehouse.transaction() as con:
        for item in items:
            if item.reader is None:
                summaries.append(
                    IngestSummary(item.name, UNKNOWN, 0, 0, 0, 0, True, "no known format; not read")
                )
                continue
            summary, found = _ingest_file(con, registry, item, options)
            summaries.append(summary)
            members.extend(found)
        if registry is not None and members:
            registry.members.upsert_many(members)
        _test_pause()
    for s in summaries:
        log.info(
            "%s (%s): read %d, stored %d, duplicates %d, rejected %d",
            s.file, s.format, s.rows_read, s.stored, s.duplicates, s.rejected,
        )  # fmt: skip
    return summaries


def _registry_failure(exc: sa.exc.SQLAlchemyError) -> str:
    """One line on a registry error, without its text: SQLAlchemy's message holds the SQL's
    parameters and the database's own may quote a value (member ids, profiles, countries)."""
    orig = getattr(exc, "orig", None)
    kind = type(orig if orig is not None else exc).__name__
    state = getattr(orig, "sqlstate", None)
    code = f", SQLSTATE {state}" if state else ""
    return f"the registry failed ({kind}{code}); nothing of this path was stored"


def _test_pause() -> None:
    marker = os.environ.get(TEST_PAUSE_ENV)
    if marker:
        Path(marker).write_text("in transaction\n")
        time.sleep(120)


def _ingest_file(
    con: duckdb.DuckDBPyConnection, registry: Registry | None, item: _Item, options: ReadOptions
) -> tuple[IngestSummary, list[MemberRecord]]:
    assert item.reader is not None
    with timed("sha256"):
        sha = sha256_file(item.path)
    if not item.path.stat().st_size:
        raise IngestError(item.name, diagnose(item.path, b""))
    previous = con.execute(
        f"SELECT {q(IngestedFiles.name)}, {q(IngestedFiles.rows_read)}, "
        f"{q(IngestedFiles.rejected)}, {q(IngestedFiles.ingested_utc)} "
        f"FROM {q(IngestedFiles.table)} WHERE {q(IngestedFiles.sha256)} = ? LIMIT 1",
        [sha],
    ).fetchone()
    if previous is not None:
        name, read, rejected, when = previous
        return (
            IngestSummary(
                item.name,
                item.reader.name,
                int(read),
                0,
                int(read) - int(rejected),
                int(rejected),
                skipped=True,
                message=f"already ingested ({name}, {when:%Y-%m-%d %H:%M} UTC): nothing new",
            ),
            [],
        )
    label = sha[:16]
    reader = item.reader
    try:
        if isinstance(reader, TabularReader) and reader.can_load():
            with timed("load"):
                loaded = reader.load(con, item.path, options, label=label)
            return _store_loaded(con, registry, reader, loaded, options, item.name, sha)
        with timed("stage"):
            staged = _stage(con, reader, item.path, options, label)
    except IngestError as exc:
        raise IngestError(item.name, exc.reason, line=exc.line, field=exc.field) from None
    try:
        summary, found = _store(con, registry, staged, item.name, sha)
    finally:
        drop_temp(con, staged)
    return summary, found


def _stage(
    con: duckdb.DuckDBPyConnection, reader: Reader, path: Path, options: ReadOptions, label: str
) -> Staged:
    """Stage a file: SQL-native readers directly, others through their Arrow tables."""
    stage = getattr(reader, "stage", None)
    if stage is not None:
        staged: Staged = stage(con, path, options, label=label)
        return staged
    return stage_parsed(con, reader.read(path, options), label)


def stage_parsed(con: duckdb.DuckDBPyConnection, parsed: Parsed, label: str) -> Staged:
    """Register a reader's Arrow tables as staging tables (event keys filled in where NULL)."""
    staged = Staged(
        format=parsed.format, rows_read=parsed.rows_read, rejects=parsed.rejects, note=parsed.note
    )

    def put(table: pa.Table | None, schema: pa.Schema, fill: dict[str, str]) -> str | None:
        if table is None:
            return None
        view, name = temp_name("arrow"), temp_name("staged")
        con.register(view, table)
        try:
            cols = []
            for col in schema.names:
                expr = q(col) if col in table.column_names else "NULL"
                if col in fill:
                    expr = f"coalesce({expr}, {fill[col]})"
                cols.append(f"{expr} AS {q(col)}")
            con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT row_number() OVER () AS {ORD}, "
                f"{', '.join(cols)} FROM {view}"
            )
        finally:
            con.unregister(view)
        staged.temp.append(name)
        return name

    source = lit(label)
    staged.events = put(
        parsed.events, Events.arrow, {Events.event_key: event_key_sql(), Events.source: source}
    )
    staged.ratings = put(
        parsed.ratings,
        Ratings.arrow,
        {Ratings.event_key: rating_key_sql(), Ratings.source: source},
    )
    staged.catalog = put(parsed.catalog, Catalog.arrow, {})
    staged.members = put(parsed.members, Members.arrow, {})
    return staged


# ---------------------------------------------------------------------------------------------
# Tombstones


def _erased_ids(
    con: duckdb.DuckDBPyConnection, relation: str, registry: Registry | None
) -> list[int]:
    """Member ids of ``relation`` that have a tombstone (each distinct id hashed once)."""
    if registry is None:
        return []
    from bingewise.privacy.tombstone import tombstone_hash, tombstone_hashes

    stones = tombstone_hashes(registry)
    if not stones:
        return []
    ids = [
        int(r[0])
        for r in con.execute(
            f"SELECT DISTINCT {q(Events.member_id)} FROM {relation} "
            f"WHERE {q(Events.member_id)} IS NOT NULL"
        ).fetchall()
    ]
    return [m for m in ids if tombstone_hash(m) in stones]


def _id_table(con: duckdb.DuckDBPyConnection, ids: list[int]) -> str:
    """A temporary table of member ids (one BIGINT column named like the member id)."""
    name = temp_name("erased")
    mid = q(Events.member_id)
    con.execute(f"CREATE TEMP TABLE {name} ({mid} BIGINT)")
    con.executemany(f"INSERT INTO {name} VALUES (?)", [[m] for m in ids])
    return name


def drop_erased(
    con: duckdb.DuckDBPyConnection, relation: str, registry: Registry | None
) -> tuple[str, int]:
    """Hook: ``relation`` without the rows of erased members, and how many rows it dropped.

    Erased members are known by their tombstone (a keyed hash of the member id, see
    :mod:`bingewise.privacy.tombstone`); each distinct member id of the batch is hashed once.
    Returns ``relation`` itself when nothing is dropped.
    """
    erased = _erased_ids(con, relation, registry)
    if not erased:
        return relation, 0
    gone, kept = _id_table(con, erased), temp_name("kept")
    mid = q(Events.member_id)
    con.execute(
        f"CREATE TEMP TABLE {kept} AS SELECT * FROM {relation} "
        f"WHERE {mid} NOT IN (SELECT {mid} FROM {gone})"
    )
    dropped = _count(con, relation) - _count(con, kept)
    con.execute(f"DROP TABLE {gone}")
    return kept, dropped


# ---------------------------------------------------------------------------------------------
# Member-days closed by retention


def _mark_closed(con: duckdb.DuckDBPyConnection, table: str, after: int) -> str | None:
    """A temporary table of the rowids of appended events that retention closed, or None.

    Closed: starting before the latest retention cutoff, on a (member, local day) that
    ``daily_viewing`` already holds (:func:`bingewise.privacy.retention.closed_events_sql`).
    Marked before the file's members are stored, so a local day is taken in the zone the
    aggregates were made with (a file may give a member's zone for the first time); deleted by
    :func:`_drop_closed` after dedupe, so that duplicates and reused ids are told as before.
    Nothing is queried beyond one probe when no day is summarised (most ingests).
    """
    if table != Events.table:
        return None
    from bingewise.privacy.retention import closed_bound, closed_events_sql

    bound = closed_bound(con)
    if bound is None:
        return None
    name = temp_name("closed")
    con.execute(f"CREATE TEMP TABLE {name} AS {closed_events_sql(after)}", [bound])
    return name


def _drop_closed(con: duckdb.DuckDBPyConnection, table: str, marked: str | None) -> int:
    """Delete the marked rows still there (see :func:`_mark_closed`); returns how many."""
    if marked is None:
        return 0
    try:
        row = con.execute(
            f"DELETE FROM {q(table)} WHERE rowid IN (SELECT rid FROM {marked})"
        ).fetchone()
    finally:
        con.execute(f"DROP TABLE {marked}")
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------------------------
# Storing a staged file


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0


def _new_rows(table: str, after: int) -> str:
    """SQL relation of the rows of ``table`` appended after rowid ``after`` (this file's)."""
    return f"(SELECT * FROM {q(table)} WHERE rowid > {int(after)})"


def _append_staged(
    con: duckdb.DuckDBPyConnection, relation: str, table: str, schema: pa.Schema
) -> tuple[int, int, int]:
    """Append a staged relation to ``table`` in file order: (last rowid before, first rowid
    appended, rows appended)."""
    cols = ", ".join(q(c) for c in schema.names)
    after = last_rowid(con, table)
    row = con.execute(
        f"INSERT INTO {q(table)} ({cols}) SELECT {cols} FROM {relation} ORDER BY {ORD}"
    ).fetchone()
    inserted = int(row[0]) if row else 0
    first = check_appended(con, table, after, inserted)
    return after, first, inserted


def _erase_appended(
    con: duckdb.DuckDBPyConnection, table: str, after: int, registry: Registry | None
) -> int:
    """Delete the appended rows of erased members (see :func:`drop_erased`); returns how many."""
    erased = _erased_ids(con, _new_rows(table, after), registry)
    if not erased:
        return 0
    gone = _id_table(con, erased)
    mid = q(Events.member_id)
    try:
        row = con.execute(
            f"DELETE FROM {q(table)} WHERE rowid > {int(after)} "
            f"AND {mid} IN (SELECT {mid} FROM {gone})"
        ).fetchone()
    finally:
        con.execute(f"DROP TABLE {gone}")
    return int(row[0]) if row else 0


#: At most this many keys are sorted at once when looking for repeated keys (8 bytes each).
SORT_CHUNK = 1 << 25


def _repeated_keys(
    con: duckdb.DuckDBPyConnection, table: str, after: int, rows: int
) -> npt.NDArray[np.int64]:
    """Keys that occur more than once among the rows of ``table`` above rowid ``after``.

    Sorting the keys with NumPy and comparing neighbours is exact and several times faster than
    DuckDB's hash aggregate here (every key is its own group: about 0.3 s against 1.5-3 s for
    ten million keys on two busy cores). Files of more than :data:`SORT_CHUNK` rows (``rows``
    estimates it) are split by key modulo a few parts, so memory stays under 256 MiB.
    """
    key, t = q(Events.event_key), q(table)
    parts = max(1, -(-rows // SORT_CHUNK))
    found: list[npt.NDArray[np.int64]] = []
    for part in range(parts):
        where = f"rowid > {int(after)} AND {key} IS NOT NULL"
        if parts > 1:
            where += f" AND ({key} & 9223372036854775807) % {parts} = {part}"  # any sign
        column = con.execute(f"SELECT {key} FROM {t} WHERE {where}").fetchnumpy()[Events.event_key]
        keys = np.asarray(column, dtype=np.int64)
        keys.sort()
        same = keys[1:] == keys[:-1]
        if same.any():
            found.append(np.unique(keys[1:][same]))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Reused:
    """An appended row whose key an earlier row of another event holds (a reused source id)."""

    rowid: int
    earlier: int | None  #: rowid of the earlier row when it is of the same file
    earlier_source: str | None  #: ``Events.source`` of the earlier row when it was stored
    member_id: int | None  #: the member the row names (its quarantine row is theirs)


def _dedupe_appended(
    con: duckdb.DuckDBPyConnection,
    table: str,
    after: int,
    rows: int,
    identity: Sequence[str] = (),
) -> tuple[int, list[_Reused]]:
    """Delete appended rows whose key came earlier in the file or was already stored.

    Appended rows are in file order, so within the file the row with the lowest rowid of a key
    (its first occurrence) is kept. ``rows`` is about how many were appended. With ``identity``
    (columns), a later row of a key that differs from its first occurrence (a stored row, else
    the file's first) in those columns is another event reusing a source id: it is deleted too
    and returned, not counted as a duplicate. Returns (duplicates deleted, reused ids).
    """
    key, t = q(Events.event_key), q(table)
    new = f"rowid > {int(after)}"
    deleted = 0
    reused: list[_Reused] = []
    with timed("in-file duplicates"):
        repeated = _repeated_keys(con, table, after, rows)
    dups = stored = None
    try:
        if repeated.size:
            dups, view = temp_name("dups"), temp_name("dupkeys")
            con.register(view, pa.table({Events.event_key: repeated}))
            try:
                con.execute(f"CREATE TEMP TABLE {dups} AS SELECT * FROM {view}")
            finally:
                con.unregister(view)
        if after >= 0:  # rows were stored before this file
            # The file's keys, materialised, are what DuckDB hashes (their count is known); the
            # store is only scanned, so a small file into a large store stays cheap.
            fresh, stored = temp_name("fresh"), temp_name("stored")
            kept = [key]
            if identity:
                kept += ["rowid AS __ref", *(q(c) for c in identity), q(Events.source)]
            with timed("stored duplicates"):
                con.execute(f"CREATE TEMP TABLE {fresh} AS SELECT {key} FROM {t} WHERE {new}")
                try:
                    con.execute(
                        f"CREATE TEMP TABLE {stored} AS SELECT {', '.join(kept)} FROM {t} "
                        f"WHERE rowid <= {int(after)} AND {key} IN (SELECT {key} FROM {fresh})"
                    )
                finally:
                    con.execute(f"DROP TABLE {fresh}")
        if identity and (dups is not None or (stored is not None and _count(con, stored))):
            with timed("reused ids"):
                reused = _reused_ids(con, table, after, identity, dups, stored)
            if reused:
                con.execute(
                    f"DELETE FROM {t} WHERE {new} AND rowid IN (SELECT unnest(?::BIGINT[]))",
                    [[r.rowid for r in reused]],
                )
        if dups is not None:
            row = con.execute(
                f"DELETE FROM {t} USING (SELECT {key}, min(rowid) AS keep FROM {t} "
                f"WHERE {new} AND {key} IN (SELECT {key} FROM {dups}) GROUP BY {key}) d "
                f"WHERE {t}.{key} = d.{key} AND {t}.rowid > d.keep"
            ).fetchone()
            deleted += int(row[0]) if row else 0
        if stored is not None:
            row = con.execute(
                f"DELETE FROM {t} WHERE {new} AND {key} IN (SELECT {key} FROM {stored})"
            ).fetchone()
            deleted += int(row[0]) if row else 0
    finally:
        for name in (dups, stored):
            if name is not None:
                con.execute(f"DROP TABLE IF EXISTS {name}")
    return deleted, reused


def _reused_ids(
    con: duckdb.DuckDBPyConnection,
    table: str,
    after: int,
    identity: Sequence[str],
    dups: str | None,
    stored: str | None,
) -> list[_Reused]:
    """Appended rows of a repeated (``dups``) or stored (``stored``) key that differ in
    ``identity`` from the key's first occurrence: the stored row, else the file's first."""
    key, t = q(Events.event_key), q(table)
    cols = ", ".join(q(c) for c in identity)
    firsts = []
    if stored is not None:
        firsts.append(
            f"SELECT {key}, __ref, {cols}, {q(Events.source)} AS __src FROM {stored} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY __ref) = 1"
        )
    if dups is not None:
        not_stored = f"AND {key} NOT IN (SELECT {key} FROM {stored})" if stored else ""
        firsts.append(
            f"SELECT {key}, rowid AS __ref, {cols}, NULL AS __src FROM {t} "
            f"WHERE rowid > {int(after)} AND {key} IN (SELECT {key} FROM {dups}) {not_stored} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY rowid) = 1"
        )
    differs = " OR ".join(f"n.{q(c)} IS DISTINCT FROM f.{q(c)}" for c in identity)
    union = " UNION ALL ".join(f"({sql})" for sql in firsts)
    rows = con.execute(
        f"SELECT n.rowid, f.__ref, f.__src, n.{q(Events.member_id)} FROM {t} n "
        f"JOIN ({union}) f ON n.{key} = f.{key} "
        f"WHERE n.rowid > {int(after)} AND n.rowid <> f.__ref AND ({differs}) ORDER BY n.rowid"
    ).fetchall()
    return [
        _Reused(int(rowid), None if src is not None else int(ref), src, member)
        for rowid, ref, src, member in rows
    ]


def _reused_rejects(
    con: duckdb.DuckDBPyConnection,
    reused: list[_Reused],
    ids: ReusedIds,
    ordinals: Callable[[list[int]], list[int]],
) -> pa.Table:
    """Quarantine rows of reused ids: the file's line and row, and where the id was used first
    (a line of the same file, or the file it was stored from). ``ordinals`` maps appended rowids
    to the ordinals ``ids.locate`` takes."""
    if not reused:
        return REJECTS_SCHEMA.empty_table()
    rowids = sorted({r.rowid for r in reused} | {r.earlier for r in reused if r.earlier})
    ords = dict(zip(rowids, ordinals(rowids), strict=True))
    wanted = sorted(set(ords.values()))
    located = dict(zip(wanted, ids.locate(con, wanted), strict=True))
    sources = sorted({r.earlier_source for r in reused if r.earlier_source is not None})
    names = dict(
        con.execute(
            f"SELECT s, any_value({q(IngestedFiles.name)}) FROM unnest(?::VARCHAR[]) AS u(s) "
            f"JOIN {q(IngestedFiles.table)} f ON starts_with(f.{q(IngestedFiles.sha256)}, s) "
            "GROUP BY s",
            [sources],
        ).fetchall()
        if sources
        else []
    )
    out: dict[str, list[object]] = {name: [] for name in REJECTS_SCHEMA.names}
    for r in reused:
        line, raw = located[ords[r.rowid]]
        if r.earlier is not None:
            earlier = f"line {located[ords[r.earlier]][0]} of this file"
        elif r.earlier_source in names:
            earlier = f"already stored, from {names[r.earlier_source]}"
        else:
            earlier = "already stored"
        for name, value in zip(
            REJECTS_SCHEMA.names,
            (
                line,
                ids.field,
                f"{ids.field} already used by a different event ({earlier})",
                raw,
                r.member_id,
            ),
            strict=True,
        ):
            out[name].append(value)
    return pa.table(out, schema=REJECTS_SCHEMA)


def _with_rejects(rejects: pa.Table, more: pa.Table) -> pa.Table:
    """Two reject tables as one, by line."""
    if not more.num_rows:
        return rejects
    return pa.concat_tables([rejects, more]).sort_by("line")


def _upsert_catalog(
    con: duckdb.DuckDBPyConnection, relation: str, *, replace: bool
) -> tuple[int, int]:
    """Catalog rows into the catalog; returns (rows, rows stored).

    ``replace``: a catalog file replaces titles it names (the last row of a title in the file
    wins; rows identical to the stored ones are not stored again). Otherwise (titles that came
    with events) only titles the catalog does not hold yet are added.
    """
    tid = q(Catalog.title_id)
    cols = ", ".join(q(c) for c in Catalog.arrow.names)
    latest, fresh = temp_name("cat"), temp_name("catnew")
    con.execute(
        f"CREATE TEMP TABLE {latest} AS SELECT {cols} FROM {relation} "
        f"QUALIFY row_number() OVER (PARTITION BY {tid} ORDER BY {ORD} DESC) = 1"
    )
    try:
        if replace:
            con.execute(
                f"CREATE TEMP TABLE {fresh} AS SELECT * FROM {latest} "
                f"EXCEPT SELECT {cols} FROM {q(Catalog.table)}"
            )
            con.execute(
                f"DELETE FROM {q(Catalog.table)} WHERE {tid} IN (SELECT {tid} FROM {fresh})"
            )
        else:
            con.execute(
                f"CREATE TEMP TABLE {fresh} AS SELECT * FROM {latest} l WHERE NOT EXISTS "
                f"(SELECT 1 FROM {q(Catalog.table)} c WHERE c.{tid} = l.{tid})"
            )
        con.execute(f"INSERT INTO {q(Catalog.table)} ({cols}) SELECT {cols} FROM {fresh}")
        return _count(con, relation), _count(con, fresh)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {latest}")
        con.execute(f"DROP TABLE IF EXISTS {fresh}")


def _store_members(
    con: duckdb.DuckDBPyConnection, relation: str, registry: Registry | None
) -> list[MemberRecord]:
    """New members into the warehouse, and what known ones lack filled in (a country or zone a
    later file gives; nothing they hold is replaced); every member found, as registry records."""
    mid = q(Members.member_id)
    cols = ", ".join(q(c) for c in Members.arrow.names)
    once = temp_name("members")
    con.execute(
        f"CREATE TEMP TABLE {once} AS SELECT {cols} FROM {relation} WHERE {mid} IS NOT NULL "
        f"QUALIFY row_number() OVER (PARTITION BY {mid}) = 1"
    )
    try:
        con.execute(
            f"INSERT INTO {q(Members.table)} ({cols}) SELECT {cols} FROM {once} m "
            f"WHERE NOT EXISTS (SELECT 1 FROM {q(Members.table)} w WHERE w.{mid} = m.{mid})"
        )
        sets = ", ".join(f"{q(c)} = coalesce(w.{q(c)}, m.{q(c)})" for c in FILLABLE)
        lacking = " OR ".join(f"(w.{q(c)} IS NULL AND m.{q(c)} IS NOT NULL)" for c in FILLABLE)
        con.execute(
            f"UPDATE {q(Members.table)} w SET {sets} FROM {once} m "
            f"WHERE w.{mid} = m.{mid} AND ({lacking})"
        )
        if registry is None:
            return []
        rows = con.execute(f"SELECT {cols} FROM {once} ORDER BY {mid}").fetchall()
    finally:
        con.execute(f"DROP TABLE {once}")
    names = Members.arrow.names
    return [
        MemberRecord(
            member_id=int(r[names.index(Members.member_id)]),
            household_id=r[names.index(Members.household_id)],
            profile=r[names.index(Members.profile)],
            country=r[names.index(Members.country)],
            time_zone=r[names.index(Members.time_zone)],
            signup_date=r[names.index(Members.signup_date)],
        )
        for r in rows
    ]


def _store(
    con: duckdb.DuckDBPyConnection,
    registry: Registry | None,
    staged: Staged,
    name: str,
    sha: str,
) -> tuple[IngestSummary, list[MemberRecord]]:
    erased = valid = stored = closed = 0
    keyed = [
        (rel, table, schema)
        for rel, table, schema in (
            (staged.events, Events.table, Events.arrow),
            (staged.ratings, Ratings.table, Ratings.arrow),
        )
        if rel is not None
    ]
    rejects = staged.rejects
    unsettled: set[int] = set()  # members named by a reused event_id's row
    for rel, table, schema in keyed:
        after, first, inserted = _append_staged(con, rel, table, schema)
        dropped = _erase_appended(con, table, after, registry)
        marked = _mark_closed(con, table, after)
        ids = staged.ids if table == Events.table else None
        dups, reused = _dedupe_appended(con, table, after, inserted, ids.identity if ids else ())
        summarised = _drop_closed(con, table, marked)
        erased += dropped
        closed += summarised
        valid += inserted - dropped - len(reused)
        stored += inserted - dropped - len(reused) - dups - summarised
        if ids is not None and reused:
            rejects = _with_rejects(
                rejects, _reused_rejects(con, reused, ids, _staged_ordinals(con, rel, first))
            )
            named = {r.member_id for r in reused if r.member_id is not None}
            unsettled |= named - _members_appended(con, table, after, named)
    if staged.catalog is not None:
        catalog = _titles_kept(con, staged, registry)
        catalog_rows, catalog_stored = _upsert_catalog(con, catalog, replace=not keyed)
        if not keyed:
            valid, stored = catalog_rows, catalog_stored
    found: list[MemberRecord] = []
    if staged.members is not None:
        kept, _ = drop_erased(con, staged.members, registry)
        if kept != staged.members:
            staged.temp.append(kept)
        if unsettled:
            # A row rejected for a reused event_id describes no one: no member from it alone.
            only = temp_name("members")
            con.execute(
                f"CREATE TEMP TABLE {only} AS SELECT * FROM {kept} WHERE "
                f"{q(Members.member_id)} NOT IN (SELECT unnest(?::BIGINT[]))",
                [sorted(unsettled)],
            )
            kept = only
            staged.temp.append(kept)
        with timed("members"):
            found = _store_members(con, kept, registry)
    rejects, gone = _drop_erased_rejects(rejects, registry)
    summary = _finish(con, name, sha, staged.format, staged.rows_read, rejects,
                      valid, stored, erased + gone, staged.note, closed=closed)  # fmt: skip
    return summary, found


def _titles_kept(con: duckdb.DuckDBPyConnection, staged: Staged, registry: Registry | None) -> str:
    """The staged catalog less the titles that only erased members' events brought with them.

    A Netflix export has no catalog of its own: its titles come from its viewing rows, so a
    title only an erased member watched would tell what they watched (erasure removes such
    titles; re-ingesting the export must not bring them back). A catalog file is kept whole.
    """
    assert staged.catalog is not None
    if staged.events is None:
        return staged.catalog
    kept, dropped = drop_erased(con, staged.events, registry)
    if not dropped:
        return staged.catalog
    titles = temp_name("titles")
    tid = q(Catalog.title_id)
    con.execute(
        f"CREATE TEMP TABLE {titles} AS SELECT * FROM {staged.catalog} "
        f"WHERE {tid} IN (SELECT {q(Events.title_id)} FROM {kept})"
    )
    staged.temp.extend([kept, titles])
    return titles


def _members_appended(
    con: duckdb.DuckDBPyConnection, table: str, after: int, members: set[int]
) -> set[int]:
    """Which of ``members`` have a row appended to ``table`` (after rowid ``after``) still."""
    rows = con.execute(
        f"SELECT DISTINCT {q(Events.member_id)} FROM {q(table)} WHERE rowid > {int(after)} "
        f"AND {q(Events.member_id)} IN (SELECT unnest(?::BIGINT[]))",
        [sorted(members)],
    ).fetchall()
    return {int(m) for (m,) in rows}


def _staged_ordinals(
    con: duckdb.DuckDBPyConnection, relation: str, first: int
) -> Callable[[list[int]], list[int]]:
    """Rowids of rows appended from a staged relation (in :data:`ORD` order from rowid
    ``first`` on) -> their :data:`ORD`."""

    def ordinals(rowids: list[int]) -> list[int]:
        ranks = [r - first + 1 for r in rowids]
        found = dict(
            con.execute(
                f"SELECT k, {ORD} FROM (SELECT {ORD}, row_number() OVER (ORDER BY {ORD}) AS k "
                f"FROM {relation}) WHERE k IN (SELECT unnest(?::BIGINT[]))",
                [ranks],
            ).fetchall()
        )
        return [int(found[k]) for k in ranks]

    return ordinals


def _drop_erased_rejects(rejects: pa.Table, registry: Registry | None) -> tuple[pa.Table, int]:
    """Rejected rows without those naming an erased member, and how many were dropped.

    An erased member's rejected rows go as their valid rows do (counted with them, not
    quarantined): nothing of the member is kept. A rejected row names a member when the reader
    could read it (:data:`~bingewise.ingest.base.REJECTS_SCHEMA`).
    """
    if registry is None or not rejects.num_rows:
        return rejects, 0
    from bingewise.privacy.tombstone import drop_erased as drop_erased_rows

    return drop_erased_rows(registry, rejects, column=Quarantine.member_id)


def _store_loaded(
    con: duckdb.DuckDBPyConnection,
    registry: Registry | None,
    reader: TabularReader,
    loaded: Loaded,
    options: ReadOptions,
    name: str,
    sha: str,
) -> tuple[IngestSummary, list[MemberRecord]]:
    """Settle a file already appended to its table: erased members, members, duplicates,
    member-days closed by retention."""
    table, after = loaded.table, loaded.after
    with timed("drop erased"):
        erased = _erase_appended(con, table, after, registry)
    with timed("closed days"):
        marked = _mark_closed(con, table, after)
    ids = loaded.ids
    with timed("dedupe"):
        dups, reused = _dedupe_appended(
            con, table, after, loaded.inserted, ids.identity if ids else ()
        )
    # Members after the reused ids are gone (such a row describes no one), before the rows of
    # closed days go (a file may give a zone or country for members retention summarised).
    found: list[MemberRecord] = []
    members_sql = reader.members_sql(_new_rows(table, after), options)
    if members_sql is not None:
        view = temp_name("members", view=True)
        con.execute(f"CREATE TEMP VIEW {view} AS {members_sql}")
        try:
            with timed("members"):
                found = _store_members(con, view, registry)
        finally:
            con.execute(f"DROP VIEW {view}")
    with timed("closed days"):
        closed = _drop_closed(con, table, marked)
    rejects = loaded.rejects
    if ids is not None and reused:
        first = loaded.first
        rejects = _with_rejects(
            rejects,
            _reused_rejects(con, reused, ids, lambda rowids: [r - first + 1 for r in rowids]),
        )
    valid = loaded.inserted - erased - len(reused)
    rejects, gone = _drop_erased_rejects(rejects, registry)
    summary = _finish(con, name, sha, loaded.format, loaded.rows_read, rejects,
                      valid, valid - dups - closed, erased + gone, closed=closed)  # fmt: skip
    return summary, found


def _finish(
    con: duckdb.DuckDBPyConnection,
    name: str,
    sha: str,
    fmt: str,
    rows_read: int,
    rejects: pa.Table,
    valid: int,
    stored: int,
    erased: int,
    note: str = "",
    *,
    closed: int = 0,
) -> IngestSummary:
    """Check the counts, quarantine the rejects and record the file; the file's summary.

    ``stored`` excludes the ``closed`` rows (of member-days retention summarised), which count
    as duplicates of what the aggregates hold."""
    rejected = rejects.num_rows
    if valid + rejected + erased != rows_read:
        raise AssertionError(
            f"{name}: reader counted {rows_read} rows but produced {valid} valid + "
            f"{rejected} rejected + {erased} erased"
        )
    _quarantine(con, rejects, name)
    dropped = f"{erased} rows of erased members dropped (not kept)" if erased else ""
    summarised = (
        f"{closed} rows older than the retention window, on days already summarised "
        "(not stored again)"
        if closed
        else ""
    )
    message = "; ".join(m for m in (note, summarised, dropped) if m)
    summary = IngestSummary(
        name, fmt, rows_read, stored, valid - stored, rejected + erased, message=message
    )
    columns = ", ".join(q(c) for c in IngestedFiles.arrow.names)
    con.execute(
        f"INSERT INTO {q(IngestedFiles.table)} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sha,
            name,
            summary.format,
            summary.rows_read,
            summary.stored,
            summary.duplicates,
            summary.rejected,
            _now(),
        ],
    )
    return summary


def _quarantine(con: duckdb.DuckDBPyConnection, rejects: pa.Table, name: str) -> None:
    if rejects.num_rows == 0:
        return
    view = temp_name("rejects")
    fields = ", ".join(q(c) for c in REJECTS_SCHEMA.names)  # line ... raw, member_id
    con.register(view, rejects.cast(REJECTS_SCHEMA))
    try:
        con.execute(
            f"INSERT INTO {q(Quarantine.table)} ({q(Quarantine.source)}, {fields}, "
            f"{q(Quarantine.ingested_utc)}) SELECT ?, {fields}, ? FROM {view}",
            [name, _now()],
        )
    finally:
        con.unregister(view)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
