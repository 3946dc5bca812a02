"""Fixture writers for ingestion tests: generated events in CSV, JSON Lines and Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bingewise.ingest import event_key
from bingewise.schema import Events, SourceColumns

COLUMNS = [
    Events.member_id,
    Events.title_id,
    Events.start_utc,
    Events.seconds,
    Events.profile,
    Events.device,
    Events.country,
]


@dataclass(frozen=True)
class Good:
    """A valid generated event and the values the warehouse must hold for it."""

    member_id: int
    title_id: int
    start: dt.datetime  #: naive UTC
    seconds: int
    text: str  #: how start is written in the file
    profile: str
    device: str
    country: str

    @property
    def key(self) -> int:
        return event_key(self.member_id, self.title_id, self.start, self.seconds)

    def row(self) -> dict[str, str]:
        return {
            Events.member_id: str(self.member_id),
            Events.title_id: str(self.title_id),
            Events.start_utc: self.text,
            Events.seconds: str(self.seconds),
            Events.profile: self.profile,
            Events.device: self.device,
            Events.country: self.country,
        }


def spell(start: dt.datetime, style: int) -> str:
    """ISO 8601 spellings of the same UTC instant: Z, naive, +02:00, -0530."""
    if style == 0:
        return start.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return start.strftime("%Y-%m-%d %H:%M:%S")
    if style == 2:
        return (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    return (start - dt.timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S-0530")


def good_events(n: int, seed: int = 0) -> list[Good]:
    """``n`` distinct valid events with varied timestamp spellings."""
    rng = random.Random(seed)
    base = dt.datetime(2024, 3, 1)
    out = []
    for i in range(n):
        start = base + dt.timedelta(seconds=37 * i + rng.randrange(30))
        out.append(
            Good(
                member_id=rng.randrange(1, 50),
                title_id=rng.randrange(1, 200),
                start=start,
                seconds=rng.randrange(0, 7200),
                text=spell(start, i % 4),
                profile=rng.choice(["Ana", "Bo", "Chen"]),
                device=rng.choice(["TV", "Phone", "Web"]),
                country=rng.choice(["US", "BR", "GB"]),
            )
        )
    return out


def _row(member: str, title: str, start: str, seconds: str) -> dict[str, str]:
    return {
        Events.member_id: member,
        Events.title_id: title,
        Events.start_utc: start,
        Events.seconds: seconds,
    }


#: Bad rows: (row, field at fault, reason fragment)
BAD_ROWS: list[tuple[dict[str, str], str, str]] = [
    (_row("1.5", "2", "2024-01-01", "3"), Events.member_id, "whole number"),
    (_row("1", "x", "2024-01-01", "3"), Events.title_id, "whole number"),
    (_row("1", "2", "2024-13-01", "3"), Events.start_utc, "timestamp"),
    (_row("1", "2", "yesterday", "3"), Events.start_utc, "timestamp"),
    (_row("1", "2", "2024-01-01", "-3"), Events.seconds, "negative"),
    (_row("", "2", "2024-01-01", "3"), Events.member_id, "missing"),
    (_row("1", "2", "", "3"), Events.start_utc, "missing"),
    (_row("1", "2", "2024-01-01", "99999999999"), Events.seconds, "whole number"),
]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    """Rows as CSV with a header (missing values empty)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    """Rows as JSON Lines (numbers as JSON numbers where they parse, empty values omitted)."""
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            obj: dict[str, object] = {}
            for k, v in row.items():
                if v == "":
                    continue
                obj[k] = int(v) if v.lstrip("-").isdigit() and len(v) < 15 else v
            fh.write(json.dumps(obj) + "\n")
    return path


def write_parquet(path: Path, goods: list[Good]) -> Path:
    """Valid events as a typed Parquet file (start as TIMESTAMP, naive UTC)."""
    table = pa.table(
        {
            Events.member_id: pa.array([g.member_id for g in goods], pa.int64()),
            Events.title_id: pa.array([g.title_id for g in goods], pa.int32()),
            Events.start_utc: pa.array([g.start for g in goods], pa.timestamp("us")),
            Events.seconds: pa.array([g.seconds for g in goods], pa.int64()),
            Events.profile: pa.array([g.profile for g in goods], pa.string()),
            Events.device: pa.array([g.device for g in goods], pa.string()),
            Events.country: pa.array([g.country for g in goods], pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


EVENT_ID = SourceColumns.event_id
