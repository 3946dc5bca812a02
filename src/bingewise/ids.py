"""Stable 63-bit identifiers derived from text.

Sources such as a Netflix export carry no ids, only names. A title, a household or a profile gets
the same id every time it is seen, on any machine and engine: the low 63 bits of the MD5 of its
canonical text, read little-endian. :data:`SQL_STABLE_ID` is the same function in DuckDB SQL, so
vectorised ingestion and Python agree (a test pins this).

>>> stable_id("abc")
3481232194675933584
"""

from __future__ import annotations

import hashlib

_MASK = 0x7FFF_FFFF_FFFF_FFFF
SEPARATOR = "\x1f"

#: DuckDB SQL template: ``SQL_STABLE_ID.format("some_varchar_expression")``.
SQL_STABLE_ID = "(md5_number({}) & 9223372036854775807::UHUGEINT)::BIGINT"


def stable_id(*parts: object) -> int:
    """A non-negative 63-bit id from ``parts`` joined by the unit separator (U+001F)."""
    text = SEPARATOR.join("" if p is None else str(p) for p in parts)
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "little") & _MASK
