"""Catalog files (CSV, Parquet, JSON Lines): titles upserted by ``title_id``.

Columns are those of :class:`bingewise.schema.Catalog`; ``title_id`` and ``title`` are required.
``kind`` is ``film`` or ``episode`` (when absent: ``episode`` if the row names a series or an
episode number, else ``film``). ``genres`` is a ``|``-separated list (blanks around ``|`` and
empty names are dropped; absent means ``""``). ``season``, ``episode`` and ``runtime_seconds``
are whole numbers ≥ 0, ``release_date`` is ``YYYY-MM-DD``.

A title already in the catalog is replaced by the file's row; within a file the last row of a
``title_id`` wins. Rows identical to what the catalog holds count as duplicates.
"""

from __future__ import annotations

from bingewise.ingest.base import ReadOptions
from bingewise.ingest.generic import Field, Kind, Layout, TabularReader, lit, q
from bingewise.schema import Catalog

__all__ = ["CATALOG_LAYOUT", "CatalogCsv", "CatalogJsonl", "CatalogParquet", "genres_sql"]


def genres_sql(column: str) -> str:
    """SQL normalising a ``|``-separated genre list: trimmed names, empty ones dropped."""
    parts = f"list_transform(string_split(coalesce({column}, ''), '|'), g -> trim(g))"
    return f"array_to_string(list_filter({parts}, g -> g <> ''), '|')"


def _derived(options: ReadOptions, source: str) -> dict[str, str]:
    episode = lit(Catalog.EPISODE)
    film = lit(Catalog.FILM)
    guess = (
        f"CASE WHEN {q(Catalog.series_id)} IS NOT NULL OR {q(Catalog.episode)} IS NOT NULL "
        f"THEN {episode} ELSE {film} END"
    )
    return {
        Catalog.kind: f"coalesce({q(Catalog.kind)}, {guess})",
        Catalog.genres: genres_sql(q(Catalog.genres)),
    }


CATALOG_LAYOUT = Layout(
    name="catalog",
    table=Catalog.table,
    arrow=Catalog.arrow,
    fields=(
        Field(Catalog.title_id, Catalog.title_id, Kind.ID, required=True),
        Field(Catalog.title, Catalog.title, Kind.TEXT, required=True),
        Field(Catalog.kind, Catalog.kind, Kind.KIND),
        Field(Catalog.series_id, Catalog.series_id, Kind.ID),
        Field(Catalog.series_title, Catalog.series_title, Kind.TEXT),
        Field(Catalog.season, Catalog.season, Kind.COUNT),
        Field(Catalog.season_title, Catalog.season_title, Kind.TEXT),
        Field(Catalog.episode, Catalog.episode, Kind.COUNT),
        Field(Catalog.episode_title, Catalog.episode_title, Kind.TEXT),
        Field(Catalog.runtime_seconds, Catalog.runtime_seconds, Kind.COUNT),
        Field(Catalog.genres, Catalog.genres, Kind.TEXT),
        Field(Catalog.release_date, Catalog.release_date, Kind.DATE),
        Field(Catalog.maturity, Catalog.maturity, Kind.TEXT),
    ),
    derived=_derived,
)


class CatalogCsv(TabularReader):
    """Catalog as CSV, header naming :class:`~bingewise.schema.Catalog` columns."""

    name = "catalog-csv"
    layout = CATALOG_LAYOUT
    mappable = True
    container = "csv"


class CatalogParquet(TabularReader):
    """Catalog as Parquet."""

    name = "catalog-parquet"
    layout = CATALOG_LAYOUT
    mappable = True
    container = "parquet"


class CatalogJsonl(TabularReader):
    """Catalog as JSON Lines."""

    name = "catalog-jsonl"
    layout = CATALOG_LAYOUT
    mappable = True
    container = "jsonl"
