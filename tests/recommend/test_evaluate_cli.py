"""``bingewise evaluate`` end to end on generated MovieLens-shaped data with planted tastes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.recommend.evaluation import evaluate, read_movielens
from bingewise.recommend.evaluation.candidates import CANDIDATES


def planted_ratings(path: Path, *, members: int = 150, titles: int = 80, seed: int = 0) -> Path:
    """A ratings.csv where each member watches mostly one of 4 genres (title j: genre j % 4).

    Within a genre, titles have Zipf-like popularity, so popularity is a fair but beatable
    baseline: a model that learns the genres must do better.
    """
    rng = np.random.default_rng(seed)
    genre_of = np.arange(titles) % 4
    pop = 1.0 / (1.0 + np.arange(titles)) ** 0.6
    lines = ["userId,movieId,rating,timestamp"]
    for u in range(1, members + 1):
        taste = rng.integers(0, 4)
        weights = pop * np.where(genre_of == taste, 12.0, 1.0)
        n = rng.integers(12, 30)
        picks = rng.choice(titles, size=n, replace=False, p=weights / weights.sum())
        for t, item in enumerate(picks):
            lines.append(f"{u},{item + 1},{rng.integers(1, 11) / 2},{1_000_000 + 1000 * u + t}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ratings(tmp_path: Path) -> Path:
    return planted_ratings(tmp_path / "ratings.csv")


def test_json_report_and_planted_oracle(ratings: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["-q", "evaluate", "--data", str(ratings), "--protocol", "stratified", "--k", "10",
         "--json", "--models", "popular", "--models", "ease", "--models", "itemknn"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["protocol"] == "stratified" and report["k"] == 10
    rows = {r["label"]: r for r in report["rows"]}
    assert set(rows) == {
        "popular",
        "ease (tuned)",
        "itemknn (tuned)",
    }
    ndcg = {label: r["metrics"]["ndcg"] for label, r in rows.items()}
    # Planted genres: the personalized models must beat popularity clearly.
    assert ndcg["ease (tuned)"] > ndcg["popular"] + 0.03
    assert ndcg["itemknn (tuned)"] > ndcg["popular"] + 0.03
    assert rows["ease (tuned)"]["tried"] == len(CANDIDATES["ease"].grid)
    for r in rows.values():
        assert r["metrics"]["users"] == 150
        assert 0.0 < r["metrics"]["coverage"] <= 1.0


@pytest.mark.parametrize("protocol", ["temporal", "strong"])
def test_every_candidate_runs_under_each_protocol(ratings: Path, protocol: str) -> None:
    log = read_movielens(ratings)
    report = evaluate(log, protocol=protocol, k=5, seed=1, tuned=False)
    labels = {r.label for r in report.rows}
    assert labels == set(CANDIDATES)
    best = report.best()
    assert best.metrics.ndcg > report.rows[0].metrics.ndcg  # rows[0] is popularity
    if protocol == "strong":
        assert best.metrics.users < 150 * 0.3  # only held-out members are evaluated


def test_table_output_and_bad_input(ratings: Path, tmp_path: Path) -> None:
    with ratings.open("a") as fh:
        fh.write("oops,1,3.0,5\n")
    runner = CliRunner()
    result = runner.invoke(
        app, ["evaluate", "--data", str(ratings), "--models", "popular", "--models", "itemknn",
              "--no-tune"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "NDCG@10" in result.stdout and "itemknn" in result.stdout
    assert "field 'userId'" in result.stderr and "rejected" in result.stderr
    missing = runner.invoke(app, ["evaluate", "--data", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "nope.csv" in missing.stderr
    unknown = runner.invoke(app, ["evaluate", "--data", str(ratings), "--models", "sar"])
    assert unknown.exit_code == 2 and "unknown model" in unknown.stderr


def test_same_seed_same_table(ratings: Path) -> None:
    log = read_movielens(ratings)
    a = evaluate(log, models=["rp3beta", "ials"], k=10, seed=5, tuned=False)
    b = evaluate(log, models=["rp3beta", "ials"], k=10, seed=5, tuned=False)
    assert [r.metrics for r in a.rows] == [r.metrics for r in b.rows]
