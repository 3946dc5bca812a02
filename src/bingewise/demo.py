"""The demo: every capability, end to end, on a synthetic platform in the embedded stores.

Each capability adds its step here as it lands.
"""

from __future__ import annotations

from bingewise.config import get_settings
from bingewise.console import out, say
from bingewise.registry import Registry
from bingewise.schema import Catalog, Events, Members
from bingewise.synth import demo_step as synth_step
from bingewise.warehouse import Warehouse


def run_demo(*, members: int, titles: int, days: int, seed: int) -> None:
    """Build the platform and print what it holds."""
    settings = get_settings()
    settings.ensure_home()
    say(f"Bingewise demo in [bold]{settings.home}[/bold]")
    with Warehouse.open() as wh:
        registry = Registry.open()
        synth_step(wh, registry, members=members, titles=titles, days=days, seed=seed)
        out.print(
            f"warehouse: {wh.count(Events.table):,} events, {wh.count(Catalog.table):,} titles, "
            f"{wh.count(Members.table):,} members; registry: {registry.members.count():,} members"
        )
        registry.close()
