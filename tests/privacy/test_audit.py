"""The audit log: who, what, when, why; unlinking at erasure (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from bingewise.privacy.audit import (
    ERASED,
    anonymize_entries,
    api_actor,
    audit_entries,
    audited,
    os_actor,
)
from bingewise.registry import Registry


def test_audited_records_who_what_when_why(registry: Registry) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    entry = audited(registry, api_actor("web-frontend"), "member.home", 12, "plays", "home page")
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert before <= entry.at_utc <= after
    stored = audit_entries(registry, 12)
    assert stored == [entry]
    assert (entry.actor, entry.action, entry.resource, entry.reason) == (
        "api:web-frontend",
        "member.home",
        "plays",
        "home page",
    )
    assert os_actor().startswith("os:")
    assert audit_entries(registry, 13) == []


def test_a_read_needs_a_reason(registry: Registry) -> None:
    with pytest.raises(ValueError, match="reason"):
        audited(registry, "os:ana", "member.export", 1, "events", "  ")
    assert audit_entries(registry) == []


def test_unlinking_keeps_the_entry_but_not_the_member(registry: Registry) -> None:
    audited(registry, "os:ana", "member.export", 4242, "events", "ticket for 4242 / a@b.invalid")
    audited(registry, "os:ana", "member.export", 7, "events", "year 42424242 and 4242x")
    with registry.engine.begin() as conn:
        changed = anonymize_entries(conn, 4242, ["4242", "a@b.invalid"])
    assert changed == 2  # unlinked, then reason scrubbed
    assert audit_entries(registry, 4242) == []
    entries = audit_entries(registry)
    assert [e.member_id for e in entries] == [None, 7]
    assert entries[0].reason == f"ticket for {ERASED} / {ERASED}"
    assert entries[1].reason == "year 42424242 and 4242x"  # whole tokens only
