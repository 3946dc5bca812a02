"""Session-aware EASE: co-occurrence weighted by how close in time a member took both titles.

Plain EASE (:mod:`.ease`) learns from ``G = XᵀX``, where every pair of titles a member watched
counts once, whether they were watched an hour or ten years apart. Titles taken in the same
sitting (the same rating page, the same binge) say more about each other. This model replaces
the Gram matrix by a blend

``G = (1 − w)·XᵀX + w·Σ_u Σ_{i,j ∈ u} exp(−|t_ui − t_uj| / τ)``

(``t_ui`` the time member u took title i, ``τ`` in days) and then solves EASE on it. The
diagonal is unchanged (``exp(0) = 1``), so ``w = 0`` or no timestamps gives plain EASE exactly.
Scoring needs no timestamps: a member's scores are ``x_u B`` with ``x_u`` their binary row, so
the model answers members at any time, like EASE.

The timestamps are part of the training input only (the time of each *fit* interaction); the
titles and times of held-out interactions are never used.

With the catalogue's genres and years (``fit(..., item_features=...)``), two optional parts, each
off at weight 0 (the default):

- **pseudo-rows** (``feature_rows`` = β): each genre and each release decade is one more "member"
  who took every title of it, its row scaled by 1/√(titles in it), added to the Gram matrix with
  weight β times the mean of its diagonal: ``G += β·mean(diag G)·AAᵀ``. Titles that share rare
  genres borrow co-occurrence, strongest for titles few members took.
- **genre term** (``feature_term`` = γ): each title's idf-weighted genre vector ``f_j`` (unit
  length; idf = ln(titles / (1 + titles of the genre))); a member's genre score of ``j`` is the
  mean cosine of ``f_j`` to the titles of their history. The score is ``z(x_u B) + γ·z(genre)``,
  each standardised over the titles the member has not taken (mean 0, standard deviation 1).

``similar_items`` stays EASE's B alone (what members took together): the genre term adds to a
member's picks, never to "members who took X also took Y".

Memory: as EASE (one dense items × items float64 matrix, 440 MB at 7,400 titles), plus one
member's titles² float64 while the timed pairs are accumulated.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from bingewise.recommend._common import (
    as_csr,
    csr_from_state,
    csr_state,
    ensure_memory,
    gram,
    positive_times,
)
from bingewise.recommend.ease import EASE, ease_weights
from bingewise.recommend.features import ItemFeatures

__all__ = ["SessionEASE", "timed_gram"]

SECONDS_PER_DAY = 86_400.0


def add_pseudo_rows(g: np.ndarray, rows: sp.csr_matrix, weight: float) -> None:
    """``g += weight·mean(diag g)·AAᵀ`` in place, ``A`` = ``rows`` (titles × features) with each
    feature column scaled by 1/√(its titles); in blocks of titles, no titles² temporary."""
    a = sp.csc_matrix(rows, dtype=np.float64)
    sizes = np.asarray((a > 0).sum(axis=0), dtype=np.float64).ravel()
    a = np.asarray((a @ sp.diags(1.0 / np.sqrt(np.maximum(sizes, 1.0)))).toarray())
    scale = weight * float(np.mean(np.diag(g)))
    block = 1024
    for s in range(0, g.shape[0], block):
        g[s : s + block] += scale * (a[s : s + block] @ a.T)


def genre_vectors(genres: sp.csr_matrix) -> sp.csr_matrix:
    """Each title's genres weighted by idf = ln(titles / (1 + titles of the genre)), scaled to
    unit length (a title without genres: a zero row), float32."""
    x = sp.csr_matrix(genres > 0, dtype=np.float64)
    n = x.shape[0]
    idf = np.log(n / (1.0 + np.asarray(x.sum(axis=0)).ravel()))
    f = sp.csr_matrix(x @ sp.diags(idf))
    norms = np.sqrt(np.asarray(f.multiply(f).sum(axis=1)).ravel())
    f = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ f)
    f.eliminate_zeros()
    return f.astype(np.float32)


def standardised(scores: np.ndarray, seen: sp.csr_matrix) -> np.ndarray:
    """Each row minus its mean, over its standard deviation, both over the finite entries not
    in ``seen`` (in place; float64)."""
    out = np.asarray(scores, dtype=np.float64)
    use = np.isfinite(out)
    if seen.nnz:
        coo = seen.tocoo()
        use[coo.row, coo.col] = False
    count = np.maximum(use.sum(axis=1, keepdims=True), 1)
    vals = np.where(use, out, 0.0)
    mean = vals.sum(axis=1, keepdims=True) / count
    var = (np.where(use, out - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count
    out -= mean
    out /= np.sqrt(var + 1e-12)
    return out


def timed_gram(user_items: sp.csr_matrix, times: sp.csr_matrix, tau_days: float) -> np.ndarray:
    """``Σ_u Σ_{i,j ∈ u} exp(−|t_ui − t_uj| / τ)`` as a dense items × items float64 matrix.

    ``times`` must have exactly the sparsity of ``user_items`` (seconds since the epoch, UTC);
    ``tau_days`` is the decay in days. Pairs further apart than 40·τ (weight < 10⁻¹⁷) are skipped.
    """
    x = sp.csr_matrix(user_items)
    t = sp.csr_matrix(times, dtype=np.float64)
    x.sort_indices()
    t.sort_indices()
    if x.shape != t.shape or not (
        np.array_equal(x.indptr, t.indptr) and np.array_equal(x.indices, t.indices)
    ):
        raise ValueError("times must have the same shape and non-zero pattern as user_items")
    n_items = x.shape[1]
    g = np.zeros((n_items, n_items), dtype=np.float64)
    tau = tau_days * SECONDS_PER_DAY
    for u in range(x.shape[0]):
        lo, hi = int(t.indptr[u]), int(t.indptr[u + 1])
        if hi == lo:
            continue
        idx = t.indices[lo:hi]
        tu = t.data[lo:hi]
        gap = np.abs(tu[:, np.newaxis] - tu[np.newaxis, :]) / tau
        w = np.exp(-np.minimum(gap, 40.0))
        w[gap >= 40.0] = 0.0
        g[np.ix_(idx, idx)] += w
    return g


class SessionEASE(EASE):
    """EASE on a Gram matrix that favours titles taken close together in time.

    Scoring, similar items and the saved state are EASE's; only the Gram matrix differs.

    Parameters
    ----------
    l2:
        Ridge penalty λ on the item-item weights (as in EASE).
    tau:
        Time scale of the pair weight, in days (0.01 ≈ 15 minutes: one sitting).
    weight:
        Share ``w`` of the timed co-occurrence in the blend (0: plain EASE; 1: timed only).
    max_titles:
        Keep only this many titles, those with the most interactions (as :class:`~.ease.EASE`).
    feature_rows:
        Weight β of the genre and decade pseudo-rows (module docstring; 0: none).
    feature_term:
        Weight γ of the genre term in the scores (module docstring; 0: none).
    """

    name: ClassVar[str] = "session-ease"
    personalized: ClassVar[bool] = True
    uses_times: ClassVar[bool] = True  #: ``fit`` accepts ``times=`` (see the module docstring)
    uses_features: ClassVar[bool] = True  #: ``fit`` accepts ``item_features=`` (genres, years)

    def __init__(
        self,
        l2: float = 200.0,
        tau: float = 0.01,
        weight: float = 0.6,
        max_titles: int | None = None,
        feature_rows: float = 0.0,
        feature_term: float = 0.0,
    ):
        if l2 <= 0:
            raise ValueError("l2 must be positive")
        if tau <= 0:
            raise ValueError("tau must be positive (days)")
        if not 0.0 <= weight <= 1.0:
            raise ValueError("weight must be between 0 and 1")
        if feature_rows < 0 or feature_term < 0:
            raise ValueError("feature_rows and feature_term must be 0 or more")
        self.feature_rows = float(feature_rows)
        self.feature_term = float(feature_term)
        #: titles × genres, idf-weighted unit rows (fitted with genres; read when feature_term > 0)
        self.genre_vectors: sp.csr_matrix | None = None
        self.l2 = float(l2)
        self.tau = float(tau)
        self.weight = float(weight)
        self.precision = "float64"
        self._init_cap(max_titles)

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        out = {"l2": self.l2, "tau": self.tau, "weight": self.weight, **self._cap_params()}
        if self.feature_rows:
            out["feature_rows"] = self.feature_rows
        if self.feature_term:
            out["feature_term"] = self.feature_term
        return out

    def fit(
        self,
        user_items: sp.csr_matrix,
        times: sp.csr_matrix | None = None,
        item_features: ItemFeatures | None = None,
    ) -> Self:
        """Solve EASE on the blended Gram matrix; without ``times`` it is plain EASE, without
        ``item_features`` (or at weight 0) it has no genre part."""
        user_items = as_csr(user_items)
        if item_features is not None and item_features.n_titles != user_items.shape[1]:
            raise ValueError(
                f"item_features describe {item_features.n_titles:,} titles, the matrix has "
                f"{user_items.shape[1]:,} columns"
            )
        x = self._kept_columns(user_items)
        if times is not None and self.kept is not None:
            times = sp.csr_matrix(sp.csr_matrix(times)[:, self.kept])
        timed = times is not None and self.weight > 0
        # Two float64 Gram matrices at the peak when timed (one otherwise), then B in float32.
        ensure_memory(x.shape[1], (16 if timed else 8) + 4, self.name)
        g = gram(x, dtype=np.float64)
        if timed:
            assert times is not None
            g *= 1.0 - self.weight
            t = timed_gram((x > 0).astype(np.float64), positive_times(x, times), self.tau)
            t *= self.weight
            g += t
            del t
        if item_features is not None and self.feature_rows > 0:
            rows = sp.hstack([item_features.genres, item_features.decades()], format="csr")
            if self.kept is not None:
                rows = sp.csr_matrix(rows[self.kept])
            if rows.nnz:
                add_pseudo_rows(g, rows, self.feature_rows)
        self.genre_vectors = None
        if item_features is not None and item_features.genres.nnz:
            self.genre_vectors = genre_vectors(item_features.genres)
        self.weights = ease_weights(g, self.l2).astype(np.float32, copy=False)
        return self

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """``x·B``, plus ``feature_term`` times the genre term (both standardised per member over
        the titles not taken) when fitted with genres."""
        x = as_csr(user_items)
        scores = self.scores_of(x)
        f = self.genre_vectors
        if f is None or self.feature_term == 0:
            return scores
        taken = sp.csr_matrix(x > 0, dtype=np.float64)
        taken.eliminate_zeros()
        sizes = np.maximum(np.asarray(taken.sum(axis=1)), 1.0)
        genre = np.asarray((taken @ f) @ f.T.toarray(), dtype=np.float64) / sizes
        genre[~np.isfinite(scores)] = -np.inf  # titles outside max_titles stay out
        out = standardised(scores, taken)
        out += self.feature_term * standardised(genre, taken)
        return out

    def with_feature_term(self, feature_term: float) -> Self:
        """A copy sharing this fitted model's weights and genre vectors, with another genre-term
        weight (no new Gram inverse: the term is a part of scoring only)."""
        model = type(self)(**{**self.params(), "feature_term": feature_term})
        model.weights, model.kept, model.n_items = self.weights, self.kept, self.n_items
        model.genre_vectors = self.genre_vectors
        return model

    def state(self) -> dict[str, np.ndarray]:
        """EASE's state, plus the genre vectors when the genre term is on."""
        out = super().state()
        if self.genre_vectors is not None and self.feature_term > 0:
            out.update(csr_state("genre_vectors", self.genre_vectors))
        return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        model = super().from_state(state)
        if "genre_vectors_shape" in state:
            model.genre_vectors = sp.csr_matrix(
                csr_from_state("genre_vectors", state), dtype=np.float32
            )
        return model
