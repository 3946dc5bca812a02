"""MovieLens files from GroupLens: ratings into the ratings table, movies into the catalog.

- ``ratings.csv`` (ml-latest, ml-20m/25m/32m): header ``userId,movieId,rating,timestamp``;
- ``u.data`` (ml-100k): tab-separated ``user item rating timestamp``, no header;
- ``ratings.dat`` (ml-1m, ml-10m): ``user::item::rating::timestamp``, no header;
- ``movies.csv``: ``movieId,title,genres`` (genres ``|``-separated, ``(no genres listed)`` = none);
- ``movies.dat`` (ml-1m, ml-10m): ``movieId::title::genres``, no header, no quoting (a title may
  hold ``"``), in UTF-8 or, as ml-1m ships it, Latin-1 (read as such when it is not UTF-8);
- ``u.item`` (ml-100k): ``|``-separated, no header: id, title, release date (``01-Jan-1995``),
  video release date, IMDb URL, then 19 genre flags in ``u.genre``'s order; Latin-1.

Ids are kept as MovieLens gives them (``userId`` → ``member_id``, ``movieId`` → ``title_id``), so
published figures on these data sets stay comparable. Every member who rated becomes a member of
the warehouse and the registry (their id only, and ``--tz``'s zone), so they can see, export and
erase what is held about them and set their consents, as members who came with viewing can.
``timestamp`` is whole seconds since 1970-01-01 UTC. A rating's key is
:data:`bingewise.ids.SQL_STABLE_ID` over ``member_id|title_id|rated`` (U+001F-joined; *rated* in
whole microseconds since the epoch).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from bingewise.ids import SQL_STABLE_ID
from bingewise.ingest.base import ReadOptions
from bingewise.ingest.catalog import genres_sql
from bingewise.ingest.generic import (
    Field,
    Kind,
    Layout,
    TabularReader,
    TextDialect,
    lit,
    members_select,
    q,
)
from bingewise.schema import Catalog, MovieLensFiles, Ratings, SourceColumns

__all__ = [
    "MovieLensItems",
    "MovieLensMovies",
    "MovieLensMoviesDat",
    "MovieLensRatings",
    "MovieLensRatingsDat",
    "MovieLensUData",
    "rating_key_sql",
]


def rating_key_sql() -> str:
    """DuckDB SQL of a rating's key over the ratings columns."""
    parts = (
        f"concat_ws('\x1f', {q(Ratings.member_id)}, {q(Ratings.title_id)}, "
        f"epoch_us({q(Ratings.rated_utc)}))"
    )
    return SQL_STABLE_ID.format(parts)


def _ratings_derived(options: ReadOptions, source: str) -> dict[str, str]:
    return {Ratings.event_key: rating_key_sql(), Ratings.source: lit(source)}


RATINGS_LAYOUT = Layout(
    name="MovieLens ratings",
    table=Ratings.table,
    arrow=Ratings.arrow,
    fields=(
        Field(MovieLensFiles.user, Ratings.member_id, Kind.ID, required=True),
        Field(MovieLensFiles.item, Ratings.title_id, Kind.ID, required=True),
        Field(MovieLensFiles.rating, Ratings.rating, Kind.REAL, required=True),
        Field(MovieLensFiles.timestamp, Ratings.rated_utc, Kind.EPOCH_SECONDS, required=True),
    ),
    derived=_ratings_derived,
)


def _movies_derived(options: ReadOptions, source: str) -> dict[str, str]:
    genres = q(Catalog.genres)
    none = lit(SourceColumns.no_genres)
    return {
        Catalog.kind: lit(Catalog.FILM),
        Catalog.genres: genres_sql(f"CASE WHEN {genres} = {none} THEN '' ELSE {genres} END"),
    }


MOVIES_LAYOUT = Layout(
    name="MovieLens movies",
    table=Catalog.table,
    arrow=Catalog.arrow,
    fields=(
        Field(SourceColumns.movies_header[0], Catalog.title_id, Kind.ID, required=True),
        Field(SourceColumns.movie_title, Catalog.title, Kind.TEXT, required=True),
        Field(SourceColumns.movie_genres, Catalog.genres, Kind.TEXT, required=True),
    ),
    derived=_movies_derived,
)

_UDATA_LINE = re.compile(rb"[0-9]+\t[0-9]+\t[0-9]+(\.[0-9]+)?\t[0-9]+\r?")
_RATINGS_DAT_LINE = re.compile(rb"[0-9]+::[0-9]+::[0-9]+(\.[0-9]+)?::[0-9]+\r?")
#: exactly three fields: an id, then two that hold no "::" (ml-1m's users.dat has five)
_MOVIES_DAT_LINE = re.compile(rb"[0-9]+::(?:[^:\r\n]|:(?!:))*::(?:[^:\r\n]|:(?!:))*\r?")


class _RatingsMembers(TabularReader):
    """Ratings readers: the members who rated become members of the warehouse (and, given a
    registry, of the registry), so they can see, export and erase what is held about them and
    set their consents, like members who came with viewing."""

    def members_sql(self, relation: str, options: ReadOptions) -> str | None:
        """SELECT of the members seen in ``relation`` (ratings): their ids, nothing else known
        but the ``--tz`` time zone."""
        return members_select(relation, Ratings.member_id, options)


class _ExactHeader(TabularReader):
    """A CSV whose header must be exactly the layout's columns, in order."""

    def sniff(self, path, head):  # type: ignore[no-untyped-def]
        cols = self.columns_of(path, head)
        return cols is not None and tuple(cols) == self.layout.sources


class MovieLensRatings(_RatingsMembers, _ExactHeader):
    """MovieLens ``ratings.csv``."""

    name = "movielens-ratings"
    layout = RATINGS_LAYOUT
    container = "csv"
    delimiter = ","


class MovieLensMovies(_ExactHeader):
    """MovieLens ``movies.csv`` (into the catalog, as films)."""

    name = "movielens-movies"
    layout = MOVIES_LAYOUT
    container = "csv"
    delimiter = ","


class _Headerless(TabularReader):
    """A header-less MovieLens file, known by the shape of its first line."""

    container = "csv"
    first_line: ClassVar[re.Pattern[bytes]]

    def sniff_headerless(self, head: bytes) -> bool:
        """Whether the first line has this file's shape (:attr:`first_line`)."""
        return self.first_line.fullmatch(head.split(b"\n", 1)[0]) is not None


class _OlderCatalog(_Headerless):
    """GroupLens' older catalogue files: no quoting (a title may hold ``"``), and UTF-8 or, as
    ml-1m and ml-100k ship them, Latin-1."""

    quote = ""

    def dialect(self, path: Path) -> TextDialect:
        """UTF-8 when the whole (small) file decodes as UTF-8, else Latin-1."""
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return TextDialect("", "latin-1")
        return TextDialect("", "utf-8")


class MovieLensUData(_RatingsMembers, _Headerless):
    """MovieLens 100k ``u.data``: four tab-separated numbers a line."""

    name = "movielens-udata"
    layout = RATINGS_LAYOUT
    names = MovieLensFiles.fields
    delimiter = "\t"
    first_line = _UDATA_LINE


class MovieLensRatingsDat(_RatingsMembers, _Headerless):
    """MovieLens 1M / 10M ``ratings.dat``: four ``::``-separated numbers a line, no quoting."""

    name = "movielens-ratings-dat"
    layout = RATINGS_LAYOUT
    names = MovieLensFiles.fields
    delimiter = "::"
    quote = ""
    first_line = _RATINGS_DAT_LINE


class MovieLensMoviesDat(_OlderCatalog):
    """MovieLens 1M / 10M ``movies.dat``: id, title and genres, ``::``-separated (as films)."""

    name = "movielens-movies-dat"
    layout = MOVIES_LAYOUT
    names = SourceColumns.movies_header
    delimiter = "::"
    first_line = _MOVIES_DAT_LINE


#: ml-100k's genres, in the order of u.item's flag columns (its u.genre file).
U_ITEM_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_U_ITEM_NAMES = (
    "movie id", "movie title", "release date", "video release date", "IMDb URL",
    *(f"genre: {g}" for g in U_ITEM_GENRES),
)  # fmt: skip
_U_ITEM_LINE = re.compile(rb"[0-9]+\|[^|\r\n]*\|[^|\r\n]*\|[^|\r\n]*\|[^|\r\n]*(\|[01]){19}\r?")


def _flag(k: int) -> str:
    return f"_u_genre_{k}"


def _items_derived(options: ReadOptions, source: str) -> dict[str, str]:
    # "unknown" is the absence of a genre, as movies.csv's "(no genres listed)".
    named = ", ".join(
        f"CASE WHEN {q(_flag(k))} = '1' THEN {lit(g)} END"
        for k, g in enumerate(U_ITEM_GENRES)
        if g != "unknown"
    )
    return {
        Catalog.kind: lit(Catalog.FILM),
        Catalog.genres: f"concat_ws('|', {named})",
        Catalog.release_date: f"try_strptime({q('_u_release')}, '%d-%b-%Y')::DATE",
    }


ITEMS_LAYOUT = Layout(
    name="MovieLens 100k items",
    table=Catalog.table,
    arrow=Catalog.arrow,
    fields=(
        Field(_U_ITEM_NAMES[0], Catalog.title_id, Kind.ID, required=True),
        Field(_U_ITEM_NAMES[1], Catalog.title, Kind.TEXT, required=True),
        Field(_U_ITEM_NAMES[2], "_u_release", Kind.TEXT),
        Field(_U_ITEM_NAMES[3], "_u_video", Kind.TEXT),
        Field(_U_ITEM_NAMES[4], "_u_url", Kind.TEXT),
        *(Field(f"genre: {g}", _flag(k), Kind.TEXT) for k, g in enumerate(U_ITEM_GENRES)),
    ),
    derived=_items_derived,
)


class MovieLensItems(_OlderCatalog):
    """MovieLens 100k ``u.item``: id, four text fields and 19 genre flags, ``|``-separated (into
    the catalog, as films, with genres and release dates)."""

    name = "movielens-uitem"
    layout = ITEMS_LAYOUT
    names = _U_ITEM_NAMES
    delimiter = "|"
    first_line = _U_ITEM_LINE
