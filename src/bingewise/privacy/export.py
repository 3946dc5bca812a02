"""Export: everything Bingewise holds about one member, as a ZIP of JSON and CSV with a README.

``bingewise member export ID --out FILE.zip`` writes, for each kind of record, ``NAME.json`` (a
list of objects) and ``NAME.csv`` (same columns), plus ``README.md`` explaining in plain language
every file and every column. Kinds (see :data:`DATASETS`): profile, consent history and current
consents, viewing events, ratings, daily viewing aggregates, plays, sessions and binges (from
:mod:`bingewise.analytics`), current home-page recommendations with their reasons (from
:func:`bingewise.recommend.rows.home_rows`), messages sent (messaging does not exist yet: the
file is there and empty), audit entries (this export's own entry included: the export is an
audited read) and quarantined source rows that carry the member's data.

Files are always present, empty when there is nothing of that kind, so that a member sees that
the kind was looked at.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bingewise.console import progress
from bingewise.files import private_fd
from bingewise.privacy.audit import AuditEntry, audit_entries, audited, member_mentions
from bingewise.privacy.consent import Purpose, consent_history, current_consents
from bingewise.privacy.erase import member_quarantine_rowids
from bingewise.privacy.tombstone import is_erased
from bingewise.registry import Registry
from bingewise.schema import (
    AuditLog,
    Binges,
    Catalog,
    ConsentEvents,
    DailyViewing,
    Events,
    IngestedFiles,
    MemberExport,
    Members,
    Plays,
    Quarantine,
    Ratings,
    Sessions,
)
from bingewise.warehouse import Warehouse

__all__ = ["COLUMN_DOCS", "DATASETS", "ExportSummary", "export_member"]

log = logging.getLogger(__name__)

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Dataset:
    """One kind of record in the export."""

    name: str  #: file stem
    title: str  #: heading in the README
    about: str  #: plain-language description
    columns: tuple[str, ...]  #: columns in order (also when the file is empty)


X = MemberExport
TITLE, PURPOSE, GRANTED, DEFAULT = X.title, X.purpose, X.granted, X.is_default
ROW_POSITION, ROW_KIND, ROW_TITLE, ITEM_POSITION = (
    X.row_position,
    X.row_kind,
    X.row_title,
    X.item_position,
)
SERIES_ID, NAME, REASON, FIELD = X.series_id, X.name, X.reason, X.field
MESSAGE_COLUMNS = (X.sent_utc, X.channel, PURPOSE, X.subject, X.trigger, X.data_used)


def _cols(arrow: pa.Schema) -> tuple[str, ...]:
    return tuple(arrow.names)


PROFILE_COLUMNS = (
    Members.member_id,
    Members.email,
    Members.household_id,
    Members.profile,
    Members.country,
    Members.time_zone,
    Members.signup_date,
    Members.created_utc,
)
EVENT_COLUMNS = (*_cols(Events.arrow), TITLE)
FILE_COLUMNS = (
    MemberExport.file,
    IngestedFiles.format,
    IngestedFiles.sha256,
    IngestedFiles.rows_read,
    IngestedFiles.stored,
    IngestedFiles.duplicates,
    IngestedFiles.rejected,
    IngestedFiles.ingested_utc,
)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "profile",
        "Your profile",
        "Who you are to the service: your account and profile, contact email and where you "
        "watch from.",
        PROFILE_COLUMNS,
    ),
    Dataset(
        "consents",
        "Your consents now",
        "For each purpose we may use your data for, whether you agree right now. Purposes you "
        "never changed show the default.",
        (PURPOSE, GRANTED, DEFAULT),
    ),
    Dataset(
        "consent_history",
        "Every consent change",
        "Each time you (or the service on your instruction) gave or withdrew a consent.",
        (
            ConsentEvents.purpose,
            ConsentEvents.granted,
            ConsentEvents.recorded_utc,
            ConsentEvents.source,
            ConsentEvents.policy_version,
        ),
    ),
    Dataset(
        "viewing_events",
        "Your viewing events",
        "Every playback segment we received, as the source recorded it (one row per time you "
        "pressed play and stopped). Times are UTC.",
        EVENT_COLUMNS,
    ),
    Dataset(
        "ratings",
        "Your ratings",
        "Ratings you gave titles.",
        _cols(Ratings.arrow),
    ),
    Dataset(
        "daily_viewing",
        "Your viewing per day (kept after old events are deleted)",
        "Once raw events are older than the retention window they are deleted and only this "
        "daily summary stays.",
        _cols(DailyViewing.arrow),
    ),
    Dataset(
        "plays",
        "Your plays",
        "Your viewing events combined into plays: watching one title, with resumed segments "
        "merged. Trailers and recaps are left out.",
        _cols(Plays.arrow),
    ),
    Dataset(
        "sessions",
        "Your viewing sessions",
        "Your consecutive plays with gaps under 30 minutes between them, as one sitting.",
        (
            Sessions.member_id,
            Sessions.session_no,
            Sessions.start_utc,
            Sessions.end_utc,
            Sessions.local_start,
            Sessions.local_date,
            Sessions.plays,
            Sessions.episodes,
            Sessions.seconds,
        ),
    ),
    Dataset(
        "binges",
        "Your binges",
        "Sessions in which you watched two or more episodes of the same series.",
        (
            Binges.member_id,
            Binges.session_no,
            Binges.series_id,
            Binges.start_utc,
            Binges.end_utc,
            Binges.local_date,
            Binges.episodes,
            Binges.seconds,
        ),
    ),
    Dataset(
        "recommendations",
        "Your current recommendations and why",
        "The rows of titles your home page shows now, each title with the reason it is there. "
        "If you withdrew consent to personalization, these are the rows any new member in your "
        "country sees.",
        (
            ROW_POSITION,
            ROW_KIND,
            ROW_TITLE,
            ITEM_POSITION,
            Catalog.title_id,
            SERIES_ID,
            NAME,
            REASON,
        ),
    ),
    Dataset(
        "messages",
        "Messages sent to you",
        "Every message (such as a recommendation email) sent to you, with its purpose and the "
        "data it used. This version of the service does not send messages yet, so this file is "
        "empty; it is here so that you can see it was checked.",
        MESSAGE_COLUMNS,
    ),
    Dataset(
        "audit_log",
        "Who looked at your data",
        "Every time someone read your data through our tools: who, what, when and why. This "
        "export is the last entry.",
        (AuditLog.at_utc, AuditLog.actor, AuditLog.action, AuditLog.resource, AuditLog.reason),
    ),
    Dataset(
        "files",
        "Files of yours we received",
        "Files we received that held your data and no one else's (a personal export, say): "
        "their name, their fingerprint and what became of their rows. A file shared with others "
        "(a household's export) is not listed: its counts are partly theirs.",
        FILE_COLUMNS,
    ),
    Dataset(
        "quarantine",
        "Rows we could not use",
        "Rows of files we received that mention you but could not be read, kept aside with the "
        "reason (for example a date in an unknown format).",
        _cols(Quarantine.arrow),
    ),
)

#: Plain-language meaning of every column that can appear in the export.
COLUMN_DOCS: dict[str, str] = {
    Members.member_id: "Your member number in this service.",
    Members.email: "The email address we hold for you (blank if none).",
    Members.household_id: "The account (household) your profile belongs to.",
    Members.profile: "Your profile name within the account.",
    Members.country: "Country you watch from (two-letter ISO code).",
    Members.time_zone: "Your time zone, used to work out your local days.",
    Members.signup_date: "The day you joined.",
    Members.created_utc: "When this profile was first recorded here (UTC).",
    PURPOSE: "The purpose: personalization (your home page), recommendation_emails (emails "
    "suggesting titles), statistics (being counted in published, privacy-protected statistics), "
    "wellbeing_insights (insights about your viewing habits).",
    GRANTED: "true if you agree to the purpose, false if not.",
    DEFAULT: "true if you never changed this consent and the default applies.",
    ConsentEvents.recorded_utc: "When the change was recorded (UTC).",
    ConsentEvents.source: "Where the change was made (cli: by an operator on your request, "
    "web, api, signup).",
    ConsentEvents.policy_version: "Version of the privacy policy in force at the time.",
    Events.event_key: "A number that identifies the segment, used to avoid storing it twice.",
    Events.title_id: "Number of the title (film or episode) in our catalog.",
    TITLE: "Name of the title.",
    Events.start_utc: "When the segment (or play) started (UTC).",
    Events.seconds: "Seconds watched.",
    Events.bookmark_seconds: "Position reached in the title, in seconds.",
    Events.device: "Kind of device used.",
    Events.supplemental: "Trailer, teaser, recap or similar extra (blank for the title itself).",
    Events.source: "Where the record came from: a file you or the service uploaded (identified "
    "by a fingerprint), synthetic data, or the service's app.",
    Ratings.rating: "Your rating, on the scale of the source.",
    Ratings.rated_utc: "When you rated (UTC).",
    DailyViewing.local_day: "The day, in your time zone.",
    DailyViewing.segments: "Playback segments that day.",
    DailyViewing.supplemental_seconds: "Of the seconds, those spent on trailers, recaps and "
    "extras.",
    Plays.series_id: "Number of the series (blank for films).",
    Plays.show_id: "The series for an episode, the film itself for a film.",
    Plays.season: "Season number.",
    Plays.episode: "Episode number within the season.",
    Plays.kind: "film or episode.",
    Plays.end_utc: "When the play ended (UTC).",
    Plays.runtime_seconds: "Length of the title, in seconds, if known.",
    Plays.progress_seconds: "Furthest position reached, in seconds.",
    Plays.finished: "Whether you watched to the end (at least 85% of the runtime).",
    Plays.local_start: "When the play started, in your local time.",
    Plays.local_date: "Your local day of the play.",
    Plays.segments: "How many playback segments were merged into this play (or day).",
    Sessions.session_no: "Number of the session (your first session is 1).",
    Sessions.plays: "Plays in the session.",
    Sessions.episodes: "Episodes watched (in a binge: different episodes of the series).",
    ROW_POSITION: "Position of the row on your home page (1 = top).",
    ROW_KIND: "Kind of row (continue_watching, next_episode, because_you_watched, "
    "top10_country, top_pick, genre).",
    ROW_TITLE: "The row's title as shown.",
    ITEM_POSITION: "Position of the title in the row (1 = first).",
    NAME: "Name of the recommended title or series.",
    REASON: "Why it is recommended, as data (for example the title it is similar to, or its "
    "rank in your country).",
    X.sent_utc: "When the message was sent (UTC).",
    X.channel: "How it was sent (email).",
    X.subject: "Subject line.",
    X.trigger: "What caused the message to be sent.",
    X.data_used: "Which of your data the message used.",
    AuditLog.at_utc: "When the data was read (UTC).",
    AuditLog.actor: "Who read it: an operator's account (os:...) or an application key (api:...).",
    AuditLog.action: "What was done (for example member.export).",
    AuditLog.resource: "Which of your data was read.",
    AuditLog.reason: "Why it was read.",
    MemberExport.file: "The file's name as it was given to us.",
    IngestedFiles.format: "The file's format (for example netflix-activity: a Netflix export's "
    "ViewingActivity.csv).",
    IngestedFiles.sha256: "The file's fingerprint (SHA-256 of its bytes): the same file again is "
    "recognised and not stored twice.",
    IngestedFiles.rows_read: "Rows the file held.",
    IngestedFiles.stored: "Rows stored (the others were already held, or could not be used).",
    IngestedFiles.duplicates: "Rows already held (received before).",
    IngestedFiles.rejected: "Rows that could not be used.",
    Quarantine.line: "Line of the file the row was on.",
    FIELD: "The column that could not be read.",
    Quarantine.raw: "The row as received.",
    Quarantine.ingested_utc: "When the file was received (UTC).",
}
# Same meaning in several files (one name, one description).
COLUMN_DOCS.setdefault(Plays.time_zone, "Time zone used for local times.")
COLUMN_DOCS[Quarantine.reason] = "Why the row could not be used."
COLUMN_DOCS[Quarantine.source] = COLUMN_DOCS[Events.source]
COLUMN_DOCS[Plays.seconds] = "Seconds watched (summed over segments for plays and days)."
COLUMN_DOCS[Events.country] = COLUMN_DOCS[Members.country]


@dataclass
class ExportSummary:
    """What an export wrote: rows per file stem, and notes on what is not available."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]) -> list[Record]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    return str(value)


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _csv_text(columns: Sequence[str], records: list[Record]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([_csv_value(rec.get(c)) for c in columns])
    return buf.getvalue()


def _member_events(con: duckdb.DuckDBPyConnection, member_id: int) -> list[Record]:
    cols = ", ".join(f"e.{_q(c)}" for c in Events.arrow.names)
    return _rows(
        con,
        f"SELECT {cols}, c.{_q(Catalog.title)} AS {_q(TITLE)} FROM {_q(Events.table)} e "
        f"LEFT JOIN (SELECT {_q(Catalog.title_id)}, any_value({_q(Catalog.title)}) AS "
        f"{_q(Catalog.title)} FROM {_q(Catalog.table)} GROUP BY 1) c "
        f"USING ({_q(Events.title_id)}) WHERE e.{_q(Events.member_id)} = ? "
        f"ORDER BY e.{_q(Events.start_utc)}, e.{_q(Events.event_key)}",
        [member_id],
    )


def _table_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], member_id: int, order: str
) -> list[Record]:
    cols = ", ".join(_q(c) for c in columns)
    return _rows(
        con,
        f"SELECT {cols} FROM {_q(table)} WHERE {_q(Events.member_id)} = ? ORDER BY {_q(order)}",
        [member_id],
    )


def _plays_expr(wh: Warehouse, member_id: int) -> Any:
    from bingewise.analytics import plays

    events = wh.table(Events.table)
    members = wh.table(Members.table)
    return plays(
        events.filter(events[Events.member_id] == member_id),
        wh.table(Catalog.table),
        members.filter(members[Members.member_id] == member_id),
    )


def _viewing(wh: Warehouse, member_id: int, kind: str) -> list[Record]:
    """The member's plays, sessions or binges (:mod:`bingewise.analytics`)."""
    from bingewise.analytics import binges, sessions

    p = _plays_expr(wh, member_id)
    expr = {"plays": p, "sessions": sessions(p), "binges": binges(p)}[kind]
    return list(expr.order_by(Plays.start_utc).to_pyarrow().to_pylist())


def _recommendations(wh: Warehouse, registry: Registry, member_id: int) -> list[Record]:
    from bingewise.recommend.rows import home_rows, viewing_withheld

    personalized = current_consents(registry, member_id)[Purpose.PERSONALIZATION]
    rows = home_rows(
        member_id,
        warehouse=wh,
        personalized=personalized,
        uncounted=viewing_withheld(registry),
    )
    out: list[Record] = []
    for r_pos, row in enumerate(rows, start=1):
        for i_pos, item in enumerate(row.items, start=1):
            d = item.to_dict()
            out.append(
                {
                    ROW_POSITION: r_pos,
                    ROW_KIND: row.kind,
                    ROW_TITLE: row.title,
                    ITEM_POSITION: i_pos,
                    Catalog.title_id: d[Catalog.title_id],
                    SERIES_ID: d[SERIES_ID],
                    NAME: d[NAME],
                    REASON: d[REASON],
                }
            )
    return out


def _audit_records(entries: list[AuditEntry]) -> list[Record]:
    keep = (AuditLog.at_utc, AuditLog.actor, AuditLog.action, AuditLog.resource, AuditLog.reason)
    return [{k: v for k, v in dataclasses.asdict(e).items() if k in keep} for e in entries]


def _readme(summary: ExportSummary, columns: dict[str, tuple[str, ...]], made: dt.datetime) -> str:
    lines = [
        "# Your data from Bingewise",
        "",
        f"This archive holds everything Bingewise held about you on {made:%Y-%m-%d at %H:%M} "
        "UTC. Every kind of record comes twice: as a `.json` file (for programs) and as a `.csv` "
        "file (opens in a spreadsheet). A file with no rows means we hold nothing of that kind.",
        "",
        "Times ending in `_utc` are in Coordinated Universal Time; `local_` times are in your "
        "time zone. Durations are in seconds.",
        "",
    ]
    for ds in DATASETS:
        lines += [f"## {ds.name}.json / {ds.name}.csv — {ds.title}", "", ds.about, ""]
        n = summary.rows.get(ds.name, 0)
        lines.append(f"Rows: {n}.")
        if ds.name in summary.notes:
            lines.append(f"Note: {summary.notes[ds.name]}")
        lines.append("")
        cols = columns[ds.name]
        if cols:
            lines += ["| column | meaning |", "|---|---|"]
            lines += [
                f"| `{c}` | {COLUMN_DOCS.get(c, 'See the Bingewise documentation.')} |"
                for c in cols
            ]
            lines.append("")
    lines += [
        "## What we do not keep",
        "",
        "Published statistics (such as the year in binge) are computed with differential "
        "privacy: they cannot single you out and hold no record of you, so they are not part of "
        "this archive. To erase your data, ask for erasure: we keep only a one-way keyed "
        "fingerprint of your member number so that old files cannot bring your data back.",
        "",
    ]
    return "\n".join(lines)


def export_member(
    registry: Registry,
    member_id: int,
    out: str | Path,
    *,
    actor: str,
    reason: str,
    warehouse: Warehouse | None = None,
) -> ExportSummary:
    """Write everything held about ``member_id`` to the ZIP file ``out``; an audited read.

    Raises :class:`LookupError` when the member is unknown or was erased.
    """
    member_id = int(member_id)
    out = Path(out)
    if bool(is_erased(registry, [member_id])[0]):
        raise LookupError(f"member {member_id} was erased: nothing is held about them")
    own = warehouse is None
    wh = warehouse if warehouse is not None else Warehouse.open()
    try:
        return _export(registry, wh, member_id, out, actor, reason)
    finally:
        if own:
            wh.close()


def _export(
    registry: Registry, wh: Warehouse, member_id: int, out: Path, actor: str, reason: str
) -> ExportSummary:
    con = wh.duck
    record = registry.members.get(member_id)
    wh_member = _table_rows(con, Members.table, _cols(Members.arrow), member_id, Members.member_id)
    if record is None and not wh_member:
        raise LookupError(f"member {member_id} is not known to the registry or the warehouse")
    resources = ",".join(ds.name for ds in DATASETS)
    audited(registry, actor, "member.export", member_id, resources, reason)
    summary = ExportSummary(out)
    data: dict[str, list[Record]] = {}
    columns = {ds.name: ds.columns for ds in DATASETS}

    profile: Record = {c: None for c in PROFILE_COLUMNS}
    if wh_member:
        profile.update({k: v for k, v in wh_member[0].items() if v is not None})
    if record is not None:
        profile.update({k: v for k, v in dataclasses.asdict(record).items() if v is not None})
    profile[Members.member_id] = member_id
    data["profile"] = [profile]

    history = consent_history(registry, member_id)
    changed = {e.purpose for e in history}
    data["consents"] = [
        {PURPOSE: p.value, GRANTED: g, DEFAULT: p not in changed}
        for p, g in current_consents(registry, member_id).items()
    ]
    data["consent_history"] = [
        {
            ConsentEvents.purpose: e.purpose.value,
            ConsentEvents.granted: e.granted,
            ConsentEvents.recorded_utc: e.recorded_utc,
            ConsentEvents.source: e.source,
            ConsentEvents.policy_version: e.policy_version,
        }
        for e in history
    ]
    steps: list[tuple[str, Callable[[], list[Record]]]] = [
        ("viewing_events", lambda: _member_events(con, member_id)),
        (
            "ratings",
            lambda: _table_rows(
                con, Ratings.table, _cols(Ratings.arrow), member_id, Ratings.rated_utc
            ),
        ),
        (
            "daily_viewing",
            lambda: _table_rows(
                con,
                DailyViewing.table,
                _cols(DailyViewing.arrow),
                member_id,
                DailyViewing.local_day,
            ),
        ),
        ("plays", lambda: _viewing(wh, member_id, "plays")),
        ("sessions", lambda: _viewing(wh, member_id, "sessions")),
        ("binges", lambda: _viewing(wh, member_id, "binges")),
        ("recommendations", lambda: _recommendations(wh, registry, member_id)),
        ("files", lambda: _files(con, member_id)),
        ("quarantine", lambda: _quarantine(con, member_id, record)),
    ]
    with progress() as bar:
        task = bar.add_task("export", total=len(steps) + 1)
        for name, step in steps:
            try:
                data[name] = step()
            except ImportError:
                data[name] = []
                summary.notes[name] = "not available in this version of Bingewise."
            except LookupError as exc:
                data[name] = []
                summary.notes[name] = f"could not be computed: {exc}."
            bar.advance(task)
        data["messages"] = []
        summary.notes["messages"] = "this version of Bingewise sends no messages."
        # Last, so that this export's own audit entry is included.
        data["audit_log"] = _audit_records(audit_entries(registry, member_id))
        bar.advance(task)

    for ds in DATASETS:
        recs = data.get(ds.name, [])
        if not columns[ds.name] and recs:
            columns[ds.name] = tuple(recs[0].keys())
        summary.rows[ds.name] = len(recs)
    made = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    # The member's data: readable by the one who asked for it only (0600).
    with (
        os.fdopen(private_fd(tmp), "wb") as fh,
        zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        zf.writestr("README.md", _readme(summary, columns, made))
        for ds in DATASETS:
            cols = columns[ds.name]
            recs = [{c: r.get(c) for c in cols} for r in data.get(ds.name, [])]
            zf.writestr(
                f"{ds.name}.json",
                json.dumps(recs, default=_json_default, ensure_ascii=False, indent=1),
            )
            zf.writestr(f"{ds.name}.csv", _csv_text(cols, recs))
    tmp.replace(out)
    log.info("export written: %d files", 2 * len(DATASETS) + 1)
    return summary


def _files(con: duckdb.DuckDBPyConnection, member_id: int) -> list[Record]:
    """The records of the files only the member contributed to (those erasure removes)."""
    from bingewise.privacy.erase import only_theirs

    _, shas = only_theirs(con, member_id)
    cols = [c for c in FILE_COLUMNS if c != MemberExport.file]
    return _rows(
        con,
        f"SELECT {_q(IngestedFiles.name)} AS {_q(MemberExport.file)}, "
        f"{', '.join(_q(c) for c in cols)} FROM {_q(IngestedFiles.table)} "
        f"WHERE {_q(IngestedFiles.sha256)} IN (SELECT unnest(?::VARCHAR[])) "
        f"ORDER BY {_q(IngestedFiles.ingested_utc)}, {_q(IngestedFiles.name)}",
        [shas],
    )


def _quarantine(con: duckdb.DuckDBPyConnection, member_id: int, record: Any) -> list[Record]:
    mentions = member_mentions(member_id, record.email if record is not None else None)
    rowids = sorted(member_quarantine_rowids(con, member_id, mentions))
    if not rowids:
        return []
    cols = ", ".join(_q(c) for c in Quarantine.arrow.names)
    return _rows(
        con,
        f"SELECT {cols} FROM {_q(Quarantine.table)} WHERE rowid IN (SELECT unnest(?::BIGINT[])) "
        f"ORDER BY {_q(Quarantine.source)}, {_q(Quarantine.line)}",
        [rowids],
    )
