"""Session-ease with the catalogue's genres and years: conformance with the parts on, dense
oracles for both parts, and a planted pair of titles linked only by a rare genre."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from bingewise.recommend import SessionEASE
from bingewise.recommend.base import fit_model
from bingewise.recommend.ease import ease_weights
from bingewise.recommend.features import ItemFeatures, title_year
from bingewise.recommend.testing import RecommenderConformance


class TestSessionEASEWithGenres(RecommenderConformance):
    model_class = SessionEASE
    params: ClassVar[dict[str, Any]] = {
        "l2": 5.0,
        "tau": 0.01,
        "weight": 0.6,
        "feature_rows": 10.0,
        "feature_term": 1.0,
    }
    planted_times = True
    planted_features = True


def _rare_genre_world() -> tuple[sp.csr_matrix, ItemFeatures]:
    """Ten titles. Members take titles 0-7 in overlapping runs; title 8 is taken with 0-3 only
    and title 9 with 4-7 only, so no member ever took 8 and 9 together. Titles 8 and 9 share a
    rare genre "Noir"; every title is "Drama"; 0-3 are "Comedy", 4-7 "Action"."""
    rows = []
    for start in range(4):
        rows.append([start % 4, (start + 1) % 4, 8])
        rows.append([4 + start % 4, 4 + (start + 1) % 4, 9])
        rows.append([start % 4, (start + 2) % 4, (start + 3) % 4])
        rows.append([4 + start % 4, 4 + (start + 2) % 4])
    x = np.zeros((len(rows), 10), dtype=np.float32)
    for u, titles in enumerate(rows):
        x[u, titles] = 1.0
    assert not (x[:, 8] * x[:, 9]).any()  # never co-watched
    genres = [["Drama", "Comedy"]] * 4 + [["Drama", "Action"]] * 4 + [["Drama", "Noir"]] * 2
    return sp.csr_matrix(x), ItemFeatures.from_lists(genres, [np.nan] * 10)


def _rank_of(scores: np.ndarray, title: int, seen: list[int]) -> int:
    s = np.array(scores, dtype=np.float64)
    s[seen] = -np.inf
    return int((s > s[title]).sum())


def test_rare_genre_links_titles_never_co_watched() -> None:
    x, features = _rare_genre_world()
    history = sp.csr_matrix(np.eye(10, dtype=np.float32)[[8]])  # a member who took 8 alone
    plain = fit_model(SessionEASE(l2=1.0), x, item_features=features)
    assert _rank_of(plain.score(history)[0], 9, [8]) > 0  # co-watching alone: 9 is not first
    on = fit_model(SessionEASE(l2=1.0, feature_term=1.0), x, item_features=features)
    assert _rank_of(on.score(history)[0], 9, [8]) == 0  # the genre term puts 9 first
    rows = fit_model(SessionEASE(l2=1.0, feature_rows=100.0), x, item_features=features)
    assert rows.weights is not None and plain.weights is not None
    assert rows.weights[8, 9] > 0.05 > abs(plain.weights[8, 9])  # the pseudo-row links them
    assert _rank_of(rows.score(history)[0], 9, [8]) == 0
    # Without the catalogue, the weights change nothing.
    off = fit_model(SessionEASE(l2=1.0, feature_rows=100.0, feature_term=1.0), x)
    np.testing.assert_array_equal(off.score(history), plain.score(history))


def test_pseudo_rows_match_a_dense_oracle() -> None:
    """Weights are EASE on XᵀX + β·mean(diag XᵀX)·Σ_f a_f a_fᵀ, a_f the feature's titles over
    √(their number), the features being the genres and the decades of the known years."""
    rng = np.random.default_rng(3)
    x = (rng.random((30, 8)) < 0.4).astype(np.float64)
    genres = [["A"] if j < 3 else ["B", "C"] if j < 6 else [] for j in range(8)]
    years = [1991.0, 1999.0, 2004.0, np.nan, 1975.0, 2001.0, np.nan, 1993.0]
    features = ItemFeatures.from_lists(genres, years)
    members = [{0, 1, 2}, {3, 4, 5}, {3, 4, 5}, {0, 1, 7}, {2, 5}, {4}]  # A, B, C, 90s, 00s, 70s
    g = x.T @ x
    extra = np.zeros_like(g)
    for titles in members:
        a = np.zeros(8)
        a[list(titles)] = 1.0 / np.sqrt(len(titles))
        extra += np.outer(a, a)
    beta, l2 = 7.0, 2.0
    expected = ease_weights(g + beta * np.mean(np.diag(g)) * extra, l2)
    model = SessionEASE(l2=l2, feature_rows=beta).fit(sp.csr_matrix(x), item_features=features)
    assert model.weights is not None
    np.testing.assert_allclose(model.weights, expected, atol=1e-5)


def test_genre_term_matches_a_brute_force_oracle() -> None:
    """Scores are z(x·B) + γ·z(mean genre cosine), z over each member's untaken titles, the
    genre vectors idf-weighted (ln(titles / (1 + titles of the genre))), computed by loops."""
    rng = np.random.default_rng(5)
    x = (rng.random((25, 9)) < 0.35).astype(np.float32)
    genres = [["A", "B"], ["A"], ["C"], [], ["B", "C"], ["A", "C"], ["B"], ["A"], ["C"]]
    features = ItemFeatures.from_lists(genres, [np.nan] * 9)
    gamma = 0.7
    model = SessionEASE(l2=3.0, feature_term=gamma).fit(sp.csr_matrix(x), item_features=features)
    assert model.weights is not None
    names = ["A", "B", "C"]
    idf = {g: np.log(9 / (1 + sum(g in gs for gs in genres))) for g in names}
    vec = np.array([[idf[g] if g in gs else 0.0 for g in names] for gs in genres])
    vec = np.array([v / np.linalg.norm(v) if v.any() else v for v in vec])
    history = (rng.random((6, 9)) < 0.3).astype(np.float32)
    history[0] = 0.0  # an empty history scores 0 + 0
    got = model.score(sp.csr_matrix(history))
    for u in range(6):
        taken = np.flatnonzero(history[u])
        ease = history[u].astype(np.float64) @ model.weights
        genre = np.array(
            [sum(vec[i] @ vec[j] for i in taken) / max(len(taken), 1) for j in range(9)]
        )
        free = [j for j in range(9) if j not in taken]

        def z(s: np.ndarray, free: list[int] = free) -> np.ndarray:
            return (s - s[free].mean()) / np.sqrt(s[free].var() + 1e-12)

        np.testing.assert_allclose(got[u], z(ease) + gamma * z(genre), atol=1e-4)


def test_genre_term_round_trips_and_weight_zero_is_plain(tmp_path: Path) -> None:
    x, features = _rare_genre_world()
    history = sp.csr_matrix(np.eye(10, dtype=np.float32)[[8, 0]])
    model = fit_model(SessionEASE(l2=1.0, feature_term=1.0), x, item_features=features)
    model.save(tmp_path / "m.npz")
    loaded = SessionEASE.load(tmp_path / "m.npz")
    assert loaded.params() == model.params()
    np.testing.assert_allclose(loaded.score(history), model.score(history), rtol=1e-6)
    zero = model.with_feature_term(0.0)
    plain = fit_model(SessionEASE(l2=1.0), x, item_features=features)
    np.testing.assert_array_equal(zero.score(history), plain.score(history))
    zero.save(tmp_path / "z.npz")
    with np.load(tmp_path / "z.npz", allow_pickle=False) as data:
        assert "genre_vectors_data" not in data.files  # nothing kept that is not used


def test_features_take_and_years() -> None:
    f = ItemFeatures.from_lists([["X"], ["Y", "X"], []], [2001.0, np.nan, 1968.0])
    taken = f.take(np.array([2, 0, 1]), known=np.array([True, True, False]))
    assert taken.genres.toarray().tolist() == [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    np.testing.assert_array_equal(taken.years, [1968.0, 2001.0, np.nan])
    assert title_year("Heat (1995)") == 1995.0
    assert title_year("Heat (1995) ") == 1995.0
    assert np.isnan(title_year("2001: A Space Odyssey"))
