"""The synthetic platform: a catalog, members and a year of realistic viewing, by seed.

>>> from bingewise.synth import generate, planted_members
>>> platform = generate(members=200, titles=60, days=28, seed=3)
>>> planted = planted_members(platform)
>>> platform.events.num_rows > 0
True

``generate`` holds everything in memory; for large platforms build a :func:`world` and stream
its events with :func:`iter_event_batches`, :func:`write_parquet` or :func:`load`. The planted
structure (Zipf popularity, favourite genres, evening and weekend peaks, series in order, new
seasons, the two extreme members) is documented in ``_catalog``, ``_members`` and ``_events``.
"""

from bingewise.synth._catalog import GENRES, ZIPF_EXPONENT
from bingewise.synth._events import SOURCE, SUPPLEMENTAL, block_events, event_keys
from bingewise.synth._members import DEVICES, TASTE_SHARE, email_of
from bingewise.synth._platform import (
    Platform,
    demo_step,
    generate,
    iter_event_batches,
    load,
    planted_members,
    world,
    write_parquet,
)
from bingewise.synth._world import BINGER_EPISODES, DEFAULT_START, Planted, Spec, World

__all__ = [
    "BINGER_EPISODES",
    "DEFAULT_START",
    "DEVICES",
    "GENRES",
    "SOURCE",
    "SUPPLEMENTAL",
    "TASTE_SHARE",
    "ZIPF_EXPONENT",
    "Planted",
    "Platform",
    "Spec",
    "World",
    "block_events",
    "demo_step",
    "email_of",
    "event_keys",
    "generate",
    "iter_event_batches",
    "load",
    "planted_members",
    "world",
    "write_parquet",
]
