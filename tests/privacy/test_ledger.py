"""The budget ledger: budgets compose, overspending is refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.privacy.ledger import (
    DEFAULT_BUDGET,
    Budget,
    BudgetBelowSpent,
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


def test_disjoint_parts_of_a_year_share_the_year_budget(registry: Registry) -> None:
    """Both halves of 2017 read the same members' 2017 viewing: with nothing recorded for 2017
    itself, each half once got a fresh ε 2 and 2017 ended with ε 4 spent against its 2. Every
    release is charged to the calendar years it touches, recorded or not."""
    ledger = PrivacyLedger(registry)
    ledger.charge("2017-01-01:2017-06-30", [_charge("a", 1.5)])
    with pytest.raises(BudgetExceeded) as info:
        ledger.charge("2017-07-01:2017-12-31", [_charge("b", 1.5)])
    assert "'2017'" in str(info.value)
    ledger.charge("2017-12", [_charge("c", 0.5)])  # fits: 1.5 + 0.5 ≤ 2
    assert ledger.spent("2017").epsilon == pytest.approx(2.0)
    assert ledger.spent("2017").fits(ledger.budget("2017"))
    with pytest.raises(BudgetExceeded):  # a range over New Year is charged to 2017 too
        ledger.charge("2017-12-31:2018-01-01", [_charge("d", 0.1)])
    ledger.charge("2018-02", [_charge("e", 1.5)])  # another year has its own budget


def test_budget_changes_are_kept_with_what_was_spent(registry: Registry) -> None:
    """Raising a period's budget after spending it is on record: when, old and new, the spend
    at that moment and who; a budget set to what it already is records nothing."""
    ledger = PrivacyLedger(registry)
    first = ledger.set_budget("2017", epsilon=1.0, delta=1e-6, actor="os:alice")
    assert first is not None and first.before == DEFAULT_BUDGET and first.spent == Budget(0, 0)
    ledger.charge("2017", [_charge("a", 1.0)])
    with pytest.raises(BudgetExceeded):
        ledger.charge("2017", [_charge("b", 0.5)])
    raised = ledger.set_budget("2017", epsilon=3.0, delta=1e-6, actor="os:bob")
    assert ledger.set_budget("2017", epsilon=3.0, delta=1e-6, actor="os:bob") is None
    ledger.charge("2017", [_charge("b", 0.5)])
    changes = ledger.budget_changes("2017")
    assert changes == [first, raised]
    assert [(c.before, c.after, c.actor) for c in changes] == [
        (DEFAULT_BUDGET, Budget(1.0, 1e-6), "os:alice"),
        (Budget(1.0, 1e-6), Budget(3.0, 1e-6), "os:bob"),
    ]
    assert changes[1].spent == Budget(1.0, 0.0) and changes[1].raised_after_spending
    assert not changes[0].raised_after_spending
    assert changes[0].changed_utc <= changes[1].changed_utc
    assert ledger.budget_changes("2018") == [] and len(ledger.budget_changes()) == 2


def test_a_budget_is_never_lowered_below_its_spend(registry: Registry) -> None:
    """Lowering is allowed down to what is spent (of the period and those sharing its days),
    never below it: refused with the spend named, and nothing changes."""
    ledger = PrivacyLedger(registry)
    ledger.charge("2017", [_charge("a", 1.2, 3e-7)])
    for eps, delta in ((1.0, 1e-6), (2.0, 2e-7)):
        with pytest.raises(BudgetBelowSpent) as info:
            ledger.set_budget("2017", epsilon=eps, delta=delta)
        message = str(info.value)
        assert "'2017'" in message and "ε=1.2" in message and "not changed" in message
    with pytest.raises(BudgetBelowSpent):  # a month of 2017 carries the year's spend
        ledger.set_budget("2017-03", epsilon=1.0, delta=1e-6)
    assert ledger.budget("2017") == DEFAULT_BUDGET and ledger.budget_changes() == []
    lowered = ledger.set_budget("2017", epsilon=1.2, delta=3e-7)
    assert lowered is not None and lowered.after == Budget(1.2, 3e-7)
    assert ledger.budget("2017") == Budget(1.2, 3e-7)


def test_budgets_set_before_history_start_it_unknown(registry_url: str) -> None:
    """Upgrading a registry that has budgets but no history: each budget in force becomes the
    first change, with its previous value and spend unknown (None), never made up."""
    import datetime as dt

    import sqlalchemy as sa

    from bingewise.registry import upgrade
    from bingewise.registry.db import make_engine

    engine = make_engine(registry_url)
    upgrade(engine, "0003")
    set_at = dt.datetime(2025, 1, 2, 3, 4, 5)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO privacy_budgets VALUES ('2017', 4.0, 1e-6, :at)"), {"at": set_at}
        )
    upgrade(engine)
    ledger = PrivacyLedger(Registry(engine))
    (change,) = ledger.budget_changes()
    assert change.period == "2017" and change.after == Budget(4.0, 1e-6)
    assert change.before is None and change.spent is None and change.changed_utc == set_at
    assert "unknown" in change.actor
    ledger.set_budget("2017", epsilon=5.0, delta=1e-6, actor="os:carol")
    assert [c.after.epsilon for c in ledger.budget_changes("2017")] == [4.0, 5.0]
    engine.dispose()


def test_the_ledger_command_shows_budget_changes_and_publish_refuses_lowering(
    registry: Registry,
) -> None:
    """`bingewise ledger` shows each change (old → new, spent then, who) beside the releases;
    `publish --budget-epsilon` below the spend is refused and changes nothing."""
    from typer.testing import CliRunner

    from bingewise.cli import app

    runner = CliRunner(env={"COLUMNS": "240"})
    ledger = PrivacyLedger(registry)
    ledger.charge("2017", [_charge("a", 1.5, 1e-7)], release_id="r-one")
    ledger.set_budget("2017", epsilon=4.0, delta=1e-6, actor="os:bob")
    refused = runner.invoke(
        app, ["--quiet", "publish", "--period", "2017", "--epsilon", "0.5", "--budget-epsilon", "1"]
    )
    assert refused.exit_code == 2, refused.output
    assert "refused" in refused.output and "already spent ε=1.5" in refused.output
    assert ledger.budget("2017") == Budget(4.0, 1e-6)
    shown = runner.invoke(app, ["--quiet", "ledger", "--period", "2017"])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "ε=2, δ=1e-06 → ε=4, δ=1e-06 (raised after spending)" in text
    assert "spent then ε=1.5, δ=1e-07; by os:bob" in text
    assert "r-one" in text
    every = runner.invoke(app, ["--quiet", "ledger"])
    assert every.exit_code == 0 and "raised after spending" in every.output
    empty = runner.invoke(app, ["--quiet", "ledger", "--period", "2016"])
    assert empty.exit_code == 0 and "no budget or release recorded" in empty.output


def test_the_ledger_of_a_period_shows_what_periods_sharing_its_days_spent(
    registry: Registry,
) -> None:
    """`ledger --period 2017-03` after releases of 2017 only: 2017's spend is March's too (a
    March release is refused on it), so the ledger shows it and lists the releases behind it."""
    from typer.testing import CliRunner

    from bingewise.cli import app

    runner = CliRunner(env={"COLUMNS": "240"})
    ledger = PrivacyLedger(registry)
    ledger.charge("2017", [_charge("a", 1.5, 1e-7)], release_id="r-year")
    ledger.charge("2018", [_charge("b", 0.5, 1e-7)], release_id="r-other-year")
    assert [e.release_id for e in ledger.entries("2017-03", sharing=True)] == ["r-year"]
    assert ledger.entries("2017-03") == []
    shown = runner.invoke(app, ["--quiet", "ledger", "--period", "2017-03"])
    assert shown.exit_code == 0, shown.output
    assert "no budget or release" not in shown.output
    assert "r-year" in shown.output and "r-other-year" not in shown.output
    assert "1.5" in shown.output
