"""The privacy budget ledger: every DP release recorded, overspending refused.

Each period (``"2017"``, ``"2017-03"``...) has a budget (ε, δ) in the registry table
``privacy_budgets``; :data:`DEFAULT_BUDGET` applies until one is set. Every mechanism of every
release is a row of ``privacy_ledger``: the fact, the mechanism, its ε and δ, the member's
contribution bound and the accuracy at 95%. Releases compose sequentially (ε and δ add up).

Periods are compared by their days, not their names: what a period has spent is the sum of the
rows of every period sharing a day with it (``2017``, ``2017-01-01:2017-12-31``, ``2017-03`` and
``2016-12-31:2017-01-01`` all read members' viewing of 2017, so each release on one is charged to
the others). A release must fit the budget of its own period, of every recorded period it
shares a day with, and of every calendar year it touches, recorded or not (the two halves of
2017 must fit 2017's budget together, whichever is released first; a year's row is pinned at
:data:`DEFAULT_BUDGET` unless set). A name that is no period (``"p"``) is its own and shares
with no other.

:meth:`PrivacyLedger.charge` checks and records a whole release in one transaction *before* any
noise is drawn: a release that would exceed the period's budget raises :class:`BudgetExceeded`
and records nothing. On PostgreSQL the budget row is locked (``SELECT ... FOR UPDATE``) so two
releases at once cannot both pass the check; SQLite serialises writers itself.

Budgets keep their history. :meth:`PrivacyLedger.set_budget` records every change in
``privacy_budget_changes``: when, the budget before and after, what the period had spent at that
moment and who changed it, so an auditor can see a budget raised after it was spent
(:meth:`PrivacyLedger.budget_changes`, ``bingewise ledger``). A budget is never lowered below
what is already spent (:class:`BudgetBelowSpent`): the spend cannot be undone, and a budget under
it would misstate what the period's members were exposed to.

>>> from bingewise.registry import Registry
>>> ledger = PrivacyLedger(Registry.open("sqlite://"))
>>> _ = ledger.set_budget("2017", epsilon=1.0, delta=1e-6)
>>> _ = ledger.charge("2017", [Charge("top_titles", "laplace", 0.6, 0.0, 3, 9.4)])
>>> round(ledger.remaining("2017").epsilon, 6)
0.4
>>> change = ledger.set_budget("2017", epsilon=1.5, delta=1e-6, actor="os:auditor")
>>> change.before.epsilon, change.after.epsilon, round(change.spent.epsilon, 6)
(1.0, 1.5, 0.6)
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bingewise.registry import Registry
from bingewise.registry.tables import privacy_budget_changes, privacy_budgets, privacy_ledger
from bingewise.schema import BudgetChanges

__all__ = [
    "DEFAULT_BUDGET",
    "Budget",
    "BudgetBelowSpent",
    "BudgetChange",
    "BudgetExceeded",
    "Charge",
    "LedgerEntry",
    "PrivacyLedger",
]

#: Relative slack for float sums (ten shares of 0.1 must fit a budget of 1.0).
_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class Budget:
    """A privacy budget or spend: ε (pure part) and δ (failure probability)."""

    epsilon: float
    delta: float

    def __post_init__(self) -> None:
        if not (self.epsilon >= 0 and math.isfinite(self.epsilon)):
            raise ValueError(f"epsilon must be a non-negative number, got {self.epsilon}")
        if not (0 <= self.delta < 1):
            raise ValueError(f"delta must be in [0, 1), got {self.delta}")

    def __add__(self, other: Budget) -> Budget:
        return Budget(self.epsilon + other.epsilon, self.delta + other.delta)

    def fits(self, budget: Budget) -> bool:
        """Whether this spend is within ``budget`` (up to float rounding)."""
        return self.epsilon <= budget.epsilon * (1 + _SLACK) and self.delta <= budget.delta * (
            1 + _SLACK
        )


#: A period's budget until one is set: ε = 2 (two releases at ε = 1), δ = 1e-6.
DEFAULT_BUDGET = Budget(epsilon=2.0, delta=1e-6)


class BudgetExceeded(RuntimeError):
    """A release would spend more than its period's privacy budget."""

    def __init__(self, period: str, budget: Budget, spent: Budget, asked: Budget) -> None:
        self.period, self.budget, self.spent, self.asked = period, budget, spent, asked
        left = Budget(
            max(budget.epsilon - spent.epsilon, 0.0), max(budget.delta - spent.delta, 0.0)
        )
        super().__init__(
            f"privacy budget of period {period!r} exceeded: the release asks ε={asked.epsilon:g}, "
            f"δ={asked.delta:g}, but {spent.epsilon:g} of ε={budget.epsilon:g} and "
            f"{spent.delta:g} of δ={budget.delta:g} are spent (left: ε={left.epsilon:g}, "
            f"δ={left.delta:g}); nothing was released"
        )


class BudgetBelowSpent(ValueError):
    """A period's budget would be set below what its releases have already spent."""

    def __init__(self, period: str, asked: Budget, spent: Budget) -> None:
        self.period, self.asked, self.spent = period, asked, spent
        super().__init__(
            f"the budget of period {period!r} cannot be set to ε={asked.epsilon:g}, "
            f"δ={asked.delta:g}: releases of it (and of periods sharing its days) have already "
            f"spent ε={spent.epsilon:g}, δ={spent.delta:g}, and a spent budget cannot be taken "
            "back; the budget was not changed"
        )


@dataclass(frozen=True, slots=True)
class BudgetChange:
    """A recorded change of a period's budget.

    ``before`` and ``spent`` are None for a budget set before changes were recorded (the
    history then starts with the budget in force at that time).
    """

    period: str
    before: Budget | None
    after: Budget
    spent: Budget | None  #: what the period had spent when its budget changed
    changed_utc: dt.datetime  #: naive UTC
    actor: str  #: "os:<user>" or "api:<key name>"

    @property
    def raised_after_spending(self) -> bool:
        """Whether the budget went up while part of it was already spent."""
        if self.before is None or self.spent is None:
            return False
        up = self.after.epsilon > self.before.epsilon or self.after.delta > self.before.delta
        return up and (self.spent.epsilon > 0 or self.spent.delta > 0)


@dataclass(frozen=True, slots=True)
class Charge:
    """One mechanism of a release, as the ledger records it.

    ``contribution_bound``: the most one member moves the counts (L1, in count units);
    ``accuracy_95``: half-width of the 95% interval of a released count, in count units.
    """

    fact: str
    mechanism: str
    epsilon: float
    delta: float
    contribution_bound: int
    accuracy_95: float | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A recorded charge of a release."""

    release_id: str
    period: str
    charge: Charge
    released_utc: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class PrivacyLedger:
    """Repository over ``privacy_budgets`` and ``privacy_ledger``."""

    def __init__(self, registry: Registry) -> None:
        self.engine = registry.engine

    def set_budget(
        self, period: str, *, epsilon: float, delta: float, actor: str | None = None
    ) -> BudgetChange | None:
        """Set (or replace) the budget of ``period``; the change is kept in its history.

        Returns the recorded change, or None when the budget already was this one (nothing to
        record: re-running is safe). ``actor`` is who changes it (default: the operating-system
        user, as :func:`~bingewise.privacy.audit.os_actor`). Raises :class:`BudgetBelowSpent`
        (a :class:`ValueError`) and changes nothing when the new ε or δ is below what the period
        has already spent; spent budget stays spent.
        """
        budget = Budget(epsilon, delta)
        if budget.epsilon <= 0:
            raise ValueError("a period's epsilon budget must be positive")
        if actor is None:
            from bingewise.privacy.audit import os_actor

            actor = os_actor()
        t = privacy_budgets
        now = _now()
        with self.engine.begin() as conn:
            # Locked as a release locks it, so a release and a change cannot interleave.
            before = self._budget(conn, period, lock=True)
            if before == budget:
                return None
            spent = self._spent(conn, period)
            if not spent.fits(budget):
                raise BudgetBelowSpent(period, budget, spent)
            conn.execute(
                sa.update(t)
                .where(t.c.period == period)
                .values({t.c.epsilon: budget.epsilon, t.c.delta: budget.delta, t.c.set_utc: now})
            )
            change = BudgetChange(period, before, budget, spent, now, actor)
            c = privacy_budget_changes.c
            conn.execute(
                sa.insert(privacy_budget_changes).values(
                    {
                        c[BudgetChanges.period]: period,
                        c[BudgetChanges.epsilon_before]: before.epsilon,
                        c[BudgetChanges.delta_before]: before.delta,
                        c[BudgetChanges.epsilon]: budget.epsilon,
                        c[BudgetChanges.delta]: budget.delta,
                        c[BudgetChanges.spent_epsilon]: spent.epsilon,
                        c[BudgetChanges.spent_delta]: spent.delta,
                        c[BudgetChanges.changed_utc]: now,
                        c[BudgetChanges.actor]: actor,
                    }
                )
            )
        return change

    def budget_changes(self, period: str | None = None) -> list[BudgetChange]:
        """Every recorded budget change, oldest first (of one period, or all)."""
        c = privacy_budget_changes.c
        query = sa.select(privacy_budget_changes).order_by(c[BudgetChanges.id])
        if period is not None:
            query = query.where(c[BudgetChanges.period] == period)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()

        def pair(eps: float | None, delta: float | None) -> Budget | None:
            return None if eps is None or delta is None else Budget(float(eps), float(delta))

        return [
            BudgetChange(
                period=r[BudgetChanges.period],
                before=pair(r[BudgetChanges.epsilon_before], r[BudgetChanges.delta_before]),
                after=Budget(float(r[BudgetChanges.epsilon]), float(r[BudgetChanges.delta])),
                spent=pair(r[BudgetChanges.spent_epsilon], r[BudgetChanges.spent_delta]),
                changed_utc=r[BudgetChanges.changed_utc],
                actor=r[BudgetChanges.actor],
            )
            for r in rows
        ]

    def periods(self) -> list[str]:
        """Every period with a budget or a release recorded, sorted by name."""
        with self.engine.connect() as conn:
            names = set(conn.execute(sa.select(privacy_ledger.c.period).distinct()).scalars())
            names |= set(conn.execute(sa.select(privacy_budgets.c.period)).scalars())
        return sorted(names)

    def budget(self, period: str) -> Budget:
        """The budget of ``period`` (:data:`DEFAULT_BUDGET` when never set)."""
        with self.engine.connect() as conn:
            return self._budget(conn, period, lock=False)

    def spent(self, period: str) -> Budget:
        """What the releases sharing a day with ``period`` have spent (sum of ε and of δ)."""
        with self.engine.connect() as conn:
            return self._spent(conn, period)

    def remaining(self, period: str) -> Budget:
        """Budget left in ``period`` (never negative)."""
        budget, spent = self.budget(period), self.spent(period)
        return Budget(
            max(budget.epsilon - spent.epsilon, 0.0), max(budget.delta - spent.delta, 0.0)
        )

    def charge(
        self, period: str, charges: Sequence[Charge], *, release_id: str | None = None
    ) -> str:
        """Record a release's charges, or raise :class:`BudgetExceeded` and record nothing.

        Returns the release id (a new UUID hex unless given).
        """
        if not charges:
            raise ValueError("a release must charge at least one mechanism")
        asked = Budget(0.0, 0.0)
        for c in charges:
            asked = asked + Budget(c.epsilon, c.delta)
        rid = release_id or uuid.uuid4().hex
        now = _now()
        t = privacy_ledger
        with self.engine.begin() as conn:
            # Its own budget first (locked, so concurrent releases queue on it), then every
            # recorded period that shares a day with it, and the calendar years it touches even
            # if unrecorded (else disjoint parts of a year each got a fresh budget and the year
            # was overspent): the release is charged to them all.
            others = self._sharing(conn, period)
            years = [y for y in _years(period) if y != period and y not in others]
            for other in [period, *others, *years]:
                budget = self._budget(conn, other, lock=True)
                spent = self._spent(conn, other)
                if not (spent + asked).fits(budget):
                    raise BudgetExceeded(other, budget, spent, asked)
            conn.execute(
                sa.insert(t),
                [
                    {
                        t.c.release_id.name: rid,
                        t.c.period.name: period,
                        t.c.fact.name: c.fact,
                        t.c.mechanism.name: c.mechanism,
                        t.c.epsilon.name: c.epsilon,
                        t.c.delta.name: c.delta,
                        t.c.contribution_bound.name: c.contribution_bound,
                        t.c.accuracy_95.name: c.accuracy_95,
                        t.c.released_utc.name: now,
                    }
                    for c in charges
                ],
            )
        return rid

    def entries(self, period: str | None = None, *, sharing: bool = False) -> list[LedgerEntry]:
        """Recorded charges, oldest first (of one period, or all). With ``sharing``, also those
        of every period sharing a day with it: what :meth:`spent` adds up."""
        t = privacy_ledger
        query = sa.select(t).order_by(t.c.id)
        with self.engine.connect() as conn:
            if period is not None:
                names = [period, *self._sharing(conn, period)] if sharing else [period]
                query = query.where(t.c.period.in_(names))
            rows = conn.execute(query).all()
        return [
            LedgerEntry(
                release_id=r.release_id,
                period=r.period,
                charge=Charge(
                    fact=r.fact,
                    mechanism=r.mechanism,
                    epsilon=float(r.epsilon),
                    delta=float(r.delta),
                    contribution_bound=int(r.contribution_bound),
                    accuracy_95=None if r.accuracy_95 is None else float(r.accuracy_95),
                ),
                released_utc=r.released_utc,
            )
            for r in rows
        ]

    @staticmethod
    def _budget(conn: sa.Connection, period: str, *, lock: bool) -> Budget:
        t = privacy_budgets
        query = sa.select(t.c.epsilon, t.c.delta).where(t.c.period == period)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            if lock:
                # Pin the default so that concurrent releases lock the same row.
                conn.execute(
                    sa.insert(t).values(
                        {
                            t.c.period: period,
                            t.c.epsilon: DEFAULT_BUDGET.epsilon,
                            t.c.delta: DEFAULT_BUDGET.delta,
                            t.c.set_utc: _now(),
                        }
                    )
                )
            return DEFAULT_BUDGET
        return Budget(float(row.epsilon), float(row.delta))

    @staticmethod
    def _sharing(conn: sa.Connection, period: str) -> list[str]:
        """Other recorded periods (budgets or releases) sharing a day with ``period``."""
        days = _days(period)
        if days is None:
            return []
        names = set(conn.execute(sa.select(privacy_ledger.c.period).distinct()).scalars())
        names |= set(conn.execute(sa.select(privacy_budgets.c.period)).scalars())
        out = []
        for name in sorted(names - {period}):
            other = _days(name)
            if other is not None and other[0] <= days[1] and days[0] <= other[1]:
                out.append(name)
        return out

    @classmethod
    def _spent(cls, conn: sa.Connection, period: str) -> Budget:
        t = privacy_ledger
        names = [period, *cls._sharing(conn, period)]
        row = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(t.c.epsilon), 0.0),
                sa.func.coalesce(sa.func.sum(t.c.delta), 0.0),
            ).where(t.c.period.in_(names))
        ).one()
        return Budget(float(row[0]), float(row[1]))


def _years(period: str) -> list[str]:
    """The calendar years (``"2017"``...) a period name shares a day with; none for a name that
    is no period."""
    days = _days(period)
    if days is None:
        return []
    return [str(year) for year in range(days[0].year, days[1].year + 1)]


def _days(period: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a period name (``2017``, ``2017-03``, ``2017-01-01:2017-06-30``),
    or ``None`` for a name that is no period."""
    from bingewise.analytics.facts import Period  # the same reading as the release's

    try:
        parsed = Period.parse(period)
    except ValueError:
        return None
    return parsed.start, parsed.end
