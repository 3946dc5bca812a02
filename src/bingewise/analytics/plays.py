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
The fact set and recaps pass the catalog through
:func:`~bingewise.analytics.runtimes.with_estimated_runtimes`, which gives episodes their
series' length as seen in viewing, so only films (and series too little watched) stay NULL.

*Local time*: the member's zone comes from the warehouse ``members`` table (``time_zone``, a copy
of the registry), else the zone of the member's ``country`` (:mod:`bingewise.geo`), else
``default_tz``. ``override_tz`` forces one zone for everyone (``--tz`` on a personal export).
Unknown zone names fall back the same way, with a warning naming the zone.
"""

from __future__ import annotations

import logging

import ibis
import ibis.expr.types as ir

from bingewise.analytics.zones import (
    WEEK_SECONDS,
    ZoneOffsets,
    offsets_table,
    week_base,
    zone_codes,
    zone_of_country,
)
from bingewise.geo import is_time_zone
from bingewise.schema import Catalog, Events, Members, Plays, Sessions

__all__ = ["DEFAULT_RESUME_GAP_MINUTES", "SESSION_PLAY_COLUMNS", "plays", "session_plays"]

log = logging.getLogger(__name__)

#: Segments of the same title closer than this (minutes, end to start) are one play.
DEFAULT_RESUME_GAP_MINUTES = 60.0
#: Gap (minutes) from the end of the previous plays to a play's start that opens a new session.
DEFAULT_SESSION_GAP_MINUTES = 30.0

#: Columns of :func:`session_plays`: what sessions, binges, seasons, streaks and the per-member,
#: per-country and platform facts read (the catalog's episode and runtime, the progress, the
#: zone name and the segment count are left out: narrower rows are cheaper to store and scan).
SESSION_PLAY_COLUMNS: tuple[str, ...] = (
    Plays.member_id,
    Plays.title_id,
    Plays.series_id,
    Plays.show_id,
    Plays.season,
    Plays.kind,
    Plays.start_utc,
    Plays.end_utc,
    Plays.seconds,
    Plays.finished,
    Plays.local_start,
    Plays.local_date,
    Sessions.session_no,
)

_S = "_bw_start_s"
_E = "_bw_end_s"
_NEW = "_bw_new"
_NEWS = "_bw_new_session"
_ONE = "_bw_single"
_RN = "_bw_rn"
_BOOK = "_bw_bookmark"
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


def _merge_segments(events: ir.Table, resume_gap_s: int, session_gap_s: int | None) -> ir.Table:
    """Segments merged into plays (one row per play), with ``session_no`` when asked.

    One sorted pass over the member's main-content segments, ordered by (start, title, end),
    computes for each segment: the previous segment's title and end (``lag``), the next
    segment's title and start (``lead``), its row number and, for sessions, the latest end
    of all earlier segments. A segment *opens a play* unless it continues the previous one
    (same title, at most the resume gap after it ended); it *opens a session* if it opens a
    play that starts at least the session gap after every earlier segment ended (earlier
    segments are exactly those of earlier plays, so this is the sessions rule on plays).

    The running counts (play number, session number) are not running sums, which engines
    compute with a segment tree: a count of flagged rows up to a row is, for a flagged row,
    its row number among flagged rows, and for an unflagged row its row number minus its row
    number among unflagged rows. That is one ``row_number`` over (member, flag).

    Most plays are one segment (95% on the synthetic platform): those pass straight through;
    only the segments of multi-segment plays are grouped.
    """
    m, t, start = Events.member_id, Events.title_id, Events.start_utc
    supp = events[Events.supplemental]
    ev = events.filter(supp.isnull() | (supp.strip() == ""))
    start_s = ev[start].epoch_seconds().cast("int64")
    ev = ev.select(
        m,
        t,
        start,
        **{
            Plays.seconds: ev[Events.seconds].cast("int64"),
            _BOOK: ev[Events.bookmark_seconds].cast("int64"),
            _S: start_s,
            _E: start_s + ev[Events.seconds].cast("int64"),
        },
    )
    order = [ev[start], ev[t], ev[_E]]
    w = ibis.window(group_by=ev[m], order_by=order)
    prev_title = ev[t].lag().over(w)
    next_title = ev[t].lead().over(w)
    new_play = (
        prev_title.isnull() | (ev[t] != prev_title) | (ev[_S] - ev[_E].lag().over(w) > resume_gap_s)
    ).fill_null(True)
    next_joins = (next_title == ev[t]) & (ev[_S].lead().over(w) - ev[_E] <= resume_gap_s)
    flags: dict[str, ir.Value] = {
        _RN: ibis.row_number().over(w),
        _NEW: new_play,
        _ONE: new_play & ~next_joins.fill_null(False),
    }
    if session_gap_s is not None:
        before = ibis.window(group_by=ev[m], order_by=order, rows=(None, -1))
        latest_end = ev[_E].max().over(before)
        flags[_NEWS] = new_play & (latest_end.isnull() | (ev[_S] - latest_end >= session_gap_s))
    ev = ev.mutate(**flags)
    if session_gap_s is not None:
        by_flag = ibis.window(group_by=[ev[m], ev[_NEWS]], order_by=ev[_RN])
        r = ibis.row_number().over(by_flag)
        ev = ev.mutate(
            **{Sessions.session_no: ibis.ifelse(ev[_NEWS], r + 1, ev[_RN] - r).cast("int64")}
        )
    extra = [Sessions.session_no] if session_gap_s is not None else []

    single = ev.filter(ev[_ONE]).select(
        m,
        t,
        start,
        _S,
        _E,
        Plays.seconds,
        _BOOK,
        *extra,
        **{Plays.segments: ibis.literal(1, "int64")},
    )
    multi = ev.filter(~ev[_ONE])
    upto = ibis.window(group_by=multi[m], order_by=multi[_RN], rows=(None, 0))
    multi = multi.mutate(
        _bw_play=ibis.ifelse(multi[_NEW], multi[_RN], ibis.null("int64")).max().over(upto)
    )
    aggs: dict[str, ir.Value] = {
        t: multi[t].max(),
        start: multi[start].min(),
        _S: multi[_S].min(),
        _E: multi[_E].max(),
        Plays.seconds: multi[Plays.seconds].sum(),
        _BOOK: multi[_BOOK].max(),
    }
    if session_gap_s is not None:
        aggs[Sessions.session_no] = multi[Sessions.session_no].min()
    aggs[Plays.segments] = multi.count()
    merged = multi.group_by([m, "_bw_play"]).aggregate(**aggs).drop("_bw_play")
    return single.union(merged.select(*single.columns))


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
    return _build(
        events,
        catalog,
        members,
        resume_gap_minutes=resume_gap_minutes,
        finished_share=finished_share,
        default_tz=default_tz,
        override_tz=override_tz,
    )


def session_plays(
    events: ir.Table,
    catalog: ir.Table,
    members: ir.Table,
    *,
    gap_minutes: float = DEFAULT_SESSION_GAP_MINUTES,
    resume_gap_minutes: float = DEFAULT_RESUME_GAP_MINUTES,
    finished_share: float = 0.85,
    default_tz: str = "UTC",
    override_tz: str | None = None,
) -> ir.Table:
    """:func:`plays` with ``session_no`` (as :func:`~bingewise.analytics.sessionize` gives it),
    narrowed to :data:`SESSION_PLAY_COLUMNS` (what the fact tables read).

    Sessions come out of the same sorted pass over the segments that merges them into plays,
    instead of a second pass over the plays: a play opens a session when it starts
    ``gap_minutes`` or more after the latest end of the member's earlier plays.
    """
    if gap_minutes < 0:
        raise ValueError(f"gap_minutes must be ≥ 0, got {gap_minutes}")
    full = _build(
        events,
        catalog,
        members,
        resume_gap_minutes=resume_gap_minutes,
        finished_share=finished_share,
        default_tz=default_tz,
        override_tz=override_tz,
        session_gap_minutes=gap_minutes,
    )
    return full.select(*SESSION_PLAY_COLUMNS)


def _build(
    events: ir.Table,
    catalog: ir.Table,
    members: ir.Table,
    *,
    resume_gap_minutes: float = DEFAULT_RESUME_GAP_MINUTES,
    finished_share: float = 0.85,
    default_tz: str = "UTC",
    override_tz: str | None = None,
    session_gap_minutes: float | None = None,
) -> ir.Table:
    """Plays, with ``session_no`` after the Plays columns when ``session_gap_minutes`` is set."""
    if not 0 < finished_share <= 1:
        raise ValueError(f"finished_share must be in (0, 1], got {finished_share}")
    if resume_gap_minutes < 0:
        raise ValueError(f"resume_gap_minutes must be ≥ 0, got {resume_gap_minutes}")
    for name, zone in (("default_tz", default_tz), ("override_tz", override_tz)):
        if zone is not None and not is_time_zone(zone):
            raise ValueError(f"{name}: unknown IANA time zone {zone!r}")

    session_gap_s = None if session_gap_minutes is None else round(session_gap_minutes * 60)
    merged = _merge_segments(events, round(resume_gap_minutes * 60), session_gap_s)

    cat = catalog.select(
        _c_title=catalog[Catalog.title_id],
        _c_series=catalog[Catalog.series_id],
        _c_season=catalog[Catalog.season],
        _c_episode=catalog[Catalog.episode],
        _c_kind=catalog[Catalog.kind],
        _c_runtime=catalog[Catalog.runtime_seconds],
    )
    p = merged.left_join(cat, merged[Plays.title_id] == cat["_c_title"])

    # The member's zone: own zone if valid, else the country's, else the default. The big
    # joins use the zone's integer code; the name is only looked up for the output column.
    lo, hi = _year_range(events)
    if override_tz is None:
        zones = _member_zones(members)
        valid = sorted(z for z in zones if is_time_zone(z))
        for bad in sorted(set(zones) - set(valid)):
            log.warning("unknown time zone %r in members table; using country or default", bad)
        countries = zone_of_country()
        m = members.select(
            _m_id=members[Members.member_id],
            _m_zone=members[Members.time_zone],
            _m_country=members[Members.country],
        )
        m = m.left_join(countries, m["_m_country"].upper() == countries["tz_country"])
        own = m["_m_zone"]
        own_ok = own.isin(valid) if valid else ibis.literal(False)
        zone_name = ibis.ifelse(own_ok, own, ibis.null(str)).coalesce(
            m["tz_country_zone"], ibis.literal(default_tz)
        )
        m = m.select("_m_id", **{_Z: zone_name})
        used = {default_tz, *m.select(_Z).distinct().to_pyarrow().column(0).to_pylist()}
        codes = zone_codes(used)
        code_of = m[_Z].substitute(codes, else_=codes[default_tz]).cast("int32")
        m = m.select("_m_id", _bw_code=code_of)
        p = p.left_join(m, p[Plays.member_id] == m["_m_id"])
        code = p["_bw_code"].coalesce(ibis.literal(codes[default_tz], "int32"))
    else:
        used = {override_tz}
        codes = zone_codes(used)
        code = ibis.literal(codes[override_tz], "int32")
    names = {c: z for z, c in codes.items()}

    offs = offsets_table(used, lo, hi)
    week = (p[_S] - week_base(lo)) // WEEK_SECONDS
    p = p.mutate(_bw_code=code, _bw_week=week.cast("int64"))
    p = p.inner_join(
        offs,
        [
            p["_bw_code"] == offs[ZoneOffsets.code],
            p["_bw_week"] == offs[ZoneOffsets.week],
            p[_S] >= offs[ZoneOffsets.valid_from],
            p[_S] < offs[ZoneOffsets.valid_to],
        ],
    )

    runtime = p["_c_runtime"]
    progress = p[_BOOK].coalesce(p[Plays.seconds])
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
            Plays.end_utc: p[Plays.start_utc] + (p[_E] - p[_S]).as_interval("s"),
            Plays.seconds: p[Plays.seconds],
            Plays.runtime_seconds: runtime.cast("int32"),
            Plays.progress_seconds: progress,
            Plays.finished: finished,
            Plays.time_zone: p["_bw_code"].substitute(names, else_=ibis.null("string")),
            Plays.local_start: local_start,
            Plays.local_date: local_start.date(),
            Plays.segments: p[Plays.segments],
            **(
                {} if session_gap_minutes is None else {Sessions.session_no: p[Sessions.session_no]}
            ),
        }
    )
