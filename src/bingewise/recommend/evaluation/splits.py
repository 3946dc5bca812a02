"""Evaluation protocols: which interactions a model learns from, sees, and must find.

A :class:`Fold` names rows of an :class:`~.data.InteractionLog`:

- ``fit``: rows the model is trained on;
- ``query``: rows given to the trained model as each evaluated member's history at scoring time;
- ``test``: held-out rows the recommendations are judged against.

Protocols:

``stratified``
    Each member's interactions are split at random, 75 % train / 25 % test, exactly as Microsoft
    Recommenders' ``python_stratified_split(ratio=0.75, min_rating=1, filter_by="user",
    seed=42)``: one uniform number per row from ``np.random.seed(seed); np.random.rand(n)`` in
    file order, rows ranked by it within each member, and a row is train when
    ``rank / count <= 0.75`` (so a member with n interactions keeps ⌊0.75·n⌋ of them, up to float
    rounding, exactly as there).
``temporal``
    Each member's last 20 % by time are the test (``rank / count <= 0.8`` is train, ranks by
    time, ties in file order), like Recommenders' ``python_chrono_split(ratio=0.8)``.
``strong``
    Strong generalisation (Liang et al. 2018, "Variational autoencoders for collaborative
    filtering"): a random ``heldout_share`` of members is held out entirely; the model is fitted
    on the others. Each held-out member with at least 5 interactions gives a random
    ⌊0.2·n⌋ of them as the test and the rest as fold-in history; titles nobody in the training
    members watched are dropped from held-out members (as there), and counted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from bingewise.recommend.evaluation.data import InteractionLog

__all__ = [
    "PROTOCOLS",
    "Fold",
    "make_fold",
    "stratified_split",
    "strong_split",
    "temporal_split",
]

PROTOCOLS = ("stratified", "temporal", "strong")


@dataclass(frozen=True)
class Fold:
    """Row indices (into the log) for fitting, querying and testing; see the module docstring."""

    protocol: str
    fit: np.ndarray
    query: np.ndarray
    test: np.ndarray
    dropped: int = 0  #: held-out rows whose title the training members never watched

    def describe(self) -> str:
        """Counts of each part (no member data)."""
        text = (
            f"{self.protocol}: fit {len(self.fit):,} rows, query {len(self.query):,}, "
            f"test {len(self.test):,}"
        )
        if self.dropped:
            text += f", {self.dropped:,} held-out rows dropped (title unseen in training)"
        return text


def _rank_split(groups: np.ndarray, keys: np.ndarray, ratio: float) -> np.ndarray:
    """True for rows whose rank within their group (by ``keys``, then position) ≤ ratio·count.

    Ranks are 1-based and divided by the group's size in float64, as pandas does in Recommenders'
    ``_do_stratification``.
    """
    n = len(groups)
    order = np.lexsort((np.arange(n), keys, groups))
    g_sorted = groups[order]
    starts = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    counts = np.diff(np.r_[starts, n])
    first = np.repeat(starts, counts)
    rank = (np.arange(n) - first + 1).astype(np.float64)
    frac = rank / np.repeat(counts, counts).astype(np.float64)
    train = np.empty(n, dtype=bool)
    train[order] = frac <= ratio
    return train


def stratified_split(
    users: np.ndarray, ratio: float = 0.75, seed: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """Per-member random split (train rows, test rows), Recommenders-compatible (see above)."""
    if not 0.0 < ratio < 1.0:
        raise ValueError("ratio must be between 0 and 1")
    rng = np.random.RandomState(seed)  # legacy stream, as np.random.seed + np.random.rand
    rand = rng.rand(len(users))
    train = _rank_split(np.asarray(users), rand, ratio)
    return np.flatnonzero(train), np.flatnonzero(~train)


def temporal_split(
    users: np.ndarray, times: np.ndarray, ratio: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """Per-member split by time: the earliest ``ratio`` train, the latest rest test."""
    if not 0.0 < ratio < 1.0:
        raise ValueError("ratio must be between 0 and 1")
    train = _rank_split(np.asarray(users), np.asarray(times), ratio)
    return np.flatnonzero(train), np.flatnonzero(~train)


def strong_split(
    users: np.ndarray,
    items: np.ndarray,
    *,
    heldout_share: float = 0.2,
    test_prop: float = 0.2,
    min_interactions: int = 5,
    seed: int = 42,
) -> Fold:
    """Held-out members (Liang et al. 2018), see the module docstring."""
    if not 0.0 < heldout_share < 1.0:
        raise ValueError("heldout_share must be between 0 and 1")
    users = np.asarray(users)
    items = np.asarray(items)
    rng = np.random.default_rng(seed)
    members = np.unique(users)
    perm = rng.permutation(members)
    n_heldout = max(1, round(heldout_share * len(members)))
    heldout = np.isin(users, perm[:n_heldout])
    fit = np.flatnonzero(~heldout)
    known = np.isin(items, np.unique(items[fit]))
    candidates = np.flatnonzero(heldout & known)
    dropped = int((heldout & ~known).sum())
    query: list[np.ndarray] = []
    test: list[np.ndarray] = []
    cand_users = users[candidates]
    order = np.argsort(cand_users, kind="stable")
    sorted_users = cand_users[order]
    bounds = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1], True])
    for lo, hi in itertools.pairwise(bounds):
        rows = candidates[order[lo:hi]]
        n = len(rows)
        if n >= min_interactions:
            pick = np.zeros(n, dtype=bool)
            pick[rng.choice(n, size=int(test_prop * n), replace=False)] = True
            test.append(rows[pick])
            query.append(rows[~pick])
        else:
            query.append(rows)
    return Fold(
        protocol="strong",
        fit=fit,
        query=np.sort(np.concatenate(query)) if query else np.zeros(0, dtype=np.int64),
        test=np.sort(np.concatenate(test)) if test else np.zeros(0, dtype=np.int64),
        dropped=dropped,
    )


def make_fold(
    log: InteractionLog, protocol: str, *, seed: int = 42, rows: np.ndarray | None = None
) -> Fold:
    """Split ``log`` (or only its ``rows``) by ``protocol``; indices refer to the whole log.

    Calling it on a fold's ``fit`` rows carves the validation fold used for tuning, so
    hyper-parameters never see the test rows.
    """
    idx = np.arange(len(log)) if rows is None else np.asarray(rows, dtype=np.int64)
    users = log.users[idx]
    if protocol == "stratified":
        tr, te = stratified_split(users, 0.75, seed)
        return Fold(protocol, idx[tr], idx[tr], idx[te])
    if protocol == "temporal":
        tr, te = temporal_split(users, log.times[idx], 0.8)
        return Fold(protocol, idx[tr], idx[tr], idx[te])
    if protocol == "strong":
        fold = strong_split(users, log.items[idx], seed=seed)
        return Fold(protocol, idx[fold.fit], idx[fold.query], idx[fold.test], fold.dropped)
    raise ValueError(f"unknown protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}")
