"""Privacy: differentially private releases and the member's rights.

Members' rights (consent, export, erasure, retention, audit) are re-exported here and imported
on first use, so ``import bingewise.privacy`` stays light:

- :mod:`~bingewise.privacy.consent`: consent per purpose (``current_consents``, ``has_consent``,
  ``members_without``, ``record_consent``);
- :mod:`~bingewise.privacy.audit`: every read of member-level data (``audited``);
- :mod:`~bingewise.privacy.export`: everything held about a member (``export_member``);
- :mod:`~bingewise.privacy.erase`: erasure from every store (``erase_member``);
- :mod:`~bingewise.privacy.tombstone`: erased members stay out (``is_erased``, ``drop_erased``);
- :mod:`~bingewise.privacy.retention`: old raw events go, daily aggregates stay.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Purpose": "consent",
    "DEFAULTS": "consent",
    "POLICY_VERSION": "consent",
    "consent_history": "consent",
    "current_consents": "consent",
    "has_consent": "consent",
    "members_with": "consent",
    "members_without": "consent",
    "record_consent": "consent",
    "AuditEntry": "audit",
    "api_actor": "audit",
    "audit_entries": "audit",
    "audited": "audit",
    "os_actor": "audit",
    "export_member": "export",
    "ErasureReport": "erase",
    "erase_member": "erase",
    "mark_retrained": "erase",
    "pending_retrains": "erase",
    "drop_erased": "tombstone",
    "erased_member_ids_filter": "tombstone",
    "is_erased": "tombstone",
    "RetentionReport": "retention",
    "run_retention": "retention",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bingewise.privacy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bingewise.privacy.{module}"), name)
