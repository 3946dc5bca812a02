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
    #: the member the row names when it could be read from the row (NULL when not): export and
    #: erasure find a member's rows by it; last, as a column added to older warehouses is
    member_id = "member_id"

    arrow = pa.schema(
        [
            (source, pa.string()),
            (line, pa.int64()),
            (field, pa.string()),
            (reason, pa.string()),
            (raw, pa.string()),
            (ingested_utc, pa.timestamp("us")),
            (member_id, pa.int64()),
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


class RetentionRuns:
    """One row per retention run (dry runs are not recorded).

    No member data: when, up to which instant events were summarised, and how many rows. Ingest
    reads the latest cutoff to tell which member-days are closed (see
    :mod:`bingewise.privacy.retention`).
    """

    table = "retention_runs"
    run_utc = "run_utc"  #: TIMESTAMP, when the run happened
    cutoff_utc = "cutoff_utc"  #: TIMESTAMP, events starting before it were summarised and deleted
    events_deleted = "events_deleted"  #: BIGINT
    aggregate_rows = "aggregate_rows"  #: BIGINT, (member, local day) rows written or updated
    quarantine_deleted = "quarantine_deleted"  #: BIGINT

    arrow = pa.schema(
        [
            (run_utc, pa.timestamp("us")),
            (cutoff_utc, pa.timestamp("us")),
            (events_deleted, pa.int64()),
            (aggregate_rows, pa.int64()),
            (quarantine_deleted, pa.int64()),
        ]
    )


class SynthTastes:
    """Ground truth of a synthetic platform: each member's favourite genres (not a warehouse table).

    Recommender evaluations and tests use it as the planted structure a model should recover.
    """

    table = "synth_tastes"
    member_id = "member_id"
    genre = "genre"  #: one of bingewise.synth.GENRES

    arrow = pa.schema([(member_id, pa.int64()), (genre, pa.string())])


#: Warehouse tables created by :func:`bingewise.warehouse.Warehouse.create`, in order.
WAREHOUSE_TABLES: tuple[type, ...] = (
    Events,
    Catalog,
    Members,
    Ratings,
    Quarantine,
    IngestedFiles,
    DailyViewing,
    RetentionRuns,
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


class BudgetChanges:
    """Registry: every change of a period's privacy budget (append-only): the ledger's history."""

    table = "privacy_budget_changes"
    id = "id"
    period = "period"  #: the period whose budget changed, as the ledger names it
    epsilon_before = "epsilon_before"  #: budget before (NULL: set before changes were kept)
    delta_before = "delta_before"
    epsilon = "epsilon"  #: budget after
    delta = "delta"
    spent_epsilon = "spent_epsilon"  #: what the period had spent then (NULL: not known)
    spent_delta = "spent_delta"
    changed_utc = "changed_utc"
    actor = "actor"  #: who changed it: "os:<user>" or "api:<key name>"


class RetrainRequests:
    """Registry: models that must be retrained because member data behind them was erased, or
    its member withdrew consent to training (``bingewise.privacy.consent.TRAINING_PURPOSES``)."""

    table = "retrain_requests"
    id = "id"
    model = "model"  #: model file name relative to the models folder
    reason = "reason"  #: "erasure", "consent withdrawn: statistics"... (never who)
    requested_utc = "requested_utc"
    done_utc = "done_utc"  #: NULL until the model was retrained


class Recs:
    """Derived columns of recommendation inputs (not stored): items, interactions, rankings.

    An *item* is what the home page recommends: a film (``item_id`` is its ``title_id``) or a
    series (``item_id`` is its ``series_id``; its episodes roll up to it).
    """

    item_id = "item_id"  #: BIGINT, title_id of a film or series_id of a series
    is_series = "is_series"  #: BOOLEAN
    name = "name"  #: display name (film title or series title)
    maturity_level = "maturity_level"  #: INTEGER 0 (all ages) .. 3 (adults)
    n_episodes = "n_episodes"  #: INTEGER episodes in the catalog (0 for films)
    completion = "completion"  #: DOUBLE in [0, 1], share of the runtime watched
    finished = "finished"  #: BOOLEAN, completion >= settings.finished_share
    finished_plays = "finished_plays"  #: INTEGER, plays that finished the title
    engagement = "engagement"  #: DOUBLE, summed completion over an item's titles
    rewatches = "rewatches"  #: INTEGER, finished plays beyond the first, over an item's titles
    last_utc = "last_utc"  #: TIMESTAMP, start of the member's latest play of the item
    confidence = "confidence"  #: DOUBLE, interaction weight fed to the models
    viewers = "viewers"  #: INTEGER, distinct members who watched (rankings)


# Derived viewing facts (bingewise.analytics). Computed as Ibis expressions; only materialised as
# temporary tables, never stored. Vocabulary as in DESIGN.md.


class Plays:
    """A member watching one title: resumed segments merged, supplemental videos excluded.

    Output of :func:`bingewise.analytics.plays`. ``finished`` is NULL when the runtime is unknown.
    """

    table = "plays"
    member_id = "member_id"  #: BIGINT
    title_id = "title_id"  #: BIGINT
    series_id = "series_id"  #: BIGINT, NULL for films
    show_id = "show_id"  #: BIGINT, series_id for episodes, title_id for films
    season = "season"  #: INTEGER (nullable)
    episode = "episode"  #: INTEGER (nullable)
    kind = "kind"  #: "film" / "episode"; NULL when the title is not in the catalog
    start_utc = "start_utc"  #: TIMESTAMP, UTC start of the first segment
    end_utc = "end_utc"  #: TIMESTAMP, UTC end of the last segment (start + seconds)
    seconds = "seconds"  #: BIGINT, seconds watched, summed over segments
    runtime_seconds = "runtime_seconds"  #: INTEGER, catalog runtime (nullable)
    progress_seconds = "progress_seconds"  #: BIGINT, furthest bookmark (or seconds watched)
    finished = "finished"  #: BOOLEAN, progress ≥ share × runtime; NULL when runtime unknown
    time_zone = "time_zone"  #: IANA zone used for local times
    local_start = "local_start"  #: TIMESTAMP, start in the member's zone (naive)
    local_date = "local_date"  #: DATE, the member's local day of the start
    segments = "segments"  #: BIGINT, events merged into this play

    arrow = pa.schema(
        [
            (member_id, pa.int64()),
            (title_id, pa.int64()),
            (series_id, pa.int64()),
            (show_id, pa.int64()),
            (season, pa.int32()),
            (episode, pa.int32()),
            (kind, pa.string()),
            (start_utc, pa.timestamp("us")),
            (end_utc, pa.timestamp("us")),
            (seconds, pa.int64()),
            (runtime_seconds, pa.int32()),
            (progress_seconds, pa.int64()),
            (finished, pa.bool_()),
            (time_zone, pa.string()),
            (local_start, pa.timestamp("us")),
            (local_date, pa.date32()),
            (segments, pa.int64()),
        ]
    )


class Sessions:
    """A member's consecutive plays with gaps under a threshold (30 minutes by default)."""

    table = "sessions"
    member_id = "member_id"
    session_no = "session_no"  #: BIGINT, 1-based ordinal of the session within the member
    start_utc = "start_utc"
    end_utc = "end_utc"
    local_start = "local_start"
    local_date = "local_date"  #: DATE, local day the session started
    plays = "plays"  #: BIGINT
    episodes = "episodes"  #: BIGINT, plays of episodes
    seconds = "seconds"  #: BIGINT, seconds watched


class Binges:
    """A session with two or more distinct episodes of one series (one row per series)."""

    table = "binges"
    member_id = "member_id"
    session_no = "session_no"
    series_id = "series_id"
    start_utc = "start_utc"
    end_utc = "end_utc"
    local_date = "local_date"
    episodes = "episodes"  #: BIGINT, distinct episodes of the series in the session
    seconds = "seconds"


class SeasonBinges:
    """Seasons a member finished; ``days`` from the first play to the last episode finished.

    A season binge is a row with ``days ≤ 7``; a binge race finished within 24 hours of release.
    """

    table = "season_binges"
    member_id = "member_id"
    series_id = "series_id"
    season = "season"
    episodes = "episodes"  #: BIGINT, episodes in the season (catalog)
    started_utc = "started_utc"  #: TIMESTAMP, first play of any episode of the season
    finished_utc = "finished_utc"  #: TIMESTAMP, end of the play that finished the last episode
    days = "days"  #: DOUBLE, (finished - started) in days
    release_date = "release_date"  #: DATE, earliest release date of the season's episodes
    hours_after_release = "hours_after_release"  #: DOUBLE, finished - release (00:00 UTC)


class Streaks:
    """Runs of consecutive local days on which a member watched a show (or anything)."""

    table = "streaks"
    member_id = "member_id"
    show_id = "show_id"  #: BIGINT, NULL for streaks of watching anything
    start_date = "start_date"  #: DATE, first local day
    end_date = "end_date"  #: DATE, last local day
    days = "days"  #: BIGINT


class MemberFacts:
    """One row per member for a period: totals, busiest week, longest binge and streak."""

    table = "member_facts"
    member_id = "member_id"
    plays = "plays"
    films = "films"  #: BIGINT, plays of films
    episodes = "episodes"  #: BIGINT, plays of episodes
    hours = "hours"  #: DOUBLE, hours watched (NULL: no play with a duration, dates only)
    active_days = "active_days"  #: BIGINT, local days with at least one play
    hours_per_active_day = "hours_per_active_day"  #: DOUBLE (NULL when hours are)
    completion_rate = "completion_rate"  #: DOUBLE, finished / plays with known runtime (NULL)
    busiest_week_start = "busiest_week_start"  #: DATE, first day of the busiest 7-day window
    busiest_week_episodes = "busiest_week_episodes"  #: BIGINT, episode plays in that window
    longest_binge_episodes = "longest_binge_episodes"  #: BIGINT (NULL when no binge)
    longest_binge_series_id = "longest_binge_series_id"
    longest_binge_date = "longest_binge_date"  #: DATE, local day the binge started
    longest_streak_days = "longest_streak_days"  #: BIGINT, watching anything
    longest_streak_start = "longest_streak_start"  #: DATE


class MemberDaily:
    """Hours per local day, per member."""

    table = "member_daily"
    member_id = "member_id"
    local_date = "local_date"
    plays = "plays"
    episodes = "episodes"
    seconds = "seconds"


class MemberShowDaily:
    """Plays per member, show and local day: the small table most per-member and platform facts
    are rolled up from (streaks per show, top shows, daily totals). ``kind`` NULL counts as film.
    """

    table = "member_show_daily"
    member_id = "member_id"
    show_id = "show_id"
    kind = "kind"
    local_date = "local_date"
    plays = "plays"  #: BIGINT
    episodes = "episodes"  #: BIGINT, plays of episodes
    seconds = "seconds"  #: BIGINT


class MemberHeatmap:
    """Seconds watched per member, local weekday and local hour (of the play's start)."""

    table = "member_heatmap"
    member_id = "member_id"
    weekday = "weekday"  #: INTEGER, 0 = Monday … 6 = Sunday
    hour = "hour"  #: INTEGER, 0–23
    seconds = "seconds"


class MemberTop:
    """A member's top shows (series or films) by seconds watched."""

    table = "member_top"
    member_id = "member_id"
    kind = "kind"
    show_id = "show_id"
    plays = "plays"
    seconds = "seconds"
    rank = "rank"  #: BIGINT, 1 = most watched, within member and kind


class CountryFacts:
    """Per country and period: members who watched every day, daily viewing per member."""

    table = "country_facts"
    country = "country"
    members = "members"  #: BIGINT, members of the country, watching or not (the roster)
    members_watching = "members_watching"  #: BIGINT, of them, those who watched in the period
    members_every_day = "members_every_day"  #: BIGINT, watched on every local day of the period
    share_every_day = "share_every_day"  #: DOUBLE, members_every_day / members
    days = "days"  #: BIGINT, days in the period
    hours_per_member_day = "hours_per_member_day"  #: DOUBLE, hours / members (hours known) / days


class TopTitles:
    """Platform: most watched shows per local day or week (weeks start on Monday)."""

    table = "top_titles"
    period_start = "period_start"  #: DATE, the day, or the Monday of the week
    show_id = "show_id"
    kind = "kind"
    members = "members"  #: BIGINT, distinct members who watched
    seconds = "seconds"
    rank = "rank"


class BingeRacers:
    """Platform: per season, members who finished it within 24 hours of release."""

    table = "binge_racers"
    series_id = "series_id"
    season = "season"
    racers = "racers"  #: BIGINT
    fastest_hours = "fastest_hours"  #: DOUBLE, fewest hours after release to finish


class MovieLensFiles:
    """MovieLens rating files as GroupLens ships them, read directly by the recommender evaluation.

    ``ratings.csv`` has a header naming :attr:`header`; ``u.data`` (tab) and ``ratings.dat``
    (``::``) have none and hold the same four fields in that order.
    """

    ratings_csv = "ratings.csv"
    u_data = "u.data"
    ratings_dat = "ratings.dat"
    user = "userId"
    item = "movieId"
    rating = "rating"
    timestamp = "timestamp"  #: UTC seconds since the epoch
    header = (user, item, rating, timestamp)
    fields = header


class MemberExport:
    """Columns of a member's export files that are not warehouse or registry columns.

    (:mod:`bingewise.privacy.export`; other columns keep their warehouse/registry names.)
    """

    title = "title"  #: title name joined from the catalog
    purpose = "purpose"  #: consent purpose
    granted = "granted"  #: consent given now
    is_default = "is_default"  #: consent never changed: the default applies
    row_position = "row_position"  #: 1-based home-page row
    row_kind = "row_kind"
    row_title = "row_title"
    item_position = "item_position"  #: 1-based position within the row
    series_id = "series_id"
    name = "name"  #: display name of a recommended item
    reason = "reason"  #: why an item is recommended (JSON)
    field = "field"  #: quarantine: the column at fault
    file = "file"  #: files: the file's name as given to ingest
    sent_utc = "sent_utc"  #: messages: when sent
    channel = "channel"
    subject = "subject"
    trigger = "trigger"
    data_used = "data_used"


class SourceColumns:
    """Column names of source files that are not warehouse columns (:mod:`bingewise.ingest`).

    Generic events files may carry ``event_id`` (the source's own id of a playback segment; the
    event key is derived from it when present). MovieLens ``movies.csv`` has ``movieId,title,
    genres``; its ratings files are named in :class:`MovieLensFiles`.
    """

    event_id = "event_id"
    movies_csv = "movies.csv"
    movie_title = "title"
    movie_genres = "genres"
    movies_header = ("movieId", movie_title, movie_genres)
    no_genres = "(no genres listed)"  #: MovieLens' marker for a film without genres


class NetflixFiles:
    """Netflix personal-data export: file and column names (:mod:`bingewise.ingest.netflix`).

    Headers are matched case-insensitively after trimming, in any order.
    """

    activity_csv = "ViewingActivity.csv"  #: the detailed export, in CONTENT_INTERACTION/
    activity_folder = "CONTENT_INTERACTION"
    history_csv = "NetflixViewingHistory.csv"  #: the two-column download of the activity page
    profile = "Profile Name"
    start = "Start Time"  #: UTC
    duration = "Duration"  #: H:MM:SS
    attributes = "Attributes"
    title = "Title"
    supplemental = "Supplemental Video Type"
    device = "Device Type"
    bookmark = "Bookmark"  #: H:MM:SS position reached
    latest_bookmark = "Latest Bookmark"
    country = "Country"  #: "US (United States)"
    date = "Date"  #: NetflixViewingHistory.csv: a locale date, no time
    activity_required = (profile, start, duration, title)
    history_required = (title, date)
