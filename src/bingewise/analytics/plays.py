"""Plays: a member watching one title, resumed segments merged, in the member's local time.

Events are segments as a source records them (UTC). For each member, segments of main content
(``supplemental`` NULL or empty) are ordered by start; a segment starts a new play unless it is
the same title as the member's previous segment and starts at most ``resume_gap_minutes`` after
that segment ended. A play's ``seconds`` is the sum over its segments; its ``end_utc`` is the end
of its last-ending segment.

*Finished*: a play is finished when its progress (the furthest bookmark among its segments, or
the seconds watched when no bookmark is known) reaches ``finished_share`` of the catalog runtime
(85% by default, Tautulli's convention). When the catalog has no runtime (a personal Netflix
export does not know one) ``finished`` is NULL: a bookmark alone cannot tell the end of a title.

*Local time*: the member's zone comes from the warehouse ``members`` table (``time_zone``, a copy
of the registry), else the zone of the member's ``country`` (:mod:`bingewise.geo`), else
``default_tz``. ``override_tz`` forces one zone for everyone (``--tz`` on a personal export).
Unknown zone names fall back the same way, with a warning naming the zone.
"""

from __future__ import annotations

import logging

import ibis
import ibis.expr.types as ir

from bingewise.analytics.zones import ZoneOffsets, is_valid_zone, offsets_table, zone_of_country
from bingewise.schema import Catalog, Events, Members, Plays

__all__ = ["DEFAULT_RESUME_GAP_MINUTES", "plays"]

log = logging.getLogger(__name__)

#: Segments of the same title closer than this (minutes, end to start) are one play.
DEFAULT_RESUME_GAP_MINUTES = 60.0

_S = "_bw_start_s"
_E = "_bw_end_s"
_NEW = "_bw_new"
_NO = "_bw_play_no"
_Z = "_bw_zone"


def _member_zones(members: ir.Table) -> list[str]:
    """Distinct zone names in the members table (one small query)."""
    col = members[Members.time_zone]
    values = members.select(col).filter(col.notnull()).distinct().to_pyarrow()
    return [v for v in values.column(0).to_pylist() if v]


def _year_range(events: ir.Table) -> tuple[int, int]:
    """First and last UTC year of the events (the current year when there are none)."""
    row = events.aggregate(
        lo=events[Events.start_utc].min().year(), hi=events[Events.start_utc].max().year()
    ).to_pyarrow()
    lo, hi = row.column(0)[0].as_py(), row.column(1)[0].as_py()
    if lo is None or hi is None:
        return 2000, 2000
    return int(lo), int(hi)


def plays(
    events: ir.Table,
    catalog: ir.Table,
    members: ir.Table,
    *,
    resume_gap_minutes: float = DEFAULT_RESUME_GAP_MINUTES,
    finished_share: float = 0.85,
    default_tz: str = "UTC",
    override_tz: str | None = None,
) -> ir.Table:
    """Plays of every member, with the columns of :class:`bingewise.schema.Plays` in order.

    Parameters
    ----------
    events, catalog, members
        Warehouse tables (schemas ``Events``, ``Catalog``, ``Members``). Titles missing from the
        catalog keep their plays, with NULL ``kind``/``series_id``/``runtime_seconds``.
    resume_gap_minutes
        Largest gap (minutes, from a segment's end to the next segment's start) that still merges
        two segments of the same title into one play.
    finished_share
        Share of the runtime a play must reach to count as finished (0–1].
    default_tz
        IANA zone for members with neither a zone nor a known country.
    override_tz
        If given, the zone of every member (ignores the members table).

    Runs two small queries eagerly (member zones, UTC year range) to build the offsets table;
    the result is a lazy Ibis expression. Example::

        wh = Warehouse.open()
        p = plays(wh.table("events"), wh.table("catalog"), wh.table("members"))
        p.filter(p.member_id == 42).to_pyarrow()
    """
    if not 0 < finished_share <= 1:
        raise ValueError(f"finished_share must be in (0, 1], got {finished_share}")
    if resume_gap_minutes < 0:
        raise ValueError(f"resume_gap_minutes must be ≥ 0, got {resume_gap_minutes}")
    for name, zone in (("default_tz", default_tz), ("override_tz", override_tz)):
        if zone is not None and not is_valid_zone(zone):
            raise ValueError(f"{name}: unknown IANA time zone {zone!r}")

    gap_s = round(resume_gap_minutes * 60)
    supp = events[Events.supplemental]
    ev = events.filter(supp.isnull() | (supp.strip() == ""))
    start_s = ev[Events.start_utc].epoch_seconds().cast("int64")
    ev = ev.mutate(**{_S: start_s, _E: start_s + ev[Events.seconds].cast("int64")})
    w = ibis.window(
        group_by=ev[Events.member_id], order_by=[ev[Events.start_utc], ev[Events.event_key]]
    )
    prev_title = ev[Events.title_id].lag().over(w)
    prev_end = ev[_E].lag().over(w)
    new = prev_title.isnull() | (ev[Events.title_id] != prev_title) | (ev[_S] - prev_end > gap_s)
    ev = ev.mutate(**{_NEW: new.cast("int64")})
    cum = ibis.window(
        group_by=ev[Events.member_id],
        order_by=[ev[Events.start_utc], ev[Events.event_key]],
        rows=(None, 0),
    )
    ev = ev.mutate(**{_NO: ev[_NEW].sum().over(cum)})
    merged = ev.group_by([Events.member_id, _NO]).aggregate(
        **{
            Plays.title_id: ev[Events.title_id].max(),
            Plays.start_utc: ev[Events.start_utc].min(),
            _E: ev[_E].max(),
            Plays.seconds: ev[Events.seconds].cast("int64").sum(),
            "_bw_bookmark": ev[Events.bookmark_seconds].cast("int64").max(),
            Plays.segments: ev[Events.event_key].count(),
        }
    )

    cat = catalog.select(
        _c_title=catalog[Catalog.title_id],
        _c_series=catalog[Catalog.series_id],
        _c_season=catalog[Catalog.season],
        _c_episode=catalog[Catalog.episode],
        _c_kind=catalog[Catalog.kind],
        _c_runtime=catalog[Catalog.runtime_seconds],
    )
    p = merged.left_join(cat, merged[Plays.title_id] == cat["_c_title"])

    # The member's zone: own zone if valid, else the country's, else the default.
    countries = zone_of_country()
    if override_tz is None:
        zones = _member_zones(members)
        valid = sorted(z for z in zones if is_valid_zone(z))
        for bad in sorted(set(zones) - set(valid)):
            log.warning("unknown time zone %r in members table; using country or default", bad)
        m = members.select(
            _m_id=members[Members.member_id],
            _m_zone=members[Members.time_zone],
            _m_country=members[Members.country],
        )
        m = m.left_join(countries, m["_m_country"].upper() == countries["tz_country"])
        own = m["_m_zone"]
        own_ok = own.isin(valid) if valid else ibis.literal(False)
        m = m.select(
            "_m_id",
            **{
                _Z: ibis.ifelse(own_ok, own, ibis.null(str)).coalesce(
                    m["tz_country_zone"], ibis.literal(default_tz)
                )
            },
        )
        p = p.left_join(m, p[Plays.member_id] == m["_m_id"])
        zone = p[_Z].coalesce(ibis.literal(default_tz))
        all_zones = {*valid, default_tz, *countries.to_pyarrow().column(1).to_pylist()}
    else:
        zone = ibis.literal(override_tz)
        all_zones = {override_tz}
    p = p.mutate(**{_Z: zone, "_bw_year": p[Plays.start_utc].year().cast("int32")})

    lo, hi = _year_range(events)
    offs = offsets_table(all_zones, lo, hi)
    p = p.inner_join(
        offs,
        [
            p[_Z] == offs[ZoneOffsets.zone],
            p["_bw_year"] == offs[ZoneOffsets.year],
            p[Plays.start_utc] >= offs[ZoneOffsets.valid_from],
            p[Plays.start_utc] < offs[ZoneOffsets.valid_to],
        ],
    )

    runtime = p["_c_runtime"]
    progress = p["_bw_bookmark"].coalesce(p[Plays.seconds])
    finished = ibis.ifelse(
        runtime.isnull() | (runtime <= 0),
        ibis.null("boolean"),
        progress.cast("float64") >= runtime.cast("float64") * finished_share,
    )
    local_start = p[Plays.start_utc] + p[ZoneOffsets.offset_seconds].as_interval("s")
    series = p["_c_series"]
    return p.select(
        **{
            Plays.member_id: p[Plays.member_id],
            Plays.title_id: p[Plays.title_id],
            Plays.series_id: series,
            Plays.show_id: series.coalesce(p[Plays.title_id]),
            Plays.season: p["_c_season"].cast("int32"),
            Plays.episode: p["_c_episode"].cast("int32"),
            Plays.kind: p["_c_kind"],
            Plays.start_utc: p[Plays.start_utc],
            Plays.end_utc: p[Plays.start_utc]
            + (p[_E] - p[Plays.start_utc].epoch_seconds().cast("int64")).as_interval("s"),
            Plays.seconds: p[Plays.seconds],
            Plays.runtime_seconds: runtime.cast("int32"),
            Plays.progress_seconds: progress,
            Plays.finished: finished,
            Plays.time_zone: p[_Z],
            Plays.local_start: local_start,
            Plays.local_date: local_start.date(),
            Plays.segments: p[Plays.segments],
        }
    )
