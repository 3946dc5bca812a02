"""The budget ledger: budgets compose, overspending is refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.privacy.ledger import (
    DEFAULT_BUDGET,
    Budget,
    BudgetExceeded,
    Charge,
    PrivacyLedger,
)
from bingewise.registry import Registry


def _charge(fact: str, epsilon: float, delta: float = 0.0) -> Charge:
    return Charge(fact, "laplace", epsilon, delta, contribution_bound=1, accuracy_95=3.0)


def test_default_budget_until_set(registry: Registry) -> None:
    ledger = PrivacyLedger(registry)
    assert ledger.budget("2017") == DEFAULT_BUDGET
    ledger.set_budget("2017", epsilon=0.5, delta=1e-7)
    assert ledger.budget("2017") == Budget(0.5, 1e-7)
    ledger.set_budget("2017", epsilon=3.0, delta=1e-6)
    assert ledger.budget("2017") == Budget(3.0, 1e-6)
    assert ledger.budget("2018") == DEFAULT_BUDGET


def test_releases_compose_and_overspending_is_refused(registry: Registry) -> None:
    ledger = PrivacyLedger(registry)
    ledger.set_budget("2017", epsilon=2.0, delta=1e-6)
    release = [_charge("a", 0.3, 2e-7), _charge("b", 0.7, 0.0)]
    first = ledger.charge("2017", release)
    second = ledger.charge("2017", release)
    assert first != second
    assert ledger.spent("2017").epsilon == pytest.approx(2.0)
    assert ledger.spent("2017").delta == pytest.approx(4e-7)
    with pytest.raises(BudgetExceeded) as info:
        ledger.charge("2017", [_charge("c", 0.01)])
    message = str(info.value)
    assert "2017" in message and "nothing was released" in message
    # The refused release left no trace; other periods are independent.
    assert len(ledger.entries("2017")) == 4
    ledger.charge("2018", release)
    assert ledger.remaining("2017").epsilon == pytest.approx(0.0)


def test_delta_alone_can_exceed(registry: Registry) -> None:
    ledger = PrivacyLedger(registry)
    ledger.set_budget("2017-03", epsilon=10.0, delta=1e-7)
    with pytest.raises(BudgetExceeded):
        ledger.charge("2017-03", [_charge("a", 0.1, 2e-7)])
    assert ledger.entries("2017-03") == []


def test_entries_record_every_field(registry: Registry) -> None:
    ledger = PrivacyLedger(registry)
    charge = Charge("top_titles", "laplace_threshold", 0.3, 2.5e-8, 3, 30.4)
    rid = ledger.charge("2017", [charge], release_id="r1")
    (entry,) = ledger.entries()
    assert rid == "r1" and entry.release_id == "r1" and entry.period == "2017"
    assert entry.charge == charge


def test_bad_budgets_are_rejected(registry: Registry) -> None:
    ledger = PrivacyLedger(registry)
    with pytest.raises(ValueError):
        ledger.set_budget("2017", epsilon=0.0, delta=1e-6)
    with pytest.raises(ValueError):
        ledger.set_budget("2017", epsilon=1.0, delta=1.5)
    with pytest.raises(ValueError):
        ledger.charge("2017", [])


@given(shares=st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=12))
def test_spend_is_the_sum_of_accepted_charges(shares: list[int]) -> None:
    """Property: accepted charges never exceed the budget, and refusals happen only at the edge."""
    registry = Registry.open("sqlite://")
    ledger = PrivacyLedger(registry)
    ledger.set_budget("p", epsilon=1.0, delta=1e-6)
    accepted = 0.0
    for share in shares:
        eps = share / 20
        try:
            ledger.charge("p", [_charge("x", eps)])
            accepted += eps
        except BudgetExceeded:
            assert accepted + eps > 1.0
    assert ledger.spent("p").epsilon == pytest.approx(accepted)
    assert accepted <= 1.0 + 1e-9
    registry.close()


def test_periods_that_share_days_share_their_budget(registry: Registry) -> None:
    """The same year named otherwise, a month of it, or a range over its first day reads the
    same members' viewing: each release is charged to all of them (a fresh budget per name let
    one year's members be charged ε 7.6 against a budget of 2)."""
    ledger = PrivacyLedger(registry)
    ledger.charge("2017", [_charge("a", 0.8)])
    ledger.charge("2017", [_charge("a", 0.8)])
    for alias in (
        "2017-01-01:2017-12-31",
        "2017-01",
        "2017-01-01:2017-03-01",
        "2016-12-31:2017-01-01",
    ):
        with pytest.raises(BudgetExceeded):
            ledger.charge(alias, [_charge("b", 1.5)])
        assert ledger.spent(alias).epsilon == pytest.approx(1.6)
    ledger.charge("2017-06", [_charge("c", 0.3)])  # fits: 1.6 + 0.3 ≤ 2
    assert ledger.spent("2017").epsilon == pytest.approx(1.9)
    with pytest.raises(BudgetExceeded) as info:  # 2017-07 alone has room; 2017 has not
        ledger.charge("2017-07", [_charge("d", 0.2)])
    assert "2017" in str(info.value)
    ledger.charge("2018-01", [_charge("e", 1.5)])  # another year shares no day
    assert ledger.spent("2016").epsilon == 0 and ledger.spent("p").epsilon == 0
