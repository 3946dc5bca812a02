"""Session blend: conformance (with and without planted times), sittings by brute force, and the
blend formula against its parts."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.recommend import MODELS, SessionBlend, SessionEASE, TimePopular
from bingewise.recommend.evaluation.candidates import CANDIDATES, SessionBlendRanker
from bingewise.recommend.evaluation.data import InteractionLog
from bingewise.recommend.evaluation.matrices import fold_matrices
from bingewise.recommend.evaluation.splits import make_fold
from bingewise.recommend.session_blend import SITTING_GAP, sitting_sizes
from bingewise.recommend.testing import RecommenderConformance

DAY = 86_400.0
PARAMS: dict[str, Any] = {
    "l2": 5.0,
    "tau": 0.5,
    "weight": 0.6,
    "sitting_power": 0.5,
    "sigma": 30.0,
    "beta": 0.5,
    "mix": 0.2,
}


class TestSessionBlend(RecommenderConformance):
    model_class = SessionBlend
    params: ClassVar[dict[str, Any]] = PARAMS


class TestSessionBlendTimed(RecommenderConformance):
    model_class = SessionBlend
    params: ClassVar[dict[str, Any]] = PARAMS
    planted_times = True


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 20_000), min_size=1, max_size=12), st.integers(0, 2**31))
def test_sitting_sizes_match_a_loop(gaps_seconds: list[float], seed: int) -> None:
    """Each time's sitting is found by walking the sorted times; the order of storage is free."""
    times = 1.5e9 + np.cumsum(gaps_seconds)
    rng = np.random.default_rng(seed)
    cols = rng.permutation(len(times))
    row = sp.csr_matrix((times, (np.zeros(len(times), dtype=int), cols)), shape=(1, len(times)))
    got = sitting_sizes(row)
    expected_by_time: dict[float, int] = {}
    run: list[float] = [times[0]]
    for prev, cur in itertools.pairwise(times):
        if cur - prev >= SITTING_GAP:
            expected_by_time.update({t: len(run) for t in run})
            run = []
        run.append(cur)
    expected_by_time.update({t: len(run) for t in run})
    t_sorted = sp.csr_matrix(row)
    for value, size in zip(t_sorted.data, got.data, strict=True):
        assert size == expected_by_time[value]


def _history(seed: int, n_users: int = 30, n_items: int = 12) -> tuple[sp.csr_matrix, ...]:
    rng = np.random.default_rng(seed)
    x = (rng.random((n_users, n_items)) < 0.35).astype(np.float64)
    t = np.where(x > 0, 1.4e9 + rng.integers(0, 200, size=x.shape) * 900.0, 0.0)
    t += np.where(x > 0, rng.integers(0, 3, size=x.shape) * 40 * DAY, 0.0)
    return sp.csr_matrix(x), sp.csr_matrix(t)


@pytest.mark.parametrize("power, mix", [(0.0, 0.0), (0.5, 0.0), (0.7, 0.4), (-0.5, 1.0)])
def test_scores_are_the_blend_of_their_parts(power: float, mix: float) -> None:
    """z(x̃ B) + mix · z(time-local popularity), x̃_ui = sitting size^p, from the parts alone."""
    x, t = _history(5)
    params = {**PARAMS, "sitting_power": power, "mix": mix}
    model = SessionBlend(**params).fit(x, times=t)
    got = model.score_at(x, t)
    ease = SessionEASE(l2=5.0, tau=0.5, weight=0.6).fit(x, times=t)
    pop = TimePopular(sigma=30.0, beta=0.5).fit(x, times=t)
    assert ease.weights is not None
    xd, td = x.toarray(), t.toarray()
    weighted = np.zeros_like(xd)
    for u in range(xd.shape[0]):
        for i in np.flatnonzero(xd[u]):
            size = 0
            for j in np.flatnonzero(xd[u]):  # same sitting: no gap ≥ 30 min between them
                lo, hi = sorted((td[u, i], td[u, j]))
                between = np.sort(td[u][(xd[u] > 0) & (td[u] >= lo) & (td[u] <= hi)])
                size += bool(np.all(np.diff(between) < SITTING_GAP))
            weighted[u, i] = size**power

    def z(s: np.ndarray) -> np.ndarray:
        sd = s.std(axis=1, keepdims=True)
        return (s - s.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)

    expected = z(weighted @ ease.weights) + mix * z(pop.score_at(x, t))
    np.testing.assert_allclose(got, expected, atol=1e-4)
    if power == 0 and mix == 0:  # session-ease's own ranking
        ids_blend, _ = model.recommend(x, n=5, times=t)
        ids_ease, _ = ease.recommend(x, n=5)
        np.testing.assert_array_equal(ids_blend, ids_ease)


def test_tuning_fits_the_session_ease_part_once_per_fold() -> None:
    """The ranker reuses the session-ease part for the same fit matrix and parameters, and the
    result equals a model fitted from scratch."""
    rng = np.random.default_rng(2)
    pairs = np.unique(rng.integers(0, [30, 20], size=(400, 2)), axis=0)
    log = InteractionLog(
        users=pairs[:, 0].astype(np.int64),
        items=pairs[:, 1].astype(np.int64),
        times=(1.3e9 + rng.integers(0, 10**6, size=len(pairs))).astype(np.int64),
        values=np.ones(len(pairs)),
        source="synthetic",
    )
    m = fold_matrices(log, make_fold(log, "stratified", seed=1))
    first = CANDIDATES["session-blend"].build(seed=0, **{**PARAMS, "mix": 0.1})
    second = CANDIDATES["session-blend"].build(seed=0, **{**PARAMS, "mix": 0.3})
    assert isinstance(first, SessionBlendRanker) and isinstance(second, SessionBlendRanker)
    first.fit(m)
    second.fit(m)
    assert first.model.ease is second.model.ease  # type: ignore[attr-defined]
    direct = SessionBlend(**{**PARAMS, "mix": 0.3}).fit(m.fit, times=m.fit_times)
    ids, _ = direct.recommend(m.query, 10, times=m.query_times)
    np.testing.assert_array_equal(second.top_k(m, 10), ids)


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        SessionBlend(mix=-0.1)
    x, t = _history(1)
    model = SessionBlend(**PARAMS).fit(x, times=t)
    with pytest.raises(ValueError, match="non-zero pattern"):
        model.score_at(x, sp.csr_matrix(np.ones(x.shape)))
    with pytest.raises(ValueError, match="fitted with this model's parameters"):
        SessionBlend(**PARAMS).fit_with(SessionEASE(l2=1.0), x, t)
    assert MODELS["session-blend"] is SessionBlend


def _near_by_loop(
    fit_x: np.ndarray, fit_t: np.ndarray, row_t: np.ndarray, sigma: float
) -> np.ndarray:
    """Distinct training members who took each title within ``floor(sigma)`` days of one of
    the row's times (days binned as UTC days), one member at a time."""
    reach = np.floor(sigma)
    row_days = np.floor(row_t[row_t > 0] / DAY)
    out = np.zeros(fit_x.shape[1])
    for u in range(fit_x.shape[0]):
        for j in range(fit_x.shape[1]):
            if fit_x[u, j] > 0:
                day = np.floor(fit_t[u, j] / DAY)
                out[j] += bool((np.abs(row_days - day) <= reach).any())
    return out


@pytest.mark.parametrize("seed", [3, 8])
def test_titles_few_members_took_around_the_members_times_get_no_time_local_part(
    seed: int,
) -> None:
    """Brute force: with the titles ``counted`` (at least k members took them within σ days
    of the member's times, counted by a loop over the training members), the score is
    z(EASE part) + mix · z(time-local part), the time-local part standardised over the
    counted titles only; a title outside them is scored by the EASE part alone, so its
    score is the same whatever its time-local popularity, and a title one member took around
    the member's times gets no boost from it."""
    rng = np.random.default_rng(seed)
    x = sp.csr_matrix((rng.random((40, 14)) < 0.3).astype(np.float64))
    t = x.copy()  # a year of days, any second of the day
    t.data = 1.4e9 + rng.integers(0, 365, size=x.nnz) * DAY + rng.integers(0, 86_400, x.nnz)
    model = SessionBlend(**{**PARAMS, "sigma": 10.0, "mix": 0.7}).fit(x, times=t)
    twin = SessionBlend(**{**PARAMS, "sigma": 10.0, "mix": 0.0}).fit_with(model.ease, x, t)
    k = 3
    xd, td = x.toarray(), t.toarray()
    boosted_one = mixed = 0
    for r in range(8):
        near = _near_by_loop(xd, td, td[r], 10.0)
        np.testing.assert_array_equal(model.popular.viewers_near(t[r])[0], near)
        counted = near >= k
        mixed += int(counted.any() and not counted.all())
        ease_z = twin.score_at(x[r], t[r])[0]
        local = model.popular.score_at(x[r], t[r])[0]
        part = np.zeros_like(local)
        vals = local[counted]
        sd = vals.std()
        part[counted] = (vals - vals.mean()) / (sd if sd > 0 else 1.0)
        expected = ease_z + 0.7 * part
        got = model.score_counted(x[r], t[r], counted[None, :])[0]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(got[~counted], ease_z[~counted])  # no part at all
        # Without the rule, a title one member took then is lifted by the time-local part.
        free = model.score_at(x[r], t[r])[0]
        lifted = (near == 1) & (free > ease_z + 1e-9)
        boosted_one += int(lifted.sum())
        assert (got[lifted] < free[lifted]).all()
    assert mixed  # rows with titles on both sides of the minimum
    assert boosted_one  # the data does hold such titles: the rule is what removes the lift
    # Every title counted: the blend's own scores.
    everything = np.ones((1, x.shape[1]), dtype=bool)
    np.testing.assert_allclose(
        model.score_counted(x[0], t[0], everything), model.score_at(x[0], t[0]), rtol=1e-12
    )
