"""Format detection: which reader claims a file, from its content (sniffing), or by name.

:data:`READERS` is tried in order; the first whose :meth:`~bingewise.ingest.base.Reader.sniff`
accepts the file's first bytes reads it. ``--format NAME`` (:func:`reader_named`) skips sniffing.
A file nobody claims raises :class:`~bingewise.ingest.base.IngestError` saying why: empty,
binary, a truncated Parquet file or ZIP archive, or simply no known format.
"""

from __future__ import annotations

from pathlib import Path

from bingewise.ingest.base import IngestError, Reader
from bingewise.ingest.catalog import CatalogCsv, CatalogJsonl, CatalogParquet
from bingewise.ingest.generic import HEAD_BYTES, EventsCsv, EventsJsonl, EventsParquet, read_head
from bingewise.ingest.movielens import (
    MovieLensItems,
    MovieLensMovies,
    MovieLensMoviesDat,
    MovieLensRatings,
    MovieLensRatingsDat,
    MovieLensUData,
)
from bingewise.ingest.netflix import NetflixViewingActivity, NetflixViewingHistory

__all__ = ["READERS", "detect", "diagnose", "is_zip", "reader_named"]


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


def reader_named(name: str) -> Reader:
    """The reader called ``name`` (``--format``); ``ValueError`` listing the names otherwise."""
    for reader in READERS:
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


def diagnose(path: Path, head: bytes) -> str:
    """Why no reader claims a file (no row content in the message: it may be member data)."""
    if not head:
        return "empty file"
    if head.startswith(b"PAR1"):
        return "truncated or corrupt Parquet file (its footer cannot be read)"
    if is_zip(head):
        return "truncated or corrupt ZIP archive"
    if _looks_binary(head):
        return "binary file of no known format"
    if not head.strip():
        return "empty file (only white space)"
    return "no known format: the first line matches no reader (see docs/ingest.md)"


def detect(path: Path, head: bytes | None = None) -> Reader:
    """The reader that claims ``path``; :class:`IngestError` naming the file otherwise."""
    if head is None:
        head = read_head(path)
    if head:
        for reader in READERS:
            if reader.sniff(path, head):
                return reader
    raise IngestError(path, diagnose(path, head))
