"""UTC offsets of IANA time zones as a small table, so local days are an engine-portable join.

Ibis has no per-row time-zone conversion (DuckDB's ``timezone(zone, ts)`` and Spark's
``from_utc_timestamp`` are spelled differently), so local times are computed as
``start_utc + offset`` where the offset comes from :func:`offsets_table`: one row per zone, UTC
calendar year and stretch of constant offset. It is built with :mod:`zoneinfo` (the tzdata
package), joined on ``(zone, UTC year)`` and filtered to the stretch that holds the instant. The
same expression runs on DuckDB and Spark, and DST changes are exact to the second.

>>> rows = offset_rows(["America/New_York"], 2021, 2021)
>>> [(r[2].isoformat(), r[4] // 3600) for r in rows]  # stretch start (UTC), offset in hours
[('2021-01-01T00:00:00', -5), ('2021-03-14T07:00:00', -4), ('2021-11-07T06:00:00', -5)]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import pyarrow as pa

from bingewise.geo import COUNTRIES

__all__ = ["ZoneOffsets", "is_valid_zone", "offset_rows", "offsets_table", "zone_of_country"]

log = logging.getLogger(__name__)

_WEEK = dt.timedelta(days=7)
_SECOND = dt.timedelta(seconds=1)


class ZoneOffsets:
    """Column names of the offsets table (internal to analytics, never stored)."""

    zone = "tz_zone"  #: IANA name
    year = "tz_year"  #: UTC calendar year of the stretch
    valid_from = "tz_from_utc"  #: TIMESTAMP, first UTC instant of the stretch (inclusive)
    valid_to = "tz_to_utc"  #: TIMESTAMP, end of the stretch (exclusive)
    offset_seconds = "tz_offset_seconds"  #: INTEGER, local = UTC + offset

    arrow = pa.schema(
        [
            (zone, pa.string()),
            (year, pa.int32()),
            (valid_from, pa.timestamp("us")),
            (valid_to, pa.timestamp("us")),
            (offset_seconds, pa.int32()),
        ]
    )


@lru_cache(maxsize=512)
def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone known to tzdata."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


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


def offsets_table(zones: Iterable[str], first_year: int, last_year: int) -> ibis.Table:
    """The offsets of ``zones`` over UTC years ``first_year..last_year`` as an Ibis memtable."""
    rows = offset_rows(zones, first_year, last_year)
    table = pa.table(
        {
            f.name: pa.array([row[i] for row in rows], f.type)
            for i, f in enumerate(ZoneOffsets.arrow)
        },
        schema=ZoneOffsets.arrow,
    )
    return ibis.memtable(table)


def zone_of_country() -> ibis.Table:
    """``(country, zone)`` for every country in :data:`bingewise.geo.COUNTRIES`."""
    return ibis.memtable(
        pa.table(
            {
                "tz_country": pa.array([c.code for c in COUNTRIES], pa.string()),
                "tz_country_zone": pa.array([c.time_zone for c in COUNTRIES], pa.string()),
            }
        )
    )
