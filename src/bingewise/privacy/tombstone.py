"""Erasure tombstones: the only thing kept about an erased member.

A tombstone is ``HMAC-SHA256(settings.secret_key, str(member_id))`` in hex and the UTC date of the
erasure. Without the secret key it does not reveal the id (member ids of a Netflix export are
63-bit hashes of household and profile, so guessing them is hopeless; with a small integer id
space the key is what protects it). With the key, ingestion recognises an erased member's rows in
an old file and drops them, so a re-ingest does not bring the member back.

The ingestion pipeline calls :func:`drop_erased` (or :func:`is_erased` for a mask) on every batch.

>>> from bingewise.registry import Registry
>>> reg = Registry.open("sqlite://")
>>> _ = add_tombstone(reg, 42, key="k")
>>> is_erased(reg, [41, 42, 42], key="k").tolist()
[False, True, True]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from bingewise.config import get_settings
from bingewise.registry import Registry
from bingewise.registry.tables import tombstones
from bingewise.schema import Events, Tombstones

__all__ = [
    "add_tombstone",
    "drop_erased",
    "erased_member_ids_filter",
    "is_erased",
    "tombstone_hash",
    "tombstone_hashes",
]


def _key(key: str | None) -> bytes:
    return (key if key is not None else get_settings().secret_key).encode("utf-8")


def tombstone_hash(member_id: int, *, key: str | None = None) -> str:
    """HMAC-SHA256 of the member id's decimal text under the secret key, as 64 hex characters."""
    return hmac.new(_key(key), str(int(member_id)).encode("ascii"), hashlib.sha256).hexdigest()


def tombstone_hashes(registry: Registry) -> set[str]:
    """Every tombstone hash in the registry."""
    with registry.engine.connect() as conn:
        return set(conn.execute(sa.select(tombstones.c.key_hash)).scalars())


def add_tombstone(
    conn_or_registry: Registry | sa.Connection,
    member_id: int,
    *,
    on: dt.date | None = None,
    key: str | None = None,
) -> str:
    """Record that ``member_id`` was erased (idempotent); returns the tombstone hash."""
    digest = tombstone_hash(member_id, key=key)
    day = on or dt.datetime.now(dt.UTC).date()

    def write(conn: sa.Connection) -> None:
        exists = conn.execute(
            sa.select(tombstones.c.key_hash).where(tombstones.c.key_hash == digest)
        ).first()
        if exists is None:
            conn.execute(
                tombstones.insert().values({Tombstones.key_hash: digest, Tombstones.erased_on: day})
            )

    if isinstance(conn_or_registry, Registry):
        with conn_or_registry.engine.begin() as conn:
            write(conn)
    else:
        write(conn_or_registry)
    return digest


def is_erased(
    registry: Registry,
    member_ids: Sequence[int | None] | np.ndarray | pa.Array | pa.ChunkedArray,
    *,
    key: str | None = None,
) -> np.ndarray:
    """A boolean mask, aligned with ``member_ids``: True where the member was erased.

    Each distinct id is hashed once, so a batch of millions of events from thousands of members
    costs thousands of HMACs. Null ids are never erased.
    """
    if isinstance(member_ids, pa.ChunkedArray | pa.Array):
        values = member_ids.to_numpy(zero_copy_only=False)
    else:
        values = np.asarray(member_ids, dtype=object)
    n = len(values)
    stones = tombstone_hashes(registry)
    if n == 0 or not stones:
        return np.zeros(n, dtype=bool)
    valid = np.array([v is not None and v == v for v in values], dtype=bool)  # v == v: not NaN
    ids = np.zeros(n, dtype=np.int64)
    ids[valid] = np.asarray(values[valid], dtype=np.int64)
    uniques = np.unique(ids[valid])
    erased = np.array(
        [tombstone_hash(int(u), key=key) in stones for u in uniques.tolist()], dtype=bool
    )
    mask = np.zeros(n, dtype=bool)
    mask[valid] = np.isin(ids[valid], uniques[erased])
    return mask


def erased_member_ids_filter(
    registry: Registry, member_ids: Iterable[int], *, key: str | None = None
) -> set[int]:
    """Of ``member_ids``, those that were erased (for filtering by id in SQL or Ibis)."""
    ids = np.unique(np.fromiter((int(m) for m in member_ids), dtype=np.int64))
    mask = is_erased(registry, ids, key=key)
    return {int(m) for m in ids[mask]}


def drop_erased(
    registry: Registry,
    table: pa.Table,
    *,
    column: str = Events.member_id,
    key: str | None = None,
) -> tuple[pa.Table, int]:
    """``table`` without the rows of erased members, and how many rows were dropped.

    Ingestion calls this on events, ratings and members before storing them, and counts the
    dropped rows (they are not errors and not duplicates: the member asked to be forgotten).
    """
    if table.num_rows == 0 or column not in table.column_names:
        return table, 0
    mask = is_erased(registry, table.column(column), key=key)
    dropped = int(mask.sum())
    if dropped == 0:
        return table, 0
    return table.filter(pc.invert(pa.array(mask))), dropped
