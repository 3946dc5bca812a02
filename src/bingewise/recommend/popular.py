"""Popularity: the titles most members watched, globally or in a member's country.

Not personalized (every member of a country gets the same list, minus what they have seen), which
makes it both the baseline every model must beat and the fallback for new members and for members
who did not consent to personalization.

Popularity of a title is the number of members who interacted with it, each interaction weighted
by ``0.5 ** (age_days / half_life_days)`` when a half-life is given (recency weighting), and
ignored when older than ``window_days`` (e.g. 1 for "last 24 hours", 7 for "last 7 days").

>>> import scipy.sparse as sp
>>> x = sp.csr_matrix([[1, 1, 0], [0, 1, 0], [0, 1, 1]], dtype="float32")
>>> Popular().fit(x).top(2).tolist()
[1, 0]
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from bingewise.recommend._common import PARAMS_KEY, as_csr, pack_params, unpack_params
from bingewise.recommend.base import Recommender, candidate_mask, item_positions, top_n

__all__ = ["Popular"]

_DAY = 86_400.0


class Popular(Recommender):
    """Most-watched titles, optionally recency-weighted and per country.

    Parameters
    ----------
    half_life_days:
        Interactions lose half their weight every this many days (None: no decay).
    window_days:
        Interactions older than this many days are ignored (None: all count).
    """

    name: ClassVar[str] = "popular"
    personalized: ClassVar[bool] = False
    co_watched: ClassVar[bool] = False  #: a platform ranking: the item minimum alone applies

    def __init__(self, half_life_days: float | None = None, window_days: float | None = None):
        if half_life_days is not None and half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if window_days is not None and window_days <= 0:
            raise ValueError("window_days must be positive")
        self.half_life_days = half_life_days
        self.window_days = window_days
        self.counts: np.ndarray | None = None  #: (n_items,) weighted member counts
        self.countries = np.zeros(0, dtype="<U8")  #: country codes with their own counts
        self.country_counts = np.zeros((0, 0))  #: (n_countries, n_items)

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {"half_life_days": self.half_life_days, "window_days": self.window_days}

    def fit(
        self,
        user_items: sp.csr_matrix,
        *,
        countries: np.ndarray | None = None,
        times: sp.csr_matrix | None = None,
        now: float | None = None,
    ) -> Self:
        """Count members per title.

        Parameters
        ----------
        user_items:
            members × titles; any positive entry is one interaction.
        countries:
            One country code per row (members' countries); enables per-country lists.
        times:
            Same shape and sparsity as ``user_items``: UTC seconds since the epoch of each
            interaction. Needed for ``half_life_days`` and ``window_days``.
        now:
            The reference time in UTC seconds (default: the latest interaction).
        """
        x = as_csr(user_items)
        weights = (x.data > 0).astype(np.float64)
        if self.half_life_days is not None or self.window_days is not None:
            if times is None:
                raise ValueError("recency weighting needs the interactions' times")
            t = as_csr(times, dtype=np.float64)
            if t.shape != x.shape or t.nnz != x.nnz or not np.array_equal(t.indices, x.indices):
                raise ValueError("times must have the same shape and sparsity as user_items")
            ref = float(t.data.max(initial=0.0)) if now is None else float(now)
            age_days = np.maximum(ref - t.data, 0.0) / _DAY
            if self.half_life_days is not None:
                weights *= 0.5 ** (age_days / self.half_life_days)
            if self.window_days is not None:
                weights *= age_days <= self.window_days
        w = sp.csr_matrix((weights, x.indices, x.indptr), shape=x.shape)
        self.counts = np.asarray(w.sum(axis=0)).ravel()
        if countries is not None:
            codes = np.asarray(countries).astype(str)
            if len(codes) != x.shape[0]:
                raise ValueError("countries needs one code per row of user_items")
            self.countries, inverse = np.unique(codes, return_inverse=True)
            onehot = sp.csr_matrix(
                (np.ones(len(codes)), (inverse, np.arange(len(codes)))),
                shape=(len(self.countries), len(codes)),
            )
            self.country_counts = np.asarray((onehot @ w).todense())
        else:
            self.countries = np.zeros(0, dtype="<U8")
            self.country_counts = np.zeros((0, x.shape[1]))
        return self

    def _fitted(self) -> np.ndarray:
        if self.counts is None:
            raise RuntimeError("fit the model first")
        return self.counts

    def popularity(self, country: str | None = None) -> np.ndarray:
        """Weighted member counts per title, in ``country`` (global when None or unknown)."""
        counts = self._fitted()
        if country is not None:
            hit = np.flatnonzero(self.countries == country)
            if len(hit):
                return np.asarray(self.country_counts[hit[0]], dtype=np.float64)
        return counts

    def _ranking_scores(self, counts: np.ndarray) -> np.ndarray:
        """Counts plus a tie-break towards the global count (then the lower position)."""
        glob = self._fitted()
        scale = glob.max(initial=0.0) + 1.0
        return counts + glob / (scale * 2.0)

    def score(
        self, user_items: sp.csr_matrix, *, countries: np.ndarray | None = None
    ) -> np.ndarray:
        """The same popularity scores for every row (its country's when ``countries`` given)."""
        n_rows = user_items.shape[0]
        if countries is None:
            return np.tile(self._ranking_scores(self._fitted()), (n_rows, 1))
        codes = np.asarray(countries).astype(str)
        if len(codes) != n_rows:
            raise ValueError("countries needs one code per row of user_items")
        out = np.empty((n_rows, self._fitted().shape[0]))
        for code in np.unique(codes):
            out[codes == code] = self._ranking_scores(self.popularity(code))
        return out

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
        countries: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`Recommender.recommend`, with each row's country list when ``countries``.

        ``times`` is accepted for the shared contract and not read (popularity is not timed).
        """
        if countries is None:
            return super().recommend(
                user_items,
                n,
                filter_seen=filter_seen,
                allowed=allowed,
                excluded=excluded,
                batch_size=batch_size,
            )
        codes = np.asarray(countries).astype(str)
        if len(codes) != user_items.shape[0]:
            raise ValueError("countries needs one code per row of user_items")
        x = sp.csr_matrix(user_items)
        mask = candidate_mask(x.shape[1], allowed, excluded)
        ids = np.full((x.shape[0], n), -1, dtype=np.int64)
        top = np.full((x.shape[0], n), -np.inf)
        step = batch_size or max(1, (64 << 20) // (8 * max(x.shape[1], 1)))
        for code in np.unique(codes):
            base = self._ranking_scores(self.popularity(code))
            rows_all = np.flatnonzero(codes == code)
            for start in range(0, len(rows_all), step):
                rows = rows_all[start : start + step]
                scores = np.tile(base, (len(rows), 1))
                ids[rows], top[rows] = top_n(
                    scores, n, seen=x[rows] if filter_seen else None, mask=mask
                )
        return ids, top

    def top(
        self, n: int = 10, *, country: str | None = None, excluded: np.ndarray | None = None
    ) -> np.ndarray:
        """The ``n`` most popular title positions (in ``country`` when given), best first.

        Titles nobody watched (count 0) are never listed, so the result may be shorter than n.
        """
        counts = self.popularity(country)
        scores = self._ranking_scores(counts)
        scores = np.where(counts > 0, scores, -np.inf)
        if excluded is not None:
            scores[np.asarray(excluded, dtype=np.int64)] = -np.inf
        order = np.lexsort((np.arange(len(scores)), -scores))[:n]
        return order[np.isfinite(scores[order])]

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Not personal: the most popular other titles, for each item (similarity = count)."""
        items = item_positions(items, len(self._fitted()))
        scores = np.tile(self._ranking_scores(self._fitted()), (len(items), 1))
        scores[np.arange(len(items)), items] = -np.inf
        ids, _ = top_n(scores, n)
        return ids, np.where(ids >= 0, self._fitted()[np.maximum(ids, 0)], -np.inf)

    def state(self) -> dict[str, np.ndarray]:
        """Counts, per-country counts and parameters."""
        return {
            PARAMS_KEY: pack_params(self.params()),
            "counts": self._fitted(),
            "countries": self.countries.astype(str),
            "country_counts": self.country_counts,
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        model = cls(**unpack_params(state))
        model.counts = np.asarray(state["counts"], dtype=np.float64)
        model.countries = np.asarray(state["countries"]).astype(str)
        model.country_counts = np.asarray(state["country_counts"], dtype=np.float64)
        return model
