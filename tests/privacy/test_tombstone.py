"""Tombstones: keyed hashes that keep erased members out of later ingests."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from bingewise.config import get_settings
from bingewise.privacy.tombstone import (
    add_tombstone,
    drop_erased,
    erased_member_ids_filter,
    is_erased,
    tombstone_hash,
    tombstone_hashes,
)
from bingewise.registry import Registry
from bingewise.schema import Events


def test_hash_is_hmac_sha256_of_the_decimal_id() -> None:
    key = get_settings().secret_key
    expected = hmac.new(key.encode(), b"123456789", hashlib.sha256).hexdigest()
    assert tombstone_hash(123456789) == expected
    assert tombstone_hash(123456789, key="another key") != expected


def test_tombstone_holds_no_id(registry: Registry) -> None:
    digest = add_tombstone(registry, 987654321987)
    assert add_tombstone(registry, 987654321987) == digest  # idempotent
    assert tombstone_hashes(registry) == {digest}
    assert "987654321987" not in digest


def test_drop_erased_counts_what_it_drops(registry: Registry) -> None:
    add_tombstone(registry, 20)
    table = pa.table(
        {Events.member_id: pa.array([10, 20, None, 20, 30], pa.int64()), "x": list("abcde")}
    )
    kept, dropped = drop_erased(registry, table)
    assert dropped == 2
    assert kept.column("x").to_pylist() == ["a", "c", "e"]
    assert erased_member_ids_filter(registry, [10, 20, 30, 20]) == {20}


@given(st.sets(st.integers(0, 2**63 - 1), max_size=6), st.lists(st.integers(0, 40), max_size=60))
def test_mask_matches_brute_force(erased: set[int], picks: list[int]) -> None:
    """Property: the vectorised mask equals a per-row check against the erased set."""
    registry = Registry.open("sqlite://")
    try:
        pool = sorted(erased) + list(range(1000, 1030))
        for member in erased:
            add_tombstone(registry, member)
        ids = [pool[i % len(pool)] for i in picks]
        mask = is_erased(registry, np.array(ids, dtype=np.int64))
        assert mask.tolist() == [i in erased for i in ids]
    finally:
        registry.close()
