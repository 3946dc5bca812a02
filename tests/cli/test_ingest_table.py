"""``bingewise ingest``'s table: every file name and note whole on an 80-column terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bingewise.cli.ingest import _shared_folder, _table
from bingewise.ingest.pipeline import IngestSummary


def test_names_are_relative_to_the_shared_folder_and_notes_are_whole(tmp_path: Path) -> None:
    folder = tmp_path / "a-long-folder-name-that-would-not-fit" / "ml-latest-small"
    folder.mkdir(parents=True)
    note = "already ingested (ratings.csv, 2026-01-02 03:04 UTC): nothing new"
    summaries = [
        IngestSummary(str(folder / "ratings.csv"), "movielens-ratings", 100_004, 0, 100_004, 0,
                      True, note),
        IngestSummary(str(folder / "README.txt"), "unknown", 0, 0, 0, 0, True,
                      "no known format; not read"),
    ]  # fmt: skip
    console = Console(width=80, record=True)
    console.print(_table(summaries))
    text = console.export_text()
    assert f"ingestedfrom{folder}" in "".join(text.split())  # a long folder folds
    assert "│ ratings.csv │" in text and "│ README.txt  │" in text
    assert "README.txt: no known format; not read" in text
    assert f"ratings.csv: {note}" in " ".join(text.split())
    assert max(len(line) for line in text.splitlines()) <= 80


def test_shared_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    archive = tmp_path / "x" / "report.zip"
    archive.write_bytes(b"")
    assert _shared_folder([f"{archive}/CONTENT_INTERACTION/ViewingActivity.csv"]) == str(
        tmp_path / "x"
    )
    assert _shared_folder([str(tmp_path / "x" / "a.csv"), str(tmp_path / "b.csv")]) == str(tmp_path)
    assert _shared_folder(["a.csv", "/b.csv"]) == ""
    assert _shared_folder([]) == ""
