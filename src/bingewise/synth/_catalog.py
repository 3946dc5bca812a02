"""The synthetic catalog: films and series with seasons, episodes, genres and release dates.

``titles`` counts *works* (films plus series); a series contributes one catalog row per episode.
About 40% of works are series. Planted structure:

- every work has one primary genre (drawn with :data:`GENRE_WEIGHTS`), sometimes a second one
  in its ``genres`` text; member tastes (see ``_members``) refer to the primary genre;
- popularity is Zipf: the work of popularity rank ``r`` (a random permutation) has weight
  ``r ** -ZIPF_EXPONENT``, so a few works take a large share of viewing;
- episodes run 20-60 minutes (sitcoms and animation about 22-30), films 80-150 minutes;
- a series' seasons come out about a year apart, every episode of a season on the same day;
  roughly one series in six (at least one when there are two or more) releases its latest
  season during the period, which is when binge races happen;
- work 0 is always a long-running sitcom of nine seasons (198-216 episodes of 21-23 minutes,
  all released before the period): the planted binger's show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bingewise.ids import stable_id
from bingewise.schema import Catalog

__all__ = ["GENRES", "GENRE_WEIGHTS", "ZIPF_EXPONENT", "CatalogModel", "make_catalog"]

GENRES: tuple[str, ...] = (
    "Drama",
    "Comedy",
    "Thriller",
    "Crime",
    "Documentary",
    "Sci-Fi",
    "Fantasy",
    "Romance",
    "Horror",
    "Animation",
    "Action",
    "Reality",
)
#: Relative share of works whose primary genre is each of :data:`GENRES`.
GENRE_WEIGHTS = np.array([1.6, 1.5, 1.0, 1.0, 0.7, 0.7, 0.6, 0.7, 0.6, 0.6, 0.9, 0.5])
ZIPF_EXPONENT = 1.05  #: popularity weight of the work ranked r is r ** -ZIPF_EXPONENT
SERIES_SHARE = 0.4  #: share of works that are series
_SHORT_GENRES = (GENRES.index("Comedy"), GENRES.index("Animation"), GENRES.index("Reality"))
_FILM_RATINGS = ("G", "PG", "PG-13", "R", "NC-17")
_FILM_RATING_P = np.array([0.08, 0.22, 0.35, 0.32, 0.03])
_TV_RATINGS = ("TV-Y", "TV-Y7", "TV-G", "TV-PG", "TV-14", "TV-MA")
_TV_RATING_P = np.array([0.04, 0.06, 0.10, 0.20, 0.30, 0.30])
_ADJECTIVES = (
    "Silent", "Crimson", "Hidden", "Last", "Broken", "Golden", "Distant", "Wild", "Frozen",
    "Midnight", "Hollow", "Bright", "Lost", "Secret", "Iron", "Velvet", "Burning", "Quiet",
    "Endless", "Savage", "Gentle", "Northern", "Electric", "Paper", "Glass", "Copper", "Scarlet",
    "Falling", "Restless", "Sunken", "Painted", "Little", "Final", "Wandering", "Shattered",
    "Second", "Empty", "Loud", "Sleeping", "Open",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Kingdom", "Signal", "Garden", "River", "Empire", "Witness", "Orchard", "Machine",
    "Island", "Circle", "Frontier", "Lantern", "Verdict", "Station", "Horizon", "Mirror", "Tide",
    "Valley", "Covenant", "Archive", "Summer", "Protocol", "Canyon", "Dynasty", "Signal Fire",
    "Lighthouse", "Parade", "Republic", "Atlas", "Crossing", "Season", "Harvest", "Meridian",
    "Compass", "Labyrinth", "Theory", "Promise", "Academy", "Detective",
)  # fmt: skip


@dataclass(frozen=True)
class CatalogModel:
    """The catalog table plus the arrays the event generator samples from.

    Rows of a series are contiguous and in viewing order (season, then episode), so the n-th
    episode of work ``w`` is row ``work_first_row[w] + n``.
    """

    table: pa.Table  #: schema.Catalog.arrow
    row_title_id: np.ndarray  #: int64 title id per row
    row_runtime: np.ndarray  #: int64 runtime seconds per row
    row_work: np.ndarray  #: work index per row
    row_ordinal: np.ndarray  #: position of an episode within its series (films: 0)
    row_season_opener: np.ndarray  #: bool, first episode of a season (films: True)
    work_is_series: np.ndarray  #: bool per work
    work_genre: np.ndarray  #: primary genre index per work
    work_pop: np.ndarray  #: Zipf popularity weight per work (sums to 1)
    work_first_row: np.ndarray  #: first catalog row of each work
    work_n_pre: np.ndarray  #: rows released before the period starts (films: 1)
    work_release_day: np.ndarray  #: film release day (days from start; negative = before)
    season_start: np.ndarray  #: flat ordinals of pre-period season openers, by work
    season_offset: np.ndarray  #: per work, start of its entries in ``season_start``
    season_count: np.ndarray  #: per work, number of pre-period seasons
    rel_work: np.ndarray  #: in-period season releases: series work
    rel_first_row: np.ndarray  #: first row of the released season
    rel_n_eps: np.ndarray  #: episodes in the released season
    rel_day: np.ndarray  #: release day (days from start)
    long_series: int  #: work index of the long-running sitcom (always 0)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct made-up titles."""
    combos = [f"The {a} {b}" for a in _ADJECTIVES for b in _NOUNS]
    combos += [f"{b} of the {a} {c}" for a in _ADJECTIVES[:10] for b in _NOUNS[:10] for c in _NOUNS]
    order = rng.permutation(len(combos))
    names = [combos[i] for i in order[: min(n, len(combos))]]
    k = 2
    while len(names) < n:
        names += [f"{combos[i]} {k}" for i in order[: n - len(names)]]
        k += 1
    return names


def make_catalog(rng: np.random.Generator, titles: int, start: dt.date, days: int) -> CatalogModel:
    """A catalog of ``titles`` works (films plus series) for a period of ``days`` from ``start``."""
    if titles < 2:
        raise ValueError(f"titles must be at least 2 (one film and one series), got {titles}")
    n_series = max(1, round(titles * SERIES_SHARE))
    works_series = np.zeros(titles, dtype=bool)
    works_series[:n_series] = True  # works 0..n_series-1 are series, work 0 the long sitcom
    genre = rng.choice(len(GENRES), size=titles, p=GENRE_WEIGHTS / GENRE_WEIGHTS.sum())
    genre[0] = GENRES.index("Comedy")
    second = rng.choice(len(GENRES), size=titles)
    has_second = (rng.random(titles) < 0.5) & (second != genre)
    rank = rng.permutation(titles) + 1
    pop = rank.astype(np.float64) ** -ZIPF_EXPONENT
    pop /= pop.sum()
    names = _names(rng, titles)

    # Series shape: seasons, episodes per season, base runtime, last release day.
    n_seasons = rng.choice(
        np.arange(1, 9), size=n_series, p=[0.4, 0.25, 0.15, 0.1, 0.04, 0.03, 0.02, 0.01]
    )
    last_release = rng.integers(-5 * 365, days, size=n_series)
    if n_series >= 2:
        last_release[1] = rng.integers(0, days)  # at least one in-period release
    n_seasons[0] = 9
    last_release[0] = -rng.integers(30, 400)
    short = np.isin(genre[:n_series], _SHORT_GENRES)
    base_minutes = np.where(short, rng.uniform(21, 30, n_series), rng.uniform(38, 58, n_series))
    base_minutes[0] = 22.0
    limited = (n_seasons == 1) & (rng.random(n_series) < 0.3)
    limited[0] = False
    film_rating = rng.choice(len(_FILM_RATINGS), size=titles, p=_FILM_RATING_P)
    tv_rating = rng.choice(len(_TV_RATINGS), size=titles, p=_TV_RATING_P)

    ids: list[int] = []
    rows_title: list[str] = []
    rows_kind: list[str] = []
    rows_series_id: list[int | None] = []
    rows_series_title: list[str | None] = []
    rows_season: list[int | None] = []
    rows_season_title: list[str | None] = []
    rows_episode: list[int | None] = []
    rows_episode_title: list[str | None] = []
    runtime: list[int] = []
    rows_genres: list[str] = []
    release: list[dt.date] = []
    maturity: list[str] = []
    row_work: list[int] = []
    row_ordinal: list[int] = []
    opener: list[bool] = []
    first_row = np.zeros(titles, dtype=np.int64)
    n_pre = np.zeros(titles, dtype=np.int64)
    release_day = np.zeros(titles, dtype=np.int64)
    season_start: list[int] = []
    season_offset = np.zeros(titles, dtype=np.int64)
    season_count = np.zeros(titles, dtype=np.int64)
    rel_work: list[int] = []
    rel_first: list[int] = []
    rel_n: list[int] = []
    rel_day: list[int] = []

    for w in range(titles):
        genres_text = GENRES[genre[w]] + (f"|{GENRES[second[w]]}" if has_second[w] else "")
        first_row[w] = len(ids)
        season_offset[w] = len(season_start)
        if not works_series[w]:
            day = int(rng.integers(-15 * 365, days))
            release_day[w] = day
            title = names[w]
            ids.append(stable_id("synth", title))
            rows_title.append(title)
            rows_kind.append(Catalog.FILM)
            rows_series_id.append(None)
            rows_series_title.append(None)
            rows_season.append(None)
            rows_season_title.append(None)
            rows_episode.append(None)
            rows_episode_title.append(None)
            runtime.append(int(np.clip(rng.normal(105, 15), 80, 150) * 60))
            rows_genres.append(genres_text)
            release.append(start + dt.timedelta(days=day))
            maturity.append(_FILM_RATINGS[film_rating[w]])
            row_work.append(w)
            row_ordinal.append(0)
            opener.append(True)
            n_pre[w] = 1
            continue
        series = names[w]
        series_id = stable_id("synth-series", series)
        seasons = int(n_seasons[w])
        ordinal = 0
        gaps = rng.integers(300, 430, size=seasons)
        gaps[-1] = 0
        season_days = int(last_release[w]) - np.cumsum(gaps[::-1])[::-1]
        for s in range(seasons):
            day = int(season_days[s])
            eps = int(rng.integers(22, 25)) if w == 0 else int(rng.integers(6, 14))
            season_title = "Limited Series" if limited[w] else f"Season {s + 1}"
            if day < 0:
                season_start.append(ordinal)
                n_pre[w] += eps
            else:
                rel_work.append(w)
                rel_first.append(len(ids))
                rel_n.append(eps)
                rel_day.append(day)
            for e in range(eps):
                episode_title = f"Episode {e + 1}"
                title = f"{series}: {season_title}: {episode_title}"
                ids.append(stable_id("synth", title))
                rows_title.append(title)
                rows_kind.append(Catalog.EPISODE)
                rows_series_id.append(series_id)
                rows_series_title.append(series)
                rows_season.append(None if limited[w] else s + 1)
                rows_season_title.append(season_title)
                rows_episode.append(e + 1)
                rows_episode_title.append(episode_title)
                minutes = base_minutes[w] * rng.uniform(0.92, 1.08)
                if w == 0:
                    minutes = rng.uniform(21, 23)
                runtime.append(int(np.clip(minutes, 20, 60) * 60))
                rows_genres.append(genres_text)
                release.append(start + dt.timedelta(days=day))
                maturity.append(_TV_RATINGS[tv_rating[w]])
                row_work.append(w)
                row_ordinal.append(ordinal)
                opener.append(e == 0)
                ordinal += 1
        season_count[w] = len(season_start) - season_offset[w]

    table = pa.table(
        {
            Catalog.title_id: pa.array(ids, pa.int64()),
            Catalog.title: pa.array(rows_title, pa.string()),
            Catalog.kind: pa.array(rows_kind, pa.string()),
            Catalog.series_id: pa.array(rows_series_id, pa.int64()),
            Catalog.series_title: pa.array(rows_series_title, pa.string()),
            Catalog.season: pa.array(rows_season, pa.int32()),
            Catalog.season_title: pa.array(rows_season_title, pa.string()),
            Catalog.episode: pa.array(rows_episode, pa.int32()),
            Catalog.episode_title: pa.array(rows_episode_title, pa.string()),
            Catalog.runtime_seconds: pa.array(runtime, pa.int32()),
            Catalog.genres: pa.array(rows_genres, pa.string()),
            Catalog.release_date: pa.array(release, pa.date32()),
            Catalog.maturity: pa.array(maturity, pa.string()),
        },
        schema=Catalog.arrow,
    )
    return CatalogModel(
        table=table,
        row_title_id=np.asarray(ids, dtype=np.int64),
        row_runtime=np.asarray(runtime, dtype=np.int64),
        row_work=np.asarray(row_work, dtype=np.int64),
        row_ordinal=np.asarray(row_ordinal, dtype=np.int64),
        row_season_opener=np.asarray(opener, dtype=bool),
        work_is_series=works_series,
        work_genre=genre.astype(np.int64),
        work_pop=pop,
        work_first_row=first_row,
        work_n_pre=n_pre,
        work_release_day=release_day,
        season_start=np.asarray(season_start, dtype=np.int64),
        season_offset=season_offset,
        season_count=season_count,
        rel_work=np.asarray(rel_work, dtype=np.int64),
        rel_first_row=np.asarray(rel_first, dtype=np.int64),
        rel_n_eps=np.asarray(rel_n, dtype=np.int64),
        rel_day=np.asarray(rel_day, dtype=np.int64),
        long_series=0,
    )
