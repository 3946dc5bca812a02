"""Erasure: remove a member from every store and keep only a tombstone.

``erase_member`` reaches (the models first, then the rest in this order):

1. **Warehouse** (DuckDB): every table with a ``member_id`` column (events, members, ratings,
   daily aggregates and any derived table analytics has materialised: plays, sessions...), the
   quarantine rows that carry the member's data (rows attributed to them when rejected, rows
   mentioning their id or email, every row of a file only they contributed to, rows of a shared
   file that name their profile), the catalog titles their Netflix export brought that no one
   else watched or rated (an export has no catalog of its own: its titles are what they
   watched), the record of every file only they contributed to (``ingested_files``: name,
   SHA-256, row counts), and any remaining mention of their id or email in a text
   column (replaced by ``[erased]``). The file is then compacted (copied into a fresh file)
   because DuckDB keeps deleted values in free blocks.
2. **Registry** (SQL): every table with a ``member_id`` column (members, consent events, and the
   outbox and message log once messaging adds them); the audit log is *not* deleted but
   unlinked — the member's entries keep who read what and when, with ``member_id`` NULL and their
   id or email scrubbed from reasons — so the log still shows that an erasure happened (action
   ``member.erase``, resource naming the tombstone) without saying whom it was about.
3. **Models** (``settings.models_dir``, ``.npz``), done first, while the warehouse still holds
   the member's rows: member-side rows (factors, interaction rows) are removed now, and the
   viewer counts a model keeps for the home page's minimum (``item_viewers``,
   ``pair_viewers``) lose the member's interactions, read as training reads them
   (:func:`bingewise.recommend.train.without_members`), and so do the counts a model keeps as
   its weights (time-popular's, and session-blend's time-local part's, per day and title, which
   the page's time rule reads: :func:`bingewise.recommend.train.model_without_members`);
   item-side models that learned from the member are recorded in ``retrain_requests`` to be
   retrained at the next training (see :func:`erase_from_model`).
4. **Outbox and caches**: the Parquet copies a killed ``facts --engine spark`` run left under
   the data folder (:func:`_erase_outbox_and_caches` is the place for any other).
5. **Tombstone**: ``HMAC-SHA256(secret_key, member_id)`` and the date, so that re-ingesting an
   old file does not bring the member back (:mod:`bingewise.privacy.tombstone`).

Published differentially private releases stay: they hold no member-level data and the law
allows keeping them. Export files already handed to the member are theirs, not ours.

Model-file contract (what :func:`erase_from_model` understands): a model is ``NAME.npz`` with,
optionally, its id maps ``NAME.ids.npz`` (:mod:`bingewise.recommend.train`); an array whose name
ends in ``member_ids`` lists the member of each row; arrays named ``user_*`` or ``member_*``
with that many rows are member-side (one row per member); a sparse matrix stored as ``<p>_data``,
``<p>_indices``, ``<p>_indptr`` (and optionally ``<p>_shape``) whose ``indptr`` has one entry more
than the ids is a member-rows matrix. Every other array is item-side. A file that keeps the
member's id anywhere else, or member-side arrays without ids, is deleted whole and queued for
retraining: when in doubt, forget.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import sqlalchemy as sa

from bingewise.config import get_settings
from bingewise.files import SPARK_SCRATCH, sha256_file, sweep_scratch
from bingewise.privacy.audit import (
    ERASED,
    anonymize_entries,
    audited,
    member_mentions,
    mention_pattern,
    sql_mention_regex,
)
from bingewise.privacy.tombstone import add_tombstone, tombstone_hash
from bingewise.registry import Registry
from bingewise.registry.tables import audit_log, metadata, retrain_requests, tombstones
from bingewise.schema import (
    Catalog,
    Events,
    IngestedFiles,
    Members,
    Quarantine,
    Ratings,
    RetrainRequests,
)
from bingewise.warehouse import Warehouse, add_missing_columns

__all__ = [
    "ErasureReport",
    "compact_warehouse",
    "erase_from_model",
    "erase_member",
    "mark_retrained",
    "member_quarantine_rowids",
    "only_theirs",
    "pending_retrains",
]

log = logging.getLogger(__name__)

ERASURE_REASON = "erasure"
#: A file's quarantined rows are recorded at most this long before the file itself.
_SAME_INGESTION = dt.timedelta(minutes=10)


@dataclass
class ErasureReport:
    """What an erasure removed, in counts (no member data)."""

    tombstone: str  #: the tombstone hash kept
    warehouse_rows: dict[str, int] = field(default_factory=dict)  #: table -> rows deleted
    warehouse_redacted: int = 0  #: text values where the id or email was replaced
    registry_rows: dict[str, int] = field(default_factory=dict)  #: table -> rows deleted
    audit_entries_unlinked: int = 0
    models_rewritten: list[str] = field(default_factory=list)  #: member rows removed
    models_deleted: list[str] = field(default_factory=list)  #: deleted whole, to retrain
    retrain_requested: list[str] = field(default_factory=list)  #: item-side, retrain next time
    outbox_and_caches: int = 0

    @property
    def total_rows(self) -> int:
        """All rows deleted across the warehouse and the registry."""
        return sum(self.warehouse_rows.values()) + sum(self.registry_rows.values())


# --------------------------------------------------------------------------------------------
# Warehouse


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _member_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND column_name = ? "
        "AND table_name IN (SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE') ORDER BY table_name",
        [Events.member_id],
    ).fetchall()
    return [r[0] for r in rows]


def _literal(text: str) -> str:
    """A SQL string literal (a constant regex is compiled once; a bound one is very slow)."""
    return "'" + text.replace("'", "''") + "'"


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE' "
        "AND c.data_type = 'VARCHAR' ORDER BY 1, 2"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _fields(raw: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(raw)), [])
    except csv.Error:
        return [raw]


def _identity(con: duckdb.DuckDBPyConnection, member_id: int) -> tuple[str | None, int | None]:
    """The member's profile name and household id, from the members table or their events."""
    for table in (Members.table, Events.table):
        row = con.execute(
            f"SELECT {_q(Members.profile)}, {_q(Members.household_id)} FROM {_q(table)} "
            f"WHERE {_q(Members.member_id)} = ? AND {_q(Members.profile)} IS NOT NULL LIMIT 1",
            [member_id],
        ).fetchone()
        if row is not None:
            return row[0], row[1]
    return None, None


def member_quarantine_rowids(
    con: duckdb.DuckDBPyConnection, member_id: int, mentions: list[str]
) -> set[int]:
    """Row ids of the quarantine rows that carry this member's data.

    A quarantined row is the member's when it was attributed to them when rejected (its
    ``member_id``: the reader could read the member it names, whatever the id's length), when
    its text mentions their id (when distinctive, see
    :func:`~bingewise.privacy.audit.member_mentions`) or email (whole token), when it comes from
    a file whose stored events are all theirs (a personal export), or when it comes from a file
    whose events are all their household's and one of its fields is their profile name (a
    household export; in a file of several households a profile name such as "Kids" is
    anyone's). Files are linked by ``Events.source``, a prefix of the file's
    SHA-256; their quarantined rows are those with the file's name recorded in the same
    ingestion (up to :data:`_SAME_INGESTION` before the file), since names such as
    ``ViewingActivity.csv`` recur. Call before deleting the member's events.
    """
    regex = sql_mention_regex(mentions)
    q, raw, src = _q(Quarantine.table), _q(Quarantine.raw), _q(Quarantine.source)
    rowids = {
        int(r[0])
        for r in con.execute(
            f"SELECT rowid FROM {q} WHERE {_q(Quarantine.member_id)} = ?", [member_id]
        ).fetchall()
    }
    if regex is not None:
        for (rowid,) in con.execute(
            f"SELECT rowid FROM {q} WHERE regexp_matches({raw}, {_literal(regex)})"
        ).fetchall():
            rowids.add(int(rowid))
    profile, household = _identity(con, member_id)
    ev, s, mid = _q(Events.table), _q(Events.source), _q(Events.member_id)
    hh = _q(Events.household_id)
    files = _q(IngestedFiles.table)
    sha, name = _q(IngestedFiles.sha256), _q(IngestedFiles.name)
    at = _q(IngestedFiles.ingested_utc)
    linked = con.execute(
        f"""
        WITH mine AS (
            SELECT DISTINCT {s} AS src FROM {ev}
            WHERE ({mid} = ? OR {hh} = ?) AND {s} IS NOT NULL
        ),
        others AS (
            SELECT DISTINCT {s} AS src FROM {ev}
            WHERE {s} IN (SELECT src FROM mine) AND {mid} IS DISTINCT FROM ?
        ),
        strangers AS (
            SELECT DISTINCT {s} AS src FROM {ev}
            WHERE {s} IN (SELECT src FROM mine) AND {mid} IS DISTINCT FROM ?
            AND ({hh} IS DISTINCT FROM ? OR {hh} IS NULL)
        )
        SELECT DISTINCT f.{name}, f.{at}, m.src IN (SELECT src FROM others) AS is_shared,
            m.src IN (SELECT src FROM strangers) AS has_strangers
        FROM mine m JOIN {files} f ON starts_with(f.{sha}, m.src)
        """,
        [member_id, household, member_id, member_id, household],
    ).fetchall()
    for file_name, file_at, is_shared, has_strangers in linked:
        if has_strangers:
            continue  # a file of several households: only a mention of the member is theirs
        # Rows quarantined by the same ingestion: same name, recorded just before the file.
        rows = con.execute(
            f"SELECT rowid, {raw} FROM {q} WHERE {src} = ? "
            f"AND {_q(Quarantine.ingested_utc)} BETWEEN ? AND ?",
            [file_name, file_at - _SAME_INGESTION, file_at],
        ).fetchall()
        for rowid, text in rows:
            if not is_shared or (profile and text is not None and profile in _fields(text)):
                rowids.add(int(rowid))
    return rowids


def only_theirs(con: duckdb.DuckDBPyConnection, member_id: int) -> tuple[list[int], list[str]]:
    """Catalog titles and ingested-file records that are the member's alone.

    A Netflix export has no catalog of its own: its titles come from its viewing rows, so a
    title of the member's export that no other member watched or rated tells what they watched.
    A file whose stored events and ratings are all the member's (a personal export) is their
    record too: its name, SHA-256 and row counts (a member's export lists these files). Returns
    (title ids, file SHA-256s). Call before deleting the member's rows.
    """
    from bingewise.ingest.netflix import NetflixViewingActivity, NetflixViewingHistory

    ev, rt = _q(Events.table), _q(Ratings.table)
    mid, src, tid = _q(Events.member_id), _q(Events.source), _q(Events.title_id)
    files, sha = _q(IngestedFiles.table), _q(IngestedFiles.sha256)
    fmt = _q(IngestedFiles.format)
    # One pass over the rows, grouped by source file (few groups); only then the files, whose
    # name is matched by prefix (a join that is no equality, so kept to the grouped sources).
    sources = con.execute(
        f"""
        WITH r AS (
            SELECT {mid} AS m, {src} AS s FROM {ev} UNION ALL
            SELECT {_q(Ratings.member_id)}, {_q(Ratings.source)} FROM {rt}
        ),
        g AS (
            SELECT s, bool_or(m = ?) AS mine, bool_or(m IS DISTINCT FROM ?) AS others
            FROM r WHERE s IS NOT NULL GROUP BY s
        )
        SELECT f.{sha}, g.s, bool_or(g.others) OVER (PARTITION BY f.{sha}), f.{fmt}
        FROM g JOIN {files} f ON starts_with(f.{sha}, g.s) WHERE g.mine
        """,
        [member_id, member_id],
    ).fetchall()
    shas = sorted({str(r[0]) for r in sources if not r[2]})
    exports = {NetflixViewingActivity.name, NetflixViewingHistory.name}
    from_exports = sorted({str(r[1]) for r in sources if r[3] in exports})
    titles = con.execute(
        f"""
        SELECT DISTINCT {tid} FROM {ev}
        WHERE {mid} = ? AND {src} IN (SELECT unnest(?::VARCHAR[]))
        EXCEPT SELECT {tid} FROM {ev} WHERE {mid} IS DISTINCT FROM ?
        EXCEPT SELECT {_q(Ratings.title_id)} FROM {rt}
        WHERE {_q(Ratings.member_id)} IS DISTINCT FROM ?
        """,
        [member_id, from_exports, member_id, member_id],
    ).fetchall()
    return [int(r[0]) for r in titles], shas


def _erase_warehouse(
    path: Path, member_id: int, mentions: list[str], report: ErasureReport
) -> None:
    """Delete the member from the DuckDB file at ``path``."""
    con = duckdb.connect(str(path))
    mid = _q(Members.member_id)
    try:
        add_missing_columns(con)  # a warehouse of an older version: quarantine.member_id
        con.execute("BEGIN TRANSACTION")
        try:
            quarantine = member_quarantine_rowids(con, member_id, mentions)
            if quarantine:
                con.execute(
                    f"DELETE FROM {_q(Quarantine.table)} WHERE rowid IN "
                    f"(SELECT unnest(?::BIGINT[]))",
                    [sorted(quarantine)],
                )
            report.warehouse_rows[Quarantine.table] = len(quarantine)
            titles, shas = only_theirs(con, member_id)
            for table, column, values, kind in (
                (Catalog.table, Catalog.title_id, titles, "BIGINT"),
                (IngestedFiles.table, IngestedFiles.sha256, shas, "VARCHAR"),
            ):
                deleted = con.execute(
                    f"DELETE FROM {_q(table)} WHERE {_q(column)} IN "
                    f"(SELECT unnest(?::{kind}[])) RETURNING 1",
                    [values],
                ).fetchall()
                report.warehouse_rows[table] = len(deleted)
            for table in _member_tables(con):
                if table == Quarantine.table:
                    continue  # done above, with the rows found otherwise
                deleted = con.execute(
                    f"DELETE FROM {_q(table)} WHERE {mid} = ? RETURNING 1", [member_id]
                ).fetchall()
                report.warehouse_rows[table] = len(deleted)
            report.warehouse_redacted = _redact_text(con, mentions)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def _redact_text(con: duckdb.DuckDBPyConnection, mentions: list[str]) -> int:
    """Replace the member's id or email wherever a text value still mentions it."""
    pattern, regex = mention_pattern(mentions), sql_mention_regex(mentions)
    if pattern is None or regex is None:
        return 0
    changed = 0
    for table, column in _text_columns(con):
        t, c = _q(table), _q(column)
        rows = con.execute(
            f"SELECT rowid, {c} FROM {t} WHERE regexp_matches({c}, {_literal(regex)})"
        ).fetchall()
        for rowid, value in rows:
            new = pattern.sub(ERASED, value)
            if new != value:
                con.execute(f"UPDATE {t} SET {c} = ? WHERE rowid = ?", [new, rowid])
                changed += 1
    return changed


def compact_warehouse(path: str | Path) -> None:
    """Rewrite the DuckDB file at ``path`` into a fresh file, leaving no deleted values behind.

    DuckDB marks deleted rows and frees blocks but does not overwrite them, so an erased
    member's values could still be read from the raw file. Copying the database into a new
    file and replacing the old one leaves only live data. Needs the file closed elsewhere.
    """
    path = Path(path)
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        source = con.execute("SELECT current_database()").fetchone()
        assert source is not None
        con.execute(f"ATTACH '{fresh.as_posix()}' AS bw_compact")
        con.execute(f"COPY FROM DATABASE {_q(source[0])} TO bw_compact")
        con.execute("DETACH bw_compact")
    finally:
        con.close()
    os.replace(fresh, path)
    for stale in (path.with_name(path.name + ".wal"), fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Registry


def _erase_registry(
    registry: Registry, member_id: int, mentions: list[str], report: ErasureReport, compact: bool
) -> None:
    skip = {audit_log.name, tombstones.name}
    touched: list[str] = []
    with registry.engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name in skip or Events.member_id not in table.c:
                continue
            deleted = conn.execute(
                table.delete().where(table.c[Events.member_id] == member_id)
            ).rowcount
            report.registry_rows[table.name] = int(deleted)
            if deleted:
                touched.append(table.name)
        report.audit_entries_unlinked = anonymize_entries(conn, member_id, mentions)
        add_tombstone(conn, member_id)
    if compact:
        _vacuum(registry, [*touched, audit_log.name])


def _vacuum(registry: Registry, tables: list[str]) -> None:
    """Rewrite registry storage so deleted rows do not linger in free pages."""
    engine = registry.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("VACUUM")
        elif engine.dialect.name == "postgresql":
            for name in tables:
                conn.exec_driver_sql(f"VACUUM (FULL) {_q(name)}")


def pending_retrains(registry: Registry) -> list[str]:
    """Model files (relative to the models folder) waiting to be retrained, oldest first."""
    query = (
        sa.select(retrain_requests.c.model)
        .where(retrain_requests.c.done_utc.is_(None))
        .group_by(retrain_requests.c.model)
        .order_by(sa.func.min(retrain_requests.c.id))
    )
    with registry.engine.connect() as conn:
        return [str(m) for m in conn.execute(query).scalars()]


def mark_retrained(registry: Registry, model: str, *, read_from: dt.datetime | None = None) -> int:
    """Training calls this after retraining ``model``; returns requests closed.

    ``read_from``: when the training began to read the warehouse (UTC, naive or aware). Only
    requests made before it are closed: an erasure or withdrawal that came while the training
    ran may have reached the warehouse after the training read the member's rows, so its
    request stays open for the next training. Without it, every open request is closed.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    where = [retrain_requests.c.model == model, retrain_requests.c.done_utc.is_(None)]
    if read_from is not None:
        if read_from.tzinfo is not None:
            read_from = read_from.astimezone(dt.UTC).replace(tzinfo=None)
        where.append(retrain_requests.c.requested_utc < read_from)
    with registry.engine.begin() as conn:
        return int(
            conn.execute(
                retrain_requests.update().where(*where).values({RetrainRequests.done_utc: now})
            ).rowcount
        )


def _request_retrain(registry: Registry, models: list[str], reason: str = ERASURE_REASON) -> None:
    if not models:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with registry.engine.begin() as conn:
        conn.execute(
            retrain_requests.insert(),
            [
                {
                    RetrainRequests.model: m,
                    RetrainRequests.reason: reason,
                    RetrainRequests.requested_utc: now,
                    RetrainRequests.done_utc: None,
                }
                for m in models
            ],
        )


def request_retrain_of_models_with(
    registry: Registry, member_id: int, reason: str, models_dir: Path | None = None
) -> list[str]:
    """Queue for retraining every model that learned from ``member_id``; returns them.

    A model learned from the member when its id maps list them (``*member_ids``); a model that
    lists no members cannot tell, and is queued too. For a member whose data may no longer train
    the models (consent withdrawn, :data:`bingewise.privacy.consent.TRAINING_PURPOSES`);
    ``reason`` says why, never who.
    """
    from bingewise.recommend.train import model_store_lock

    folder = models_dir if models_dir is not None else get_settings().models_dir
    queued: list[str] = []
    if not folder.exists():
        return queued
    for rel, group in model_groups(folder).items():
        listed = False
        learnt = False
        with model_store_lock(group[0].parent, shared=True):  # one save's files, as a load
            for path in group:
                try:
                    with np.load(path, allow_pickle=False) as data:
                        for key in data.files:
                            if key.endswith("member_ids"):
                                listed = True
                                learnt = learnt or bool((data[key] == member_id).any())
                except (OSError, ValueError, zipfile.BadZipFile):
                    listed = False  # unreadable: it cannot be checked, so it is retrained
                    break
        if learnt or not listed:
            queued.append(rel)
    _request_retrain(registry, queued, reason)
    return queued


# --------------------------------------------------------------------------------------------
# Models


_CSR_SUFFIXES = ("_data", "_indices", "_indptr", "_shape")
#: Array names of member-side state (rows per member): ``user_factors``, ``member_ids``...
_MEMBER_SIDE = ("user_", "member_")


def _is_int(a: np.ndarray) -> bool:
    return a.dtype.kind in "iu"


def model_groups(models_dir: Path) -> dict[str, list[Path]]:
    """``.npz`` files by model name (relative to ``models_dir``): NAME.npz and NAME.ids.npz."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(models_dir.rglob("*.npz")):
        name = path.name
        stem = name[: -len(".ids.npz")] if name.endswith(".ids.npz") else name[: -len(".npz")]
        rel = path.with_name(stem).relative_to(models_dir).as_posix()
        groups.setdefault(rel, []).append(path)
    return groups


def erase_from_model(paths: list[Path], member_id: int, warehouse: Warehouse | None = None) -> str:
    """Remove ``member_id`` from one model (its ``.npz`` files); returns what happened.

    ``"untouched"``: the model lists its members and this member is not among them.
    ``"rewritten"``: their member-side rows were removed; item-side arrays remain and the
    model needs retraining to forget their influence on items.
    ``"item-side"``: the model holds no member rows or ids (e.g. a bare item-item matrix) so it
    cannot tell whether the member contributed: it needs retraining.
    ``"deleted"``: the files keep the member somewhere this contract does not understand, so
    they were deleted whole and the model needs retraining.

    A ``model_sha256`` array in the id maps (see :mod:`bingewise.recommend.train`) is updated to
    the rewritten model file, so model and id maps still pair up.

    With ``warehouse`` (still holding the member's rows), id maps that list the member and keep
    viewer counts (``item_viewers``, ``pair_viewers``) have the member taken out of them too, in
    the same write (:func:`bingewise.recommend.train.without_members`), and the model file's
    own counts (time-popular's per day and title:
    :func:`bingewise.recommend.train.model_without_members`): the home page's minimum of
    counted members holds from the erasure on, not from the retraining. The caller
    holds the model folder's lock (:func:`bingewise.recommend.train.model_store_lock`).
    """
    arrays: dict[Path, dict[str, np.ndarray]] = {}
    for path in paths:
        with np.load(path, allow_pickle=False) as data:
            arrays[path] = {k: data[k] for k in data.files}
    flat = [(p, k, a) for p, d in arrays.items() for k, a in d.items()]
    id_keys = [(p, k) for p, k, a in flat if k.endswith("member_ids") and a.ndim == 1]
    csr_parts = {
        (p, k[: -len("_indptr")] + suffix)
        for p, k, _ in flat
        if k.endswith("_indptr")
        for suffix in _CSR_SUFFIXES
    }
    member_side = [
        (p, k)
        for p, k, _ in flat
        if k.startswith(_MEMBER_SIDE) and (p, k) not in id_keys and (p, k) not in csr_parts
    ]
    # The parts of item-side sparse matrices (an item-item similarity): item positions, never
    # member ids, and never cut by member, even when there are as many members as items.
    item_csr = {(p, k) for p, k in csr_parts if not k.startswith(_MEMBER_SIDE)}

    def delete_all() -> str:
        for path in paths:
            path.unlink(missing_ok=True)
        return "deleted"

    if not id_keys:
        return delete_all() if member_side else "item-side"
    from bingewise.recommend.train import model_without_members, without_members

    out = {p: dict(d) for p, d in arrays.items()}
    counted: set[Path] = set()  # id maps whose viewer counts the member was taken out of
    found = False
    for id_path, id_key in id_keys:
        ids = arrays[id_path][id_key]
        keep = ids != member_id
        if keep.all():
            continue
        if warehouse is not None and id_path not in counted:  # once per file
            for p, d in arrays.items():  # the model file's own counts (time-popular's days)
                if p != id_path and "__model__" in d:
                    out[p] = model_without_members(d, arrays[id_path], warehouse, [member_id])
            out[id_path] = without_members(out[id_path], warehouse, [member_id])
            counted.add(id_path)
        found = True
        n = len(ids)
        out[id_path][id_key] = ids[keep]
        for p, k in member_side:
            a = arrays[p][k]
            if a.ndim >= 1 and a.shape[0] == n:
                out[p][k] = a[keep]
        for p, d in arrays.items():
            for k, a in d.items():
                member_rows = k.startswith(_MEMBER_SIDE)
                if member_rows and k.endswith("_indptr") and a.ndim == 1 and len(a) == n + 1:
                    _drop_csr_rows(out[p], k[: -len("_indptr")], keep)
    if not found:
        return "untouched"
    for p, d in out.items():
        left = [a for k, a in d.items() if (p, k) not in item_csr]
        if any(_is_int(a) and a.size and bool((a == member_id).any()) for a in left):
            return delete_all()
    for p, _k in member_side:
        shapes = {out[ip][ik].shape[0] for ip, ik in id_keys}
        if out[p][_k].ndim >= 1 and out[p][_k].shape[0] not in shapes:
            return delete_all()  # a member-side array not aligned with any id list
    written: dict[Path, str] = {}
    ordered = sorted(paths, key=lambda p: "model_sha256" in out[p])  # model file before id maps
    for path in ordered:
        d = out[path]
        if "model_sha256" in d:
            model_file = next((q for q in written if q != path), None)
            if model_file is not None:
                d["model_sha256"] = np.array(written[model_file])
        fresh = path.with_name(f".{path.name}.erase.tmp.npz")
        np.savez(fresh, **d)  # type: ignore[arg-type]
        os.replace(fresh, path)
        written[path] = sha256_file(path)
    return "rewritten"


def _drop_csr_rows(arrays: dict[str, Any], prefix: str, keep: np.ndarray) -> None:
    """Remove rows where ``keep`` is False from the CSR matrix stored under ``prefix``."""
    indptr = arrays[f"{prefix}_indptr"]
    data_key, indices_key = f"{prefix}_data", f"{prefix}_indices"
    counts = np.diff(indptr)
    entry_keep = np.repeat(keep, counts)
    for key in (data_key, indices_key):
        if key in arrays:
            arrays[key] = arrays[key][entry_keep]
    arrays[f"{prefix}_indptr"] = np.concatenate([[0], np.cumsum(counts[keep])]).astype(indptr.dtype)
    shape_key = f"{prefix}_shape"
    if shape_key in arrays:
        shape = arrays[shape_key].copy()
        shape[0] = int(keep.sum())
        arrays[shape_key] = shape


def _erase_models(
    registry: Registry,
    models_dir: Path,
    member_id: int,
    report: ErasureReport,
    warehouse_path: Path,
) -> None:
    """Erase the member from every model under ``models_dir``; call it before the warehouse
    step, which deletes the rows the models' viewer counts are taken down by."""
    from bingewise.recommend.train import model_store_lock

    retrain: list[str] = []
    groups = model_groups(models_dir) if models_dir.exists() else {}
    wh = (
        Warehouse.open(warehouse_path, read_only=True)
        if groups and warehouse_path.exists()
        else None
    )
    try:
        for rel, group in groups.items():
            # The folder's lock, as a save's renames and a load take it: no save lands between
            # the read and the rewrite, and no load reads a model half rewritten.
            with model_store_lock(group[0].parent):
                try:
                    outcome = erase_from_model(group, member_id, wh)
                except (OSError, ValueError, zipfile.BadZipFile):
                    # Unreadable as plain .npz: it cannot be checked, so it cannot be kept.
                    for path in group:
                        path.unlink(missing_ok=True)
                    outcome = "deleted"
            if outcome == "rewritten":
                report.models_rewritten.append(rel)
            elif outcome == "deleted":
                report.models_deleted.append(rel)
            if outcome != "untouched":
                retrain.append(rel)
    finally:
        if wh is not None:
            wh.close()
    report.retrain_requested = retrain
    _request_retrain(registry, retrain)


def _erase_outbox_and_caches(member_id: int) -> int:
    """Outbox and caches. Messaging's outbox and message log live in registry tables with a
    ``member_id`` column and are swept by the registry step; a file cache under
    ``BINGEWISE_HOME`` must add its removal here. The one there is: the Parquet copy of the
    warehouse's tables (every member's events) that ``facts --engine spark`` exports to a
    ``spark-*`` folder and removes when it ends; a run that was killed leaves it, and those
    leftovers are removed (a run still going removes its own). Returns items removed."""
    del member_id
    return sweep_scratch(get_settings().home, SPARK_SCRATCH)


# --------------------------------------------------------------------------------------------


def erase_member(
    registry: Registry,
    member_id: int,
    *,
    actor: str,
    reason: str,
    warehouse_path: str | Path | None = None,
    models_dir: str | Path | None = None,
    compact: bool = True,
) -> ErasureReport:
    """Erase ``member_id`` from the warehouse, registry, models, outbox and caches.

    The warehouse file must not be open in another process (it is compacted afterwards unless
    ``compact=False``). Idempotent: erasing twice finds nothing the second time.
    """
    settings = get_settings()
    member_id = int(member_id)
    wh_path = Path(warehouse_path) if warehouse_path is not None else settings.warehouse_path
    models = Path(models_dir) if models_dir is not None else settings.models_dir
    record = registry.members.get(member_id)
    mentions = member_mentions(member_id, record.email if record is not None else None)
    digest = tombstone_hash(member_id)
    # Audited first, with the id (a failed erasure stays on record), then unlinked with the rest.
    audited(registry, actor, "member.erase", member_id, f"tombstone:{digest[:16]}", reason)
    report = ErasureReport(tombstone=digest)
    # Models first: their viewer counts are taken down by the member's rows, read before the
    # warehouse step deletes them (and a run stopped between the two finds them again).
    _erase_models(registry, models, member_id, report, wh_path)
    if wh_path.exists():
        _erase_warehouse(wh_path, member_id, mentions, report)
        if compact:
            compact_warehouse(wh_path)
    report.outbox_and_caches = _erase_outbox_and_caches(member_id)
    _erase_registry(registry, member_id, mentions, report, compact)
    log.info(
        "erasure done: %d rows, %d models rewritten, %d retrain requests",
        report.total_rows,
        len(report.models_rewritten),
        len(report.retrain_requested),
    )
    return report
