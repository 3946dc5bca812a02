"""Binge facts: plays, sessions, binges, streaks and recaps, as Ibis expressions.

Everything here is written once in Ibis (no engine-specific SQL) so it runs on DuckDB and Spark.
Column names come from :mod:`bingewise.schema` (``Plays``, ``Sessions``, ``Binges``...).
"""

from bingewise.analytics.plays import DEFAULT_RESUME_GAP_MINUTES, plays

__all__ = ["DEFAULT_RESUME_GAP_MINUTES", "plays"]
