"""A member's home page: rows of titles, each title with the reason it is there.

:func:`home_rows` builds, in this order (empty rows are left out):

1. **Continue watching** — items whose latest play stopped before the end (films never finished,
   series whose latest episode played is unfinished) and past ``min_resume_share`` of it (5 %: a
   few seconds started by mistake are nothing to continue), most recent first. A series stands
   where its latest episode left it: a clip catalogued as an unnumbered episode
   (:func:`~bingewise.recommend.interactions.in_running_order`) is neither resumed nor followed.
2. **Next episode** — series whose latest play finished an episode: the first episode after it
   (catalog order: season, episode) that the member has not finished.
3. **Because you watched X** — for the member's most recently watched items (a play past
   ``min_resume_share`` of the title, or a rating: a few seconds started by mistake name
   nothing), X's nearest neighbours by the trained model's ``similar_items`` (items the member
   has not watched; only items with a positive similarity or weight: zero or below is no reason
   to show a title). A model that is not personalized (popularity) has no such rows: its
   "neighbours" are the popular titles, whatever X is; nor has time-popular, whose
   "neighbours" are what everyone took when X was taken (``co_watched`` is false). A
   neighbour Y is shown only when at least ``min_viewers`` members took both X and Y (the
   model's ``pair_viewers``, counted at training; members who withdrew their consent to
   ``statistics`` since not counted): the row says "members who watched X also watched Y",
   and one or two such members would be named by it, however many watched Y alone.
4. **Top 10 in your country (last 24 hours)** — items ranked by distinct members who watched them
   in the member's country in ``[as_of - 24 h, as_of)``; ties by item id. Only items watched by
   at least ``min_viewers`` members (10) are ranked, and members who withdrew their consent to
   ``statistics`` are not counted: a country's ranking, shown to everyone there, must not tell
   what one or two people watched.
5. **Top picks for you** — the trained model's top items for the member, those with a positive
   score (zero is no evidence for an item, below zero evidence against it; the same holds in
   the model's genre rows). Every model's picks, genre rows and "Because you watched" rows
   follow the rule of 4.: only items at least ``min_viewers`` distinct members were learnt from
   (the model's ``item_viewers``), members who withdrew their consent to ``statistics`` since
   the training not counted. A popularity model ranks the platform alike for everyone; a
   personalized model's neighbours come from other members' viewing, and a title only one or
   two of them took would tell the member what those people watched. A co-watching model's
   picks and genre rows are, for a short history, the neighbours of the member's titles: a
   pick Y also needs ``min_viewers`` counted members who took Y with one title X of the
   history (each pair (X, Y) on its own, the ``pair_viewers`` of 3.). A time-local model's
   picks (time-popular; session-blend's second part) come from what everyone took around the
   member's own times: a pick Y needs ``min_viewers`` counted members who took Y within ``σ``
   days of one of the member's times. Session-blend, with both parts, keeps the pair rule for
   which titles are shown and gives a title without ``min_viewers`` such members no time-local
   part in its score.
6. **Top 10 in your country (last 7 days)** — as 4. over seven days.
7. **Genre rows** — the member's favourite genres (summed confidence), items ordered by model
   score; without personalization, the country's most watched genres over the last 28 days,
   items ordered by how many members watched them there.

Rules, applied to every row: an item (a film, or a series with all its episodes) appears once on
the page, in the first row that claims it; finished films and fully watched series are not shown;
items above the member's maturity limit are not shown (``max_maturity``: a rating such as
``"TV-PG"`` or a level 0..3, see :data:`~bingewise.recommend.interactions.MATURITY_LEVELS`; a kids
profile passes ``"TV-PG"``; unrated items count as adult); items missing from the catalog are not
shown (they have no name or rating).

**Personalization.** With ``personalized=False`` (no consent to the purpose "personalization")
no row reads the member's viewing history: the page is exactly what a new member of the same
country sees (rows 4, 6 and 7 by country popularity). A member with no history gets the same page.
Callers read the consent with :func:`personalization_allowed` (through
:mod:`bingewise.privacy.consent`; ``bingewise rows`` does); ``home_rows`` itself only obeys the
flag it is given. Without a trained model, rows 3 and 5 are left out and the genre rows fall
back to country popularity.

Example::

    with Warehouse.open() as wh:
        rows = home_rows(42, warehouse=wh, max_maturity="TV-PG")  # a kids profile
        [row.to_dict() for row in rows]  # JSON-ready

Each item's ``reason`` is machine readable, e.g. ``{"kind": "top10_country", "country": "MX",
"window": "24h", "rank": 3}``; ranks are positions in the full ranking (1-based), before items
were removed by the rules above.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bingewise.config import get_settings
from bingewise.geo import country_name
from bingewise.recommend._common import positive_times
from bingewise.recommend.base import candidate_mask, top_n
from bingewise.recommend.interactions import (
    ADULT_LEVEL,
    MATURITY_LEVELS,
    RATED,
    ConfidenceParams,
    default_as_of,
    in_running_order,
    interactions_from_plays,
    item_table,
    member_title_plays,
    to_frame,
)
from bingewise.recommend.train import (
    DEFAULT_MODEL,
    NEIGHBOURS,
    TrainedModel,
    counted_times,
    load_trained,
    train,
    viewers_per_item,
)
from bingewise.registry import Registry
from bingewise.schema import Catalog, Events, Members, Plays, Recs
from bingewise.warehouse import Warehouse

__all__ = [
    "PERSONALIZATION_DEFAULT",
    "Row",
    "RowItem",
    "RowKind",
    "RowOptions",
    "country_ranking",
    "country_rankings",
    "demo_step",
    "describe",
    "home_rows",
    "maturity_limit",
    "personalization_allowed",
    "print_rows",
    "viewing_withheld",
]

log = logging.getLogger(__name__)


class RowKind:
    """Row kinds; also the ``kind`` of the reasons of their items."""

    CONTINUE_WATCHING = "continue_watching"
    NEXT_EPISODE = "next_episode"
    BECAUSE_YOU_WATCHED = "because_you_watched"
    TOP10_COUNTRY = "top10_country"
    TOP_PICKS = "top_pick"
    GENRE = "genre"


@dataclass(frozen=True, slots=True)
class RowItem:
    """One title on the home page.

    A film has ``title_id`` set and ``series_id`` None. A series recommended as a whole has
    ``series_id`` set and ``title_id`` None; Continue watching and Next episode name the episode
    to play in ``title_id`` as well as its ``series_id``.
    """

    title_id: int | None
    series_id: int | None
    name: str
    reason: dict[str, Any]

    @property
    def item_id(self) -> int:
        """The item: ``series_id`` for a series (or its episode), else ``title_id``."""
        return int(self.series_id if self.series_id is not None else self.title_id)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "title_id": self.title_id,
            "series_id": self.series_id,
            "name": self.name,
            "reason": dict(self.reason),
        }


@dataclass(frozen=True, slots=True)
class Row:
    """A home-page row: its kind, its title as shown, its items in order."""

    kind: str
    title: str
    items: list[RowItem]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "title": self.title, "items": [i.to_dict() for i in self.items]}


@dataclass(frozen=True, slots=True)
class RowOptions:
    """Sizes and windows of the home page."""

    row_length: int = 10  #: items per row at most
    because_rows: int = 2  #: "Because you watched" rows at most
    genre_rows: int = 3  #: genre rows at most
    top_windows: tuple[tuple[str, float], ...] = (("24h", 24.0), ("7d", 168.0))  #: label, hours
    popular_days: float = 28.0  #: window of the non-personalized genre rows, days
    #: neighbours fetched per "Because you watched" source; training keeps the pair counts of
    #: this many (:data:`~bingewise.recommend.train.NEIGHBOURS`): a neighbour beyond them has no
    #: count and is not shown
    neighbours: int = NEIGHBOURS
    #: a play below this completion is no place to resume (a few seconds started by mistake, a
    #: preview): Jellyfin's and Emby's minimum resume share
    min_resume_share: float = 0.05
    #: an item is shown to a member who has not taken it (country rankings, every model's
    #: rows) only when this many members watched it (in the window, or that the model learnt it
    #: from): fewer would show the others what one or two people watched
    #: (``BINGEWISE_MIN_VIEWERS``, default 10)
    min_viewers: int = field(default_factory=lambda: get_settings().min_viewers)
    params: ConfidenceParams = field(default_factory=ConfidenceParams)

    @property
    def popular_label(self) -> str:
        """Window label of the non-personalized genre rows, e.g. ``"28d"``."""
        return f"{self.popular_days:g}d"


def country_rankings(
    warehouse: Warehouse,
    country: str,
    end: dt.datetime,
    windows: Mapping[str, dt.timedelta],
    *,
    min_viewers: int = 1,
    uncounted: Collection[int] = (),
) -> dict[str, list[tuple[int, int]]]:
    """Per window label, ``(item_id, viewers)`` by viewers descending, then item id.

    Viewers are distinct members with a main-content event (not a trailer) in ``country`` (the
    event's country) starting in ``[end - window, end)`` UTC; episodes count for their series.
    Members in ``uncounted`` (no consent to statistics) are not viewers; items with fewer than
    ``min_viewers`` are left out. All windows come from one query.
    """
    if not windows:
        return {}
    if min_viewers < 1:
        raise ValueError(f"min_viewers must be at least 1, got {min_viewers}")
    events = warehouse.table(Events.table)
    if uncounted:
        out_ids = ibis.memtable({"_bw_uncounted": sorted({int(m) for m in uncounted})})
        events = events.anti_join(out_ids, events[Events.member_id] == out_ids["_bw_uncounted"])
    supplemental = events[Events.supplemental]
    events = events.filter(
        supplemental.isnull() | (supplemental.strip() == ""),
        events[Events.country] == country,
        events[Events.start_utc] >= end - max(windows.values()),
        events[Events.start_utc] < end,
    )
    cat = warehouse.table(Catalog.table).select(Catalog.title_id, Catalog.kind, Catalog.series_id)
    joined = events.left_join(cat, events[Events.title_id] == cat[Catalog.title_id])
    is_ep = (joined[Catalog.kind] == Catalog.EPISODE) & joined[Catalog.series_id].notnull()
    joined = joined.mutate(
        **{Recs.item_id: ibis.ifelse(is_ep, joined[Catalog.series_id], joined[Events.title_id])}
    )
    labels = list(windows)
    counts = joined.group_by(Recs.item_id).aggregate(
        **{
            f"_w{k}": joined[Events.member_id].nunique(
                where=joined[Events.start_utc] >= end - windows[label]
            )
            for k, label in enumerate(labels)
        }
    )
    frame = to_frame(counts)
    out: dict[str, list[tuple[int, int]]] = {}
    for k, label in enumerate(labels):
        pairs = [
            (int(i), int(v))
            for i, v in zip(frame[Recs.item_id], frame[f"_w{k}"], strict=True)
            if int(v) >= min_viewers
        ]
        out[label] = sorted(pairs, key=lambda p: (-p[1], p[0]))
    return out


def country_ranking(
    warehouse: Warehouse,
    country: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    min_viewers: int = 1,
    uncounted: Collection[int] = (),
) -> list[tuple[int, int]]:
    """``(item_id, viewers)`` in ``[start, end)``, as in :func:`country_rankings`."""
    return country_rankings(
        warehouse, country, end, {"w": end - start}, min_viewers=min_viewers, uncounted=uncounted
    )["w"]


def member_country(warehouse: Warehouse, member_id: int) -> str | None:
    """The member's country: the members table, else their most frequent viewing country."""
    members = warehouse.table(Members.table)
    found = (
        members.filter(members[Members.member_id] == member_id).select(Members.country).to_pandas()
    )
    known = found[Members.country].dropna()
    if len(known):
        return str(known.iloc[0])
    events = warehouse.table(Events.table)
    mine = events.filter((events[Events.member_id] == member_id) & events[Events.country].notnull())
    counts = (
        mine.group_by(Events.country)
        .aggregate(n=mine.count())
        .order_by([ibis.desc("n"), ibis.asc(Events.country)])
        .limit(1)
        .to_pandas()
    )
    return str(counts[Events.country].iloc[0]) if len(counts) else None


@dataclass(frozen=True, slots=True)
class _Item:
    """What the rows need to know of a catalog item."""

    name: str
    is_series: bool
    genres: tuple[str, ...]
    level: int
    n_episodes: int


def _catalog_items(frame: pd.DataFrame) -> dict[int, _Item]:
    """:func:`item_table` as plain objects keyed by item id."""
    records: dict[Any, dict[Any, Any]] = frame.to_dict("index")
    return {
        int(item_id): _Item(
            name=str(r[Recs.name]),
            is_series=bool(r[Recs.is_series]),
            genres=tuple(r[Catalog.genres]),
            level=int(r[Recs.maturity_level]),
            n_episodes=int(r[Recs.n_episodes]),
        )
        for item_id, r in records.items()
    }


def maturity_limit(value: str | int | None) -> int:
    """The level (0..3) a profile may see: a known rating, a level, or None (no limit).

    Strict where :func:`~bingewise.recommend.interactions.maturity_level` is lenient: a limit
    that is not a known rating is refused rather than read as "adults" (a mistyped kids limit
    must not open the whole catalog).
    """
    if value is None:
        return ADULT_LEVEL
    if isinstance(value, int):
        if not 0 <= value <= ADULT_LEVEL:
            raise ValueError(f"maturity level {value} is not in 0..{ADULT_LEVEL}")
        return value
    key = value.strip().upper()
    if key not in MATURITY_LEVELS:
        known = ", ".join(MATURITY_LEVELS)
        raise ValueError(f"unknown maturity rating {value!r}; known: {known} or a level 0..3")
    return MATURITY_LEVELS[key]


class _Page:
    """Rows under construction: which items are taken, which are allowed at all."""

    def __init__(
        self,
        items: dict[int, _Item],
        max_level: int,
        blocked: set[int],
        country: str | None,
        rankings: dict[str, list[tuple[int, int]]],
    ) -> None:
        self.items = items
        self.max_level = max_level
        self.blocked = blocked
        self.country = country
        self.rankings = rankings  #: window label -> (item_id, viewers), best first
        self.used: set[int] = set()
        self.rows: list[Row] = []

    def allowed(self, item_id: int) -> bool:
        """In the catalog, within the maturity limit, not finished, not on the page yet."""
        found = self.items.get(item_id)
        if found is None or item_id in self.used or item_id in self.blocked:
            return False
        return found.level <= self.max_level

    def name(self, item_id: int) -> str:
        return self.items[item_id].name

    def genres(self, item_id: int) -> tuple[str, ...]:
        found = self.items.get(item_id)
        return found.genres if found is not None else ()

    def item(self, item_id: int, reason: dict[str, Any]) -> RowItem:
        """A row item for a whole film or series."""
        if self.items[item_id].is_series:
            return RowItem(None, item_id, self.name(item_id), reason)
        return RowItem(item_id, None, self.name(item_id), reason)

    def add(self, kind: str, title: str, items: Iterable[RowItem], limit: int) -> None:
        """Append a row of the first ``limit`` items (callers pass allowed items only)."""
        chosen: list[RowItem] = []
        for it in items:
            if len(chosen) >= limit:
                break
            if it.item_id in self.used:
                continue
            chosen.append(it)
            self.used.add(it.item_id)
        if chosen:
            self.rows.append(Row(kind, title, chosen))


def home_rows(
    member_id: int,
    *,
    warehouse: Warehouse | None = None,
    trained: TrainedModel | None = None,
    as_of: dt.datetime | None = None,
    personalized: bool = True,
    max_maturity: str | int | None = None,
    country: str | None = None,
    options: RowOptions | None = None,
    uncounted: Collection[int] = (),
) -> list[Row]:
    """The home page of ``member_id`` as of ``as_of`` (UTC; default: the latest event).

    ``uncounted``: members whose viewing the country rankings must not count (no consent to
    statistics; :func:`viewing_withheld` reads them from the registry).

    ``trained`` defaults to the last model in the store (:func:`load_trained`); without one, the
    model rows (Because you watched, Top picks) are left out and genre rows fall back to
    popularity. ``country`` defaults to the member's (members table, else their viewing); a member
    with none (ratings only, as MovieLens gives) gets no country rows. The member's history is
    their plays and their ratings (a rating reads as a finished play, as in training). Raises
    :class:`LookupError` when there is neither a country nor a history to show anything from.
    """
    opts = options or RowOptions()
    own = warehouse is None
    wh = warehouse if warehouse is not None else Warehouse.open(read_only=True)
    try:
        return _home_rows(
            wh, int(member_id), trained, as_of, personalized, max_maturity, country, opts, uncounted
        )
    finally:
        if own:
            wh.close()


def _home_rows(
    wh: Warehouse,
    member_id: int,
    trained: TrainedModel | None,
    as_of: dt.datetime | None,
    personalized: bool,
    max_maturity: str | int | None,
    country: str | None,
    opts: RowOptions,
    uncounted: Collection[int],
) -> list[Row]:
    as_of = as_of or default_as_of(wh)
    country = country or member_country(wh, member_id)
    items = _catalog_items(item_table(wh))
    max_level = maturity_limit(max_maturity)
    windows = {label: dt.timedelta(hours=hours) for label, hours in opts.top_windows}
    windows[opts.popular_label] = dt.timedelta(days=opts.popular_days)
    # Without a country (ratings only, e.g. MovieLens), the country rows have nothing to rank.
    rankings = (
        country_rankings(
            wh, country, as_of, windows, min_viewers=opts.min_viewers, uncounted=uncounted
        )
        if country is not None
        else {label: [] for label in windows}
    )
    history = (
        member_title_plays(wh, [member_id], as_of=as_of, finished_share=opts.params.finished())
        if personalized
        else pd.DataFrame()
    )
    if history.empty and country is None:
        why = "no plays or ratings" if personalized else "personalization is off"
        raise LookupError(f"member has no known country and {why}: nothing to show; give a country")
    if history.empty:
        page = _Page(items, max_level, set(), country, rankings)
        _top10_rows(page, opts.top_windows, opts)
        _popular_genre_rows(page, opts)
        return page.rows

    series_ids = sorted({int(i) for i in history.loc[history[Recs.is_series], Recs.item_id]})
    episodes = _episodes(wh, series_ids)  # in running order: clips catalogued as episodes out
    finished = _finished_items(history, items, episodes)
    page = _Page(items, max_level, finished, country, rankings)
    _continue_and_next(page, wh, history, episodes, opts)
    model = trained if trained is not None else _load_or_none()
    seen = set(int(i) for i in history[Recs.item_id].unique())
    scores: np.ndarray | None = None
    if model is not None:
        theirs = _uncounted_interactions(wh, model, opts, uncounted)
        ranked = _rankable(model, opts, theirs)
        _because_rows(page, model, history, seen, opts, ranked, theirs)
        mine = interactions_from_plays(
            history,
            as_of=as_of,
            member_ids=[member_id],
            item_ids=model.item_ids,
            params=_member_params(opts.params, model),
        )
        user = mine.interactions.matrix
        picks, counted = _pickable(model, user, opts, ranked, theirs, mine.times)
        _top10_rows(page, opts.top_windows[:1], opts)
        scores = _top_picks(page, model, user, opts, picks, mine.times, counted)
        _top10_rows(page, opts.top_windows[1:], opts)
        _model_genre_rows(page, model, user, scores, seen, opts, picks)
    else:
        _top10_rows(page, opts.top_windows, opts)
        _popular_genre_rows(page, opts)
    return page.rows


def _load_or_none() -> TrainedModel | None:
    try:
        return load_trained()
    except FileNotFoundError:
        log.warning("no trained model in the store: model rows left out of home pages")
        return None


def _finished_items(
    history: pd.DataFrame, items: dict[int, _Item], episodes: pd.DataFrame
) -> set[int]:
    """Finished films and series whose every catalog episode the member finished (``episodes``:
    the series' episodes in running order, :func:`_episodes`; a clip finishes nothing)."""
    done = history[history[Recs.finished]]
    blocked = set(int(i) for i in done.loc[~done[Recs.is_series], Recs.item_id])
    done = done[done[Recs.is_series]]
    done = done[done[Plays.title_id].isin([int(t) for t in episodes[Catalog.title_id]])]
    per_series = done.groupby(Recs.item_id)[Plays.title_id].nunique()
    for series_id, n_done in zip(per_series.index, per_series.to_numpy(), strict=True):
        found = items.get(int(series_id))
        if found is not None and int(n_done) >= found.n_episodes:
            blocked.add(int(series_id))
    return blocked


def _continue_and_next(
    page: _Page, wh: Warehouse, history: pd.DataFrame, episodes: pd.DataFrame, opts: RowOptions
) -> None:
    """Continue watching and Next episode (``episodes``: the history's series' episodes in
    running order, :func:`_episodes`)."""
    # A clip catalogued as an unnumbered episode (:func:`in_running_order`) is no place to
    # resume a series and no episode to follow: only the series' episodes say where it stands.
    running = ~history[Recs.is_series].to_numpy(dtype=bool) | history[Plays.title_id].isin(
        [int(t) for t in episodes[Catalog.title_id]]
    ).to_numpy(dtype=bool)
    ordered = history[running].sort_values(
        [Plays.start_utc, Plays.title_id], ascending=False, kind="stable"
    )
    latest = ordered.drop_duplicates(Recs.item_id, keep="first")
    finished_titles = set(int(t) for t in history.loc[history[Recs.finished], Plays.title_id])
    continuing: list[RowItem] = []
    in_progress: list[tuple[int, int]] = []  # (series_id, last finished episode title_id)
    for play in latest.itertuples(index=False):
        item_id = int(getattr(play, Recs.item_id))
        title_id = int(getattr(play, Plays.title_id))
        is_series = bool(getattr(play, Recs.is_series))
        if not page.allowed(item_id):
            continue
        if bool(getattr(play, Recs.finished)):
            if is_series:
                in_progress.append((item_id, title_id))
            continue
        if not is_series and title_id in finished_titles:
            continue  # a finished film, merely restarted: not "continue watching"
        if float(getattr(play, Recs.completion)) < opts.min_resume_share:
            continue  # started by mistake or sampled: nothing to continue
        position = getattr(play, Plays.progress_seconds)
        reason = {
            "kind": RowKind.CONTINUE_WATCHING,
            "play_start_utc": pd.Timestamp(getattr(play, Plays.start_utc)).isoformat(),
            "position_seconds": int(position),
            "completion": round(float(getattr(play, Recs.completion)), 4),
        }
        name = page.name(item_id)
        continuing.append(RowItem(title_id, item_id if is_series else None, name, reason))
        if len(continuing) >= opts.row_length:
            break
    episode_names = _title_names(wh, [it.title_id for it in continuing if it.series_id])
    continuing = [
        RowItem(it.title_id, it.series_id, episode_names.get(it.title_id, it.name), it.reason)
        if it.series_id is not None and it.title_id is not None
        else it
        for it in continuing
    ]
    page.add(RowKind.CONTINUE_WATCHING, "Continue watching", continuing, opts.row_length)

    nexts: list[RowItem] = []
    if in_progress:
        for series_id, last_title in in_progress:
            eps = episodes[episodes[Catalog.series_id] == series_id]
            ids = [int(t) for t in eps[Catalog.title_id]]
            if last_title not in ids:
                continue
            after = ids[ids.index(last_title) + 1 :]
            upcoming = [t for t in after if t not in finished_titles]
            if not upcoming:
                continue
            nxt = eps[eps[Catalog.title_id] == upcoming[0]].iloc[0]
            reason = {
                "kind": RowKind.NEXT_EPISODE,
                "series_id": series_id,
                "season": None if pd.isna(nxt[Catalog.season]) else int(nxt[Catalog.season]),
                "episode": None if pd.isna(nxt[Catalog.episode]) else int(nxt[Catalog.episode]),
                "after_title_id": last_title,
            }
            nexts.append(RowItem(upcoming[0], series_id, str(nxt[Catalog.title]), reason))
    page.add(RowKind.NEXT_EPISODE, "Next episode", nexts, opts.row_length)


def _episodes(wh: Warehouse, series_ids: list[int]) -> pd.DataFrame:
    """Episodes of the given series in catalog order (season, episode, title id; nulls last),
    clips catalogued as unnumbered episodes left out (:func:`in_running_order`)."""
    cat = wh.table(Catalog.table)
    frame = to_frame(
        cat.filter(
            cat[Catalog.series_id].isin(series_ids) & (cat[Catalog.kind] == Catalog.EPISODE)
        ).select(
            Catalog.title_id, Catalog.series_id, Catalog.season, Catalog.episode, Catalog.title
        )
    )
    frame = frame[in_running_order(frame)]
    return frame.sort_values(
        [Catalog.series_id, Catalog.season, Catalog.episode, Catalog.title_id],
        na_position="last",
        kind="stable",
    )


def _title_names(wh: Warehouse, title_ids: list[int | None]) -> dict[int, str]:
    """Catalog display names of the given titles (one query)."""
    ids = [int(t) for t in title_ids if t is not None]
    if not ids:
        return {}
    cat = wh.table(Catalog.table)
    wanted = cat.filter(cat[Catalog.title_id].isin(ids))
    found = to_frame(wanted.select(Catalog.title_id, Catalog.title))
    return {
        int(t): str(n)
        for t, n in zip(found[Catalog.title_id], found[Catalog.title], strict=True)
        if isinstance(n, str)
    }


def _member_params(params: ConfidenceParams, model: TrainedModel) -> ConfidenceParams:
    """The page's confidence parameters with the trained model's recency half-life, so the
    member's row is weighed as the training rows were."""
    if model.half_life_days is None:
        return params
    return dataclasses.replace(params, half_life_days=model.half_life_days)


def _because_rows(
    page: _Page,
    model: TrainedModel,
    history: pd.DataFrame,
    seen: set[int],
    opts: RowOptions,
    ranked: np.ndarray,
    theirs: _Uncounted | None,
) -> None:
    """Adds "Because you watched X" rows (``ranked``: the items that may be shown,
    :func:`_rankable`; ``theirs``: what the uncounted members took,
    :func:`_uncounted_interactions`).

    A neighbour Y of X is shown only when ``opts.min_viewers`` counted members took both: the
    model's pair count less the uncounted members who took both.

    Only a model whose scores come from co-watching (``co_watched``) has such rows: a
    popularity model's "similar" titles are the popular ones, whatever X, and time-popular's
    are what everyone took when X was taken (not "members who watched X also watched Y", and
    not read from the member's own times)."""
    if not type(model.model).personalized or not type(model.model).co_watched:
        return  # no reason "like X" to give
    if model.pair_viewers is None:
        log.warning(
            "model %s keeps no pair counts: its 'Because you watched' rows are left out; "
            "retrain it",
            model.name,
        )
        return
    pairs = sp.csr_matrix(model.pair_viewers)
    # A source is a title the member took: a play past the resume share (a few seconds started
    # by mistake is not "watched"), or a rating (taken whole).
    taken = history[Recs.completion].astype("float64").fillna(1.0) >= opts.min_resume_share
    recent = (
        history[taken.to_numpy()]
        .groupby(Recs.item_id)[Plays.start_utc]
        .max()
        .sort_values(ascending=False, kind="stable")
    )
    sources = [int(i) for i in recent.index]
    rated = history.groupby(Recs.item_id)[RATED].all()
    rated_only = {int(i) for i in rated.index[rated.to_numpy(dtype=bool)]}
    positions = model.positions(np.array(sources, dtype=np.int64))
    n_items = len(model.item_ids)
    made = 0
    for source, pos in zip(sources, positions, strict=True):
        if made >= opts.because_rows or n_items < 2:
            break
        if pos < 0 or source not in page.items:
            continue
        if page.items[source].level > page.max_level:
            continue  # never name a title above the profile's limit
        ids, sims = model.model.similar_items(np.array([pos]), n=min(opts.neighbours, n_items - 1))
        both = _co_takers(pairs, np.array([pos]), None if theirs is None else theirs.taken)
        both = both.toarray().ravel()
        chosen: list[RowItem] = []
        for j, s in zip(ids[0], sims[0], strict=True):
            if j < 0 or not np.isfinite(s) or s <= 0:
                continue  # a weight of zero or below says "not like" the source: no reason
            item_id = int(model.item_ids[j])
            if item_id in seen or not ranked[j] or not page.allowed(item_id):
                continue
            if both[j] < opts.min_viewers:
                continue  # too few members took both: it would tell what they watched
            reason = {
                "kind": RowKind.BECAUSE_YOU_WATCHED,
                "source_title_id": None if bool(model.is_series[pos]) else source,
                "source_series_id": source if bool(model.is_series[pos]) else None,
                "source_name": page.name(source),
                # what the member did with the source: watched it, or only rated it
                "source_from": "rating" if source in rated_only else "viewing",
                "similarity": float(s),
            }
            chosen.append(page.item(item_id, reason))
            if len(chosen) >= opts.row_length:
                break
        if chosen:
            verb = "rated" if source in rated_only else "watched"
            page.add(
                RowKind.BECAUSE_YOU_WATCHED,
                f"Because you {verb} {page.name(source)}",
                chosen,
                opts.row_length,
            )
            made += 1


def _top10_rows(page: _Page, windows: Iterable[tuple[str, float]], opts: RowOptions) -> None:
    country = page.country
    label_country = country_name(country) or country or ""
    for label, _hours in windows:
        ranking = page.rankings[label][:10]
        chosen = [
            page.item(
                item_id,
                {"kind": RowKind.TOP10_COUNTRY, "country": country, "window": label, "rank": r},
            )
            for r, (item_id, _) in enumerate(ranking, start=1)
            if page.allowed(item_id)
        ]
        when = {"24h": "today", "7d": "this week"}.get(label, f"in the last {label}")
        page.add(
            RowKind.TOP10_COUNTRY, f"Top 10 in {label_country} {when}", chosen, opts.row_length
        )


@dataclass(frozen=True, slots=True)
class _Uncounted:
    """What the uncounted members the model learnt from took: ``taken`` (binary, their rows x
    the model's items) and when (``times``, UTC seconds, stored where ``taken``; the times
    training gave them, so the time-local counts drop them from the days they fell in)."""

    taken: sp.csr_matrix
    times: sp.csr_matrix


def _uncounted_interactions(
    wh: Warehouse, model: TrainedModel, opts: RowOptions, uncounted: Collection[int]
) -> _Uncounted | None:
    """What the members in ``uncounted`` the model learnt from took, and when, None when the
    model learnt from none of them: they withdrew their consent to statistics after the
    training (training itself leaves out those who had withdrawn before), so the page
    subtracts them from the model's counts."""
    learnt_from = set(int(m) for m in uncounted) & set(model.member_ids.tolist())
    if not learnt_from:
        return None
    taken, times = counted_times(  # as training counted them, and when
        wh,
        sorted(learnt_from),
        item_ids=model.item_ids,
        as_of=model.as_of,
        half_life_days=model.half_life_days,
    )
    return _Uncounted(taken, times)


def _rankable(model: TrainedModel, opts: RowOptions, theirs: _Uncounted | None) -> np.ndarray:
    """Which of the model's items may be shown to a member who has not taken them (bool per
    column).

    An item needs ``opts.min_viewers`` counted viewers: the distinct members the model learnt
    it from, less the uncounted ones of them (``theirs``, :func:`_uncounted_interactions`).
    This holds for every model: a popularity model's picks are a platform ranking, and a
    personalized model's neighbours and picks come from other members' viewing, so a title one
    or two others took would tell the member what they watched. A model file without viewer
    counts shows none of its items.
    """
    if model.item_viewers is None:
        log.warning(
            "model %s keeps no viewer counts: its picks are left out; retrain it", model.name
        )
        return np.zeros(len(model.item_ids), dtype=bool)
    viewers = np.asarray(model.item_viewers, dtype=np.float64).copy()
    if theirs is not None:
        viewers -= viewers_per_item(theirs.taken)
    return viewers >= opts.min_viewers


def _co_takers(
    pairs: sp.csr_matrix, positions: np.ndarray, theirs: sp.csr_matrix | None
) -> sp.csr_matrix:
    """Counted members who took each title at ``positions`` and each model item (positions x
    items): the model's pair counts (``pair_viewers``, kept at training for each title's
    nearest items; read in either direction, as the members who took both are the same) less
    the uncounted members who took both (``theirs``: what they took, :class:`_Uncounted`)."""
    both = sp.csr_matrix(pairs[positions].maximum(sp.csr_matrix(pairs[:, positions].T)))
    if theirs is not None:
        both = both - sp.csr_matrix(theirs[:, positions].T @ theirs)
    return both


def _pickable(
    model: TrainedModel,
    user: sp.spmatrix,
    opts: RowOptions,
    ranked: np.ndarray,
    theirs: _Uncounted | None,
    times: sp.csr_matrix | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Which of the model's items its Top picks and genre rows may show the member whose
    interactions are ``user`` (taken at ``times``, UTC seconds) (bool per column), and for a
    model that blends a time-local part with others, the titles that part may score (bool per
    column, else None): the
    ``ranked`` ones (:func:`_rankable`), and for a personalized model those that enough counted
    members took in the way the model's scores come from (``theirs``, the uncounted members,
    :func:`_uncounted_interactions`, subtracted from each count):

    - **co-watching** (``co_watched``: EASE, item-kNN, ...): a pick is a neighbour of the
      member's titles (for a history of one title X, EASE's picks are X's "Because you
      watched" neighbours), and a pick Y that one other member took with X tells the member
      what that person watched, however many took Y. Y needs ``opts.min_viewers`` counted
      members who took it with one title X of the history, each pair (X, Y) on its own (the
      model's ``pair_viewers``, kept at training for X's nearest items, or for Y's: the members
      who took both are the same); counts summed over the history could add up the same few
      members (the largest is a lower bound of the distinct members linking Y to it). A pair
      without a kept count counts as none; a model file without pair counts shows no picks (it
      is retrained to show them).
    - **time-local popularity** (:meth:`~bingewise.recommend.base.Recommender.time_local`:
      time-popular, session-blend's second part): the scores count what everyone took around
      the member's own times, and a Y that one member took then tells the member what that
      person watched then. Y needs ``opts.min_viewers`` counted distinct members who took it
      within the kernel's scale (``σ`` days) of one of the member's times
      (:meth:`~bingewise.recommend.time_popular.TimePopular.viewers_near`); co-takers of the
      member's titles play no part in these scores, so none are asked for.

    A model that blends the two (session-blend, ``blends_time_local``) keeps the pair rule for
    which titles may be shown, and the time rule goes inside its scores: a title with fewer
    than ``opts.min_viewers`` counted members near the member's times gets no time-local part
    (:meth:`~bingewise.recommend.base.Recommender.score_counted`), so that part tells nothing
    of what one person took then, and the title may still be picked on its co-watching part.
    A popularity model ranks the platform alike for everyone: the item minimum alone applies.
    """
    if not type(model.model).personalized:
        return ranked, None
    allowed = np.asarray(ranked, dtype=bool).copy()
    row = sp.csr_matrix(user)
    history = np.unique(row.indices[row.data > 0])  # the member's titles the model knows
    if not len(history):
        return np.zeros(len(model.item_ids), dtype=bool), None
    if type(model.model).co_watched:
        if model.pair_viewers is None:
            log.warning(
                "model %s keeps no pair counts: its Top picks and genre rows are left out; "
                "retrain it",
                model.name,
            )
            return np.zeros(len(model.item_ids), dtype=bool), None
        both = _co_takers(
            sp.csr_matrix(model.pair_viewers), history, None if theirs is None else theirs.taken
        )
        enough = both >= opts.min_viewers  # each (X, Y) on its own, never a sum over X
        allowed &= np.asarray(enough.sum(axis=0)).ravel() > 0
    part = model.model.time_local()
    if part is not None and times is not None:  # (without times it scores global popularity)
        # The times of the member's interactions only (a 0-second play is an explicit zero
        # with a time), as the scores read them: the rule counts around the same days.
        mine = positive_times(row, times)
        near = part.viewers_near(mine, less=None if theirs is None else theirs.times)
        counted = near[0] >= opts.min_viewers
        if type(model.model).blends_time_local:
            return allowed, counted
        allowed &= counted
    return allowed, None


def _top_picks(
    page: _Page,
    model: TrainedModel,
    user: Any,
    opts: RowOptions,
    ranked: np.ndarray | None,
    times: sp.csr_matrix | None = None,
    counted: np.ndarray | None = None,
) -> np.ndarray:
    """Adds "Top picks for you"; returns the member's model scores (one per model item).

    ``ranked``: the items the model may show (:func:`_pickable`), None for all.
    ``times``: when the member took each item of ``user`` (UTC seconds), read by the models
    that score from the times of a history (``uses_times``), as they were trained.
    ``counted``: the titles a blended time-local part may score (:func:`_pickable`), None for
    all. The picks are the best of these scores, as ``recommend`` ranks them (seen titles out).
    """
    if times is None:
        scores = np.asarray(model.model.score(user), dtype=np.float64)[0]
    elif counted is None:
        scores = np.asarray(model.model.score_at(user, times), dtype=np.float64)[0]
    else:
        scored = model.model.score_counted(user, times, counted[None, :])
        scores = np.asarray(scored, dtype=np.float64)[0]
    allowed = np.array(
        [
            j
            for j, i in enumerate(model.item_ids)
            if page.allowed(int(i)) and (ranked is None or bool(ranked[j]))
        ],
        dtype=np.int64,
    )
    if len(allowed):
        mask = candidate_mask(len(model.item_ids), allowed, None)
        seen = sp.csr_matrix(user)
        ids, top = top_n(scores[None, :].copy(), opts.row_length, seen=seen, mask=mask)
        chosen = [
            page.item(
                int(model.item_ids[j]),
                {"kind": RowKind.TOP_PICKS, "model": model.name, "score": float(s)},
            )
            for j, s in zip(ids[0], top[0], strict=True)
            if j >= 0 and np.isfinite(s) and s > 0  # no evidence (0) or against (< 0): no pick
        ]
        page.add(RowKind.TOP_PICKS, "Top picks for you", chosen, opts.row_length)
    return scores


def _model_genre_rows(
    page: _Page,
    model: TrainedModel,
    user: Any,
    scores: np.ndarray,
    seen: set[int],
    opts: RowOptions,
    ranked: np.ndarray | None,
) -> None:
    """Genre rows from the member's favourite genres, items ordered by model score (items only
    where ``ranked``, :func:`_pickable`, as in :func:`_top_picks`)."""
    weights: dict[str, float] = {}
    row = user.tocsr()
    for j, w in zip(row.indices, row.data, strict=True):
        item_id = int(model.item_ids[j])
        for g in page.genres(item_id):
            weights[g] = weights.get(g, 0.0) + float(w)
    genres = sorted(weights, key=lambda g: (-weights[g], g))
    made = 0
    order = np.argsort(-scores, kind="stable")
    for genre in genres:
        if made >= opts.genre_rows:
            break
        chosen: list[RowItem] = []
        for j in order:
            item_id = int(model.item_ids[j])
            if not scores[j] > 0 or item_id in seen or not page.allowed(item_id):
                continue  # (not finite, or no evidence for the item: no reason to show it)
            if ranked is not None and not ranked[j]:
                continue  # too few counted viewers, or co-takers with the history, to show it
            if genre not in page.genres(item_id):
                continue
            reason = {
                "kind": RowKind.GENRE,
                "genre": genre,
                "basis": "model",
                "model": model.name,
                "score": float(scores[j]),
            }
            chosen.append(page.item(item_id, reason))
            if len(chosen) >= opts.row_length:
                break
        if chosen:
            page.add(RowKind.GENRE, genre, chosen, opts.row_length)
            made += 1


def _popular_genre_rows(page: _Page, opts: RowOptions) -> None:
    """Genre rows by country popularity over ``opts.popular_days`` (no member data)."""
    country = page.country
    window = opts.popular_label
    ranking = page.rankings[window]
    genre_viewers: dict[str, int] = {}
    for item_id, viewers in ranking:
        for g in page.genres(item_id):
            genre_viewers[g] = genre_viewers.get(g, 0) + viewers
    genres = sorted(genre_viewers, key=lambda g: (-genre_viewers[g], g))
    label_country = country_name(country) or country or ""
    made = 0
    for genre in genres:
        if made >= opts.genre_rows:
            break
        in_genre = [i for i, _ in ranking if genre in page.genres(i)]
        chosen = [
            page.item(
                item_id,
                {
                    "kind": RowKind.GENRE,
                    "genre": genre,
                    "basis": "popular_in_country",
                    "country": country,
                    "window": window,
                    "rank": r,
                },
            )
            for r, item_id in enumerate(in_genre, start=1)
            if page.allowed(item_id)
        ]
        if chosen:
            page.add(RowKind.GENRE, f"Popular {genre} in {label_country}", chosen, opts.row_length)
            made += 1


def describe(reason: dict[str, Any]) -> str:
    """A short human reading of a machine-readable reason (for the terminal and the demo)."""
    kind = reason.get("kind")
    if kind == RowKind.CONTINUE_WATCHING:
        minutes = int(reason["position_seconds"]) // 60
        return f"stopped at {minutes} min ({reason['completion']:.0%})"
    if kind == RowKind.NEXT_EPISODE:
        parts = [f"{k} {reason[k]}" for k in ("season", "episode") if reason.get(k) is not None]
        return f"next: {', '.join(parts)}" if parts else "next episode"
    if kind == RowKind.BECAUSE_YOU_WATCHED:
        return f"like {reason['source_name']} (similarity {reason['similarity']:.2g})"
    if kind == RowKind.TOP10_COUNTRY:
        return f"#{reason['rank']} in {reason['country']}, last {reason['window']}"
    if kind == RowKind.TOP_PICKS:
        return f"{reason['model']} score {reason['score']:.3g}"
    if kind == RowKind.GENRE and reason.get("basis") == "model":
        return f"{reason['genre']}, {reason['model']} score {reason['score']:.3g}"
    if kind == RowKind.GENRE:
        where = f"{reason['country']}, last {reason['window']}"
        return f"#{reason['rank']} {reason['genre']} in {where}"
    return str(reason)


def print_rows(rows: list[Row]) -> None:
    """Print a home page to standard output, one block per row."""
    from rich.markup import escape

    from bingewise.console import out

    if not rows:
        out.print(
            "(no rows: no title passes the page's rules: nothing watched by enough members in "
            "this country lately, nothing recommended, or nothing within the maturity limit)"
        )
    for row in rows:  # titles are catalog text: brackets in them are no markup
        out.print(f"[bold]{escape(row.title)}[/bold]")
        for item in row.items:
            line = f"  {escape(item.name)}  [dim]{escape(describe(item.reason))}[/dim]"
            out.print(line, highlight=False)


def pick_demo_member(warehouse: Warehouse) -> int | None:
    """The member with the most viewing events (ties: lowest id), or None when there is none."""
    events = warehouse.table(Events.table)
    top = to_frame(
        events.group_by(Events.member_id)
        .aggregate(n=events.count())
        .order_by([ibis.desc("n"), ibis.asc(Events.member_id)])
        .limit(1)
    )
    return int(top[Events.member_id].iloc[0]) if len(top) else None


def personalization_allowed(registry: Registry | None, member_id: int) -> bool:
    """The member's consent to the purpose "personalization" (granted by default).

    Read through :mod:`bingewise.privacy.consent`; without a registry, the default applies.
    """
    if registry is None:
        return PERSONALIZATION_DEFAULT
    from bingewise.privacy.consent import Purpose, has_consent

    return has_consent(registry, member_id, Purpose.PERSONALIZATION)


def viewing_withheld(registry: Registry | None) -> set[int]:
    """Members who withdrew their consent to "statistics" or to "personalization" (the
    :data:`~bingewise.privacy.consent.TRAINING_PURPOSES`): the country rankings and a
    non-personalized model's picks on every home page leave their viewing out at once, as
    training does at the next fit. Without a registry, none (the defaults are granted)."""
    if registry is None:
        return set()
    from bingewise.privacy.consent import TRAINING_PURPOSES, members_without

    out: set[int] = set()
    for purpose in TRAINING_PURPOSES:
        out |= members_without(registry, purpose)
    return out


#: Whether a member is personalized when no registry is at hand to read their consent (the
#: consent module's own default for "personalization" applies whenever a registry is given).
PERSONALIZATION_DEFAULT = True


def demo_step(
    warehouse: Warehouse,
    registry: Registry | None,
    *,
    model: str = DEFAULT_MODEL,
    member_id: int | None = None,
    show: bool = True,
) -> tuple[int | None, list[Row]]:
    """Train ``model`` on the warehouse, then build (and print) one member's home page.

    The member is ``member_id`` or the most active one; their consent to personalization is
    read from ``registry``, and so is everyone's consent to training. Returns the member and
    the rows (no member: ``(None, [])``).
    """
    from bingewise.console import out, say

    trained = train(warehouse, model, registry=registry)
    say(
        f"trained {trained.name}: {len(trained.member_ids):,} members x "
        f"{len(trained.item_ids):,} items; {trained.withheld_members:,} left out for consent"
    )
    member = member_id if member_id is not None else pick_demo_member(warehouse)
    if member is None:
        return None, []
    rows = home_rows(
        member,
        warehouse=warehouse,
        trained=trained,
        personalized=personalization_allowed(registry, member),
        uncounted=viewing_withheld(registry),
    )
    if show:
        out.print(f"[bold]Home page of member {member}[/bold]")
        print_rows(rows)
    return member, rows
