"""CLI commands for recommendations: ``evaluate`` (and ``train`` / ``rows``, added alongside).

Each command is defined in its own small function taking the Typer app, and :func:`register`
calls them all, so another command is one more function and one more line.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bingewise.console import console, out, say


def _evaluate_command(app: typer.Typer) -> None:
    @app.command()
    def evaluate(
        data: Path = typer.Option(..., "--data", help="Ratings file or folder, or events file."),
        fmt: str = typer.Option("movielens", "--format", help="movielens | events"),
        protocol: str = typer.Option("stratified", help="stratified | temporal | strong"),
        k: int = typer.Option(10, "--k", help="Cut-off of the top-k metrics."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        models: list[str] | None = typer.Option(
            None, "--models", help="Candidates to run (repeat; default: all)."
        ),
        seed: int = typer.Option(42, help="Seed of the splits and the models."),
        tune: bool = typer.Option(True, "--tune/--no-tune", help="Tune on a validation split."),
    ) -> None:
        """Compare the models and their peers on held-out interactions (see docs in the module)."""
        from bingewise.ingest.base import IngestError
        from bingewise.recommend.evaluation import evaluate as run
        from bingewise.recommend.evaluation import read_log
        from bingewise.recommend.evaluation.report import render_table

        try:
            log = read_log(data, fmt)
        except (IngestError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        for reject in log.rejects[:20]:
            console.print(
                f"[yellow]rejected[/yellow] {log.source}, line {reject.line}, "
                f"field {reject.field or '(row)'!r}: {reject.reason}"
            )
        if len(log.rejects) > 20:
            console.print(f"[yellow]... and {len(log.rejects) - 20:,} more rejected rows[/yellow]")
        say(log.summary())
        try:
            report = run(log, protocol=protocol, k=k, models=models or None, seed=seed, tuned=tune)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        if as_json:
            out.print_json(json.dumps(report.as_dict()))
        else:
            out.print(render_table(report), width=max(out.width, 150))


def register(app: typer.Typer) -> None:
    """Add the recommendation commands to ``app``."""
    _evaluate_command(app)
