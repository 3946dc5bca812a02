"""Generic tabular sources (CSV, Parquet, JSON Lines) validated in DuckDB SQL; the events readers.

Every generic reader describes its columns as a :class:`Layout` (source column, warehouse column,
:class:`Kind`, required or not) and lets DuckDB do the work: the file is read once
(``read_csv`` with ``all_varchar``, ``read_parquet`` or line-wise JSON), each value is parsed and
checked by vectorised SQL, and the result is *staged* in a temporary table holding the parsed
columns, a row ordinal and, for invalid rows, a problem code and the raw row. No Python loop
touches the rows, so validation runs at DuckDB's speed.

Events columns (see ``docs/ingest.md``): ``member_id``, ``title_id`` (whole numbers),
``start_utc`` (ISO 8601: with ``Z`` or an offset it is converted to UTC, naive means UTC; or a
time since the epoch in s, ms, µs or ns, told apart by size) and
``seconds`` (a whole number ≥ 0) are required; ``event_id``, ``profile`` (at most the
characters the registry holds), ``household_id``, ``bookmark_seconds`` (≥ 0), ``device``,
``country`` (an ISO 3166-1 alpha-2 code, any case) and ``supplemental`` are optional.

The **event key** is :data:`bingewise.ids.SQL_STABLE_ID` over ``event_id`` when the row has one,
else over ``member_id|title_id|start|seconds`` joined by U+001F, where *start* is the UTC start in
whole microseconds since 1970-01-01 (:func:`event_key` is the same in Python).

Line numbers: CSV and JSON Lines rejects carry the 1-based *physical* line of the row (the header
is line 1; a quoted field spanning lines counts all its lines); Parquet rejects the 1-based row.
"""

from __future__ import annotations

import bisect
import codecs
import copy
import csv
import dataclasses
import datetime as dt
import enum
import functools
import itertools
import json
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, NamedTuple, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bingewise.geo import COUNTRY_FORM, country_codes
from bingewise.ids import SEPARATOR, SQL_STABLE_ID, stable_id
from bingewise.ingest.base import REJECTS_SCHEMA, IngestError, Parsed, ReadOptions
from bingewise.registry.members import MAX_CHARS
from bingewise.schema import Catalog, Events, Members, Ratings, SourceColumns
from bingewise.warehouse import duckdb_type

__all__ = [
    "EPOCH_UNITS",
    "EVENTS_LAYOUT",
    "EventsCsv",
    "EventsJsonl",
    "EventsParquet",
    "Field",
    "Kind",
    "Layout",
    "Loaded",
    "Staged",
    "StagingReader",
    "TabularReader",
    "event_key",
    "event_key_sql",
    "load_sql",
]

ORD = "__ord"  #: staging column: 1-based ordinal of the row among the rows DuckDB returned
CODE = "__code"  #: staging column: problem code of an invalid row (NULL when valid)
RAW = "__raw"  #: staging column: the invalid row as text (NULL when valid)
#: staging column: the member an invalid row names, when its member field is readable
MEMBER = "__member"
HEAD_BYTES = 64 * 1024
_EPOCH = dt.datetime(1970, 1, 1)
_SEP_SQL = "'\x1f'"
_BLANKS = "' \t'"  #: SQL: what is trimmed around a country code (spaces and tabs)
assert SEPARATOR == "\x1f"


log = logging.getLogger(__name__)

#: A rejected row: (line, field, reason, raw text, member id it names or None); see
#: :data:`~bingewise.ingest.base.REJECTS_SCHEMA`.
_RejectRow = tuple[int, str, str, str, int | None]


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Log how long a step took (DEBUG; step names only, never data)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        log.debug("%s: %.2f s", step, time.perf_counter() - start)


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Event keys


def event_key(member_id: int, title_id: int, start_utc: dt.datetime, seconds: int) -> int:
    """The event key of a segment without a source ``event_id`` (same as the SQL in ingestion).

    ``start_utc`` is naive UTC (or aware, then converted). Whole microseconds since the epoch
    stand for the start, so every spelling of the same instant gives the same key.

    >>> event_key(1, 2, dt.datetime(2024, 1, 1), 60) == event_key(
    ...     1, 2, dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))), 60)
    True
    """
    if start_utc.tzinfo is not None:
        start_utc = start_utc.astimezone(dt.UTC).replace(tzinfo=None)
    micros = (start_utc - _EPOCH) // dt.timedelta(microseconds=1)
    return stable_id(member_id, title_id, micros, seconds)


def event_key_sql(
    member: str = q(Events.member_id),
    title: str = q(Events.title_id),
    start: str = q(Events.start_utc),
    seconds: str = q(Events.seconds),
    event_id: str | None = None,
) -> str:
    """DuckDB SQL of the event key over the given column expressions (see :func:`event_key`)."""
    composite = f"concat_ws({_SEP_SQL}, {member}, {title}, epoch_us({start}), {seconds})"
    if event_id is not None:
        composite = f"coalesce({event_id}, {composite})"
    return SQL_STABLE_ID.format(composite)


# ---------------------------------------------------------------------------------------------
# Layouts: what a file's columns mean and how each is checked


class Kind(enum.Enum):
    """How a source value is parsed and checked."""

    ID = "a whole number (64-bit)"
    COUNT = "a whole number ≥ 0 (32-bit)"
    TIMESTAMP = "an ISO 8601 timestamp or a time since the epoch"
    EPOCH_SECONDS = "whole seconds since 1970-01-01 UTC"
    DATE = "an ISO 8601 date (YYYY-MM-DD)"
    REAL = "a finite number"
    TEXT = "text"
    KIND = "'film' or 'episode'"
    #: read in upper case, spaces around it dropped (``" us "`` is ``US``); alpha-3 codes are not
    #: read (see :data:`~bingewise.geo.COUNTRY_FORM`)
    COUNTRY = COUNTRY_FORM


#: Problems of a value; a row's code is ``field_index * PROBLEMS + problem``.
MISSING, BAD, NEGATIVE, TOO_LONG = 1, 2, 3, 4
PROBLEMS = 5
#: Codes of rows malformed as a whole (JSON Lines).
NOT_OBJECT, UNKNOWN_FIELD = -1, -2
SHAPE_CODES = {NOT_OBJECT: "not a JSON object", UNKNOWN_FIELD: "unknown field"}


@dataclass(frozen=True, slots=True)
class Field:
    """One source column: its name in the file, the warehouse column it fills, how it is read."""

    source: str
    target: str
    kind: Kind
    required: bool = False
    #: the most characters a text value may have (a member field: what the registry holds)
    max_chars: int | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns a generic format accepts, and the warehouse table they fill."""

    name: str  #: "events", "catalog", "ratings" ...
    table: str  #: warehouse table filled (Events.table ...)
    arrow: pa.Schema  #: that table's Arrow schema
    fields: tuple[Field, ...]
    #: warehouse columns computed from the parsed ones: column -> SQL over target columns
    derived: Callable[[ReadOptions, str], dict[str, str]] = field(
        default=lambda options, source: {}
    )
    #: file columns read past, on purpose (``--columns NAME=``): accepted, never stored
    ignored: frozenset[str] = frozenset()
    #: the field holding the source's own id of a row (its key when given), if the layout has one
    id_target: str | None = None
    #: warehouse columns that say which event a row is: two rows of one source id that differ
    #: here are two events, the id reused (see :class:`ReusedIds`)
    identity: tuple[str, ...] = ()

    def mapped(self, columns: Sequence[tuple[str, str]]) -> Layout:
        """This layout for files that name its columns otherwise: ``columns`` pairs a file's
        column with one of :attr:`sources` (or with ``""``: a column to leave out). Rejects then
        name the file's own columns. Pairs naming other layouts' columns are left aside."""
        ours = set(self.sources)
        rename = {mine: theirs for theirs, mine in columns if mine in ours}
        fields = tuple(
            dataclasses.replace(f, source=rename.get(f.source, f.source)) for f in self.fields
        )
        ignored = frozenset(theirs for theirs, mine in columns if not mine)
        return dataclasses.replace(self, fields=fields, ignored=self.ignored | ignored)

    @property
    def sources(self) -> tuple[str, ...]:
        """Source column names, in layout order."""
        return tuple(f.source for f in self.fields)

    @property
    def id_source(self) -> str | None:
        """The file's name of the source id column (:attr:`id_target`), if the layout has one."""
        return next((f.source for f in self.fields if f.target == self.id_target), None)

    @property
    def member(self) -> Field | None:
        """The field naming the member a row is about (``member_id``), if the layout has one.

        A rejected row whose member field is readable is attributed to that member (see
        :data:`~bingewise.ingest.base.REJECTS_SCHEMA`), whatever else is wrong with it.
        """
        return next((f for f in self.fields if f.target == Events.member_id), None)

    @property
    def required(self) -> tuple[str, ...]:
        """Source columns every file of this layout must have."""
        return tuple(f.source for f in self.fields if f.required)

    def claims(self, columns: Sequence[str]) -> bool:
        """Whether a file with these columns is of this layout (required ones all present)."""
        cols = set(columns)
        return bool(cols) and set(self.required) <= cols

    def check_columns(self, path: Path, columns: Sequence[str]) -> None:
        """Refuse a file with unknown or repeated columns (they would be dropped silently)."""
        known = set(self.sources) | self.ignored
        seen: set[str] = set()
        for col in columns:
            if col not in known:
                raise IngestError(
                    path,
                    f"unknown column for {self.name} (known: {', '.join(self.sources)}; "
                    f"--columns {col}=NAME reads it as one of those, --columns {col}= leaves "
                    "it out)",
                    line=1,
                    field=col,
                )
            if col in seen:
                raise IngestError(path, "column appears twice", line=1, field=col)
            seen.add(col)
        missing = [c for c in self.required if c not in seen]
        if missing:
            raise IngestError(path, f"required column missing for {self.name}", field=missing[0])

    def problem(self, code: int) -> tuple[str, str]:
        """(field, reason) of a problem code produced by :func:`stage_sql`."""
        if code < 0:
            return "", SHAPE_CODES[code]
        f = self.fields[code // PROBLEMS]
        match code % PROBLEMS:
            case 1:
                return f.source, "missing required field"
            case 2:
                return f.source, f"not {f.kind.value}"
            case 3:
                return f.source, "negative value"
            case _:
                return f.source, f"longer than {f.max_chars} characters"


def _events_derived(options: ReadOptions, source: str) -> dict[str, str]:
    key = event_key_sql(event_id=q(SourceColumns.event_id))
    derived = {Events.event_key: key, Events.source: lit(source)}
    if options.household:
        derived[Events.household_id] = (
            f"coalesce({q(Events.household_id)}, {stable_id(options.household)})"
        )
    return derived


EVENTS_LAYOUT = Layout(
    name="events",
    table=Events.table,
    arrow=Events.arrow,
    fields=(
        Field(Events.member_id, Events.member_id, Kind.ID, required=True),
        Field(Events.title_id, Events.title_id, Kind.ID, required=True),
        Field(Events.start_utc, Events.start_utc, Kind.TIMESTAMP, required=True),
        Field(Events.seconds, Events.seconds, Kind.COUNT, required=True),
        Field(SourceColumns.event_id, SourceColumns.event_id, Kind.TEXT),
        Field(Events.profile, Events.profile, Kind.TEXT, max_chars=MAX_CHARS[Members.profile]),
        Field(Events.household_id, Events.household_id, Kind.ID),
        Field(Events.bookmark_seconds, Events.bookmark_seconds, Kind.COUNT),
        Field(Events.device, Events.device, Kind.TEXT),
        Field(Events.country, Events.country, Kind.COUNTRY),
        Field(Events.supplemental, Events.supplemental, Kind.TEXT),
    ),
    derived=_events_derived,
    id_target=SourceColumns.event_id,
    identity=(Events.member_id, Events.title_id, Events.start_utc, Events.seconds),
)


# ---------------------------------------------------------------------------------------------
# SQL: parse and check every value of a source relation


_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}  # fmt: skip
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}


#: A UTC offset after the time of day (``…:05+02:00``, ``…:05.123-0530``, ``…:04 +02``).
_OFFSET_RE = "':[0-9]{2}(\\.[0-9]*)?[ ]?[+-][0-9]{2}(:?[0-9]{2})?[ \\t]*$'"


def _has_offset(t: str) -> str:
    """SQL: whether timestamp text ``t`` ends with a UTC offset (DuckDB's TIMESTAMP cast would
    ignore it, so such values go through TIMESTAMPTZ; one regex is cheaper than string slicing).
    """
    return f"regexp_matches({t}, {_OFFSET_RE})"


#: Whole numbers read as times since the epoch, by magnitude: (lowest, highest + 1 or None,
#: units per second) for seconds, milliseconds, microseconds and nanoseconds. The ranges are the
#: years 2000 to 5138 in each unit, so they never overlap; a number outside them (20240301, say)
#: is no time.
EPOCH_UNITS: tuple[tuple[int, int | None, int], ...] = (
    (946_684_800, 10**11, 1),
    (946_684_800_000, 10**14, 1_000),
    (946_684_800_000_000, 10**17, 1_000_000),
    (946_684_800_000_000_000, None, 1_000_000_000),
)


def _epoch_sql(n: str) -> str:
    """SQL: BIGINT expression ``n`` as a TIMESTAMP by :data:`EPOCH_UNITS` (NULL outside them;
    nanoseconds floored to the microsecond)."""
    whens = []
    for lo, hi, per_second in EPOCH_UNITS:
        micros = (
            f"{n} * {1_000_000 // per_second}"
            if per_second <= 1_000_000
            else f"{n} // {per_second // 1_000_000}"
        )
        upper = f" AND {n} < {hi}" if hi is not None else ""
        whens.append(f"WHEN {n} >= {lo}{upper} THEN make_timestamp({micros})")
    return f"CASE {' '.join(whens)} END"


def _seconds_sql(x: str) -> str:
    """SQL: DOUBLE expression ``x`` as a TIMESTAMP when it is seconds since the epoch in the
    seconds range of :data:`EPOCH_UNITS` (fractions kept to the microsecond)."""
    lo, hi, _ = EPOCH_UNITS[0]
    return (
        f"CASE WHEN {x} >= {lo} AND {x} < {hi} "
        f"THEN make_timestamp(CAST(round({x} * 1000000) AS BIGINT)) END"
    )


def _parse(kind: Kind, r: str, src_type: str) -> tuple[str, str]:
    """SQL (value, presence) for raw column expression ``r`` of DuckDB type ``src_type``.

    *presence* is true when the source has a value (not NULL, not blank); the value is NULL when
    present but unusable.
    """
    base = src_type.split("(")[0].upper()
    if base == "VARCHAR":
        # Cheap checks only: no trim() on every value (white space is allowed around numbers by
        # the patterns and by DuckDB's casts; a blank value is "present but not a number").
        present = f"(nullif({r}, '') IS NOT NULL)"
        ws = "[ \\t]*"
        if kind in (Kind.ID, Kind.COUNT, Kind.EPOCH_SECONDS):
            digits = {Kind.ID: 19, Kind.COUNT: 10, Kind.EPOCH_SECONDS: 12}[kind]
            sql_type = "INTEGER" if kind is Kind.COUNT else "BIGINT"
            # "200.0" is a whole number too (pandas writes a nullable integer column so): read
            # as Parquet reads a whole float, the zeros dropped; "200.5" is no whole number.
            value = (
                f"CASE WHEN regexp_full_match({r}, '{ws}[+-]?[0-9]{{1,{digits}}}{ws}') "
                f"THEN TRY_CAST({r} AS {sql_type}) "
                f"WHEN regexp_full_match({r}, '{ws}[+-]?[0-9]{{1,{digits}}}[.]0+{ws}') "
                f"THEN TRY_CAST(split_part(trim({r}), '.', 1) AS {sql_type}) END"
            )
            if kind is Kind.EPOCH_SECONDS:
                value = f"make_timestamp({value} * 1000000)"
            return value, present
        if kind is Kind.TIMESTAMP:
            # ISO 8601 first (the common case pays nothing more); else a time since the epoch
            epoch = (
                f"CASE WHEN regexp_full_match({r}, '{ws}[0-9]{{9,19}}{ws}') "
                f"THEN {_epoch_sql(f'TRY_CAST({r} AS BIGINT)')} "
                f"WHEN regexp_full_match({r}, '{ws}[0-9]{{9,11}}[.][0-9]+{ws}') "
                f"THEN {_seconds_sql(f'TRY_CAST({r} AS DOUBLE)')} END"
            )
            return (
                f"CASE WHEN {_has_offset(r)} THEN timezone('UTC', TRY_CAST({r} AS TIMESTAMPTZ)) "
                f"ELSE coalesce(TRY_CAST({r} AS TIMESTAMP), {epoch}) END",
                present,
            )
        if kind is Kind.DATE:
            return (
                f"CASE WHEN regexp_full_match({r}, '{ws}[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{ws}') "
                f"THEN TRY_CAST(trim({r}) AS DATE) END",
                present,
            )
        if kind is Kind.REAL:
            return (
                f"CASE WHEN isfinite(TRY_CAST({r} AS DOUBLE)) THEN TRY_CAST({r} AS DOUBLE) END",
                present,
            )
        if kind is Kind.KIND:
            kinds = f"({lit(Catalog.FILM)}, {lit(Catalog.EPISODE)})"
            t = f"lower(trim({r}))"
            return f"CASE WHEN {t} IN {kinds} THEN {t} END", present
        if kind is Kind.COUNTRY:
            t = f"upper(trim({r}, {_BLANKS}))"
            return (
                f"CASE WHEN TRY_CAST({t} AS {_country_enum()}) IS NOT NULL THEN {t} END",
                f"(nullif({t}, '') IS NOT NULL)",
            )
        return f"nullif({r}, '')", f"(nullif({r}, '') IS NOT NULL)"
    present = f"({r} IS NOT NULL)"
    if kind in (Kind.ID, Kind.COUNT, Kind.EPOCH_SECONDS):
        target = "INTEGER" if kind is Kind.COUNT else "BIGINT"
        if base in _INT_TYPES:
            value = f"TRY_CAST({r} AS {target})"
        elif base in _FLOAT_TYPES or base == "DECIMAL":
            value = f"CASE WHEN {r} = trunc({r}) THEN TRY_CAST({r} AS {target}) END"
        else:
            return _parse(kind, f"CAST({r} AS VARCHAR)", "VARCHAR")
        if kind is Kind.EPOCH_SECONDS:
            value = f"make_timestamp({value} * 1000000)"
        return value, present
    if kind is Kind.TIMESTAMP:
        if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            return f"timezone('UTC', {r})", present
        if base.startswith("TIMESTAMP") or base == "DATE":
            return f"CAST({r} AS TIMESTAMP)", present
        if base in _INT_TYPES:
            return _epoch_sql(f"TRY_CAST({r} AS BIGINT)"), present
        if base in _FLOAT_TYPES or base == "DECIMAL":
            return _seconds_sql(f"CAST({r} AS DOUBLE)"), present
    if kind is Kind.DATE and (base == "DATE" or base.startswith("TIMESTAMP")):
        return f"CAST({r} AS DATE)", present
    if kind is Kind.REAL and (base in _INT_TYPES or base in _FLOAT_TYPES or base == "DECIMAL"):
        return f"CASE WHEN isfinite({r}::DOUBLE) THEN {r}::DOUBLE END", present
    return _parse(kind, f"CAST({r} AS VARCHAR)", "VARCHAR")


@functools.cache
def _country_enum() -> str:
    """SQL ``ENUM`` type of every ISO 3166-1 alpha-2 code :mod:`bingewise.geo` knows: a
    ``TRY_CAST`` to it is NULL for any other text. A hash lookup per row (a scalar
    ``list_contains`` on the codes cost 3.5 times as much on 10M rows), and not ``IN (...)``:
    DuckDB plans a long ``IN`` list as a join, which does not keep the file's row order that
    ordinals rely on."""
    return "ENUM(" + ", ".join(lit(c) for c in sorted(country_codes())) + ")"


def stage_sql(
    layout: Layout,
    source_sql: str,
    columns: dict[str, str],
    raw_sql: str,
    options: ReadOptions,
    source_label: str,
    shape: str | None = None,
    ordinal: bool = True,
    passthrough: Sequence[str] = (),
) -> str:
    """SELECT staging ``source_sql`` (which has :data:`ORD` and the ``columns``) per ``layout``.

    ``columns`` maps source column names present in the file to their DuckDB types. The result
    has :data:`ORD`, every column of ``layout.arrow``, :data:`CODE` and :data:`RAW`. ``shape``,
    if given, is a SQL expression over the source giving a negative code (:data:`SHAPE_CODES`)
    for a row that is malformed as a whole, checked before any field. Without ``ordinal`` the
    source has no :data:`ORD` column: the staging table's ``rowid`` stands for it (DuckDB keeps
    insertion order, and a window function would serialise the scan).

    ``raw_sql`` builds the text of an invalid row from source columns named by :func:`raw_ref`
    (the ``columns`` and ``passthrough`` ones); it is evaluated for invalid rows only, as is
    :data:`MEMBER`, the member an invalid row names when its member field is readable.
    """
    first = [ORD] if ordinal else []
    parsed: list[str] = [*first]
    checks: list[str] = []
    if shape is not None:
        parsed.append(f"{shape} AS __shape")
        checks.append("WHEN __shape IS NOT NULL THEN __shape")
    raws: list[str] = []
    for i, f in enumerate(layout.fields):
        v = q("v_" + f.target)
        if f.source in columns:
            value, present = _parse(f.kind, q(f.source), columns[f.source])
            parsed.append(f"{value} AS {v}")
            parsed.append(f"{present} AS {q('p_' + f.target)}")
            p = q("p_" + f.target)
            checks.extend(_checks(f, i, v, p))
        else:
            parsed.append(f"NULL AS {v}")
            if f.required:
                checks.append(f"WHEN TRUE THEN {i * PROBLEMS + MISSING}")
        raws.append(q(f.source))
    code = "CASE " + " ".join(checks) + " END" if checks else "NULL::INTEGER"
    targets = {f.target for f in layout.fields}
    derived = layout.derived(options, source_label)
    out: list[str] = [*first]
    for col in layout.arrow:
        ctype = duckdb_type(col.type)
        if col.name in derived:
            expr = derived[col.name]
        elif col.name in targets:
            expr = q(col.name)
        else:
            expr = "NULL"
        out.append(f"CAST(CASE WHEN {CODE} IS NULL THEN {expr} END AS {ctype}) AS {q(col.name)}")
    renames = ", ".join(f"{q('v_' + f.target)} AS {q(f.target)}" for f in layout.fields)
    member = layout.member
    named = q(member.target) if member is not None else "NULL"
    out.append(f"CAST(CASE WHEN {CODE} IS NOT NULL THEN {named} END AS BIGINT) AS {MEMBER}")
    carried = [*columns, *passthrough]
    parsed.extend(f"{q(c)} AS {raw_ref(c)}" for c in carried)
    keep = ", ".join(raw_ref(c) for c in carried)
    return f"""
WITH __src AS ({source_sql}),
__parsed AS (SELECT {", ".join(parsed)} FROM __src),
__checked AS (SELECT *, {code} AS {CODE} FROM __parsed),
__named AS (SELECT {"".join(f"{c}, " for c in first)}{CODE}, {renames}, {keep} FROM __checked)
SELECT {", ".join(out)}, {CODE}, CASE WHEN {CODE} IS NOT NULL THEN {raw_sql} END AS {RAW}
FROM __named"""


def _checks(f: Field, i: int, value: str, present: str) -> list[str]:
    """SQL ``WHEN`` clauses giving the problem code of the ``i``-th field ``f`` of a layout whose
    parsed value and presence are the columns ``value`` and ``present``."""
    code = i * PROBLEMS
    checks = [f"WHEN NOT {present} THEN {code + MISSING}"] if f.required else []
    checks.append(f"WHEN {present} AND {value} IS NULL THEN {code + BAD}")
    if f.kind is Kind.COUNT:
        checks.append(f"WHEN {value} < 0 THEN {code + NEGATIVE}")
    if f.max_chars is not None:
        checks.append(f"WHEN length({value}) > {f.max_chars} THEN {code + TOO_LONG}")
    return checks


def _valid_sql(f: Field, value: str, present: str) -> str | None:
    """SQL: whether a parsed value of field ``f`` passes its checks (``None``: it always does).

    The same rules as the problem codes of :func:`_checks` (a row is valid exactly when its code
    is NULL), as one predicate per field: a conjunction is cheaper than the code's CASE.
    """
    valid: list[str] = []
    if f.kind is Kind.TEXT:
        if f.required:
            valid.append(f"{value} IS NOT NULL")
    else:
        ok = f"{value} >= 0" if f.kind is Kind.COUNT else f"{value} IS NOT NULL"
        valid.append(ok if f.required else f"coalesce({ok}, NOT {present})")
    if f.max_chars is not None:
        valid.append(f"coalesce(length({value}) <= {f.max_chars}, true)")
    return " AND ".join(valid) if valid else None


#: Where :func:`load_sql` puts a rejected row's problem code and raw text (``code␟raw``).
REJECT_COLUMN = Events.source
assert Events.source == Ratings.source == REJECT_COLUMN


def load_sql(
    layout: Layout,
    source_sql: str,
    columns: dict[str, str],
    raw_sql: str,
    options: ReadOptions,
    source_label: str,
) -> str:
    """SELECT of *every* row of ``source_sql``, shaped like ``layout.arrow``, in source order.

    The one-pass twin of :func:`stage_sql` for keyed layouts (events, ratings), whose rows are
    appended straight to their warehouse table: a valid row is exactly what is stored; a row that
    fails a check has a NULL ``event_key`` and, in :data:`REJECT_COLUMN`, its problem code and
    raw text joined by U+001F (read back by :func:`take_rejects`, which deletes such rows before
    the transaction ends); its ``member_id`` is the member it names when readable. Appending
    invalid rows too, rather than filtering them out, keeps one pass over the file (DuckDB would
    otherwise evaluate the checks in a pushed-down filter and parse every value twice) and
    numbers every row: its rowid.
    """
    key = Events.event_key
    assert key in layout.arrow.names and REJECT_COLUMN in layout.arrow.names
    parsed: list[str] = []
    valid: list[str] = []
    checks: list[str] = []
    for i, f in enumerate(layout.fields):
        v, p = q("v_" + f.target), q("p_" + f.target)
        if f.source not in columns:
            parsed.append(f"NULL AS {v}")
            if f.required:
                valid.append("false")
                checks.append(f"WHEN TRUE THEN {i * PROBLEMS + MISSING}")
            continue
        value, present = _parse(f.kind, q(f.source), columns[f.source])
        parsed.append(f"{value} AS {v}")
        check = _valid_sql(f, v, p)
        if check is None:
            continue
        parsed.append(f"{present} AS {p}")
        valid.append(check)
        checks.extend(_checks(f, i, v, p))
    parsed.extend(f"{q(c)} AS {raw_ref(c)}" for c in columns)
    ok = " AND ".join(valid) if valid else "true"
    code = f"CASE WHEN {ok} THEN NULL {' '.join(checks)} END" if checks else "NULL::INTEGER"
    targets = {f.target for f in layout.fields}
    derived = layout.derived(options, source_label)
    out: list[str] = []
    for col in layout.arrow:
        if col.name in derived:
            expr = derived[col.name]
        elif col.name in targets:
            expr = q(col.name)
        else:
            expr = "NULL"
        if col.name == key:
            expr = f"CASE WHEN {CODE} IS NULL THEN {expr} END"
        elif col.name == REJECT_COLUMN:
            reject = f"{CODE}::VARCHAR || {_SEP_SQL} || {raw_sql}"
            expr = f"CASE WHEN {CODE} IS NULL THEN {expr} ELSE {reject} END"
        out.append(f"CAST({expr} AS {duckdb_type(col.type)}) AS {q(col.name)}")
    renames = ", ".join(f"{q('v_' + f.target)} AS {q(f.target)}" for f in layout.fields)
    keep = ", ".join(raw_ref(c) for c in columns)
    return f"""
WITH __src AS ({source_sql}),
__parsed AS (SELECT {", ".join(parsed)} FROM __src),
__checked AS (SELECT {renames}, {keep}, {code} AS {CODE} FROM __parsed)
SELECT {", ".join(out)} FROM __checked"""


def take_rejects(
    con: duckdb.DuckDBPyConnection, table: str, after: int, first: int
) -> list[tuple[int, int, str, int | None]]:
    """Read back and delete the rejected rows :func:`load_sql` appended above rowid ``after``.

    Returns (ordinal, problem code, raw text, member id or None) of each, in file order; the
    ordinal is the row's 1-based position among the rows read (``first`` is the rowid of the
    first appended row); the member id is the one the row names, when its field is readable.
    """
    where = f"rowid > {int(after)} AND {q(Events.event_key)} IS NULL"
    rows = con.execute(
        f"SELECT rowid - {int(first) - 1}, {q(REJECT_COLUMN)}, {q(Events.member_id)} "
        f"FROM {q(table)} WHERE {where} ORDER BY rowid"
    ).fetchall()
    if not rows:
        return []
    con.execute(f"DELETE FROM {q(table)} WHERE {where}")
    out = []
    for ordinal, text, member in rows:
        code, _, raw = str(text).partition(SEPARATOR)
        out.append((int(ordinal), int(code), raw, None if member is None else int(member)))
    return out


def rowid_ordinal(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL of the 1-based insertion ordinal of ``table``'s rows, from ``rowid``.

    DuckDB keeps insertion order (``preserve_insertion_order``), so rowids follow the file; inside
    a transaction they start at a large offset, hence the subtraction. Should rowids ever not be
    contiguous, the ordinal is materialised instead (slower, still exact).
    """
    row = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {table}").fetchone()
    assert row is not None
    low, high, n = row
    if n == 0 or high - low + 1 == n:
        return f"(rowid - {int(low or 0)} + 1)"
    con.execute(f"ALTER TABLE {table} ADD COLUMN {ORD} BIGINT")
    con.execute(
        f"UPDATE {table} SET {ORD} = o.n FROM (SELECT rowid AS r, row_number() OVER "
        f"(ORDER BY rowid) AS n FROM {table}) o WHERE {table}.rowid = o.r"
    )
    return ORD


def raw_ref(column: str) -> str:
    """How ``raw_sql`` of :func:`stage_sql` names a source column."""
    return q("__s_" + column)


# ---------------------------------------------------------------------------------------------
# Staging: what the pipeline receives


#: Lines and raw text of a file's rows: (connection, ordinals) -> (line, raw row) of each, where
#: an ordinal is what :class:`Loaded` and :class:`Staged` number rows by.
Locate = Callable[[duckdb.DuckDBPyConnection, list[int]], list[tuple[int, str]]]


@dataclass(frozen=True, slots=True)
class ReusedIds:
    """How a file's rows keyed by the source's own id (``event_id``) are told apart when a key
    comes again: the same :attr:`identity` is the same event again (a duplicate); another is a
    different event reusing the id, which is rejected naming the earlier occurrence (keeping
    either silently would lose or replace an event)."""

    field: str  #: the file's name of the id column (what rejects name)
    identity: tuple[str, ...]  #: warehouse columns that must agree (:attr:`Layout.identity`)
    locate: Locate  #: lines and raw text of rows, by ordinal


@dataclass(slots=True)
class Staged:
    """A file staged in DuckDB: relations (temporary tables) the pipeline stores in one go.

    Each relation is shaped like its warehouse table (``bingewise.schema``) plus :data:`ORD`
    (for the events, ratings and catalog relations: first occurrence wins in-file duplicates).
    """

    format: str
    rows_read: int
    events: str | None = None
    ratings: str | None = None
    catalog: str | None = None
    members: str | None = None
    rejects: pa.Table = field(default_factory=lambda: REJECTS_SCHEMA.empty_table())
    temp: list[str] = field(default_factory=list)  #: temporary tables to drop afterwards
    note: str = ""  #: the reader's note for the summary (:attr:`~.base.Parsed.note`)
    #: reused source ids of the events are rejected (ordinals: the :data:`ORD` of a row)
    ids: ReusedIds | None = None


@dataclass(frozen=True, slots=True)
class Loaded:
    """A file appended straight to its warehouse table by :meth:`TabularReader.load`.

    Its valid rows are the rows of ``table`` whose ``rowid`` is above ``after``, in file order
    (DuckDB keeps insertion order), inside the caller's open transaction; duplicates and erased
    members are still among them. ``rows_read == inserted + rejects.num_rows``.
    """

    format: str
    rows_read: int
    table: str  #: warehouse table the rows were appended to
    after: int  #: the table's last rowid before the file (-1: the table was empty)
    inserted: int  #: valid rows appended
    rejects: pa.Table
    first: int = 0  #: rowid of the first row appended (a row's ordinal: rowid - first + 1)
    #: reused source ids are rejected (ordinals: a row's position among the rows read)
    ids: ReusedIds | None = None


def last_rowid(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The largest ``rowid`` of ``table`` (-1 when empty): rows appended later are above it."""
    row = con.execute(f"SELECT coalesce(max(rowid), -1) FROM {q(table)}").fetchone()
    return int(row[0]) if row else -1


def check_appended(con: duckdb.DuckDBPyConnection, table: str, after: int, inserted: int) -> int:
    """The rowid of the first of the ``inserted`` rows just appended to ``table`` above ``after``.

    Later steps find a file's rows by rowid (and number them from it); should DuckDB ever number
    appended rows otherwise than contiguously, the transaction fails (and rolls back) rather than
    touch other rows.
    """
    row = con.execute(
        f"SELECT count(*), min(rowid), max(rowid) FROM {q(table)} WHERE rowid > {int(after)}"
    ).fetchone()
    n, low, high = row if row else (0, None, None)
    if n != inserted or (n and high - low + 1 != n):
        raise AssertionError(f"{table}: {inserted} rows appended, {n} found above rowid {after}")
    return int(low) if low is not None else after + 1


class StagingReader(Protocol):
    """A reader that can stage a file straight into a DuckDB connection (no Arrow round trip)."""

    name: ClassVar[str]

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def read(self, path: Path, options: ReadOptions) -> Parsed: ...

    def stage(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, *, label: str
    ) -> Staged: ...


VIEW_PREFIX = "__bw_view_"


def temp_name(prefix: str, *, view: bool = False) -> str:
    """A unique name for a temporary table (or view: :func:`drop_temp` tells them apart)."""
    return f"{VIEW_PREFIX if view else '__bw_'}{prefix}_{uuid.uuid4().hex[:10]}"


def parsed_from_staged(con: duckdb.DuckDBPyConnection, staged: Staged) -> Parsed:
    """Arrow tables of a staged file (what :meth:`Reader.read` returns), without :data:`ORD`."""

    def fetch(rel: str | None, schema: pa.Schema) -> pa.Table | None:
        if rel is None:
            return None
        cols = ", ".join(q(c) for c in schema.names)
        table = con.execute(f"SELECT {cols} FROM {rel} ORDER BY ALL").to_arrow_table()
        return table.cast(schema)

    return Parsed(
        format=staged.format,
        rows_read=staged.rows_read,
        events=fetch(staged.events, Events.arrow),
        ratings=fetch(staged.ratings, Ratings.arrow),
        catalog=fetch(staged.catalog, Catalog.arrow),
        members=fetch(staged.members, Members.arrow),
        rejects=staged.rejects,
    )


def drop_temp(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Drop a staged file's temporary tables."""
    for name in reversed(staged.temp):  # views before the tables they read
        kind = "VIEW" if name.startswith(VIEW_PREFIX) else "TABLE"
        con.execute(f"DROP {kind} IF EXISTS {name}")
    staged.temp.clear()


# ---------------------------------------------------------------------------------------------
# Sniffing helpers


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file."""
    with path.open("rb") as fh:
        return fh.read(size)


def _first_line(head: bytes) -> str | None:
    if not head or b"\x00" in head:
        return None
    text = head.splitlines()[0] if head else b""  # LF, CRLF or a lone CR ends the line
    try:
        return codecs.decode(text, "utf-8-sig")
    except UnicodeDecodeError:
        return None


DELIMITERS = (",", ";", "\t", "|")


def csv_header(head: bytes) -> tuple[str, list[str]] | None:
    """(delimiter, column names) of a delimited file's header line, or ``None``."""
    line = _first_line(head)
    if not line:
        return None
    best: tuple[str, list[str]] | None = None
    for delim in DELIMITERS:
        cols = next(csv.reader([line], delimiter=delim))
        cols = [c.strip() for c in cols]
        if len(cols) > 1 and (best is None or len(cols) > len(best[1])):
            best = (delim, cols)
    return best


def jsonl_keys(path: Path, head: bytes, lines: int = 100) -> list[str] | None:
    """Keys of the first JSON objects (up to ``lines`` of them) of a JSON Lines file, or ``None``.

    The union of several rows' keys, so that a first row lacking an optional (or a required)
    field does not hide the file's layout. ``None`` when the first non-blank line is not an
    object.
    """
    if not head.lstrip().startswith(b"{") or b"\x00" in head:
        return None
    keys: dict[str, None] = {}
    with path.open("rb") as fh:
        for raw in itertools.islice(fh, lines):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = json.loads(line.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                obj = None
            if not isinstance(obj, dict):
                if not keys:
                    return None
                continue
            keys.update(dict.fromkeys(obj))
    return list(keys) or None


def parquet_columns(path: Path, head: bytes) -> list[str] | None:
    """Column names of a readable Parquet file, or ``None`` (not Parquet, or unreadable)."""
    if not head.startswith(b"PAR1"):
        return None
    try:
        return list(pq.read_schema(path).names)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Line numbers of CSV rows


class TextDialect(NamedTuple):
    """How a delimited file is written: its quote character ("" for none) and text encoding."""

    quote: str = '"'
    encoding: str = "utf-8"


def _scan_records(
    path: Path,
    delim: str,
    header: bool,
    width: int,
    dialect: TextDialect | None = None,
    skip: Collection[int] = (),
) -> Iterator[tuple[int, bool]]:
    """(start line, well formed) of every non-blank record of a delimited file, in order.

    The slow, exact path used only when a file has blank lines or quoted line breaks: Python's
    ``csv`` tracks physical lines. *Well formed* means ``width`` fields and valid text. Lines in
    ``skip`` (stray quotes, see :func:`_stray_quotes`) read as blank.
    """
    for start, row in _records(path, delim, header, dialect, skip):
        yield start, len(row) == width and not any(_has_surrogate(v) for v in row)


def _records(
    path: Path,
    delim: str,
    header: bool,
    dialect: TextDialect | None = None,
    skip: Collection[int] = (),
) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) of every non-blank record of a delimited file after its header.

    Python's ``csv`` tracks physical lines (LF, CRLF or a mix). A file without quoting
    (MovieLens' ``::`` files) is one record per line, split on the delimiter. Invalid text
    reads as lone surrogates. Lines in ``skip`` (stray quotes) read as blank lines.
    """
    quote, encoding = dialect or TextDialect()
    text = "utf-8-sig" if encoding == "utf-8" else encoding
    if not quote:
        with path.open("r", encoding=text, errors="surrogateescape", newline="") as fh:
            first = True
            for n, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    continue
                if first and header:
                    first = False
                    continue
                first = False
                yield n, line.split(delim)
        return
    with path.open("r", encoding=text, errors="surrogateescape", newline="") as fh:
        lines: Iterable[str] = fh
        if skip:
            lines = (_blank(line) if n in skip else line for n, line in enumerate(fh, start=1))
        reader = csv.reader(lines, delimiter=delim, quotechar=quote, doublequote=True, strict=False)
        prev = 0
        first = True
        while True:
            start = prev + 1
            try:
                row = next(reader, None)
            except csv.Error:
                # A field longer than csv's limit: a quote left open swallowed the rest of the
                # file (DuckDB rejected it as one record); it is one malformed record here too.
                if not (first and header):
                    yield start, []
                return
            if row is None:
                return
            prev = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if first and header:
                first = False
                continue
            first = False
            yield start, row


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _blank(line: str) -> str:
    """A line made blank, its line end kept (physical lines stay where they were)."""
    return line[len(line.rstrip("\r\n")) :]


# ---------------------------------------------------------------------------------------------
# Stray quotes


def unbalanced_quote(quote: str = '"') -> str:
    """The reason of a line rejected for a stray quote (see :func:`whole_row`)."""
    return f"unbalanced quote: a field opened with {quote} does not close on its line"


def whole_row(line: str, width: int, delimiter: str, quote: str = '"') -> bool:
    """Whether one physical line, read alone, is a complete, well-formed row of ``width``
    fields: not the end of a field quoted on an earlier line (``title",7/28/22``), whose quote
    lands in a field that was not quoted (a value holding a quote is quoted in a well-formed
    row, its quotes doubled).

    The rule for a stray quote, shared by every CSV reader: a quote that opens a field and does
    not close on its line swallows the rows after it into one field (CSV reads on to the next
    quote); when the line after it is a whole row by itself, the quote was stray, and its line
    alone is rejected (:func:`unbalanced_quote`). A value really quoted over several lines is
    followed by the rest of its value, which is no whole row, and stays one record.
    """
    try:
        values = next(csv.reader([line], delimiter=delimiter, quotechar=quote, strict=True), [])
    except csv.Error:
        return False
    if len(values) != width or not any(v.strip() for v in values):
        return False
    spare = line.count(quote) - sum(2 + 2 * v.count(quote) for v in values if quote in v)
    return spare >= 0 and spare % 2 == 0


def _quoting_rejected(parse_rows: list[tuple[object, ...]]) -> bool:
    """Whether DuckDB rejected a row for its quoting or as a record of several lines: the only
    case a stray quote can be behind (and the only one that pays for :func:`_stray_quotes`)."""
    return any(
        _parse_reason(None if r[2] is None else str(r[2])) == "malformed quoting"
        or "\n" in str(r[3] or "")
        or "\r" in str(r[3] or "")
        for r in parse_rows
    )


#: One physical line of bytes as universal newlines split them (LF, CRLF or a lone CR ends it).
_PHYSICAL_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _physical_lines(fh: BinaryIO) -> Iterator[bytes]:
    """The physical lines of a binary file from where it stands, as :func:`_records` counts
    them (a text file opened with ``newline=""``), each with its line end."""
    for raw in fh:
        if raw.count(b"\r") != raw.endswith(b"\r\n"):  # a lone carriage return inside
            yield from _PHYSICAL_LINE.findall(raw)
        else:
            yield raw


def _stray_quotes(
    path: Path, delim: str, width: int, header: bool, dialect: TextDialect
) -> dict[int, str]:
    """Lines of a delimited file holding a stray quote, by :func:`whole_row`: line -> its text.

    Walks the records as :func:`_records` does (physical lines, first non-blank record the
    header); when a record spans lines and its second line is a whole row by itself, its first
    line is a stray quote's, and reading goes on from the second. One pass over the file, on
    the slow path only (after DuckDB rejected a row for its quoting); the file is read as bytes,
    so that going back to a record's second line is a seek to an offset counted on the way.
    """
    quote, encoding = dialect
    strays: dict[int, str] = {}
    if not quote:
        return strays
    with path.open("rb") as fh:
        read = 0  # physical lines read
        offset = 0  # bytes before the next line
        taken: list[tuple[int, str]] = []  # (offset, text) of the record's first two lines

        def lines() -> Iterator[str]:
            nonlocal read, offset
            for raw in _physical_lines(fh):
                text = raw.decode(encoding, "surrogateescape")
                if offset == 0 and encoding == "utf-8":
                    text = text.removeprefix("\ufeff")
                read += 1
                if len(taken) < 2:
                    taken.append((offset, text))
                offset += len(raw)
                yield text

        def records() -> Iterator[list[str]]:
            return csv.reader(
                lines(), delimiter=delim, quotechar=quote, doublequote=True, strict=False
            )

        reader, in_header = records(), header
        while True:
            start = read + 1
            taken.clear()
            try:
                row, broken = next(reader, None), False
            except csv.Error:  # a field longer than csv's limit: a quote swallowing many lines
                row, broken = [], True
            if row is None or (broken and in_header):
                return strays
            if not broken and (not row or (len(row) == 1 and not row[0].strip())):
                continue
            if in_header:
                in_header = False
                continue
            if read > start and len(taken) > 1 and whole_row(taken[1][1], width, delim, quote):
                strays[start] = taken[0][1].rstrip("\r\n")
                offset, read = taken[1][0], start
                fh.seek(offset)
                reader = records()
            elif broken:  # no reading on past a field csv cannot hold
                return strays


def _stray_rejects(
    strays: dict[int, str],
    delim: str,
    quote: str,
    columns: Sequence[str],
    member_of: Callable[[str], int | None],
) -> list[_RejectRow]:
    """Rejects of stray quote lines: the field named is the one the quote opens (the last the
    line splits into, since it swallows the rest of the line)."""
    out: list[_RejectRow] = []
    for line, text in sorted(strays.items()):
        fields = next(csv.reader([text], delimiter=delim, quotechar=quote, strict=False), [])
        at = len(fields) - 1
        name = columns[at] if 0 <= at < len(columns) else ""
        out.append((line, name, unbalanced_quote(quote), text, member_of(text)))
    return out


@contextmanager
def _without_lines(path: Path, skip: Collection[int], dialect: TextDialect) -> Iterator[Path]:
    """``path`` itself when ``skip`` is empty, else (while the context lasts) a copy with those
    lines blank, every other byte and every line where it was (blank lines are no rows)."""
    if not skip:
        yield path
        return
    text = "utf-8-sig" if dialect.encoding == "utf-8" else dialect.encoding
    folder = Path(tempfile.mkdtemp(prefix="bingewise-quotes-"))
    try:
        copy = folder / path.name
        with (
            path.open("r", encoding=text, errors="surrogateescape", newline="") as src,
            copy.open("w", encoding=dialect.encoding, errors="surrogateescape", newline="") as dst,
        ):
            for n, line in enumerate(src, start=1):
                dst.write(_blank(line) if n in skip else line)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The generic readers


class _CsvScan(NamedTuple):
    """What :meth:`TabularReader._csv_scan` gives: a CSV's shape and how to read it."""

    delim: str
    columns: list[str]
    header: bool
    dialect: TextDialect
    rejects: str  #: temporary table of DuckDB's parse rejects
    scan: str  #: temporary table of DuckDB's scans (for the rejects)
    select: str  #: SELECT * of the reader
    raw: str  #: SQL of a row's raw text (its fields joined by the delimiter)


class TabularReader:
    """Base of the generic readers: a :class:`Layout` read from CSV, Parquet or JSON Lines."""

    name: ClassVar[str] = ""
    layout: Layout  #: the class's layout, or a renamed copy (:meth:`mapped`)
    container: ClassVar[str] = "csv"  #: "csv", "parquet" or "jsonl"
    #: fixed column names for header-less files (``None``: the file has a header)
    names: ClassVar[tuple[str, ...] | None] = None
    #: fixed delimiter (``None``: detected from the header)
    delimiter: ClassVar[str | None] = None
    #: quote character of delimited files ("": none, as in MovieLens' ``::`` files)
    quote: ClassVar[str] = '"'
    #: whether ``--columns`` renames this reader's columns (the generic layouts; not fixed
    #: formats such as MovieLens)
    mappable: ClassVar[bool] = False

    def mapped(self, columns: Sequence[tuple[str, str]]) -> TabularReader:
        """This reader for files naming the layout's columns otherwise (:meth:`Layout.mapped`);
        itself when it is not :attr:`mappable` or nothing is renamed."""
        if not self.mappable or not columns:
            return self
        other = copy.copy(self)
        other.layout = self.layout.mapped(columns)
        return other

    def reused_ids(self, columns: Sequence[str], locate: Locate) -> ReusedIds | None:
        """:class:`ReusedIds` for a file of these columns, when it has the layout's source id
        column (without one, a key is made of the very columns that say which event it is)."""
        source = self.layout.id_source
        if source is None or source not in columns:
            return None
        return ReusedIds(source, self.layout.identity, locate)

    def dialect(self, path: Path) -> TextDialect:
        """Quoting and text encoding of a delimited file (UTF-8 unless a reader knows better)."""
        return TextDialect(self.quote, "utf-8")

    # -- detection ------------------------------------------------------------------------------

    def columns_of(self, path: Path, head: bytes) -> list[str] | None:
        """Source column names of ``path`` as this reader would read it, or ``None``."""
        if self.container == "parquet":
            return parquet_columns(path, head)
        if self.container == "jsonl":
            return jsonl_keys(path, head)
        if self.names is not None:
            return list(self.names) if self.sniff_headerless(head) else None
        found = csv_header(head)
        if found is None or (self.delimiter is not None and found[0] != self.delimiter):
            return None
        return found[1]

    def sniff_headerless(self, head: bytes) -> bool:
        """For header-less formats: whether the first line has this format's shape."""
        return False

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` is a file of this reader's layout and container."""
        cols = self.columns_of(path, head)
        return cols is not None and self.layout.claims(cols)

    # -- reading --------------------------------------------------------------------------------

    def read(self, path: Path, options: ReadOptions) -> Parsed:
        """Parse the whole file into Arrow tables (staging in a private in-memory DuckDB)."""
        con = duckdb.connect(":memory:")
        try:
            staged = self.stage(con, path, options, label=path.name)
            return parsed_from_staged(con, staged)
        finally:
            con.close()

    def stage(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, *, label: str
    ) -> Staged:
        """Validate ``path`` in SQL into temporary tables of ``con``; see :class:`Staged`."""
        head = read_head(path)
        if self.container == "parquet":
            return self._stage_parquet(con, path, head, options, label)
        if self.container == "jsonl":
            return self._stage_jsonl(con, path, head, options, label)
        return self._stage_csv(con, path, head, options, label)

    def _finish(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        stage: str,
        rows_read: int,
        rejects: pa.Table,
        temp: list[str],
        options: ReadOptions,
        ord_sql: str = ORD,
    ) -> Staged:
        """Wrap a staging table as :class:`Staged` (subclasses add catalog or members)."""
        valid = temp_name("valid", view=True)
        cols = ", ".join([f"{ord_sql} AS {ORD}", *(q(c) for c in self.layout.arrow.names)])
        con.execute(f"CREATE TEMP VIEW {valid} AS SELECT {cols} FROM {stage} WHERE {CODE} IS NULL")
        temp.append(valid)
        staged = Staged(format=self.name, rows_read=rows_read, rejects=rejects, temp=temp)
        setattr(staged, self._relation_attr(), valid)
        return self.extend(con, staged, valid, options)

    def _relation_attr(self) -> str:
        return {Events.table: "events", Ratings.table: "ratings", Catalog.table: "catalog"}[
            self.layout.table
        ]

    def members_sql(self, relation: str, options: ReadOptions) -> str | None:
        """Hook: SELECT of the members seen in ``relation`` (rows of this layout), if any."""
        return None

    def extend(
        self, con: duckdb.DuckDBPyConnection, staged: Staged, valid: str, options: ReadOptions
    ) -> Staged:
        """Hook: add derived relations; by default the members :meth:`members_sql` finds."""
        sql = self.members_sql(valid, options)
        if sql is None:
            return staged
        members = temp_name("members", view=True)
        staged.temp.append(members)
        con.execute(f"CREATE TEMP VIEW {members} AS {sql}")
        staged.members = members
        return staged

    def _code_rejects(
        self,
        con: duckdb.DuckDBPyConnection,
        stage: str,
        line_of: Callable[[list[int]], list[int]],
        ord_sql: str = ORD,
    ) -> list[_RejectRow]:
        rows = con.execute(
            f"SELECT {ord_sql} AS o, {CODE}, {RAW}, {MEMBER} FROM {stage} "
            f"WHERE {CODE} IS NOT NULL ORDER BY o"
        ).fetchall()
        if not rows:
            return []
        lines = line_of([int(r[0]) for r in rows])
        out = []
        for line, (_, code, raw, member) in zip(lines, rows, strict=True):
            fld, reason = self.layout.problem(int(code))
            text = "" if raw is None else str(raw)
            out.append((line, fld, reason, text, None if member is None else int(member)))
        return out

    # -- CSV ------------------------------------------------------------------------------------

    def _csv_shape(self, path: Path, head: bytes) -> tuple[str, list[str], bool]:
        """(delimiter, column names, has a header) of a delimited file; refuses bad headers."""
        if self.names is not None:
            delim, columns, header = self.delimiter or ",", list(self.names), False
        else:
            found = csv_header(head)
            if found is None:
                raise IngestError(path, f"no {self.name} header line", line=1)
            (delim, columns), header = found, True
        self.layout.check_columns(path, columns)
        return delim, columns, header

    @contextmanager
    def _csv_scan(self, path: Path, head: bytes, skip: Collection[int] = ()) -> Iterator[_CsvScan]:
        """A CSV file's shape and a SELECT reading it (its parse and size rejects going to the
        ``rejects`` and ``scan`` tables), with the SQL of each row's raw text; while the context
        lasts the file is read with consistent line ends (:func:`consistent_line_ends`) and the
        lines in ``skip`` (stray quotes, :meth:`_strays`) blank."""
        delim, columns, header = self._csv_shape(path, head)
        rj, rs = temp_name("rejects"), temp_name("scan")
        dialect = self.dialect(path)  # may read the file: once
        # Raw row text reproduces the line as read (fields joined by the delimiter).
        raw_sql = (
            f"concat_ws({lit(delim)}, "
            + ", ".join(f"coalesce({raw_ref(c)}, '')" for c in columns)
            + ")"
        )
        with (
            _without_lines(path, skip, dialect) as kept,
            consistent_line_ends(
                kept,
                dialect.quote,
                delimiter=delim,
                width=len(columns),
                encoding=dialect.encoding,
            ) as readable,
        ):
            reader = self._csv_reader(readable, delim, columns, header, rj, rs, dialect)
            yield _CsvScan(
                delim, columns, header, dialect, rj, rs, f"SELECT * FROM {reader}", raw_sql
            )

    @staticmethod
    def _csv_reader(
        path: Path,
        delim: str,
        columns: list[str],
        header: bool,
        rj: str,
        rs: str,
        dialect: TextDialect,
    ) -> str:
        """``read_csv`` of every field as text; malformed rows go to the rejects table ``rj``."""
        col_types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in columns) + "}"
        quote, encoding = dialect
        text = f", encoding={lit(encoding)}" if encoding != "utf-8" else ""
        return (
            f"read_csv({lit(str(path))}, header={str(header).lower()}, auto_detect=false, "
            f"delim={lit(delim)}, quote={lit(quote)}, escape={lit(quote)}, columns={col_types}, "
            f"store_rejects=true, rejects_table={lit(rj)}, rejects_scan={lit(rs)}, "
            f"max_line_size=10000000{text})"
        )

    @staticmethod
    def _parse_rows(con: duckdb.DuckDBPyConnection, rj: str) -> list[tuple[object, ...]]:
        """Rows DuckDB could not split: (line, column, error types, line text), by line."""
        return con.execute(
            f"SELECT line, any_value(column_name), string_agg(DISTINCT error_type::VARCHAR, ', '),"
            f" any_value(csv_line) FROM {rj} GROUP BY line ORDER BY line"
        ).fetchall()

    @staticmethod
    def _strays(path: Path, scan: _CsvScan, parse_rows: list[tuple[object, ...]]) -> dict[int, str]:
        """Stray quote lines of a CSV file DuckDB read with ``parse_rows`` rejected (see
        :func:`whole_row`); nothing is looked for unless DuckDB rejected a row for its quoting,
        so a file without such rejects costs nothing more."""
        if not scan.dialect.quote or not _quoting_rejected(parse_rows):
            return {}
        with timed("stray quotes"):
            return _stray_quotes(path, scan.delim, len(scan.columns), scan.header, scan.dialect)

    def _stage_csv(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        head: bytes,
        options: ReadOptions,
        label: str,
    ) -> Staged:
        stage, temp, rows_read, rejects, ordinal = self._scan_csv(con, path, head, options, label)
        return self._finish(con, path, stage, rows_read, rejects, temp, options, ordinal)

    def _scan_csv(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        head: bytes,
        options: ReadOptions,
        label: str,
    ) -> tuple[str, list[str], int, pa.Table, str]:
        """Stage a CSV file: (table, temporary tables, rows read, rejects, ordinal SQL).

        A file whose stray quotes (:func:`whole_row`) swallowed rows is staged again, those
        lines blank, each of them one reject.
        """
        strays: dict[int, str] = {}
        while True:
            stage = temp_name("stage")
            with self._csv_scan(path, head, strays) as scan:
                delim, columns, header, dialect, rj, rs, select, raw_sql = scan
                sql = stage_sql(
                    self.layout,
                    select,
                    dict.fromkeys(columns, "VARCHAR"),
                    raw_sql,
                    options,
                    label,
                    ordinal=False,
                )
                try:
                    with timed("stage csv"):
                        con.execute(f"CREATE TEMP TABLE {stage} AS {sql}")
                except duckdb.Error as exc:
                    _drop_quietly(con, stage)
                    raise IngestError(path, f"unreadable as {self.name}: {_short(exc)}") from None
            temp = [stage, rj, rs]
            parse_rows = self._parse_rows(con, rj)
            if strays:  # read again, the stray quotes' lines blank
                break
            strays = self._strays(path, scan, parse_rows)
            if not strays:
                break
            for name in temp:
                _drop_quietly(con, name)
        survivors = _count(con, stage)
        ordinal = rowid_ordinal(con, stage)
        rows_read = survivors + len(parse_rows) + len(strays)
        n_code = con.execute(f"SELECT count(*) FROM {stage} WHERE {CODE} IS NOT NULL").fetchone()
        if not parse_rows and not strays and not (n_code and n_code[0]):
            return stage, temp, rows_read, REJECTS_SCHEMA.empty_table(), ordinal
        line_of, parse_rejects = _csv_lines(
            path, delim, columns, header, parse_rows, survivors, dialect, self.layout, strays
        )
        rejects = parse_rejects + self._code_rejects(con, stage, line_of, ordinal)
        rejects.sort(key=lambda r: r[0])
        return stage, temp, rows_read, _rejects_arrow(rejects), ordinal

    # -- Parquet --------------------------------------------------------------------------------

    def _parquet_types(
        self, con: duckdb.DuckDBPyConnection, path: Path
    ) -> tuple[int, dict[str, str]]:
        """(rows, DuckDB type of each column) of a Parquet file; refuses unreadable files."""
        try:
            meta = pq.read_metadata(path)
        except Exception as exc:
            raise IngestError(path, f"truncated or corrupt Parquet file ({_short(exc)})") from None
        names = meta.schema.to_arrow_schema().names
        self.layout.check_columns(path, names)
        try:
            types = {
                str(r[0]): str(r[1])
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})"
                ).fetchall()
            }
        except duckdb.Error as exc:
            raise IngestError(path, f"truncated or corrupt Parquet file ({_short(exc)})") from None
        return int(meta.num_rows), {c: types[c] for c in names if c in types}

    def _parquet_stage_sql(
        self, path: Path, types: dict[str, str], options: ReadOptions, label: str
    ) -> str:
        """:func:`stage_sql` over a Parquet file, the ordinal being the 1-based row number."""
        reader = f"read_parquet({lit(str(path))}, file_row_number=true)"
        raw_sql = (
            "to_json(struct_pack(" + ", ".join(f"{q(c)} := {raw_ref(c)}" for c in types) + "))"
        )
        source_sql = (
            f"SELECT file_row_number + 1 AS {ORD}, * EXCLUDE (file_row_number) FROM {reader}"
        )
        return stage_sql(self.layout, source_sql, types, raw_sql, options, label)

    def _stage_parquet(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        head: bytes,
        options: ReadOptions,
        label: str,
    ) -> Staged:
        _, types = self._parquet_types(con, path)
        sql = self._parquet_stage_sql(path, types, options, label)
        stage = temp_name("stage")
        try:
            with timed("stage parquet"):
                con.execute(f"CREATE TEMP TABLE {stage} AS {sql}")
        except duckdb.Error as exc:
            _drop_quietly(con, stage)
            raise IngestError(path, f"truncated or corrupt Parquet file ({_short(exc)})") from None
        rows_read = _count(con, stage)
        rejects = self._code_rejects(con, stage, lambda ords: ords)
        return self._finish(con, path, stage, rows_read, _rejects_arrow(rejects), [stage], options)

    # -- Loading straight into the warehouse ----------------------------------------------------

    def can_load(self) -> bool:
        """Whether :meth:`load` applies: keyed rows (events, ratings) from CSV or Parquet."""
        return self.container in ("csv", "parquet") and Events.event_key in self.layout.arrow.names

    def load(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, *, label: str
    ) -> Loaded:
        """Append the valid rows of ``path`` to their warehouse table, in file order, in one pass.

        Runs inside the caller's transaction: every row DuckDB reads is appended by one INSERT
        (see :func:`load_sql`), then the rejected ones are read back with their ordinals and
        deleted. The caller drops duplicates and erased members afterwards (see :class:`Loaded`).
        """
        head = read_head(path)
        if self.container == "parquet":
            return self._load_parquet(con, path, options, label)
        return self._load_csv(con, path, head, options, label)

    def _append(
        self, con: duckdb.DuckDBPyConnection, path: Path, sql: str, what: str
    ) -> tuple[int, int, int]:
        """INSERT ``sql``'s rows into the layout's table, in order.

        Returns (the table's last rowid before, the first appended rowid, rows appended).
        """
        table = self.layout.table
        cols = ", ".join(q(c) for c in self.layout.arrow.names)
        after = last_rowid(con, table)
        ordered = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        if ordered != (True,):  # rowids must follow the file: ordinals and first occurrences
            con.execute("SET preserve_insertion_order = true")
        try:
            with timed(f"load {self.container}"):
                row = con.execute(f"INSERT INTO {q(table)} ({cols}) {sql}").fetchone()
        except duckdb.Error as exc:
            raise IngestError(path, f"{what} ({_short(exc)})") from None
        finally:
            if ordered != (True,):
                with suppress(duckdb.Error):  # never hide the error that got us here
                    con.execute("SET preserve_insertion_order = false")
        appended = int(row[0]) if row else 0
        return after, check_appended(con, table, after, appended), appended

    def _load_parquet(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, label: str
    ) -> Loaded:
        rows_read, types = self._parquet_types(con, path)
        raw_sql = (
            "to_json(struct_pack(" + ", ".join(f"{q(c)} := {raw_ref(c)}" for c in types) + "))"
        )
        source_sql = f"SELECT * FROM read_parquet({lit(str(path))})"
        sql = load_sql(self.layout, source_sql, types, raw_sql, options, label)
        after, first, appended = self._append(con, path, sql, "truncated or corrupt Parquet file")
        if appended != rows_read:
            raise IngestError(
                path, f"truncated or corrupt Parquet file ({appended} of {rows_read} rows read)"
            )
        rejects = [
            (ordinal, *self.layout.problem(code), raw, member)
            for ordinal, code, raw, member in take_rejects(con, self.layout.table, after, first)
        ]
        inserted = appended - len(rejects)
        ids = self.reused_ids(list(types), _parquet_locate(path, list(types)))
        return Loaded(
            self.name,
            rows_read,
            self.layout.table,
            after,
            inserted,
            _rejects_arrow(rejects),
            first,
            ids,
        )

    def _load_csv(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        head: bytes,
        options: ReadOptions,
        label: str,
    ) -> Loaded:
        strays: dict[int, str] = {}
        while True:
            with self._csv_scan(path, head, strays) as scan:
                delim, columns, header, dialect, rj, rs, select, raw_sql = scan
                sql = load_sql(
                    self.layout,
                    select,
                    dict.fromkeys(columns, "VARCHAR"),
                    raw_sql,
                    options,
                    label,
                )
                try:
                    after, first, appended = self._append(
                        con, path, sql, f"unreadable as {self.name}"
                    )
                    parse_rows = self._parse_rows(con, rj)
                finally:
                    for name in (rj, rs):
                        _drop_quietly(con, name)
            if strays:  # read again, the stray quotes' lines blank
                break
            strays = self._strays(path, scan, parse_rows)
            if not strays:
                break
            # Rows a stray quote swallowed were never appended: append the file again.
            con.execute(f"DELETE FROM {q(self.layout.table)} WHERE rowid > {int(after)}")
        code_rows = take_rejects(con, self.layout.table, after, first)
        rows_read = appended + len(parse_rows) + len(strays)
        rejects: list[_RejectRow] = []
        if parse_rows or code_rows or strays:
            line_of, rejects = _csv_lines(
                path, delim, columns, header, parse_rows, appended, dialect, self.layout, strays
            )
            lines = line_of([ordinal for ordinal, _, _, _ in code_rows])
            rejects += [
                (line, *self.layout.problem(code), raw, member)
                for line, (_, code, raw, member) in zip(lines, code_rows, strict=True)
            ]
            rejects.sort(key=lambda r: r[0])
        inserted = appended - len(code_rows)
        locate = _csv_locate(path, delim, columns, header, parse_rows, appended, dialect, strays)
        return Loaded(
            self.name,
            rows_read,
            self.layout.table,
            after,
            inserted,
            _rejects_arrow(rejects),
            first,
            self.reused_ids(columns, locate),
        )

    # -- JSON Lines -----------------------------------------------------------------------------

    def _stage_jsonl(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        head: bytes,
        options: ReadOptions,
        label: str,
    ) -> Staged:
        if jsonl_keys(path, head) is None:
            raise IngestError(path, "first line is not a JSON object", line=1)
        known = list(self.layout.sources)
        accepted = [*known, *sorted(self.layout.ignored)]
        # Each physical line is one row of one column: no quoting, no delimiter (U+001E cannot
        # appear unescaped in valid JSON), so ordinals are physical lines, blank lines included.
        reader = (
            f"read_csv({lit(str(path))}, header=false, auto_detect=false, delim='\x1e', quote='',"
            f" escape='', columns={{'j': 'VARCHAR'}}, strict_mode=false, "
            f"max_line_size=10000000, null_padding=true)"
        )
        known_list = "[" + ", ".join(lit(k) for k in accepted) + "]"
        extract = ", ".join(
            f"CASE WHEN __obj THEN j ->> {lit('$.' + json.dumps(k))} END AS {q(k)}" for k in known
        )
        lines = temp_name("lines")
        try:
            con.execute(f"CREATE TEMP TABLE {lines} AS SELECT j FROM {reader}")
        except duckdb.Error as exc:
            raise IngestError(path, f"unreadable as {self.name}: {_short(exc)}") from None
        lines_sql = f"SELECT {rowid_ordinal(con, lines)} AS {ORD}, j FROM {lines}"
        obj = "CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END"
        source_sql = (
            f"SELECT {ORD}, j, __obj, {extract} FROM (SELECT *, {obj} AS __obj FROM "
            f"({lines_sql}) WHERE nullif(trim(j), '') IS NOT NULL)"
        )
        shape = (
            f"CASE WHEN NOT __obj THEN {NOT_OBJECT} "
            f"WHEN len(list_filter(json_keys(j), k -> NOT list_contains({known_list}, k))) > 0 "
            f"THEN {UNKNOWN_FIELD} END"
        )
        stage = temp_name("stage")
        sql = stage_sql(
            self.layout,
            source_sql,
            dict.fromkeys(known, "VARCHAR"),
            raw_ref("j"),
            options,
            label,
            shape,
            passthrough=["j"],
        )
        try:
            con.execute(f"CREATE TEMP TABLE {stage} AS {sql}")
        except duckdb.Error as exc:
            con.execute(f"DROP TABLE IF EXISTS {stage}")
            raise IngestError(path, f"unreadable as {self.name}: {_short(exc)}") from None
        finally:
            con.execute(f"DROP TABLE IF EXISTS {lines}")
        rows_read = _count(con, stage)
        rejects = self._code_rejects(con, stage, lambda ords: ords)
        rejects = [
            (
                line,
                _unknown_key(raw, known)
                if code_field == "" and reason == SHAPE_CODES[UNKNOWN_FIELD]
                else code_field,
                reason,
                raw,
                member,
            )
            for line, code_field, reason, raw, member in rejects
        ]
        staged = self._finish(
            con, path, stage, rows_read, _rejects_arrow(rejects), [stage], options
        )
        staged.ids = self.reused_ids(known, _jsonl_locate(path))  # ordinals are lines
        return staged


def _jsonl_locate(path: Path) -> Locate:
    """:data:`Locate` of a JSON Lines file: an ordinal is a physical line, its text the row."""

    def locate(con: duckdb.DuckDBPyConnection, ordinals: list[int]) -> list[tuple[int, str]]:
        wanted, found = set(ordinals), {}
        with path.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if n in wanted:
                    found[n] = raw.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
                    if len(found) == len(wanted):
                        break
        return [(o, found.get(o, "")) for o in ordinals]

    return locate


def _parquet_locate(path: Path, columns: list[str]) -> Locate:
    """:data:`Locate` of a Parquet file: an ordinal is a 1-based row, its text the row's JSON."""

    def locate(con: duckdb.DuckDBPyConnection, ordinals: list[int]) -> list[tuple[int, str]]:
        if not ordinals:
            return []
        raw = "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in columns) + "))"
        rows = con.execute(
            f"SELECT file_row_number + 1, {raw} "
            f"FROM read_parquet({lit(str(path))}, file_row_number=true) "
            "WHERE file_row_number + 1 IN (SELECT unnest(?::BIGINT[]))",
            [sorted(set(ordinals))],
        ).fetchall()
        found = {int(n): str(text) for n, text in rows}
        return [(o, found.get(o, "")) for o in ordinals]

    return locate


def _csv_locate(
    path: Path,
    delim: str,
    columns: list[str],
    header: bool,
    parse_rows: list[tuple[object, ...]],
    survivors: int,
    dialect: TextDialect,
    strays: Collection[int] = (),
) -> Locate:
    """:data:`Locate` of a CSV file read by DuckDB: an ordinal numbers the ``survivors`` rows
    DuckDB returned; the text is the record's fields joined by the delimiter. The ``strays``
    lines (stray quotes) were read as blank."""

    def locate(con: duckdb.DuckDBPyConnection, ordinals: list[int]) -> list[tuple[int, str]]:
        line_of, _ = _csv_lines(
            path, delim, columns, header, parse_rows, survivors, dialect, strays=strays
        )
        lines = line_of(ordinals)
        wanted, found = set(lines), {}
        for start, fields in _records(path, delim, header, dialect, strays):
            if start in wanted:
                found[start] = delim.join(fields)
                if len(found) == len(wanted):
                    break
        return [(line, found.get(line, "")) for line in lines]

    return locate


def _unknown_key(text: str, known: list[str]) -> str:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return ""
    return next((k for k in obj if k not in known), "")


def _csv_lines(
    path: Path,
    delim: str,
    columns: list[str],
    header: bool,
    parse_rows: list[tuple[object, ...]],
    survivors: int,
    dialect: TextDialect | None = None,
    layout: Layout | None = None,
    strays: Collection[int] | dict[int, str] = (),
) -> tuple[Callable[[list[int]], list[int]], list[_RejectRow]]:
    """Line numbers of a CSV file's rows: (ordinals of returned rows -> lines, parse rejects).

    ``survivors`` rows came back from DuckDB (numbered 1.. in file order) and ``parse_rows`` could
    not be split. When every record is one physical line, lines follow from the counts; otherwise
    (blank lines, quoted line breaks) Python's ``csv`` module walks the file. A parse reject
    names a member only when its text splits into the file's columns (see
    :func:`_member_of_text`) and ``layout`` has a member field. The ``strays`` lines (stray
    quotes, DuckDB read them as blank) are rejects too, with their text when it is given.
    """
    member_field = layout.member if layout is not None else None
    quote = (dialect or TextDialect()).quote

    def member_of(text: str) -> int | None:
        if member_field is None or member_field.source not in columns:
            return None
        return _member_of_text(text, delim, quote, columns, member_field.source)

    header_lines = 1 if header else 0
    texts = strays if isinstance(strays, dict) else dict.fromkeys(strays, "")
    stray_rejects = _stray_rejects(texts, delim, quote, columns, member_of)
    lines, lone_cr = _line_stats(path)
    if not lone_cr and lines == survivors + len(parse_rows) + len(strays) + header_lines:
        # One record per physical line: DuckDB's reject lines are physical lines, and a
        # surviving row's line is its ordinal plus the header plus the rejected lines before.
        bad_lines = sorted([int(str(r[0])) for r in parse_rows] + list(strays))

        def by_count(ords: list[int]) -> list[int]:
            return [_nth_good_line(o, header_lines, bad_lines) for o in ords]

        return by_count, _parse_rejects(parse_rows, member_of) + stray_rejects
    starts_ok: list[int] = []
    starts_bad: list[int] = []
    for start, ok in _scan_records(path, delim, header, len(columns), dialect, strays):
        (starts_ok if ok else starts_bad).append(start)
    if len(starts_ok) != survivors or len(starts_bad) != len(parse_rows):
        # Should not happen; keep DuckDB's record numbers rather than lose the rows.
        starts_bad = [int(str(r[0])) for r in parse_rows]
        starts_ok = list(range(header_lines + 1, header_lines + 1 + survivors))

    def by_scan(ords: list[int]) -> list[int]:
        return [starts_ok[o - 1] for o in ords]

    return by_scan, _parse_rejects(parse_rows, member_of, starts_bad) + stray_rejects


def _nth_good_line(n: int, header_lines: int, bad_lines: list[int]) -> int:
    """Physical line of the ``n``-th well-formed row when ``bad_lines`` (sorted) were rejected."""
    line = header_lines + n
    while True:
        skipped = bisect.bisect_right(bad_lines, line)
        candidate = header_lines + n + skipped
        if candidate == line:
            return line
        line = candidate


def _parse_reason(error_types: str | None) -> str:
    text = (error_types or "").lower()
    if "too many" in text:
        return "too many fields"
    if "missing" in text:
        return "too few fields"
    if "encoding" in text:
        return "not valid UTF-8"
    if "unquoted" in text or "state" in text:
        return "malformed quoting"
    if "line size" in text:
        return "line too long"
    return text or "malformed row"


def _rejects_arrow(rejects: list[_RejectRow]) -> pa.Table:
    cols: list[tuple[object, ...]] = (
        list(zip(*rejects, strict=True)) if rejects else [(), (), (), (), ()]
    )
    return pa.table(
        [pa.array(col, f.type) for col, f in zip(cols, REJECTS_SCHEMA, strict=True)],
        schema=REJECTS_SCHEMA,
    )


#: A whole number as an id field holds it (as :func:`_parse` reads a text ``Kind.ID``).
_WHOLE_ID = re.compile(r"[ \t]*([+-]?[0-9]{1,19})(?:[.]0+)?[ \t]*")


def _member_of_text(
    text: str, delim: str, quote: str, columns: Sequence[str], member: str
) -> int | None:
    """The member id a malformed delimited row names, or ``None`` when it cannot be read.

    Only a row that splits into exactly the file's columns is read (a row rejected for its
    encoding, say): in a row with a field too many or too few, nothing tells which field is the
    member's, and attributing a row to the wrong member would hand one member's data to another.
    """
    if quote:
        fields = next(csv.reader([text], delimiter=delim, quotechar=quote, strict=False), [])
    else:
        fields = text.split(delim)
    if len(fields) != len(columns):
        return None
    match = _WHOLE_ID.fullmatch(fields[list(columns).index(member)])
    if match is None:
        return None
    value = int(match.group(1))
    return value if -(2**63) <= value < 2**63 else None


def _parse_rejects(
    parse_rows: list[tuple[object, ...]],
    member_of: Callable[[str], int | None],
    lines: list[int] | None = None,
) -> list[_RejectRow]:
    """Rejects of rows DuckDB could not split, at DuckDB's lines (or at ``lines``)."""
    at = lines if lines is not None else [int(str(r[0])) for r in parse_rows]
    out: list[_RejectRow] = []
    for line, r in zip(at, parse_rows, strict=True):
        text = str(r[3] or "")
        reason = _parse_reason(None if r[2] is None else str(r[2]))
        out.append((line, str(r[1] or ""), reason, text, member_of(text)))
    return out


class LineEnds(NamedTuple):
    """How the lines of a file end (counts of each kind, quoted line breaks included)."""

    lines: int  #: physical lines: LF ends one (CRLF included); a last line without one counts
    crlf: int
    lone_lf: int
    lone_cr: int

    @property
    def mixed(self) -> bool:
        """Whether CRLF and lone LF both end lines (a file edited on two systems): DuckDB's CSV
        reader takes one kind of line end per file and refuses such a file as a whole."""
        return self.crlf > 0 and self.lone_lf > 0


def line_ends(path: Path) -> LineEnds:
    """Count the line ends of a file (bytes only, one pass)."""
    lines = cr = crlf = 0
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            lines += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (last.endswith(b"\r") and chunk.startswith(b"\n"))
            last = chunk
    lf = lines
    if last and not last.endswith(b"\n"):
        lines += 1
    return LineEnds(lines, crlf, lf - crlf, cr - crlf)


def _line_stats(path: Path) -> tuple[int, bool]:
    """(physical lines, whether a carriage return ends a line alone) of a file.

    A lone CR would be a line break to DuckDB's CSV reader but not here, so line numbers cannot
    then be read off counts.
    """
    ends = line_ends(path)
    return ends.lines, ends.lone_cr > 0


def _write_lf(
    path: Path,
    target: Path,
    quote: str,
    *,
    delimiter: str = ",",
    width: int = 0,
    encoding: str = "utf-8",
) -> None:
    """Copy a delimited file to ``target`` with every CRLF outside quoted fields made LF.

    The quote state is followed by the parity of quote characters (a doubled quote inside a
    quoted field flips it twice), so a quoted value keeps its own line breaks as written. A
    quote that opens a field and does not close on its line, when the next line is a whole row
    of ``width`` fields by itself, is a stray quote (:func:`whole_row`, the rule the reader
    rejects that line by) and carries no quote state to the lines after it; ``width`` 0 follows
    the parity alone. Physical lines stay where they were: a CRLF and an LF each end one line.
    """
    mark = quote.encode("utf-8") if quote else b""

    def lf(line: bytes) -> bytes:
        return line[:-2] + b"\n" if line.endswith(b"\r\n") else line

    def is_row(line: bytes) -> bool:
        text = line.decode(encoding, "surrogateescape").rstrip("\r\n")
        return width > 0 and whole_row(text, width, delimiter, quote)

    inside = False
    with path.open("rb") as src, target.open("wb") as dst:
        if not mark:
            for line in src:
                dst.write(lf(line))
            return
        pending: bytes | None = None  # a line whose quote opens and does not close on it
        for line in src:
            if pending is not None:
                if is_row(line):  # the quote was stray: its line ends outside quotes
                    dst.write(lf(pending))
                    inside = False
                else:
                    dst.write(pending)
                    inside = True
                pending = None
            odd = line.count(mark) % 2 == 1
            if not inside and odd:
                pending = line
                continue
            inside = inside != odd
            dst.write(line if inside else lf(line))
        if pending is not None:
            dst.write(pending)


def _has_cr(path: Path) -> bool:
    """Whether the file holds a carriage return at all (one ``memchr`` scan: most files have
    LF line ends only, and then nothing else need be counted)."""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            if b"\r" in chunk:
                return True
    return False


@contextmanager
def consistent_line_ends(
    path: Path, quote: str = '"', *, delimiter: str = ",", width: int = 0, encoding: str = "utf-8"
) -> Iterator[Path]:
    """``path`` itself, or (while the context lasts) a copy whose lines all end with LF when
    ``path`` mixes CRLF and lone LF (see :attr:`LineEnds.mixed`; Python's ``csv`` module reads
    either, DuckDB's reader one kind per file). Line numbers are the same in both. ``width``
    (fields of a row) lets a stray quote (:func:`whole_row`) be told from a quoted line break."""
    if not _has_cr(path) or not line_ends(path).mixed:
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="bingewise-lines-"))
    try:
        copy = folder / path.name
        with timed("line ends to LF"):
            _write_lf(path, copy, quote, delimiter=delimiter, width=width, encoding=encoding)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drop_quietly(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop a temporary table if it exists (not at all if the transaction already failed)."""
    with suppress(duckdb.Error):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Events


def members_select(
    relation: str, member: str, options: ReadOptions, *, described: bool = False
) -> str:
    """SELECT of one members row per ``member`` id of ``relation``: with ``described``, a
    household, profile and country of theirs (the events columns of those names), else NULL;
    the ``--tz`` time zone; no signup date."""

    def known(column: str, sql_type: str) -> str:
        return f"any_value({q(column)})" if described else f"CAST(NULL AS {sql_type})"

    tz = lit(options.tz) if options.tz else "NULL"
    return (
        f"SELECT {q(member)} AS {q(Members.member_id)}, "
        f"{known(Events.household_id, 'BIGINT')} AS {q(Members.household_id)}, "
        f"{known(Events.profile, 'VARCHAR')} AS {q(Members.profile)}, "
        f"{known(Events.country, 'VARCHAR')} AS {q(Members.country)}, "
        f"CAST({tz} AS VARCHAR) AS {q(Members.time_zone)}, "
        f"CAST(NULL AS DATE) AS {q(Members.signup_date)} "
        f"FROM {relation} GROUP BY {q(member)}"
    )


class _EventsMixin(TabularReader):
    layout = EVENTS_LAYOUT
    mappable = True

    def members_sql(self, relation: str, options: ReadOptions) -> str | None:
        """SELECT of the members seen in ``relation`` (events): one row per member id, with a
        household, profile and country of theirs and the ``--tz`` time zone."""
        return members_select(relation, Events.member_id, options, described=True)


class EventsCsv(_EventsMixin):
    """Generic events as CSV (``,``, ``;``, tab or ``|``), header naming the columns."""

    name = "events-csv"
    container = "csv"


class EventsParquet(_EventsMixin):
    """Generic events as Parquet (typed or text columns)."""

    name = "events-parquet"
    container = "parquet"


class EventsJsonl(_EventsMixin):
    """Generic events as JSON Lines: one object per line."""

    name = "events-jsonl"
    container = "jsonl"
