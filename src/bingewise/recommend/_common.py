"""Helpers shared by the models: parameters and sparse matrices as plain arrays, top-k pruning.

Everything a model saves goes through these so a model file holds only numeric arrays and one
JSON string of hyper-parameters (``np.load(..., allow_pickle=False)`` reads it back).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

__all__ = [
    "PARAMS_KEY",
    "as_csr",
    "csr_from_state",
    "csr_state",
    "ensure_memory",
    "gram",
    "pack_params",
    "prune_rows",
    "single_blas_thread",
    "unpack_params",
]

PARAMS_KEY = "params_json"


def pack_params(params: dict[str, Any]) -> np.ndarray:
    """Hyper-parameters as a 0-d unicode array (a JSON object; no pickle needed)."""
    return np.array(json.dumps(params, sort_keys=True))


def unpack_params(state: dict[str, np.ndarray]) -> dict[str, Any]:
    """The hyper-parameters stored by :func:`pack_params`."""
    params: dict[str, Any] = json.loads(str(state[PARAMS_KEY]))
    return params


def as_csr(user_items: sp.spmatrix | sp.sparray, dtype: type = np.float32) -> sp.csr_matrix:
    """``user_items`` as a canonical CSR matrix (sorted indices, duplicates summed)."""
    m = sp.csr_matrix(user_items, dtype=dtype)
    m.sum_duplicates()
    m.sort_indices()
    return m


def positive_times(user_items: sp.csr_matrix, times: sp.csr_matrix) -> sp.csr_matrix:
    """``times`` on the positive entries of ``user_items`` only (canonical CSR, float64).

    A training matrix may hold an explicit zero with its time (a title a named profile played
    for 0 seconds weighs nothing: :mod:`bingewise.recommend.interactions`); the time-aware models
    read interactions as ``user_items > 0``, so their times must leave such entries out. Times
    whose pattern is not that of ``user_items`` are returned as they are (the caller names it).
    """
    x = as_csr(user_items)
    t = sp.csr_matrix(times, dtype=np.float64)
    t.sum_duplicates()
    t.sort_indices()
    keep = x.data > 0
    same = (
        x.shape == t.shape
        and np.array_equal(x.indptr, t.indptr)
        and np.array_equal(x.indices, t.indices)
    )
    if not same or keep.all():
        return t
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    return sp.csr_matrix((t.data[keep], (rows[keep], t.indices[keep])), shape=t.shape)


def csr_state(prefix: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as four plain arrays named ``prefix_data`` ... ``prefix_shape``."""
    return {
        f"{prefix}_data": np.asarray(m.data),
        f"{prefix}_indices": np.asarray(m.indices, dtype=np.int64),
        f"{prefix}_indptr": np.asarray(m.indptr, dtype=np.int64),
        f"{prefix}_shape": np.asarray(m.shape, dtype=np.int64),
    }


def csr_from_state(prefix: str, state: dict[str, np.ndarray]) -> sp.csr_matrix:
    """Inverse of :func:`csr_state`."""
    shape = tuple(int(x) for x in state[f"{prefix}_shape"])
    return sp.csr_matrix(
        (state[f"{prefix}_data"], state[f"{prefix}_indices"], state[f"{prefix}_indptr"]),
        shape=shape,
    )


def prune_rows(m: sp.csr_matrix | np.ndarray, k: int | None) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of every row (all when ``k`` is None); drop zeros.

    Ties at the cut are broken towards the lower column position, so the result is deterministic.
    """
    if isinstance(m, np.ndarray):
        dense = m
        n_rows, n_cols = dense.shape
        if k is None or k >= n_cols:
            return sp.csr_matrix(dense)
        cols = np.argpartition(-dense, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(dense, cols, axis=1)
        out = sp.csr_matrix(
            (vals.ravel(), cols.ravel(), np.arange(0, n_rows * k + 1, k)), shape=dense.shape
        )
        out.eliminate_zeros()
        out.sort_indices()
        return out
    csr = sp.csr_matrix(m)
    csr.eliminate_zeros()
    if k is None:
        return csr
    counts = np.diff(csr.indptr)
    if counts.max(initial=0) <= k:
        return csr
    data, indices, indptr = [], [], [0]
    for row in range(csr.shape[0]):
        lo, hi = csr.indptr[row], csr.indptr[row + 1]
        d, c = csr.data[lo:hi], csr.indices[lo:hi]
        if hi - lo > k:
            keep = np.lexsort((c, -d))[:k]
            keep.sort()
            d, c = d[keep], c[keep]
        data.append(d)
        indices.append(c)
        indptr.append(indptr[-1] + len(d))
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)), shape=csr.shape
    )


def gram(
    user_items: sp.csr_matrix, dtype: type = np.float64, chunk_rows: int = 20_000
) -> np.ndarray:
    """Dense item-item Gram matrix ``XᵀX`` (items × items), accumulated over row chunks.

    Memory: the dense result (n_items² × 8 bytes in float64) plus one chunk's sparse product
    (at most ``chunk_rows`` × (titles per member)² entries), so a million members never need a
    million-row intermediate.
    """
    n_items = user_items.shape[1]
    g = np.zeros((n_items, n_items), dtype=dtype)
    flat = g.reshape(-1)
    for start in range(0, user_items.shape[0], chunk_rows):
        chunk = user_items[start : start + chunk_rows]
        prod = (chunk.T @ chunk).tocoo()
        flat[prod.row.astype(np.int64) * n_items + prod.col] += prod.data
    return g


def available_memory() -> int | None:
    """Bytes the system can still give without swapping (``MemAvailable``); None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


class DenseMemoryError(MemoryError):
    """A dense titles × titles model does not fit; ``fits`` is the most titles that would (with
    a quarter of the available memory left to everything else)."""

    def __init__(self, message: str, fits: int) -> None:
        super().__init__(message)
        self.fits = fits


def ensure_memory(n_items: int, bytes_per_pair: int, model: str) -> None:
    """Raise :class:`DenseMemoryError` before a dense titles × titles model allocates what it
    cannot.

    ``bytes_per_pair`` is the model's peak bytes per (title, title) cell. Failing here, with the
    sizes named, beats the kernel's out-of-memory killer ending the process without a word.
    """
    need = n_items * n_items * bytes_per_pair
    have = available_memory()
    if have is not None and need > have:
        fits = int((0.75 * have / bytes_per_pair) ** 0.5)
        raise DenseMemoryError(
            f"{model} on {n_items:,} titles needs {need / 1e9:.1f} GB for its dense titles × "
            f"titles matrices and {have / 1e9:.1f} GB is available: use a model without one "
            f"(ials, itemknn), or keep the {fits:,} most watched titles (max_titles; "
            "`train --max-titles`)",
            fits,
        )


def most_taken(user_items: sp.csr_matrix, k: int | None) -> np.ndarray | None:
    """Columns of the ``k`` titles with the most interactions (ties: the lower column), in
    column order; ``None`` when there are no more than ``k`` (or ``k`` is None): keep all."""
    n = user_items.shape[1]
    if k is None or n <= k:
        return None
    counts = np.diff(sp.csc_matrix(user_items).indptr)
    order = np.lexsort((np.arange(n), -counts))
    return np.sort(order[:k]).astype(np.int64)


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run ``implicit`` with one BLAS thread, as it asks (it uses its own thread pool)."""
    with threadpool_limits(1, "blas"):
        yield
