"""Consent per purpose: defaults, history, the lists others use (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.privacy.consent import (
    DEFAULTS,
    POLICY_VERSION,
    Purpose,
    consent_history,
    current_consents,
    has_consent,
    members_with,
    members_without,
    record_consent,
)
from bingewise.registry import MemberRecord, Registry


def test_defaults_email_only_with_opt_in(registry: Registry) -> None:
    assert current_consents(registry, 5) == {
        Purpose.PERSONALIZATION: True,
        Purpose.RECOMMENDATION_EMAILS: False,
        Purpose.STATISTICS: True,
        Purpose.WELLBEING_INSIGHTS: False,
    }
    assert consent_history(registry, 5) == []


def test_history_records_time_source_and_policy(registry: Registry) -> None:
    t1, t2 = dt.datetime(2017, 1, 1, 9), dt.datetime(2017, 2, 1, 9)
    record_consent(registry, 5, "recommendation_emails", True, source="web", at_utc=t1)
    record_consent(registry, 5, Purpose.RECOMMENDATION_EMAILS, False, source="cli", at_utc=t2)
    record_consent(registry, 5, Purpose.STATISTICS, False, source="api", policy_version="2016-01")
    history = consent_history(registry, 5)
    assert [(e.purpose, e.granted, e.source) for e in history] == [
        (Purpose.RECOMMENDATION_EMAILS, True, "web"),
        (Purpose.RECOMMENDATION_EMAILS, False, "cli"),
        (Purpose.STATISTICS, False, "api"),
    ]
    assert [e.recorded_utc for e in history[:2]] == [t1, t2]
    assert [e.policy_version for e in history] == [POLICY_VERSION, POLICY_VERSION, "2016-01"]
    assert not has_consent(registry, 5, Purpose.RECOMMENDATION_EMAILS)
    assert not has_consent(registry, 5, "statistics")
    assert has_consent(registry, 5, "personalization")
    assert current_consents(registry, 6) == DEFAULTS  # others untouched


def test_unknown_purpose_names_the_valid_ones(registry: Registry) -> None:
    with pytest.raises(ValueError, match="valid purposes: personalization"):
        record_consent(registry, 1, "marketing", True, source="cli")


def test_members_without_and_with(registry: Registry) -> None:
    registry.members.upsert_many(MemberRecord(member_id=i) for i in range(1, 6))
    record_consent(registry, 2, Purpose.STATISTICS, False, source="cli")
    record_consent(registry, 3, Purpose.STATISTICS, False, source="cli")
    record_consent(registry, 3, Purpose.STATISTICS, True, source="cli")  # changed their mind
    record_consent(registry, 4, Purpose.RECOMMENDATION_EMAILS, True, source="web")
    record_consent(registry, 99, Purpose.RECOMMENDATION_EMAILS, True, source="web")  # not in reg.
    assert members_without(registry, Purpose.STATISTICS) == {2}
    assert members_with(registry, Purpose.STATISTICS) == {1, 3, 4, 5}
    assert members_with(registry, "recommendation_emails") == {4, 99}
    assert members_without(registry, "recommendation_emails") == {1, 2, 3, 5}
    assert members_without(registry, Purpose.WELLBEING_INSIGHTS) == {1, 2, 3, 4, 5}


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(list(Purpose)), st.booleans()), max_size=25
    )
)
def test_current_is_the_last_change_per_purpose(changes: list[tuple[int, Purpose, bool]]) -> None:
    """Property: the state equals a brute-force replay of the changes over the defaults."""
    registry = Registry.open("sqlite://")
    try:
        registry.members.upsert_many(MemberRecord(member_id=i) for i in range(1, 5))
        for member, purpose, granted in changes:
            record_consent(registry, member, purpose, granted, source="test")
        for member in range(1, 5):
            expected = dict(DEFAULTS)
            for m, p, g in changes:
                if m == member:
                    expected[p] = g
            assert current_consents(registry, member) == expected
        for purpose in Purpose:
            brute = {m for m in range(1, 5) if not current_consents(registry, m)[purpose]}
            assert members_without(registry, purpose) == brute
    finally:
        registry.close()
