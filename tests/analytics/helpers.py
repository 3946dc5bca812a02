"""Build small warehouses by hand: events, catalog and members as Arrow tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from bingewise.schema import Catalog, Events, Members
from bingewise.warehouse import Warehouse


@dataclass(frozen=True)
class Seg:
    """One event: member, title, UTC start, seconds watched (bookmark, supplemental optional)."""

    member: int
    title: int
    start: dt.datetime
    seconds: int
    bookmark: int | None = None
    supplemental: str | None = None


@dataclass(frozen=True)
class Title:
    """One catalog row (series/season/episode for episodes)."""

    title_id: int
    kind: str = Catalog.FILM
    series_id: int | None = None
    season: int | None = None
    episode: int | None = None
    runtime: int | None = None
    release: dt.date | None = None


def events_table(segs: Sequence[Seg]) -> pa.Table:
    """Arrow table in ``Events.arrow`` for the segments (event keys by position)."""
    n = len(segs)
    return pa.table(
        {
            Events.event_key: pa.array(range(n), pa.int64()),
            Events.member_id: pa.array([s.member for s in segs], pa.int64()),
            Events.household_id: pa.nulls(n, pa.int64()),
            Events.profile: pa.nulls(n, pa.string()),
            Events.title_id: pa.array([s.title for s in segs], pa.int64()),
            Events.start_utc: pa.array([s.start for s in segs], pa.timestamp("us")),
            Events.seconds: pa.array([s.seconds for s in segs], pa.int32()),
            Events.bookmark_seconds: pa.array([s.bookmark for s in segs], pa.int32()),
            Events.device: pa.nulls(n, pa.string()),
            Events.country: pa.nulls(n, pa.string()),
            Events.supplemental: pa.array([s.supplemental for s in segs], pa.string()),
            Events.source: pa.array(["test"] * n, pa.string()),
        },
        schema=Events.arrow,
    )


def catalog_table(titles: Sequence[Title]) -> pa.Table:
    """Arrow table in ``Catalog.arrow``."""
    n = len(titles)
    return pa.table(
        {
            Catalog.title_id: pa.array([t.title_id for t in titles], pa.int64()),
            Catalog.title: pa.array([f"Title {t.title_id}" for t in titles], pa.string()),
            Catalog.kind: pa.array([t.kind for t in titles], pa.string()),
            Catalog.series_id: pa.array([t.series_id for t in titles], pa.int64()),
            Catalog.series_title: pa.array(
                [None if t.series_id is None else f"Series {t.series_id}" for t in titles],
                pa.string(),
            ),
            Catalog.season: pa.array([t.season for t in titles], pa.int32()),
            Catalog.season_title: pa.nulls(n, pa.string()),
            Catalog.episode: pa.array([t.episode for t in titles], pa.int32()),
            Catalog.episode_title: pa.nulls(n, pa.string()),
            Catalog.runtime_seconds: pa.array([t.runtime for t in titles], pa.int32()),
            Catalog.genres: pa.array([""] * n, pa.string()),
            Catalog.release_date: pa.array([t.release for t in titles], pa.date32()),
            Catalog.maturity: pa.nulls(n, pa.string()),
        },
        schema=Catalog.arrow,
    )


def members_table(rows: Sequence[tuple[int, str | None, str | None]]) -> pa.Table:
    """Arrow table in ``Members.arrow`` from ``(member_id, country, time_zone)``."""
    n = len(rows)
    return pa.table(
        {
            Members.member_id: pa.array([r[0] for r in rows], pa.int64()),
            Members.household_id: pa.nulls(n, pa.int64()),
            Members.profile: pa.nulls(n, pa.string()),
            Members.country: pa.array([r[1] for r in rows], pa.string()),
            Members.time_zone: pa.array([r[2] for r in rows], pa.string()),
            Members.signup_date: pa.nulls(n, pa.date32()),
        },
        schema=Members.arrow,
    )


def load(
    wh: Warehouse,
    segs: Sequence[Seg],
    titles: Sequence[Title] = (),
    members: Sequence[tuple[int, str | None, str | None]] = (),
) -> None:
    """Replace the warehouse's events, catalog and members with the given rows."""
    con = wh.duck
    for name, table in (
        (Events.table, events_table(segs)),
        (Catalog.table, catalog_table(titles)),
        (Members.table, members_table(members)),
    ):
        con.register("_bw_load", table)
        con.execute(f'DELETE FROM "{name}"')
        con.execute(f'INSERT INTO "{name}" SELECT * FROM _bw_load')
        con.unregister("_bw_load")
