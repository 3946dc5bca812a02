"""RP3beta: three-step random walk with popularity penalty (Paudel et al. 2017).

A walk member → title → member → title, with transition probabilities raised to ``alpha``, gives
``W = (P_iu)^α (P_ui)^α``; each target title j is then divided by its popularity to the power
``beta`` to lift the long tail, and each title keeps its ``k`` strongest successors. A member's
scores are ``x_u W`` (``x_u`` their row of transition probabilities). Dacrema et al. (2019) found
it among the strongest simple baselines on MovieLens.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from bingewise.recommend._common import (
    PARAMS_KEY,
    as_csr,
    csr_from_state,
    csr_state,
    pack_params,
    prune_rows,
    unpack_params,
)
from bingewise.recommend.base import Recommender, sparse_neighbours

__all__ = ["RP3beta"]


def _row_stochastic(m: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """Rows normalised to sum 1, then every entry raised to ``alpha``."""
    sums = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    out = sp.csr_matrix(sp.diags(inv) @ m)
    out.data = out.data**alpha
    return out


class RP3beta(Recommender):
    """Random walk with restart-free 3 steps and popularity re-weighting.

    Parameters
    ----------
    alpha:
        Exponent on the transition probabilities (1: plain random walk).
    beta:
        Popularity penalty: scores of title j are divided by ``popularity_j ** beta``.
    k:
        Successors kept per title (None: all).
    """

    name: ClassVar[str] = "rp3beta"
    personalized: ClassVar[bool] = True

    def __init__(self, alpha: float = 1.0, beta: float = 0.3, k: int | None = 200):
        if alpha <= 0:
            raise ValueError("alpha must be positive")
        if beta < 0:
            raise ValueError("beta must be non-negative")
        if k is not None and k < 1:
            raise ValueError("k must be at least 1")
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.k = None if k is None else int(k)
        self.walk: sp.csr_matrix | None = None  #: items × items transition weights

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {"alpha": self.alpha, "beta": self.beta, "k": self.k}

    def fit(self, user_items: sp.csr_matrix) -> Self:
        """Compute the pruned three-step transition weights."""
        x = as_csr(user_items, dtype=np.float64)
        x.data = (x.data > 0).astype(np.float64)
        x.eliminate_zeros()
        p_ui = _row_stochastic(x, self.alpha)
        p_iu = _row_stochastic(x.T.tocsr(), self.alpha)
        w = (p_iu @ p_ui).tocsr()
        popularity = np.asarray(x.sum(axis=0)).ravel()
        penalty = np.divide(
            1.0, popularity**self.beta, out=np.zeros_like(popularity), where=popularity > 0
        )
        w = sp.csr_matrix(w @ sp.diags(penalty))
        w.setdiag(0.0)
        self.walk = prune_rows(w, self.k).astype(np.float32)
        return self

    def _fitted(self) -> sp.csr_matrix:
        if self.walk is None:
            raise RuntimeError("fit the model first")
        return self.walk

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """``x_u W``, with ``x_u`` the member's binary row."""
        x = as_csr(user_items)
        x.data = (x.data > 0).astype(np.float32)
        return np.asarray((x @ self._fitted()).todense())

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The titles a walk from each item reaches most (popularity-penalised), best first."""
        return sparse_neighbours(self._fitted(), items, n)

    def state(self) -> dict[str, np.ndarray]:
        """The pruned transition matrix and parameters."""
        return {PARAMS_KEY: pack_params(self.params()), **csr_state("walk", self._fitted())}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        model = cls(**unpack_params(state))
        model.walk = csr_from_state("walk", state)
        return model
