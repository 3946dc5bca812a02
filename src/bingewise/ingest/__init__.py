"""Ingestion: one module per source format; validation, dedupe and quarantine shared.

>>> from bingewise.warehouse import Warehouse
>>> summaries = ingest_paths([], warehouse=Warehouse.open(":memory:"))
>>> summaries
[]

See :mod:`bingewise.ingest.pipeline` for what happens to a file and ``docs/ingest.md`` for the
formats.
"""

from bingewise.ingest.base import IngestError, Parsed, Reader, ReadOptions, Reject
from bingewise.ingest.formats import READERS, detect, reader_named
from bingewise.ingest.generic import event_key
from bingewise.ingest.pipeline import IngestSummary, drop_erased, ingest_paths

__all__ = [
    "READERS",
    "IngestError",
    "IngestSummary",
    "Parsed",
    "ReadOptions",
    "Reader",
    "Reject",
    "detect",
    "drop_erased",
    "event_key",
    "ingest_paths",
    "reader_named",
]
