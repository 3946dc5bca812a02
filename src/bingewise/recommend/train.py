"""Train a recommender on the warehouse and keep it in the model store (``.npz``, never pickle).

The store is ``settings.models_dir``. Training model ``NAME`` writes three files:

- ``NAME.npz``: the model's own arrays (:meth:`Recommender.save`);
- ``NAME.ids.npz``: the id maps: ``member_ids`` (row i of the training matrix), ``item_ids``
  (column j: a film's title_id or a series' series_id), ``is_series``, display ``names``,
  ``item_viewers`` (distinct members each item was learnt from: a non-personalized model's picks
  are a platform ranking and need enough of them), for a personalized model whose scores come
  from co-watching (``co_watched``: not time-popular) ``pair_viewers_*``
  (a sparse items x items matrix in four arrays: row i holds, for each of i's
  :data:`NEIGHBOURS` nearest items j by ``similar_items``, the distinct members who took both:
  "Because you watched i: j" needs enough of them, :func:`pair_viewers`), the ``as_of`` time
  (UTC microseconds since the epoch) and the SHA-256 of ``NAME.npz`` (so a model and the maps
  of another training run are never paired);
- ``current.json``: ``{"model": NAME}``, the model :func:`load_trained` picks by default.

Every file is written to a temporary name of its own and renamed, so a reader never sees half
a model; the renames of one save hold the folder's lock (:func:`model_store_lock`), so two
trainings saving at once never pair one's model with the other's id maps, and
:func:`load_trained` reads under the same lock (shared), so it never reads one save's model with
another's maps. Erasure rewrites a model under the lock too, and takes the erased member out of
the viewer counts at once (:func:`without_members`), and out of the counts a model keeps as its
weights (time-popular's per day and title: :func:`model_without_members`).
Loading uses ``allow_pickle=False`` throughout: a model file cannot run code.

Side information: models that read the catalogue (``uses_features``: session-ease) are fitted
with each item's genres and release year (:func:`catalog_features`; a series: its episodes'
genres and first release), catalogue data only; the others as before.

Consent: members who withdrew ``statistics`` or ``personalization``
(:func:`bingewise.privacy.consent.members_withheld_from_training`) are left out of the training
data, whatever calls :func:`train`: the registry given, else the configured one.

>>> # trained = train(warehouse, "ease"); trained = load_trained()
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bingewise.config import get_settings
from bingewise.console import progress
from bingewise.files import sha256_file
from bingewise.recommend._common import csr_from_state, csr_state, positive_times
from bingewise.recommend.base import Recommender, fit_model
from bingewise.recommend.features import ItemFeatures, title_year
from bingewise.recommend.interactions import (
    ConfidenceParams,
    ViewingInteractions,
    build_interactions,
    item_table,
)
from bingewise.registry import Registry
from bingewise.schema import Catalog, Recs
from bingewise.warehouse import Warehouse

__all__ = [
    "DEFAULT_MODEL",
    "NEIGHBOURS",
    "TrainedModel",
    "available_models",
    "counted_interactions",
    "counted_times",
    "load_trained",
    "model_store_lock",
    "model_without_members",
    "pair_viewers",
    "save_trained",
    "train",
    "viewers_per_item",
    "withheld_from_training",
    "without_members",
]

log = logging.getLogger(__name__)

#: The model ``bingewise train`` fits when none is named.
DEFAULT_MODEL = "ease"
#: Neighbours a "Because you watched" row fetches per source title
#: (:attr:`bingewise.recommend.rows.RowOptions.neighbours`); training keeps their pair counts.
NEIGHBOURS = 200
CURRENT_FILE = "current.json"
#: Array prefix of the pair counts in ``NAME.ids.npz`` (item-side: no member in it)
PAIRS_KEY = "pair_viewers"
#: Entries of the dense block of co-taker counts :func:`pair_viewers` holds at once (8 bytes
#: each: 32 MiB)
_PAIR_BLOCK_ENTRIES = 1 << 22
_EPOCH = dt.datetime(1970, 1, 1)


def available_models() -> dict[str, type[Recommender]]:
    """The production models by name (``bingewise.recommend.MODELS``)."""
    try:
        from bingewise.recommend import MODELS  # type: ignore[attr-defined]
    except ImportError as exc:  # pragma: no cover - only before the models land
        raise LookupError("no models are registered in bingewise.recommend.MODELS yet") from exc
    return dict(MODELS)


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model with the id maps of its training matrix."""

    model: Recommender
    member_ids: np.ndarray  #: int64, row i of the training matrix
    item_ids: np.ndarray  #: int64, column j: film title_id or series_id
    is_series: np.ndarray  #: bool, per column
    names: np.ndarray  #: str, display name per column
    as_of: dt.datetime  #: UTC (naive) time the training data stops at
    #: recency half-life the confidences were built with (0: none); the page builds the member's
    #: row with the same. None: a model file written before it was kept (the page's own applies)
    half_life_days: float | None = None
    #: share of the training interactions last taken six half-lives or more before ``as_of``
    #: (recency left them under 1/64 of their weight; :func:`_faded_share`)
    faded_share: float = 0.0
    #: members with viewing or ratings left out of training for consent (a count, never who);
    #: known only right after training (not kept in the model files)
    withheld_members: int = 0
    #: per column, the distinct training members with a positive interaction (float64 counts).
    #: None: a model file written before they were kept
    item_viewers: np.ndarray | None = None
    #: items x items, float64: row i, column j (one of i's nearest items by ``similar_items``)
    #: holds the distinct training members who took both (:func:`pair_viewers`); pairs not kept
    #: count as none. None: a model that is not personalized or not ``co_watched``
    #: (time-popular), or a file written before
    pair_viewers: sp.csr_matrix | None = None

    @property
    def name(self) -> str:
        """The model's registered name (``"ease"``, ...)."""
        return self.model.name

    def positions(self, item_ids: np.ndarray) -> np.ndarray:
        """Column position of each item id, -1 for items the model was not trained on."""
        lookup = {int(i): j for j, i in enumerate(self.item_ids)}
        return np.array([lookup.get(int(i), -1) for i in item_ids], dtype=np.int64)


def _faded_share(data: ViewingInteractions, params: ConfidenceParams) -> float:
    """Share of the interactions last taken six half-lives or more before ``as_of`` (0 without
    decay). By age, not by value: a recent interaction can weigh little (a sample) or nothing
    (0 seconds of a detailed export) without being old."""
    times = data.times
    if not params.decays() or times is None or times.nnz == 0:
        return 0.0
    as_of_s = (data.as_of - dt.datetime(1970, 1, 1)).total_seconds()
    age_days = (as_of_s - times.data) / 86400.0
    return float(np.mean(age_days >= 6 * params.half_life_days))


def train(
    warehouse: Warehouse,
    model: str | Recommender = DEFAULT_MODEL,
    *,
    as_of: dt.datetime | None = None,
    params: ConfidenceParams | None = None,
    models_dir: Path | None = None,
    models: Mapping[str, type[Recommender]] | None = None,
    registry: Registry | None = None,
) -> TrainedModel:
    """Fit ``model`` (a name in ``models``, default :data:`~bingewise.recommend.MODELS`, or an
    instance) and save it.

    Interactions are built from viewing and ratings up to ``as_of`` (default: the latest event
    or rating). Items never played or rated get no column (a model cannot learn them); they still
    appear in the popular rows. Raises :class:`LookupError` when there is nothing to train on.

    Members' consents are read from ``registry`` (default: the configured registry, when it
    exists: one not created yet holds no withdrawal); those withheld from training
    (:func:`~bingewise.privacy.consent.members_withheld_from_training`) are left out, and
    ``withheld_members`` counts those of them who had anything to train on.
    """
    if isinstance(model, str):
        known = dict(models) if models is not None else available_models()
        if model not in known:
            raise LookupError(f"unknown model {model!r}; known: {', '.join(sorted(known))}")
        recommender = known[model]()
    else:
        recommender = model
    with progress() as bar:
        task = bar.add_task(f"train {recommender.name}", total=3)
        withheld = withheld_from_training(registry)
        data: ViewingInteractions = build_interactions(
            warehouse, as_of=as_of, params=params, excluded_members=withheld
        )
        if data.interactions.matrix.nnz == 0:
            raise LookupError(
                f"nothing to train on: no viewing or ratings before "
                f"{data.as_of:%Y-%m-%d %H:%M} UTC (ingest some with `bingewise ingest`)"
            )
        bar.advance(task)
        items = item_table(warehouse)
        # the times of the interactions (without them a time-aware model is another one:
        # time-popular mere popularity, session-ease plain EASE), and for a model that reads
        # them the catalogue's genres and years of the columns
        fit_model(
            recommender,
            data.interactions.matrix,
            times=data.times,
            item_features=(
                catalog_features(items, data.item_ids) if type(recommender).uses_features else None
            ),
        )
        bar.advance(task)
        names_by_id = items[Recs.name]
        names = np.array([str(names_by_id.get(int(i), "")) for i in data.item_ids], dtype=np.str_)
        conf = params or ConfidenceParams()
        trained = TrainedModel(
            recommender,
            data.interactions.member_ids,
            data.item_ids,
            data.is_series,
            names,
            data.as_of,
            half_life_days=conf.half_life_days if conf.decays() else 0.0,
            faded_share=_faded_share(data, conf),
            withheld_members=data.withheld_members,
            item_viewers=viewers_per_item(data.interactions.matrix),
            pair_viewers=(
                pair_viewers(recommender, data.interactions.matrix)
                if type(recommender).personalized and type(recommender).co_watched
                else None
            ),
        )
        save_trained(trained, models_dir)
        bar.advance(task)
    shape = data.interactions.matrix.shape
    log.info(
        "trained %s on %d members x %d items; %d members left out for consent",
        recommender.name,
        shape[0],
        shape[1],
        data.withheld_members,
    )
    return trained


def catalog_features(items: pd.DataFrame, item_ids: np.ndarray) -> ItemFeatures | None:
    """Genres and release years of ``item_ids`` from :func:`item_table`'s ``items`` (a series:
    its episodes' genres, its first release); a film without a release date takes the year its
    title ends with, as MovieLens writes "Heat (1995)". None when no item has either."""
    known = items.reindex(np.asarray(item_ids, dtype=np.int64))
    genres = [list(g) if isinstance(g, tuple | list) else [] for g in known[Catalog.genres]]
    dates = pd.to_datetime(known[Catalog.release_date], errors="coerce")
    years = np.array(dates.dt.year.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
    names = known[Recs.name].fillna("").astype(str).to_numpy()
    series = known[Recs.is_series].fillna(False).astype(bool).to_numpy()
    for j in np.flatnonzero(np.isnan(years) & ~series):
        years[j] = title_year(names[j])
    features = ItemFeatures.from_lists(genres, years)
    return features if features.any() else None


def viewers_per_item(matrix: sp.spmatrix) -> np.ndarray:
    """Distinct members (rows) with a positive entry in each column, as float64.

    Floats, not integers, in the model store: erasure reads an integer array it does not know
    as one that may hold member ids (:func:`bingewise.privacy.erase.erase_from_model`), and a
    count of 5 is no member 5.
    """
    positive = sp.csr_matrix(matrix) > 0
    return np.asarray(positive.sum(axis=0), dtype=np.float64).ravel()


def pair_viewers(
    model: Recommender,
    matrix: sp.spmatrix,
    n: int = NEIGHBOURS,
    *,
    block_entries: int = _PAIR_BLOCK_ENTRIES,
) -> sp.csr_matrix:
    """For each item and each of its ``n`` nearest items (``model.similar_items``, positive
    similarity), the distinct members (rows of ``matrix``) with a positive entry on both.

    Returns an items x items CSR matrix of float64 counts (floats for the reason given in
    :func:`viewers_per_item`); pairs with no such member, and items outside the ``n`` nearest,
    are left out (they count as none). Counts come from the binary pattern of ``matrix``, a
    block of items at a time (``block_entries`` dense counts at most, 32 MiB, per core: blocks
    run on every core): the work is that
    of the item-item co-occurrence product, the memory two binary copies of ``matrix``.

    >>> # pair_viewers(model, x)[i, j]: members who took both item i and item j
    """
    taken = sp.csr_matrix(matrix) > 0
    n_items = taken.shape[1]
    k = min(n, n_items - 1)
    if k < 1 or taken.nnz == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float64)
    by_member = taken.astype(np.float32)  # members x items; float32 counts exact to 2**24
    by_item = sp.csr_matrix(by_member.T)  # items x members
    step = max(1, min(n_items, block_entries // n_items))
    asking = threading.Lock()  # similar_items one block at a time: models need not be thread-safe

    def count(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        block = np.arange(start, min(start + step, n_items), dtype=np.int64)
        with asking:
            ids, sims = model.similar_items(block, n=k)
        ids = np.asarray(ids, dtype=np.int64)
        sims = np.asarray(sims, dtype=np.float64)
        both = (by_item[block] @ by_member).toarray()  # block x items: members who took both
        kept = (ids >= 0) & np.isfinite(sims) & (sims > 0)
        counts = np.take_along_axis(both, np.maximum(ids, 0), axis=1)
        kept &= counts > 0
        at = np.nonzero(kept)
        return block[at[0]], ids[at], counts[at].astype(np.float64)

    # SciPy's sparse product releases the GIL: blocks on every core (each holds its own dense
    # block of counts, so memory is ``block_entries`` per core).
    workers = max(1, min(len(os.sched_getaffinity(0)), 8))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(count, range(0, n_items, step)))
    rows = [p[0] for p in parts]
    cols = [p[1] for p in parts]
    vals = [p[2] for p in parts]
    out = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )
    out.sum_duplicates()
    return out


def counted_interactions(
    warehouse: Warehouse,
    member_ids: Sequence[int],
    *,
    item_ids: np.ndarray,
    as_of: dt.datetime,
    half_life_days: float | None = None,
) -> sp.csr_matrix:
    """What ``member_ids`` took as a model's viewer counts count it: 1.0 where a member has a
    positive interaction with an item (members x ``item_ids``, float64), read by
    :func:`~bingewise.recommend.interactions.build_interactions` as training reads them
    (episodes rolled up to their series, supplemental videos left out, a dates-only play a
    whole title, a play of 0 seconds that names a profile nothing, ratings as finished plays,
    only before ``as_of``) with the model's recency half-life (None: the default).

    The other confidence parameters (rewatch weight, finishing share) change the weight of an
    interaction, never whether it is positive, so the model's id maps need not keep them.
    """
    return counted_times(
        warehouse, member_ids, item_ids=item_ids, as_of=as_of, half_life_days=half_life_days
    )[0]


def counted_times(
    warehouse: Warehouse,
    member_ids: Sequence[int],
    *,
    item_ids: np.ndarray,
    as_of: dt.datetime,
    half_life_days: float | None = None,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """:func:`counted_interactions` and the time training gave each of them (UTC seconds,
    stored where the first is: what a time-aware model was fitted with, and the day
    time-popular counted it on)."""
    params = ConfidenceParams()
    if half_life_days is not None:
        params = dataclasses.replace(params, half_life_days=half_life_days)
    data = build_interactions(
        warehouse, as_of=as_of, member_ids=list(member_ids), item_ids=item_ids, params=params
    )
    matrix = sp.csr_matrix(data.interactions.matrix)
    if data.times is None:  # (build_interactions keeps them)
        raise RuntimeError("interactions built without times")
    times = positive_times(matrix, data.times)
    return (matrix > 0).astype(np.float64), times


def _counted_by_maps(
    arrays: Mapping[str, np.ndarray], warehouse: Warehouse, member_ids: Sequence[int]
) -> tuple[sp.csr_matrix, sp.csr_matrix] | None:
    """:func:`counted_times` for the items, ``as_of`` and half-life of the id maps ``arrays``;
    None when the maps lack them (not written by :func:`save_trained`)."""
    if "item_ids" not in arrays or "as_of_us" not in arrays or not member_ids:
        return None
    kept = float(arrays["half_life_days"]) if "half_life_days" in arrays else float("nan")
    return counted_times(
        warehouse,
        member_ids,
        item_ids=np.asarray(arrays["item_ids"]).astype(np.int64),
        as_of=_EPOCH + dt.timedelta(microseconds=int(arrays["as_of_us"])),
        half_life_days=None if np.isnan(kept) else kept,
    )


def model_without_members(
    model_arrays: Mapping[str, np.ndarray],
    id_arrays: Mapping[str, np.ndarray],
    warehouse: Warehouse,
    member_ids: Sequence[int],
) -> dict[str, np.ndarray]:
    """A saved model's arrays (``NAME.npz``, its id maps ``id_arrays``) with ``member_ids``
    taken out of the counts the model keeps as its weights
    (:meth:`~bingewise.recommend.base.Recommender.state_without`: time-popular's, and
    session-blend's time-local part's, interactions per day and title, which the home page's
    time rule reads, and per title), read as training counted them (:func:`counted_times`, as
    of the model's ``as_of``); call it before their rows are deleted, as
    :func:`without_members`. A model of no known name, or maps without the items and time they
    count, come back unchanged; other weights wait for the retraining.
    """
    out = {k: np.asarray(v) for k, v in model_arrays.items()}
    if "__model__" not in out:
        return out
    cls = available_models().get(str(out["__model__"]))
    if cls is None or getattr(cls.state_without, "__func__", None) is getattr(
        Recommender.state_without, "__func__", None
    ):
        return out  # (counts nothing: no need to read the members' interactions)
    counted = _counted_by_maps(id_arrays, warehouse, member_ids)
    if counted is None:
        return out
    taken, times = counted
    state = {k: v for k, v in out.items() if k != "__model__"}
    return {**cls.state_without(state, taken, times), "__model__": out["__model__"]}


def without_members(
    arrays: Mapping[str, np.ndarray], warehouse: Warehouse, member_ids: Sequence[int]
) -> dict[str, np.ndarray]:
    """The id maps ``arrays`` (of a ``NAME.ids.npz``) with ``member_ids`` taken out of the
    viewer counts: ``item_viewers`` less the members who took each item, each kept pair of
    ``pair_viewers`` less the members who took both, both clamped at 0 and pairs left at 0
    dropped (training keeps no pair no one took). What the members took is read from
    ``warehouse`` as the model counted it (:func:`counted_interactions`, as of the model's
    ``as_of``), so call it before their rows are deleted. Erasure calls it
    (:func:`bingewise.privacy.erase.erase_from_model`): an erased member's history is gone
    afterwards, and the page could no longer subtract it as it does a withdrawn consent.

    Maps without counts, or without the items and the time they count (not written by
    :func:`save_trained`), come back unchanged; ``member_ids`` and the other arrays are not
    touched. A title the members took after ``as_of`` is not subtracted (the model never saw
    it); viewing ingested after the training but dated before ``as_of`` is, though the model
    may not have counted it: fewer titles shown, never more.
    """
    out = {k: np.asarray(v) for k, v in arrays.items()}
    has_pairs = f"{PAIRS_KEY}_indptr" in out
    if ("item_viewers" not in out and not has_pairs) or not member_ids:
        return out
    counted = _counted_by_maps(out, warehouse, member_ids)
    if counted is None:
        return out
    taken = counted[0]
    if "item_viewers" in out:
        viewers = out["item_viewers"].astype(np.float64) - viewers_per_item(taken)
        out["item_viewers"] = np.maximum(viewers, 0.0)
    if has_pairs:
        state = {k: v for k, v in out.items() if k.startswith(PAIRS_KEY)}
        pairs = sp.csr_matrix(csr_from_state(PAIRS_KEY, state), dtype=np.float64)
        rows = np.repeat(np.arange(pairs.shape[0]), np.diff(pairs.indptr))
        both = np.zeros(pairs.nnz, dtype=np.float64)
        for r in range(taken.shape[0]):  # a member at a time: nnz booleans at most
            took = np.zeros(pairs.shape[1], dtype=bool)
            took[taken.indices[taken.indptr[r] : taken.indptr[r + 1]]] = True
            both += took[rows] & took[pairs.indices]
        fewer = sp.csr_matrix(
            (np.maximum(pairs.data - both, 0.0), pairs.indices.copy(), pairs.indptr.copy()),
            shape=pairs.shape,
        )
        fewer.eliminate_zeros()
        for key in state:
            del out[key]
        out.update(csr_state(PAIRS_KEY, fewer))
    return out


def withheld_from_training(registry: Registry | None = None) -> set[int]:
    """Members whose viewing may not train a model, read from ``registry``.

    Without one, the configured registry is read when it exists (a SQLite registry not created
    yet holds no consent change, so no withdrawal); it is never created here.
    """
    from bingewise.privacy.consent import members_withheld_from_training

    if registry is not None:
        return members_withheld_from_training(registry)
    settings = get_settings()
    if not settings.database_url and not settings.registry_path.exists():
        return set()
    opened = Registry.open(settings.registry_url)
    try:
        return members_withheld_from_training(opened)
    finally:
        opened.close()


def save_trained(trained: TrainedModel, models_dir: Path | None = None) -> Path:
    """Write ``NAME.npz``, ``NAME.ids.npz`` and ``current.json``; returns the model path.

    Each call writes to temporary files of its own (removed if the save fails), and renames them
    into place while holding a lock on the folder: two trainings saving at once (two processes,
    or the same model twice) leave one run's model with that same run's id maps.
    """
    folder = models_dir or get_settings().models_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = trained.name
    model_path = folder / f"{name}.npz"
    tmp_model = _temporary(folder, f".{name}.", ".tmp.npz")
    tmp_ids = _temporary(folder, f".{name}.ids.", ".tmp.npz")
    tmp_current = _temporary(folder, f".{CURRENT_FILE}.", ".tmp")
    try:
        trained.model.save(tmp_model)
        digest = sha256_file(tmp_model)
        as_of_us = int((trained.as_of - _EPOCH) / dt.timedelta(microseconds=1))
        arrays: dict[str, np.ndarray] = {
            "member_ids": np.asarray(trained.member_ids, dtype=np.int64),
            "item_ids": np.asarray(trained.item_ids, dtype=np.int64),
            "is_series": np.asarray(trained.is_series, dtype=bool),
            "names": np.asarray(trained.names, dtype=np.str_),
            "as_of_us": np.array(as_of_us, dtype=np.int64),
            "half_life_days": np.array(
                np.nan if trained.half_life_days is None else trained.half_life_days,
                dtype=np.float64,
            ),
            "model_sha256": np.array(digest),
            "model": np.array(name),
        }
        if trained.item_viewers is not None:
            arrays["item_viewers"] = np.asarray(trained.item_viewers, dtype=np.float64)
        if trained.pair_viewers is not None:
            pairs = sp.csr_matrix(trained.pair_viewers, dtype=np.float64)
            arrays.update(csr_state(PAIRS_KEY, pairs))
        np.savez(tmp_ids, **arrays)  # type: ignore[arg-type]
        tmp_current.write_text(json.dumps({"model": name}), encoding="utf-8")
        with model_store_lock(folder):  # one save's renames never interleave with another's
            os.replace(tmp_model, model_path)
            os.replace(tmp_ids, folder / f"{name}.ids.npz")
            os.replace(tmp_current, folder / CURRENT_FILE)
    finally:
        for tmp in (tmp_model, tmp_ids, tmp_current):
            tmp.unlink(missing_ok=True)
    return model_path


def _temporary(folder: Path, prefix: str, suffix: str) -> Path:
    """A new empty file ``folder/prefix*suffix`` no other call shares (same folder as its
    destination, so the rename into place is atomic)."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(path)


@contextmanager
def model_store_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the lock of the model folder ``folder`` for the block: exclusive (a save's renames,
    an erasure's rewrite: every other holder waits) or ``shared`` (a load: other loads go on,
    a save or an erasure waits for it). The lock dies with the process, so a killed save never
    leaves the store locked. Each call opens the folder anew: a thread that holds the lock and
    asks for it again waits for itself."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def load_trained(
    name: str | None = None,
    *,
    models_dir: Path | None = None,
    models: Mapping[str, type[Recommender]] | None = None,
) -> TrainedModel:
    """The trained model ``name`` (default: the last one trained) with its id maps.

    Raises :class:`FileNotFoundError` (with the hint to run ``bingewise train``) when the store
    holds no such model, and :class:`ValueError` when the model file and its id maps do not
    belong to the same training run.

    The files are read under the folder's shared lock (:func:`model_store_lock`): a save
    renames its files, and an erasure rewrites them, under the exclusive one, so a load reads
    the model and the id maps of one save, never one's model with the other's maps (a check
    of the model's SHA-256 alone could pass, then the model be replaced before it is read).
    """
    folder = models_dir or get_settings().models_dir
    registry = dict(models) if models is not None else available_models()
    if name is not None and name not in registry:
        raise LookupError(f"unknown model {name!r}: choose from {', '.join(sorted(registry))}")
    with model_store_lock(folder, shared=True) if folder.is_dir() else nullcontext():
        return _load_trained(folder, name, registry)


def _load_trained(
    folder: Path, name: str | None, registry: Mapping[str, type[Recommender]]
) -> TrainedModel:
    """:func:`load_trained` once the folder is locked (or missing)."""
    if name is None:
        current = folder / CURRENT_FILE
        if not current.exists():
            raise FileNotFoundError(f"{folder}: no trained model; run `bingewise train` first")
        name = str(json.loads(current.read_text(encoding="utf-8"))["model"])
    model_path = folder / f"{name}.npz"
    ids_path = folder / f"{name}.ids.npz"
    if not model_path.exists() or not ids_path.exists():
        raise FileNotFoundError(
            f"{model_path}: no trained {name!r} model; run `bingewise train --model {name}`"
        )
    if name not in registry:
        raise LookupError(f"{model_path}: model {name!r} is not registered")
    with np.load(ids_path, allow_pickle=False) as ids:
        if str(ids["model_sha256"]) != sha256_file(model_path):
            raise ValueError(
                f"{ids_path}: id maps belong to another training run of {name!r} (a training "
                f"stopped while saving?); run `bingewise train --model {name}` again"
            )
        member_ids = ids["member_ids"].astype(np.int64)
        item_ids = ids["item_ids"].astype(np.int64)
        is_series = ids["is_series"].astype(bool)
        names = ids["names"].astype(np.str_)
        as_of = _EPOCH + dt.timedelta(microseconds=int(ids["as_of_us"]))
        kept = float(ids["half_life_days"]) if "half_life_days" in ids.files else float("nan")
        viewers = ids["item_viewers"].astype(np.float64) if "item_viewers" in ids.files else None
        pairs = (
            csr_from_state(PAIRS_KEY, {k: ids[k] for k in ids.files if k.startswith(PAIRS_KEY)})
            if f"{PAIRS_KEY}_indptr" in ids.files
            else None
        )
    model = registry[name].load(model_path)
    half_life = None if np.isnan(kept) else kept
    return TrainedModel(
        model,
        member_ids,
        item_ids,
        is_series,
        names,
        as_of,
        half_life,
        item_viewers=viewers,
        pair_viewers=pairs,
    )
