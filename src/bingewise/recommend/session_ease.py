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

Memory: as EASE (one dense items × items float64 matrix, 440 MB at 7,400 titles), plus one
member's titles² float64 while the timed pairs are accumulated.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from bingewise.recommend._common import as_csr, ensure_memory, gram, positive_times
from bingewise.recommend.ease import EASE, ease_weights

__all__ = ["SessionEASE", "timed_gram"]

SECONDS_PER_DAY = 86_400.0


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
    """

    name: ClassVar[str] = "session-ease"
    personalized: ClassVar[bool] = True
    uses_times: ClassVar[bool] = True  #: ``fit`` accepts ``times=`` (see the module docstring)

    def __init__(
        self,
        l2: float = 200.0,
        tau: float = 0.01,
        weight: float = 0.6,
        max_titles: int | None = None,
    ):
        if l2 <= 0:
            raise ValueError("l2 must be positive")
        if tau <= 0:
            raise ValueError("tau must be positive (days)")
        if not 0.0 <= weight <= 1.0:
            raise ValueError("weight must be between 0 and 1")
        self.l2 = float(l2)
        self.tau = float(tau)
        self.weight = float(weight)
        self.precision = "float64"
        self._init_cap(max_titles)

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {"l2": self.l2, "tau": self.tau, "weight": self.weight, **self._cap_params()}

    def fit(self, user_items: sp.csr_matrix, times: sp.csr_matrix | None = None) -> Self:
        """Solve EASE on the blended Gram matrix; without ``times`` it is plain EASE."""
        x = self._kept_columns(as_csr(user_items))
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
        self.weights = ease_weights(g, self.l2).astype(np.float32, copy=False)
        return self
