"""Generate a platform in memory or stream it, and load it into the warehouse and registry."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bingewise.console import progress
from bingewise.ingest.generic import EVENTS_LAYOUT
from bingewise.registry import MemberRecord, Registry
from bingewise.schema import Catalog, Events, Members, SynthTastes
from bingewise.synth._events import SOURCE, block_events
from bingewise.synth._members import email_of
from bingewise.synth._world import BLOCK_MEMBERS, DEFAULT_START, Planted, Spec, World, make_world
from bingewise.warehouse import Warehouse

__all__ = [
    "Platform",
    "demo_step",
    "generate",
    "iter_event_batches",
    "load",
    "planted_members",
    "world",
    "write_parquet",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Platform:
    """A generated platform: the :class:`World` (catalog, members, tastes) and all its events."""

    world: World
    events: pa.Table  #: schema.Events.arrow, sorted by member then start

    @property
    def catalog(self) -> pa.Table:
        """schema.Catalog.arrow rows: films and episodes."""
        return self.world.catalog

    @property
    def members(self) -> pa.Table:
        """schema.Members.arrow rows."""
        return self.world.members

    @property
    def tastes(self) -> pa.Table:
        """schema.SynthTastes.arrow rows: the favourite genres planted per member."""
        return self.world.tastes

    @property
    def planted(self) -> Planted:
        """The planted extreme members."""
        return self.world.planted


def world(
    members: int,
    titles: int,
    days: int,
    seed: int,
    start: dt.date = DEFAULT_START,
    *,
    block_members: int = BLOCK_MEMBERS,
) -> World:
    """Catalog, members and planted extremes without events (cheap; events stream from it)."""
    spec = Spec(members, titles, days, seed, start, block_members)
    return make_world(spec)


def iter_event_batches(source: World, *, min_rows: int = 2_000_000) -> Iterator[pa.Table]:
    """The events of ``source`` as Arrow tables of at least ``min_rows`` rows (the last fewer).

    Events are made per block of members (``spec.block_members``) and grouped into batches;
    the rows, their order and their keys do not depend on ``min_rows``. Memory stays around a
    few hundred MB per batch whatever the platform size.
    """
    pending: list[pa.Table] = []
    rows = 0
    for block in range(source.blocks):
        table = block_events(source, block)
        pending.append(table)
        rows += table.num_rows
        if rows >= min_rows:
            yield pa.concat_tables(pending) if len(pending) > 1 else pending[0]
            pending, rows = [], 0
    if pending:
        yield pa.concat_tables(pending) if len(pending) > 1 else pending[0]


def generate(
    members: int,
    titles: int,
    days: int,
    seed: int,
    start: dt.date = DEFAULT_START,
    *,
    block_members: int = BLOCK_MEMBERS,
) -> Platform:
    """A whole platform in memory: ``members`` members, ``titles`` works, ``days`` of viewing.

    Deterministic: the same arguments give identical tables.

    >>> p = generate(members=50, titles=30, days=14, seed=1)
    >>> p.events.schema.equals(Events.arrow)
    True
    """
    source = world(members, titles, days, seed, start, block_members=block_members)
    batches: list[pa.Table] = []
    with progress() as bar:
        task = bar.add_task("synthesising viewing", total=source.blocks)
        for block in range(source.blocks):
            batches.append(block_events(source, block))
            bar.advance(task)
    events = pa.concat_tables(batches) if batches else Events.arrow.empty_table()
    return Platform(world=source, events=events)


def planted_members(platform: Platform | World) -> Planted:
    """The planted extreme members: the daily-film watcher and the 188-episode binger."""
    return platform.planted


def write_parquet(source: World, directory: str | Path) -> int:
    """Stream ``source`` to Parquet: catalog, members and events (one file per batch).

    Writes ``catalog.parquet``, ``members.parquet``, ``synth_tastes.parquet`` and
    ``events/part-00000.parquet``...; returns the number of events written. Memory stays
    bounded by one batch.

    The events and catalog files are in the formats ``bingewise ingest`` reads
    (``docs/ingest.md``), so the folder ingests with no options: events carry the columns of
    :data:`~bingewise.ingest.generic.EVENTS_LAYOUT` only, not the warehouse's ``event_key``
    and ``source`` (ingestion derives the same key, see :func:`event_keys`). The members and
    tastes files are not ingest formats (ingestion lists them as skipped).
    """
    out = Path(directory)
    (out / Events.table).mkdir(parents=True, exist_ok=True)
    pq.write_table(source.catalog, out / f"{Catalog.table}.parquet")
    pq.write_table(source.members, out / f"{Members.table}.parquet")
    pq.write_table(source.tastes, out / f"{SynthTastes.table}.parquet")
    columns = [c for c in Events.arrow.names if c in EVENTS_LAYOUT.sources]
    total = 0
    with progress() as bar:
        task = bar.add_task("writing events to Parquet", total=source.blocks)
        for part, block in enumerate(range(source.blocks)):
            table = block_events(source, block).select(columns)
            pq.write_table(table, out / Events.table / f"part-{part:05d}.parquet")
            total += table.num_rows
            bar.advance(task)
    log.info("wrote %d synthetic events to %s", total, out)
    return total


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Append an Arrow table to warehouse table ``name`` (columns matched by name).

    DuckDB's own progress bar is switched off for the insert (ours is showing) and restored.
    """
    row = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    con.execute("SET enable_progress_bar = false")
    try:
        con.register("_synth_batch", table)
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM _synth_batch')
        con.unregister("_synth_batch")
    finally:
        con.execute(f"SET enable_progress_bar = {bool(row and row[0])}")


def load(platform: Platform | World, warehouse: Warehouse, registry: Registry | None) -> int:
    """Put the platform in the warehouse (catalog, members, events) and members in the registry.

    Reloading replaces earlier synthetic rows of the same members and titles (events with
    source ``"synth"`` of those members), so the demo can run twice. A :class:`World` streams
    its events block by block (bounded memory); a :class:`Platform` inserts the events it holds.
    Returns the number of events loaded.
    """
    source = platform.world if isinstance(platform, Platform) else platform
    n_members = source.spec.members
    ids = pa.table({Catalog.title_id: source.catalog.column(Catalog.title_id)})
    total = 0
    with progress() as bar:
        task = bar.add_task("loading the synthetic platform", total=source.blocks + 1)
        with warehouse.transaction() as con:
            con.register("_synth_ids", ids)
            con.execute(
                f'DELETE FROM "{Catalog.table}" WHERE "{Catalog.title_id}" IN '
                f'(SELECT "{Catalog.title_id}" FROM _synth_ids)'
            )
            con.unregister("_synth_ids")
            con.execute(
                f'DELETE FROM "{Members.table}" WHERE "{Members.member_id}" BETWEEN 1 AND ?',
                [n_members],
            )
            con.execute(
                f'DELETE FROM "{Events.table}" WHERE "{Events.source}" = ? '
                f'AND "{Events.member_id}" BETWEEN 1 AND ?',
                [SOURCE, n_members],
            )
            _insert(con, Catalog.table, source.catalog)
            _insert(con, Members.table, source.members)
            bar.advance(task)
            if isinstance(platform, Platform):
                _insert(con, Events.table, platform.events)
                total = platform.events.num_rows
                bar.advance(task, source.blocks)
            else:
                for block in range(source.blocks):
                    table = block_events(source, block)
                    _insert(con, Events.table, table)
                    total += table.num_rows
                    bar.advance(task)
    if registry is not None:
        registry.members.upsert_many(_records(source))
    log.info("loaded %d synthetic events and %d members", total, n_members)
    return total


def _records(source: World) -> Iterator[MemberRecord]:
    """Registry records of the synthetic members (with their ``.invalid`` addresses)."""
    cols = source.members.to_pydict()
    for i, member_id in enumerate(cols[Members.member_id]):
        yield MemberRecord(
            member_id=member_id,
            email=email_of(member_id),
            country=cols[Members.country][i],
            time_zone=cols[Members.time_zone][i],
            signup_date=cols[Members.signup_date][i],
            household_id=cols[Members.household_id][i],
            profile=cols[Members.profile][i],
        )


def demo_step(
    warehouse: Warehouse, registry: Registry, *, members: int, titles: int, days: int, seed: int
) -> Platform:
    """The demo's first step: generate the platform and load it into both stores."""
    platform = generate(members=members, titles=titles, days=days, seed=seed)
    load(platform, warehouse, registry)
    return platform
