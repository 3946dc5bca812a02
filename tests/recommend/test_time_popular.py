"""Time-local popularity: conformance on planted eras, a brute-force kernel sum, and the rule that
held-out times never reach a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.recommend import MODELS, TimePopular
from bingewise.recommend.evaluation.candidates import CANDIDATES
from bingewise.recommend.evaluation.data import InteractionLog
from bingewise.recommend.evaluation.matrices import fold_matrices
from bingewise.recommend.evaluation.splits import make_fold
from bingewise.recommend.testing import RecommenderConformance
from bingewise.recommend.time_popular import SECONDS_PER_DAY, day_counts

DAY = SECONDS_PER_DAY


class TestTimePopular(RecommenderConformance):
    model_class = TimePopular
    params: ClassVar[dict[str, Any]] = {"sigma": 30.0, "beta": 0.5}
    planted_times = True


def _events(seed: int, n_users: int, n_items: int, span_days: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = (rng.random((n_users, n_items)) < 0.4).astype(np.float64)
    days = rng.integers(0, span_days, size=x.shape)
    t = np.where(x > 0, 1.5e9 + days * DAY + rng.integers(0, 86_000, size=x.shape), 0.0)
    return x, t


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 10),
    st.integers(2, 8),
    st.integers(1, 60),
    st.floats(0.5, 50.0),
    st.floats(0.0, 1.0),
    st.integers(0, 2**31),
)
def test_scores_match_brute_force(
    n_users: int, n_items: int, span: int, sigma: float, beta: float, seed: int
) -> None:
    """log(Σ_{own times} Σ_{events} exp(−|Δ days| / σ) + p_j / D) − β·log(1 + p_j), by loops."""
    x, t = _events(seed, n_users, n_items, span)
    if not x.any():
        return
    model = TimePopular(sigma=sigma, beta=beta).fit(sp.csr_matrix(x), times=sp.csr_matrix(t))
    rng = np.random.default_rng(seed + 1)
    qx = (rng.random((3, n_items)) < 0.5).astype(np.float64)
    qt = np.where(qx > 0, rng.choice(t[x > 0], size=qx.shape), 0.0)  # days inside the grid
    got = model.score_at(sp.csr_matrix(qx), sp.csr_matrix(qt))
    ev_day = np.floor(t / DAY)
    n_days = int(ev_day[x > 0].max() - ev_day[x > 0].min()) + 1
    pop = x.sum(axis=0)
    for r in range(3):
        own = np.floor(qt[r][qx[r] > 0] / DAY)
        for j in range(n_items):
            taken = ev_day[:, j][x[:, j] > 0]
            near = sum(np.exp(-abs(d - e) / sigma) for d in own for e in taken)
            expected = np.log(near + pop[j] / n_days + 1e-12) - beta * np.log1p(pop[j])
            assert got[r, j] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_times_beyond_the_grid_decay_from_its_edge() -> None:
    """A member 10 days after the last training day weighs that day by exp(−10/σ)."""
    x = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    t = sp.csr_matrix(np.array([[1.5e9, 0.0], [0.0, 1.5e9 + 5 * DAY]]))
    model = TimePopular(sigma=4.0, beta=0.0).fit(x, times=t)
    day0 = np.floor(1.5e9 / DAY) * DAY
    q = sp.csr_matrix(np.array([[1.0, 0.0]]))
    later = sp.csr_matrix(np.array([[day0 + 16 * DAY, 0.0]]))  # grid is days 0..5
    got = model.score_at(q, later)
    near_1 = np.exp(-10.0 / 4.0)  # title 1 taken on day 5, the edge
    near_0 = np.exp(-10.0 / 4.0) * np.exp(-5.0 / 4.0)
    np.testing.assert_allclose(got[0], np.log(np.array([near_0, near_1]) + 1 / 6 + 1e-12))


def test_a_title_played_for_0_seconds_brings_no_time() -> None:
    """An explicit zero (a title a named profile played for 0 seconds) is no interaction: fit
    counts it nowhere, and scoring reads no time from it. Oracle: the scores of the row
    without that entry."""
    x = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    t = sp.csr_matrix(np.diag([1.5e9, 1.5e9 + 200 * DAY, 1.5e9 + 400 * DAY]))
    model = TimePopular(sigma=10.0, beta=0.0).fit(x, times=t)
    q = sp.csr_matrix((np.array([1.0, 0.0]), (np.array([0, 0]), np.array([0, 2]))), shape=(1, 3))
    at = sp.csr_matrix(
        (np.array([1.5e9, 1.5e9 + 400 * DAY]), (np.array([0, 0]), np.array([0, 2]))), shape=(1, 3)
    )
    assert q.nnz == 2  # the zero is stored, with its time
    alone = model.score_at(sp.csr_matrix(np.array([[1.0, 0.0, 0.0]])), sp.csr_matrix(t[0]))
    np.testing.assert_allclose(model.score_at(q, at), alone, rtol=1e-12)


def test_without_times_it_is_global_popularity() -> None:
    x = sp.csr_matrix((np.arange(6)[np.newaxis, :] >= np.arange(6)[:, np.newaxis]).astype("f4"))
    model = TimePopular(sigma=10.0, beta=0.5).fit(x)
    ids, _ = model.recommend(sp.csr_matrix((1, 6), dtype="f4"), n=6)
    np.testing.assert_array_equal(ids[0], np.arange(5, -1, -1))
    timed = TimePopular(sigma=10.0, beta=0.5).fit(x, times=sp.csr_matrix(x * 1.5e9))
    empty = sp.csr_matrix((1, 6), dtype="f4")
    ids_t, _ = timed.recommend(empty, n=6, times=sp.csr_matrix((1, 6)))
    np.testing.assert_array_equal(ids_t[0], np.arange(5, -1, -1))  # no history: popularity


def test_planted_eras_and_saved_model_keeps_them(tmp_path: Path) -> None:
    """Titles 0-2 were taken in 1996, 3-5 in 2006 (and 3-5 more often). A member active in 1996
    gets 0-2 first, one active in 2006 gets 3-5; global popularity would give 3-5 to both."""
    rows, cols, times = [], [], []
    for u in range(30):
        for j in range(6):
            if (j < 3 and u < 10) or j >= 3:
                rows.append(u)
                cols.append(j)
                times.append(8.3e8 if j < 3 else 1.15e9 + u * DAY)
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(30, 6))
    t = sp.csr_matrix((np.array(times), (rows, cols)), shape=(30, 6))
    model = TimePopular(sigma=30.0, beta=0.0).fit(x, times=t)
    q = sp.csr_matrix(np.array([[1.0, 0, 0, 0, 0, 0], [0, 0, 0, 1.0, 0, 0]]))
    qt = sp.csr_matrix(np.array([[8.3e8 + DAY, 0, 0, 0, 0, 0], [0, 0, 0, 1.15e9, 0, 0]]))
    ids, _ = model.recommend(q, n=2, times=qt)
    assert set(ids[0]) == {1, 2}
    assert set(ids[1]) <= {4, 5}
    ids_plain, _ = model.recommend(q, n=2)
    assert set(ids_plain[0]) <= {3, 4, 5}
    path = tmp_path / "tp.npz"
    model.save(path)
    loaded = TimePopular.load(path)
    np.testing.assert_array_equal(loaded.recommend(q, n=2, times=qt)[0], ids)
    with np.load(path, allow_pickle=False) as data:
        assert not {"member_ids", "users"} & set(data.files)  # counts only


def test_day_counts_and_bad_input() -> None:
    x = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    t = sp.csr_matrix(np.array([[3 * DAY + 5, 5 * DAY], [3 * DAY + 70_000, 0.0]]))
    counts, start = day_counts(x, t)
    assert start == 3 * DAY
    np.testing.assert_array_equal(counts.toarray(), [[2, 0], [0, 0], [0, 1]])
    with pytest.raises(ValueError, match="non-zero pattern"):
        TimePopular().fit(x, times=sp.csr_matrix(np.ones((2, 2))))
    for params in ({"sigma": 0.0}, {"beta": -1.0}):
        with pytest.raises(ValueError):
            TimePopular(**params)
    assert MODELS["time-popular"] is TimePopular


def _log(seed: int) -> InteractionLog:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, [40, 30], size=(700, 2)), axis=0)
    return InteractionLog(
        users=pairs[:, 0].astype(np.int64),
        items=pairs[:, 1].astype(np.int64),
        times=(1.2e9 + rng.integers(0, 3_000, size=len(pairs)) * DAY).astype(np.int64),
        values=np.ones(len(pairs)),
        source="synthetic",
    )


@pytest.mark.parametrize("protocol", ["stratified", "strong"])
def test_held_out_times_never_reach_the_model(protocol: str) -> None:
    """Moving every test row's time changes nothing a time-aware candidate returns; moving the
    fit or query rows' times does. The query times are exactly the query rows' log times."""
    log = _log(3)
    fold = make_fold(log, protocol, seed=1)
    m = fold_matrices(log, fold)
    for name, params in (
        ("time-popular", {"sigma": 20.0, "beta": 0.5}),
        ("session-ease", {"l2": 2.0, "tau": 30.0, "weight": 1.0}),
    ):
        ranker = CANDIDATES[name].build(seed=0, **params)
        ranker.fit(m)
        base = ranker.top_k(m, 10)

        moved = log.times.copy()
        moved[fold.test] += 4_000 * 86_400
        m_test = fold_matrices(_with_times(log, moved), fold)
        again = CANDIDATES[name].build(seed=0, **params)
        again.fit(m_test)
        np.testing.assert_array_equal(again.top_k(m_test, 10), base)

        history = log.times.copy()
        history[np.union1d(fold.fit, fold.query)] = history[::-1][np.union1d(fold.fit, fold.query)]
        m_hist = fold_matrices(_with_times(log, history), fold)
        other = CANDIDATES[name].build(seed=0, **params)
        other.fit(m_hist)
        assert not np.array_equal(other.top_k(m_hist, 10), base)

    q = m.query_times.tocoo()
    lookup = {
        (int(u), int(i)): int(t) for u, i, t in zip(log.users, log.items, log.times, strict=True)
    }
    for r, c, t in zip(q.row, q.col, q.data, strict=True):
        assert lookup[(int(m.eval_ids[r]), int(m.title_ids[c]))] == t
    assert q.nnz == m.query.nnz


def _with_times(log: InteractionLog, times: np.ndarray) -> InteractionLog:
    return InteractionLog(log.users, log.items, times, log.values, log.source)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 12),
    st.integers(1, 6),
    st.integers(1, 80),
    st.floats(0.5, 30.0),
    st.integers(0, 2**31),
)
def test_viewers_near_match_brute_force(
    n_users: int, n_items: int, span: int, sigma: float, seed: int
) -> None:
    """Distinct counted members who took each title within σ days of one of a row's times, by
    loops: members of the fit data, less the ones no longer counted (their own times); query
    times fall inside the grid, before it and after it (binned to days as the counts are)."""
    x, t = _events(seed, n_users, n_items, span)
    if not x.any():
        return
    model = TimePopular(sigma=sigma).fit(sp.csr_matrix(x), times=sp.csr_matrix(t))
    rng = np.random.default_rng(seed + 2)
    qx = (rng.random((4, n_items)) < 0.5).astype(np.float64)
    shift = rng.integers(-3 * span - 40, 3 * span + 40, size=qx.shape) * DAY
    qt = np.where(qx > 0, 1.5e9 + shift + rng.integers(0, 86_000, size=qx.shape), 0.0)
    gone = rng.random(n_users) < 0.3  # withdrew after the training
    less = sp.csr_matrix(np.where(gone[:, None], t, 0.0))
    got = model.viewers_near(sp.csr_matrix(qt), less=less)
    plain = model.viewers_near(sp.csr_matrix(qt))
    ev_day = np.floor(t / DAY)
    for r in range(4):
        own = np.floor(qt[r][qx[r] > 0] / DAY)
        for j in range(n_items):
            near = [
                u
                for u in range(n_users)
                if x[u, j] > 0 and any(abs(ev_day[u, j] - d) <= sigma for d in own)
            ]
            assert plain[r, j] == len(near)
            assert got[r, j] == len([u for u in near if not gone[u]])
