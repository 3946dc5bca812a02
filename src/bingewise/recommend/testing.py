"""Conformance tests every recommender must pass (inherit :class:`RecommenderConformance`).

The oracle is a planted checkerboard (after ``implicit``'s ``tests/recommender_base_test.py``):
member u likes title i exactly when ``u + i`` is even, so titles fall into two blocks. Each
member has one liked title held out; a personalized model must rank that title first (it is the
only unseen title of the member's block), must never return seen titles, must honour
allowed/excluded filters, and must name only same-block partners as similar titles. Saving and
loading must give identical recommendations, refuse another model's file, and need no pickle.

Models that read times (``uses_times``) can run the same tests on planted times
(``planted_times = True``): the two blocks were taken in two eras 1,000 days apart
(:func:`checkerboard_times`), so a model that learns from *when* titles were taken meets the same
oracle; it is then fitted with ``times=`` and scored with the history's times.

Models that read the catalogue (``uses_features``) can run them with planted genres and years
(``planted_features = True``, :func:`checkerboard_features`): the two blocks are two genres and
two decades, so the side information agrees with the oracle and must not break it.

Usage in a test module::

    class TestEASE(RecommenderConformance):
        model_class = EASE
        params = {"l2": 1.0}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from bingewise.recommend.base import Recommender, fit_model
from bingewise.recommend.features import ItemFeatures

__all__ = [
    "RecommenderConformance",
    "checkerboard",
    "checkerboard_features",
    "checkerboard_times",
    "held_out_checkerboard",
]


def checkerboard(n: int = 50) -> sp.csr_matrix:
    """``n × n`` binary matrix with a 1 where ``row + column`` is even."""
    rows, cols = np.indices((n, n))
    return sp.csr_matrix(((rows + cols) % 2 == 0).astype(np.float32))


def held_out_checkerboard(n: int = 50, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """The checkerboard with one random liked title removed per member; (matrix, held-out)."""
    rng = np.random.default_rng(seed)
    full = checkerboard(n).toarray()
    held = np.array([rng.choice(np.flatnonzero(full[u])) for u in range(n)])
    full[np.arange(n), held] = 0.0
    return sp.csr_matrix(full), held


def checkerboard_times(x: sp.csr_matrix) -> sp.csr_matrix:
    """Times (UTC seconds) with the sparsity of ``x``: even titles in one era, odd titles 1,000
    days later; within an era, member u's title j at ``u`` hours plus ``j`` minutes."""
    coo = sp.csr_matrix(x).tocoo()
    t = 1.5e9 + (coo.col % 2) * 1_000 * 86_400.0 + coo.row * 3_600.0 + coo.col * 60.0
    out = sp.csr_matrix((t, (coo.row, coo.col)), shape=x.shape)
    out.sort_indices()
    return out


def checkerboard_features(n: int = 50) -> ItemFeatures:
    """Genres and years of the checkerboard's titles: even titles "Even" from the 1980s, odd
    titles "Odd" from the 2000s; every third title also "Common" (across both blocks)."""
    genres = [
        ["Even" if j % 2 == 0 else "Odd"] + (["Common"] if j % 3 == 0 else []) for j in range(n)
    ]
    years = [1985.0 if j % 2 == 0 else 2005.0 for j in range(n)]
    return ItemFeatures.from_lists(genres, years)


class RecommenderConformance:
    """Mixin of tests; set ``model_class`` (and ``params``) in the inheriting test class."""

    model_class: ClassVar[type[Recommender]]
    params: ClassVar[dict[str, Any]] = {}
    size: ClassVar[int] = 50
    planted_times: ClassVar[bool] = False  #: fit and score with :func:`checkerboard_times`
    planted_features: ClassVar[bool] = False  #: fit with :func:`checkerboard_features`

    def make(self) -> Recommender:
        """A fresh, unfitted model."""
        return self.model_class(**self.params)

    def fitted(self) -> tuple[Recommender, sp.csr_matrix, np.ndarray]:
        """A model fitted on the held-out checkerboard, the matrix and the held-out titles."""
        x, held = held_out_checkerboard(self.size)
        model = self.make()
        fit_model(
            model,
            x,
            times=checkerboard_times(x) if self.planted_times else None,
            item_features=checkerboard_features(self.size) if self.planted_features else None,
        )
        return model, x, held

    def recommend(
        self, model: Recommender, x: sp.csr_matrix, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """``model.recommend(x, ...)``, with the history's planted times when the test uses them."""
        times = checkerboard_times(x) if self.planted_times else None
        return model.recommend(x, times=times, **kwargs)

    def scores(self, model: Recommender, x: sp.csr_matrix) -> np.ndarray:
        """``model.score(x)``, or ``score_at`` with the planted times."""
        if self.planted_times:
            return np.asarray(model.score_at(x, checkerboard_times(x)), dtype=np.float64)
        return np.asarray(model.score(x), dtype=np.float64)

    def test_held_out_title_comes_first(self) -> None:
        model, x, held = self.fitted()
        ids, scores = self.recommend(model, x, n=1)
        assert ids.shape == (self.size, 1)
        np.testing.assert_array_equal(ids[:, 0], held)
        assert np.all(np.isfinite(scores))

    def test_block_ranked_above_the_other_block(self) -> None:
        model, x, held = self.fitted()
        scores = self.scores(model, x)
        parity = np.arange(self.size) % 2
        for u in range(0, self.size, 7):
            same = scores[u, parity == u % 2]
            other = scores[u, parity != u % 2]
            assert scores[u, held[u]] > other.max()
            assert np.median(same) > np.median(other)

    def test_seen_titles_excluded(self) -> None:
        model, x, _ = self.fitted()
        ids, _ = self.recommend(model, x, n=self.size)
        for u in range(self.size):
            listed = ids[u][ids[u] >= 0]
            assert not set(listed) & set(x[u].indices)
            assert len(set(listed)) == len(listed)
            assert len(listed) == self.size - x[u].nnz  # every unseen title, each once
        ids_all, _ = self.recommend(model, x, n=self.size, filter_seen=False)
        assert np.all(ids_all >= 0)

    def test_allowed_and_excluded(self) -> None:
        model, x, held = self.fitted()
        allowed = np.arange(0, self.size, 3)
        ids, _ = self.recommend(model, x, n=5, allowed=allowed)
        assert set(ids[ids >= 0]) <= set(allowed)
        ids, _ = self.recommend(model, x, n=3, excluded=held[:1])
        assert held[0] not in ids[0]
        ids, _ = self.recommend(model, x, n=1, allowed=held[:1], excluded=held[:1])
        assert np.all(ids == -1)

    def test_padding_when_too_few_candidates(self) -> None:
        model, x, _ = self.fitted()
        ids, scores = self.recommend(model, x[:2], n=self.size + 5)
        assert ids.shape == (2, self.size + 5)
        assert np.all(ids[:, -5:] == -1)
        assert np.all(np.isneginf(scores[:, -5:]))

    def test_batches_give_the_same_answer(self) -> None:
        model, x, _ = self.fitted()
        whole, _ = self.recommend(model, x, n=7)
        chunked, _ = self.recommend(model, x, n=7, batch_size=3)
        np.testing.assert_array_equal(whole, chunked)

    def test_similar_items_are_block_partners(self) -> None:
        model, _, _ = self.fitted()
        items = np.array([0, 1, 10, 23])
        ids, sims = model.similar_items(items, n=5)
        assert ids.shape == (4, 5)
        for item, row, sim in zip(items, ids, sims, strict=True):
            assert item not in row
            assert np.all(row % 2 == item % 2)
            assert np.all(np.diff(sim) <= 1e-9)

    def test_bad_positions_and_counts_are_refused(self) -> None:
        """A position outside the model (a negative one would wrap to the last titles) and a
        negative count are errors, not someone else's neighbours or a numpy traceback."""
        model, x, _ = self.fitted()
        calls: list[tuple[str, Any]] = [
            (
                f"item position {bad} is not one of",
                lambda b=bad: model.similar_items(np.array([0, b]), n=3),
            )
            for bad in (-1, self.size)
        ]
        calls.append(("n must be 0 or more", lambda: self.recommend(model, x[:1], n=-1)))
        for said, call in calls:
            try:
                call()
            except ValueError as exc:
                assert said in str(exc), exc
            else:  # pragma: no cover - the failure being tested for
                raise AssertionError(f"accepted: expected an error saying {said!r}")
        ids, _ = self.recommend(model, x[:1], n=0)
        assert ids.shape == (1, 0)

    def test_save_load_round_trip(self, tmp_path: Path) -> None:
        model, x, _ = self.fitted()
        path = tmp_path / "model.npz"
        model.save(path)
        loaded = self.model_class.load(path)
        a_ids, a_scores = self.recommend(model, x, n=10)
        b_ids, b_scores = self.recommend(loaded, x, n=10)
        np.testing.assert_array_equal(a_ids, b_ids)
        np.testing.assert_allclose(a_scores, b_scores, rtol=1e-6)
        sim_a, _ = model.similar_items(np.arange(5), n=4)
        sim_b, _ = loaded.similar_items(np.arange(5), n=4)
        np.testing.assert_array_equal(sim_a, sim_b)

    def test_saved_file_needs_no_pickle(self, tmp_path: Path) -> None:
        model, _, _ = self.fitted()
        path = tmp_path / "model.npz"
        model.save(path)
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                assert data[key].dtype != object, key

    def test_load_refuses_another_models_file(self, tmp_path: Path) -> None:
        path = tmp_path / "other.npz"
        np.savez(path, __model__=np.array("not-" + self.model_class.name), x=np.zeros(2))
        try:
            self.model_class.load(path)
        except ValueError as exc:
            assert "not-" + self.model_class.name in str(exc)
        else:  # pragma: no cover - the failure being tested for
            raise AssertionError("load accepted another model's file")

    def test_unfitted_model_refuses_to_score(self) -> None:
        x, _ = held_out_checkerboard(self.size)
        try:
            self.make().score(x)
        except RuntimeError:
            pass
        else:  # pragma: no cover - the failure being tested for
            raise AssertionError("an unfitted model scored")
