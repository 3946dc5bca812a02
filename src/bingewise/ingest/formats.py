"""Format detection: which reader claims a file, from its content (sniffing), or by name.

:data:`READERS` is tried in order; the first whose :meth:`~bingewise.ingest.base.Reader.sniff`
accepts the file's first bytes reads it. ``--format NAME`` (:func:`reader_named`) skips sniffing.
A file nobody claims raises :class:`~bingewise.ingest.base.IngestError` saying why: empty,
binary, a truncated Parquet file or ZIP archive, or simply no known format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from bingewise.ingest.base import IngestError, Reader
from bingewise.ingest.catalog import CatalogCsv, CatalogJsonl, CatalogParquet
from bingewise.ingest.generic import (
    HEAD_BYTES,
    EventsCsv,
    EventsJsonl,
    EventsParquet,
    TabularReader,
    csv_header,
    jsonl_keys,
    parquet_columns,
    read_head,
)
from bingewise.ingest.movielens import (
    MovieLensItems,
    MovieLensMovies,
    MovieLensMoviesDat,
    MovieLensRatings,
    MovieLensRatingsDat,
    MovieLensUData,
)
from bingewise.ingest.netflix import NetflixViewingActivity, NetflixViewingHistory

__all__ = [
    "READERS",
    "check_column_map",
    "detect",
    "diagnose",
    "is_zip",
    "mapped_readers",
    "reader_named",
]


#: Every known format, in sniffing order (specific shapes before generic ones).
READERS: list[Reader] = [
    NetflixViewingActivity(),
    NetflixViewingHistory(),
    MovieLensRatings(),
    MovieLensMovies(),
    MovieLensUData(),
    MovieLensRatingsDat(),
    MovieLensMoviesDat(),
    MovieLensItems(),
    EventsCsv(),
    EventsParquet(),
    EventsJsonl(),
    CatalogCsv(),
    CatalogParquet(),
    CatalogJsonl(),
]


def check_column_map(columns: Sequence[tuple[str, str]]) -> None:
    """Refuse a ``--columns`` map that could not mean one thing (``ValueError`` saying why): a
    target that no renamable format has, a file column given twice, two file columns for one
    target."""
    known: dict[str, None] = {}
    for reader in READERS:
        if isinstance(reader, TabularReader) and reader.mappable:
            known.update(dict.fromkeys(reader.layout.sources))
    seen: set[str] = set()
    targets: dict[str, str] = {}
    for theirs, mine in columns:
        if not theirs:
            raise ValueError("a file column name is empty")
        if theirs in seen:
            raise ValueError(f"file column {theirs!r} is given twice")
        seen.add(theirs)
        if not mine:
            continue
        if mine not in known:
            raise ValueError(
                f"{mine!r} is not a column of events or catalog files: {', '.join(known)}"
            )
        if mine in targets:
            raise ValueError(f"both {targets[mine]!r} and {theirs!r} are given as {mine!r}")
        targets[mine] = theirs


def mapped_readers(columns: Sequence[tuple[str, str]]) -> list[Reader]:
    """:data:`READERS` with the generic ones reading a file's own column names (``--columns``)."""
    if not columns:
        return READERS
    check_column_map(columns)
    return [r.mapped(columns) if isinstance(r, TabularReader) else r for r in READERS]


def reader_named(name: str, readers: Sequence[Reader] | None = None) -> Reader:
    """The reader called ``name`` (``--format``); ``ValueError`` listing the names otherwise."""
    for reader in readers or READERS:
        if reader.name == name:
            return reader
    raise ValueError(f"unknown format {name!r}; known: {', '.join(r.name for r in READERS)}")


def is_zip(head: bytes) -> bool:
    """Whether bytes start like a ZIP archive (local file header or empty archive)."""
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    sample = head[:HEAD_BYTES]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is not binary.
        return exc.start < len(sample) - 4
    return False


#: What a column name looks like (a letter first): a first line of such is a header, not data.
_NAME = re.compile(r"[^\W\d_][\w .()/-]{0,63}")


def diagnose(path: Path, head: bytes) -> str:
    """Why no reader claims a file (no row content in the message: it may be member data)."""
    if not head:
        return "empty file"
    columns = parquet_columns(path, head) or jsonl_keys(path, head)
    if columns is None and not _looks_binary(head):
        found = csv_header(head)
        # Only a line of names is shown: a header-less file's first line is a row of data.
        if found and all(_NAME.fullmatch(c) for c in found[1]):
            columns = found[1]
    if columns:
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        return (
            f"no known format: its columns ({shown}) match no reader; an events or catalog file "
            "naming them otherwise is read with --columns FILE_COLUMN=COLUMN,... "
            "(see docs/ingest.md)"
        )
    if head.startswith(b"PAR1"):
        return "truncated or corrupt Parquet file (its footer cannot be read)"
    if is_zip(head):
        return "truncated or corrupt ZIP archive"
    if _looks_binary(head):
        return "binary file of no known format"
    if not head.strip():
        return "empty file (only white space)"
    return "no known format: the first line matches no reader (see docs/ingest.md)"


def detect(
    path: Path, head: bytes | None = None, readers: Sequence[Reader] | None = None
) -> Reader:
    """The reader (of ``readers``, default :data:`READERS`) that claims ``path``;
    :class:`IngestError` naming the file otherwise."""
    if head is None:
        head = read_head(path)
    if head:
        for reader in readers or READERS:
            if reader.sniff(path, head):
                return reader
    raise IngestError(path, diagnose(path, head))
