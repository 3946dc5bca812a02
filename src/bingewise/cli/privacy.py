"""CLI commands for privacy (filled in by its capability)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bingewise.privacy.ledger import BudgetChange, LedgerEntry


def register(app: typer.Typer) -> None:
    """Add this capability's commands to ``app``."""
    register_publish(app)
    register_ledger(app)
    register_member(app)
    register_consent(app)
    register_retention(app)


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
        """Publish the platform's year in binge through OpenDP; the budget ledger must allow it.

        ``--budget-epsilon``/``--budget-delta`` change the period's budget first: the change is
        kept in the ledger (old and new budget, what was spent, who), and a budget below what
        is already spent is refused.
        """
        from bingewise.console import out as stdout
        from bingewise.privacy.audit import os_actor
        from bingewise.privacy.inputs import parse_period
        from bingewise.privacy.ledger import BudgetBelowSpent, BudgetExceeded, PrivacyLedger
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
                change = ledger.set_budget(
                    span.label,
                    epsilon=current.epsilon if budget_epsilon is None else budget_epsilon,
                    delta=current.delta if budget_delta is None else budget_delta,
                    actor=os_actor(),
                )
                if change is not None:
                    stdout.print(describe_change(change))
            with Warehouse.open(read_only=False) as wh:
                done = run_publish(registry, span, epsilon, delta, warehouse=wh, out_dir=out)
            left = ledger.remaining(span.label)
        except (BudgetExceeded, BudgetBelowSpent) as exc:
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


def describe_change(change: BudgetChange) -> str:
    """One line for a budget change: old → new, what was spent then, who and when."""
    when = f"{change.changed_utc:%Y-%m-%d %H:%M:%S} UTC"
    after = f"ε={change.after.epsilon:g}, δ={change.after.delta:g}"
    if change.before is None:
        return f"budget of {change.period}: {after} (in force before changes were kept; {when})"
    before = f"ε={change.before.epsilon:g}, δ={change.before.delta:g}"
    spent = (
        ""
        if change.spent is None
        else f"; spent then ε={change.spent.epsilon:g}, δ={change.spent.delta:g}"
    )
    flag = " (raised after spending)" if change.raised_after_spending else ""
    return f"budget of {change.period}: {before} → {after}{flag}{spent}; by {change.actor}, {when}"


def register_ledger(app: typer.Typer) -> None:
    """Add ``ledger``: each period's budget, its changes and its releases."""

    @app.command()
    def ledger(
        period: str | None = typer.Option(
            None, help="One period (2017, 2017-03 or 2017-01-01:2017-06-30); default: all."
        ),
    ) -> None:
        """Show the privacy budget ledger: budgets and their history of changes, releases."""
        from collections import defaultdict

        from rich.table import Table

        from bingewise.console import out as stdout
        from bingewise.privacy.inputs import parse_period
        from bingewise.privacy.ledger import PrivacyLedger
        from bingewise.registry import Registry

        label = None
        if period is not None:
            try:
                label = parse_period(period).label
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--period") from None
        registry = Registry.open()
        try:
            book = PrivacyLedger(registry)
            periods = [label] if label is not None else book.periods()
            state = {p: (book.budget(p), book.spent(p)) for p in periods}
            changes = book.budget_changes(label)
            entries = book.entries(label, sharing=True)
        finally:
            registry.close()
        if not periods or (label is not None and not changes and not entries):
            where = f"period {label}" if label is not None else "any period"
            stdout.print(f"no budget or release recorded for {where}")
            return
        budgets = Table(
            title="Privacy budgets (spent: releases of the period and of periods sharing its days)"
        )
        for column in ("period", "budget ε", "budget δ", "spent ε", "spent δ", "changes"):
            budgets.add_column(column)
        for p in periods:
            budget, spent = state[p]
            n = sum(1 for c in changes if c.period == p)
            budgets.add_row(
                p,
                f"{budget.epsilon:g}",
                f"{budget.delta:g}",
                f"{spent.epsilon:g}",
                f"{spent.delta:g}",
                str(n),
            )
        stdout.print(budgets)
        if changes:
            stdout.print("[bold]Budget changes[/bold]")
            for change in changes:
                stdout.print(f"  {describe_change(change)}", highlight=False, soft_wrap=True)
        releases: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            releases[entry.release_id].append(entry)
        if releases:
            table = Table(
                title="Releases" if label is None else f"Releases spending {label}'s budget"
            )
            for column in ("released (UTC)", "period", "release", "ε", "δ", "mechanisms"):
                table.add_column(column)
            for rid, rows in releases.items():
                table.add_row(
                    f"{rows[0].released_utc:%Y-%m-%d %H:%M:%S}",
                    rows[0].period,
                    rid,
                    f"{sum(r.charge.epsilon for r in rows):g}",
                    f"{sum(r.charge.delta for r in rows):g}",
                    str(len(rows)),
                )
            stdout.print(table)


# ---------------------------------------------------------------------------------------------
# Member rights: member export/erase, consent grant/withdraw/show, retention run.


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


def _member_known(member_id: int) -> bool:
    """Whether the registry or the warehouse knows ``member_id`` (never creates stores)."""
    from bingewise.config import get_settings
    from bingewise.registry import Registry
    from bingewise.schema import Members
    from bingewise.warehouse import Warehouse

    registry = Registry.open()
    try:
        if registry.members.get(member_id) is not None:
            return True
    finally:
        registry.close()
    path = get_settings().warehouse_path
    if not path.exists():
        return False
    with Warehouse.open(path, read_only=True) as wh:
        table = wh.table(Members.table)
        return bool(table.filter(table[Members.member_id] == member_id).count().execute() > 0)


def register_member(app: typer.Typer) -> None:
    """Add ``member export`` and ``member erase``."""
    member_app = typer.Typer(help="A member's rights: export and erase their data.")
    app.add_typer(member_app, name="member")

    @member_app.command("export")
    def export(
        member_id: int = typer.Argument(..., help="The member's id."),
        out: Path = typer.Option(..., "--out", help="ZIP file to write."),
        reason: str = typer.Option("member's data access request", help="Why (audit log)."),
    ) -> None:
        """Write everything held about a member to a ZIP (JSON, CSV, README); audited."""
        from bingewise.console import out as stdout
        from bingewise.privacy.audit import os_actor
        from bingewise.privacy.export import export_member
        from bingewise.registry import Registry

        registry = Registry.open()
        try:
            summary = export_member(registry, member_id, out, actor=os_actor(), reason=reason)
        except LookupError as exc:
            raise _fail(str(exc)) from None
        finally:
            registry.close()
        rows = sum(summary.rows.values())
        stdout.print(f"wrote {summary.path}: {rows} records in {len(summary.rows)} kinds")

    @member_app.command("erase")
    def erase(
        member_id: int = typer.Argument(..., help="The member's id."),
        yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
        reason: str = typer.Option("member's erasure request", help="Why (audit log)."),
    ) -> None:
        """Erase a member from every store and model; keep only a tombstone."""
        from bingewise.console import out as stdout
        from bingewise.privacy.audit import os_actor
        from bingewise.privacy.erase import erase_member
        from bingewise.privacy.tombstone import is_erased
        from bingewise.registry import Registry

        registry = Registry.open()
        try:
            if bool(is_erased(registry, [member_id])[0]):
                stdout.print("already erased: nothing held (tombstone only)")
                return
            if not _member_known(member_id):
                raise _fail(f"member {member_id} is not known to the registry or the warehouse")
            if not yes:
                typer.confirm(
                    f"Erase member {member_id} from the warehouse, registry and models? "
                    "This cannot be undone",
                    abort=True,
                )
            report = erase_member(registry, member_id, actor=os_actor(), reason=reason)
        finally:
            registry.close()
        stdout.print(
            f"erased: {report.total_rows} rows deleted "
            f"({', '.join(f'{k} {v}' for k, v in sorted(report.warehouse_rows.items()) if v)}; "
            f"registry {sum(report.registry_rows.values())}), "
            f"{report.audit_entries_unlinked} audit entries unlinked, "
            f"{len(report.models_rewritten)} models rewritten, "
            f"{len(report.models_deleted)} deleted, "
            f"{len(report.retrain_requested)} queued for retraining; "
            f"tombstone {report.tombstone[:16]}…"
        )


def register_consent(app: typer.Typer) -> None:
    """Add ``consent grant``, ``consent withdraw`` and ``consent show``."""
    consent_app = typer.Typer(help="Consent per purpose: grant, withdraw, show.")
    app.add_typer(consent_app, name="consent")

    def change(member_id: int, purpose: str, granted: bool, source: str, reason: str) -> None:
        from bingewise.console import out as stdout
        from bingewise.privacy.audit import audited, os_actor
        from bingewise.privacy.consent import TRAINING_PURPOSES, parse_purpose, record_consent
        from bingewise.privacy.erase import pending_retrains
        from bingewise.privacy.tombstone import is_erased
        from bingewise.registry import Registry

        try:
            chosen = parse_purpose(purpose)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="PURPOSE") from None
        registry = Registry.open()
        try:
            if bool(is_erased(registry, [member_id])[0]):
                raise _fail(f"member {member_id} was erased")
            if not _member_known(member_id):
                raise _fail(f"member {member_id} is not known to the registry or the warehouse")
            action = "consent.grant" if granted else "consent.withdraw"
            audited(registry, os_actor(), action, member_id, chosen.value, reason)
            event = record_consent(registry, member_id, chosen, granted, source=source)
            waiting = pending_retrains(registry) if chosen in TRAINING_PURPOSES else []
        finally:
            registry.close()
        verb = "granted" if granted else "withdrawn"
        stdout.print(
            f"{chosen.value}: {verb} ({event.recorded_utc:%Y-%m-%d %H:%M:%S} UTC, "
            f"source {event.source}, policy {event.policy_version})"
        )
        if waiting and not granted:
            stdout.print(
                f"models waiting for retraining: {', '.join(waiting)} (`bingewise train --model "
                "NAME` retrains one)"
            )

    @consent_app.command("grant")
    def grant(
        member_id: int = typer.Argument(..., help="The member's id."),
        purpose: str = typer.Argument(..., help="personalization, recommendation_emails, ..."),
        source: str = typer.Option("cli", help="Where the member asked (cli, web, api, ...)."),
        reason: str = typer.Option("member's consent change", help="Why (audit log)."),
    ) -> None:
        """Record that a member gives consent to a purpose."""
        change(member_id, purpose, True, source, reason)

    @consent_app.command("withdraw")
    def withdraw(
        member_id: int = typer.Argument(..., help="The member's id."),
        purpose: str = typer.Argument(..., help="personalization, recommendation_emails, ..."),
        source: str = typer.Option("cli", help="Where the member asked (cli, web, api, ...)."),
        reason: str = typer.Option("member's consent change", help="Why (audit log)."),
    ) -> None:
        """Record that a member withdraws consent to a purpose (as easy as giving it)."""
        change(member_id, purpose, False, source, reason)

    @consent_app.command("show")
    def show(
        member_id: int = typer.Argument(..., help="The member's id."),
        reason: str = typer.Option("member's consent enquiry", help="Why (audit log)."),
    ) -> None:
        """Show a member's consents now and their history; audited."""
        from rich.table import Table

        from bingewise.console import out as stdout
        from bingewise.privacy.audit import audited, os_actor
        from bingewise.privacy.consent import consent_history, current_consents
        from bingewise.privacy.tombstone import is_erased
        from bingewise.registry import Registry

        registry = Registry.open()
        try:
            audited(registry, os_actor(), "consent.show", member_id, "consents", reason)
            if bool(is_erased(registry, [member_id])[0]):
                # Not "granted (default)": nothing is held, nothing can be granted any more.
                raise _fail(f"member {member_id} was erased: nothing is held about them")
            history = consent_history(registry, member_id)
            if not history and not _member_known(member_id):
                # Not "granted (default)" either: there is no such member to have consents.
                raise _fail(f"member {member_id} is not known to the registry or the warehouse")
            now = current_consents(registry, member_id)
        finally:
            registry.close()
        changed = {e.purpose for e in history}
        table = Table(title=f"Consents of member {member_id}")
        for column in ("purpose", "consent", "since"):
            table.add_column(column)
        for purpose, granted in now.items():
            last = [e for e in history if e.purpose == purpose]
            since = (
                f"{last[-1].recorded_utc:%Y-%m-%d %H:%M} UTC ({last[-1].source})"
                if purpose in changed
                else "default"
            )
            table.add_row(purpose.value, "granted" if granted else "not granted", since)
        stdout.print(table)
        stdout.print(f"{len(history)} recorded changes")


def register_retention(app: typer.Typer) -> None:
    """Add ``retention run``."""
    retention_app = typer.Typer(help="Retention of raw viewing events.")
    app.add_typer(retention_app, name="retention")

    @retention_app.command("run")
    def run(
        dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be deleted."),
        days: int | None = typer.Option(
            None, help="Window in days (default: BINGEWISE_RETENTION_DAYS, 730)."
        ),
    ) -> None:
        """Delete raw events older than the window, keeping per-member daily aggregates."""
        from bingewise.config import get_settings
        from bingewise.console import out as stdout
        from bingewise.privacy.erase import compact_warehouse
        from bingewise.privacy.retention import run_retention
        from bingewise.warehouse import Warehouse

        try:
            with Warehouse.open() as wh:
                report = run_retention(wh, days=days, dry_run=dry_run)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        if not report.dry_run and (report.events_deleted or report.quarantine_deleted):
            # DuckDB leaves deleted values in its file: rewritten, as erasure does.
            compact_warehouse(get_settings().warehouse_path)
        verb = "would delete" if report.dry_run else "deleted"
        stdout.print(
            f"{verb} {report.events_deleted} events before {report.cutoff_utc:%Y-%m-%d %H:%M} UTC "
            f"and {report.quarantine_deleted} quarantined rows; "
            f"{report.aggregate_rows} member-day aggregates kept"
        )
