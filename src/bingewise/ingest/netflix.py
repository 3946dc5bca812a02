"""Netflix personal-data exports: ``ViewingActivity.csv`` and ``NetflixViewingHistory.csv``.

Two readers (see :mod:`bingewise.ingest.base` for the contract):

:class:`NetflixViewingActivity` (format ``netflix-activity``)
    The detailed export (account → *Download your personal information*, folder
    ``CONTENT_INTERACTION``). One row is one playback segment of one profile. Accepted: the CSV
    itself, a folder holding it (searched recursively, ``CONTENT_INTERACTION/`` preferred) or the
    export ZIP (the member file is found inside; a truncated or corrupt archive is an
    :class:`IngestError`).

:class:`NetflixViewingHistory` (format ``netflix-history``)
    The two-column ``Title,Date`` download of the viewing-activity page of one profile.

Reading, for both
-----------------
- Columns are found by header name (trimmed, case-insensitive) in any order, quoted or not,
  separated by commas, semicolons or tabs (the delimiter under which the header names the most
  known columns); extra columns are ignored; missing *optional* columns read as empty.
- Text: :attr:`ReadOptions.encoding` when given; else the byte-order mark's (UTF-8, UTF-16,
  UTF-32); else UTF-8; else Windows-1252, which :attr:`Parsed.note` says (what a spreadsheet's
  "CSV" is on a Western-language Windows). Bytes none of these decode are an
  :class:`IngestError` naming the line.
  A missing required column (activity: Profile Name, Start Time, Duration, Title; history: Title,
  Date) is an :class:`IngestError` naming line 1 and the column.
- Rows whose every field is empty (spreadsheet filler) are not data rows and are not counted.
  Every other row is either used or rejected with its *physical* line (header = line 1; a quoted
  field spanning lines counts all its lines), the field at fault and the reason. A quote that
  opens a field and does not close on its line (a hand edit) would swallow the rows after it
  into one field: when the next line is a whole, well-formed row by itself, that line alone is
  rejected ("unbalanced quote") and reading goes on from the next.
- Times: ``Start Time`` is UTC; a start (or a history date) after tomorrow is a reject (an
  export holds only past viewing). Accepted shapes: ``YYYY-MM-DD HH:MM:SS`` (also ``T``, fractions
  and a trailing ``Z``), and spreadsheet shapes ``7/28/2022 4:22``, ``7/28/2022 4:22:10``,
  ``28.07.2022 04:22``, with optional ``AM``/``PM`` (missing seconds are 0). Durations and
  bookmarks are ``H:MM:SS`` (fractions of a second dropped).
- Day/month order of dates written with the year last (``12/31/17``, ``31/12/2017``) is inferred
  from the whole file: a date that reads only one way (a component > 12) decides, and all such
  dates must agree (otherwise :class:`IngestError` naming two disagreeing lines). When no date
  decides (and it matters, i.e. some day differs from its month), the reader raises
  :class:`IngestError` asking for ``--date-order`` (:attr:`ReadOptions.date_order`: ``MDY``,
  ``DMY`` or ``YMD``), which, when given, is used for every such date. A four-digit first
  component is always year-month-day. Two-digit years are 20YY (Netflix streams since 2007).

Households and members
----------------------
A profile is a member of a household. ``household_id = stable_id("netflix-household", label)``
and ``member_id = stable_id("netflix-member", label, profile)``, where the *label* is
:attr:`ReadOptions.household` when given, else derived from the export's own content so that the
same file always gives the same ids and different people's exports do not collide:

- activity: ``"netflix-activity"``, the minute of the earliest valid segment, that segment's
  profile name and its title (case-folded, see :func:`~bingewise.ingest.titles.title_key`). An
  account's history is kept in full, so a later export of the same account has the same earliest
  segment and gets the same household; a spreadsheet re-save (seconds dropped) does too. Two
  accounts collide only if their very first segments share profile name, title and minute.
- history: ``"netflix-history"``, the earliest date and the title watched on it (the smallest by
  :func:`~bingewise.ingest.titles.title_key` when several).

An activity export and a history download of the same account therefore get *different*
households unless both are read with the same ``--household``; pass it to merge them.

Warehouse rows
--------------
- events: one per valid row; ``supplemental`` holds the Supplemental Video Type (``HOOK``,
  ``TRAILER``, ``TEASER_TRAILER``, ``RECAP``, ``PROMOTIONAL``...; upper-cased; NULL for main
  content); ``country`` is the ISO code of ``US (United States)`` (a code ISO 3166 does not
  have, or a name it cannot match, rejects the row); ``device`` is kept as given. A profile name
  longer than the registry holds (200 characters) rejects the row too.
  The event key is :func:`bingewise.ingest.generic.event_key` over member, title, the start
  *to the minute* and seconds: a spreadsheet re-save that dropped the seconds of every start
  holds the same rows as the original (its household is the same too, below), so ingesting
  both, in either order, stores each segment once (the first file's row is kept). Two segments
  of one title by one profile starting in the same minute with the same duration to the second
  are one row (counted as a duplicate in the file's summary).
- catalog: one row per distinct title (``title_id = stable_id("title", title_key(title))``), parsed
  by :func:`~bingewise.ingest.titles.parse_title`; episodes carry ``series_id =
  stable_id("series", title_key(series))``, season, season title, episode number and title.
  ``runtime_seconds`` is NULL: the export does not give it (a duration is what was watched).
  Supplemental videos get catalog rows too (their events are flagged, not their titles).
- members: one per profile with events; ``country`` is the profile's most frequent country (ties:
  the alphabetically first), ``time_zone`` is :attr:`ReadOptions.tz` when given, else
  :func:`bingewise.geo.default_time_zone` of that country.

History rows have a date and no time and no duration. Decision: ``start_utc`` is **midnight of
that date in the member's time zone, expressed in UTC** and ``seconds`` is **0**, which
analytics must read as *duration unknown* (a real segment never lasts 0 seconds in a Netflix
export's main content). The member's time zone is :attr:`ReadOptions.tz`, else ``UTC`` (the file
names no country), so by default ``start_utc`` is simply midnight UTC of the date, and a local-day
computation in the member's own zone gives back exactly the date Netflix printed. The page lists
a title once per day; two rows with the same title and date share one event key (the second is a
duplicate).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar
from zoneinfo import ZoneInfo

import pyarrow as pa

from bingewise.console import progress
from bingewise.geo import country_code, default_time_zone, is_time_zone
from bingewise.ids import stable_id
from bingewise.ingest.base import IngestError, Parsed, ReadOptions, Reject, rejects_table
from bingewise.ingest.generic import event_key, unbalanced_quote, whole_row
from bingewise.ingest.titles import parse_title, series_id, split_segments, title_id, title_key
from bingewise.registry.members import MAX_CHARS
from bingewise.schema import Catalog, Events, Members, NetflixFiles

__all__ = [
    "DATE_ORDERS",
    "HOUSEHOLD_NS",
    "MEMBER_NS",
    "DateOrderConflict",
    "NetflixViewingActivity",
    "NetflixViewingHistory",
    "Stamp",
    "infer_date_order",
    "parse_hms",
    "parse_stamp",
]

log = logging.getLogger(__name__)

HOUSEHOLD_NS = "netflix-household"
MEMBER_NS = "netflix-member"
DATE_ORDERS = ("MDY", "DMY", "YMD")
#: Largest archive member read (bytes, uncompressed): a guard against ZIP bombs.
MAX_MEMBER_BYTES = 1 << 30
#: Rows from which reading shows a progress bar.
PROGRESS_ROWS = 50_000
_ACTIVITY_LABEL = "netflix-activity"
_HISTORY_LABEL = "netflix-history"
#: the longest profile name a member can have (what the registry holds)
_PROFILE_CHARS = MAX_CHARS[Members.profile]


# ---------------------------------------------------------------------------------------------
# Times, dates and durations

_STAMP_RE = re.compile(
    r"(?P<a>[0-9]{1,4})(?P<sep>[/.\-])(?P<b>[0-9]{1,2})(?P=sep)(?P<c>[0-9]{1,4})"
    r"(?:(?:[ T]|,\s*)(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?:Z|UTC|\+00:?00)?"
)
_HMS_RE = re.compile(r"(?P<h>[0-9]{1,6}):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9])(?:[.,][0-9]+)?")


@dataclass(frozen=True, slots=True)
class Stamp:
    """A date (and maybe a time of day) as written, before the day/month order is known."""

    a: str  #: first date component as written
    b: str
    c: str
    time: tuple[int, int, int] | None  #: hour (0-23), minute, second; None: no time given

    @property
    def fixed(self) -> bool:
        """Whether the order is known from the shape (four-digit first component: Y-M-D)."""
        return len(self.a) == 4

    def date(self, order: str) -> dt.date:
        """The calendar date read in ``order`` (``MDY``, ``DMY``, ``YMD``); ``ValueError``."""
        if self.fixed:
            order = "YMD"
        parts = dict(zip(order, (self.a, self.b, self.c), strict=True))
        year = parts["Y"]
        if len(year) == 2:
            full = 2000 + int(year)
        elif len(year) == 4:
            full = int(year)
        else:
            raise ValueError(f"year {year!r} is neither 2 nor 4 digits")
        return dt.date(full, int(parts["M"]), int(parts["D"]))

    def orders(self) -> set[str]:
        """The orders (of ``MDY``, ``DMY``) in which this date is a real calendar date."""
        valid = set()
        for order in ("MDY", "DMY"):
            try:
                self.date(order)
            except ValueError:
                continue
            valid.add(order)
        return valid

    @property
    def order_matters(self) -> bool:
        """Whether MDY and DMY give different dates (false for ``1/1/2020``, ``2020-...``)."""
        return not self.fixed and int(self.a) != int(self.b)


def parse_stamp(text: str) -> Stamp:
    """Split a date or timestamp into its components; ``ValueError`` naming what is wrong.

    >>> parse_stamp("7/28/2022 4:22 PM").time
    (16, 22, 0)
    """
    m = _STAMP_RE.fullmatch(text.strip())
    if not m:
        raise ValueError("not a date (expected YYYY-MM-DD HH:MM:SS or M/D/YYYY H:MM)")
    time: tuple[int, int, int] | None = None
    if m["h"] is not None:
        hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
        if m["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"hour {hour} with AM/PM")
            hour = hour % 12 + (12 if m["ampm"][0] in "Pp" else 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError("time of day out of range")
        time = (hour, minute, second)
    return Stamp(m["a"], m["b"], m["c"], time)


#: The longest a segment (Duration) or a position in a title (Bookmark) can be: a day. Netflix
#: asks "Are you still watching?" long before; a longer value is a damaged or hand-edited row.
MAX_HMS_SECONDS = 24 * 3600


def parse_hms(text: str) -> int:
    """Whole seconds of an ``H:MM:SS`` duration or position; ``ValueError`` otherwise (also
    over :data:`MAX_HMS_SECONDS`).

    >>> parse_hms("1:02:03")
    3723
    """
    m = _HMS_RE.fullmatch(text.strip())
    if not m:
        raise ValueError("not a duration (expected H:MM:SS)")
    seconds = int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"])
    if seconds > MAX_HMS_SECONDS:
        raise ValueError("over 24 hours: longer than any segment of one title")
    return seconds


def _not_future(day: dt.date) -> None:
    """``ValueError`` for a date after tomorrow (UTC): an export holds viewing that happened (a
    day of slack for the zones ahead of UTC)."""
    latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if day > latest:
        raise ValueError(f"after today ({day.isoformat()}): an export holds only past viewing")


def infer_date_order(stamps: Iterable[tuple[int, Stamp]]) -> str | None:
    """The day/month order the dates of a file agree on (``MDY``/``DMY``), or ``None``.

    ``stamps`` are ``(line, stamp)`` pairs. A date valid in one order only decides; ``None``
    means no date decides. Raises :class:`DateOrderConflict` naming two lines when decisive
    dates disagree.

    >>> infer_date_order([(2, parse_stamp("1/2/2020")), (3, parse_stamp("12/31/2019"))])
    'MDY'
    """
    first: dict[str, int] = {}
    for line, stamp in stamps:
        if stamp.fixed:
            continue
        valid = stamp.orders()
        if len(valid) == 1:
            (order,) = valid
            first.setdefault(order, line)
    if len(first) == 2:
        (o1, l1), (o2, l2) = sorted(first.items(), key=lambda kv: kv[1])
        raise DateOrderConflict(l1, o1, l2, o2)
    return next(iter(first), None)


class DateOrderConflict(ValueError):
    """Two dates of one file that read only in different day/month orders."""

    def __init__(self, line1: int, order1: str, line2: int, order2: str) -> None:
        super().__init__(
            f"dates disagree on day/month order: line {line1} reads only as {order1}, "
            f"line {line2} only as {order2}"
        )
        self.line = line2


def _resolve_order(
    source: str, column: str, stamps: list[tuple[int, Stamp]], options: ReadOptions
) -> str:
    """The day/month order to read this file's dates with (option, else inferred)."""
    if options.date_order is not None:
        order = options.date_order.strip().upper()
        if order not in DATE_ORDERS:
            raise IngestError(
                source, f"--date-order must be one of {', '.join(DATE_ORDERS)}, not {order!r}"
            )
        return order
    try:
        inferred = infer_date_order(stamps)
    except DateOrderConflict as exc:
        raise IngestError(
            source, f"{exc}; fix the file or pass --date-order", line=exc.line, field=column
        ) from None
    if inferred is not None:
        return inferred
    # dates that read both ways, differently (a date valid in no order is a bad row anyway)
    undecided = next((n for n, s in stamps if s.order_matters and len(s.orders()) == 2), None)
    if undecided is not None:
        raise IngestError(
            source,
            "cannot tell day from month: no date in the file has a day above 12; pass "
            "--date-order MDY, DMY or YMD",
            line=undecided,
            field=column,
        )
    return "MDY"  # nothing depends on it


# ---------------------------------------------------------------------------------------------
# Finding and decoding the CSV


@dataclass(frozen=True, slots=True)
class _Source:
    name: str  #: file name for messages ("export.zip/CONTENT_INTERACTION/ViewingActivity.csv")
    data: bytes


def _is_named(name: str, wanted: str) -> bool:
    base = PurePosixPath(name).name.casefold()
    return base == wanted.casefold() or base.endswith("__" + wanted.casefold())


def _pick(container: Path, names: Sequence[str], wanted: str) -> str:
    """The one member called ``wanted`` in a folder or archive (CONTENT_INTERACTION first)."""
    found = sorted(n for n in names if _is_named(n, wanted))
    preferred = [n for n in found if NetflixFiles.activity_folder in PurePosixPath(n).parts]
    if len(preferred) == 1:
        return preferred[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise IngestError(container, f"holds no {wanted}")
    raise IngestError(container, f"holds several {wanted} files: {', '.join(found)}")


def _load(path: Path, wanted: str) -> _Source:
    """The CSV's bytes from a file, a folder holding it, or a ZIP archive holding it."""
    if path.is_dir():
        files = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
        member = _pick(path, files, wanted)
        return _Source(f"{path}/{member}", (path / member).read_bytes())
    if not path.is_file():
        raise IngestError(path, "no such file or folder")
    with path.open("rb") as fh:
        head = fh.read(4)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _Source(str(path), path.read_bytes())
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist() if not i.is_dir()}
            member = _pick(path, list(infos), wanted)
            if infos[member].file_size > MAX_MEMBER_BYTES:
                raise IngestError(f"{path}/{member}", "archive member too large to read")
            return _Source(f"{path}/{member}", zf.read(member))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise IngestError(path, f"truncated or corrupt ZIP archive ({exc})") from None


#: Byte-order marks and their codecs (UTF-32's little-endian mark starts like UTF-16's: first).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: What a spreadsheet saves "CSV" in on a Western-language Windows when it is not UTF-8.
LEGACY_ENCODING = "cp1252"
#: Delimiters a re-saved export may use: comma, semicolon (locales with a decimal comma), tab.
DELIMITERS = (",", ";", "\t")


def _bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark names (UTF-8, UTF-16 or UTF-32), or ``None``."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _line_at(data: bytes, codec: str, exc: UnicodeDecodeError) -> int:
    """The 1-based line holding the bytes ``exc`` could not decode."""
    return codecs.decode(data[: exc.start], codec, errors="replace").count("\n") + 1


def _decode(src: _Source, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and a note on how it was decoded ("" when nothing needs saying).

    ``encoding`` (``--encoding``) decides when given; else a byte-order mark (UTF-8, UTF-16 as a
    spreadsheet's "Unicode text", UTF-32) decides; else UTF-8; else, when the file holds more
    well-formed UTF-8 characters than broken bytes, UTF-8 with the broken bytes replaced by
    U+FFFD; else Windows-1252 (a spreadsheet's "CSV" on a Western-language Windows). The note
    says which of the last two it was. Binary or undecodable bytes are an :class:`IngestError`
    naming the line.
    """
    if not src.data.strip():
        raise IngestError(src.name, "empty file")
    codec = encoding or _bom_codec(src.data)
    if codec is None and b"\x00" in src.data[:65536]:
        raise IngestError(src.name, "binary file, not a CSV")
    if codec is not None:
        try:
            text = codecs.decode(src.data, codec)
        except UnicodeDecodeError as exc:
            line = _line_at(src.data, codec, exc)
            raise IngestError(src.name, f"not {codec} text", line=line) from None
        return text.removeprefix("\ufeff"), ""
    try:
        return codecs.decode(src.data, "utf-8"), ""
    except UnicodeDecodeError as exc:
        first = _line_at(src.data, "utf-8", exc)
    damaged = codecs.decode(src.data, "utf-8", errors="replace")
    bad = damaged.count("\ufffd")
    beyond_ascii = len(damaged) - len(damaged.encode("ascii", "ignore"))  # in C, not per char
    if beyond_ascii - bad > bad:
        # More well-formed UTF-8 characters than broken bytes: UTF-8 with damage, not another
        # encoding (reading it as Windows-1252 would garble every accented letter).
        note = (
            f"not valid UTF-8 at line {first} ({bad} broken byte sequence(s), shown as \ufffd); "
            "the rest read as UTF-8"
        )
        return damaged, note
    try:
        text = codecs.decode(src.data, LEGACY_ENCODING)
    except UnicodeDecodeError as exc:
        line = _line_at(src.data, LEGACY_ENCODING, exc)
        what = "neither UTF-8 nor Windows-1252 text: pass --encoding"
        raise IngestError(src.name, what, line=line) from None
    note = (
        f"not UTF-8 (line {first}): read as Windows-1252, as a spreadsheet saves CSV; if titles "
        "look wrong, read it again with --encoding"
    )
    return text, note


@dataclass(frozen=True, slots=True)
class _Row:
    line: int  #: first physical line of the row
    values: dict[str, str]  #: canonical column (NetflixFiles name) -> value, trimmed
    raw: str  #: the row's physical lines


@dataclass(slots=True)
class _Table:
    rows: list[_Row]
    rejects: list[Reject]
    rows_read: int
    note: str = ""  #: how the file was decoded, when that needs saying


def _records(
    lines: list[str], source: str, delimiter: str = ",", after: int = 0
) -> Iterator[tuple[int, int, list[str]]]:
    """``(first line, last line, fields)`` of every CSV record after line ``after``."""
    reader = csv.reader(lines[after:], delimiter=delimiter)
    end = after
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise IngestError(source, f"unreadable CSV ({exc})", line=end + 1) from None
        start, end = end + 1, after + reader.line_num
        yield start, end, values


def _delimiter(line: str, known: Sequence[str]) -> str:
    """The delimiter under which a header line names the most known columns (comma on a tie)."""
    wanted = {k.casefold() for k in known}

    def named(delim: str) -> int:
        try:
            names = next(csv.reader([line], delimiter=delim), [])
        except csv.Error:
            return 0
        return len(wanted & {n.strip().casefold() for n in names})

    return max(DELIMITERS, key=named)


def _read_csv(
    src: _Source, known: Sequence[str], required: Sequence[str], encoding: str | None = None
) -> _Table:
    """Rows of a CSV by header name; short or long rows become rejects."""
    text, note = _decode(src, encoding)
    lines = io.StringIO(text, newline="").readlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = _delimiter(first, known)
    records = _records(lines, src.name, delimiter)
    header: list[str] | None = None
    for _, _, values in records:
        if any(v.strip() for v in values):
            header = values
            break
    if header is None:
        raise IngestError(src.name, "empty file (no header)")
    canonical = {k.casefold(): k for k in known}
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        key = canonical.get(name.strip().casefold())
        if key is not None and key not in index:
            index[key] = i
    for col in required:
        if col not in index:
            raise IngestError(src.name, "required column missing", line=1, field=col)
    width = len(header)
    table = _Table([], [], 0, note)
    while True:
        stray = 0  # the line of a stray quote: read on after it
        for start, end, values in records:
            if not any(v.strip() for v in values):
                continue
            table.rows_read += 1
            if end > start and whole_row(lines[start], width, delimiter):
                # A quote that opens a field and never closes on its line swallows the rows
                # after it into one field. When the next line is a whole row by itself, the
                # quote was stray: this line alone is rejected, the next ones are read.
                raw_line = lines[start - 1].rstrip("\r\n")
                table.rejects.append(Reject(start, "", unbalanced_quote(), raw_line))
                stray = start
                break
            raw = "".join(lines[start - 1 : end]).rstrip("\r\n")
            extra = values[width:]
            if len(values) < width or any(v.strip() for v in extra):
                reason = f"{len(values)} fields where the header has {width}"
                table.rejects.append(Reject(start, "", reason, raw))
                continue
            table.rows.append(_Row(start, {k: values[i].strip() for k, i in index.items()}, raw))
        if not stray:
            return table
        records = _records(lines, src.name, delimiter, after=stray)


def _time_zone(source: str, tz: str | None) -> str | None:
    if tz is not None and not is_time_zone(tz):
        raise IngestError(source, f"unknown time zone {tz!r} (an IANA name is expected)")
    return tz


def _sha_label(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _sniff_header(head: bytes, required: Sequence[str]) -> bool:
    """Whether the first line names every required column (any encoding :func:`_decode` reads,
    comma, semicolon or tab)."""
    codec = _bom_codec(head)
    if not head or (codec is None and b"\x00" in head):
        return False
    decoder = codecs.getincrementaldecoder(codec or "utf-8")(errors="replace")
    text = decoder.decode(head).removeprefix("\ufeff")  # the names are ASCII in any encoding
    line = text.splitlines()[0] if text else ""
    names = {r.casefold() for r in required}
    for delim in DELIMITERS:
        try:
            found = {n.strip().casefold() for n in next(csv.reader([line], delimiter=delim), [])}
        except csv.Error:
            continue
        if names <= found:
            return True
    return False


def _sniff_container(path: Path, head: bytes, wanted: str) -> bool:
    """Whether a folder or ZIP archive holds ``wanted``."""
    if path.is_dir():
        return any(_is_named(p.name, wanted) for p in path.rglob("*") if p.is_file())
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                return any(_is_named(n, wanted) for n in zf.namelist())
        except (zipfile.BadZipFile, OSError, EOFError):
            return False
    return False


# ---------------------------------------------------------------------------------------------
# Tables


@dataclass(frozen=True, slots=True)
class _Event:
    profile: str | None
    title: str
    start: dt.datetime
    seconds: int
    bookmark: int | None
    device: str | None
    country: str | None
    supplemental: str | None


def _catalog(titles: Iterable[str]) -> pa.Table:
    """One catalog row per distinct title (first spelling seen wins), parsed."""
    rows: dict[int, str] = {}
    for title in titles:
        rows.setdefault(title_id(title), title)
    cols: dict[str, list[object]] = {name: [] for name in Catalog.arrow.names}
    for tid, title in rows.items():
        parts = parse_title(title)
        cols[Catalog.title_id].append(tid)
        cols[Catalog.title].append(": ".join(split_segments(title)))
        cols[Catalog.kind].append(parts.kind)
        cols[Catalog.series_id].append(series_id(parts.series) if parts.series else None)
        cols[Catalog.series_title].append(parts.series)
        cols[Catalog.season].append(parts.season)
        cols[Catalog.season_title].append(parts.season_title)
        cols[Catalog.episode].append(parts.episode)
        cols[Catalog.episode_title].append(parts.episode_title)
        cols[Catalog.runtime_seconds].append(None)
        cols[Catalog.genres].append("")
        cols[Catalog.release_date].append(None)
        cols[Catalog.maturity].append(None)
    return pa.table(cols, schema=Catalog.arrow)


def _tables(
    events: list[_Event], label: str, tz: str | None, source: str
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Events, catalog and members tables of valid rows."""
    household = stable_id(HOUSEHOLD_NS, label)
    members: dict[str | None, int] = {}
    countries: dict[str | None, Counter[str]] = {}
    cols: dict[str, list[object]] = {name: [] for name in Events.arrow.names}
    for e in events:
        member = members.get(e.profile)
        if member is None:
            member = members[e.profile] = stable_id(MEMBER_NS, label, e.profile or "")
            countries[e.profile] = Counter()
        if e.country:
            countries[e.profile][e.country] += 1
        tid = title_id(e.title)
        # The start's minute, not its second: a spreadsheet re-save drops the seconds, and its
        # rows must be the same rows (re-ingesting it, or the original after it, adds nothing).
        minute = e.start.replace(second=0, microsecond=0)
        cols[Events.event_key].append(event_key(member, tid, minute, e.seconds))
        cols[Events.member_id].append(member)
        cols[Events.household_id].append(household)
        cols[Events.profile].append(e.profile)
        cols[Events.title_id].append(tid)
        cols[Events.start_utc].append(e.start)
        cols[Events.seconds].append(e.seconds)
        cols[Events.bookmark_seconds].append(e.bookmark)
        cols[Events.device].append(e.device)
        cols[Events.country].append(e.country)
        cols[Events.supplemental].append(e.supplemental)
        cols[Events.source].append(source)
    mcols: dict[str, list[object]] = {name: [] for name in Members.arrow.names}
    for profile, member in members.items():
        ranked = sorted(countries[profile].items(), key=lambda kv: (-kv[1], kv[0]))
        country = ranked[0][0] if ranked else None
        mcols[Members.member_id].append(member)
        mcols[Members.household_id].append(household)
        mcols[Members.profile].append(profile)
        mcols[Members.country].append(country)
        mcols[Members.time_zone].append(tz or default_time_zone(country))
        mcols[Members.signup_date].append(None)
    return (
        pa.table(cols, schema=Events.arrow),
        _catalog(e.title for e in events),
        pa.table(mcols, schema=Members.arrow),
    )


def _stamps(rows: list[_Row], column: str) -> list[tuple[int, Stamp]]:
    out = []
    for row in rows:
        try:
            out.append((row.line, parse_stamp(row.values.get(column, ""))))
        except ValueError:
            continue
    return out


def _rows_with_progress(rows: list[_Row], what: str) -> Iterator[_Row]:
    if len(rows) < PROGRESS_ROWS:
        yield from rows
        return
    with progress() as bar:
        task = bar.add_task(what, total=len(rows))
        for i, row in enumerate(rows, start=1):
            yield row
            if i % 10_000 == 0 or i == len(rows):
                bar.update(task, completed=i)


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _required(row: _Row, column: str) -> str:
    value = row.values.get(column, "")
    if not value:
        raise _Bad(column, "empty")
    return value


# ---------------------------------------------------------------------------------------------
# Readers


def _parsed(
    fmt: str,
    table: _Table,
    events: list[_Event],
    label: str,
    tz: str | None,
    source: str,
    *,
    one_profile: bool = False,
) -> Parsed:
    """What a reader made of an export: its tables, its rejects by line, how it was decoded.

    The rejects carry a ``member_id`` column (the member of the profile a row names; every row
    of a history is its one profile's; NULL when the row names none), so that the pipeline drops
    an erased member's rejected rows as it drops their valid ones.
    """
    ev, cat, mem = _tables(events, label, tz, source)
    rejects = sorted(table.rejects, key=lambda r: r.line)
    profiles = ["" if one_profile else r.profile for r in rejects]
    members = [None if p is None else stable_id(MEMBER_NS, label, p) for p in profiles]
    rejected = rejects_table(rejects, members)
    return Parsed(fmt, table.rows_read, ev, cat, mem, rejects=rejected, note=table.note)


class NetflixViewingActivity:
    """``ViewingActivity.csv`` of a Netflix export (the CSV, its folder or the export ZIP)."""

    name: ClassVar[str] = "netflix-activity"
    known: ClassVar[tuple[str, ...]] = (
        NetflixFiles.profile,
        NetflixFiles.start,
        NetflixFiles.duration,
        NetflixFiles.attributes,
        NetflixFiles.title,
        NetflixFiles.supplemental,
        NetflixFiles.device,
        NetflixFiles.bookmark,
        NetflixFiles.latest_bookmark,
        NetflixFiles.country,
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        """A CSV whose header names Profile Name, Start Time, Duration and Title (any order),
        or a folder or ZIP archive holding ``ViewingActivity.csv``."""
        return _sniff_header(head, NetflixFiles.activity_required) or _sniff_container(
            path, head, NetflixFiles.activity_csv
        )

    def read(self, path: Path, options: ReadOptions) -> Parsed:
        """Parse the export's viewing activity (see the module docstring)."""
        src = _load(path, NetflixFiles.activity_csv)
        tz = _time_zone(src.name, options.tz)
        table = _read_csv(src, self.known, NetflixFiles.activity_required, options.encoding)
        stamps = _stamps(table.rows, NetflixFiles.start)
        order = _resolve_order(src.name, NetflixFiles.start, stamps, options)
        events: list[_Event] = []
        for row in _rows_with_progress(table.rows, "netflix activity"):
            try:
                events.append(self._event(row, order))
            except _Bad as bad:
                profile = row.values.get(NetflixFiles.profile) or None
                table.rejects.append(Reject(row.line, bad.field, bad.reason, row.raw, profile))
        label = options.household or self._label(events, src.data)
        parsed = _parsed(self.name, table, events, label, tz, _sha_label(src.data))
        log.info(
            "netflix activity: %d rows, %d events, %d rejected",
            table.rows_read,
            len(events),
            len(table.rejects),
        )
        return parsed

    @staticmethod
    def _label(events: list[_Event], data: bytes) -> str:
        """Household label derived from the earliest segment (module docstring)."""
        if not events:
            return f"{_ACTIVITY_LABEL}:sha256:{_sha_label(data)}"
        first = min(
            (e.start.replace(second=0, microsecond=0), e.profile or "", title_key(e.title))
            for e in events
        )
        return "\x1f".join((_ACTIVITY_LABEL, first[0].strftime("%Y-%m-%d %H:%M"), *first[1:]))

    @staticmethod
    def _event(row: _Row, order: str) -> _Event:
        profile = _required(row, NetflixFiles.profile)
        if len(profile) > _PROFILE_CHARS:
            raise _Bad(NetflixFiles.profile, f"longer than {_PROFILE_CHARS} characters")
        start_text = _required(row, NetflixFiles.start)
        try:
            stamp = parse_stamp(start_text)
            if stamp.time is None:
                raise ValueError("no time of day")
            start = dt.datetime.combine(stamp.date(order), dt.time(*stamp.time))
            _not_future(start.date())
        except ValueError as exc:
            raise _Bad(NetflixFiles.start, str(exc)) from None
        try:
            seconds = parse_hms(_required(row, NetflixFiles.duration))
        except ValueError as exc:
            raise _Bad(NetflixFiles.duration, str(exc)) from None
        title = _required(row, NetflixFiles.title)
        bookmark_text = row.values.get(NetflixFiles.bookmark, "")
        try:
            bookmark = parse_hms(bookmark_text) if bookmark_text else None
        except ValueError as exc:
            raise _Bad(NetflixFiles.bookmark, str(exc)) from None
        country_text = row.values.get(NetflixFiles.country, "")
        country = country_code(country_text)
        if country_text and country is None:
            raise _Bad(NetflixFiles.country, "unknown country (expected like 'US (United States)')")
        supplemental = row.values.get(NetflixFiles.supplemental, "").upper() or None
        device = row.values.get(NetflixFiles.device, "") or None
        return _Event(profile, title, start, seconds, bookmark, device, country, supplemental)


class NetflixViewingHistory:
    """``NetflixViewingHistory.csv``: ``Title,Date`` of one profile (dates in its locale)."""

    name: ClassVar[str] = "netflix-history"
    known: ClassVar[tuple[str, ...]] = (NetflixFiles.title, NetflixFiles.date)

    def sniff(self, path: Path, head: bytes) -> bool:
        """A CSV whose header names Title and Date, or a folder or ZIP archive holding one."""
        return _sniff_header(head, NetflixFiles.history_required) or _sniff_container(
            path, head, NetflixFiles.history_csv
        )

    def read(self, path: Path, options: ReadOptions) -> Parsed:
        """Parse the viewing history (dates only; see the module docstring for the times)."""
        src = _load(path, NetflixFiles.history_csv)
        tz = _time_zone(src.name, options.tz) or "UTC"
        zone = ZoneInfo(tz)
        table = _read_csv(src, self.known, NetflixFiles.history_required, options.encoding)
        stamps = _stamps(table.rows, NetflixFiles.date)
        order = _resolve_order(src.name, NetflixFiles.date, stamps, options)
        dated: list[tuple[dt.date, str]] = []
        for row in _rows_with_progress(table.rows, "netflix history"):
            try:
                title = _required(row, NetflixFiles.title)
                try:
                    day = parse_stamp(_required(row, NetflixFiles.date)).date(order)
                    _not_future(day)
                except ValueError as exc:
                    raise _Bad(NetflixFiles.date, str(exc)) from None
            except _Bad as bad:
                table.rejects.append(Reject(row.line, bad.field, bad.reason, row.raw))
                continue
            dated.append((day, title))
        if options.household:
            label = options.household
        elif dated:
            day, key = min((d, title_key(t)) for d, t in dated)
            label = "\x1f".join((_HISTORY_LABEL, day.isoformat(), key))
        else:
            label = f"{_HISTORY_LABEL}:sha256:{_sha_label(src.data)}"
        events = [
            _Event(None, title, _local_midnight_utc(day, zone), 0, None, None, None, None)
            for day, title in dated
        ]
        log.info(
            "netflix history: %d rows, %d events, %d rejected",
            table.rows_read,
            len(events),
            len(table.rejects),
        )
        return _parsed(self.name, table, events, label, tz, _sha_label(src.data), one_profile=True)


def _local_midnight_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight of ``day`` in ``zone`` as naive UTC (midnight UTC when the zone is UTC)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)
