"""Empirical privacy: releases on datasets one member apart are not distinguishable beyond ε.

For neighbouring datasets D and D' (D plus one member), a fact is released many times on each;
its outputs are binned and, for every bin, the ratio of the two probabilities gets a one-sided
Clopper–Pearson lower bound (Bonferroni over bins and both directions, overall level 0.001). The
largest log-ratio lower bound estimates ε from below: it must not exceed the declared ε. The same
estimator flags a mechanism whose real ε is larger than declared, so the check can fail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from bingewise.privacy.dp import Bound, CountMechanism, laplace_counts, threshold_counts
from bingewise.privacy.inputs import parse_period, synthetic_tables
from bingewise.privacy.release import COUNTRY_KEYS, MemberTables, aggregate, plan_release
from bingewise.schema import MemberFacts, Members, Plays, Streaks

RUNS = 3_000
SUPPRESSED = -(10**12)  #: output code of a key that was not released
YEAR = parse_period("2017")
SHOW = 700_000


def eps_lower_bound(a: np.ndarray, b: np.ndarray, width: float, alpha: float = 1e-3) -> float:
    """Lower confidence bound on max over bins of |log P_a(bin) / P_b(bin)|."""
    bins_a = np.where(a == SUPPRESSED, SUPPRESSED, np.floor(a / width))
    bins_b = np.where(b == SUPPRESSED, SUPPRESSED, np.floor(b / width))
    ka, na = np.unique(bins_a, return_counts=True)
    kb, nb = np.unique(bins_b, return_counts=True)
    ca = dict(zip(ka.tolist(), na.tolist(), strict=True))
    cb = dict(zip(kb.tolist(), nb.tolist(), strict=True))
    bins = [k for k in set(ca) | set(cb) if ca.get(k, 0) + cb.get(k, 0) >= 50]
    level = alpha / (2 * len(bins))
    best = 0.0
    for k in bins:
        for x, n_x, y, n_y in (
            (ca.get(k, 0), len(a), cb.get(k, 0), len(b)),
            (cb.get(k, 0), len(b), ca.get(k, 0), len(a)),
        ):
            if x == 0:
                continue
            low = stats.beta.ppf(level, x, n_x - x + 1)
            high = 1.0 if y >= n_y else stats.beta.ppf(1 - level, y + 1, n_y - y)
            best = max(best, math.log(low / high))
    return best


def _runs(mech: CountMechanism, counts: dict[str, int], key: str) -> np.ndarray:
    return np.array([mech.release(counts).get(key, SUPPRESSED) for _ in range(RUNS)], float)


def _member(member: int, *, active_days: int) -> MemberTables:
    """One heavy member: 30 shows, an 18-day streak on SHOW, ``active_days`` (may be bogus)."""
    base = synthetic_tables(1, seed=9)
    return MemberTables(
        YEAR,
        titles=pd.DataFrame(
            {
                Plays.member_id: member,
                Plays.show_id: list(range(SHOW, SHOW + 30)),
                Plays.seconds: 10_000,
            }
        ),
        races=base.races.iloc[0:0],
        activity=pd.DataFrame(
            {
                MemberFacts.member_id: [member],
                Members.country: ["BR"],
                MemberFacts.active_days: [active_days],
                MemberFacts.hours_per_active_day: [3.5],
                MemberFacts.longest_streak_days: [active_days],
            }
        ),
        streaks=pd.DataFrame(
            {Streaks.member_id: [member], Streaks.show_id: [SHOW], Streaks.days: [18]}
        ),
    )


def _neighbours() -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    base = synthetic_tables(800, seed=11)
    group = MemberTables(
        YEAR,
        titles=base.titles.iloc[0:0],
        races=base.races.iloc[0:0],
        activity=base.activity.iloc[0:0],
        streaks=pd.DataFrame(
            {
                Streaks.member_id: range(50_000_000, 50_000_053),
                Streaks.show_id: SHOW,
                Streaks.days: 18,
            }
        ),
    )
    d = base.plus(group)
    return aggregate(d), aggregate(d.plus(_member(60_000_000, active_days=10_000)))


def test_one_member_moves_each_fact_within_its_bound() -> None:
    d, d2 = _neighbours()
    plan = plan_release(1.0, 1e-7, YEAR.days)
    for name, mech in plan.mechanisms.items():
        keys = set(d[name]) | set(d2[name])
        diff = {k: abs(d2[name].get(k, 0) - d[name].get(k, 0)) for k in keys}
        changed = [v for v in diff.values() if v]
        assert len(changed) <= mech.bound.keys, name
        assert max(changed, default=0) <= mech.bound.per_key, name
        assert sum(changed) <= mech.bound.l1, name


def test_title_streak_group_is_not_distinguishable_beyond_epsilon() -> None:
    d, d2 = _neighbours()
    key = f"{SHOW}:18"
    a, b = {key: d["title_streaks"][key]}, {key: d2["title_streaks"][key]}
    assert (a[key], b[key]) == (53, 54)  # the other keys are equal in D and D'
    mech = threshold_counts(Bound(keys=1), epsilon=1.0, delta=1e-6)
    on_d = _runs(mech, a, key)
    estimate = eps_lower_bound(on_d, _runs(mech, b, key), width=1.0)
    assert 0.5 < estimate <= mech.epsilon
    # A mechanism really at ε = 3, declared as 1, is caught by the same estimate.
    leaky = threshold_counts(Bound(keys=1), epsilon=3.0, delta=1e-6)
    assert eps_lower_bound(_runs(leaky, a, key), _runs(leaky, b, key), width=1.0) > 1.0


def test_clamped_viewing_days_are_not_distinguishable_beyond_epsilon() -> None:
    d, d2 = _neighbours()
    name = "countries.viewing_days"
    assert d2[name]["BR"] - d[name]["BR"] == YEAR.days  # 10,000 bogus days clamped to 365
    mech = laplace_counts(COUNTRY_KEYS, Bound(keys=1, per_key=YEAR.days), epsilon=1.0)
    width = mech.scale / 2
    on_d = _runs(mech, d[name], "BR")
    estimate = eps_lower_bound(on_d, _runs(mech, d2[name], "BR"), width)
    assert 0.3 < estimate <= mech.epsilon
    # Without the clamp the member would move the sum by 10,000 days: plainly distinguishable.
    unclamped = dict(d[name], BR=d[name]["BR"] + 10_000)
    leak = eps_lower_bound(on_d, _runs(mech, unclamped, "BR"), width)
    assert leak > 1.0
