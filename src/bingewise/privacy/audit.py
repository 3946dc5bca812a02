"""Audit log: every read of member-level data, who, what, when and why.

Every CLI command or API route that reads one member's data calls :func:`audited` *before* it
reads, so that even a read that fails half-way is on record. An entry holds the actor
(``os:<user>`` for the command line, ``api:<key name>`` for the API), the action
(``member.export``, ``consent.show``...), the member id, the resource read (a description such
as ``"events,plays,consents"``, never member data itself) and the reason (a ``--reason`` option
with a default per command).

After an erasure the member's entries stay, with ``member_id`` set to NULL and any mention of the
member in the free-text reason replaced by ``[erased]``: the log still shows who read what and
when, and that an erasure happened, but no longer whom it was about. Nothing here writes member
data to Python logs.

>>> from bingewise.registry import Registry
>>> reg = Registry.open("sqlite://")
>>> entry = audited(reg, "os:ana", "member.export", 7, "events", "member asked for a copy")
>>> [e.action for e in audit_entries(reg, 7)]
['member.export']
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
from dataclasses import dataclass

import sqlalchemy as sa

from bingewise.registry import Registry
from bingewise.registry.tables import audit_log
from bingewise.schema import AuditLog

__all__ = ["ERASED", "AuditEntry", "api_actor", "audit_entries", "audited", "os_actor"]

#: What replaces an erased member's id or email in audit reasons.
ERASED = "[erased]"

_ACTOR_MAX = 200
_ACTION_MAX = 60
_RESOURCE_MAX = 200
_REASON_MAX = 400


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry."""

    id: int
    at_utc: dt.datetime  #: naive UTC
    actor: str
    action: str
    member_id: int | None  #: None once the member is erased, or for non-member actions
    resource: str
    reason: str


def os_actor() -> str:
    """The actor for the command line: ``os:`` and the operating-system user name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return f"os:{user}"


def api_actor(key_name: str) -> str:
    """The actor for an API call made with the API key named ``key_name``."""
    return f"api:{key_name}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audited(
    registry: Registry,
    actor: str,
    action: str,
    member_id: int | None,
    resource: str,
    reason: str,
) -> AuditEntry:
    """Record that ``actor`` is reading ``resource`` of ``member_id`` for ``reason``; call first.

    ``reason`` must say why (it is required: an empty reason is refused). A read about an
    erased member is recorded unlinked (no member id, as erasure leaves their earlier entries):
    the log must not link anyone to them again.
    """
    if not reason.strip():
        raise ValueError("an audited read needs a reason")
    if not actor.strip():
        raise ValueError("an audited read needs an actor")
    if member_id is not None:
        from bingewise.privacy.tombstone import is_erased

        if bool(is_erased(registry, [int(member_id)])[0]):
            member_id, resource = None, f"{resource} (of an erased member)"
    values = {
        AuditLog.at_utc: dt.datetime.now(dt.UTC).replace(tzinfo=None),
        AuditLog.actor: _clip(actor, _ACTOR_MAX),
        AuditLog.action: _clip(action, _ACTION_MAX),
        AuditLog.member_id: None if member_id is None else int(member_id),
        AuditLog.resource: _clip(resource, _RESOURCE_MAX),
        AuditLog.reason: _clip(reason, _REASON_MAX),
    }
    with registry.engine.begin() as conn:
        new_id = conn.execute(
            audit_log.insert().values(values).returning(audit_log.c.id)
        ).scalar_one()
    return AuditEntry(
        id=int(new_id),
        at_utc=values[AuditLog.at_utc],  # type: ignore[arg-type]
        actor=str(values[AuditLog.actor]),
        action=str(values[AuditLog.action]),
        member_id=values[AuditLog.member_id],  # type: ignore[arg-type]
        resource=str(values[AuditLog.resource]),
        reason=str(values[AuditLog.reason]),
    )


def audit_entries(
    registry: Registry, member_id: int | None = None, *, action: str | None = None
) -> list[AuditEntry]:
    """Audit entries, oldest first: about ``member_id`` if given, of ``action`` if given."""
    query = sa.select(audit_log).order_by(audit_log.c.id)
    if member_id is not None:
        query = query.where(audit_log.c.member_id == int(member_id))
    if action is not None:
        query = query.where(audit_log.c.action == action)
    with registry.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        AuditEntry(
            id=int(r[AuditLog.id]),
            at_utc=r[AuditLog.at_utc],
            actor=r[AuditLog.actor],
            action=r[AuditLog.action],
            member_id=None if r[AuditLog.member_id] is None else int(r[AuditLog.member_id]),
            resource=r[AuditLog.resource],
            reason=r[AuditLog.reason],
        )
        for r in rows
    ]


#: A member id is looked for in free text (quarantined rows, titles, audit reasons) only when it
#: has at least this many digits: a short id ("5", as MovieLens and many service logs use) is
#: also a number of seconds, an episode, a season or part of a name, and erasing it there would
#: damage other people's data. Stable ids (Netflix profiles, synthetic members) have 18-19. A
#: quarantined row that names its member (``quarantine.member_id``) is found by that instead.
DISTINCTIVE_ID_DIGITS = 8


def member_mentions(member_id: int, email: str | None = None) -> list[str]:
    """The texts that identify a member in free text: their id when it is distinctive
    (:data:`DISTINCTIVE_ID_DIGITS`), and their email."""
    mentions = [str(member_id)] if len(str(abs(member_id))) >= DISTINCTIVE_ID_DIGITS else []
    return mentions + ([email] if email else [])


def mention_pattern(mentions: list[str]) -> re.Pattern[str] | None:
    """A regex matching any of ``mentions`` as a whole token (``7`` does not match in ``2017``)."""
    parts = [re.escape(m) for m in mentions if m]
    if not parts:
        return None
    return re.compile(r"(?<![\w.@+-])(?:" + "|".join(parts) + r")(?![\w@-])", re.IGNORECASE)


def sql_mention_regex(mentions: list[str]) -> str | None:
    """The same whole-token match as :func:`mention_pattern`, in RE2 syntax (DuckDB SQL)."""
    parts = [re.escape(m) for m in mentions if m]
    if not parts:
        return None
    return r"(?i)(^|[^\w.@+-])(" + "|".join(parts) + r")($|[^\w@-])"


def anonymize_entries(conn: sa.Connection, member_id: int, mentions: list[str]) -> int:
    """Erasure: unlink the member's entries (member_id → NULL) and scrub ``mentions`` from text.

    ``mentions`` are the texts that identify the member (their id, email); they are replaced by
    :data:`ERASED` in every entry's reason and resource. Returns entries changed.
    """
    changed = conn.execute(
        audit_log.update()
        .where(audit_log.c.member_id == int(member_id))
        .values({AuditLog.member_id: None})
    ).rowcount
    pattern = mention_pattern(mentions)
    if pattern is None:
        return int(changed)
    like = sa.or_(
        *(
            sa.func.lower(col).like(f"%{m.lower()}%")
            for m in mentions
            if m
            for col in (audit_log.c.reason, audit_log.c.resource)
        )
    )
    rows = conn.execute(
        sa.select(audit_log.c.id, audit_log.c.reason, audit_log.c.resource).where(like)
    ).all()
    for row_id, reason, resource in rows:
        new_reason = pattern.sub(ERASED, reason)
        new_resource = pattern.sub(ERASED, resource)
        if (new_reason, new_resource) != (reason, resource):
            conn.execute(
                audit_log.update()
                .where(audit_log.c.id == row_id)
                .values({AuditLog.reason: new_reason, AuditLog.resource: new_resource})
            )
            changed += 1
    return int(changed)
