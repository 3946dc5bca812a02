"""``bingewise synth``: generate a synthetic platform into the stores or to Parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``synth`` to ``app``."""

    @app.command()
    def synth(
        members: int = typer.Option(2000, min=2, help="Members (ids 1..N)."),
        titles: int = typer.Option(600, min=2, help="Catalog works: films plus series."),
        days: int = typer.Option(365, min=7, help="Days of viewing."),
        seed: int = typer.Option(
            7, min=0, help="Random seed: the same seed gives the same tables."
        ),
        start: dt.datetime = typer.Option(
            "2017-01-01", formats=["%Y-%m-%d"], help="First day of the period (YYYY-MM-DD)."
        ),
        parquet: Path | None = typer.Option(
            None,
            help="Write Parquet files to this folder instead of loading the stores (events and "
            "catalog in the formats 'bingewise ingest' reads).",
        ),
    ) -> None:
        """Generate a synthetic platform (streamed: any size fits in memory)."""
        from bingewise.console import out
        from bingewise.registry import Registry
        from bingewise.synth import load, world, write_parquet
        from bingewise.warehouse import Warehouse

        source = world(members, titles, days, seed, start.date())
        if parquet is not None:
            total = write_parquet(source, parquet)
            where = str(parquet)
        else:
            registry = Registry.open()
            try:
                with Warehouse.open() as wh:
                    total = load(source, wh, registry)
                    where = wh.path
            finally:
                registry.close()
        planted = source.planted
        out.print(
            f"{total:,} events, {source.catalog.num_rows:,} catalog rows, {members:,} members "
            f"-> {where}"
        )
        out.print(
            f"planted: daily film watcher = member {planted.daily_film_member}; "
            f"binger = member {planted.binger_member} "
            f"({planted.binger_episodes} episodes from {planted.binger_week_start})"
        )
