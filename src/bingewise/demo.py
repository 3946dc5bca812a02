"""The demo: every capability, end to end, on a synthetic platform in the embedded stores.

1. synthesise a platform (catalog, members, a year of viewing) into the warehouse and registry;
2. compute the binge facts and write one member's recap (HTML + PNG);
3. train the recommender and print one member's home rows with their reasons;
4. publish the platform's "year in binge" under differential privacy, with its infographic.

The demo owns its data folder: it marks it with a ``.bingewise-demo`` file and starts afresh there
on every run, so re-running is safe. It refuses to touch a folder that holds other data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bingewise.config import Settings, get_settings
from bingewise.console import out, say
from bingewise.registry import Registry
from bingewise.schema import Catalog, Events, Members
from bingewise.warehouse import Warehouse

MARKER = ".bingewise-demo"


class DemoFolderInUse(RuntimeError):
    """The data folder holds data that the demo did not make."""


def prepare_home(settings: Settings) -> Path:
    """Empty the demo's data folder (only if the demo made it) and mark it as the demo's."""
    home = settings.home
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise DemoFolderInUse(
                f"{home} holds data the demo did not make; set BINGEWISE_HOME to another folder"
            )
        shutil.rmtree(home)
    settings.ensure_home()
    (home / MARKER).write_text("made by `bingewise demo`; emptied on each run\n")
    return home


def run_demo(*, members: int, titles: int, days: int, seed: int) -> None:
    """Run every step and print what the stores hold."""
    from bingewise.analytics.demo import demo_step as facts_step
    from bingewise.privacy.release import demo_step as publish_step
    from bingewise.recommend.rows import demo_step as rows_step
    from bingewise.synth import demo_step as synth_step

    settings = get_settings()
    home = prepare_home(settings)
    if settings.database_url is None:
        say(f"Bingewise demo in [bold]{home}[/bold]")
    with Warehouse.open() as wh:
        registry = Registry.open()
        try:
            say("[bold]1. synthetic platform[/bold]")
            synth_step(wh, registry, members=members, titles=titles, days=days, seed=seed)
            out.print(
                f"warehouse: {wh.count(Events.table):,} events, "
                f"{wh.count(Catalog.table):,} titles, {wh.count(Members.table):,} members; "
                f"registry: {registry.members.count():,} members"
            )
            say("[bold]2. binge facts and a member's recap[/bold]")
            for path in facts_step(wh, registry):
                out.print(f"recap written: {path}")
            say("[bold]3. recommendations[/bold]")
            rows_step(wh, registry)
            say("[bold]4. year in binge, published under differential privacy[/bold]")
            published = publish_step(wh, registry)
            for written in (published.json_path, published.png_path, published.html_path):
                if written is not None:
                    out.print(f"published: {written}")
        finally:
            registry.close()
