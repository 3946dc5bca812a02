"""EASE: the closed-form shallow autoencoder of Steck (2019), "Embarrassingly Shallow Autoencoders".

With ``G = XᵀX`` (items × items) and ``P = (G + λI)⁻¹``, the item-item weights are
``B = I − P · diag(1/diag(P))`` with a zero diagonal, and a member's scores are ``x_u B``.
The inverse is taken through a Cholesky factorisation in place (``G + λI`` is symmetric
positive definite), in float64 by default: in float32 the inverse of a 10⁴-item Gram matrix loses
several digits when λ is small. Memory: one dense items × items matrix in the working precision
(800 MB at 10⁴ items in float64) plus B in float32.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from bingewise.recommend._common import (
    PARAMS_KEY,
    as_csr,
    ensure_memory,
    gram,
    most_taken,
    pack_params,
    unpack_params,
)
from bingewise.recommend.base import Recommender, item_positions, top_n

__all__ = ["EASE", "PARALLEL_CHOLESKY_MAX", "cholesky_threads", "ease_weights"]


#: Largest matrix order factorised with several BLAS threads. The OpenBLAS that SciPy ships
#: (0.3.30) crashes the process (segmentation fault) in its multithreaded ``potrf`` from an order
#: of about 22,700 (measured: 22,600 fine, 23,000 crashes; one thread fine at 23,500), so larger
#: Gram matrices are factorised and inverted on one thread, about twice as slow and whole.
PARALLEL_CHOLESKY_MAX = 16_384


def cholesky_threads(n: int) -> int | None:
    """BLAS threads for the Cholesky factorisation and inverse of an ``n`` × ``n`` matrix
    (``None``: the library's default)."""
    return 1 if n > PARALLEL_CHOLESKY_MAX else None


def ease_weights(g: np.ndarray, l2: float) -> np.ndarray:
    """EASE weights from a Gram matrix ``g`` (overwritten: it becomes the result).

    ``g`` must be C-contiguous float32 or float64; the returned ``B`` shares its memory.
    """
    n = g.shape[0]
    g[np.diag_indices(n)] += l2
    # Cholesky on the (symmetric) matrix in Fortran order = its transpose, no copy.
    gf = g.T
    potrf, potri = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potri"), (gf,))
    with threadpool_limits(cholesky_threads(n), user_api="blas"):
        c, info = potrf(gf, lower=False, overwrite_a=True, clean=False)
        if info != 0:
            raise np.linalg.LinAlgError(
                f"Gram matrix + l2·I is not positive definite (info={info})"
            )
        inv, info = potri(c, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverse failed (info={info})")
    p = inv.T  # back to C order; only one triangle is valid
    # potri (upper, Fortran) filled the upper triangle of the Fortran view = the lower triangle
    # of the C view. Mirror it in blocks of rows, so no n²-sized index arrays are needed.
    block = 1024
    for s in range(0, n, block):
        e = min(s + block, n)
        d = p[s:e, s:e]
        d[...] = np.tril(d) + np.tril(d, -1).T
        p[s:e, e:] = p[e:, s:e].T
    diag = np.diag(p).copy()
    p /= -diag[np.newaxis, :]
    p[np.diag_indices(n)] = 0.0
    return p


class EASE(Recommender):
    """Embarrassingly shallow autoencoder (closed form).

    Parameters
    ----------
    l2:
        Ridge penalty λ on the item-item weights (larger: smoother, more popular titles).
    precision:
        Working precision of the Gram inverse ("float64" safe; "float32" halves the memory).
    max_titles:
        Learn the dense weights of only this many titles, those with the most interactions
        (``None``: all). For catalogues whose titles × titles matrix does not fit in memory:
        the other titles are never recommended (score ``-inf``) and predict nothing.
    """

    name: ClassVar[str] = "ease"
    personalized: ClassVar[bool] = True

    def __init__(
        self,
        l2: float = 500.0,
        precision: Literal["float32", "float64"] = "float64",
        max_titles: int | None = None,
    ):
        if l2 <= 0:
            raise ValueError("l2 must be positive")
        if precision not in ("float32", "float64"):
            raise ValueError("precision must be 'float32' or 'float64'")
        self.l2 = float(l2)
        self.precision = precision
        self._init_cap(max_titles)

    def _init_cap(self, max_titles: int | None) -> None:
        if max_titles is not None and max_titles < 1:
            raise ValueError("max_titles must be at least 1")
        self.max_titles = None if max_titles is None else int(max_titles)
        self.weights: np.ndarray | None = None  #: kept × kept float32, zero diagonal
        self.kept: np.ndarray | None = None  #: columns of the kept titles (None: all)
        self.n_items = 0  #: titles (columns) of the matrix fitted on

    def _cap_params(self) -> dict[str, Any]:
        return {} if self.max_titles is None else {"max_titles": self.max_titles}

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {"l2": self.l2, "precision": self.precision, **self._cap_params()}

    def _kept_columns(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """Remember the titles kept (:attr:`max_titles`) and return ``x`` narrowed to them."""
        self.n_items = x.shape[1]
        self.kept = most_taken(x, self.max_titles)
        return x if self.kept is None else sp.csr_matrix(x[:, self.kept])

    def fit(self, user_items: sp.csr_matrix) -> Self:
        """Solve for the item-item weights in closed form."""
        x = self._kept_columns(as_csr(user_items))
        # The Gram matrix in the working precision, inverted in place, then B in float32.
        ensure_memory(x.shape[1], (8 if self.precision == "float64" else 4) + 4, self.name)
        g = gram(x, dtype=np.float64 if self.precision == "float64" else np.float32)
        self.weights = ease_weights(g, self.l2).astype(np.float32, copy=False)
        return self

    def _fitted(self) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("fit the model first")
        return self.weights

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """``X · B`` (``-inf`` for titles outside :attr:`max_titles`)."""
        return self.scores_of(as_csr(user_items))

    def scores_of(self, x: sp.csr_matrix) -> np.ndarray:
        """``x · B`` for a rows × titles matrix of any weights (the kept titles' columns read)."""
        b = self._fitted()
        if self.kept is None:
            return np.asarray(x @ b)
        out = np.full((x.shape[0], self.n_items), -np.inf, dtype=np.float32)
        out[:, self.kept] = np.asarray(sp.csr_matrix(x)[:, self.kept] @ b)
        return out

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The items each item's column of B weighs most (how much i predicts j), best first."""
        b = self._fitted()
        items = item_positions(items, self.n_items if self.kept is not None else b.shape[0])
        if self.kept is None:
            sims = np.array(b[items], dtype=np.float64)
        else:  # a title outside the kept ones predicts nothing
            sims = np.full((len(items), self.n_items), -np.inf)
            at = np.searchsorted(self.kept, items).clip(0, len(self.kept) - 1)
            known = np.flatnonzero(self.kept[at] == items)
            sims[np.ix_(known, self.kept)] = b[at[known]]
        sims[np.arange(len(items)), items] = -np.inf
        return top_n(sims, n)

    def state(self) -> dict[str, np.ndarray]:
        """The weight matrix and parameters (and the kept titles, when capped)."""
        out = {PARAMS_KEY: pack_params(self.params()), "weights": self._fitted()}
        if self.kept is not None:
            out["kept"] = self.kept
            out["n_items"] = np.array([self.n_items], dtype=np.int64)
        return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        model = cls(**unpack_params(state))
        model.weights = np.asarray(state["weights"], dtype=np.float32)
        if "kept" in state:
            model.kept = np.asarray(state["kept"], dtype=np.int64)
            model.n_items = int(np.asarray(state["n_items"])[0])
        else:
            model.n_items = model.weights.shape[0]
        return model
