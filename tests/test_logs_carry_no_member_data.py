"""Member data never reaches the logs: a whole member journey at DEBUG level, then a search."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.schema import Members
from bingewise.warehouse import Warehouse

PROFILE = "Zelda Quartermaine"
TITLE = "Orchid Harbour: Season 1: The Lantern Keeper (Episode 1)"
SECRETS = ("Zelda", "Quartermaine", "Orchid Harbour", "Lantern Keeper")


def _export(folder: Path) -> Path:
    rows = [
        "Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,"
        "Bookmark,Latest Bookmark,Country"
    ]
    for day in range(1, 6):
        rows.append(
            f"{PROFILE},2022-03-0{day} 21:00:00,00:42:00,,{TITLE},,Smart TV,00:42:00,00:42:00,"
            "GB (United Kingdom)"
        )
    rows.append(f"{PROFILE},not a time,00:10:00,,{TITLE},,Smart TV,00:10:00,00:10:00,GB")
    path = folder / "ViewingActivity.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_member_journey_logs_nothing_personal(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    source = _export(tmp_path)
    done = runner.invoke(app, ["-v", "ingest", str(source)])
    assert done.exit_code == 0, done.output
    with Warehouse.open() as wh:
        member = int(wh.table(Members.table)[Members.member_id].max().execute())
    for args in (
        ["-v", "recap", "--member", str(member), "--out", str(tmp_path / "recap.json")],
        ["-v", "facts", "--json"],
        ["-v", "member", "export", str(member), "--out", str(tmp_path / "export.zip")],
        ["-v", "member", "erase", str(member), "--yes"],
        ["-v", "ingest", str(source)],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, (args, done.output)
    assert caplog.records, "the journey logged nothing at all: the check would be vacuous"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (*SECRETS, str(member)):
        assert secret not in logged
