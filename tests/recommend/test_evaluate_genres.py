"""The catalogue's genres and years in the evaluation: ``movies.csv`` next to MovieLens ratings,
the genres of an events ``--catalog``, and session-ease tuned with and without them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.recommend.evaluation import evaluate, read_log, read_movielens
from bingewise.recommend.evaluation.candidates import CANDIDATES


def _ratings(folder: Path, members: int = 120, titles: int = 60, seed: int = 1) -> Path:
    """Each member mostly watches one of three tastes (title j: taste j % 3)."""
    rng = np.random.default_rng(seed)
    taste_of = np.arange(titles) % 3
    lines = ["userId,movieId,rating,timestamp"]
    for u in range(1, members + 1):
        taste = rng.integers(0, 3)
        w = np.where(taste_of == taste, 10.0, 1.0) / (1.0 + np.arange(titles)) ** 0.5
        picks = rng.choice(titles, size=rng.integers(10, 25), replace=False, p=w / w.sum())
        for t, item in enumerate(picks):
            lines.append(f"{u},{item + 1},4.0,{1_000_000 + 1000 * u + 60 * t}")
    path = folder / "ratings.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _movies(folder: Path, titles: int = 60, bad: bool = False) -> Path:
    names = ["Comedy", "Drama|Romance", "Horror|Thriller"]
    lines = ["movieId,title,genres"]
    for j in range(titles):
        year = f" ({1960 + j})" if j % 7 else ""  # every seventh title without a year
        genres = names[j % 3] if j % 11 else "(no genres listed)"
        lines.append(f'{j + 1},"Film {j}, the sequel{year}",{genres}')
    if bad:
        lines.insert(3, "x2,Broken (1999),Comedy")  # line 4: a movieId that is no integer
        lines.insert(6, "77,Too few fields")  # line 7
    path = folder / "movies.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_movies_csv_next_to_the_ratings_gives_genres_and_years(tmp_path: Path) -> None:
    ratings = _ratings(tmp_path)
    assert read_movielens(ratings).titles is None  # no movies.csv: nothing changes
    _movies(tmp_path, bad=True)
    for path in (ratings, tmp_path):  # the file or its folder
        log = read_movielens(path)
        assert log.titles is not None
        assert [(r.line, r.field) for r in log.titles_rejects] == [(4, "movieId"), (7, "")]
        f = log.titles.for_titles(np.array([1, 2, 8, 12, 999]))
        assert f.genre_names.tolist() == ["Comedy", "Drama", "Horror", "Romance", "Thriller"]
        assert f.genres.toarray().tolist() == [
            [0, 0, 0, 0, 0],  # film 0: (no genres listed)
            [0, 1, 0, 1, 0],  # film 1: Drama|Romance
            [0, 1, 0, 1, 0],  # film 7
            [0, 0, 0, 0, 0],  # film 11: (no genres listed) either
            [0, 0, 0, 0, 0],  # not in movies.csv
        ]
        np.testing.assert_array_equal(f.years, [np.nan, 1961.0, np.nan, 1971.0, np.nan])
        assert "60 titles, 54 with genres, 51 with a year, 2 rejected" in log.summary()


def test_evaluate_names_bad_movies_rows(tmp_path: Path) -> None:
    ratings = _ratings(tmp_path)
    _movies(tmp_path, bad=True)
    result = CliRunner().invoke(
        app, ["evaluate", "--data", str(ratings), "--no-tune", "--models", "popular"]
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "movies.csv, line 4, field 'movieId': not a non-negative integer" in flat
    assert "movies.csv, line 7, field '(row)'" in flat


def test_session_ease_is_tuned_with_and_without_genres_in_one_run(tmp_path: Path) -> None:
    """With genres the grid adds the genre configurations (0 among them) and the table shows
    the best without them too; that row is exactly the run without a catalogue."""
    ratings = _ratings(tmp_path)
    without = evaluate(read_movielens(ratings), models=["session-ease"], seed=3)
    _movies(tmp_path)
    both = evaluate(read_movielens(ratings), models=["session-ease"], seed=3)
    cand = CANDIDATES["session-ease"]
    plain = [p for p in cand.grid if cand.plain(p)]
    assert len(plain) == 24 < len(cand.grid)
    assert [(r.label, r.tried) for r in without.rows] == [("session-ease (tuned)", 24)]
    rows = {r.label: r for r in both.rows}
    assert set(rows) == {"session-ease (tuned)", "session-ease (tuned, no genres)"}
    assert rows["session-ease (tuned)"].tried == len(cand.grid)
    nogenre = rows["session-ease (tuned, no genres)"]
    assert cand.plain(nogenre.params)
    assert nogenre.params == without.rows[0].params
    assert nogenre.metrics.ndcg == without.rows[0].metrics.ndcg


@pytest.mark.parametrize("shape", ["csv", "parquet"])
def test_events_catalog_genres_and_dates_roll_up_to_the_series(tmp_path: Path, shape: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,title_id,start_utc\n7,11,2024-01-02 10:00:00\n7,500,2024-01-03 10:00:00\n"
        "8,12,2024-01-04 10:00:00\n"
    )
    rows = [
        ("11", "episode", "90", "Drama", "2019-05-01"),
        ("12", "episode", "90", "Drama | Crime", "2018-03-01"),
        ("500", "film", "", "Comedy", "not a date"),  # line 4 (CSV)
        ("501", "film", "", "", "2001-02-03"),
    ]
    if shape == "parquet":
        catalog = tmp_path / "catalog.parquet"
        cols = list(zip(*rows, strict=True))
        pq.write_table(
            pa.table(
                {
                    "title_id": pa.array([int(v) for v in cols[0]], pa.int64()),
                    "kind": list(cols[1]),
                    "series_id": pa.array([int(v) if v else None for v in cols[2]], pa.int64()),
                    "genres": list(cols[3]),
                    "release_date": list(cols[4]),
                }
            ),
            catalog,
        )
    else:
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "title_id,kind,series_id,genres,release_date\n"
            + "\n".join(",".join(r) for r in rows)
            + "\n"
        )
    log = read_log(events, "events", catalog=catalog)
    assert sorted(set(log.items.tolist())) == [90, 500]  # episodes counted as their series
    assert log.titles is not None
    assert [(r.line, r.field) for r in log.titles_rejects] == [
        (4 if shape == "csv" else 3, "release_date")
    ]
    f = log.titles.for_titles(np.array([90, 500, 501]))
    assert f.genre_names.tolist() == ["Crime", "Drama"]
    assert f.genres.toarray().tolist() == [[1, 1], [0, 0], [0, 0]]  # the film's row rejected
    np.testing.assert_array_equal(f.years, [2018.0, np.nan, 2001.0])
    # A catalog without genres or dates: nothing changes.
    plain = tmp_path / "plain.csv"
    plain.write_text("title_id,kind,series_id\n11,episode,90\n")
    assert read_log(events, "events", catalog=plain).titles is None
