"""Interactions from viewing: who engaged with which item, and how strongly.

An *item* is what the home page recommends: a film is its own item (``item_id`` = its
``title_id``); the episodes of a series roll up to the series (``item_id`` = ``series_id``), so a
member who watched seven episodes of *Dark* has one interaction with *Dark*, not seven.

Confidence
----------
For each play ``p`` (segments of one title merged, :func:`bingewise.analytics.plays`), the
completion is

    c_p = clip(progress_p / runtime, 0, 1)

with ``progress_p`` the furthest bookmark of the play (seconds watched when there is none) and
``runtime`` the catalog runtime in seconds (:data:`NOMINAL_RUNTIME_SECONDS`, 45 minutes, when
the catalog does not know it). A play *finishes* its title when its progress reaches
``finished_share`` (settings, 0.85 by default) of the runtime. For a member and a title ``t``:
``C_t = max_p c_p`` and ``R_t = max(0, finished plays - 1)`` (rewatches). For a member and an
item ``i`` (a film, or a series summed over its episodes):

    E = sum_t C_t        (engagement: 1.0 per fully watched film or episode)
    R = sum_t R_t        (rewatches)
    age = (as_of - latest play start of i) in days
    confidence = log2(1 + E + rewatch_weight * R) * 0.5 ** (age / half_life_days)

so a film watched once to the end, today, weighs 1.0; log2 keeps a 60-episode series from drowning
everything else; recency halves the weight every ``half_life_days`` (90 by default). Supplemental
videos (trailers, recaps) are not interactions. Plays that start at or after ``as_of`` are ignored,
so a model trained "as of" a past time never sees the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bingewise.analytics import plays as analytics_plays
from bingewise.config import get_settings
from bingewise.recommend.base import Interactions
from bingewise.schema import Catalog, Events, Members, Plays, Recs
from bingewise.warehouse import Warehouse

__all__ = [
    "MATURITY_LEVELS",
    "NOMINAL_RUNTIME_SECONDS",
    "ConfidenceParams",
    "ViewingInteractions",
    "build_interactions",
    "confidence",
    "default_as_of",
    "interactions_from_plays",
    "item_table",
    "maturity_level",
    "member_title_plays",
    "plays",
]

#: Runtime assumed for a title whose catalog runtime is unknown (seconds).
NOMINAL_RUNTIME_SECONDS = 45 * 60

#: Maturity ratings mapped to four levels: 0 all ages, 1 older kids (7+), 2 teens (13+),
#: 3 adults (16+/18+). US TV and film ratings and Netflix's own age labels are understood. A
#: missing or unknown rating counts as 3 (adults): unrated content is shown only to profiles
#: without a maturity limit.
MATURITY_LEVELS: dict[str, int] = {
    "TV-Y": 0,
    "G": 0,
    "TV-G": 0,
    "ALL": 0,
    "TV-Y7": 1,
    "TV-Y7-FV": 1,
    "PG": 1,
    "TV-PG": 1,
    "7+": 1,
    "PG-13": 2,
    "TV-14": 2,
    "13+": 2,
    "R": 3,
    "NC-17": 3,
    "TV-MA": 3,
    "16+": 3,
    "18+": 3,
}
ADULT_LEVEL = 3


def maturity_level(rating: str | int | None) -> int:
    """The level (0..3) of a rating such as ``"TV-PG"``; unknown or missing ratings are 3.

    An ``int`` is taken as a level already (clipped to 0..3).

    >>> maturity_level("TV-PG"), maturity_level("R"), maturity_level(None)
    (1, 3, 3)
    """
    if rating is None:
        return ADULT_LEVEL
    if isinstance(rating, int | np.integer):
        return int(min(max(int(rating), 0), ADULT_LEVEL))
    return MATURITY_LEVELS.get(str(rating).strip().upper(), ADULT_LEVEL)


@dataclass(frozen=True, slots=True)
class ConfidenceParams:
    """Parameters of the confidence formula (see the module docstring)."""

    rewatch_weight: float = 0.5  #: weight of one rewatch relative to one finished title
    half_life_days: float = 90.0  #: recency half-life, days
    finished_share: float | None = None  #: completion that finishes a title (None: settings)

    def finished(self) -> float:
        """The finishing share in effect."""
        return get_settings().finished_share if self.finished_share is None else self.finished_share


def confidence(
    engagement: np.ndarray, rewatches: np.ndarray, age_days: np.ndarray, params: ConfidenceParams
) -> np.ndarray:
    """``log2(1 + E + w R) * 0.5 ** (age / half_life)``, float64, ages below 0 count as 0.

    >>> float(confidence(np.array([1.0]), np.array([0]), np.array([0.0]), ConfidenceParams())[0])
    1.0
    """
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    base = np.log2(1.0 + np.asarray(engagement, np.float64) + params.rewatch_weight * rewatches)
    return base * np.power(0.5, age / params.half_life_days)  # type: ignore[no-any-return]


def default_as_of(warehouse: Warehouse) -> dt.datetime:
    """Just after the latest event start in the warehouse (UTC, naive), or now when it is empty.

    Historical data (a synthetic year, an old export) is scored "as of" its own end; a live
    service passes the current time explicitly.
    """
    row = warehouse.duck.execute(
        f'SELECT max("{Events.start_utc}") FROM "{Events.table}"'
    ).fetchone()
    latest = row[0] if row else None
    if latest is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return latest + dt.timedelta(microseconds=1)  # type: ignore[no-any-return]


def plays(
    warehouse: Warehouse,
    *,
    member_ids: Sequence[int] | None = None,
    as_of: dt.datetime | None = None,
    finished_share: float | None = None,
) -> ir.Table:
    """Plays (:class:`bingewise.schema.Plays`) of main content before ``as_of``.

    :func:`bingewise.analytics.plays` over the events of ``member_ids`` (all members when None)
    that start before ``as_of`` (all when None): a member watching one title, resumed segments
    merged, supplemental videos left out.
    """
    events = warehouse.table(Events.table)
    if member_ids is not None:
        events = events.filter(events[Events.member_id].isin([int(m) for m in member_ids]))
    if as_of is not None:
        events = events.filter(events[Events.start_utc] < as_of)
    share = get_settings().finished_share if finished_share is None else finished_share
    return analytics_plays(
        events,
        warehouse.table(Catalog.table),
        warehouse.table(Members.table),
        finished_share=share,
    )


def member_title_plays(
    warehouse: Warehouse,
    member_ids: Sequence[int] | None,
    *,
    as_of: dt.datetime,
    finished_share: float | None = None,
) -> pd.DataFrame:
    """Plays with their completion, whether they finished the title and their item, as pandas.

    Columns: those of :class:`bingewise.schema.Plays` plus ``completion`` (progress over runtime,
    clipped to [0, 1]; :data:`NOMINAL_RUNTIME_SECONDS` stands in for an unknown runtime),
    ``item_id`` and ``is_series``. ``finished`` is never NULL here: when the runtime is unknown
    it is ``completion >= finished_share`` against the nominal runtime. A title missing from the
    catalog is its own item, like a film.
    """
    share = get_settings().finished_share if finished_share is None else finished_share
    p = plays(warehouse, member_ids=member_ids, as_of=as_of, finished_share=share)
    frame: pd.DataFrame = p.to_pandas()
    runtime = pd.to_numeric(frame[Plays.runtime_seconds], errors="coerce").astype("float64")
    runtime = runtime.where(runtime > 0, float(NOMINAL_RUNTIME_SECONDS))
    progress = frame[Plays.progress_seconds].astype("float64").fillna(0.0).to_numpy()
    frame[Recs.completion] = np.clip(progress / runtime.to_numpy(), 0.0, 1.0)
    by_share = frame[Recs.completion] >= share
    known = frame[Plays.finished].astype("boolean")
    frame[Recs.finished] = known.fillna(by_share).astype(bool)
    is_episode = (frame[Plays.kind] == Catalog.EPISODE) & frame[Plays.series_id].notna()
    frame[Recs.is_series] = is_episode.to_numpy(dtype=bool)
    series = frame[Plays.series_id].astype("Int64")
    frame[Recs.item_id] = series.where(is_episode, frame[Plays.title_id]).astype("int64")
    return frame


def item_table(warehouse: Warehouse) -> pd.DataFrame:
    """The catalog rolled up to items, indexed by ``item_id``.

    Columns: ``is_series``, ``name`` (film title or series title), ``genres`` (tuple, most
    frequent among a series' episodes first), ``maturity_level`` (a series takes its most mature
    episode), ``n_episodes`` (0 for films), ``release_date`` (a series: its first episode's).
    """
    cat: pd.DataFrame = warehouse.table(Catalog.table).to_pandas()
    is_ep = (cat[Catalog.kind] == Catalog.EPISODE) & cat[Catalog.series_id].notna()
    levels = cat[Catalog.maturity].map(maturity_level).astype("int64")
    films = cat[~is_ep]
    film_items = pd.DataFrame(
        {
            Recs.item_id: films[Catalog.title_id].astype("int64").to_numpy(),
            Recs.is_series: False,
            Recs.name: films[Catalog.title].fillna("").to_numpy(),
            Catalog.genres: [_split_genres(g) for g in films[Catalog.genres]],
            Recs.maturity_level: levels[~is_ep].to_numpy(),
            Recs.n_episodes: 0,
            Catalog.release_date: films[Catalog.release_date].to_numpy(),
        }
    )
    eps = cat[is_ep].assign(**{Recs.maturity_level: levels[is_ep]})
    rows: list[dict[str, object]] = []
    for series_id, group in eps.groupby(Catalog.series_id, sort=True):
        counts: dict[str, int] = {}
        for text in group[Catalog.genres]:
            for g in _split_genres(text):
                counts[g] = counts.get(g, 0) + 1
        names = group[Catalog.series_title].dropna()
        rows.append(
            {
                Recs.item_id: int(series_id),  # type: ignore[arg-type]
                Recs.is_series: True,
                Recs.name: str(names.iloc[0]) if len(names) else str(group[Catalog.title].iloc[0]),
                Catalog.genres: tuple(sorted(counts, key=lambda g: (-counts[g], g))),
                Recs.maturity_level: int(group[Recs.maturity_level].max()),
                Recs.n_episodes: len(group),
                Catalog.release_date: group[Catalog.release_date].min(),
            }
        )
    series_items = pd.DataFrame(rows, columns=list(film_items.columns))
    parts = [f for f in (film_items, series_items) if len(f)]
    items = pd.concat(parts, ignore_index=True) if parts else film_items
    return items.set_index(Recs.item_id)


def _split_genres(text: object) -> tuple[str, ...]:
    if not isinstance(text, str):
        return ()
    return tuple(g.strip() for g in text.split("|") if g.strip())


@dataclass(frozen=True)
class ViewingInteractions:
    """Interactions over items plus what a model store and the rows need to name them."""

    interactions: Interactions  #: rows = members, columns = items (title_ids holds item ids)
    is_series: np.ndarray  #: bool, aligned with ``interactions.title_ids``
    as_of: dt.datetime  #: UTC (naive); plays at or after it were ignored

    @property
    def item_ids(self) -> np.ndarray:
        """Item ids (film title_id or series_id), column order."""
        return self.interactions.title_ids


def build_interactions(
    warehouse: Warehouse,
    *,
    as_of: dt.datetime | None = None,
    member_ids: Sequence[int] | None = None,
    item_ids: np.ndarray | None = None,
    params: ConfidenceParams | None = None,
) -> ViewingInteractions:
    """Members × items confidence matrix from viewing (formula in the module docstring).

    ``member_ids`` restricts (and orders) the rows, members without plays get an empty row;
    ``item_ids`` fixes the columns (a trained model's items; plays of other items are dropped
    from this matrix only). By default rows are every member with a play and columns every item
    played, both sorted by id.
    """
    params = params or ConfidenceParams()
    as_of = as_of or default_as_of(warehouse)
    frame = member_title_plays(warehouse, member_ids, as_of=as_of, finished_share=params.finished())
    return interactions_from_plays(
        frame, as_of=as_of, member_ids=member_ids, item_ids=item_ids, params=params
    )


def interactions_from_plays(
    frame: pd.DataFrame,
    *,
    as_of: dt.datetime,
    member_ids: Sequence[int] | None = None,
    item_ids: np.ndarray | None = None,
    params: ConfidenceParams | None = None,
) -> ViewingInteractions:
    """:func:`build_interactions` from plays already read by :func:`member_title_plays`."""
    params = params or ConfidenceParams()
    per_title = frame.groupby([Plays.member_id, Plays.title_id], sort=False).agg(
        **{
            Recs.item_id: (Recs.item_id, "first"),
            Recs.is_series: (Recs.is_series, "first"),
            Recs.completion: (Recs.completion, "max"),
            Recs.finished_plays: (Recs.finished, "sum"),
            Recs.last_utc: (Plays.start_utc, "max"),
        }
    )
    per_title[Recs.rewatches] = np.maximum(per_title[Recs.finished_plays] - 1, 0)
    per_item = (
        per_title.reset_index()
        .groupby([Plays.member_id, Recs.item_id], sort=True)
        .agg(
            **{
                Recs.is_series: (Recs.is_series, "first"),
                Recs.engagement: (Recs.completion, "sum"),
                Recs.rewatches: (Recs.rewatches, "sum"),
                Recs.last_utc: (Recs.last_utc, "max"),
            }
        )
        .reset_index()
    )
    age_days = (
        (pd.Timestamp(as_of) - pd.to_datetime(per_item[Recs.last_utc])).dt.total_seconds() / 86400.0
    ).to_numpy()
    conf = confidence(
        per_item[Recs.engagement].to_numpy(), per_item[Recs.rewatches].to_numpy(), age_days, params
    )
    rows_ids = (
        np.asarray(member_ids, dtype=np.int64)
        if member_ids is not None
        else np.unique(per_item[Plays.member_id].to_numpy(dtype=np.int64))
    )
    if item_ids is None:
        items_df = per_item.drop_duplicates(Recs.item_id).sort_values(Recs.item_id)
        cols = items_df[Recs.item_id].to_numpy(dtype=np.int64)
        is_series = items_df[Recs.is_series].to_numpy(dtype=bool)
    else:
        cols = np.asarray(item_ids, dtype=np.int64)
        series_of = dict(
            zip(per_item[Recs.item_id].to_numpy(), per_item[Recs.is_series].to_numpy(), strict=True)
        )
        is_series = np.array([bool(series_of.get(int(i), False)) for i in cols], dtype=bool)
    r = _positions(rows_ids, per_item[Plays.member_id].to_numpy(dtype=np.int64))
    c = _positions(cols, per_item[Recs.item_id].to_numpy(dtype=np.int64))
    keep = (r >= 0) & (c >= 0)
    matrix = sp.csr_matrix(
        (conf[keep].astype(np.float32), (r[keep], c[keep])),
        shape=(len(rows_ids), len(cols)),
        dtype=np.float32,
    )
    return ViewingInteractions(Interactions(matrix, rows_ids, cols), is_series, as_of)


def _positions(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``ids`` (any order, unique), -1 when absent."""
    if len(ids) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    idx = np.searchsorted(sorted_ids, values)
    idx = np.clip(idx, 0, len(ids) - 1)
    found = sorted_ids[idx] == values
    return np.where(found, order[idx], -1).astype(np.int64)
