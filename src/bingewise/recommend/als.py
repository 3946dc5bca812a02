"""iALS: implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) through ``implicit``.

``implicit``'s ``AlternatingLeastSquares`` learns the factors; this wrapper gives it the shared
contract. Scores for any history rows are computed by *folding in*: each row's factors are the
exact least-squares solution against the fixed item factors (``implicit``'s own
``recalculate_user``), so new members and held-out members are scored the same way as trained
ones. The saved state holds both factor matrices and the hyper-parameters.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares

from bingewise.console import progress
from bingewise.recommend._common import (
    PARAMS_KEY,
    as_csr,
    pack_params,
    single_blas_thread,
    unpack_params,
)
from bingewise.recommend.base import Recommender, item_positions, top_n

__all__ = ["IALS"]


class IALS(Recommender):
    """Implicit alternating least squares (``implicit.cpu.als``), fold-in scoring.

    Parameters
    ----------
    factors:
        Latent dimensions.
    regularization:
        L2 penalty on the factors.
    alpha:
        Confidence scale: an interaction of value r weighs ``alpha · r`` (``implicit``'s alpha).
    iterations:
        ALS sweeps.
    seed:
        Random seed of the initial factors.
    threads:
        ``implicit``'s thread count (0: all cores).
    """

    name: ClassVar[str] = "ials"
    personalized: ClassVar[bool] = True

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 0,
        threads: int = 0,
    ):
        self.factors = int(factors)
        self.regularization = float(regularization)
        self.alpha = float(alpha)
        self.iterations = int(iterations)
        self.seed = int(seed)
        self.threads = int(threads)
        self.model: AlternatingLeastSquares | None = None

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "seed": self.seed,
            "threads": self.threads,
        }

    def _new(self) -> AlternatingLeastSquares:
        with single_blas_thread():
            return AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.threads,
            )

    def fit(self, user_items: sp.csr_matrix, *, show_progress: bool = False) -> Self:
        """Factorise ``user_items`` (members × titles confidences)."""
        x = as_csr(user_items)
        model = self._new()
        with single_blas_thread():
            if show_progress:
                with progress() as bar:
                    task = bar.add_task("iALS sweeps", total=self.iterations)
                    model.fit(x, show_progress=False, callback=lambda *_: bar.advance(task, 1))
            else:
                model.fit(x, show_progress=False)
        self.model = model
        return self

    def _fitted(self) -> AlternatingLeastSquares:
        if self.model is None:
            raise RuntimeError("fit the model first")
        return self.model

    @property
    def item_factors(self) -> np.ndarray:
        """titles × factors."""
        return np.asarray(self._fitted().item_factors)

    def fold_in(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Least-squares member factors for history rows, against the fixed item factors."""
        x = as_csr(user_items)
        model = self._fitted()
        with single_blas_thread():
            return np.asarray(model.recalculate_user(np.arange(x.shape[0]), x))

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Dot products of folded-in member factors with the item factors."""
        return self.fold_in(user_items) @ self.item_factors.T

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity of item factors, most similar first."""
        items = item_positions(items, self.item_factors.shape[0])
        f = self.item_factors.astype(np.float64)
        norms = np.linalg.norm(f, axis=1)
        norms[norms == 0] = 1.0
        unit = f / norms[:, np.newaxis]
        sims = unit[items] @ unit.T
        sims[np.arange(len(items)), items] = -np.inf
        return top_n(sims, n)

    def state(self) -> dict[str, np.ndarray]:
        """Both factor matrices and the parameters."""
        model = self._fitted()
        return {
            PARAMS_KEY: pack_params(self.params()),
            "user_factors": np.asarray(model.user_factors),
            "item_factors": np.asarray(model.item_factors),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        wrapper = cls(**unpack_params(state))
        model = wrapper._new()
        model.user_factors = np.ascontiguousarray(state["user_factors"], dtype=np.float32)
        model.item_factors = np.ascontiguousarray(state["item_factors"], dtype=np.float32)
        wrapper.model = model
        return wrapper
