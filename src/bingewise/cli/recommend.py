"""CLI commands for recommendations: ``evaluate`` (and ``train`` / ``rows``, added alongside).

Each command is defined in its own small function taking the Typer app, and :func:`register`
calls them all, so another command is one more function and one more line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from bingewise.cli.ingest import COLUMNS_HELP, column_map
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
        min_title_count: int = typer.Option(
            1,
            "--min-title-count",
            help="Leave out titles fewer members took, before the split (for large catalogues).",
        ),
        columns: str | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
        catalog: Path | None = typer.Option(
            None,
            "--catalog",
            help="Events: the service's catalog (CSV or Parquet), so a series' episodes are one "
            "interaction with the series, as train and rows count them; its genres and release "
            "dates, when it has them, go to the models that read them.",
        ),
    ) -> None:
        """Compare the models and their peers on held-out interactions (see docs in the module)."""
        from bingewise.ingest.base import IngestError
        from bingewise.recommend.evaluation import evaluate as run
        from bingewise.recommend.evaluation import read_log
        from bingewise.recommend.evaluation.report import render_table
        from bingewise.recommend.train import withheld_from_training

        pairs = column_map(columns) if columns else ()
        try:
            # A service's event log: members who withdrew consent are left out, as in training.
            withheld = withheld_from_training() if fmt == "events" else set()
            log = read_log(data, fmt, pairs, catalog, withheld)
            if min_title_count > 1:
                log = log.without_rare_titles(min_title_count)
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
        for reject in log.titles_rejects[:20]:
            console.print(
                f"[yellow]rejected[/yellow] {log.titles_source}, line {reject.line}, "
                f"field {reject.field or '(row)'!r}: {reject.reason}"
            )
        if len(log.titles_rejects) > 20:
            more = len(log.titles_rejects) - 20
            console.print(f"[yellow]... and {more:,} more rejected catalogue rows[/yellow]")
        say(log.summary())
        if len(log) == 0:
            console.print(f"[red]error:[/red] {log.source}: no valid interactions to evaluate")
            raise typer.Exit(2)
        try:
            report = run(log, protocol=protocol, k=k, models=models or None, seed=seed, tuned=tune)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        if as_json:
            out.print_json(json.dumps(report.as_dict()))
        else:
            # Piped output gets a wide console so the table's columns are never truncated.
            target = out if out.is_terminal else Console(width=160)
            target.print(render_table(report))


def _parse_as_of(text: str | None) -> dt.datetime | None:
    """``--as-of`` as naive UTC; an offset, if given, is converted to UTC."""
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        console.print(f"[red]error:[/red] --as-of {text!r} is not an ISO date or time")
        raise typer.Exit(2) from exc
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def _train_command(app: typer.Typer) -> None:
    @app.command()
    def train(
        model: str = typer.Option("ease", "--model", help="Model to fit (see `evaluate`)."),
        as_of: str | None = typer.Option(
            None,
            "--as-of",
            help="Train on plays and ratings before this UTC time (default: the latest).",
        ),
        half_life_days: float = typer.Option(
            90.0,
            "--half-life-days",
            help="Recency half-life of an interaction's weight, days (0: no decay).",
        ),
        max_titles: int | None = typer.Option(
            None,
            "--max-titles",
            help="Dense models (ease, session-ease): learn only the N most watched titles, for "
            "catalogues too large for memory.",
        ),
        param: list[str] = typer.Option(
            [],
            "--param",
            help="A model parameter, NAME=NUMBER, repeatable (e.g. session-ease's "
            "feature_rows=100 --param feature_term=1 fits with the catalogue's genres; "
            "`evaluate` prints each model's tuned parameters).",
        ),
    ) -> None:
        """Fit a model on the warehouse's viewing and ratings and save it in the model store."""
        import inspect

        from bingewise.recommend.interactions import ConfidenceParams
        from bingewise.recommend.train import available_models
        from bingewise.recommend.train import train as run
        from bingewise.warehouse import Warehouse

        when = _parse_as_of(as_of)
        if not half_life_days >= 0 or half_life_days == float("inf"):  # NaN fails >= too
            console.print("[red]error:[/red] --half-life-days must be 0 (no decay) or positive")
            raise typer.Exit(2)
        params = ConfidenceParams(half_life_days=half_life_days)
        chosen: Any = model
        kwargs: dict[str, float | int] = {}
        cls = available_models().get(model)
        accepted = inspect.signature(cls).parameters if cls is not None else {}
        for item in param:
            name, sep, text = item.partition("=")
            name = name.strip()
            try:
                value = float(text) if sep else math.nan
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                console.print(f"[red]error:[/red] --param {item!r}: expected NAME=NUMBER")
                raise typer.Exit(2)
            if cls is None or name not in accepted or name == "max_titles":
                known = ", ".join(n for n in accepted if n != "max_titles") or "none"
                console.print(
                    f"[red]error:[/red] --param {name!r} is not a parameter of {model!r} "
                    f"(its parameters: {known})"
                )
                raise typer.Exit(2)
            default = accepted[name].default
            kwargs[name] = int(value) if isinstance(default, int) and value.is_integer() else value
        if max_titles is not None:
            if cls is None or "max_titles" not in accepted:
                console.print(f"[red]error:[/red] --max-titles is for dense models, not {model!r}")
                raise typer.Exit(2)
            if max_titles < 1:
                console.print("[red]error:[/red] --max-titles must be at least 1")
                raise typer.Exit(2)
            kwargs["max_titles"] = max_titles
        if kwargs and cls is not None:
            try:
                chosen = cls(**kwargs)
            except ValueError as exc:  # the model's own check of a value
                console.print(f"[red]error:[/red] {model}: {exc}")
                raise typer.Exit(2) from exc
        from bingewise.privacy.erase import mark_retrained, pending_retrains
        from bingewise.registry import Registry

        registry = Registry.open()
        read_from = dt.datetime.now(dt.UTC)  # requests made from now on may postdate our read
        try:
            with Warehouse.open() as wh:
                try:  # consent read from the registry: withdrawn members are left out
                    trained = run(wh, chosen, as_of=when, params=params, registry=registry)
                except (LookupError, MemoryError) as exc:
                    console.print(f"[red]error:[/red] {exc}")
                    raise typer.Exit(2) from exc
            # erasures and consent withdrawals queued this model for retraining: this is it
            closed = mark_retrained(registry, trained.name, read_from=read_from)
            waiting = trained.name in pending_retrains(registry)
        finally:
            registry.close()
        if closed:
            say(f"closed {closed:,} retraining request(s) left by erasures and consent withdrawals")
        if waiting:
            say(
                "an erasure or consent withdrawal came while training ran: this model may still "
                "hold that member, and stays queued for retraining (run train again)"
            )
        kept = getattr(trained.model, "kept", None)  # dense models capped by --max-titles
        learnt = f", {len(kept):,} of them learnt" if kept is not None else ""
        out.print(
            f"trained {trained.name} on {len(trained.member_ids):,} members x "
            f"{len(trained.item_ids):,} items{learnt} "
            f"(as of {trained.as_of:%Y-%m-%d %H:%M} UTC)"
        )
        withheld = trained.withheld_members
        out.print(
            f"{withheld:,} member{'' if withheld == 1 else 's'} left out: consent to statistics "
            "or personalization withdrawn"
        )
        if trained.faded_share > 0.5:
            # Years of ratings (MovieLens) under a 90-day half-life: most of them weigh nothing.
            say(
                f"note: {trained.faded_share:.0%} of the interactions are six half-lives "
                f"({6 * half_life_days:,.0f} days) or more older than the newest, so they "
                "barely weigh in the model; `--half-life-days 0` weighs them all alike"
            )


def _rows_command(app: typer.Typer) -> None:
    @app.command()
    def rows(
        member: int = typer.Option(..., "--member", help="Member id."),
        as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
        max_maturity: str | None = typer.Option(
            None, "--max-maturity", help='Highest rating shown, e.g. "TV-PG" for a kids profile.'
        ),
        country: str | None = typer.Option(None, help="Country (default: the member's)."),
        as_of: str | None = typer.Option(
            None,
            "--as-of",
            help="Page as of this UTC time (default: the latest event or rating, never later "
            "than now).",
        ),
        model: str | None = typer.Option(None, "--model", help="Trained model (default: last)."),
        personalize: bool = typer.Option(
            True,
            "--personalize/--no-personalize",
            help="--no-personalize forces the non-personalized page; consent is always checked.",
        ),
        reason: str = typer.Option(
            "member home page", "--reason", help="Why the member's page is read (audit log)."
        ),
    ) -> None:
        """A member's home page: rows of titles, each with its reason (an audited read)."""
        from bingewise.privacy.audit import audited, os_actor
        from bingewise.privacy.tombstone import is_erased
        from bingewise.recommend.rows import (
            home_rows,
            personalization_allowed,
            print_rows,
            viewing_withheld,
        )
        from bingewise.recommend.train import load_trained
        from bingewise.registry import Registry
        from bingewise.warehouse import Warehouse

        when = _parse_as_of(as_of)
        registry = Registry.open()
        try:
            audited(registry, os_actor(), "rows.read", member, "plays, home rows", reason)
            if bool(is_erased(registry, [member])[0]):
                console.print(f"[red]error:[/red] member {member} was erased: nothing is held")
                raise typer.Exit(2)
            allowed = personalize and personalization_allowed(registry, member)
            uncounted = viewing_withheld(registry)
        finally:
            registry.close()
        if country is not None:
            from bingewise.geo import is_country

            country = country.strip().upper()
            if not is_country(country):
                console.print(
                    f"[red]error:[/red] --country {country!r} is no ISO 3166 country code "
                    "(two letters, e.g. MX)"
                )
                raise typer.Exit(2)
        level: str | int | None = max_maturity
        if max_maturity is not None and max_maturity.isdigit():
            level = int(max_maturity)
        with Warehouse.open(read_only=True) as wh:
            try:
                trained = load_trained(model) if allowed and model is not None else None
                page = home_rows(
                    member,
                    warehouse=wh,
                    trained=trained,
                    as_of=when,
                    personalized=allowed,
                    max_maturity=level,
                    country=country,
                    uncounted=uncounted,
                )
            except (LookupError, FileNotFoundError, ValueError) as exc:
                console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(2) from exc
        if as_json:
            out.print_json(json.dumps([row.to_dict() for row in page]))
        else:
            print_rows(page)


def register(app: typer.Typer) -> None:
    """Add the recommendation commands to ``app``."""
    _evaluate_command(app)
    _train_command(app)
    _rows_command(app)
