"""Episode runtimes estimated from viewing, where the catalog has none.

A personal Netflix export names what was watched and for how long, never how long a title runs:
its catalog has no runtimes, so no play could be called finished. An episode without a runtime
takes its series' typical episode length as seen in viewing (:func:`estimated_runtimes`): a
22-minute sitcom episode watched to minute 21 is finished. Films get no estimate (each is one
title, watched once or twice: nothing to agree on).

:func:`with_estimated_runtimes` gives the catalog with those estimates filled in; the fact set,
recaps, training and the home page all read runtimes through it, so they agree on what finished.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bingewise.schema import Catalog, Events
from bingewise.warehouse import Warehouse, to_frame

__all__ = [
    "EPISODE_RUNTIME_AGREEMENT",
    "EPISODE_RUNTIME_QUANTILE",
    "MIN_EPISODES_FOR_RUNTIME",
    "MIN_EPISODE_RUNTIME_SECONDS",
    "estimated_runtimes",
    "with_estimated_runtimes",
]

#: The typical episode length of a series without catalog runtimes: this quantile of its
#: watched episodes' furthest progress (the upper quartile: episodes left early do not shorten it).
EPISODE_RUNTIME_QUANTILE = 0.75
#: ... taken only when this many episodes reached ``EPISODE_RUNTIME_AGREEMENT`` of it (episodes
#: watched through agree on their length; a few sampled for a minute or two do not) ...
MIN_EPISODES_FOR_RUNTIME = 3
EPISODE_RUNTIME_AGREEMENT = 0.9
#: ... and only when it is at least this long (seconds): shorter is browsing, not a series.
MIN_EPISODE_RUNTIME_SECONDS = 5 * 60


def estimated_runtimes(warehouse: Warehouse, as_of: dt.datetime | None = None) -> pd.Series:
    """Runtime in seconds standing in for each watched episode whose catalog runtime is unknown.

    A series' typical episode length is the upper quartile (:data:`EPISODE_RUNTIME_QUANTILE`)
    of its watched episodes' furthest progress (the furthest bookmark of any main-content
    segment before ``as_of``, by any member; seconds watched where there is no bookmark). It is
    taken when at least :data:`MIN_EPISODES_FOR_RUNTIME` episodes reached 90 % of it and it is
    at least five minutes: episodes watched through agree on their length, while a few episodes
    sampled for a minute each (browsing) do not make a one-minute series. An episode's estimate
    is the larger of that length and its own furthest progress. Other series, films, and titles
    with a catalog runtime get no estimate (the nominal runtime stands in).

    Returns a float64 Series indexed by ``title_id`` (int64); empty, after one small query on
    the catalog, when every episode has a runtime.
    """
    # The episodes without a runtime, straight from DuckDB: in the common case (none) this is
    # the only query (an Ibis round trip would cost a page 20 ms).
    unknown_rows = warehouse.duck.execute(
        f'SELECT "{Catalog.title_id}" AS _bw_u_title, "{Catalog.series_id}" AS _bw_u_series '
        f'FROM "{Catalog.table}" WHERE "{Catalog.kind}" = ? AND "{Catalog.series_id}" IS NOT NULL '
        f'AND coalesce("{Catalog.runtime_seconds}", 0) <= 0',
        [Catalog.EPISODE],
    ).fetchall()
    empty = pd.Series([], dtype="float64", index=pd.Index([], dtype="int64", name="title_id"))
    if not unknown_rows:
        return empty
    unknown = ibis.memtable(
        {
            "_bw_u_title": [int(t) for t, _ in unknown_rows],
            "_bw_u_series": [int(s) for _, s in unknown_rows],
        },
        schema={"_bw_u_title": "int64", "_bw_u_series": "int64"},
    )
    ev = warehouse.table(Events.table)
    supp = ev[Events.supplemental]
    keep = supp.isnull() | (supp.strip() == "")
    if as_of is not None:
        keep &= ev[Events.start_utc] < as_of
    ev = ev.filter(keep)
    j = ev.inner_join(unknown, ev[Events.title_id] == unknown["_bw_u_title"])
    progress = j[Events.bookmark_seconds].coalesce(j[Events.seconds]).cast("float64")
    furthest = to_frame(
        j.group_by(title=j[Events.title_id], series=j["_bw_u_series"]).aggregate(
            furthest=progress.max()
        )
    )
    furthest = furthest[furthest["furthest"] > 0]
    if furthest.empty:
        return empty
    typical = furthest.groupby("series")["furthest"].quantile(EPISODE_RUNTIME_QUANTILE)
    near = (
        furthest["furthest"].to_numpy()
        >= EPISODE_RUNTIME_AGREEMENT * typical.loc[furthest["series"]].to_numpy()
    )
    agreeing = furthest[near].groupby("series").size()
    typical = typical[
        (typical >= MIN_EPISODE_RUNTIME_SECONDS)
        & (agreeing.reindex(typical.index, fill_value=0) >= MIN_EPISODES_FOR_RUNTIME)
    ]
    rows = furthest[furthest["series"].isin(typical.index)]
    if rows.empty:
        return empty
    est = np.maximum(rows["furthest"].to_numpy(), typical.loc[rows["series"]].to_numpy())
    return pd.Series(
        est.astype(np.float64),
        index=pd.Index(rows["title"].to_numpy(dtype=np.int64), name="title_id"),
    )


def with_estimated_runtimes(warehouse: Warehouse, as_of: dt.datetime | None = None) -> ir.Table:
    """The warehouse's catalog with each episode's unknown runtime estimated
    (:func:`estimated_runtimes`, whole seconds); the catalog itself when none is needed."""
    catalog = warehouse.table(Catalog.table)
    estimates = estimated_runtimes(warehouse, as_of)
    if not len(estimates):
        return catalog
    est = ibis.memtable(
        {
            "_bw_est_title": estimates.index.to_numpy(dtype=np.int64),
            "_bw_est": np.round(estimates.to_numpy()).astype(np.int32),
        },
        schema={"_bw_est_title": "int64", "_bw_est": "int32"},
    )
    j = catalog.left_join(est, catalog[Catalog.title_id] == est["_bw_est_title"])
    runtime = j[Catalog.runtime_seconds]
    known = runtime.notnull() & (runtime > 0)
    filled = ibis.ifelse(known, runtime, j["_bw_est"].cast(runtime.type()))
    return j.select(
        *[filled.name(c) if c == Catalog.runtime_seconds else j[c] for c in catalog.columns]
    )
