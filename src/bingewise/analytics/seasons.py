"""Finished seasons, season binges and binge races.

A member *finishes* a season when every episode the catalog lists for it (same ``series_id`` and
``season``) has a finished play; plays whose ``finished`` is NULL (runtime unknown) count as
finished, since nothing better is known. The season is finished at the end of the play that
finished its last episode (each episode's first finished play counts). ``days`` runs from the
member's first play of any episode of the season to that moment.

- *season binge*: a finished season with ``days ≤ within_days`` (7 by default);
- *binge race*: a finished season finished within ``within_hours`` (24) of its release, taken as
  00:00 UTC on the earliest ``release_date`` of its episodes.

For a period (``finished_in``), the plays passed must reach back before it: a season is the
period's when the play that finished it falls on one of its local days, and its start is the
member's first play of the season, however long before the period that was (a season started
two weeks before and finished on the period's first day is no season binge).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from bingewise.schema import Catalog, Plays, SeasonBinges

__all__ = ["binge_races", "finished_seasons", "season_binges"]


def finished_seasons(
    plays: ir.Table, catalog: ir.Table, *, finished_in: tuple[dt.date, dt.date] | None = None
) -> ir.Table:
    """Every (member, series, season) the member finished, columns of ``SeasonBinges``; with
    ``finished_in`` (first and last local day), only those finished on those days."""
    c = catalog.filter(
        (catalog[Catalog.kind] == Catalog.EPISODE)
        & catalog[Catalog.series_id].notnull()
        & catalog[Catalog.season].notnull()
    )
    sizes = c.group_by(
        _s_series=c[Catalog.series_id], _s_season=c[Catalog.season].cast("int32")
    ).aggregate(
        _s_episodes=c[Catalog.title_id].nunique().cast("int64"),
        _s_release=c[Catalog.release_date].min(),
    )
    p = plays.filter(
        (plays[Plays.kind] == Catalog.EPISODE)
        & plays[Plays.series_id].notnull()
        & plays[Plays.season].notnull()
    )
    keys = [Plays.member_id, Plays.series_id, Plays.season]
    done_flag = p[Plays.finished].fill_null(True)
    # A season can only be finished with at least as many finished plays as it has episodes:
    # one pass over the (member, season) pairs keeps the few candidates, and only their plays
    # are grouped per episode (a member rarely plays an episode twice, so that grouping has
    # about one group per play). The candidates are read once: the start of the season and the
    # finish come from the per-episode grouping, the season's size and release from the
    # (small) catalog grouping.
    started = p.group_by(keys).aggregate(_fin_plays=done_flag.cast("int64").sum())
    cand = started.inner_join(
        sizes,
        [
            started[Plays.series_id] == sizes["_s_series"],
            started[Plays.season] == sizes["_s_season"],
        ],
    )
    cand = cand.filter(cand["_fin_plays"] >= cand["_s_episodes"])
    q = p.semi_join(cand, keys)
    done_end = ibis.ifelse(q[Plays.finished].fill_null(True), q[Plays.end_utc], None)
    per_episode = q.group_by([*keys, Plays.title_id]).aggregate(
        _first=q[Plays.start_utc].min(),
        _done=done_end.min(),
        # the local day of the play that first finished the episode
        _done_day=q[Plays.local_date].argmin(done_end),
    )
    per_season = per_episode.group_by(keys).aggregate(
        _started=per_episode["_first"].min(),
        _n=per_episode["_done"].count(),
        _finished=per_episode["_done"].max(),
        _finished_day=per_episode["_done_day"].argmax(per_episode["_done"]),
    )
    if finished_in is not None:
        day = per_season["_finished_day"]
        per_season = per_season.filter(
            (day >= ibis.literal(finished_in[0])) & (day <= ibis.literal(finished_in[1]))
        )
    s = per_season.inner_join(
        sizes,
        [
            per_season[Plays.series_id] == sizes["_s_series"],
            per_season[Plays.season] == sizes["_s_season"],
        ],
    )
    s = s.filter(s["_n"] >= s["_s_episodes"])
    release_ts = s["_s_release"].cast("timestamp")
    seconds = s["_finished"].epoch_seconds() - s["_started"].epoch_seconds()
    after = s["_finished"].epoch_seconds() - release_ts.epoch_seconds()
    return s.select(
        **{
            SeasonBinges.member_id: s[Plays.member_id],
            SeasonBinges.series_id: s[Plays.series_id],
            SeasonBinges.season: s[Plays.season],
            SeasonBinges.episodes: s["_s_episodes"],
            SeasonBinges.started_utc: s["_started"],
            SeasonBinges.finished_utc: s["_finished"],
            SeasonBinges.days: seconds.cast("float64") / 86400.0,
            SeasonBinges.release_date: s["_s_release"],
            SeasonBinges.hours_after_release: after.cast("float64") / 3600.0,
        }
    )


def season_binges(plays: ir.Table, catalog: ir.Table, *, within_days: float = 7.0) -> ir.Table:
    """Seasons finished within ``within_days`` days of starting them."""
    s = finished_seasons(plays, catalog)
    return s.filter(s[SeasonBinges.days] <= within_days)


def binge_races(plays: ir.Table, catalog: ir.Table, *, within_hours: float = 24.0) -> ir.Table:
    """Seasons finished within ``within_hours`` hours of their release (00:00 UTC)."""
    s = finished_seasons(plays, catalog)
    after = s[SeasonBinges.hours_after_release]
    return s.filter(after.notnull() & (after >= 0) & (after <= within_hours))
