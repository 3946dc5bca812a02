"""The contract every ingestion format follows.

A *reader* recognises its format from a file's first bytes (:meth:`Reader.sniff`) and turns the
file into a :class:`Parsed` batch: Arrow tables shaped like :mod:`bingewise.schema` plus the rows it
rejected, each with its line, field and reason. The shared pipeline (``bingewise.ingest``) then
deduplicates by event key, stores everything in one transaction and accounts for every row:
``rows_read == stored + duplicates + rejected``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

import pyarrow as pa

from bingewise.schema import Quarantine

__all__ = ["IngestError", "Parsed", "ReadOptions", "Reader", "Reject", "rejects_table"]


class IngestError(Exception):
    """A file that cannot be ingested at all (unknown format, empty, binary, truncated...).

    The message names the file and, where it applies, the line and field.
    """

    def __init__(
        self, path: str | Path, reason: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.field = field
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class Reject:
    """One source row that could not be used."""

    line: int  #: 1-based physical line in the file (header is line 1), or row number
    field: str  #: the column at fault ("" when the whole row is malformed)
    reason: str
    raw: str  #: the row as text
    #: the profile the row names (Netflix exports; "" for a history's single profile), from
    #: which the reader works out the member the row names (:func:`rejects_table`)
    profile: str | None = None


#: Arrow schema of a batch's rejected rows (the quarantine table adds source and time). A
#: rejected row's ``member_id`` is the member it names when that can be read from it (NULL
#: otherwise): the pipeline drops the rejected rows of erased members as it drops their valid
#: ones, and export and erasure find a member's quarantined rows by it.
REJECTS_SCHEMA = pa.schema(
    [
        (Quarantine.line, pa.int64()),
        (Quarantine.field, pa.string()),
        (Quarantine.reason, pa.string()),
        (Quarantine.raw, pa.string()),
        (Quarantine.member_id, pa.int64()),
    ]
)


def rejects_table(
    rejects: Sequence[Reject], member_ids: Sequence[int | None] | None = None
) -> pa.Table:
    """Rejects as an Arrow table in :data:`REJECTS_SCHEMA`; ``member_ids`` (aligned with
    ``rejects``) are the members the rows name, none when not given."""
    members = list(member_ids) if member_ids is not None else [None] * len(rejects)
    if len(members) != len(rejects):
        raise ValueError(f"{len(rejects)} rejects but {len(members)} member ids")
    return pa.table(
        {
            Quarantine.line: pa.array([r.line for r in rejects], pa.int64()),
            Quarantine.field: pa.array([r.field for r in rejects], pa.string()),
            Quarantine.reason: pa.array([r.reason for r in rejects], pa.string()),
            Quarantine.raw: pa.array([r.raw for r in rejects], pa.string()),
            Quarantine.member_id: pa.array(members, pa.int64()),
        },
        schema=REJECTS_SCHEMA,
    )


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Options a reader may need; all optional."""

    date_order: str | None = None  #: "MDY", "DMY" or "YMD" for locale dates
    household: str | None = None  #: household label for a personal export
    tz: str | None = None  #: IANA time zone of the viewer when the source has none
    encoding: str | None = None  #: text encoding of a personal export when it is not UTF-8
    #: a file's own column names for the generic layouts' columns: (file column, layout column)
    #: pairs, an empty layout column leaving the file's column out (``--columns``)
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Parsed:
    """What a reader made of one file. Tables follow the Arrow schemas in ``bingewise.schema``.

    ``rows_read`` counts data rows (not the header). Every row read ends up in exactly one of:
    a row of ``events`` or ``ratings`` (possibly a duplicate, dropped later), or ``rejects``.
    Catalog-only files count catalog rows instead.
    """

    format: str
    rows_read: int
    events: pa.Table | None = None
    catalog: pa.Table | None = None
    members: pa.Table | None = None
    ratings: pa.Table | None = None
    rejects: pa.Table = field(default_factory=lambda: rejects_table([]))
    note: str = ""  #: something the person ingesting should know (e.g. how the text was decoded)


class Reader(Protocol):
    """A source format."""

    name: ClassVar[str]

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` (whose first bytes are ``head``) is in this format."""
        ...

    def read(self, path: Path, options: ReadOptions) -> Parsed:
        """Parse the whole file; raise :class:`IngestError` if it is unusable as a whole."""
        ...
