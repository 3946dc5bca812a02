"""UTC offsets of IANA time zones as a small table, so local days are an engine-portable join.

Ibis has no per-row time-zone conversion (DuckDB's ``timezone(zone, ts)`` and Spark's
``from_utc_timestamp`` are spelled differently), so local times are computed as
``start_utc + offset`` where the offset comes from :func:`offsets_table`: one row per zone, UTC
week and stretch of constant offset within that week (a week holding a DST change has two). It
is built with :mod:`zoneinfo` (the tzdata package), joined on ``(zone, week)`` (an equality
join, nearly one match per row) and filtered to the stretch that holds the instant. The same
expression runs on DuckDB and Spark, and DST changes are exact to the second.

>>> rows = offset_rows(["America/New_York"], 2021, 2021)
>>> [(r[2].isoformat(), r[4] // 3600) for r in rows]  # stretch start (UTC), offset in hours
[('2021-01-01T00:00:00', -5), ('2021-03-14T07:00:00', -4), ('2021-11-07T06:00:00', -5)]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa

from bingewise.geo import country_zones

__all__ = [
    "WEEK_SECONDS",
    "ZoneOffsets",
    "offset_rows",
    "offsets_table",
    "week_base",
    "zone_codes",
    "zone_of_country",
]

log = logging.getLogger(__name__)

_WEEK = dt.timedelta(days=7)
_SECOND = dt.timedelta(seconds=1)


class ZoneOffsets:
    """Column names of the offsets table (internal to analytics, never stored)."""

    zone = "tz_zone"  #: IANA name
    code = "tz_code"  #: INTEGER, position of the zone in the sorted zone names (a cheap join key)
    week = "tz_week"  #: BIGINT, whole weeks (604,800 s) from 1 January of the first year, UTC
    valid_from = "tz_from_s"  #: BIGINT, first UTC second of the stretch (inclusive, Unix time)
    valid_to = "tz_to_s"  #: BIGINT, end of the stretch (exclusive, Unix time)
    offset_seconds = "tz_offset_seconds"  #: INTEGER, local = UTC + offset

    arrow = pa.schema(
        [
            (zone, pa.string()),
            (code, pa.int32()),
            (week, pa.int64()),
            (valid_from, pa.int64()),
            (valid_to, pa.int64()),
            (offset_seconds, pa.int32()),
        ]
    )


#: Seconds in the weeks of :attr:`ZoneOffsets.week`.
WEEK_SECONDS = 7 * 86400


@lru_cache(maxsize=512)
def _offset(zone: ZoneInfo, utc: dt.datetime) -> int:
    """Offset of ``zone`` at the naive UTC instant ``utc``, in whole seconds."""
    local = utc.replace(tzinfo=dt.UTC).astimezone(zone)
    off = local.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


@lru_cache(maxsize=4096)
def _zone_year(name: str, year: int) -> tuple[tuple[dt.datetime, dt.datetime, int], ...]:
    """Stretches of constant offset within one UTC year (found weekly, refined by bisection)."""
    zone = ZoneInfo(name)
    start = dt.datetime(year, 1, 1)
    end = dt.datetime(year + 1, 1, 1)
    stretches: list[tuple[dt.datetime, dt.datetime, int]] = []
    cur_start, cur_off = start, _offset(zone, start)
    probe = start
    while probe < end:
        nxt = min(probe + _WEEK, end)
        off = _offset(zone, nxt) if nxt < end else cur_off
        if off != cur_off:
            lo, hi = probe, nxt  # offset(lo) == cur_off, offset(hi) != cur_off
            while hi - lo > _SECOND:
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    mid = lo + _SECOND
                if _offset(zone, mid) == cur_off:
                    lo = mid
                else:
                    hi = mid
            stretches.append((cur_start, hi, cur_off))
            cur_start, cur_off = hi, _offset(zone, hi)
            probe = hi
            continue
        probe = nxt
    stretches.append((cur_start, end, cur_off))
    return tuple(stretches)


def offset_rows(
    zones: Iterable[str], first_year: int, last_year: int
) -> list[tuple[str, int, dt.datetime, dt.datetime, int]]:
    """Rows ``(zone, year, from_utc, to_utc, offset_seconds)`` for the zones and UTC years."""
    rows: list[tuple[str, int, dt.datetime, dt.datetime, int]] = []
    for name in sorted(set(zones)):
        for year in range(first_year, last_year + 1):
            rows.extend((name, year, a, b, off) for a, b, off in _zone_year(name, year))
    return rows


def week_base(first_year: int) -> int:
    """Unix time of 1 January ``first_year`` 00:00 UTC: week 0 of :func:`offsets_table`."""
    return int(dt.datetime(first_year, 1, 1, tzinfo=dt.UTC).timestamp())


def offsets_table(zones: Iterable[str], first_year: int, last_year: int) -> ibis.Table:
    """The offsets of ``zones`` over UTC years ``first_year..last_year`` as an Ibis memtable.

    One row per zone, week (from :func:`week_base`) and stretch of constant offset in it:
    join on ``(zone, (unix seconds − base) // WEEK_SECONDS)`` and keep the row whose
    ``[valid_from, valid_to)`` holds the instant. ``code`` numbers the zones in sorted order
    (see :func:`zone_codes`), so large tables can join on an integer instead of a name.
    """
    base = week_base(first_year)
    epoch = dt.datetime(1970, 1, 1)
    codes = zone_codes(zones)
    cols: list[list[object]] = [[] for _ in ZoneOffsets.arrow]
    for name, _, start, end, off in offset_rows(codes, first_year, last_year):
        a = int((start - epoch).total_seconds())
        b = int((end - epoch).total_seconds())
        for week in range((a - base) // WEEK_SECONDS, (b - 1 - base) // WEEK_SECONDS + 1):
            for col, value in zip(cols, (name, codes[name], week, a, b, off), strict=True):
                col.append(value)
    table = pa.table(
        {f.name: pa.array(col, f.type) for f, col in zip(ZoneOffsets.arrow, cols, strict=True)},
        schema=ZoneOffsets.arrow,
    )
    return ibis.memtable(table)


def zone_codes(zones: Iterable[str]) -> dict[str, int]:
    """Zone name → its position among the distinct names in sorted order (``ZoneOffsets.code``)."""
    return {name: i for i, name in enumerate(sorted(set(zones)))}


def zone_of_country() -> ibis.Table:
    """``(country, zone)`` for every country (:func:`bingewise.geo.country_zones`)."""
    zones = country_zones()
    return ibis.memtable(
        pa.table(
            {
                "tz_country": pa.array(list(zones), pa.string()),
                "tz_country_zone": pa.array(list(zones.values()), pa.string()),
            }
        )
    )
