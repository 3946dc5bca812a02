"""The registry: members, consents, messages, privacy ledger and audit, in SQL.

>>> reg = Registry.open("sqlite://")
>>> reg.members.count()
0
"""

from bingewise.registry.db import Registry, RegistryUnavailable, upgrade
from bingewise.registry.members import MemberRecord, MembersRepo

__all__ = ["MemberRecord", "MembersRepo", "Registry", "RegistryUnavailable", "upgrade"]
