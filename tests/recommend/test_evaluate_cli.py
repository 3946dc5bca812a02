"""``bingewise evaluate`` end to end on generated MovieLens-shaped data with planted tastes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.recommend.evaluation import evaluate, read_log, read_movielens
from bingewise.recommend.evaluation.candidates import CANDIDATES
from bingewise.registry import Registry


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
        assert r["metrics"]["ndcg_low"] <= r["metrics"]["ndcg"] <= r["metrics"]["ndcg_high"]
    vs = report["versus_best_peer"]
    assert vs["peer"] == "popular" and vs["members"] == 150
    best = max(ndcg[label] for label in ("ease (tuned)", "itemknn (tuned)"))
    assert vs["ndcg_difference"] == pytest.approx(best - ndcg["popular"])
    assert 0 < vs["low"] <= vs["ndcg_difference"] <= vs["high"]  # planted: clearly better


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
    assert "validation (tuning only): none (every row runs with its defaults)" in " ".join(
        result.stdout.split()
    )
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


def test_a_dense_model_too_large_for_memory_is_reported_not_run(
    ratings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EASE needs titles² cells: when they cannot fit, its row says so before allocating, and
    the other rows still run (instead of the out-of-memory killer ending the whole command)."""
    from bingewise.recommend import _common

    monkeypatch.setattr(_common, "available_memory", lambda: 50_000)  # 80 titles need 76,800 B
    with pytest.raises(MemoryError, match="ease on 80 titles needs"):
        from bingewise.recommend.ease import EASE

        EASE().fit(read_matrix(ratings))
    result = CliRunner().invoke(
        app,
        ["-q", "evaluate", "--data", str(ratings), "--json", "--models", "popular",
         "--models", "ease", "--models", "session-ease"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["label"] for r in report["rows"]] == ["popular"]
    assert [n["label"] for n in report["not_run"]] == ["ease (tuned)", "session-ease (tuned)"]
    assert all("--min-title-count" in n["why"] for n in report["not_run"])
    table = CliRunner().invoke(app, ["-q", "evaluate", "--data", str(ratings), "--models", "ease"])
    assert table.exit_code == 0, table.output
    assert "not run: ease (tuned): ease on 80 titles needs" in " ".join(table.stdout.split())


def read_matrix(ratings: Path):  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    log = read_movielens(ratings)
    _, cols = np.unique(log.items, return_inverse=True)
    _, rows = np.unique(log.users, return_inverse=True)
    return sp.csr_matrix((np.ones(len(log)), (rows, cols)))


def test_min_title_count_leaves_out_rare_titles_before_the_split(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    lines = ["userId,movieId,rating,timestamp"]
    lines += [f"{u},1,4,{u}" for u in range(1, 6)]  # title 1: five members
    lines += [f"{u},2,4,{u}" for u in range(1, 3)]  # title 2: two members
    lines += ["1,3,4,9"]  # title 3: one member
    path.write_text("\n".join(lines) + "\n")
    log = read_movielens(path).without_rare_titles(2)
    assert sorted(set(log.items.tolist())) == [1, 2] and log.left_out == 1
    assert log.rows_read == len(log) + log.duplicates + len(log.rejects) + log.left_out
    assert "1 interactions of titles with fewer than 2 left out" in log.summary()
    assert read_movielens(path).without_rare_titles(5).items.tolist() == [1] * 5
    with pytest.raises(ValueError):
        read_movielens(path).without_rare_titles(0)
    ratings = planted_ratings(tmp_path / "planted.csv", titles=80)
    result = CliRunner().invoke(
        app,
        ["evaluate", "--data", str(ratings), "--no-tune", "--models", "popular",
         "--min-title-count", "40", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "left out" in report["data"]
    full = read_movielens(ratings)
    _, counts = np.unique(full.items, return_counts=True)
    kept_titles = int((counts >= 40).sum())
    assert f"× {kept_titles:,} titles)" in report["data"]


def test_a_file_without_one_valid_row_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\nx,1,4,5\n")
    result = CliRunner().invoke(app, ["evaluate", "--data", str(path)])
    assert result.exit_code == 2
    assert "no valid interactions to evaluate" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("rows", "protocol", "tune", "said"),
    [
        (["1,10,4,5", "2,10,4,6", "3,10,4,7"], "stratified", False, "too few to evaluate"),
        (["1,10,4,5", "2,10,4,6"], "strong", False, "too few to evaluate"),
        (
            [f"{u},{t},4,{u * 10 + t}" for u in (1, 2, 3) for t in (10, 11)],
            "stratified",
            True,
            "too few interactions to tune; --no-tune",
        ),
    ],
)
def test_too_little_data_says_so(
    tmp_path: Path, rows: list[str], protocol: str, tune: bool, said: str
) -> None:
    """One rating per member (nothing to hold out and query with), or too few to carve a
    validation split: a sentence saying so, not "every evaluated member needs..."."""
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n" + "\n".join(rows) + "\n")
    args = ["evaluate", "--data", str(path), "--protocol", protocol, "--models", "ease"]
    result = CliRunner().invoke(app, [*args, *([] if tune else ["--no-tune"])])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and said in text, result.output
    assert "relevant item" not in text


def test_a_dense_model_runs_on_the_most_taken_titles_that_fit(
    ratings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When enough titles fit to be worth it, the dense model runs on the most taken titles that
    do (the params column says how many), instead of not running: the protocol, the split and
    the test titles stay whole; the titles left out are simply never recommended by it."""
    from bingewise.recommend import _common
    from bingewise.recommend.evaluation import runner

    monkeypatch.setattr(_common, "available_memory", lambda: 50_000)  # 80 titles need 76,800 B
    monkeypatch.setattr(runner, "MIN_DENSE_TITLES", 10)
    report = evaluate(
        read_movielens(ratings), models=["popular", "ease", "session-ease"], k=10, seed=5
    )
    assert not report.not_run
    by = {r.label: r for r in report.rows}
    assert by["ease (tuned)"].params["max_titles"] == int((0.75 * 50_000 / 12) ** 0.5)  # 55
    assert by["session-ease (tuned)"].params["max_titles"] == int((0.75 * 50_000 / 20) ** 0.5)
    assert "max_titles" not in by["popular"].params
    assert all(0 <= r.metrics.ndcg <= 1 for r in report.rows)


def test_events_with_the_catalog_evaluate_series_not_episodes(tmp_path: Path) -> None:
    """`evaluate --format events --catalog` scores what the home page recommends: a series'
    episodes are one interaction with the series, so no held-out episode of a series the member
    is watching stands as a title to find (every member watches the eight episodes of one of
    four series, and four of twelve films)."""
    events = tmp_path / "events.csv"
    catalog = tmp_path / "catalog.csv"
    lines = ["member_id,title_id,start_utc"]
    for member in range(1, 41):
        show = member % 4  # series 1000..1003, episodes 100*show + 1..8
        for e in range(1, 9):
            lines.append(f"{member},{100 * show + e},2024-01-{e:02d}T20:00:00Z")
        for film in range(4):
            lines.append(f"{member},{900 + (member + film) % 12},2024-02-0{film + 1}T20:00:00Z")
    events.write_text("\n".join(lines) + "\n")
    catalog.write_text(
        "title_id,kind,series_id\n"
        + "".join(f"{100 * s + e},episode,{1000 + s}\n" for s in range(4) for e in range(1, 9))
        + "".join(f"{900 + f},film,\n" for f in range(12))
    )
    args = ["-q", "evaluate", "--data", str(events), "--format", "events", "--json",
            "--no-tune", "--models", "popular"]  # fmt: skip
    by_episode = json.loads(CliRunner().invoke(app, args).stdout)
    result = CliRunner().invoke(app, [*args, "--catalog", str(catalog)])
    assert result.exit_code == 0, result.output
    by_series = json.loads(result.stdout)
    assert "40 members × 16 titles" in by_series["data"]  # 4 series and 12 films
    assert "320 rows of episodes counted as their series" in by_series["data"]
    assert "40 members × 44 titles" in by_episode["data"]
    bad = CliRunner().invoke(app, [*args[:-4], "--catalog", str(tmp_path / "none.csv")])
    assert bad.exit_code == 2 and "none.csv" in bad.output


def test_every_json_key_is_documented(ratings: Path) -> None:
    """`evaluate --json` is a documented interface: every key it prints, at every level, is
    named in docs/recommend.md (a key added without its documentation fails here)."""
    result = CliRunner().invoke(
        app,
        ["-q", "evaluate", "--data", str(ratings), "--json", "--no-tune",
         "--models", "popular", "--models", "ease"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    keys = set(report) | set(report["rows"][0]) | set(report["rows"][0]["metrics"])
    keys |= set(report["versus_best_peer"])
    docs = (Path(__file__).parents[2] / "docs" / "recommend.md").read_text()
    section = docs[docs.index("`evaluate --json`") :]
    assert sorted(k for k in keys if f"`{k}`" not in section) == []


def test_events_of_members_who_withdrew_consent_are_left_out(
    tmp_path: Path, registry: Registry
) -> None:
    """As `train` leaves them out: a member who withdrew statistics or personalization is in no
    fold of `evaluate --format events`; the summary counts the rows, never who. MovieLens users
    are no members of the service, so consent is not read for them."""
    events = tmp_path / "events.csv"
    lines = ["member_id,title_id,start_utc,seconds"]
    for member in range(1, 41):
        for film in range(6):
            lines.append(f"{member},{900 + (member + film) % 12},2024-02-0{film + 1}T20:00:00Z,600")
    events.write_text("\n".join(lines) + "\n")
    record_consent(registry, 7, Purpose.PERSONALIZATION, False, source="web")
    record_consent(registry, 8, Purpose.STATISTICS, False, source="web")
    args = ["-q", "evaluate", "--data", str(events), "--format", "events", "--json",
            "--no-tune", "--models", "popular"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    assert "228 interactions (38 members × 12 titles)" in data
    assert "12 rows of 2 members left out: consent to statistics or personalization" in data
    log = read_log(events, "events", withheld={7, 8})
    assert not {7, 8} & set(log.users.tolist()) and log.withheld == 12
    assert log.rows_read == len(log) + log.withheld
    with pytest.raises(ValueError, match="consent is for events"):
        read_log(planted_ratings(tmp_path / "ratings.csv"), "movielens", withheld={7})
