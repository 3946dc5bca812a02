"""The demo runs end to end, owns its folder, re-runs safely and refuses folders it did not make."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.config import get_settings
from bingewise.demo import MARKER, DemoFolderInUse, prepare_home


def test_demo_runs_twice_and_writes_every_output(home: Path) -> None:
    args = ["-q", "demo", "--members", "150", "--titles", "60", "--days", "60", "--seed", "3"]
    runner = CliRunner()
    for _ in range(2):  # the second run starts afresh in the folder the first one made
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    assert (home / MARKER).exists()
    assert "Home page of member" in done.output
    assert len(list((home / "recaps").glob("*.png"))) == 1
    releases = list((home / "releases").glob("*.json"))
    assert len(releases) == 1
    assert "epsilon" in json.dumps(json.loads(releases[0].read_text())).lower()


def test_demo_refuses_a_folder_it_did_not_make(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "precious.txt").write_text("not the demo's")
    with pytest.raises(DemoFolderInUse, match="did not make"):
        prepare_home(get_settings())
    assert (home / "precious.txt").exists()


def test_cli_names_the_folder_it_refuses(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "precious.txt").write_text("not the demo's")
    done = CliRunner().invoke(app, ["-q", "demo", "--members", "10"])
    assert done.exit_code == 2
    assert str(home) in done.stderr and "did not make" in done.stderr
