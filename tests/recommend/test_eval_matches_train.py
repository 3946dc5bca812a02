"""`evaluate --format events` reads an event log as `bingewise train` reads the same events.

The oracle is training itself: the events are written to a warehouse and to a file, and the
interactions `build_interactions` gives a weight (the ones the models learn from) must be exactly
the evaluation's, each with the same time (its latest play start), whatever the mix of resumed
segments, interleaved titles, episodes, trailers, dated histories and 0-second segments.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_rows_world import World

from bingewise.recommend.evaluation.data import read_events
from bingewise.recommend.interactions import ConfidenceParams, build_interactions
from bingewise.schema import Events
from bingewise.warehouse import Warehouse

T0 = dt.datetime(2024, 1, 1)
AS_OF = dt.datetime(2025, 1, 1)
FILMS = [10, 11, 12, 13]
SERIES = {900: [901, 902, 903], 950: [951, 952]}
COLUMNS = [
    Events.member_id,
    Events.title_id,
    Events.start_utc,
    Events.seconds,
    Events.bookmark_seconds,
    Events.profile,
    Events.supplemental,
]


def _world(seed: int) -> World:
    """Members whose segments resume within and beyond the resume gap, switch titles, rewatch,
    repeat a row, watch trailers, and leave dated (0 s, no profile) and 0-second named rows."""
    rng = np.random.default_rng(seed)
    w = World()
    for f in FILMS:
        w.film(f, f"Film {f}", runtime=5400)
    for s, eps in SERIES.items():
        w.series(s, f"Series {s}", [(e, 1, k + 1) for k, e in enumerate(eps)], runtime=3000)
    titles = FILMS + [e for eps in SERIES.values() for e in eps]
    for member in range(1, 9):
        w.member(member)
        t = T0 + dt.timedelta(days=int(rng.integers(0, 30)))
        for _ in range(int(rng.integers(1, 14))):
            title = int(rng.choice(titles))
            kind = rng.random()
            if kind < 0.12:  # a dated history row: midnight, 0 s, no profile
                day = dt.datetime(t.year, t.month, t.day)
                w.watch(member, title, day, 0, null_bookmark=True)
            elif kind < 0.24:  # a 0-second segment that names a profile
                w.watch(member, title, t, 0, null_bookmark=True, profile="Ana")
            elif kind < 0.32:
                w.watch(member, title, t, 90, supplemental="TRAILER")
            else:
                secs = int(rng.integers(60, 3000))
                w.watch(member, title, t, secs, profile="Ana" if rng.random() < 0.5 else None)
                if rng.random() < 0.2:  # the same row again (a duplicate event)
                    w.watch(member, title, t, secs)
            # Next segment: resumed soon (same play when the title repeats) or days later.
            step = rng.choice([20, 50, 70, 200, 60 * 24 * 3])
            t += dt.timedelta(minutes=int(step) + int(rng.integers(0, 50)))
    return w


def _write_events(w: World, path: Path, shape: str) -> None:
    rows = [{c: e.get(c) for c in COLUMNS} for e in w.events]
    if shape == "parquet":
        pq.write_table(
            pa.Table.from_pylist(rows, schema=pa.schema([Events.arrow.field(c) for c in COLUMNS])),
            path,
        )
        return
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for r in rows:
            out.writerow(["" if r[c] is None else r[c] for c in COLUMNS])
        if shape == "csv with a bad row":
            out.writerow(["x", "10", "2024-02-01 10:00:00", "60", "", "", ""])


def _write_catalog(path: Path) -> None:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["title_id", "kind", "series_id"])
        out.writerows([f, "film", ""] for f in FILMS)
        out.writerows([e, "episode", s] for s, eps in SERIES.items() for e in eps)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", ["csv", "parquet", "csv with a bad row"])
def test_evaluation_reads_events_as_training_does(
    warehouse: Warehouse, tmp_path: Path, seed: int, shape: str
) -> None:
    w = _world(seed)
    w.write(warehouse)
    data = build_interactions(warehouse, as_of=AS_OF, params=ConfidenceParams(half_life_days=0))
    m = data.interactions.matrix.tocoo()
    times = data.times.tocsr()
    trained = {
        (int(data.interactions.member_ids[r]), int(data.item_ids[c])): int(times[r, c])
        for r, c, v in zip(m.row, m.col, m.data, strict=True)
        if v > 0  # what the models learn from (session-ease and time-popular read x > 0)
    }
    events = tmp_path / ("events.parquet" if shape == "parquet" else "events.csv")
    _write_events(w, events, shape)
    catalog = tmp_path / "catalog.csv"
    _write_catalog(catalog)
    log = read_events(events, catalog=catalog)
    evaluated = {
        (int(u), int(i)): int(t)
        for u, i, t in zip(log.users.tolist(), log.items.tolist(), log.times.tolist(), strict=True)
    }
    assert evaluated == trained
    assert len(log.rejects) == (1 if "bad" in shape else 0)
    assert (
        log.rows_read
        == len(log) + log.duplicates + len(log.rejects) + log.supplemental + log.unwatched
    )


def test_time_aware_models_train_and_score_with_a_title_played_for_0_seconds(
    warehouse: Warehouse,
) -> None:
    """A title a named profile played for 0 seconds weighs 0 in the training matrix (an explicit
    zero, with its time): session-ease and session-blend learn and score from the positive
    entries and their times, as time-popular does, instead of refusing the times' pattern."""
    from bingewise.recommend.session_blend import SessionBlend
    from bingewise.recommend.session_ease import SessionEASE

    w = World()
    for f in FILMS:
        w.film(f, f"Film {f}", runtime=5400)
    for member in range(1, 5):
        w.member(member)
        w.watch(member, 10, T0 + dt.timedelta(days=member), 5400, profile="Ana")
        w.watch(member, 11, T0 + dt.timedelta(days=member, hours=2), 5400, profile="Ana")
    w.watch(1, 12, T0 + dt.timedelta(days=9), 0, null_bookmark=True, profile="Ana")
    w.write(warehouse)
    data = build_interactions(warehouse, as_of=AS_OF)
    x = data.interactions.matrix
    assert (x.data == 0).sum() == 1  # member 1's 0-second title
    for model in (SessionEASE(l2=1.0), SessionBlend(l2=1.0, mix=0.5, sitting_power=1.0)):
        model.fit(x, times=data.times)
        scores = model.score_at(x, data.times)
        assert np.isfinite(scores).all()
    # The same as fitting on the matrix and times without the zero entry.
    kept = x.copy()
    kept.eliminate_zeros()
    times = data.times.multiply(kept > 0).tocsr()
    a = SessionEASE(l2=1.0).fit(x, times=data.times)
    b = SessionEASE(l2=1.0).fit(kept, times=times)
    assert a.weights is not None and b.weights is not None
    assert np.array_equal(a.weights, b.weights)
