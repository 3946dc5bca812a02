"""CLI commands for privacy (filled in by its capability)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this capability's commands to ``app``."""
    register_publish(app)


def register_publish(app: typer.Typer) -> None:
    """Add ``publish``: the year in binge under differential privacy."""

    @app.command()
    def publish(
        period: str = typer.Option(..., help="Period: 2017, 2017-03 or 2017-01-01:2017-06-30."),
        epsilon: float = typer.Option(1.0, help="ε of this release (split across the facts)."),
        delta: float = typer.Option(1e-7, help="δ of this release."),
        out: Path | None = typer.Option(None, help="Folder for JSON, PNG and HTML."),
        budget_epsilon: float | None = typer.Option(
            None, help="First set the period's ε budget (default budget: ε 2, δ 1e-6)."
        ),
        budget_delta: float | None = typer.Option(None, help="First set the period's δ budget."),
    ) -> None:
        """Publish the platform's year in binge through OpenDP; the budget ledger must allow it."""
        from bingewise.console import out as stdout
        from bingewise.privacy.inputs import parse_period
        from bingewise.privacy.ledger import BudgetExceeded, PrivacyLedger
        from bingewise.privacy.release import publish as run_publish
        from bingewise.registry import Registry
        from bingewise.warehouse import Warehouse

        try:
            span = parse_period(period)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period") from None
        registry = Registry.open()
        try:
            ledger = PrivacyLedger(registry)
            if budget_epsilon is not None or budget_delta is not None:
                current = ledger.budget(span.label)
                ledger.set_budget(
                    span.label,
                    epsilon=current.epsilon if budget_epsilon is None else budget_epsilon,
                    delta=current.delta if budget_delta is None else budget_delta,
                )
            with Warehouse.open(read_only=False) as wh:
                done = run_publish(registry, span, epsilon, delta, warehouse=wh, out_dir=out)
            left = ledger.remaining(span.label)
        except BudgetExceeded as exc:
            typer.secho(f"refused: {exc}", fg="red", err=True)
            raise typer.Exit(2) from None
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        finally:
            registry.close()
        stdout.print(
            f"released {done.release.release_id} for {span.label} at ε={epsilon:g}, δ={delta:g}; "
            f"left in the period: ε={left.epsilon:g}, δ={left.delta:g}"
        )
        for path in (done.json_path, done.png_path, done.html_path):
            stdout.print(f"  {path}")
