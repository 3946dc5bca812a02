"""Retention: raw viewing events older than a window are deleted, daily aggregates kept.

Raw events say exactly what a member watched, when and on which device; after
``settings.retention_days`` (730 by default) only a per-member daily aggregate stays
(:class:`bingewise.schema.DailyViewing`: segments, seconds, supplemental seconds per member
and local day). Quarantined rows, which carry raw source rows, follow the same window by the
time they were ingested, and go as soon as every stored event of their file is gone. Runs are
idempotent and additive: an old event stored after a run, on a member-day no run summarised, is
aggregated by the next run.

The cutoff is an instant in UTC: events whose ``start_utc`` is strictly before
``now - retention_days`` are old. Every run but a dry run is recorded in
``retention_runs`` (when, its cutoff, how many rows; nothing of any member). Such a run also
removes the Parquet copy of the warehouse a killed ``facts --engine spark`` left under the data
folder (:func:`bingewise.files.sweep_scratch`): it holds old events too.

**A summarised member-day is closed.** Once a (member, local day) has a ``daily_viewing`` row,
ingest does not store an event of that member-day starting before the latest recorded cutoff
(:func:`closed_bound`, :func:`closed_events_sql`): it is counted as a duplicate of what the
aggregate holds. Otherwise the same events ingested again (a re-saved file, a later export
holding the whole history) would be stored and summed a second time by the next run. Whether an
old event was summarised cannot be told from the event itself: that would need its key kept per
event, and event keys are an unkeyed hash of (member, title, start, seconds), so whoever holds
the warehouse could test whether a member watched a title at a given time, the very record
retention deletes. A genuinely late event of a closed day is therefore not stored either (and is
counted as such).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import duckdb

from bingewise.config import get_settings
from bingewise.console import progress
from bingewise.files import SPARK_SCRATCH, sweep_scratch
from bingewise.schema import (
    DailyViewing,
    Events,
    IngestedFiles,
    Members,
    Quarantine,
    RetentionRuns,
)
from bingewise.warehouse import Warehouse

__all__ = ["RetentionReport", "closed_bound", "closed_events_sql", "run_retention"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a retention run deleted (or would delete, in a dry run)."""

    cutoff_utc: dt.datetime  #: naive UTC; older events are removed
    events_deleted: int
    aggregate_rows: int  #: (member, local day) rows written or updated in daily_viewing
    quarantine_deleted: int
    dry_run: bool


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: Largest offset west of UTC of any time zone (Etc/GMT+12, UTC-12): no local day ends later
#: than this after the UTC midnight that ends the same date.
MAX_WEST_OFFSET = dt.timedelta(hours=12)


def _zones_cte() -> str:
    """``zones(mid, tz)``: each member's time zone as the analytics take it (their own when
    DuckDB knows it, else their country's, see :func:`bingewise.geo.country_zones`; the
    others: UTC), so a summarised day is the local day the facts and the export show."""
    from bingewise.geo import country_zones

    m, tz, country = _q(Members.table), _q(Members.time_zone), _q(Members.country)
    pairs = ", ".join(f"('{c}', '{z}')" for c, z in sorted(country_zones().items()))
    return f"""zones AS (
            SELECT m.{_q(Members.member_id)} AS mid,
                   coalesce(
                       any_value(m.{tz}) FILTER (
                           WHERE m.{tz} IN (SELECT name FROM pg_timezone_names())),
                       any_value(c.zone)) AS tz
            FROM {m} m LEFT JOIN (VALUES {pairs}) c(country, zone)
                ON upper(trim(m.{country})) = c.country
            GROUP BY 1
        )"""


def _local_day_sql(event: str, zone: str) -> str:
    """The member's local day of the start of event ``event`` (alias), zone from ``zone``'s tz."""
    start = _q(Events.start_utc)
    return f"(({event}.{start} AT TIME ZONE 'UTC') AT TIME ZONE coalesce({zone}.tz, 'UTC'))::DATE"


def _aggregate_sql() -> str:
    """Per-member local-day aggregate of the old events (parameter: cutoff)."""
    e = _q(Events.table)
    mid, start = _q(Events.member_id), _q(Events.start_utc)
    return f"""
        WITH {_zones_cte()}
        SELECT e.{mid} AS {_q(DailyViewing.member_id)},
               {_local_day_sql("e", "z")} AS {_q(DailyViewing.local_day)},
               count(*)::BIGINT AS {_q(DailyViewing.segments)},
               coalesce(sum(e.{_q(Events.seconds)}), 0)::BIGINT AS {_q(DailyViewing.seconds)},
               coalesce(sum(e.{_q(Events.seconds)})
                   FILTER (WHERE e.{_q(Events.supplemental)} IS NOT NULL), 0)::BIGINT
                   AS {_q(DailyViewing.supplemental_seconds)}
        FROM {e} e LEFT JOIN zones z ON z.mid = e.{mid}
        WHERE e.{start} < ?
        GROUP BY 1, 2
    """


def closed_bound(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The instant (naive UTC) before which an event of a summarised member-day is closed:
    ingest does not store it (see the module's docstring). None when no day is summarised,
    which is the common case and costs one probe of ``daily_viewing``.

    It is the latest cutoff a recorded run used: every event before it was summarised and
    deleted by that run.
    """
    dv, runs = _q(DailyViewing.table), _q(RetentionRuns.table)
    if con.execute(f"SELECT 1 FROM {dv} LIMIT 1").fetchone() is None:
        return None
    row = con.execute(f"SELECT max({_q(RetentionRuns.cutoff_utc)}) FROM {runs}").fetchone()
    if row is not None and row[0] is not None:
        bound: dt.datetime = row[0]
        return bound
    # Aggregates but no recorded run: a warehouse whose runs predate retention_runs, so their
    # cutoffs are unknown. The summarised days stand in for them: the bound is the end of the
    # latest summarised local day in the zone where days end last (UTC-12). Only member-days
    # with an aggregate are ever closed, so a later bound closes no later day; it closes all of
    # the last summarised day, whose late events an unrecorded run may have summed already
    # (a genuinely new event of that day is then not stored, and counted: never summed twice).
    row = con.execute(f"SELECT max({_q(DailyViewing.local_day)}) FROM {dv}").fetchone()
    assert row is not None and row[0] is not None
    day: dt.date = row[0]
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) + MAX_WEST_OFFSET


def closed_events_sql(after: int) -> str:
    """Rowids (column ``rid``) of the events above rowid ``after`` that are closed: starting
    before the bound (parameter, :func:`closed_bound`) on a (member, local day) that
    ``daily_viewing`` holds. The local day is the one a retention run gives the event (the
    member's zone in ``members``, UTC when unknown)."""
    e, dv = _q(Events.table), _q(DailyViewing.table)
    mid, start = _q(Events.member_id), _q(Events.start_utc)
    return f"""
        WITH {_zones_cte()}
        SELECT e.rowid AS rid FROM {e} e LEFT JOIN zones z ON z.mid = e.{mid}
        WHERE e.rowid > {int(after)} AND e.{start} < ? AND EXISTS (
            SELECT 1 FROM {dv} d
            WHERE d.{_q(DailyViewing.member_id)} = e.{mid}
              AND d.{_q(DailyViewing.local_day)} = {_local_day_sql("e", "z")}
        )
    """


def _orphan_quarantine_sql() -> str:
    """Delete quarantined rows that name no member, of viewing files whose events are now all
    deleted.

    Such rows are raw viewing data as old as the events around them; without the events they
    could no longer be attributed to a member (for export or erasure), so they go with them.
    A row that names its member (``Quarantine.member_id``) stays found by that and follows the
    window by its ingestion time. Rows of catalogues are about titles, not members, and of
    ratings files, whose ratings retention keeps: neither is ever orphaned.
    """
    from bingewise.ingest.formats import READERS
    from bingewise.ingest.generic import TabularReader

    viewing = sorted(
        r.name
        for r in READERS
        if not isinstance(r, TabularReader) or r.layout.table == Events.table
    )
    names = ", ".join(f"'{n}'" for n in viewing)
    f, qt, ev = _q(IngestedFiles.table), _q(Quarantine.table), _q(Events.table)
    return f"""
        DELETE FROM {qt} WHERE {_q(Quarantine.member_id)} IS NULL AND {_q(Quarantine.source)} IN (
            SELECT f.{_q(IngestedFiles.name)} FROM {f} f
            WHERE f.{_q(IngestedFiles.stored)} > 0
              AND f.{_q(IngestedFiles.format)} IN ({names})
              AND NOT EXISTS (
                SELECT 1 FROM (SELECT DISTINCT {_q(Events.source)} AS src FROM {ev}) s
                WHERE starts_with(f.{_q(IngestedFiles.sha256)}, s.src)
            )
        )
    """


def run_retention(
    warehouse: Warehouse,
    *,
    days: int | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Aggregate then delete events older than ``days`` (default: settings.retention_days).

    ``now`` is naive UTC (default: the current time). With ``dry_run`` nothing changes and the
    report says what would.
    """
    window = get_settings().retention_days if days is None else days
    if window < 0:
        raise ValueError(f"retention window must be at least 0 days, not {window}")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = now - dt.timedelta(days=window)
    con = warehouse.duck
    e, dv, qt = _q(Events.table), _q(DailyViewing.table), _q(Quarantine.table)
    start, ingested = _q(Events.start_utc), _q(Quarantine.ingested_utc)
    key_cols = [_q(DailyViewing.member_id), _q(DailyViewing.local_day)]
    sum_cols = [
        _q(DailyViewing.segments),
        _q(DailyViewing.seconds),
        _q(DailyViewing.supplemental_seconds),
    ]
    keys = ", ".join(key_cols)
    with progress() as bar:
        task = bar.add_task("retention", total=3)
        old_events = _scalar(con, f"SELECT count(*) FROM {e} WHERE {start} < ?", cutoff)
        old_quarantine = _scalar(con, f"SELECT count(*) FROM {qt} WHERE {ingested} < ?", cutoff)
        if dry_run:
            groups = _scalar(con, f"SELECT count(*) FROM ({_aggregate_sql()})", cutoff)
            bar.advance(task, 3)
            return RetentionReport(cutoff, old_events, groups, old_quarantine, True)
        with warehouse.transaction() as tx:
            tx.execute(
                f"CREATE OR REPLACE TEMP TABLE bw_retention_new AS {_aggregate_sql()}", [cutoff]
            )
            groups = _scalar(tx, "SELECT count(*) FROM bw_retention_new")
            sums = ", ".join(f"sum({c})::BIGINT AS {c}" for c in sum_cols)
            tx.execute(
                f"""CREATE OR REPLACE TEMP TABLE bw_retention_merged AS
                SELECT {keys}, {sums} FROM (
                    SELECT {keys}, {", ".join(sum_cols)} FROM {dv}
                    WHERE ({keys}) IN (SELECT ({keys}) FROM bw_retention_new)
                    UNION ALL SELECT {keys}, {", ".join(sum_cols)} FROM bw_retention_new
                ) GROUP BY {keys}"""
            )
            tx.execute(
                f"DELETE FROM {dv} WHERE ({keys}) IN (SELECT ({keys}) FROM bw_retention_new)"
            )
            tx.execute(
                f"INSERT INTO {dv} ({keys}, {', '.join(sum_cols)}) "
                f"SELECT {keys}, {', '.join(sum_cols)} FROM bw_retention_merged"
            )
            bar.advance(task)
            tx.execute(f"DELETE FROM {e} WHERE {start} < ?", [cutoff])
            bar.advance(task)
            tx.execute(f"DELETE FROM {qt} WHERE {ingested} < ?", [cutoff])
            orphaned = _scalar(tx, _orphan_quarantine_sql())
            old_quarantine += orphaned
            runs = ", ".join(_q(c) for c in RetentionRuns.arrow.names)
            tx.execute(
                f"INSERT INTO {_q(RetentionRuns.table)} ({runs}) VALUES (?, ?, ?, ?, ?)",
                [now, cutoff, old_events, groups, old_quarantine],
            )
            tx.execute("DROP TABLE bw_retention_new")
            tx.execute("DROP TABLE bw_retention_merged")
            bar.advance(task)
    # The Parquet copy of every event a killed `facts --engine spark` left holds old events too.
    sweep_scratch(get_settings().home, SPARK_SCRATCH)
    log.info(
        "retention: %d events and %d quarantined rows older than %s removed, %d day rows kept",
        old_events,
        old_quarantine,
        cutoff.isoformat(),
        groups,
    )
    return RetentionReport(cutoff, old_events, groups, old_quarantine, False)


def _scalar(con: object, sql: str, *params: object) -> int:
    row = con.execute(sql, list(params)).fetchone()  # type: ignore[attr-defined]
    return int(row[0]) if row and row[0] is not None else 0
