"""Ingestion: one module per source format; validation, dedupe and quarantine shared."""
