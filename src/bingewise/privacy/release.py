"""The platform's "year in binge", released under differential privacy.

A release turns per-member tables (:class:`MemberTables`, built by :mod:`bingewise.privacy.inputs`
from the analytics) into public facts. The privacy unit is the **member**: adding or removing
one member's whole history changes each fact by at most its contribution bound, and the ε of the
release is what all facts together spend (sequential composition).

Facts, contribution bounds and the budget split (shares of the release's ε and δ):

=================  =====  =====  ==========================================================
fact               ε      δ      one member contributes
=================  =====  =====  ==========================================================
top_titles         30%    1/4    their 3 most-watched shows (by seconds), 1 each; thresholded
binge_racers       15%    1/4    their 2 fastest races (season finished ≤ 24 h after release)
countries          20%    —      1 to their country's members, ≤ days of the period to its
                                 viewing days (10% + 10%); countries are public keys
longest_streaks    10%    1/4    1 to the bucket of their longest daily streak; thresholded
title_streaks      15%    1/4    1 to (show, days) of their single longest streak on a show
hours_per_day      10%    —      1 to the bucket of their hours per active day (public keys;
                                 none when their hours are unknown: dates only)
=================  =====  =====  ==========================================================

Titles, seasons and streak lengths are keys that are not public, so they go through OpenDP's
thresholded Laplace: a group whose noisy count does not reach the threshold is not published,
which is why "one member watched this film every day" never appears (it would need a count of
one to clear a threshold of dozens). Every published value carries its 95% interval.

A release first charges the budget ledger (all mechanisms, in one transaction) and only then
draws noise; a release that does not fit the period's budget raises
:class:`~bingewise.privacy.ledger.BudgetExceeded` and publishes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from bingewise.config import get_settings
from bingewise.console import progress
from bingewise.geo import COUNTRIES
from bingewise.privacy.dp import ALPHA, Bound, CountMechanism, laplace_counts, threshold_counts
from bingewise.privacy.ledger import Charge, PrivacyLedger
from bingewise.registry import Registry
from bingewise.schema import (
    Events,
    MemberFacts,
    Members,
    MemberTop,
    Plays,
    SeasonBinges,
    Streaks,
)
from bingewise.warehouse import Warehouse

__all__ = [
    "DEFAULT_DELTA",
    "FACTS",
    "PLAYS",
    "MemberTables",
    "Period",
    "Plan",
    "Published",
    "PublishedFact",
    "PublishedItem",
    "Release",
    "aggregate",
    "demo_step",
    "plan_release",
    "publish",
    "run_release",
]

log = logging.getLogger(__name__)

#: δ of a release unless given (the whole release; split across thresholded facts).
DEFAULT_DELTA = 1e-7
#: Country key for members whose country is unknown or not in :data:`bingewise.geo.COUNTRIES`.
OTHER_COUNTRY = "ZZ"
COUNTRY_KEYS: tuple[str, ...] = (*(c.code for c in COUNTRIES), OTHER_COUNTRY)
_COUNTRY_NAMES = {c.code: c.name for c in COUNTRIES} | {OTHER_COUNTRY: "Other"}

TOP_TITLES_PER_MEMBER = 3
#: Optional column of ``MemberTables.titles``: the member's plays of the show in the period. It
#: ranks shows whose seconds tie (all 0 in a history of dates only, which has no durations).
PLAYS = MemberTop.plays
RACES_PER_MEMBER = 2
RACE_HOURS = 24.0  #: a binge race finishes a season within this many hours of its release
MIN_TITLE_STREAK = 2  #: days; a one-day "streak" on a show is not a streak
SHOWN = 10  #: items per ranked fact

#: Longest daily streak buckets, in local days: (label, first day, last day or None).
STREAK_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1 day", 1, 1),
    ("2–3 days", 2, 3),
    ("4–6 days", 4, 6),
    ("1–2 weeks", 7, 13),
    ("2–4 weeks", 14, 29),
    ("1–3 months", 30, 89),
    ("3–6 months", 90, 179),
    ("6 months +", 180, None),
)
#: Hours per active day buckets, in hours: (label, lower bound inclusive, upper exclusive).
HOUR_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("< 30 min", 0.0, 0.5),
    ("30–60 min", 0.5, 1.0),
    ("1–2 h", 1.0, 2.0),
    ("2–3 h", 2.0, 3.0),
    ("3–4 h", 3.0, 4.0),
    ("4–6 h", 4.0, 6.0),
    ("6 h +", 6.0, float("inf")),
)


@dataclass(frozen=True, slots=True)
class FactSpec:
    """How one fact is released: its share of the release's ε and δ, and the member's bound."""

    name: str
    title: str
    epsilon_share: float
    delta_share: float
    thresholded: bool


#: The budget split (see the module docstring); ε shares sum to 1, δ shares sum to 1.
FACTS: tuple[FactSpec, ...] = (
    FactSpec("top_titles", "Top titles", 0.30, 0.25, True),
    FactSpec("binge_racers", "Binge racers", 0.15, 0.25, True),
    FactSpec("countries.members", "Members per country", 0.10, 0.0, False),
    FactSpec("countries.viewing_days", "Viewing days per country", 0.10, 0.0, False),
    FactSpec("longest_streaks", "Longest daily streaks", 0.10, 0.25, True),
    FactSpec("title_streaks", "Longest streaks on one title", 0.15, 0.25, True),
    FactSpec("hours_per_day", "Hours per viewing day", 0.10, 0.0, False),
)


@dataclass(frozen=True, slots=True)
class Period:
    """A release period (``label`` as the ledger knows it) of members' local days, inclusive.

    Build one with :func:`bingewise.privacy.inputs.parse_period`.
    """

    label: str
    start: dt.date
    end: dt.date  #: inclusive

    @property
    def days(self) -> int:
        """Local days in the period."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class MemberTables:
    """Per-member inputs of a release, one row per member (and show, season...).

    - ``titles``: ``Plays.member_id``, ``Plays.show_id``, ``Plays.seconds`` (seconds watched in
      the period, per member and show) and, optionally, ``MemberTop.plays`` (their plays, which
      rank a member's shows on equal seconds: a history of dates only has 0 s everywhere);
    - ``races``: ``SeasonBinges.member_id``, ``series_id``, ``season``, ``hours_after_release``;
    - ``activity``: ``MemberFacts.member_id``, ``Members.country``, ``active_days``,
      ``hours_per_active_day`` (NULL when unknown: a history of dates only),
      ``longest_streak_days`` (members who watched in the period);
    - ``streaks``: ``Streaks.member_id``, ``show_id``, ``days`` (streaks on a show);
    - ``show_names`` / ``season_names``: public catalog names for the published keys.
    """

    period: Period
    titles: pd.DataFrame
    races: pd.DataFrame
    activity: pd.DataFrame
    streaks: pd.DataFrame
    show_names: Mapping[int, str] = field(default_factory=dict)
    season_names: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def without(self, members: Collection[int]) -> MemberTables:
        """The same tables with ``members`` removed (withdrawn consent to statistics)."""
        if not members:
            return self
        gone = list(members)

        def drop(frame: pd.DataFrame, column: str) -> pd.DataFrame:
            return frame[~frame[column].isin(gone)].reset_index(drop=True)

        return replace(
            self,
            titles=drop(self.titles, Plays.member_id),
            races=drop(self.races, SeasonBinges.member_id),
            activity=drop(self.activity, MemberFacts.member_id),
            streaks=drop(self.streaks, Streaks.member_id),
        )

    def plus(self, other: MemberTables) -> MemberTables:
        """These tables with ``other``'s rows appended (planting members in tests)."""

        def cat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
            return b.copy() if a.empty else pd.concat([a, b], ignore_index=True)

        return replace(
            self,
            titles=cat(self.titles, other.titles),
            races=cat(self.races, other.races),
            activity=cat(self.activity, other.activity),
            streaks=cat(self.streaks, other.streaks),
            show_names={**self.show_names, **other.show_names},
            season_names={**self.season_names, **other.season_names},
        )

    def members(self) -> set[int]:
        """Every member present in any table."""
        found: set[int] = set()
        for frame, column in (
            (self.titles, Plays.member_id),
            (self.races, SeasonBinges.member_id),
            (self.activity, MemberFacts.member_id),
            (self.streaks, Streaks.member_id),
        ):
            found.update(int(m) for m in frame[column].unique())
        return found


# --- bounded aggregation (deterministic; the only place member rows are read) ---------------


def _counts(keys: Iterable[str]) -> dict[str, int]:
    return {str(k): int(v) for k, v in pd.Series(list(keys), dtype=object).value_counts().items()}


def top_titles_counts(titles: pd.DataFrame, per_member: int) -> dict[str, int]:
    """Members per show, each member counted for at most ``per_member`` shows.

    A member's shows are ranked by seconds watched, then plays when given (a history of dates
    only has no seconds: its most played shows count), then show id, so the cut is
    deterministic, and only the first ``per_member`` count.
    """
    if titles.empty:
        return {}
    keys = [Plays.member_id, Plays.seconds, MemberTop.plays, Plays.show_id]
    order = [True, False, False, True]
    if MemberTop.plays not in titles.columns:
        keys, order = keys[:2] + keys[3:], order[:2] + order[3:]
    ranked = titles.sort_values(keys, ascending=order).drop_duplicates(
        [Plays.member_id, Plays.show_id]
    )
    kept = ranked.groupby(Plays.member_id, sort=False).head(per_member)
    return _counts(kept[Plays.show_id].astype("int64").astype(str))


def racer_counts(races: pd.DataFrame, per_member: int) -> dict[str, int]:
    """Binge racers per season (``"series:season"``), each member counted for ≤ ``per_member``.

    A race is a season finished within :data:`RACE_HOURS` of its release; a member's fastest
    races count first.
    """
    hours = races[SeasonBinges.hours_after_release]
    raced = races[(hours >= 0) & (hours <= RACE_HOURS)]
    if raced.empty:
        return {}
    raced = raced.sort_values(
        [
            SeasonBinges.member_id,
            SeasonBinges.hours_after_release,
            SeasonBinges.series_id,
            SeasonBinges.season,
        ]
    ).drop_duplicates([SeasonBinges.member_id, SeasonBinges.series_id, SeasonBinges.season])
    kept = raced.groupby(SeasonBinges.member_id, sort=False).head(per_member)
    keys = (
        kept[SeasonBinges.series_id].astype("int64").astype(str)
        + ":"
        + kept[SeasonBinges.season].fillna(0).astype("int64").astype(str)
    )
    return _counts(keys)


def _country_keys(activity: pd.DataFrame) -> pd.Series:
    country = activity[Members.country].astype(object)
    return country.where(country.isin(COUNTRY_KEYS), OTHER_COUNTRY)


def country_counts(activity: pd.DataFrame, days: int) -> tuple[dict[str, int], dict[str, int]]:
    """Per country: members who watched, and their viewing days (each clamped to ``days``)."""
    if activity.empty:
        return {}, {}
    keys = _country_keys(activity)
    viewing = activity[MemberFacts.active_days].fillna(0).clip(0, days).astype("int64")
    members = _counts(keys)
    sums = viewing.groupby(list(keys)).sum()
    return members, {str(k): int(v) for k, v in sums.items()}


def streak_bucket(days: int) -> str:
    """The :data:`STREAK_BUCKETS` label of a streak of ``days`` local days (≥ 1)."""
    for label, first, last in STREAK_BUCKETS:
        if days >= first and (last is None or days <= last):
            return label
    raise ValueError(f"a streak lasts at least one day, got {days}")


def longest_streak_counts(activity: pd.DataFrame, days: int) -> dict[str, int]:
    """Members per bucket of their longest daily streak (watching anything), clamped to days."""
    longest = activity[MemberFacts.longest_streak_days].fillna(0).clip(upper=days).astype("int64")
    return _counts(streak_bucket(int(d)) for d in longest[longest >= 1])


def title_streak_counts(streaks: pd.DataFrame, days: int) -> dict[str, int]:
    """Members per ``"show:days"`` of their single longest streak on one show.

    Each member counts once (bound 1): for their longest show streak of at least
    :data:`MIN_TITLE_STREAK` days (ties: lowest show id), clamped to the period's length.
    """
    shows = streaks[streaks[Streaks.show_id].notna()]
    shows = shows[shows[Streaks.days] >= MIN_TITLE_STREAK]
    if shows.empty:
        return {}
    best = shows.sort_values(
        [Streaks.member_id, Streaks.days, Streaks.show_id], ascending=[True, False, True]
    ).drop_duplicates(Streaks.member_id)
    keys = (
        best[Streaks.show_id].astype("int64").astype(str)
        + ":"
        + best[Streaks.days].clip(upper=days).astype("int64").astype(str)
    )
    return _counts(keys)


def hour_bucket(hours: float) -> str:
    """The :data:`HOUR_BUCKETS` label of an average of ``hours`` per viewing day."""
    hours = min(max(float(hours), 0.0), 24.0)
    for label, low, high in HOUR_BUCKETS:
        if low <= hours < high:
            return label
    return HOUR_BUCKETS[-1][0]


def hours_counts(activity: pd.DataFrame) -> dict[str, int]:
    """Members per bucket of hours per active day (members with at least one viewing day).

    A member whose hours are unknown (NULL: a history of dates only, no durations) is in no
    bucket: counted as 0 h they would inflate "< 30 min". They still count where only days are
    read (countries, streaks); each member is still in at most one bucket.
    """
    active = activity[activity[MemberFacts.active_days].fillna(0) >= 1]
    hours = active[MemberFacts.hours_per_active_day].dropna()
    return _counts(hour_bucket(h) for h in hours)


def one_row_per_member(activity: pd.DataFrame) -> pd.DataFrame:
    """``activity`` with a single row per member, whatever the input held (the bound of the
    activity facts is one country and one bucket per member). Deterministic: the row with the
    most viewing days, then the longest streak, the most hours, the first country."""
    columns = [
        MemberFacts.member_id,
        MemberFacts.active_days,
        MemberFacts.longest_streak_days,
        MemberFacts.hours_per_active_day,
        Members.country,
    ]
    ordered = activity.sort_values(
        columns, ascending=[True, False, False, False, True], na_position="last", kind="stable"
    )
    return ordered.drop_duplicates(MemberFacts.member_id).reset_index(drop=True)


def aggregate(tables: MemberTables) -> dict[str, dict[str, int]]:
    """Every fact's bounded counts, keyed by :data:`FACTS` name (no noise yet)."""
    days = tables.period.days
    activity = one_row_per_member(tables.activity)
    members, viewing = country_counts(activity, days)
    return {
        "top_titles": top_titles_counts(tables.titles, TOP_TITLES_PER_MEMBER),
        "binge_racers": racer_counts(tables.races, RACES_PER_MEMBER),
        "countries.members": members,
        "countries.viewing_days": viewing,
        "longest_streaks": longest_streak_counts(activity, days),
        "title_streaks": title_streak_counts(tables.streaks, days),
        "hours_per_day": hours_counts(activity),
    }


# --- the plan: one OpenDP mechanism per fact ---------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The mechanisms of one release, calibrated from its (ε, δ) before any data is touched."""

    epsilon: float
    delta: float
    mechanisms: dict[str, CountMechanism]

    def charges(self) -> list[Charge]:
        """What the ledger records for this release, one row per mechanism."""
        return [
            Charge(
                fact=name,
                mechanism=mech.name,
                epsilon=mech.epsilon,
                delta=mech.delta,
                contribution_bound=mech.bound.total,
                accuracy_95=mech.accuracy_95,
            )
            for name, mech in self.mechanisms.items()
        ]


def _bound(name: str, days: int) -> Bound:
    if name == "top_titles":
        return Bound(keys=TOP_TITLES_PER_MEMBER)
    if name == "binge_racers":
        return Bound(keys=RACES_PER_MEMBER)
    if name == "countries.viewing_days":
        return Bound(keys=1, per_key=days)
    return Bound()


def plan_release(epsilon: float, delta: float, days: int) -> Plan:
    """Split (ε, δ) across :data:`FACTS` and calibrate each OpenDP mechanism."""
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    mechanisms: dict[str, CountMechanism] = {}
    for spec in FACTS:
        bound = _bound(spec.name, days)
        eps = epsilon * spec.epsilon_share
        if spec.thresholded:
            mechanisms[spec.name] = threshold_counts(bound, eps, delta * spec.delta_share)
        else:
            keys = _public_keys(spec.name)
            mechanisms[spec.name] = laplace_counts(keys, bound, eps)
    return Plan(epsilon, delta, mechanisms)


def _public_keys(name: str) -> tuple[str, ...]:
    if name.startswith("countries."):
        return COUNTRY_KEYS
    if name == "hours_per_day":
        return tuple(label for label, _, _ in HOUR_BUCKETS)
    raise KeyError(name)  # pragma: no cover - FACTS lists only these public-key facts


# --- published output ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedItem:
    """One published number with its 95% interval ``[low, high]``."""

    key: str
    label: str
    value: float
    low: float
    high: float
    detail: str = ""


@dataclass(frozen=True)
class PublishedFact:
    """A fact as published: its items and how they were protected."""

    name: str
    title: str
    unit: str
    description: str
    mechanisms: list[dict[str, Any]]
    items: list[PublishedItem]


@dataclass(frozen=True)
class Release:
    """A whole release: what the JSON file and the infographic show."""

    release_id: str
    period: str
    epsilon: float
    delta: float
    created_utc: str
    facts: list[PublishedFact]

    def fact(self, name: str) -> PublishedFact:
        """The fact called ``name``."""
        for f in self.facts:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The public JSON document (no member-level data: noisy aggregates only)."""
        return {
            "kind": "bingewise.year_in_binge",
            "release_id": self.release_id,
            "period": self.period,
            "created_utc": self.created_utc,
            "privacy": {
                "unit": "member",
                "epsilon": self.epsilon,
                "delta": self.delta,
                "composition": "sequential: the facts' ε and δ add up to the release's",
                "library": f"OpenDP {_opendp_version()}",
                "accuracy": (
                    "each interval holds the true value with probability 95%, over releases; a "
                    "group is shown only when its noisy count clears the threshold, so one shown "
                    "close to its threshold (or last in a top list) is more often above its true "
                    "value, and its interval misses more often"
                ),
            },
            "facts": [asdict(f) for f in self.facts],
        }


def _opendp_version() -> str:
    from importlib.metadata import version

    return version("opendp")


def _mechanism_doc(mech: CountMechanism) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "mechanism": mech.name,
        "epsilon": mech.epsilon,
        "delta": mech.delta,
        "contribution_bound": {"keys": mech.bound.keys, "per_key": mech.bound.per_key},
        "scale": mech.scale,
        "accuracy_95": mech.accuracy_95,
    }
    if mech.threshold is not None:
        doc["threshold"] = mech.threshold
    return doc


def _item(key: str, label: str, value: int, accuracy: float, detail: str = "") -> PublishedItem:
    shown = max(float(value), 0.0)
    return PublishedItem(
        key, label, shown, max(float(value) - accuracy, 0.0), float(value) + accuracy, detail
    )


def _show(tables: MemberTables, show_id: str) -> str:
    return tables.show_names.get(int(show_id), f"Title {show_id}")


def _season(tables: MemberTables, key: str) -> str:
    series, season = (int(p) for p in key.split(":"))
    return tables.season_names.get((series, season), f"Series {series}, season {season}")


def run_release(
    tables: MemberTables,
    plan: Plan,
    *,
    release_id: str,
    counts: dict[str, dict[str, int]] | None = None,
) -> Release:
    """Draw the noise (OpenDP) and shape the facts. The ledger must have been charged already."""
    counts = aggregate(tables) if counts is None else counts
    mech = plan.mechanisms
    noisy = {name: mech[name].release(counts[name]) for name in mech}
    facts = [
        _top_titles(tables, mech["top_titles"], noisy["top_titles"]),
        _binge_racers(tables, mech["binge_racers"], noisy["binge_racers"]),
        _countries(
            tables.period.days,
            mech["countries.members"],
            mech["countries.viewing_days"],
            noisy["countries.members"],
            noisy["countries.viewing_days"],
        ),
        _longest_streaks(mech["longest_streaks"], noisy["longest_streaks"]),
        _title_streaks(tables, mech["title_streaks"], noisy["title_streaks"]),
        _hours(mech["hours_per_day"], noisy["hours_per_day"]),
    ]
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return Release(release_id, tables.period.label, plan.epsilon, plan.delta, created, facts)


def _ranked(noisy: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(noisy.items(), key=lambda kv: (-kv[1], kv[0]))[:SHOWN]


def _top_titles(tables: MemberTables, mech: CountMechanism, noisy: dict[str, int]) -> PublishedFact:
    items = [_item(k, _show(tables, k), v, mech.accuracy_95) for k, v in _ranked(noisy)]
    return PublishedFact(
        "top_titles",
        "Top titles",
        "members",
        f"Members who watched each title (each member's {TOP_TITLES_PER_MEMBER} most-watched "
        f"titles count). Titles under the threshold of {mech.threshold} are not shown.",
        [_mechanism_doc(mech)],
        items,
    )


def _binge_racers(
    tables: MemberTables, mech: CountMechanism, noisy: dict[str, int]
) -> PublishedFact:
    items = [_item(k, _season(tables, k), v, mech.accuracy_95) for k, v in _ranked(noisy)]
    return PublishedFact(
        "binge_racers",
        "Binge racers",
        "members",
        f"Members who finished a season within {RACE_HOURS:g} hours of its release (each "
        f"member's {RACES_PER_MEMBER} fastest count). Seasons under the threshold of "
        f"{mech.threshold} are not shown.",
        [_mechanism_doc(mech)],
        items,
    )


def _countries(
    days: int,
    members_mech: CountMechanism,
    days_mech: CountMechanism,
    members: dict[str, int],
    viewing: dict[str, int],
) -> PublishedFact:
    """Of a country's members who watched in the period, the share who watch on an average day,
    with a 95% interval (members who did not watch in the period are not counted).

    Members and viewing days are each released with 97.5% intervals, so the ratio's interval
    (from their extremes) holds with probability at least 95%. Countries whose noisy member
    count is under five times its error are not ranked (post-processing: no privacy cost).
    """
    alpha_each = ALPHA / 2
    acc_n = members_mech.accuracy(alpha_each)
    acc_d = days_mech.accuracy(alpha_each)
    rows: list[PublishedItem] = []
    for code in COUNTRY_KEYS:
        n = float(members.get(code, 0))
        if code == OTHER_COUNTRY or n < 5 * acc_n:
            continue
        avg = max(float(viewing.get(code, 0)), 0.0) / days
        avg_acc = acc_d / days
        share = min(avg / n, 1.0)
        low = max(avg - avg_acc, 0.0) / (n + acc_n)
        high = min((avg + avg_acc) / (n - acc_n), 1.0)
        rows.append(
            PublishedItem(
                code,
                _COUNTRY_NAMES[code],
                100 * share,
                100 * low,
                100 * min(max(high, share), 1.0),
                f"≈{n:,.0f} ± {acc_n:,.0f} members who watched in the period; "
                f"≈{avg:,.1f} watch on an average day",
            )
        )
    rows.sort(key=lambda r: (-r.value, r.key))
    return PublishedFact(
        "countries",
        "Countries by share of daily viewers",
        "% of members",
        "Of each country's members who watched in the period, the share who watch on an "
        "average day of it.",
        [_mechanism_doc(members_mech), _mechanism_doc(days_mech)],
        rows[:SHOWN],
    )


def _longest_streaks(mech: CountMechanism, noisy: dict[str, int]) -> PublishedFact:
    items = [
        _item(label, label, noisy[label], mech.accuracy_95)
        for label, _, _ in STREAK_BUCKETS
        if label in noisy
    ]
    return PublishedFact(
        "longest_streaks",
        "Longest daily streaks",
        "members",
        "Members by their longest run of consecutive days watching anything. Buckets under the "
        f"threshold of {mech.threshold} are not shown.",
        [_mechanism_doc(mech)],
        items,
    )


def _title_streaks(
    tables: MemberTables, mech: CountMechanism, noisy: dict[str, int]
) -> PublishedFact:
    def order(kv: tuple[str, int]) -> tuple[int, int, str]:
        show, days = kv[0].split(":")
        return (-int(days), -kv[1], show)

    items = []
    for key, value in sorted(noisy.items(), key=order)[:SHOWN]:
        show, days = key.split(":")
        items.append(
            _item(
                key,
                f"{_show(tables, show)} — {days} days in a row",
                value,
                mech.accuracy_95,
                f"members whose longest streak on this title was {days} days",
            )
        )
    return PublishedFact(
        "title_streaks",
        "Longest streaks on one title",
        "members",
        "Members by their longest run of consecutive days on one title (each member counts "
        f"once). Groups under the threshold of {mech.threshold} are not shown.",
        [_mechanism_doc(mech)],
        items,
    )


def _hours(mech: CountMechanism, noisy: dict[str, int]) -> PublishedFact:
    items = [
        _item(label, label, noisy.get(label, 0), mech.accuracy_95) for label, _, _ in HOUR_BUCKETS
    ]
    return PublishedFact(
        "hours_per_day",
        "Hours per viewing day",
        "members",
        "Members by their average hours watched on the days they watched.",
        [_mechanism_doc(mech)],
        items,
    )


def write_json(release: Release, path: Path) -> Path:
    """Write the release's public JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(release.to_json(), indent=2, ensure_ascii=False) + "\n")
    return path


# --- publishing: consent, ledger, noise, files ----------------------------------------------


@dataclass(frozen=True)
class Published:
    """A finished release and where its files went."""

    release: Release
    json_path: Path | None
    png_path: Path | None
    html_path: Path | None


def publish(
    registry: Registry,
    period: Period,
    epsilon: float,
    delta: float = DEFAULT_DELTA,
    *,
    warehouse: Warehouse | None = None,
    tables: MemberTables | None = None,
    out_dir: Path | None = None,
    write: bool = True,
) -> Published:
    """Publish the year in binge of ``period``: consent filter, ledger charge, noise, files.

    Inputs come from ``tables`` if given, else from ``warehouse`` through the analytics. Members
    who withdrew consent to statistics are removed before anything is counted. The ledger is
    charged before any noise is drawn; :class:`~bingewise.privacy.ledger.BudgetExceeded` means
    nothing was released. Files go to ``out_dir`` (default ``$BINGEWISE_HOME/releases``):
    ``year-in-binge-<period>.json``, ``.png`` and ``.html``; a later release of the same period
    gets ``-2``, ``-3``... (a published release is never overwritten: what was made public stays
    on record beside its ledger entry).
    """
    from bingewise.privacy.consent import Purpose, members_without

    plan = plan_release(epsilon, delta, period.days)  # fail on bad parameters before any work
    with progress() as bar:
        task = bar.add_task("year in binge: inputs", total=4)
        if tables is None:
            if warehouse is None:
                raise ValueError("publish needs a warehouse or member tables")
            from bingewise.privacy.inputs import load_member_tables

            tables = load_member_tables(warehouse, period)
        withdrawn = members_without(registry, Purpose.STATISTICS)
        tables = tables.without(withdrawn)
        counts = aggregate(tables)
        bar.update(task, advance=1, description="year in binge: budget")
        release_id = PrivacyLedger(registry).charge(period.label, plan.charges())
        bar.update(task, advance=1, description="year in binge: noise (OpenDP)")
        release = run_release(tables, plan, release_id=release_id, counts=counts)
        log.info("release %s of period %s: ε=%g δ=%g", release_id, period.label, epsilon, delta)
        bar.update(task, advance=1, description="year in binge: files")
        json_path = png_path = html_path = None
        if write:
            from bingewise.privacy.infographic import write_infographic

            folder = out_dir if out_dir is not None else get_settings().releases_dir
            stem = _free_stem(folder, f"year-in-binge-{_safe(period.label)}")
            json_path = write_json(release, folder / f"{stem}.json")
            png_path, html_path = write_infographic(release, folder, stem)
        bar.update(task, advance=1, description="year in binge: done")
    return Published(release, json_path, png_path, html_path)


def _free_stem(folder: Path, stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... : the first whose files do not exist yet."""
    candidate, n = stem, 1
    while any((folder / f"{candidate}{ext}").exists() for ext in (".json", ".png", ".html")):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)


def demo_step(warehouse: Warehouse, registry: Registry) -> Published:
    """Publish the demo platform's year in binge (the year with most viewing) at ε = 1.

    The demo's period gets a budget of ε = 2 so the step can run twice; the infographic goes to
    ``$BINGEWISE_HOME/releases``.
    """
    from bingewise.privacy.inputs import parse_period

    e = warehouse.table(Events.table)
    years = (
        e.group_by(year=e[Events.start_utc].year())
        .aggregate(n=e.count())
        .order_by([ibis.desc("n"), "year"])
        .limit(1)
        .to_pandas()
    )
    if years.empty:
        raise ValueError("the warehouse holds no viewing events to publish")
    period = parse_period(str(int(years["year"].iloc[0])))
    ledger = PrivacyLedger(registry)
    if ledger.spent(period.label).epsilon == 0:
        ledger.set_budget(period.label, epsilon=2.0, delta=1e-6)
    return publish(registry, period, 1.0, DEFAULT_DELTA, warehouse=warehouse)
