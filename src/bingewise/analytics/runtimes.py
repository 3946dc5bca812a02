"""Episode runtimes estimated from viewing, where the catalog has none.

A personal Netflix export names what was watched and for how long, never how long a title runs:
its catalog has no runtimes, so no play could be called finished. An episode without a runtime
takes its series' typical episode length as seen in viewing (:func:`estimated_runtimes`): a
22-minute sitcom episode watched to minute 21 is finished. Films get no estimate (each is one
title, watched once or twice: nothing to agree on).

:func:`runtime_estimates` computes them in Ibis, on any engine (the fact set on Spark too), and
:func:`fill_runtimes` puts them in the catalog; :func:`with_estimated_runtimes` gives the
warehouse's catalog with them filled in. The fact set, recaps, training and the home page all read
runtimes this way, so they agree on what finished.
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
    "fill_runtimes",
    "runtime_estimates",
    "unknown_episode_runtimes",
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


def _no_runtime(catalog: ir.Table) -> ir.BooleanValue:
    """An episode of a known series without a runtime (NULL or not positive)."""
    return (
        (catalog[Catalog.kind] == Catalog.EPISODE)
        & catalog[Catalog.series_id].notnull()
        & (catalog[Catalog.runtime_seconds].fill_null(0) <= 0)
    )


def runtime_estimates(
    events: ir.Table, catalog: ir.Table, as_of: dt.datetime | None = None
) -> ir.Table:
    """The estimates of :func:`estimated_runtimes` as an Ibis table on any backend: one row per
    estimated episode, ``title_id`` (int64) and ``runtime_seconds`` (float64).

    Exact on every engine: progress is whole seconds, the upper quartile of whole numbers
    interpolates by a quarter, a half or three quarters (exact in float64), and DuckDB's
    ``quantile_cont``, Spark's ``percentile`` and pandas all interpolate linearly.
    """
    unknown = catalog.filter(_no_runtime(catalog)).select(
        _bw_u_title=catalog[Catalog.title_id], _bw_u_series=catalog[Catalog.series_id]
    )
    supp = events[Events.supplemental]
    keep = supp.isnull() | (supp.strip() == "")
    if as_of is not None:
        keep &= events[Events.start_utc] < as_of
    ev = events.filter(keep)
    j = ev.inner_join(unknown, ev[Events.title_id] == unknown["_bw_u_title"])
    progress = j[Events.bookmark_seconds].coalesce(j[Events.seconds]).cast("float64")
    far = j.group_by(_bw_title=j[Events.title_id], _bw_series=j["_bw_u_series"]).aggregate(
        _bw_far=progress.max()
    )
    far = far.filter(far["_bw_far"] > 0)
    typical = far.group_by(_bw_s=far["_bw_series"]).aggregate(
        _bw_typ=far["_bw_far"].quantile(EPISODE_RUNTIME_QUANTILE)
    )
    f = far.inner_join(typical, far["_bw_series"] == typical["_bw_s"])
    near = (f["_bw_far"] >= EPISODE_RUNTIME_AGREEMENT * f["_bw_typ"]).cast("int64")
    series = f.group_by(_bw_s2=f["_bw_series"], _bw_typ2=f["_bw_typ"]).aggregate(
        _bw_agree=near.sum()
    )
    series = series.filter(
        (series["_bw_typ2"] >= MIN_EPISODE_RUNTIME_SECONDS)
        & (series["_bw_agree"] >= MIN_EPISODES_FOR_RUNTIME)
    )
    e = far.inner_join(series, far["_bw_series"] == series["_bw_s2"])
    return e.select(
        **{
            Catalog.title_id: e["_bw_title"],
            Catalog.runtime_seconds: ibis.greatest(e["_bw_far"], e["_bw_typ2"]),
        }
    )


def unknown_episode_runtimes(catalog: ir.Table) -> int:
    """How many catalog episodes have no runtime (one small query, on any backend)."""
    return int(catalog.filter(_no_runtime(catalog)).count().to_pyarrow().as_py())


def fill_runtimes(catalog: ir.Table, estimates: ir.Table) -> ir.Table:
    """``catalog`` with each unknown runtime taken from ``estimates`` (:func:`runtime_estimates`:
    ``title_id``, ``runtime_seconds``), rounded to whole seconds, halves to even."""
    est = estimates.select(
        _bw_est_title=estimates[Catalog.title_id], _bw_est=estimates[Catalog.runtime_seconds]
    )
    j = catalog.left_join(est, catalog[Catalog.title_id] == est["_bw_est_title"])
    runtime = j[Catalog.runtime_seconds]
    known = runtime.notnull() & (runtime > 0)
    x = j["_bw_est"]
    whole = x.floor().cast("int64")
    part = x - whole.cast("float64")
    even = ibis.cases(
        (part > 0.5, whole + 1), (part < 0.5, whole), else_=whole + whole % 2
    )  # numpy's rounding, spelt so that every engine does it alike
    filled = ibis.ifelse(known, runtime, even.cast(runtime.type()))
    return j.select(
        *[filled.name(c) if c == Catalog.runtime_seconds else j[c] for c in catalog.columns]
    )


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
    the catalog, when every episode has a runtime. The estimates are :func:`runtime_estimates`,
    which :meth:`~bingewise.analytics.FactSet.compute_tables` runs on any engine.
    """
    # Whether any episode lacks a runtime, straight from DuckDB: in the common case (none) this
    # is the only query (an Ibis round trip would cost a page 20 ms).
    row = warehouse.duck.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{Catalog.table}" WHERE "{Catalog.kind}" = ? '
        f'AND "{Catalog.series_id}" IS NOT NULL AND coalesce("{Catalog.runtime_seconds}", 0) <= 0)',
        [Catalog.EPISODE],
    ).fetchone()
    empty = pd.Series([], dtype="float64", index=pd.Index([], dtype="int64", name="title_id"))
    if not (row and row[0]):
        return empty
    est = to_frame(
        runtime_estimates(warehouse.table(Events.table), warehouse.table(Catalog.table), as_of)
    )
    if est.empty:
        return empty
    return pd.Series(
        est[Catalog.runtime_seconds].to_numpy(dtype=np.float64),
        index=pd.Index(est[Catalog.title_id].to_numpy(dtype=np.int64), name="title_id"),
    )


def with_estimated_runtimes(warehouse: Warehouse, as_of: dt.datetime | None = None) -> ir.Table:
    """The warehouse's catalog with each episode's unknown runtime estimated
    (:func:`estimated_runtimes`, whole seconds); the catalog itself when none is needed.

    The estimates are computed once, here, and joined as a small in-memory table (a recap or a
    page reads the catalog several times).
    """
    catalog = warehouse.table(Catalog.table)
    estimates = estimated_runtimes(warehouse, as_of)
    if not len(estimates):
        return catalog
    est = ibis.memtable(
        {
            Catalog.title_id: estimates.index.to_numpy(dtype=np.int64),
            Catalog.runtime_seconds: estimates.to_numpy(dtype=np.float64),
        },
        schema={Catalog.title_id: "int64", Catalog.runtime_seconds: "float64"},
    )
    return fill_runtimes(catalog, est)
