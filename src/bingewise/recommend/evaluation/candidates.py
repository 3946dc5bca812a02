"""What the evaluation compares: our models and the peers a user would pick instead.

Popularity counts as a peer (the baseline anyone would ship first).

A :class:`Candidate` builds a :class:`Ranker` from hyper-parameters and carries the grid it is
tuned over. Our models go through the shared contract (fit on the fit matrix, recommend for the
query rows). The peers are ``implicit``'s ``AlternatingLeastSquares`` and
``BayesianPersonalizedRanking`` used as their documentation shows (trained member factors,
``recommend(..., filter_already_liked_items=True)``), with their defaults and tuned.

For held-out members (strong protocol) implicit ALS folds them in with its own
``recalculate_user=True``; implicit BPR cannot fold in, so it is trained on the training members
plus the held-out members' fold-in rows (the same information, given at fit time instead).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking

from bingewise.recommend import MODELS, Recommender
from bingewise.recommend._common import single_blas_thread
from bingewise.recommend.base import fit_model
from bingewise.recommend.evaluation.matrices import FoldMatrices
from bingewise.recommend.session_blend import SessionBlend
from bingewise.recommend.session_ease import SessionEASE

__all__ = ["CANDIDATES", "Candidate", "Ranker", "candidate_names"]


class Ranker(Protocol):
    """Anything the evaluation can fit on a fold and ask for top-k lists."""

    def fit(self, m: FoldMatrices) -> None:
        """Learn from ``m.fit``."""

    def top_k(self, m: FoldMatrices, k: int) -> np.ndarray:
        """Item positions (evaluated members × k, best first, -1 padded), seen titles excluded."""


class ModelRanker:
    """One of our models, through the :class:`Recommender` contract."""

    def __init__(self, model: Recommender):
        self.model = model

    def fit(self, m: FoldMatrices) -> None:
        # Times of the fit interactions only (training input), never of held-out rows; the
        # catalogue's genres and years of the fit columns (no member data).
        fit_model(self.model, m.fit, times=m.fit_times, item_features=m.item_features)

    def top_k(self, m: FoldMatrices, k: int) -> np.ndarray:
        # A time-aware model reads the history's own times (query rows), never test times.
        times = m.query_times if getattr(self.model, "uses_times", False) else None
        ids, _ = self.model.recommend(m.query, k, filter_seen=True, times=times)
        return ids


class SessionEaseRanker(ModelRanker):
    """:class:`SessionEASE`, the fitted model kept for the last fit matrix and parameters, so
    tuning the genre term's weight (a part of scoring only) costs no new Gram inverse."""

    _cache: ClassVar[tuple[sp.csr_matrix, dict[str, Any], SessionEASE] | None] = None

    def __init__(self, **params: Any):
        super().__init__(SessionEASE(**params))

    def fit(self, m: FoldMatrices) -> None:
        model = self.model
        assert isinstance(model, SessionEASE)
        key = {**model.params(), "feature_term": 0.0}
        cached = SessionEaseRanker._cache
        if cached is not None and cached[0] is m.fit and cached[1] == key:
            fitted = cached[2]
        else:
            SessionEaseRanker._cache = None  # free the previous model first
            fitted = model.with_feature_term(0.0)
            fit_model(fitted, m.fit, times=m.fit_times, item_features=m.item_features)
            SessionEaseRanker._cache = (m.fit, key, fitted)
        self.model = fitted.with_feature_term(model.feature_term)


class SessionBlendRanker(ModelRanker):
    """:class:`SessionBlend` with its session-ease part fitted once per fold and parameters.

    Tuning tries several blends of the same session-ease part; the part (the costly Gram inverse)
    is kept for the last fit matrix seen (compared by identity), so the grid costs one fit.
    """

    _cache: ClassVar[tuple[sp.csr_matrix, dict[str, Any], SessionEASE] | None] = None

    def __init__(self, **params: Any):
        super().__init__(SessionBlend(**params))

    def fit(self, m: FoldMatrices) -> None:
        model = self.model
        assert isinstance(model, SessionBlend)
        key = model.ease.params()
        cached = SessionBlendRanker._cache
        if cached is not None and cached[0] is m.fit and cached[1] == key:
            ease = cached[2]
        else:
            SessionBlendRanker._cache = None  # free the previous part first
            ease = SessionEASE(**key).fit(m.fit, times=m.fit_times)
            SessionBlendRanker._cache = (m.fit, key, ease)
        model.fit_with(ease, m.fit, m.fit_times)


def _pad(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    ids = np.where(np.isfinite(scores) & (ids >= 0), ids, -1)
    if ids.shape[1] < k:
        ids = np.pad(ids, ((0, 0), (0, k - ids.shape[1])), constant_values=-1)
    return ids[:, :k]


class ImplicitALSPeer:
    """``implicit.cpu.als.AlternatingLeastSquares`` as its users call it."""

    def __init__(self, seed: int = 0, **params: Any):
        self.params = params
        self.seed = seed
        self.model: AlternatingLeastSquares | None = None

    def fit(self, m: FoldMatrices) -> None:
        with single_blas_thread():
            self.model = AlternatingLeastSquares(random_state=self.seed, **self.params)
            self.model.fit(m.fit, show_progress=False)

    def top_k(self, m: FoldMatrices, k: int) -> np.ndarray:
        assert self.model is not None
        with single_blas_thread():
            if np.all(m.eval_fit_rows >= 0) and _same_history(m):
                rows = m.eval_fit_rows
                ids, scores = self.model.recommend(
                    rows, m.fit[rows], N=k, filter_already_liked_items=True
                )
            else:
                ids, scores = self.model.recommend(
                    np.arange(m.query.shape[0]),
                    m.query,
                    N=k,
                    filter_already_liked_items=True,
                    recalculate_user=True,
                )
        return _pad(ids, scores, k)


class ImplicitBPRPeer:
    """``implicit.cpu.bpr.BayesianPersonalizedRanking`` as its users call it."""

    def __init__(self, seed: int = 0, **params: Any):
        self.params = params
        self.seed = seed
        self.model: BayesianPersonalizedRanking | None = None
        self.rows: np.ndarray | None = None
        self.history: sp.csr_matrix | None = None

    def fit(self, m: FoldMatrices) -> None:
        if np.all(m.eval_fit_rows >= 0) and _same_history(m):
            train = m.fit
            self.rows = m.eval_fit_rows
        else:
            train = sp.csr_matrix(sp.vstack([m.fit, m.query]))
            self.rows = m.fit.shape[0] + np.arange(m.query.shape[0])
        self.history = train
        with single_blas_thread():
            self.model = BayesianPersonalizedRanking(random_state=self.seed, **self.params)
            self.model.fit(train, show_progress=False)

    def top_k(self, m: FoldMatrices, k: int) -> np.ndarray:
        assert self.model is not None and self.rows is not None and self.history is not None
        with single_blas_thread():
            ids, scores = self.model.recommend(
                self.rows, self.history[self.rows], N=k, filter_already_liked_items=True
            )
        return _pad(ids, scores, k)


def _same_history(m: FoldMatrices) -> bool:
    """True when each evaluated member's query history is exactly their fit row."""
    rows = m.eval_fit_rows
    a = m.fit[rows]
    return bool(a.nnz == m.query.nnz and (a != m.query).nnz == 0)


def _grid(**axes: list[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


@dataclass(frozen=True)
class Candidate:
    """A row of the evaluation table: how to build it, its defaults, its tuning grid."""

    name: str
    kind: str  #: "ours" or "peer"
    build: Callable[..., Ranker]
    default: dict[str, Any]
    grid: list[dict[str, Any]]
    #: the parameter values that leave out the catalogue's genres and years (None: the model
    #: reads none): without a catalogue only the configurations with them are tried, and with
    #: one the table also shows the best of them (the model without genres, same run)
    without_side: dict[str, Any] | None = None

    def plain(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` leave the side information out (a missing one: its default 0)."""
        side = self.without_side or {}
        return all(params.get(k, v) == v for k, v in side.items())


def _ours(name: str) -> Callable[..., Ranker]:
    def build(seed: int = 0, **params: Any) -> Ranker:
        cls = MODELS[name]
        if name == "ials":
            params = {"seed": seed, **params}
        return ModelRanker(cls(**params))

    return build


_ALS_GRID = _grid(
    factors=[64, 128, 256],
    regularization=[0.01, 0.1, 1.0],
    alpha=[1.0, 2.0, 5.0],
    iterations=[15],
)


def _with_genres(base: list[dict[str, Any]], near: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``base`` (no side information), each configuration in ``near`` followed by its genre
    variants: pseudo-rows 0 or 100, genre term 0, 0.5 or 1 (consecutive, so that
    :class:`SessionEaseRanker` inverts each Gram matrix once)."""
    out: list[dict[str, Any]] = []
    for params in base:
        out.append(params)
        if params in near:
            out += [
                {**params, "feature_rows": rows, "feature_term": term}
                for rows in (0.0, 100.0)
                for term in (0.0, 0.5, 1.0)
                if rows or term
            ]
    return out


_SESSION_EASE_GRID = _with_genres(
    _grid(l2=[100.0, 150.0, 250.0, 400.0], tau=[0.005, 0.01], weight=[0.75, 0.9, 1.0]),
    _grid(l2=[150.0, 250.0], tau=[0.005], weight=[0.9]),
)

#: Every candidate by name. "tuned" variants are tuned on a validation split of the fit rows.
CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate("popular", "peer", _ours("popular"), {}, [{}]),
        Candidate(
            "itemknn",
            "ours",
            _ours("itemknn"),
            {"k": 100, "shrinkage": 10.0},
            _grid(k=[25, 50, 100, 200, 400], shrinkage=[0.0, 10.0, 50.0]),
        ),
        Candidate(
            "rp3beta",
            "ours",
            _ours("rp3beta"),
            {"alpha": 1.0, "beta": 0.3, "k": 200},
            _grid(alpha=[0.6, 0.8, 1.0], beta=[0.2, 0.3, 0.4], k=[100, 200, 400]),
        ),
        Candidate(
            "ease",
            "ours",
            _ours("ease"),
            {"l2": 500.0},
            _grid(l2=[50.0, 100.0, 200.0, 400.0, 800.0, 1600.0]),
        ),
        Candidate(
            "session-ease",
            "ours",
            lambda seed=0, **params: SessionEaseRanker(**params),
            {"l2": 200.0, "tau": 0.01, "weight": 0.6},
            _SESSION_EASE_GRID,
            without_side={"feature_rows": 0.0, "feature_term": 0.0},
        ),
        Candidate(
            "time-popular",
            "ours",
            _ours("time-popular"),
            {"sigma": 100.0, "beta": 0.0},
            _grid(sigma=[10.0, 30.0, 100.0, 365.0], beta=[0.0, 0.5]),
        ),
        Candidate(
            "session-blend",
            "ours",
            lambda seed=0, **params: SessionBlendRanker(**params),
            {"l2": 150.0, "tau": 0.01, "weight": 0.9, "sitting_power": 0.5, "mix": 0.2},
            _grid(
                l2=[150.0],
                tau=[0.01],
                weight=[0.9],
                sitting_power=[0.0, 0.25, 0.5],
                sigma=[30.0],
                beta=[0.5],
                mix=[0.0, 0.1, 0.2, 0.3],
            ),
        ),
        Candidate(
            "ials",
            "ours",
            _ours("ials"),
            {"factors": 64, "regularization": 0.01, "alpha": 1.0, "iterations": 15},
            _ALS_GRID,
        ),
        Candidate("implicit-als", "peer", ImplicitALSPeer, {}, _ALS_GRID),
        Candidate(
            "implicit-bpr",
            "peer",
            ImplicitBPRPeer,
            {},
            _grid(
                factors=[64, 128, 256],
                learning_rate=[0.01, 0.05, 0.1],
                regularization=[0.001, 0.01],
                iterations=[100, 300],
            ),
        ),
    )
}


def candidate_names() -> list[str]:
    """Candidate names in table order."""
    return list(CANDIDATES)
