"""Differentially private counts through OpenDP: the only place noise is made.

Every published number goes through one of three OpenDP measurements over counts that the caller
aggregated itself (with each member's contribution already bounded):

- :func:`laplace_counts`: public keys (countries, fixed buckets); ``then_laplace`` on a vector of
  integer counts, pure ε-DP.
- :func:`threshold_counts`: keys that are not public (titles, seasons, streak lengths);
  ``then_laplace_threshold`` on a map of counts, (ε, δ)-DP. A key whose *noisy* count falls under
  the threshold is dropped, so a group of a few members never appears; the threshold is the
  smallest one whose δ (from OpenDP's privacy map) fits the budget.
- :func:`gaussian_counts`: public keys with an L2 bound; ``then_gaussian`` (zCDP) converted to
  (ε, δ) with OpenDP's combinators.

Noise is never written here: this module only builds OpenDP measurements and calibrates their
scale with OpenDP's privacy maps (``binary_search_param``). OpenDP's noise is not seedable.

A *contribution bound* says how much one member can move the counts: ``keys`` is how many
different keys a member may touch, ``per_key`` how much they may add to one key. The caller must
enforce it (truncate each member to ``keys`` keys, clamp values to ``per_key``).

Accuracy is stated at 95%: with probability 0.95 a released count is within ``accuracy_95`` of
the true (bounded) count, from OpenDP's ``discrete_*_scale_to_accuracy``.

>>> mech = laplace_counts(["a", "b"], Bound(keys=1, per_key=1), epsilon=1.0)
>>> sorted(mech.release({"a": 100, "b": 3}))
['a', 'b']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import opendp.prelude as dp

__all__ = [
    "ALPHA",
    "Bound",
    "CountMechanism",
    "gaussian_counts",
    "laplace_counts",
    "threshold_counts",
]

dp.enable_features("contrib")

#: Accuracy statements are at 1 - ALPHA = 95%.
ALPHA = 0.05

LAPLACE = "laplace"
LAPLACE_THRESHOLD = "laplace_threshold"
GAUSSIAN = "gaussian"
_FAR = 2**30  #: a threshold no count reaches (OpenDP takes 32-bit integers here)


@dataclass(frozen=True, slots=True)
class Bound:
    """How much one member can change the counts.

    ``keys``: distinct keys (titles, buckets...) one member may add to; ``per_key``: the most one
    member adds to a single key (1 for "members who..." counts; 365 for a sum of days).
    """

    keys: int = 1
    per_key: int = 1

    def __post_init__(self) -> None:
        if self.keys < 1 or self.per_key < 1:
            raise ValueError(f"contribution bound must be positive, got {self}")

    @property
    def l1(self) -> int:
        """L1 sensitivity of the count vector (adding or removing one member)."""
        return self.keys * self.per_key

    @property
    def l2(self) -> float:
        """L2 sensitivity of the count vector."""
        return math.sqrt(self.keys) * self.per_key

    @property
    def total(self) -> int:
        """The whole contribution of one member, as the ledger records it."""
        return self.l1


@dataclass(frozen=True)
class CountMechanism:
    """An OpenDP measurement over integer counts, with the parameters it was built from.

    ``release(counts)`` runs it: public-key mechanisms return every key, thresholded ones only
    the keys whose noisy count reached ``threshold``. ``epsilon`` and ``delta`` come from the
    measurement's own privacy map at ``bound``.
    """

    name: str
    bound: Bound
    epsilon: float
    delta: float
    scale: float
    accuracy_95: float
    keys: tuple[str, ...] | None = None  #: the public keys, in order (None when not public)
    threshold: int | None = None
    measurement: Any = field(default=None, repr=False, compare=False)

    def accuracy(self, alpha: float = ALPHA) -> float:
        """Half-width that a released count's error stays within with probability 1 - alpha."""
        if self.name == GAUSSIAN:
            return float(dp.discrete_gaussian_scale_to_accuracy(self.scale, alpha))
        return float(dp.discrete_laplacian_scale_to_accuracy(self.scale, alpha))

    def release(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Noisy counts of ``counts`` (bounded by the caller) through the OpenDP measurement."""
        if self.keys is not None:
            unknown = set(counts) - set(self.keys)
            if unknown:
                raise ValueError(f"keys outside the public key set: {len(unknown)} key(s)")
            vector = [int(counts.get(k, 0)) for k in self.keys]
            noisy = self.measurement(vector)
            return {k: int(v) for k, v in zip(self.keys, noisy, strict=True)}
        clean = {str(k): int(v) for k, v in counts.items()}
        noisy_map = self.measurement(clean)
        return {str(k): int(v) for k, v in noisy_map.items()}


def _check_budget(epsilon: float, delta: float | None = None) -> None:
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise ValueError(f"epsilon must be positive and finite, got {epsilon}")
    if delta is not None and not (0 < delta < 1):
        raise ValueError(f"delta must be in (0, 1), got {delta}")


def laplace_counts(keys: Sequence[str], bound: Bound, epsilon: float) -> CountMechanism:
    """Laplace noise on counts over public ``keys`` (ε-DP), scale calibrated by OpenDP.

    Every key is released, including zeros: the key set is public, so its presence says nothing.
    """
    _check_budget(epsilon)
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)

    def make(scale: float) -> Any:
        return space >> dp.m.then_laplace(scale=scale)

    scale = float(dp.binary_search_param(make, d_in=bound.l1, d_out=epsilon))
    meas = make(scale)
    return CountMechanism(
        name=LAPLACE,
        bound=bound,
        epsilon=float(meas.map(bound.l1)),
        delta=0.0,
        scale=scale,
        accuracy_95=float(dp.discrete_laplacian_scale_to_accuracy(scale, ALPHA)),
        keys=tuple(keys),
        measurement=meas,
    )


def threshold_counts(bound: Bound, epsilon: float, delta: float) -> CountMechanism:
    """Laplace noise then a threshold, for counts whose keys are not public ((ε, δ)-DP).

    The scale is about ``bound.l1 / epsilon``; the threshold is the smallest integer for which
    OpenDP's privacy map gives at most ``delta`` when one member changes up to ``bound.keys``
    keys by up to ``bound.per_key`` each. Keys absent from the input are never released.
    """
    _check_budget(epsilon, delta)
    space = (
        dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int)),
        dp.l01inf_distance(dp.absolute_distance(T=int)),
    )
    d_in = (bound.keys, bound.l1, bound.per_key)

    def make(scale: float, threshold: int) -> Any:
        return space >> dp.m.then_laplace_threshold(scale=scale, threshold=threshold)

    # Scale first (with a threshold out of reach, only ε binds), then the smallest threshold
    # whose δ fits. OpenDP's binary search cannot order (ε, δ) pairs here, so bisect its maps.
    scale = bound.l1 / epsilon
    while make(scale, _FAR).map(d_in)[0] > epsilon:
        scale = math.nextafter(scale, math.inf)
    low, high = bound.per_key, _FAR  # δ(high) ≤ delta; search the smallest such threshold
    if make(scale, high).map(d_in)[1] > delta:
        raise ValueError(f"no threshold reaches delta={delta} with epsilon={epsilon}")
    while low < high:
        mid = (low + high) // 2
        if make(scale, mid).map(d_in)[1] <= delta:
            high = mid
        else:
            low = mid + 1
    threshold = high
    meas = make(scale, threshold)
    eps_used, delta_used = meas.map(d_in)
    return CountMechanism(
        name=LAPLACE_THRESHOLD,
        bound=bound,
        epsilon=float(eps_used),
        delta=float(delta_used),
        scale=scale,
        accuracy_95=float(dp.discrete_laplacian_scale_to_accuracy(scale, ALPHA)),
        threshold=threshold,
        measurement=meas,
    )


def gaussian_counts(
    keys: Sequence[str], bound: Bound, epsilon: float, delta: float
) -> CountMechanism:
    """Gaussian noise on counts over public ``keys``, as (ε, δ)-DP via zCDP conversion.

    Better than Laplace when a member touches many keys a little (L2 ≪ L1); OpenDP's
    ``then_gaussian`` is zCDP, turned into (ε, δ) with ``make_zCDP_to_approxDP`` and
    ``make_fix_delta``; the scale is the smallest that fits (ε, δ).
    """
    _check_budget(epsilon, delta)
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)
    # OpenDP's integer L2 metric takes an integer distance: the smallest integer ≥ the L2 bound.
    d_in = math.ceil(bound.l2 - 1e-9)

    def make(scale: float) -> Any:
        zcdp = space >> dp.m.then_gaussian(scale=scale)
        return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(zcdp), delta=delta)

    scale = float(dp.binary_search_param(make, d_in=d_in, d_out=(epsilon, delta)))
    meas = make(scale)
    eps_used, delta_used = meas.map(d_in)
    return CountMechanism(
        name=GAUSSIAN,
        bound=bound,
        epsilon=float(eps_used),
        delta=float(delta_used),
        scale=scale,
        accuracy_95=float(dp.discrete_gaussian_scale_to_accuracy(scale, ALPHA)),
        keys=tuple(keys),
        measurement=meas,
    )
