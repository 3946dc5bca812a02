"""Side information about titles from the catalogue: genres and release years.

A model that can use it (``uses_features``) takes an :class:`ItemFeatures` in ``fit``, aligned
with the interaction matrix's columns (row ``j`` describes column ``j``); the others are fitted
without it (:func:`~bingewise.recommend.base.fit_model`). Titles the catalogue does not know, or
knows without genres, get no genre and an unknown year (NaN): without a catalogue nothing changes.

>>> f = ItemFeatures.from_lists([["Comedy", "Drama"], [], ["Drama"]], [1994.0, np.nan, 2003.0])
>>> f.genre_names.tolist(), f.genres.toarray().tolist()
(['Comedy', 'Drama'], [[1.0, 1.0], [0.0, 0.0], [0.0, 1.0]])
>>> f.decades().toarray().tolist()  # columns: the 1990s, the 2000s
[[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["CatalogFeatures", "ItemFeatures", "title_year"]

#: A year in parentheses at the end of a title, as MovieLens writes "Heat (1995)".
_YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def title_year(title: str) -> float:
    """The release year a MovieLens-style title ends with (``"Heat (1995)"`` → 1995.0), else NaN."""
    found = _YEAR_IN_TITLE.search(title.strip())
    return float(found.group(1)) if found else float("nan")


@dataclass(frozen=True)
class ItemFeatures:
    """Genres and release years of the titles (rows) of an interaction matrix's columns."""

    genres: sp.csr_matrix  #: titles × genres, float32, 1 where the title has the genre
    years: np.ndarray  #: float64 release year of each title, NaN when unknown
    genre_names: np.ndarray  #: str, the genre of each column of ``genres``

    def __post_init__(self) -> None:
        if self.genres.shape[0] != len(self.years):
            raise ValueError("genres and years must describe the same titles")
        if self.genres.shape[1] != len(self.genre_names):
            raise ValueError("one genre name per column of genres")

    @property
    def n_titles(self) -> int:
        return int(self.genres.shape[0])

    @classmethod
    def from_lists(
        cls, genres: Sequence[Sequence[str]], years: Sequence[float] | np.ndarray
    ) -> ItemFeatures:
        """From each title's genre names and release year (NaN: unknown)."""
        names = np.array(sorted({g for gs in genres for g in gs}), dtype=np.str_)
        rows = [i for i, gs in enumerate(genres) for _ in set(gs)]
        cols = np.searchsorted(names, [g for gs in genres for g in set(gs)])
        matrix = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(genres), len(names)),
        )
        return cls(matrix, np.asarray(years, dtype=np.float64), names)

    def take(self, rows: np.ndarray, known: np.ndarray | None = None) -> ItemFeatures:
        """The features of titles ``rows`` (positions in this object), in that order; where
        ``known`` is False the title gets none (no genre, unknown year)."""
        rows = np.asarray(rows, dtype=np.int64)
        keep = np.ones(len(rows), dtype=bool) if known is None else np.asarray(known, dtype=bool)
        safe = np.where(keep, rows, 0)
        genres = sp.csr_matrix(sp.diags(keep.astype(np.float32)) @ self.genres[safe])
        genres.eliminate_zeros()
        years = np.where(keep, self.years[safe] if len(self.years) else np.nan, np.nan)
        return ItemFeatures(genres.astype(np.float32), years, self.genre_names)

    def decades(self) -> sp.csr_matrix:
        """Titles × decades (of the known years, in order), 1 for the decade of each title."""
        known = np.isfinite(self.years)
        decade = np.floor(self.years[known] / 10.0).astype(np.int64)
        values, col = np.unique(decade, return_inverse=True)
        return sp.csr_matrix(
            (np.ones(len(col), dtype=np.float32), (np.flatnonzero(known), col)),
            shape=(self.n_titles, len(values)),
        )

    def any(self) -> bool:
        """Whether any title has a genre or a known year."""
        return bool(self.genres.nnz) or bool(np.isfinite(self.years).any())


@dataclass(frozen=True)
class CatalogFeatures:
    """The catalogue's features by title id: give them to a model with :meth:`for_titles`."""

    title_ids: np.ndarray  #: int64, sorted, unique
    features: ItemFeatures  #: row ``i`` describes ``title_ids[i]``

    @classmethod
    def from_rows(
        cls,
        title_ids: Sequence[int] | np.ndarray,
        genres: Sequence[str],
        years: Sequence[float] | np.ndarray,
    ) -> CatalogFeatures:
        """From catalogue rows: ids, ``|``-separated genre names (blank names dropped) and
        years (NaN: unknown). The last row of a title wins, as ingest keeps it."""
        ids = np.asarray(title_ids, dtype=np.int64)
        last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]  # sorted by id
        names = [[g.strip() for g in str(genres[i]).split("|") if g.strip()] for i in last]
        return cls(
            ids[last],
            ItemFeatures.from_lists(names, np.asarray(years, dtype=np.float64)[last]),
        )

    @classmethod
    def with_series(
        cls,
        title_ids: Sequence[int] | np.ndarray,
        genres: Sequence[str],
        years: Sequence[float] | np.ndarray,
        series_ids: Sequence[int] | np.ndarray,
    ) -> CatalogFeatures:
        """As :meth:`from_rows`, plus one title per series the episodes name (``series_ids``,
        -1 for a row that is no episode), as training and the home page count a series: the
        genres of all its episodes and the earliest of their years, unless the catalogue
        describes the series id itself."""
        ids = np.asarray(title_ids, dtype=np.int64)
        of = np.asarray(series_ids, dtype=np.int64)
        yrs = np.asarray(years, dtype=np.float64)
        gen = [str(g) for g in genres]
        extra_ids: list[int] = []
        extra_genres: list[str] = []
        extra_years: list[float] = []
        own = set(ids.tolist())
        episodes = np.flatnonzero(of >= 0)
        for sid in np.unique(of[episodes]):
            if int(sid) in own:
                continue
            rows = episodes[of[episodes] == sid]
            names = sorted({g.strip() for i in rows for g in gen[i].split("|") if g.strip()})
            known = yrs[rows][np.isfinite(yrs[rows])]
            extra_ids.append(int(sid))
            extra_genres.append("|".join(names))
            extra_years.append(float(known.min()) if len(known) else float("nan"))
        return cls.from_rows(
            np.concatenate([ids, np.asarray(extra_ids, dtype=np.int64)]),
            gen + extra_genres,
            np.concatenate([yrs, np.asarray(extra_years, dtype=np.float64)]),
        )

    def for_titles(self, title_ids: np.ndarray) -> ItemFeatures:
        """The features of ``title_ids`` in that order (none for titles not in the catalogue)."""
        ids = np.asarray(title_ids, dtype=np.int64)
        if not len(self.title_ids):
            return ItemFeatures.from_lists([[] for _ in ids], [np.nan] * len(ids))
        pos = np.minimum(np.searchsorted(self.title_ids, ids), len(self.title_ids) - 1)
        return self.features.take(pos, self.title_ids[pos] == ids)

    def any(self) -> bool:
        """Whether any title has a genre or a known year."""
        return self.features.any()
