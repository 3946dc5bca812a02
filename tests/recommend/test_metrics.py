"""Ranking metrics: a hand-computed case, and a brute-force reference under hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from bingewise.recommend.evaluation.metrics import mean_ci, ranking_metrics


def _relevant(rows: list[list[int]], width: int) -> sp.csr_matrix:
    r = [u for u, items in enumerate(rows) for _ in items]
    c = [i for items in rows for i in items]
    return sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), width))


def test_hand_computed_case() -> None:
    """Two members, k=3, worked out by hand with Recommenders' formulas.

    A: relevant {1, 4, 7, 8} (8 is a test-only title), recommended [1, 2, 4]: hits at ranks 1, 3.
    B: relevant {5}, recommended [3, 5] and nothing else: hit at rank 2.
    """
    recs = np.array([[1, 2, 4], [3, 5, -1]])
    relevant = _relevant([[1, 4, 7, 8], [5]], width=9)
    counts = np.array([2, 1, 1, 1, 1, 3, 1, 0], dtype=float)  # 10 training interactions
    m = ranking_metrics(recs, relevant, 3, train_counts=counts)
    assert m.users == 2
    assert m.precision == pytest.approx((2 / 3 + 1 / 3) / 2)  # = 0.5
    assert m.recall == pytest.approx((2 / 4 + 1 / 1) / 2)  # = 0.75
    ln = math.log
    ndcg_a = (1 / ln(2) + 1 / ln(4)) / (1 / ln(2) + 1 / ln(3) + 1 / ln(4))
    ndcg_b = (1 / ln(3)) / (1 / ln(2))
    assert ndcg_a == pytest.approx(0.703918, abs=1e-6)
    assert m.ndcg == pytest.approx((ndcg_a + ndcg_b) / 2)  # = 0.667424
    assert m.ndcg == pytest.approx(0.667424, abs=1e-6)
    assert m.map == pytest.approx(((1 + 2 / 3) / 4 + (1 / 2) / 1) / 2)  # = 0.458333
    assert m.map_at_k == pytest.approx(((1 + 2 / 3) / 3 + (1 / 2) / 1) / 2)  # = 0.527778
    assert m.coverage == pytest.approx(5 / 7)  # {1,2,3,4,5} of 7 titles with training data
    novelty = (4 * -math.log2(1 / 10) + -math.log2(3 / 10)) / 5
    assert m.novelty == pytest.approx(novelty)  # = 3.004936 bits
    assert m.novelty == pytest.approx(3.004936, abs=1e-6)


def _reference(recs: np.ndarray, truth: list[set[int]], k: int) -> dict[str, float]:
    """Per-member loops transcribing Recommenders' python_evaluation definitions."""
    out = {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0, "map_at_k": 0.0}
    for row, rel in zip(recs, truth, strict=True):
        hits, dcg, ap = 0, 0.0, 0.0
        for rank, item in enumerate(row[:k], start=1):
            if item >= 0 and item in rel:
                hits += 1
                dcg += 1 / math.log(1 + rank)
                ap += hits / rank
        idcg = sum(1 / math.log(1 + i) for i in range(1, min(len(rel), k) + 1))
        out["precision"] += hits / k
        out["recall"] += hits / len(rel)
        out["ndcg"] += dcg / idcg
        out["map"] += ap / len(rel)
        out["map_at_k"] += ap / min(len(rel), k)
    return {key: v / len(truth) for key, v in out.items()}


@given(st.integers(0, 2**31), st.integers(1, 12), st.integers(1, 8))
def test_matches_brute_force_reference(seed: int, n_users: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    n_items = 15
    truth = [
        set(rng.choice(n_items + 3, size=rng.integers(1, 8), replace=False).tolist())
        for _ in range(n_users)
    ]
    recs = np.full((n_users, k), -1)
    for u in range(n_users):
        length = rng.integers(0, k + 1)
        recs[u, :length] = rng.choice(n_items, size=length, replace=False)
    relevant = _relevant([sorted(t) for t in truth], n_items + 3)
    got = ranking_metrics(recs, relevant, k, train_counts=np.ones(n_items))
    ref = _reference(recs, truth, k)
    for key, value in ref.items():
        assert getattr(got, key) == pytest.approx(value, abs=1e-12), key
    assert 0.0 <= got.ndcg <= 1.0 and 0.0 <= got.map <= got.map_at_k <= 1.0


def test_perfect_ranking_scores_one() -> None:
    recs = np.array([[0, 1, 2], [3, -1, -1]])
    m = ranking_metrics(recs, _relevant([[0, 1, 2], [3]], 4), 3, train_counts=np.ones(4))
    assert m.ndcg == pytest.approx(1.0)
    assert m.map == pytest.approx(1.0)
    assert m.recall == pytest.approx(1.0)
    assert m.precision == pytest.approx((1 + 1 / 3) / 2)  # k counts even for short lists


def test_member_without_relevant_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="relevant"):
        ranking_metrics(np.array([[0]]), sp.csr_matrix((1, 2)), 1, train_counts=np.ones(2))


def test_ndcg_interval_matches_the_normal_approximation() -> None:
    """For a large sample the percentile bootstrap agrees with mean ± 1.96 s/√n."""
    rng = np.random.default_rng(3)
    x = rng.beta(2, 5, size=4000)
    low, high = mean_ci(x, seed=1)
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert low < x.mean() < high
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert mean_ci(x, seed=1) == (low, high)  # seeded
    assert mean_ci(np.full(5, 0.25)) == (0.25, 0.25)
    assert all(np.isnan(v) for v in mean_ci(np.zeros(0)))


def test_metrics_keep_each_members_ndcg_and_the_interval() -> None:
    recs = np.array([[0, 1, 2], [3, 0, 1], [2, 3, 1]])
    m = ranking_metrics(recs, _relevant([[0], [0], [0, 1]], 4), 3, train_counts=np.ones(4))
    expected = [1.0, 1 / np.log2(3), (1 / np.log2(4)) / (1 + 1 / np.log2(3))]
    np.testing.assert_allclose(m.ndcg_per_member, expected)
    assert m.ndcg_low <= m.ndcg <= m.ndcg_high
    assert "ndcg_per_member" not in m.as_dict() and "ndcg_low" in m.as_dict()
    quick = ranking_metrics(
        recs, _relevant([[0], [0], [0, 1]], 4), 3, train_counts=np.ones(4), interval=False
    )
    assert np.isnan(quick.ndcg_low) and quick.ndcg == m.ndcg


def test_best_row_against_best_peer_member_by_member() -> None:
    from bingewise.recommend.evaluation import EvaluationReport, ResultRow
    from bingewise.recommend.evaluation.metrics import RankingMetrics

    def row(label: str, kind: str, per: list[float]) -> ResultRow:
        values = np.array(per)
        metrics = RankingMetrics(
            10, len(per), 0, 0, float(values.mean()), 0, 0, 0, 0, ndcg_per_member=values
        )
        return ResultRow(label, label, kind, {}, metrics, 0.0)

    rows = [
        row("a", "ours", [0.5, 0.6, 0.2, 0.9]),
        row("b", "ours", [0.1, 0.1, 0.1, 0.1]),
        row("p", "peer", [0.4, 0.6, 0.3, 0.5]),
        row("q", "peer", [0.0, 0.0, 0.0, 0.0]),
    ]
    report = EvaluationReport("stratified", 10, 42, "d", "f", "v", rows)
    vs = report.versus_best_peer()
    assert vs is not None and (vs["ours"], vs["peer"], vs["members"]) == ("a", "p", 4)
    assert vs["ndcg_difference"] == pytest.approx(0.1)
    assert (vs["better_for_members"], vs["worse_for_members"]) == (2, 1)
    assert vs["low"] <= 0.1 <= vs["high"]
    same = EvaluationReport(
        "stratified", 10, 42, "d", "f", "v", [rows[2], row("o", "ours", [0.4, 0.6, 0.3, 0.5])]
    )
    got = same.versus_best_peer()
    assert got is not None and (got["low"], got["high"]) == (0.0, 0.0)
    assert (
        EvaluationReport("stratified", 10, 42, "d", "f", "v", rows[:2]).versus_best_peer() is None
    )
