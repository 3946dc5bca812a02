"""Consent per purpose: what each member agreed to, with its full history.

Consent is recorded as an append-only list of events in the registry (``consent_events``): each
grant or withdrawal names the purpose, the time (UTC), where it came from (``source``: "cli",
"web", "api", "signup"...) and the privacy policy version in force. A member's current consent
for a purpose is their latest event for it, or the purpose's default when they have none.
Withdrawing is exactly as easy as giving: the same call with ``granted=False``.

Defaults follow the promise in DESIGN.md:

- ``personalization``: granted (withdrawn means non-personalized rows);
- ``recommendation_emails``: NOT granted (email only with opt-in);
- ``statistics``: granted (inclusion in published, differentially private statistics);
- ``wellbeing_insights``: NOT granted.

**Training.** A model trained on a member's history learns from it for everyone: a title-title
link only they made shows on other members' pages. So a member's viewing trains the shared
models only while they consent to both :data:`TRAINING_PURPOSES`:

- without ``statistics`` they are left out of every aggregate use of viewing (published facts,
  country rankings), and a shared model is one;
- without ``personalization`` their viewing is used for no recommendation at all, theirs
  (non-personalized rows) or anyone else's (what they watched does not steer others' rows).

:func:`members_withheld_from_training` lists them; training reads it
(:func:`bingewise.recommend.train.train`). A withdrawal of either after training queues every
model that learned from the member for retraining (``retrain_requests``), as an erasure does.

>>> from bingewise.registry import Registry
>>> reg = Registry.open("sqlite://")
>>> current_consents(reg, 1)[Purpose.RECOMMENDATION_EMAILS]
False
>>> _ = record_consent(reg, 1, Purpose.RECOMMENDATION_EMAILS, True, source="web")
>>> has_consent(reg, 1, "recommendation_emails")
True
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa

from bingewise.registry import Registry
from bingewise.registry.tables import consent_events, members
from bingewise.schema import ConsentEvents

__all__ = [
    "DEFAULTS",
    "POLICY_VERSION",
    "TRAINING_PURPOSES",
    "ConsentEvent",
    "Purpose",
    "consent_history",
    "current_consents",
    "has_consent",
    "members_with",
    "members_withheld_from_training",
    "members_without",
    "parse_purpose",
    "record_consent",
]

log = logging.getLogger(__name__)

#: Version of the privacy policy that consent changes are recorded under.
POLICY_VERSION = "2026-11"


class Purpose(StrEnum):
    """What a member's data may be used for, each consented to separately."""

    PERSONALIZATION = "personalization"
    RECOMMENDATION_EMAILS = "recommendation_emails"
    STATISTICS = "statistics"
    WELLBEING_INSIGHTS = "wellbeing_insights"


#: Consent a member has for each purpose before they ever change it.
DEFAULTS: dict[Purpose, bool] = {
    Purpose.PERSONALIZATION: True,
    Purpose.RECOMMENDATION_EMAILS: False,
    Purpose.STATISTICS: True,
    Purpose.WELLBEING_INSIGHTS: False,
}


#: Purposes a member must consent to for their viewing to train the shared models.
TRAINING_PURPOSES: tuple[Purpose, ...] = (Purpose.STATISTICS, Purpose.PERSONALIZATION)


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One recorded consent change."""

    member_id: int
    purpose: Purpose
    granted: bool
    recorded_utc: dt.datetime  #: naive UTC
    source: str
    policy_version: str


def parse_purpose(value: str | Purpose) -> Purpose:
    """The :class:`Purpose` named ``value``; a clear error listing the valid ones otherwise."""
    try:
        return Purpose(value)
    except ValueError:
        valid = ", ".join(p.value for p in Purpose)
        raise ValueError(f"unknown consent purpose {value!r}; valid purposes: {valid}") from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def record_consent(
    registry: Registry,
    member_id: int,
    purpose: str | Purpose,
    granted: bool,
    *,
    source: str,
    policy_version: str = POLICY_VERSION,
    at_utc: dt.datetime | None = None,
    models_dir: Path | None = None,
) -> ConsentEvent:
    """Record that ``member_id`` gave (``granted=True``) or withdrew consent for ``purpose``.

    Withdrawing one of :data:`TRAINING_PURPOSES` queues for retraining every model in
    ``models_dir`` (default: the settings' model store) that learned from the member.
    """
    event = ConsentEvent(
        member_id=int(member_id),
        purpose=parse_purpose(purpose),
        granted=bool(granted),
        recorded_utc=at_utc or _now(),
        source=source,
        policy_version=policy_version,
    )
    with registry.engine.begin() as conn:
        conn.execute(
            consent_events.insert().values(
                {
                    ConsentEvents.member_id: event.member_id,
                    ConsentEvents.purpose: event.purpose.value,
                    ConsentEvents.granted: event.granted,
                    ConsentEvents.recorded_utc: event.recorded_utc,
                    ConsentEvents.source: event.source,
                    ConsentEvents.policy_version: event.policy_version,
                }
            )
        )
    if not event.granted and event.purpose in TRAINING_PURPOSES:
        from bingewise.privacy.erase import request_retrain_of_models_with

        queued = request_retrain_of_models_with(
            registry, event.member_id, f"consent withdrawn: {event.purpose.value}", models_dir
        )
        if queued:
            log.info("consent withdrawn: %d model(s) queued for retraining", len(queued))
    return event


def consent_history(registry: Registry, member_id: int) -> list[ConsentEvent]:
    """Every consent change of ``member_id``, oldest first."""
    query = (
        sa.select(consent_events)
        .where(consent_events.c.member_id == int(member_id))
        .order_by(consent_events.c.id)
    )
    with registry.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        ConsentEvent(
            member_id=int(r[ConsentEvents.member_id]),
            purpose=Purpose(r[ConsentEvents.purpose]),
            granted=bool(r[ConsentEvents.granted]),
            recorded_utc=r[ConsentEvents.recorded_utc],
            source=r[ConsentEvents.source],
            policy_version=r[ConsentEvents.policy_version],
        )
        for r in rows
    ]


def current_consents(registry: Registry, member_id: int) -> dict[Purpose, bool]:
    """The member's consent for every purpose now: latest change, else the default."""
    state = dict(DEFAULTS)
    for event in consent_history(registry, member_id):
        state[event.purpose] = event.granted
    return state


def has_consent(registry: Registry, member_id: int, purpose: str | Purpose) -> bool:
    """Whether ``member_id`` currently consents to ``purpose``."""
    return current_consents(registry, member_id)[parse_purpose(purpose)]


def _latest(purpose: Purpose) -> sa.Subquery:
    """Latest consent event per member for ``purpose`` (the highest id wins ties in time)."""
    last = (
        sa.select(sa.func.max(consent_events.c.id).label(ConsentEvents.id))
        .where(consent_events.c.purpose == purpose.value)
        .group_by(consent_events.c.member_id)
        .subquery()
    )
    return (
        sa.select(consent_events.c.member_id, consent_events.c.granted)
        .join(last, last.c.id == consent_events.c.id)
        .subquery()
    )


def _members_where(registry: Registry, purpose: Purpose, granted: bool) -> set[int]:
    latest = _latest(purpose)
    with registry.engine.connect() as conn:
        rows = conn.execute(sa.select(latest.c.member_id, latest.c.granted))
        decided = {int(mid): bool(g) for mid, g in rows}
        matching = {mid for mid, g in decided.items() if g == granted}
        if DEFAULTS[purpose] == granted:
            # Members who never changed this purpose have the default, which matches.
            known = conn.execute(sa.select(members.c.member_id)).scalars()
            matching.update(int(m) for m in known if int(m) not in decided)
    return matching


def members_without(registry: Registry, purpose: str | Purpose) -> set[int]:
    """Members who do NOT currently consent to ``purpose``.

    For a purpose granted by default (personalization, statistics) these are the members who
    withdrew it; for one off by default (emails, wellbeing) every registry member who has not
    opted in. Use this to exclude members (e.g. from a statistics release).
    """
    return _members_where(registry, parse_purpose(purpose), granted=False)


def members_with(registry: Registry, purpose: str | Purpose) -> set[int]:
    """Members who currently consent to ``purpose`` (registry members plus anyone who opted in)."""
    return _members_where(registry, parse_purpose(purpose), granted=True)


def members_withheld_from_training(registry: Registry) -> set[int]:
    """Members whose viewing must not train the shared models: those who do not consent to
    every one of :data:`TRAINING_PURPOSES` (see the module docstring for why both)."""
    withheld: set[int] = set()
    for purpose in TRAINING_PURPOSES:
        withheld |= members_without(registry, purpose)
    return withheld
