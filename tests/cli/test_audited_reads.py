"""Every CLI read of member-level data leaves an audit entry: who, what, when, why."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analytics.helpers import load
from analytics.test_facts import MEMBERS, TITLES, planted
from bingewise.cli import app
from bingewise.privacy.audit import audit_entries
from bingewise.registry import Registry
from bingewise.warehouse import Warehouse


def test_recap_and_facts_are_audited(home: Path) -> None:
    with Warehouse.open() as wh:
        load(wh, planted(), TITLES, MEMBERS)
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["-q", "recap", "--member", "1", "--out", str(home / "r.json"), "--reason", "support #12"],
    )
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["-q", "facts", "--period", "2021-01", "--json"])
    assert done.exit_code == 0, done.output
    registry = Registry.open()
    try:
        recap_reads = audit_entries(registry, 1, action="recap.read")
        fact_reads = audit_entries(registry, action="facts.read")
    finally:
        registry.close()
    assert [(e.member_id, e.reason) for e in recap_reads] == [(1, "support #12")]
    assert recap_reads[0].actor.startswith("os:")
    assert [(e.member_id, e.reason) for e in fact_reads] == [(None, "operator binge facts")]


def test_home_rows_read_is_audited(home: Path) -> None:
    from recommend.test_rows_world import AS_OF, FOCAL, platform

    with Warehouse.open() as wh:
        platform().write(wh)
    done = CliRunner().invoke(
        app, ["-q", "rows", "--member", str(FOCAL), "--as-of", AS_OF.isoformat(), "--json"]
    )
    assert done.exit_code == 0, done.output
    registry = Registry.open()
    try:
        reads = audit_entries(registry, FOCAL, action="rows.read")
    finally:
        registry.close()
    assert [(e.member_id, e.reason) for e in reads] == [(FOCAL, "member home page")]
