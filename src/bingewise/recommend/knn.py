"""Item-kNN: score a title by its cosine similarity to the titles a member watched.

Similarity of titles i and j over the members' confidence columns, shrunk towards zero when few
members support it (Koren's shrinkage)::

    sim(i, j) = x_iᵀ x_j / (‖x_i‖ ‖x_j‖ + shrinkage)

Each title keeps only its ``k`` most similar neighbours; a member's score for title j is
``Σ_i x_ui · sim(i, j)`` over the titles i they watched whose neighbours include j.
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

__all__ = ["ItemKNN"]


class ItemKNN(Recommender):
    """Cosine item-item neighbours with shrinkage and top-k pruning.

    Parameters
    ----------
    k:
        Neighbours kept per title.
    shrinkage:
        Added to the norm product; damps similarities supported by few members.
    """

    name: ClassVar[str] = "itemknn"
    personalized: ClassVar[bool] = True

    def __init__(self, k: int = 100, shrinkage: float = 10.0):
        if k < 1:
            raise ValueError("k must be at least 1")
        if shrinkage < 0:
            raise ValueError("shrinkage must be non-negative")
        self.k = int(k)
        self.shrinkage = float(shrinkage)
        self.similarity: sp.csr_matrix | None = None  #: items × items, row i = i's neighbours

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {"k": self.k, "shrinkage": self.shrinkage}

    def fit(self, user_items: sp.csr_matrix) -> Self:
        """Compute and prune the item-item cosine similarities."""
        x = as_csr(user_items, dtype=np.float64)
        xt = x.T.tocsr()
        co = (xt @ x).tocsr()
        co.setdiag(0.0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
        coo = co.tocoo()
        coo.data = coo.data / (norms[coo.row] * norms[coo.col] + self.shrinkage)
        self.similarity = prune_rows(coo.tocsr(), self.k).astype(np.float32)
        return self

    def _fitted(self) -> sp.csr_matrix:
        if self.similarity is None:
            raise RuntimeError("fit the model first")
        return self.similarity

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """``X · S``: summed similarity of each title to the member's titles."""
        x = as_csr(user_items)
        return np.asarray((x @ self._fitted()).todense())

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` nearest neighbours of each item (cosine), most similar first."""
        return sparse_neighbours(self._fitted(), items, n)

    def state(self) -> dict[str, np.ndarray]:
        """The pruned similarity matrix and parameters."""
        return {PARAMS_KEY: pack_params(self.params()), **csr_state("sim", self._fitted())}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        model = cls(**unpack_params(state))
        model.similarity = csr_from_state("sim", state)
        return model
