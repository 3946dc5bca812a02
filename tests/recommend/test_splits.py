"""Evaluation protocols: pinned sizes on tiny cases and Recommenders-compatible stratification."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bingewise.recommend.evaluation.data import InteractionLog
from bingewise.recommend.evaluation.splits import (
    make_fold,
    stratified_split,
    strong_split,
    temporal_split,
)


def _msr_stratified(users: np.ndarray, ratio: float, seed: int) -> np.ndarray:
    """Recommenders' ``_do_stratification(is_random=True)`` transcribed with pandas: train mask."""
    data = pd.DataFrame({"user": users, "row": np.arange(len(users))})
    np.random.seed(seed)  # the legacy global stream, as Recommenders uses
    data["random"] = np.random.rand(data.shape[0])
    data = data.sort_values(["user", "random"])
    groups = data.groupby("user")
    data["count"] = groups["user"].transform("count")
    data["rank"] = (groups.cumcount() + 1) / data["count"]
    train = np.zeros(len(users), dtype=bool)
    train[data.loc[data["rank"] <= ratio, "row"].to_numpy()] = True
    return train


def test_stratified_pinned_sizes() -> None:
    # Members with 1, 2, 3, 4, 5 and 7 interactions keep ⌊0.75·n⌋ for training.
    sizes = {10: 1, 11: 2, 12: 3, 13: 4, 14: 5, 15: 7}
    users = np.repeat(list(sizes), list(sizes.values()))
    train, test = stratified_split(users, 0.75, seed=42)
    kept = {u: int((users[train] == u).sum()) for u in sizes}
    assert kept == {10: 0, 11: 1, 12: 2, 13: 3, 14: 3, 15: 5}
    assert len(train) == 14 and len(test) == 8
    assert sorted(np.r_[train, test].tolist()) == list(range(22))


@given(st.lists(st.integers(0, 9), min_size=1, max_size=80), st.integers(0, 2**31 - 1))
def test_stratified_matches_recommenders(users: list[int], seed: int) -> None:
    u = np.asarray(users)
    train, test = stratified_split(u, 0.75, seed=seed)
    expected = _msr_stratified(u, 0.75, seed)
    assert set(train.tolist()) == set(np.flatnonzero(expected).tolist())
    assert set(test.tolist()) == set(np.flatnonzero(~expected).tolist())


def test_temporal_holds_out_each_members_latest_fifth() -> None:
    users = np.array([1] * 5 + [2] * 10)
    times = np.r_[[50, 10, 40, 20, 30], np.arange(100, 0, -10)]
    train, test = temporal_split(users, times, 0.8)
    assert sorted(test.tolist()) == [0, 5, 6]  # time 50 for member 1; 100 and 90 for member 2
    assert len(train) == 12


def test_strong_holds_out_whole_members() -> None:
    users = np.repeat(np.arange(10), 10)
    items = np.tile(np.arange(10), 10)
    items[-1] = 99  # a title only member 9 watched
    fold = strong_split(users, items, heldout_share=0.2, seed=3)
    fit_members = set(users[fold.fit].tolist())
    heldout = set(users[fold.test].tolist())
    assert len(fit_members) == 8 and len(heldout) == 2
    assert not fit_members & heldout
    assert set(users[fold.query].tolist()) == heldout
    per_member = {m: int((users[fold.test] == m).sum()) for m in heldout}
    if 9 in heldout:  # 9 rows left after dropping the unseen title: ⌊0.2·9⌋ = 1 test row
        assert fold.dropped == 1
        assert per_member.pop(9) == 1
    assert all(v == 2 for v in per_member.values())  # ⌊0.2·10⌋
    assert len(fold.fit) + len(fold.query) + len(fold.test) + fold.dropped == 100


def test_validation_fold_is_carved_from_the_fit_rows_only() -> None:
    rng = np.random.default_rng(0)
    n = 400
    log = InteractionLog(
        users=rng.integers(0, 20, n),
        items=rng.integers(0, 50, n),
        times=rng.integers(0, 10**6, n),
        values=np.ones(n),
        source="memory",
    )
    for protocol in ("stratified", "temporal", "strong"):
        fold = make_fold(log, protocol, seed=1)
        valid = make_fold(log, protocol, seed=2, rows=fold.fit)
        used = np.r_[valid.fit, valid.query, valid.test]
        assert set(used.tolist()) <= set(fold.fit.tolist())
        assert not set(used.tolist()) & set(fold.test.tolist())
        again = make_fold(log, protocol, seed=1)
        np.testing.assert_array_equal(again.test, fold.test)  # seeded: reproducible
