"""Sessions and binges.

A *session* is a member's run of plays where each play starts less than ``gap_minutes`` after
the latest end of the plays before it (overlapping plays, say on two devices, stay in one
session). A *binge* is a session holding at least ``min_episodes`` distinct episodes of one
series (Netflix's 2013 definition counted 2–6 episodes in one sitting); a session with episodes
of two series can hold two binges.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from bingewise.analytics.plays import DEFAULT_SESSION_GAP_MINUTES
from bingewise.schema import Binges, Catalog, Plays, Sessions

__all__ = ["DEFAULT_SESSION_GAP_MINUTES", "binges", "sessionize", "sessions"]


def sessionize(plays: ir.Table, gap_minutes: float = DEFAULT_SESSION_GAP_MINUTES) -> ir.Table:
    """``plays`` with a ``session_no`` column (1-based per member, in order of start).

    A play opens a new session when it starts ``gap_minutes`` or more after the latest
    ``end_utc`` of the member's earlier plays. Plays that already carry ``session_no`` are
    returned unchanged.
    """
    if Sessions.session_no in plays.columns:
        return plays
    if gap_minutes < 0:
        raise ValueError(f"gap_minutes must be ≥ 0, got {gap_minutes}")
    gap_s = round(gap_minutes * 60)
    order = [plays[Plays.start_utc], plays[Plays.title_id], plays[Plays.end_utc]]
    before = ibis.window(group_by=plays[Plays.member_id], order_by=order, rows=(None, -1))
    latest_end = plays[Plays.end_utc].epoch_seconds().max().over(before)
    start_s = plays[Plays.start_utc].epoch_seconds()
    new = (latest_end.isnull() | (start_s - latest_end >= gap_s)).cast("int64")
    p = plays.mutate(_bw_new=new)
    order = [p[Plays.start_utc], p[Plays.title_id], p[Plays.end_utc]]
    upto = ibis.window(group_by=p[Plays.member_id], order_by=order, rows=(None, 0))
    return p.mutate(**{Sessions.session_no: p["_bw_new"].sum().over(upto)}).drop("_bw_new")


def sessions(plays: ir.Table, gap_minutes: float = DEFAULT_SESSION_GAP_MINUTES) -> ir.Table:
    """One row per session with the columns of :class:`bingewise.schema.Sessions`."""
    p = sessionize(plays, gap_minutes)
    s = p.group_by([Sessions.member_id, Sessions.session_no]).aggregate(
        **{
            Sessions.start_utc: p[Plays.start_utc].min(),
            Sessions.end_utc: p[Plays.end_utc].max(),
            # The local time of the first play: on a night the clocks go back, a later play can
            # start at an earlier local time (01:10 EST after 01:30 EDT).
            Sessions.local_start: p[Plays.local_start].argmin(p[Plays.start_utc]),
            Sessions.plays: p[Plays.title_id].count(),
            # A title missing from the catalog has no kind: not an episode (0, never NULL).
            Sessions.episodes: (p[Plays.kind] == Catalog.EPISODE)
            .fill_null(False)
            .cast("int64")
            .sum(),
            Sessions.seconds: p[Plays.seconds].sum(),
        }
    )
    # A play's local day is the date of its local start, so the session's day is the date of
    # its first play's local start: one aggregate less over the plays.
    return s.select(
        Sessions.member_id,
        Sessions.session_no,
        Sessions.start_utc,
        Sessions.end_utc,
        Sessions.local_start,
        **{Sessions.local_date: s[Sessions.local_start].date()},
        **{c: s[c] for c in (Sessions.plays, Sessions.episodes, Sessions.seconds)},
    )


def binges(
    plays: ir.Table,
    gap_minutes: float = DEFAULT_SESSION_GAP_MINUTES,
    *,
    min_episodes: int = 2,
) -> ir.Table:
    """Binges: (member, session, series) with ≥ ``min_episodes`` distinct episodes.

    Columns of :class:`bingewise.schema.Binges`; ``episodes`` counts distinct episode titles,
    ``seconds`` all seconds watched of that series in the session.
    """
    p = sessionize(plays, gap_minutes)
    p = p.filter((p[Plays.kind] == Catalog.EPISODE) & p[Plays.series_id].notnull())
    keys = [Binges.member_id, Binges.session_no, Binges.series_id]
    # A distinct count per group is the costly part (the engine keeps a set per group). Two
    # titles are distinct exactly when the lowest and highest title ids differ, so one plain
    # grouping finds every session-series with ≥ 2 distinct episodes and counts its plays; the
    # distinct count is then the plays minus the repeats (an episode played twice in one
    # session), found by a grouping per title that keeps only repeated ones (rare).
    t = p[Plays.title_id]
    b = p.group_by(keys).aggregate(
        **{
            Binges.start_utc: p[Plays.start_utc].min(),
            Binges.end_utc: p[Plays.end_utc].max(),
            Binges.local_date: p[Plays.local_date].min(),
            Binges.seconds: p[Plays.seconds].sum(),
            "_bw_n": t.count(),
            "_bw_lo": t.min(),
            "_bw_hi": t.max(),
        }
    )
    cand = b["_bw_n"] >= min_episodes
    if min_episodes >= 2:
        cand = cand & (b["_bw_lo"] != b["_bw_hi"])
    b = b.filter(cand)
    rep = p.filter(t.notnull()).group_by([*keys, Plays.title_id]).aggregate(_bw_c=t.count())
    rep = rep.filter(rep["_bw_c"] > 1)
    rep = rep.group_by(
        _bw_m=rep[Binges.member_id], _bw_s=rep[Binges.session_no], _bw_r=rep[Binges.series_id]
    ).aggregate(_bw_extra=(rep["_bw_c"] - 1).sum())
    j = b.left_join(
        rep,
        [
            b[Binges.member_id] == rep["_bw_m"],
            b[Binges.session_no] == rep["_bw_s"],
            b[Binges.series_id] == rep["_bw_r"],
        ],
    )
    episodes = (j["_bw_n"] - j["_bw_extra"].fill_null(0)).cast("int64")
    j = j.select(
        **{
            Binges.member_id: j[Binges.member_id],
            Binges.session_no: j[Binges.session_no],
            Binges.series_id: j[Binges.series_id],
            Binges.start_utc: j[Binges.start_utc],
            Binges.end_utc: j[Binges.end_utc],
            Binges.local_date: j[Binges.local_date],
            Binges.episodes: episodes,
            Binges.seconds: j[Binges.seconds],
        }
    )
    return j.filter(j[Binges.episodes] >= min_episodes)
