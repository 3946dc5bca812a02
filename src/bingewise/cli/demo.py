"""``bingewise demo``: build a synthetic platform into the embedded stores and show it."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""

    @app.command()
    def demo(
        members: int = typer.Option(2000, help="Synthetic members."),
        titles: int = typer.Option(600, help="Catalog titles (films plus series)."),
        days: int = typer.Option(365, help="Days of viewing."),
        seed: int = typer.Option(7, help="Random seed."),
    ) -> None:
        """Run the whole pipeline on a synthetic platform in $BINGEWISE_HOME."""
        from bingewise.console import console
        from bingewise.demo import DemoFolderInUse, run_demo

        try:
            run_demo(members=members, titles=titles, days=days, seed=seed)
        except DemoFolderInUse as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
