"""OpenDP mechanisms: the noise matches its declared distribution; thresholds suppress.

OpenDP's noise cannot be seeded, so every statistical check uses many samples and a strict
level (p > 0.001 to accept, p < 1e-6 to reject a wrong distribution), which keeps the suite
stable: a correct mechanism fails the acceptance check one time in a thousand at most.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bingewise.privacy.dp import (
    Bound,
    gaussian_counts,
    laplace_counts,
    threshold_counts,
)

N = 20_000
P_ACCEPT = 1e-3
P_REJECT = 1e-6


def _chi_square(samples: np.ndarray, pmf: np.ndarray, support: np.ndarray) -> float:
    """Goodness of fit of integer ``samples`` to ``pmf`` over ``support`` (tails pooled)."""
    expected = pmf * len(samples)
    keep = expected >= 5
    lo, hi = support[keep].min(), support[keep].max()
    observed = np.array([np.sum(samples == k) for k in support[keep]], dtype=float)
    exp_in = expected[keep]
    observed = np.append(observed, [np.sum(samples < lo), np.sum(samples > hi)])
    exp_out = [pmf[support < lo].sum() * len(samples), pmf[support > hi].sum() * len(samples)]
    exp_all = np.append(exp_in, exp_out)
    exp_all = exp_all * observed.sum() / exp_all.sum()
    return float(stats.chisquare(observed, exp_all).pvalue)


def _dlaplace_pmf(scale: float, support: np.ndarray) -> np.ndarray:
    return stats.dlaplace(1.0 / scale).pmf(support)  # type: ignore[no-any-return]


def _dgauss_pmf(sigma: float, support: np.ndarray) -> np.ndarray:
    w = np.exp(-(support.astype(float) ** 2) / (2 * sigma**2))
    return w / w.sum()


SUPPORT = np.arange(-400, 401)


def test_laplace_noise_is_discrete_laplace_of_the_declared_scale() -> None:
    keys = [f"k{i}" for i in range(N)]
    mech = laplace_counts(keys, Bound(keys=1, per_key=1), epsilon=0.25)
    assert mech.scale == pytest.approx(4.0) and mech.epsilon == pytest.approx(0.25)
    noise = np.array(list(mech.release(dict.fromkeys(keys, 100)).values())) - 100
    assert _chi_square(noise, _dlaplace_pmf(mech.scale, SUPPORT), SUPPORT) > P_ACCEPT
    # The same test rejects a wrong scale and a Gaussian of the same variance.
    assert _chi_square(noise, _dlaplace_pmf(mech.scale * 1.25, SUPPORT), SUPPORT) < P_REJECT
    sigma = float(np.sqrt(stats.dlaplace(1.0 / mech.scale).var()))
    assert _chi_square(noise, _dgauss_pmf(sigma, SUPPORT), SUPPORT) < P_REJECT


def test_laplace_scale_follows_sensitivity() -> None:
    days = laplace_counts(["a"], Bound(keys=1, per_key=365), epsilon=0.1)
    assert days.scale == pytest.approx(3650.0)
    three = laplace_counts(["a"], Bound(keys=3, per_key=1), epsilon=0.3)
    assert three.scale == pytest.approx(10.0)


def test_thresholded_noise_above_threshold_is_laplace() -> None:
    mech = threshold_counts(Bound(keys=1), epsilon=0.5, delta=1e-7)
    assert mech.threshold is not None
    base = mech.threshold + 200  # far above: every key is released
    counts = {f"t{i}": base for i in range(N)}
    out = mech.release(counts)
    assert len(out) == N
    noise = np.array(list(out.values())) - base
    assert _chi_square(noise, _dlaplace_pmf(mech.scale, SUPPORT), SUPPORT) > P_ACCEPT
    assert _chi_square(noise, _dlaplace_pmf(mech.scale * 0.8, SUPPORT), SUPPORT) < P_REJECT


def test_gaussian_noise_matches_its_scale() -> None:
    keys = [f"k{i}" for i in range(N)]
    mech = gaussian_counts(keys, Bound(keys=4, per_key=1), epsilon=1.0, delta=1e-7)
    assert mech.epsilon <= 1.0 + 1e-9 and mech.delta <= 1e-7
    noise = np.array(list(mech.release(dict.fromkeys(keys, 0)).values()))
    assert _chi_square(noise, _dgauss_pmf(mech.scale, SUPPORT), SUPPORT) > P_ACCEPT
    assert _chi_square(noise, _dgauss_pmf(mech.scale * 1.1, SUPPORT), SUPPORT) < P_REJECT


def test_threshold_is_the_smallest_that_fits_delta() -> None:
    bound = Bound(keys=3, per_key=1)
    mech = threshold_counts(bound, epsilon=0.3, delta=2.5e-8)
    assert mech.threshold is not None
    d_in = (bound.keys, bound.l1, bound.per_key)
    eps, delta = mech.measurement.map(d_in)
    assert eps <= 0.3 and delta <= 2.5e-8
    # One less would spend more δ than allowed (OpenDP's own privacy map).
    from bingewise.privacy import dp as dpmod

    looser = dpmod.dp.m.make_laplace_threshold(
        mech.measurement.input_domain,
        mech.measurement.input_metric,
        scale=mech.scale,
        threshold=mech.threshold - 1,
    )
    assert looser.map(d_in)[1] > 2.5e-8


def test_thresholds_suppress_small_groups_and_keep_large_ones() -> None:
    mech = threshold_counts(Bound(keys=1), epsilon=0.15, delta=2.5e-8)
    assert mech.threshold is not None
    small = {f"s{i}": 1 + i % 5 for i in range(N)}  # groups of one to five members
    assert mech.release(small) == {}
    large = {f"l{i}": mech.threshold + int(12 * mech.scale) for i in range(2000)}
    assert len(mech.release(large)) >= 1990  # misses only when noise < -12 scales


def test_stated_accuracy_covers_95_percent() -> None:
    keys = [f"k{i}" for i in range(N)]
    mech = laplace_counts(keys, Bound(keys=2, per_key=1), epsilon=0.4)
    noise = np.abs(np.array(list(mech.release(dict.fromkeys(keys, 0)).values())))
    inside = int(np.sum(noise <= mech.accuracy_95))
    # Binomial(N, ≥0.95): the share inside is at least 0.95 up to sampling error.
    assert stats.binomtest(inside, N, 0.95, alternative="less").pvalue > P_ACCEPT
    assert inside / N < 0.975  # and the statement is not vacuous


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        Bound(keys=0)
    with pytest.raises(ValueError):
        laplace_counts(["a"], Bound(), epsilon=0.0)
    with pytest.raises(ValueError):
        threshold_counts(Bound(), epsilon=1.0, delta=0.0)
    mech = laplace_counts(["a"], Bound(), epsilon=1.0)
    with pytest.raises(ValueError, match="public key"):
        mech.release({"b": 3})
