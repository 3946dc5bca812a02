"""Session-aware EASE: conformance, a brute-force timed Gram, and a planted session oracle."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.recommend import EASE, MODELS, SessionEASE
from bingewise.recommend.ease import ease_weights
from bingewise.recommend.session_ease import SECONDS_PER_DAY, timed_gram
from bingewise.recommend.testing import RecommenderConformance

DAY = SECONDS_PER_DAY


class TestSessionEASE(RecommenderConformance):
    model_class = SessionEASE
    params: ClassVar[dict[str, Any]] = {"l2": 5.0, "tau": 0.01, "weight": 0.6}


def _random_history(seed: int, n_users: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.random((n_users, n_items)) < 0.4).astype(np.float64)
    t = np.where(x > 0, 1.5e9 + rng.integers(0, 30, size=x.shape) * 3_600.0, 0.0)
    return x, t


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(2, 9), st.floats(0.01, 5.0), st.integers(0, 2**31))
def test_timed_gram_matches_brute_force(n_users: int, n_items: int, tau: float, seed: int) -> None:
    """Σ_u Σ_ij exp(-|t_ui - t_uj| / τ) by a triple loop over members and title pairs."""
    x, t = _random_history(seed, n_users, n_items)
    expected = np.zeros((n_items, n_items))
    for u in range(n_users):
        for i in range(n_items):
            for j in range(n_items):
                if x[u, i] and x[u, j]:
                    expected[i, j] += np.exp(-abs(t[u, i] - t[u, j]) / (tau * DAY))
    got = timed_gram(sp.csr_matrix(x), sp.csr_matrix(t), tau)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(st.integers(3, 20), st.integers(3, 10), st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_blend_matches_dense_formula(n_users: int, n_items: int, weight: float, seed: int) -> None:
    """Weights are EASE on (1 - w)·XᵀX + w·timed Gram (dense reference)."""
    x, t = _random_history(seed, n_users, n_items)
    tau, l2 = 0.3, 2.0
    timed = timed_gram(sp.csr_matrix(x), sp.csr_matrix(t), tau)
    expected = ease_weights((1 - weight) * (x.T @ x) + weight * timed, l2)
    model = SessionEASE(l2=l2, tau=tau, weight=weight)
    model.fit(sp.csr_matrix(x), times=sp.csr_matrix(t))
    assert model.weights is not None
    np.testing.assert_allclose(model.weights, expected, atol=1e-5)


def test_plain_ease_without_times_or_weight_or_with_huge_tau() -> None:
    x, t = _random_history(4, 40, 15)
    xs, ts = sp.csr_matrix(x), sp.csr_matrix(t)
    ease = EASE(l2=3.0).fit(xs).weights
    assert ease is not None
    for model, times in (
        (SessionEASE(l2=3.0), None),
        (SessionEASE(l2=3.0, weight=0.0), ts),
        (SessionEASE(l2=3.0, tau=1e9, weight=1.0), ts),  # every pair weighs exp(≈0) = 1
    ):
        model.fit(xs, times=times)
        assert model.weights is not None
        np.testing.assert_allclose(model.weights, ease, atol=1e-5)


def test_planted_session_partner_ranks_first() -> None:
    """Titles 0 and 1 are each co-watched with 2 and with 3 equally often, but title 0 is always
    watched in the same sitting as 2 (minutes apart) and a year away from 3, title 1 the other
    way round. Plain EASE cannot tell 2 from 3 for a member who watched 0; the timed model must
    put 2 first, and 3 first for a member who watched 1."""
    rows, cols, times = [], [], []
    base = 1.4e9
    for u in range(40):
        a = u % 2  # members alternate: (0 with 2 close, 3 far) or (1 with 3 close, 2 far)
        close, far = (2, 3) if a == 0 else (3, 2)
        start = base + u * 10 * DAY
        for item, when in ((a, start), (close, start + 600.0), (far, start + 365 * DAY)):
            rows.append(u)
            cols.append(item)
            times.append(when)
    shape = (40, 4)
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    t = sp.csr_matrix((np.array(times), (rows, cols)), shape=shape)
    query = sp.csr_matrix(np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    plain = EASE(l2=1.0).fit(x).score(query)
    np.testing.assert_allclose(plain[0, 2], plain[0, 3], rtol=1e-6)
    ids, _ = SessionEASE(l2=1.0, tau=0.01, weight=1.0).fit(x, times=t).recommend(query, 1)
    np.testing.assert_array_equal(ids[:, 0], [2, 3])


def test_rejects_bad_parameters_and_mismatched_times() -> None:
    for params in ({"l2": 0.0}, {"tau": 0.0}, {"weight": 1.5}, {"weight": -0.1}):
        with pytest.raises(ValueError):
            SessionEASE(**params)
    x = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="non-zero pattern"):
        SessionEASE().fit(x, times=sp.csr_matrix(np.ones((3, 3))))
    assert MODELS["session-ease"] is SessionEASE


def test_evaluation_passes_fit_times_only() -> None:
    """The evaluation hands the model the times of the fit rows: its weights equal a direct fit
    on the fit matrix and fit times, and differ from plain EASE."""
    from bingewise.recommend.evaluation.candidates import CANDIDATES
    from bingewise.recommend.evaluation.data import InteractionLog
    from bingewise.recommend.evaluation.matrices import fold_matrices
    from bingewise.recommend.evaluation.splits import make_fold

    rng = np.random.default_rng(7)
    pairs = np.unique(rng.integers(0, [30, 25], size=(500, 2)), axis=0)
    log = InteractionLog(
        users=pairs[:, 0].astype(np.int64),
        items=pairs[:, 1].astype(np.int64),
        times=(1.5e9 + rng.integers(0, 10**6, size=len(pairs))).astype(np.int64),
        values=np.ones(len(pairs)),
        source="synthetic",
    )
    m = fold_matrices(log, make_fold(log, "stratified", seed=1))
    params = {"l2": 2.0, "tau": 0.5, "weight": 1.0}
    ranker = CANDIDATES["session-ease"].build(seed=0, **params)
    ranker.fit(m)
    got = ranker.model.weights  # type: ignore[attr-defined]
    direct = SessionEASE(**params).fit(m.fit, times=m.fit_times).weights
    plain = EASE(l2=2.0).fit(m.fit).weights
    assert direct is not None and plain is not None
    np.testing.assert_array_equal(got, direct)
    assert np.abs(direct - plain).max() > 1e-3
