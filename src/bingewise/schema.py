"""The one place that names tables, columns and their types.

Warehouse tables (DuckDB by default) are described as Arrow schemas; the registry's tables
(SQLAlchemy) live in :mod:`bingewise.registry.tables` but take their names from here. Other
modules spell columns as ``Events.member_id``, never as string literals.

Times are UTC, stored as naive ``TIMESTAMP`` (microseconds). Durations are whole seconds.
"""

from __future__ import annotations

import pyarrow as pa


class Events:
    """One playback segment as a source records it (a Netflix ViewingActivity row)."""

    table = "events"
    event_key = "event_key"  #: BIGINT, deterministic key used to drop duplicates
    member_id = "member_id"  #: BIGINT, the member (a Netflix profile is one member)
    household_id = "household_id"  #: BIGINT, the account (nullable)
    profile = "profile"  #: profile name within the household (nullable)
    title_id = "title_id"  #: BIGINT, references Catalog.title_id
    start_utc = "start_utc"  #: TIMESTAMP, UTC start of the segment
    seconds = "seconds"  #: INTEGER, seconds watched in the segment
    bookmark_seconds = "bookmark_seconds"  #: INTEGER, position reached in the title (nullable)
    device = "device"  #: device type (nullable)
    country = "country"  #: ISO 3166-1 alpha-2 country of the viewing (nullable)
    supplemental = "supplemental"  #: trailer/hook/teaser/recap type; NULL for main content
    source = "source"  #: ingested file (sha256 prefix) or "synth"/"api"

    arrow = pa.schema(
        [
            (event_key, pa.int64()),
            (member_id, pa.int64()),
            (household_id, pa.int64()),
            (profile, pa.string()),
            (title_id, pa.int64()),
            (start_utc, pa.timestamp("us")),
            (seconds, pa.int32()),
            (bookmark_seconds, pa.int32()),
            (device, pa.string()),
            (country, pa.string()),
            (supplemental, pa.string()),
            (source, pa.string()),
        ]
    )


class Catalog:
    """Titles: films and episodes. Episodes name their series, season and number."""

    table = "catalog"
    title_id = "title_id"  #: BIGINT
    title = "title"  #: display name as the source gives it
    kind = "kind"  #: "film" or "episode"
    series_id = "series_id"  #: BIGINT (nullable for films)
    series_title = "series_title"
    season = "season"  #: INTEGER season number (nullable: named seasons, limited series)
    season_title = "season_title"  #: "Season 2", "Temporada 1", "Part 3", "Limited Series"...
    episode = "episode"  #: INTEGER episode number within the season (nullable)
    episode_title = "episode_title"
    runtime_seconds = "runtime_seconds"  #: INTEGER (nullable when unknown)
    genres = "genres"  #: "|"-separated genre names, "" when unknown
    release_date = "release_date"  #: DATE (nullable)
    maturity = "maturity"  #: rating such as "TV-MA", "PG-13" (nullable)

    FILM = "film"
    EPISODE = "episode"

    arrow = pa.schema(
        [
            (title_id, pa.int64()),
            (title, pa.string()),
            (kind, pa.string()),
            (series_id, pa.int64()),
            (series_title, pa.string()),
            (season, pa.int32()),
            (season_title, pa.string()),
            (episode, pa.int32()),
            (episode_title, pa.string()),
            (runtime_seconds, pa.int32()),
            (genres, pa.string()),
            (release_date, pa.date32()),
            (maturity, pa.string()),
        ]
    )


class Members:
    """Members as the warehouse sees them (no contact details; those stay in the registry)."""

    table = "members"
    member_id = "member_id"
    household_id = "household_id"
    profile = "profile"
    country = "country"  #: ISO 3166-1 alpha-2
    time_zone = "time_zone"  #: IANA name, e.g. "America/Mexico_City"
    signup_date = "signup_date"
    email = "email"  #: registry only
    created_utc = "created_utc"  #: registry only

    arrow = pa.schema(
        [
            (member_id, pa.int64()),
            (household_id, pa.int64()),
            (profile, pa.string()),
            (country, pa.string()),
            (time_zone, pa.string()),
            (signup_date, pa.date32()),
        ]
    )


class Ratings:
    """Explicit ratings (MovieLens), used as interactions for recommender benchmarks."""

    table = "ratings"
    event_key = "event_key"
    member_id = "member_id"
    title_id = "title_id"
    rating = "rating"  #: DOUBLE, the source's scale
    rated_utc = "rated_utc"  #: TIMESTAMP
    source = "source"

    arrow = pa.schema(
        [
            (event_key, pa.int64()),
            (member_id, pa.int64()),
            (title_id, pa.int64()),
            (rating, pa.float64()),
            (rated_utc, pa.timestamp("us")),
            (source, pa.string()),
        ]
    )


class Quarantine:
    """Rows that could not be used, kept aside with the reason (file, line, field)."""

    table = "quarantine"
    source = "source"  #: file name as given
    line = "line"  #: 1-based physical line (CSV/JSONL) or row number (Parquet)
    field = "field"
    reason = "reason"
    raw = "raw"  #: the offending row as text (member data: erased with the member)
    ingested_utc = "ingested_utc"

    arrow = pa.schema(
        [
            (source, pa.string()),
            (line, pa.int64()),
            (field, pa.string()),
            (reason, pa.string()),
            (raw, pa.string()),
            (ingested_utc, pa.timestamp("us")),
        ]
    )


class IngestedFiles:
    """One row per file ingested: what was read, stored, dropped as duplicate or rejected."""

    table = "ingested_files"
    sha256 = "sha256"
    name = "name"
    format = "format"
    rows_read = "rows_read"
    stored = "stored"
    duplicates = "duplicates"
    rejected = "rejected"
    ingested_utc = "ingested_utc"

    arrow = pa.schema(
        [
            (sha256, pa.string()),
            (name, pa.string()),
            (format, pa.string()),
            (rows_read, pa.int64()),
            (stored, pa.int64()),
            (duplicates, pa.int64()),
            (rejected, pa.int64()),
            (ingested_utc, pa.timestamp("us")),
        ]
    )


class DailyViewing:
    """Per-member daily viewing aggregate, written by retention before raw events are deleted.

    Additive columns only, so that aggregating old events in several retention runs sums up.
    """

    table = "daily_viewing"
    member_id = "member_id"
    local_day = "local_day"  #: DATE, the member's local day (UTC day when the zone is unknown)
    segments = "segments"  #: BIGINT, playback segments (events) that day
    seconds = "seconds"  #: BIGINT, seconds watched that day, supplemental videos included
    supplemental_seconds = "supplemental_seconds"  #: BIGINT, of which trailers, recaps...

    arrow = pa.schema(
        [
            (member_id, pa.int64()),
            (local_day, pa.date32()),
            (segments, pa.int64()),
            (seconds, pa.int64()),
            (supplemental_seconds, pa.int64()),
        ]
    )


#: Warehouse tables created by :func:`bingewise.warehouse.Warehouse.create`, in order.
WAREHOUSE_TABLES: tuple[type, ...] = (
    Events,
    Catalog,
    Members,
    Ratings,
    Quarantine,
    IngestedFiles,
    DailyViewing,
)


# Registry tables of the member's rights (SQLAlchemy definitions in bingewise.registry.tables).


class ConsentEvents:
    """Registry: every consent change, per member and purpose (append-only)."""

    table = "consent_events"
    id = "id"
    member_id = "member_id"
    purpose = "purpose"  #: one of bingewise.privacy.consent.Purpose
    granted = "granted"  #: BOOLEAN, True when given, False when withdrawn
    recorded_utc = "recorded_utc"
    source = "source"  #: where the change came from: "cli", "web", "api", "signup"...
    policy_version = "policy_version"  #: privacy policy in force when recorded


class AuditLog:
    """Registry: every read of member-level data: who, what, when, why."""

    table = "audit_log"
    id = "id"
    at_utc = "at_utc"
    actor = "actor"  #: "os:<user>" or "api:<key name>"
    action = "action"  #: e.g. "member.export", "consent.show"
    member_id = "member_id"  #: NULL once the member is erased
    resource = "resource"  #: what was read (never member data itself)
    reason = "reason"  #: why


class Tombstones:
    """Registry: erased members, as HMAC-SHA256(secret key, member id) and the date."""

    table = "tombstones"
    key_hash = "key_hash"  #: 64 hex characters
    erased_on = "erased_on"  #: DATE (UTC)


class RetrainRequests:
    """Registry: models that must be retrained because member data behind them was erased."""

    table = "retrain_requests"
    id = "id"
    model = "model"  #: model file name relative to the models folder
    reason = "reason"  #: e.g. "erasure" (never who)
    requested_utc = "requested_utc"
    done_utc = "done_utc"  #: NULL until the model was retrained
