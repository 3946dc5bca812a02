"""`bingewise train` and `bingewise rows` on real stores, consent read from the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_rows_world import AS_OF, FOCAL, NEWCOMER, platform
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.config import reset_settings
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.recommend.rows import RowKind, demo_step, home_rows
from bingewise.recommend.train import load_trained
from bingewise.registry import Registry
from bingewise.schema import Events
from bingewise.warehouse import Warehouse

runner = CliRunner()


@pytest.fixture
def stores(home: Path) -> Path:
    """The platform in $BINGEWISE_HOME's warehouse (the registry: SQLite there by default)."""
    with Warehouse.open() as wh:
        platform().write(wh)
    return home


def _rows_json(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(
        app, ["-q", "rows", "--as-of", AS_OF.isoformat(), "--json", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_train_then_rows_matches_the_api(stores: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A world of a few members: the operator of so small a service lowers the viewer minimum.
    monkeypatch.setenv("BINGEWISE_MIN_VIEWERS", "1")
    reset_settings()
    result = runner.invoke(app, ["-q", "train", "--model", "itemknn", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "trained itemknn" in result.stdout
    trained = load_trained()
    assert trained.name == "itemknn" and trained.as_of == AS_OF

    got = _rows_json("--member", str(FOCAL))
    with Warehouse.open(read_only=True) as wh:
        expected = home_rows(FOCAL, warehouse=wh, trained=trained, as_of=AS_OF)
    assert got == [r.to_dict() for r in expected]
    kinds = [r["kind"] for r in got]
    assert RowKind.BECAUSE_YOU_WATCHED in kinds and RowKind.TOP_PICKS in kinds


def test_rows_without_consent_are_the_anonymous_page(stores: Path, registry: Registry) -> None:
    """Consent withdrawn in the registry (SQLite and PostgreSQL) gives the anonymous page."""
    assert runner.invoke(app, ["-q", "train", "--model", "itemknn"]).exit_code == 0
    personal = _rows_json("--member", str(FOCAL))
    record_consent(registry, FOCAL, Purpose.PERSONALIZATION, False, source="cli")
    anonymous = _rows_json("--member", str(FOCAL))
    assert anonymous != personal
    assert anonymous == _rows_json("--member", str(NEWCOMER))
    assert {r["kind"] for r in anonymous} <= {RowKind.TOP10_COUNTRY, RowKind.GENRE}
    # the flag forces the same page for a consenting member
    assert _rows_json("--member", str(NEWCOMER), "--no-personalize") == anonymous


def test_rows_errors_are_clear(stores: Path) -> None:
    result = runner.invoke(app, ["-q", "rows", "--member", "999"])
    assert result.exit_code == 2
    assert "country" in result.output
    result = runner.invoke(app, ["-q", "rows", "--member", "1", "--as-of", "yesterday"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
    result = runner.invoke(app, ["-q", "train", "--model", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_demo_step_trains_and_shows_the_most_active_member(stores: Path) -> None:
    registry = Registry.open()
    with Warehouse.open() as wh:
        member, rows = demo_step(wh, registry, model="itemknn", show=False)
        counts = wh.duck.execute(
            f'SELECT "{Events.member_id}", count(*) AS n FROM "{Events.table}" '
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1"
        ).fetchone()
    assert counts is not None and member == counts[0]
    registry.close()
    assert rows and load_trained().name == "itemknn"
