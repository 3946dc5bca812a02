"""The contract every recommender follows (in the spirit of implicit and LensKit).

Models work on a members × titles matrix of confidences (``scipy.sparse.csr_matrix``, float32),
indexed by row and column positions; :class:`Interactions` carries the mapping to member and
title ids. ``recommend`` has batch semantics: many members at once, seen titles excluded by
default. Models save to ``.npz`` with ``allow_pickle=False`` and load without running code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from bingewise.recommend.features import ItemFeatures
    from bingewise.recommend.time_popular import TimePopular

__all__ = [
    "Interactions",
    "Recommender",
    "candidate_mask",
    "fit_model",
    "item_positions",
    "top_n",
]


@dataclass(frozen=True)
class Interactions:
    """A confidence matrix with the ids of its rows (members) and columns (titles)."""

    matrix: sp.csr_matrix  #: shape (len(member_ids), len(title_ids)), float32 confidences
    member_ids: np.ndarray  #: int64, row i is member member_ids[i]
    title_ids: np.ndarray  #: int64, column j is title title_ids[j]


class Recommender(ABC):
    """Base class: ``fit`` / ``recommend`` / ``similar_items`` / ``save`` / ``load``."""

    name: ClassVar[str]
    #: whether a member's scores depend on their history (popularity: no; its similar items are
    #: the popular ones, so the home page makes no "Because you watched" rows from it)
    personalized: ClassVar[bool] = True
    #: whether a personalized model's scores come from what members took together (its picks
    #: are the neighbours of the member's titles, its ``similar_items`` "members who took X also
    #: took Y"): the home page's pair rule and "Because you watched" rows apply to it, and
    #: training keeps its pair counts. Time-local popularity scores from *when* the member
    #: watched instead (:meth:`time_local`)
    co_watched: ClassVar[bool] = True
    #: whether ``fit`` reads the times of the interactions (``times=``, same sparsity, UTC s)
    uses_times: ClassVar[bool] = False
    #: whether ``fit`` reads the catalogue's genres and years (``item_features=``,
    #: :class:`~bingewise.recommend.features.ItemFeatures` aligned with the columns)
    uses_features: ClassVar[bool] = False
    #: whether the time-local part (:meth:`time_local`) is one part of a blend the model can
    #: score a title without (:meth:`score_counted`; session-blend): the home page then gives a
    #: title too few members took around the member's times no time-local part instead of
    #: leaving it out. False (time-popular): the part is the whole score, the title is left out
    blends_time_local: ClassVar[bool] = False

    @abstractmethod
    def fit(self, user_items: sp.csr_matrix) -> Self:
        """Learn from a users × items confidence matrix."""

    def time_local(self) -> TimePopular | None:
        """The time-local popularity part of the scores, if any (what everyone took around the
        member's own times): the home page shows a pick only when enough members took it then
        (:meth:`~bingewise.recommend.time_popular.TimePopular.viewers_near`). None: no such
        part (this default)."""
        return None

    @abstractmethod
    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Dense scores (users × items) for the users whose history rows are given."""

    def score_at(self, user_items: sp.csr_matrix, times: sp.csr_matrix) -> np.ndarray:
        """Scores for history rows whose times are known (``times``: same sparsity, UTC seconds).

        Most models ignore the times (this default); models that read a member's history in time
        order (``uses_times``) override it. The times are those of the history itself, never of
        what is to be predicted.
        """
        return self.score(user_items)

    def score_counted(
        self, user_items: sp.csr_matrix, times: sp.csr_matrix, counted: np.ndarray
    ) -> np.ndarray:
        """:meth:`score_at` with the time-local part kept only where ``counted`` (rows x
        titles, bool): a title outside it is scored by the model's other parts alone. Only for
        models that blend such a part (``blends_time_local``); the others raise."""
        raise NotImplementedError(f"{self.name} blends no time-local part")

    @classmethod
    def state_without(
        cls, state: dict[str, np.ndarray], taken: sp.csr_matrix, times: sp.csr_matrix
    ) -> dict[str, np.ndarray]:
        """:meth:`state` (as saved) with the interactions ``taken`` (members x titles, 1.0
        where a member took a title, as training counted it) at ``times`` (UTC seconds, same
        pattern) taken out of what the model keeps as plain counts (time-popular's counts per
        day and title): erasure calls it so an erased member stops counting at once. Weights
        learnt from the interactions need a retraining; by default nothing is counted, and the
        state comes back as it is."""
        del taken, times
        return dict(state)

    def recommend(
        self,
        user_items: sp.csr_matrix,
        n: int = 10,
        *,
        filter_seen: bool = True,
        allowed: np.ndarray | None = None,
        excluded: np.ndarray | None = None,
        batch_size: int | None = None,
        times: sp.csr_matrix | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` item positions and scores for each row of ``user_items``.

        ``allowed`` (item positions) restricts candidates; ``excluded`` removes some. Rows with
        fewer than ``n`` candidates are padded with position -1 and score ``-inf``. Rows are
        scored in chunks of ``batch_size`` (default: about 64 MB of float64 scores per chunk), so
        memory stays flat however many members are asked for at once. ``times`` (same sparsity
        as ``user_items``, UTC seconds) goes to :meth:`score_at` for models that use it.
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        user_items = sp.csr_matrix(user_items)
        if times is not None:
            times = sp.csr_matrix(times)
            if times.shape != user_items.shape:
                raise ValueError("times must have the shape of user_items")
        n_users, n_items = user_items.shape
        if batch_size is None:
            batch_size = max(1, (64 << 20) // (8 * max(n_items, 1)))
        mask = candidate_mask(n_items, allowed, excluded)
        ids = np.full((n_users, n), -1, dtype=np.int64)
        top = np.full((n_users, n), -np.inf, dtype=np.float64)
        for start in range(0, n_users, batch_size):
            rows = user_items[start : start + batch_size]
            raw = (
                self.score(rows)
                if times is None
                else self.score_at(rows, times[start : start + batch_size])
            )
            scores = np.array(raw, dtype=np.float64, copy=True)
            ids[start : start + rows.shape[0]], top[start : start + rows.shape[0]] = top_n(
                scores, n, seen=rows if filter_seen else None, mask=mask
            )
        return ids, top

    @abstractmethod
    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """For each item position, the ``n`` most similar other items and their similarity."""

    @abstractmethod
    def state(self) -> dict[str, np.ndarray]:
        """Arrays that fully describe the fitted model (plain dtypes, no objects)."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted model from :meth:`state`."""

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as ``.npz`` (no pickle)."""
        arrays: dict[str, Any] = dict(self.state())
        arrays["__model__"] = np.array(self.name)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`; refuses a file of another model."""
        with np.load(path, allow_pickle=False) as data:
            name = str(data["__model__"])
            if name != cls.name:
                raise ValueError(f"{path}: holds a {name!r} model, not {cls.name!r}")
            return cls.from_state({k: data[k] for k in data.files if k != "__model__"})


def fit_model(
    model: Recommender,
    user_items: sp.csr_matrix,
    *,
    times: sp.csr_matrix | None = None,
    item_features: ItemFeatures | None = None,
) -> Recommender:
    """Fit ``model`` with what it can read: ``times`` only if it ``uses_times``, the catalogue's
    ``item_features`` only if it ``uses_features`` (the others ignore them)."""
    extra: dict[str, Any] = {}
    if type(model).uses_times:
        extra["times"] = times
    if type(model).uses_features and item_features is not None:
        extra["item_features"] = item_features
    model.fit(user_items, **extra)
    return model


def candidate_mask(
    n_items: int, allowed: np.ndarray | None, excluded: np.ndarray | None
) -> np.ndarray | None:
    """Boolean mask of item positions that may *not* be recommended (None: all may)."""
    if allowed is None and excluded is None:
        return None
    mask = np.zeros(n_items, dtype=bool)
    if allowed is not None:
        mask[:] = True
        mask[np.asarray(allowed, dtype=np.int64)] = False
    if excluded is not None:
        mask[np.asarray(excluded, dtype=np.int64)] = True
    return mask


def top_n(
    scores: np.ndarray,
    n: int,
    *,
    seen: sp.csr_matrix | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``n`` columns per row of ``scores`` (modified in place), best first.

    ``seen`` entries and ``mask`` columns are excluded. Ties go to the lower column position.
    Rows with fewer than ``n`` candidates are padded with position -1 and score ``-inf``.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    if seen is not None and seen.nnz:
        coo = seen.tocoo()
        scores[coo.row, coo.col] = -np.inf
    if mask is not None:
        scores[:, mask] = -np.inf
    n_rows, n_items = scores.shape
    n_eff = min(n, n_items)
    if n_eff == 0:
        return np.full((n_rows, n), -1, dtype=np.int64), np.full((n_rows, n), -np.inf)
    part = np.argpartition(-scores, n_eff - 1, axis=1)[:, :n_eff]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    ids = np.take_along_axis(part, order, axis=1)
    top = np.take_along_axis(part_scores, order, axis=1)
    ids = np.where(np.isfinite(top), ids, -1)
    if n_eff < n:
        ids = np.pad(ids, ((0, 0), (0, n - n_eff)), constant_values=-1)
        top = np.pad(top, ((0, 0), (0, n - n_eff)), constant_values=-np.inf)
    return ids.astype(np.int64), top


def item_positions(items: np.ndarray | int, n_items: int) -> np.ndarray:
    """``items`` as int64 item positions, each in ``0 .. n_items - 1`` (``ValueError`` naming
    the first that is not: a negative position would silently wrap to the last items)."""
    positions = np.atleast_1d(np.asarray(items, dtype=np.int64))
    bad = (positions < 0) | (positions >= n_items)
    if bad.any():
        raise ValueError(
            f"item position {int(positions[bad][0])} is not one of the model's "
            f"{n_items:,} items (0 to {n_items - 1:,})"
        )
    return positions


def sparse_neighbours(
    similarity: sp.csr_matrix, items: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` strongest non-zero entries of each of ``items``' rows of a sparse item-item matrix.

    Zero entries are not neighbours: a row with fewer than ``n`` is padded as in :func:`top_n`.
    """
    items = item_positions(items, similarity.shape[0])
    sims = np.asarray(similarity[items].todense(), dtype=np.float64)
    sims[sims == 0] = -np.inf
    return top_n(sims, n)
