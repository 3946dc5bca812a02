"""A small world for the member-rights tests: members, catalog, events, quarantine, ratings.

Member ids are 63-bit stable ids and emails are distinctive, so that a scan for "the member's id
or email" cannot match anything by accident.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from bingewise.ids import stable_id
from bingewise.registry import MemberRecord, Registry
from bingewise.schema import Catalog, Events, IngestedFiles, Members, Quarantine, Ratings
from bingewise.warehouse import Warehouse

T0 = dt.datetime(2017, 3, 1, 20, 0)
SHA_SHARED = "a1" * 32  # a household file with two profiles
SHA_ALONE = "b2" * 32  # a personal file of the target member only
FILE_SHARED = "household_ViewingActivity.csv"
FILE_ALONE = "NetflixViewingHistory.csv"


@dataclass(frozen=True)
class Person:
    """A member of the world."""

    member_id: int
    email: str
    profile: str
    household_id: int
    country: str
    time_zone: str


TARGET = Person(
    stable_id("household-7", "Zephyrine"),
    "zephyrine.q.target@example.invalid",
    "Zephyrine",
    stable_id("household-7"),
    "MX",
    "America/Mexico_City",
)
SIBLING = Person(
    stable_id("household-7", "Olbert"),
    "olbert.sibling@example.invalid",
    "Olbert",
    stable_id("household-7"),
    "MX",
    "America/Mexico_City",
)
OTHER = Person(
    stable_id("household-9", "Quillon"),
    "quillon.other@example.invalid",
    "Quillon",
    stable_id("household-9"),
    "FR",
    "Europe/Paris",
)
PEOPLE = (TARGET, SIBLING, OTHER)

FILM = 1001
FILM2 = 1002  # watched by the sibling only: a recommendation for the target
SERIES = 2000
EPISODES = (2001, 2002, 2003, 2004)


def catalog_table() -> pa.Table:
    rows = (
        [
            {
                Catalog.title_id: FILM,
                Catalog.title: "The Long Film",
                Catalog.kind: Catalog.FILM,
                Catalog.runtime_seconds: 6000,
                Catalog.genres: "Drama",
                Catalog.maturity: "PG-13",
            }
        ]
        + [
            {
                Catalog.title_id: FILM2,
                Catalog.title: "The Other Film",
                Catalog.kind: Catalog.FILM,
                Catalog.runtime_seconds: 5400,
                Catalog.genres: "Drama",
                Catalog.maturity: "PG-13",
            }
        ]
        + [
            {
                Catalog.title_id: t,
                Catalog.title: f"Show: Season 1: Episode {i + 1}",
                Catalog.kind: Catalog.EPISODE,
                Catalog.series_id: SERIES,
                Catalog.series_title: "Show",
                Catalog.season: 1,
                Catalog.season_title: "Season 1",
                Catalog.episode: i + 1,
                Catalog.episode_title: f"Episode {i + 1}",
                Catalog.runtime_seconds: 1500,
                Catalog.genres: "Comedy",
                Catalog.maturity: "TV-14",
            }
            for i, t in enumerate(EPISODES)
        ]
    )
    return pa.Table.from_pylist(rows, schema=Catalog.arrow)


def events_for(person: Person, start: dt.datetime, source: str, *, salt: int = 0) -> list[dict]:
    """A film, a binge of four episodes and a trailer, starting at ``start``."""
    rows: list[dict] = []
    t = start
    plan = [(FILM, 6000, None), *((e, 1500, None) for e in EPISODES), (FILM, 60, "TRAILER")]
    for k, (title, secs, supp) in enumerate(plan):
        rows.append(
            {
                Events.event_key: stable_id(person.member_id, title, t.isoformat(), k, salt),
                Events.member_id: person.member_id,
                Events.household_id: person.household_id,
                Events.profile: person.profile,
                Events.title_id: title,
                Events.start_utc: t,
                Events.seconds: secs,
                Events.bookmark_seconds: secs,
                Events.device: "TV",
                Events.country: person.country,
                Events.supplemental: supp,
                Events.source: source,
            }
        )
        t += dt.timedelta(seconds=secs + 120)
    return rows


def build(warehouse: Warehouse, registry: Registry, *, start: dt.datetime = T0) -> None:
    """Fill the stores: every kind of record for TARGET, some for the others."""
    con = warehouse.duck
    catalog = catalog_table()
    con.register("bw_catalog", catalog)
    con.execute(f"INSERT INTO {Catalog.table} SELECT * FROM bw_catalog")
    events = (
        events_for(TARGET, start, SHA_SHARED[:16])
        + events_for(TARGET, start + dt.timedelta(days=3), SHA_ALONE[:16], salt=1)
        + events_for(SIBLING, start + dt.timedelta(hours=1), SHA_SHARED[:16])
        + events_for(OTHER, start, "synth")
    )
    late = start + dt.timedelta(days=3, hours=6)
    extra = events_for(SIBLING, late, SHA_SHARED[:16], salt=2)[:1]
    extra[0][Events.title_id] = FILM2
    events += extra
    con.register("bw_events", pa.Table.from_pylist(events, schema=Events.arrow))
    con.execute(f"INSERT INTO {Events.table} SELECT * FROM bw_events")
    members = [
        {
            Members.member_id: p.member_id,
            Members.household_id: p.household_id,
            Members.profile: p.profile,
            Members.country: p.country,
            Members.time_zone: p.time_zone,
            Members.signup_date: dt.date(2016, 1, 1),
        }
        for p in PEOPLE
    ]
    con.register("bw_members", pa.Table.from_pylist(members, schema=Members.arrow))
    con.execute(f"INSERT INTO {Members.table} SELECT * FROM bw_members")
    ratings = [
        {
            Ratings.event_key: stable_id("rating", p.member_id),
            Ratings.member_id: p.member_id,
            Ratings.title_id: FILM,
            Ratings.rating: 4.5,
            Ratings.rated_utc: start,
            Ratings.source: "synth",
        }
        for p in PEOPLE
    ]
    con.register("bw_ratings", pa.Table.from_pylist(ratings, schema=Ratings.arrow))
    con.execute(f"INSERT INTO {Ratings.table} SELECT * FROM bw_ratings")
    now = start + dt.timedelta(days=5)
    earlier = now - dt.timedelta(days=30)
    quarantine = [
        # Shared file: one bad row of the target (names the profile), one of the sibling.
        (FILE_SHARED, 7, "Start Time", "unknown date", f'{TARGET.profile},"2017-13-45",Show', now),
        (FILE_SHARED, 9, "Start Time", "unknown date", f'{SIBLING.profile},"2017-14-45",Show', now),
        # Personal file: every row is the target's, even without their name in it.
        (FILE_ALONE, 3, "Date", "unknown date", '"Show: Season 1","31/31/2017"', now),
        # A row mentioning the target's email, in a file of nobody in particular.
        ("contacts.csv", 2, "email", "bad row", f"{TARGET.email};??", now),
        ("other.csv", 4, "Duration", "negative", f"{OTHER.profile},-5", now),
        # Another household's file of the same name, ingested a month earlier: not the target's.
        (FILE_ALONE, 5, "Date", "unknown date", '"Other Show","32/1/2017"', earlier),
    ]
    con.register(
        "bw_quarantine",
        pa.Table.from_pylist(
            # rows of files whose readers name no member (text and file tell whose they are)
            [dict(zip(Quarantine.arrow.names, (*q, None), strict=True)) for q in quarantine],
            schema=Quarantine.arrow,
        ),
    )
    con.execute(f"INSERT INTO {Quarantine.table} SELECT * FROM bw_quarantine")
    files = [
        (SHA_SHARED, FILE_SHARED, "netflix_activity", 13, 12, 0, 1, now),
        (SHA_ALONE, FILE_ALONE, "netflix_history", 7, 6, 0, 1, now),
    ]
    con.register(
        "bw_files",
        pa.Table.from_pylist(
            [dict(zip(IngestedFiles.arrow.names, f, strict=True)) for f in files],
            schema=IngestedFiles.arrow,
        ),
    )
    con.execute(f"INSERT INTO {IngestedFiles.table} SELECT * FROM bw_files")
    for name in ("bw_catalog", "bw_events", "bw_members", "bw_ratings", "bw_quarantine"):
        con.unregister(name)
    con.unregister("bw_files")
    registry.members.upsert_many(
        MemberRecord(
            member_id=p.member_id,
            email=p.email,
            country=p.country,
            time_zone=p.time_zone,
            signup_date=dt.date(2016, 1, 1),
            household_id=p.household_id,
            profile=p.profile,
        )
        for p in PEOPLE
    )


_TRAINED: dict[str, Path] = {}


def install_models(models_dir: Path, names: tuple[str, ...] = ("ials", "ease")) -> None:
    """Copy models trained on this world into ``models_dir`` (trained once per test process).

    Training is deterministic given the world, so every test gets the same files it would get
    by training itself, at a fraction of the time.
    """
    from bingewise.recommend.train import train

    key = ",".join(names)
    if key not in _TRAINED:
        folder = Path(tempfile.mkdtemp(prefix="bw-rights-models-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        registry = Registry.open("sqlite://")
        try:
            with Warehouse.open(folder / "warehouse.duckdb") as wh:
                build(wh, registry)
                for name in names:
                    train(wh, name, models_dir=folder / "models", registry=registry)
        finally:
            registry.close()
        _TRAINED[key] = folder / "models"
    shutil.copytree(_TRAINED[key], models_dir, dirs_exist_ok=True)
