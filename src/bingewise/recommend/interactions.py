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
``runtime`` the catalog runtime in seconds. A personal Netflix export has no runtimes: an
episode without one takes its series' typical episode length as seen in viewing (see
:func:`estimated_runtimes`: a 22-minute sitcom episode watched to minute 21 is finished, not 48 %
of a nominal 45 minutes); anything else without one takes :data:`NOMINAL_RUNTIME_SECONDS` (45
minutes). A play *finishes* its title when its progress reaches
``finished_share`` (settings, 0.85 by default) of the runtime. A play of a history of dates
(Netflix's NetflixViewingHistory.csv: every segment lasted 0 seconds and named no profile, the
rule of the recap's history of dates) has no progress to read: it is of the whole title, as a
rating is (``c_p = 1``, finished). A 0-second segment that names a profile (a detailed export, a
service log) is not. For a member and a title ``t``:
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

How it is computed
------------------
Training needs plays but no local time, so :func:`build_interactions` does not go through the
analytics' plays (member zones, an offset join, and window functions, which cost DuckDB several
times a plain sort). One DuckDB query reads the main-content segments before ``as_of``, sorted
by member, start, title and end; the segments are merged into plays in NumPy by the rule of
:func:`bingewise.analytics.plays` (same title as the member's previous segment, starting at most
the resume gap after it ended), and the plays are aggregated per title and per item with one
sort each and ``reduceat``; whether a segment is a date of a history is a boolean of the same
query, and a play is one when all its segments are. The tests check the result against the
analytics' plays and against a brute-force reading of the formula. Memory is about 60 bytes per
segment at the peak.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from bingewise.analytics import plays as analytics_plays
from bingewise.analytics.plays import DEFAULT_RESUME_GAP_MINUTES
from bingewise.analytics.runtimes import estimated_runtimes
from bingewise.config import get_settings
from bingewise.recommend.base import Interactions
from bingewise.schema import Catalog, Events, Members, Plays, Ratings, Recs
from bingewise.warehouse import Warehouse, to_frame

__all__ = [
    "MATURITY_LEVELS",
    "NOMINAL_RUNTIME_SECONDS",
    "ConfidenceParams",
    "ViewingInteractions",
    "annotated_plays",
    "build_interactions",
    "confidence",
    "default_as_of",
    "estimated_runtimes",
    "in_running_order",
    "interactions_from_plays",
    "item_table",
    "maturity_level",
    "member_title_plays",
    "plays",
    "to_frame",
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
    half_life_days: float = 90.0  #: recency half-life, days (0 or infinite: no decay)
    finished_share: float | None = None  #: completion that finishes a title (None: settings)

    def decays(self) -> bool:
        """Whether older interactions weigh less (a positive, finite half-life)."""
        return 0 < self.half_life_days < float("inf")

    def finished(self) -> float:
        """The finishing share in effect."""
        return get_settings().finished_share if self.finished_share is None else self.finished_share


def confidence(
    engagement: np.ndarray, rewatches: np.ndarray, age_days: np.ndarray, params: ConfidenceParams
) -> np.ndarray:
    """``log2(1 + E + w R) * 0.5 ** (age / half_life)``, float64, ages below 0 count as 0; without
    decay (:meth:`ConfidenceParams.decays`) just ``log2(1 + E + w R)``.

    >>> float(confidence(np.array([1.0]), np.array([0]), np.array([0.0]), ConfidenceParams())[0])
    1.0
    """
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    base = np.log2(1.0 + np.asarray(engagement, np.float64) + params.rewatch_weight * rewatches)
    if not params.decays():
        return base  # type: ignore[no-any-return]
    return base * np.power(0.5, age / params.half_life_days)  # type: ignore[no-any-return]


def default_as_of(warehouse: Warehouse) -> dt.datetime:
    """Just after the latest event start or rating in the warehouse (UTC, naive), but never
    later than now (the clock, UTC); now when the warehouse is empty.

    Historical data (a synthetic year, an old export) is scored "as of" its own end; a live
    service passes the current time explicitly. An event dated in the future (a device's wrong
    clock) does not move "now": it would end every country's Top 10 window in that future,
    and age all of the real viewing; it is left out as any play after ``as_of`` is.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = warehouse.duck.execute(
        f'SELECT greatest((SELECT max("{Events.start_utc}") FROM "{Events.table}" '
        f'WHERE "{Events.start_utc}" < ?), '
        f'(SELECT max("{Ratings.rated_utc}") FROM "{Ratings.table}" '
        f'WHERE "{Ratings.rated_utc}" < ?))',
        [now, now],
    ).fetchone()
    latest = row[0] if row else None
    if latest is None:
        return now
    return min(latest + dt.timedelta(microseconds=1), now)  # type: ignore[no-any-return]


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
    events = _events_before(warehouse, member_ids, as_of)
    share = get_settings().finished_share if finished_share is None else finished_share
    return analytics_plays(
        events,
        warehouse.table(Catalog.table),
        warehouse.table(Members.table),
        finished_share=share,
    )


#: Column of a play: of a history of dates (see :func:`_with_dated`).
_DATED = "_bw_dated"


def _events_before(
    warehouse: Warehouse, member_ids: Sequence[int] | None, as_of: dt.datetime | None
) -> ir.Table:
    """The events of ``member_ids`` (all members when None) that start before ``as_of``."""
    events = warehouse.table(Events.table)
    if member_ids is not None:
        events = events.filter(events[Events.member_id].isin([int(m) for m in member_ids]))
    if as_of is not None:
        events = events.filter(events[Events.start_utc] < as_of)
    return events


def _with_dated(
    warehouse: Warehouse, p: ir.Table, member_ids: Sequence[int] | None, as_of: dt.datetime
) -> ir.Table:
    """``p`` with ``_bw_dated``: whether the play is of a history of dates (every segment lasted
    0 seconds and named no profile, as :func:`build_interactions` reads them).

    A play of 0 seconds is made of 0-second segments only, and they are exactly the member's
    segments of its title starting from its ``start_utc`` to its ``end_utc`` (a segment of that
    title in between continues it); the play is dated when none of them names a profile.
    """
    ev = _events_before(warehouse, member_ids, as_of)
    supp = ev[Events.supplemental]
    named = ev.filter(
        supp.isnull() | (supp.strip() == ""),
        ev[Events.profile].notnull(),
        ev[Events.seconds] == 0,
    ).select(
        _bw_n_member=ev[Events.member_id],
        _bw_n_title=ev[Events.title_id],
        _bw_n_start=ev[Events.start_utc],
    )
    zero = p.filter(p[Plays.seconds] == 0)
    hits = zero.semi_join(
        named,
        [
            zero[Plays.member_id] == named["_bw_n_member"],
            zero[Plays.title_id] == named["_bw_n_title"],
            named["_bw_n_start"] >= zero[Plays.start_utc],
            named["_bw_n_start"] <= zero[Plays.end_utc],
        ],
    ).select(_bw_h_member=Plays.member_id, _bw_h_title=Plays.title_id, _bw_h_start=Plays.start_utc)
    j = p.left_join(
        hits,
        [
            p[Plays.member_id] == hits["_bw_h_member"],
            p[Plays.title_id] == hits["_bw_h_title"],
            p[Plays.start_utc] == hits["_bw_h_start"],
        ],
    )
    dated = (j[Plays.seconds] == 0) & j["_bw_h_member"].isnull()
    return j.mutate(**{_DATED: dated.fill_null(False)}).drop(
        "_bw_h_member", "_bw_h_title", "_bw_h_start"
    )


def annotated_plays(
    warehouse: Warehouse,
    member_ids: Sequence[int] | None,
    *,
    as_of: dt.datetime,
    finished_share: float | None = None,
) -> ir.Table:
    """:func:`plays` with ``completion``, a never-NULL ``finished``, ``item_id`` and ``is_series``.

    ``completion`` is progress over runtime clipped to [0, 1]; an unknown runtime is estimated
    (:func:`estimated_runtimes`) or nominal (:data:`NOMINAL_RUNTIME_SECONDS`), and ``finished``
    is then ``completion >= finished_share``. A play of a history of dates (its segments lasted
    0 seconds and named no profile: NetflixViewingHistory.csv) is of the whole title, as a
    rating is: completion 1, finished. A title missing from the catalog is its own item, like a
    film.
    """
    share = get_settings().finished_share if finished_share is None else finished_share
    p = plays(warehouse, member_ids=member_ids, as_of=as_of, finished_share=share)
    p = _with_dated(warehouse, p, member_ids, as_of)
    runtime = p[Plays.runtime_seconds]
    stand_in = ibis.literal(float(NOMINAL_RUNTIME_SECONDS))
    estimates = estimated_runtimes(warehouse, as_of)
    if len(estimates):
        est = ibis.memtable(
            {"_bw_est_title": estimates.index.to_numpy(), "_bw_est": estimates.to_numpy()},
            schema={"_bw_est_title": "int64", "_bw_est": "float64"},
        )
        p = p.left_join(est, p[Plays.title_id] == est["_bw_est_title"]).drop("_bw_est_title")
        stand_in = p["_bw_est"].coalesce(stand_in)
        runtime = p[Plays.runtime_seconds]
    runtime_s = ibis.ifelse(runtime.notnull() & (runtime > 0), runtime.cast("float64"), stand_in)
    completion = (p[Plays.progress_seconds].fill_null(0).cast("float64") / runtime_s).clip(0.0, 1.0)
    dated = p[_DATED]
    is_series = (p[Plays.kind] == Catalog.EPISODE) & p[Plays.series_id].notnull()
    out = p.mutate(
        **{
            Recs.completion: ibis.ifelse(dated, 1.0, completion),
            Recs.finished: dated | p[Plays.finished].fill_null(completion >= share),
            Recs.is_series: is_series.fill_null(False),
            Recs.item_id: ibis.ifelse(is_series, p[Plays.series_id], p[Plays.title_id]),
        }
    )
    out = out.drop(_DATED)
    return out.drop("_bw_est") if "_bw_est" in out.columns else out


def member_title_plays(
    warehouse: Warehouse,
    member_ids: Sequence[int] | None,
    *,
    as_of: dt.datetime,
    finished_share: float | None = None,
) -> pd.DataFrame:
    """:func:`annotated_plays` as a DataFrame (nullable integer columns keep 64-bit ids exact),
    then the members' ratings before ``as_of`` as finished plays (as :func:`build_interactions`
    counts them; columns a rating has no value for are missing; :data:`RATED` tells them
    apart)."""
    expr = annotated_plays(warehouse, member_ids, as_of=as_of, finished_share=finished_share)
    frame = to_frame(expr)
    frame[RATED] = False
    rated = to_frame(_ratings_as_plays(warehouse, member_ids, as_of))
    if rated.empty:
        return frame
    if frame.empty:
        return rated.reindex(columns=list(frame.columns))
    types = frame.dtypes[rated.columns].to_dict()
    return pd.concat([frame, rated.astype(types)], ignore_index=True)


#: Column of :func:`member_title_plays`: True on rows that are ratings, not viewing.
RATED = "_bw_rated"


def _ratings_before(
    warehouse: Warehouse, member_ids: Sequence[int] | None, as_of: dt.datetime
) -> ir.Table:
    """The ratings made before ``as_of`` (of ``member_ids`` only, when given)."""
    rt = warehouse.table(Ratings.table)
    keep = rt[Ratings.rated_utc] < as_of
    if member_ids is not None:
        keep &= rt[Ratings.member_id].isin([int(m) for m in member_ids])
    return rt.filter(keep)


def _ratings_as_plays(
    warehouse: Warehouse, member_ids: Sequence[int] | None, as_of: dt.datetime
) -> ir.Table:
    """Ratings before ``as_of`` with the columns of :func:`annotated_plays` the page reads."""
    rt = _ratings_before(warehouse, member_ids, as_of)
    cat = warehouse.table(Catalog.table).select(
        _bw_title=Catalog.title_id, _bw_kind=Catalog.kind, _bw_series=Catalog.series_id
    )
    j = rt.left_join(cat, rt[Ratings.title_id] == cat["_bw_title"])
    is_series = ((j["_bw_kind"] == Catalog.EPISODE) & j["_bw_series"].notnull()).fill_null(False)
    return j.select(
        **{
            Plays.member_id: j[Ratings.member_id],
            Plays.title_id: j[Ratings.title_id],
            Plays.start_utc: j[Ratings.rated_utc],
            Recs.completion: ibis.literal(1.0),
            Recs.finished: ibis.literal(True),
            Recs.is_series: is_series,
            Recs.item_id: ibis.ifelse(is_series, j["_bw_series"], j[Ratings.title_id]),
            RATED: ibis.literal(True),
        }
    )


def item_table(warehouse: Warehouse) -> pd.DataFrame:
    """The catalog rolled up to items, indexed by ``item_id``.

    Columns: ``is_series``, ``name`` (film title or series title), ``genres`` (tuple, most
    frequent among a series' episodes first), ``maturity_level`` (a series takes its most mature
    episode), ``n_episodes`` (0 for films), ``release_date`` (a series: its first episode's).
    """
    cat = to_frame(warehouse.table(Catalog.table))
    is_ep = (cat[Catalog.kind] == Catalog.EPISODE) & cat[Catalog.series_id].notna()
    ratings = cat[Catalog.maturity].astype("string").str.strip().str.upper()
    levels = ratings.map(MATURITY_LEVELS).fillna(ADULT_LEVEL).astype("int64")
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
    by_series = eps.groupby(Catalog.series_id, sort=True)
    in_order = eps[in_running_order(eps)].groupby(Catalog.series_id).size()
    named = by_series[Catalog.series_title].first()  # first non-null series title
    fallback = by_series[Catalog.title].first()
    genre_of = _series_genres(eps)
    series_ids = [int(i) for i in named.index]
    rows = {
        Recs.item_id: series_ids,
        Recs.is_series: [True] * len(series_ids),
        Recs.name: [
            str(n) if isinstance(n, str) else str(f)
            for n, f in zip(named.to_numpy(), fallback.to_numpy(), strict=True)
        ],
        Catalog.genres: [genre_of.get(i, ()) for i in series_ids],
        Recs.maturity_level: by_series[Recs.maturity_level].max().to_numpy(dtype=np.int64),
        Recs.n_episodes: in_order.reindex(series_ids, fill_value=0).to_numpy(dtype=np.int64),
        Catalog.release_date: by_series[Catalog.release_date].min().to_numpy(),
    }
    series_items = pd.DataFrame(rows, columns=list(film_items.columns))
    series_items[Recs.item_id] = series_items[Recs.item_id].astype("int64")
    parts = [f for f in (film_items, series_items) if len(f)]
    items = pd.concat(parts, ignore_index=True) if parts else film_items
    return items.set_index(Recs.item_id)


def in_running_order(eps: pd.DataFrame) -> pd.Series:
    """Which catalog episodes (rows with ``series_id`` and ``episode``) are the series' episodes.

    An episode without a number, in a series whose other episodes have numbers, is not: a
    Netflix export catalogues clips this way ("Russian Doll: Season 1 - Clip 4", a promotional
    video), and it must neither be the next episode nor keep the series from being finished. A
    series with no numbered episodes keeps them all.
    """
    numbered = eps[Catalog.episode].notna()
    has_numbers = numbered.groupby(eps[Catalog.series_id]).transform("any")
    return numbered | ~has_numbers.astype(bool)


def _series_genres(eps: pd.DataFrame) -> dict[int, tuple[str, ...]]:
    """Per series, its episodes' genres, most frequent first (ties by name)."""
    pairs = eps[[Catalog.series_id, Catalog.genres]].dropna()
    if pairs.empty:
        return {}
    exploded = pairs.assign(**{Catalog.genres: pairs[Catalog.genres].str.split("|")}).explode(
        Catalog.genres
    )
    exploded[Catalog.genres] = exploded[Catalog.genres].str.strip()
    exploded = exploded[exploded[Catalog.genres].fillna("") != ""]
    counts = exploded.groupby([Catalog.series_id, Catalog.genres]).size().reset_index(name="n")
    counts = counts.sort_values(
        [Catalog.series_id, "n", Catalog.genres], ascending=[True, False, True], kind="stable"
    )
    grouped = counts.groupby(Catalog.series_id, sort=False)[Catalog.genres].agg(tuple)
    keys, values = grouped.index.to_numpy(), grouped.to_numpy()
    return {int(sid): tuple(g) for sid, g in zip(keys, values, strict=True)}


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
    #: members of ``excluded_members`` who had viewing or ratings before ``as_of`` (left out)
    withheld_members: int = 0
    #: when each interaction was last taken (its latest play start or rating), UTC seconds
    #: since the epoch, with the sparsity of ``interactions.matrix``: the ``times`` of the
    #: models that read them (``uses_times``), in training and on the member's page alike
    times: sp.csr_matrix | None = None

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
    excluded_members: Collection[int] = (),
) -> ViewingInteractions:
    """Members × items confidence matrix from viewing (formula in the module docstring).

    ``member_ids`` restricts (and orders) the rows, members without plays get an empty row;
    ``item_ids`` fixes the columns (a trained model's items; plays of other items are dropped
    from this matrix only). By default rows are every member with a play and columns every item
    played, both sorted by id. ``excluded_members`` (members whose viewing may not train a
    model: :func:`bingewise.privacy.consent.members_withheld_from_training`) have no row and
    count for no column; how many of them had anything before ``as_of`` is
    ``withheld_members``.
    """
    params = params or ConfidenceParams()
    as_of = as_of or default_as_of(warehouse)
    excluded = sorted({int(m) for m in excluded_members})
    if member_ids is not None and excluded:
        member_ids = [m for m in member_ids if int(m) not in set(excluded)]
    merged = _merged_plays(warehouse, member_ids, as_of, excluded)
    catalog = _catalog_arrays(warehouse, as_of)
    plays_ = _annotate(merged, catalog, params.finished())
    rated = _rated(warehouse, member_ids, as_of, catalog, excluded)
    data = _matrix(_per_item(_concat(plays_, rated)), as_of, member_ids, item_ids, params)
    if not excluded:
        return data
    withheld = _members_with_history(warehouse, excluded, as_of)
    return dataclasses.replace(data, withheld_members=withheld)


def _without(table: ir.Table, column: str, excluded: Sequence[int]) -> ir.Table:
    """``table`` less the rows whose ``column`` is one of ``excluded`` (an anti-join)."""
    if not excluded:
        return table
    out = ibis.memtable({"_bw_excluded": list(excluded)}, schema={"_bw_excluded": "int64"})
    return table.anti_join(out, table[column] == out["_bw_excluded"])


def _members_with_history(warehouse: Warehouse, members: Sequence[int], as_of: dt.datetime) -> int:
    """How many of ``members`` have a main-content event or a rating before ``as_of``."""
    ev = warehouse.table(Events.table)
    supp = ev[Events.supplemental]
    watched = ev.filter(
        ev[Events.member_id].isin(list(members)),
        ev[Events.start_utc] < as_of,
        supp.isnull() | (supp.strip() == ""),
    ).select(_bw_member=ev[Events.member_id])
    rated = _ratings_before(warehouse, members, as_of)
    both = watched.union(rated.select(_bw_member=rated[Ratings.member_id]), distinct=True)
    return int(both.count().execute())


def interactions_from_plays(
    frame: pd.DataFrame,
    *,
    as_of: dt.datetime,
    member_ids: Sequence[int] | None = None,
    item_ids: np.ndarray | None = None,
    params: ConfidenceParams | None = None,
) -> ViewingInteractions:
    """:func:`build_interactions` from plays already read by :func:`member_title_plays`.

    The same aggregation runs on the frame, so a member's page and the training matrix weigh
    their plays identically.
    """
    params = params or ConfidenceParams()
    plays_ = _AnnotatedPlays(
        member=frame[Plays.member_id].to_numpy(dtype=np.int64),
        title=frame[Plays.title_id].to_numpy(dtype=np.int64),
        start=frame[Plays.start_utc].to_numpy(dtype="datetime64[us]").view(np.int64),
        completion=frame[Recs.completion].to_numpy(dtype=np.float64),
        finished=frame[Recs.finished].to_numpy(dtype=bool),
        is_series=frame[Recs.is_series].to_numpy(dtype=bool),
        item=frame[Recs.item_id].to_numpy(dtype=np.int64),
    )
    return _matrix(_per_item(plays_), as_of, member_ids, item_ids, params)


@dataclass(frozen=True, slots=True)
class _MergedPlays:
    """Plays as merged segments (aligned arrays, one row per play, sorted by member)."""

    member: np.ndarray  #: int64
    title: np.ndarray  #: int64
    start: np.ndarray  #: int64, UTC microseconds since the epoch (first segment's start)
    progress: np.ndarray  #: int64 seconds: furthest bookmark, else seconds watched (summed)
    dated: np.ndarray  #: bool: of a history of dates (0 seconds, no profile, every segment)


@dataclass(frozen=True, slots=True)
class _AnnotatedPlays:
    """Plays with what the confidence needs (aligned arrays, one row per play)."""

    member: np.ndarray  #: int64
    title: np.ndarray  #: int64
    start: np.ndarray  #: int64, UTC microseconds since the epoch
    completion: np.ndarray  #: float64 in [0, 1]
    finished: np.ndarray  #: bool
    is_series: np.ndarray  #: bool
    item: np.ndarray  #: int64, series_id of an episode, else title_id


@dataclass(frozen=True, slots=True)
class _PerItem:
    """Per member and item (aligned arrays): the inputs of :func:`confidence`."""

    member: np.ndarray  #: int64
    item: np.ndarray  #: int64
    is_series: np.ndarray  #: bool
    engagement: np.ndarray  #: float64, summed completion
    rewatches: np.ndarray  #: int64
    last: np.ndarray  #: int64, UTC microseconds since the epoch of the latest play start


_START_S = "_bw_start_s"
_END_S = "_bw_end_s"
_BOOKMARK = "_bw_bookmark"


def _merged_plays(
    warehouse: Warehouse,
    member_ids: Sequence[int] | None,
    as_of: dt.datetime,
    excluded: Sequence[int] = (),
) -> _MergedPlays:
    """Main-content segments before ``as_of`` merged into plays (rule of the analytics' plays).

    One sorted scan in DuckDB; the merge is a comparison with the previous row. Start and end
    seconds are computed in SQL exactly as :func:`bingewise.analytics.plays` computes them.
    """
    ev = warehouse.table(Events.table)
    supp = ev[Events.supplemental]
    keep = (ev[Events.start_utc] < as_of) & (supp.isnull() | (supp.strip() == ""))
    if member_ids is not None:
        keep &= ev[Events.member_id].isin([int(m) for m in member_ids])
    ev = _without(ev.filter(keep), Events.member_id, excluded)
    start_s = ev[Events.start_utc].epoch_seconds().cast("int64")
    seconds = ev[Events.seconds].cast("int64")
    scan = ev.select(
        Events.member_id,
        Events.title_id,
        Events.start_utc,
        Events.seconds,
        **{
            _BOOKMARK: ev[Events.bookmark_seconds].cast("int64"),
            _START_S: start_s,
            _END_S: start_s + seconds,
            _DATED: ((seconds == 0) & ev[Events.profile].isnull()).fill_null(False),
        },
    ).order_by([Events.member_id, Events.start_utc, Events.title_id, _END_S])
    seg = scan.to_pyarrow()
    member = seg[Events.member_id].to_numpy().astype(np.int64, copy=False)
    title = seg[Events.title_id].to_numpy().astype(np.int64, copy=False)
    n = len(member)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _MergedPlays(empty, empty, empty, empty, np.zeros(0, dtype=bool))
    start_s_ = seg[_START_S].to_numpy()
    end_s = seg[_END_S].to_numpy()
    gap = round(DEFAULT_RESUME_GAP_MINUTES * 60)
    # A segment continues the previous one: same member, same title, resumed within the gap.
    opens = np.ones(n, dtype=bool)
    opens[1:] = ~(
        (member[1:] == member[:-1]) & (title[1:] == title[:-1]) & (start_s_[1:] - end_s[:-1] <= gap)
    )
    first = np.flatnonzero(opens)
    watched = np.add.reduceat(seg[Events.seconds].to_numpy().astype(np.int64), first)
    bookmark = seg[_BOOKMARK]
    has_bookmark = bookmark.is_valid().to_numpy(zero_copy_only=False)
    furthest = np.maximum.reduceat(
        bookmark.fill_null(np.iinfo(np.int64).min).to_numpy().astype(np.int64, copy=False), first
    )
    progress = np.where(np.logical_or.reduceat(has_bookmark, first), furthest, watched)
    start = seg[Events.start_utc].cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    dated = np.logical_and.reduceat(seg[_DATED].to_numpy(zero_copy_only=False), first)
    return _MergedPlays(
        member[first], title[first], start[first].view(np.int64), progress.astype(np.int64), dated
    )


@dataclass(frozen=True, slots=True)
class _CatalogArrays:
    """The catalog columns plays need, one row per title (ingest upserts titles by id)."""

    title: np.ndarray  #: int64
    is_episode: np.ndarray  #: bool, kind is episode and the series is known
    series: np.ndarray  #: int64, 0 where unknown
    runtime: np.ndarray  #: float64 seconds, NaN where unknown


def _catalog_arrays(warehouse: Warehouse, as_of: dt.datetime | None = None) -> _CatalogArrays:
    """The catalog's columns; unknown episode runtimes estimated (:func:`estimated_runtimes`)."""
    cat = warehouse.table(Catalog.table)
    tab = cat.select(
        Catalog.title_id, Catalog.kind, Catalog.series_id, Catalog.runtime_seconds
    ).to_pyarrow()
    series = tab[Catalog.series_id]
    kind = tab[Catalog.kind].to_numpy(zero_copy_only=False)
    runtime = tab[Catalog.runtime_seconds].cast(pa.float64()).to_numpy(zero_copy_only=False)
    title = tab[Catalog.title_id].to_numpy().astype(np.int64, copy=False)
    estimates = estimated_runtimes(warehouse, as_of)
    if len(estimates):
        runtime = np.array(runtime, dtype=np.float64)
        at = pd.Index(estimates.index).get_indexer(title)
        fill = (at >= 0) & ~(runtime > 0)
        runtime[fill] = estimates.to_numpy()[at[fill]]
    return _CatalogArrays(
        title=title,
        is_episode=(kind == Catalog.EPISODE) & series.is_valid().to_numpy(zero_copy_only=False),
        series=series.fill_null(0).to_numpy().astype(np.int64, copy=False),
        runtime=np.asarray(runtime, dtype=np.float64),
    )


def _annotate(merged: _MergedPlays, cat: _CatalogArrays, share: float) -> _AnnotatedPlays:
    """Completion, finished, item and is_series of each play (as :func:`annotated_plays`).

    A play finishes its title when its progress reaches ``share`` of the catalog runtime; where
    the runtime is unknown (or 0, and not estimated), when its completion against the nominal
    runtime does. A play of a history of dates is of the whole title (completion 1, finished),
    as a rating is.
    """
    runtime, is_series, item = _catalog_lookup(merged.title, cat)
    known = runtime > 0  # NaN (unknown) compares False
    progress = merged.progress.astype(np.float64)
    completion = np.clip(
        progress / np.where(known, runtime, float(NOMINAL_RUNTIME_SECONDS)), 0.0, 1.0
    )
    finished = np.where(known, progress >= runtime * share, completion >= share)
    completion[merged.dated] = 1.0
    finished |= merged.dated
    return _AnnotatedPlays(
        member=merged.member,
        title=merged.title,
        start=merged.start,
        completion=completion,
        finished=finished,
        is_series=is_series,
        item=item,
    )


def _catalog_lookup(
    titles: np.ndarray, cat: _CatalogArrays
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(runtime, is_series, item) of each title: NaN runtime where unknown or not catalogued; an
    episode's item is its series."""
    pos = pd.Index(cat.title).get_indexer(titles)  # -1 where the catalog lacks it
    found = pos >= 0
    at = np.where(found, pos, 0)
    if len(cat.title):
        runtime = np.where(found, cat.runtime[at], np.nan)
        is_series = found & cat.is_episode[at]
        series = cat.series[at]
    else:
        runtime = np.full(len(pos), np.nan)
        is_series = np.zeros(len(pos), dtype=bool)
        series = np.zeros(len(pos), dtype=np.int64)
    return runtime, is_series, np.where(is_series, series, titles)


def _rated(
    warehouse: Warehouse,
    member_ids: Sequence[int] | None,
    as_of: dt.datetime,
    cat: _CatalogArrays,
    excluded: Sequence[int] = (),
) -> _AnnotatedPlays:
    """Ratings before ``as_of`` as finished plays of the whole title, at the time of the rating.

    A rating says the member took the title, as a finished play does, whatever its value
    (MovieLens' evaluation counts every rating; see docs/recommend.md on rating weights). The
    member's page reads them the same way (:func:`member_title_plays`), so both weigh them alike.
    """
    rt = _without(_ratings_before(warehouse, member_ids, as_of), Ratings.member_id, excluded)
    arrow = rt.select(Ratings.member_id, Ratings.title_id, Ratings.rated_utc).to_pyarrow()
    title = arrow[Ratings.title_id].to_numpy().astype(np.int64, copy=False)
    _, is_series, item = _catalog_lookup(title, cat)
    rated = arrow[Ratings.rated_utc].cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    return _AnnotatedPlays(
        member=arrow[Ratings.member_id].to_numpy().astype(np.int64, copy=False),
        title=title,
        start=rated.view(np.int64),
        completion=np.ones(len(title)),
        finished=np.ones(len(title), dtype=bool),
        is_series=is_series,
        item=item,
    )


def _concat(a: _AnnotatedPlays, b: _AnnotatedPlays) -> _AnnotatedPlays:
    """Rows of ``a`` then ``b``."""
    if len(b.member) == 0:
        return a
    return _AnnotatedPlays(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _AnnotatedPlays.__slots__)
    )


def _groups(outer: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order bringing rows of equal (outer, inner) together, first position of each group).

    Both keys are factorised (hashing, linear time) and combined into one integer, so a single
    stable sort groups the rows: several times faster than a lexicographic sort of two id
    columns.
    """
    outer_code, _ = pd.factorize(outer)
    inner_code, inner_uniques = pd.factorize(inner)
    key = outer_code.astype(np.int64) * max(len(inner_uniques), 1) + inner_code
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    change = np.ones(len(order), dtype=bool)
    change[1:] = sorted_key[1:] != sorted_key[:-1]
    return order, np.flatnonzero(change)


def _per_item(p: _AnnotatedPlays) -> _PerItem:
    """Per member and item: is_series, engagement, rewatches, last play start."""
    if len(p.member) == 0:
        e = np.zeros(0, dtype=np.int64)
        return _PerItem(e, e, np.zeros(0, dtype=bool), np.zeros(0), e, e)
    # Per member and title: C_t = best completion, finished plays, latest start.
    o, first = _groups(p.member, p.title)
    t_member, t_item = p.member[o][first], p.item[o][first]
    t_series = np.logical_or.reduceat(p.is_series[o], first)
    t_completion = np.maximum.reduceat(p.completion[o], first)
    t_rewatches = np.maximum(np.add.reduceat(p.finished[o].astype(np.int64), first) - 1, 0)
    t_last = np.maximum.reduceat(p.start[o], first)
    # Per member and item: sums over the item's titles.
    o, first = _groups(t_member, t_item)
    return _PerItem(
        member=t_member[o][first],
        item=t_item[o][first],
        is_series=np.logical_or.reduceat(t_series[o], first),
        engagement=np.add.reduceat(t_completion[o], first),
        rewatches=np.add.reduceat(t_rewatches[o], first),
        last=np.maximum.reduceat(t_last[o], first),
    )


def _matrix(
    per_item: _PerItem,
    as_of: dt.datetime,
    member_ids: Sequence[int] | None,
    item_ids: np.ndarray | None,
    params: ConfidenceParams,
) -> ViewingInteractions:
    """The confidence matrix from per-item aggregates (see the module docstring)."""
    members, items, series = per_item.member, per_item.item, per_item.is_series
    as_of_us = np.datetime64(as_of, "us").astype(np.int64)
    age_days = (as_of_us - per_item.last) / 86400e6
    conf = confidence(
        per_item.engagement.astype(np.float64),
        per_item.rewatches.astype(np.float64),
        np.asarray(age_days, dtype=np.float64),
        params,
    )
    rows_ids = (
        np.asarray(member_ids, dtype=np.int64) if member_ids is not None else np.unique(members)
    )
    if item_ids is None:
        cols, first = np.unique(items, return_index=True)
        is_series = series[first] if len(first) else np.zeros(0, dtype=bool)
    else:
        cols = np.asarray(item_ids, dtype=np.int64)
        series_of = dict(zip(items.tolist(), series.tolist(), strict=True))
        is_series = np.array([bool(series_of.get(int(i), False)) for i in cols], dtype=bool)
    r = _positions(rows_ids, members)
    c = _positions(cols, items)
    keep = (r >= 0) & (c >= 0)
    shape = (len(rows_ids), len(cols))
    matrix = sp.csr_matrix(
        (conf[keep].astype(np.float32), (r[keep], c[keep])), shape=shape, dtype=np.float32
    )
    times = sp.csr_matrix(
        (per_item.last[keep] / 1e6, (r[keep], c[keep])), shape=shape, dtype=np.float64
    )
    return ViewingInteractions(Interactions(matrix, rows_ids, cols), is_series, as_of, times=times)


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
