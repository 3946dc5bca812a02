"""Read interaction logs for evaluation: MovieLens ratings or viewing-event files.

MovieLens shapes read directly (no warehouse needed):

- ``ratings.csv`` (ml-latest, ml-25m...): header ``userId,movieId,rating,timestamp``;
- ``u.data`` (ml-100k): tab-separated ``user item rating timestamp``, no header;
- ``ratings.dat`` (ml-1m, ml-10m): ``user::item::rating::timestamp``, no header.

A folder is searched for one of those names, and so is a ZIP (as GroupLens ships them).
Viewing events are CSV or Parquet files (or a folder of Parquet parts) with at least the
:class:`bingewise.schema.Events` columns ``member_id``, ``title_id`` and ``start_utc`` (ISO 8601,
or a time since the epoch read as ``bingewise ingest`` reads it); the events of one member and
title become one interaction (value = number of events) at the time training gives it: its latest
play start. With a ``seconds`` column, segments merge into plays by training's rule (the same
title resumed within the resume gap; :func:`_plays`), and a title whose every play has no progress
(0 seconds and no bookmark, naming a profile) is no interaction, as it weighs nothing in training;
a play of a history of dates (every segment 0 seconds, no profile) is one. Without ``seconds``
every event is a play of its own. Rows whose
``supplemental`` column (when the file has one) names a trailer, recap or hook are no
interaction, as in training; they are counted in the summary, not silently dropped. With the
service's catalog (``catalog``: CSV or Parquet with ``title_id`` and ``series_id``, as ``bingewise
ingest`` reads it), the episodes of a series are one interaction with the series, as training
and the home page count them; without it every episode is a title of its own.

A well-formed file is parsed by Arrow's multithreaded CSV reader (25 million ratings in seconds,
not minutes); a file with any bad row is read again line by line, so that every bad row is named.
Bad rows never crash the read and never vanish: each one becomes a :class:`Reject` naming its
line and field, the valid rows are kept, and ``rows_read == len(log) + duplicates +
len(rejects) + left_out + supplemental + unwatched + withheld`` (``left_out``: rows of rare
titles, only with :meth:`InteractionLog.without_rare_titles`). As in the Microsoft
Recommenders MovieLens benchmark, every rating counts as one interaction whatever its value
(the rating is kept in ``values`` but the evaluation binarises).
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bingewise.analytics.plays import DEFAULT_RESUME_GAP_MINUTES
from bingewise.ingest.base import IngestError, Reject
from bingewise.ingest.generic import EPOCH_UNITS, unbalanced_quote, whole_row
from bingewise.recommend.features import CatalogFeatures, title_year
from bingewise.schema import Catalog, Events, MovieLensFiles, SourceColumns

__all__ = ["InteractionLog", "read_events", "read_log", "read_movielens"]

_INT = re.compile(r"^\s*\d+\s*$")
_SECONDS_FRACTION = re.compile(r"^\s*\d{9,11}\.\d+\s*$")


@dataclass(frozen=True)
class InteractionLog:
    """One row per (member, title) interaction, ids as the source gives them."""

    users: np.ndarray  #: int64 member ids
    items: np.ndarray  #: int64 title ids
    times: np.ndarray  #: int64 UTC seconds since the epoch
    values: np.ndarray  #: float64 rating (MovieLens) or number of events (viewing)
    source: str  #: file read
    rows_read: int = 0  #: data rows in the file (header excluded)
    duplicates: int = 0  #: rows merged into an earlier row of the same member and title
    rejects: tuple[Reject, ...] = field(default_factory=tuple)
    min_title_count: int = 1  #: titles with fewer interactions were left out
    left_out: int = 0  #: interactions of those titles
    supplemental: int = 0  #: event rows of trailers, recaps and hooks (no interaction)
    episodes: int = 0  #: event rows of episodes counted as their series (with a catalog)
    #: event rows of titles a member played with no progress (0 s, naming a profile): no
    #: interaction, as training weighs them nothing
    unwatched: int = 0
    #: event rows of members withheld for consent (``withheld``), and how many members had any
    withheld: int = 0
    withheld_members: int = 0
    #: the catalogue's genres and years (``movies.csv`` next to MovieLens ratings, or the events'
    #: ``--catalog`` with genres or release dates), for the models that read them; None: none
    titles: CatalogFeatures | None = None
    titles_source: str = ""  #: the file they were read from
    #: rows of that file that could not be used (not counted in ``rows_read``, which counts
    #: the interaction file's rows)
    titles_rejects: tuple[Reject, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.users)

    def summary(self) -> str:
        """One line accounting for every row read (no member data)."""
        rare = (
            f", {self.left_out:,} interactions of titles with fewer than "
            f"{self.min_title_count:,} left out"
            if self.min_title_count > 1
            else ""
        )
        if self.supplemental:
            rare += f", {self.supplemental:,} rows of trailers and other supplemental videos"
        if self.episodes:
            rare += f", {self.episodes:,} rows of episodes counted as their series"
        if self.withheld:
            rare += (
                f", {self.withheld:,} rows of {self.withheld_members:,} members left out: "
                "consent to statistics or personalization withdrawn"
            )
        if self.unwatched:
            rare += f", {self.unwatched:,} rows of plays without progress (0 s, a profile)"
        if self.titles is not None:
            f = self.titles.features
            rare += (
                f"; {self.titles_source}: {len(self.titles.title_ids):,} titles, "
                f"{int((f.genres.getnnz(axis=1) > 0).sum()):,} with genres, "
                f"{int(np.isfinite(f.years).sum()):,} with a year, "
                f"{len(self.titles_rejects):,} rejected"
            )
        return (
            f"{self.source}: {self.rows_read:,} rows read, {len(self):,} interactions "
            f"({len(np.unique(self.users)):,} members × {len(np.unique(self.items)):,} titles), "
            f"{self.duplicates:,} merged duplicates, {len(self.rejects):,} rejected{rare}"
        )

    def without_rare_titles(self, min_count: int) -> InteractionLog:
        """The log without titles that fewer than ``min_count`` members took (one pass, before
        any split, the same for every model and peer: the usual pruning of a catalogue too large
        for dense titles × titles models, e.g. ml-25m's 59,000 films)."""
        if min_count < 1:
            raise ValueError("min_count must be at least 1")
        _, inverse, counts = np.unique(self.items, return_inverse=True, return_counts=True)
        keep = counts[inverse] >= min_count
        return replace(
            self,
            users=self.users[keep],
            items=self.items[keep],
            times=self.times[keep],
            values=self.values[keep],
            min_title_count=max(min_count, self.min_title_count),
            left_out=self.left_out + int((~keep).sum()),
        )


def read_log(
    path: str | Path,
    fmt: str = "movielens",
    columns: Sequence[tuple[str, str]] = (),
    catalog: str | Path | None = None,
    withheld: Collection[int] = (),
) -> InteractionLog:
    """Read ``path`` in format ``"movielens"`` or ``"events"`` (whose columns a service may name
    otherwise: ``columns`` pairs a file column with an events column, as ``ingest --columns``;
    ``catalog`` rolls episodes up to their series; ``withheld``: the service's members whose
    viewing may not be used, left out as training leaves them out)."""
    if fmt == "movielens":
        if columns:
            raise ValueError(
                "column names are fixed in the MovieLens shapes: --columns is for events"
            )
        if catalog is not None:
            raise ValueError("MovieLens titles are films: --catalog is for events")
        if withheld:
            raise ValueError("MovieLens users are no members of the service: consent is for events")
        return read_movielens(path)
    if fmt == "events":
        return read_events(path, columns, catalog, withheld)
    raise ValueError(f"unknown format {fmt!r}: use 'movielens' or 'events'")


_RATINGS_NAMES = (MovieLensFiles.ratings_csv, MovieLensFiles.u_data, MovieLensFiles.ratings_dat)


def _find_movielens(path: Path) -> Path:
    if path.is_dir():
        for name in _RATINGS_NAMES:
            if (path / name).is_file():
                return path / name
        raise IngestError(path, "no ratings.csv, u.data or ratings.dat in this folder")
    if not path.is_file():
        raise IngestError(path, "no such file")
    return path


def _raw(parts: list[str]) -> tuple[int, list[str]]:
    return len(parts), parts


_INT_PATTERN = r"^\s*\d+\s*$"


def _first_line(file: Path) -> str:
    with file.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        return fh.readline()


def _read_well_formed(file: Path, first: str) -> tuple[dict[str, np.ndarray], int] | None:
    """Parse ``file`` with Arrow when every row is valid; ``None`` when any row is not.

    Ids and timestamps are read as text and checked against the same pattern the line-by-line
    reader uses (Arrow alone would take ``0x5`` or ``-5``), then converted; ratings must be finite.
    """
    fields = MovieLensFiles.fields
    rating = MovieLensFiles.rating
    types = {f: (pa.float64() if f == rating else pa.string()) for f in fields}
    if "::" in first or "\t" in first:
        # ``a::b`` split on ``:`` leaves an empty column between each pair of fields.
        double = "::" in first
        names = [n for f in fields for n in (f, f"_{f}")][:-1] if double else list(fields)
        read = pacsv.ReadOptions(column_names=names, block_size=1 << 24)
        parse = pacsv.ParseOptions(delimiter=":" if double else "\t", quote_char=False)
    else:
        read = pacsv.ReadOptions(block_size=1 << 24)
        parse = pacsv.ParseOptions()
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=list(fields), strings_can_be_null=False
    )
    try:
        table = pacsv.read_csv(
            file, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, KeyError, UnicodeDecodeError):
        return None
    out: dict[str, np.ndarray] = {}
    for f in fields:
        col = table.column(f)
        values = _finite(col) if f == rating else _ids(col)
        if values is None:
            return None
        out[f] = values
    return out, table.num_rows


def _finite(col: pa.ChunkedArray) -> np.ndarray | None:
    """Float values when every one is present and finite; None otherwise."""
    if col.null_count:
        return None
    values = col.to_numpy()
    return values if np.isfinite(values).all() else None


def read_movielens(path: str | Path) -> InteractionLog:
    """Read MovieLens ratings in any of its shapes (see the module docstring), also straight from
    the ZIP GroupLens ships (``ml-latest-small.zip``: its ratings file, wherever it sits)."""
    file = _find_movielens(Path(path))
    if zipfile.is_zipfile(file):
        return _read_zipped(file)
    return _with_movies(_read_ratings_file(file), file.parent / SourceColumns.movies_csv)


def _with_movies(log: InteractionLog, movies: Path, source: str | None = None) -> InteractionLog:
    """``log`` with the genres and years of ``movies`` (``movies.csv``), when that file is there."""
    if not movies.is_file():
        return log
    titles, rejects = read_movies_csv(movies)
    return replace(
        log, titles=titles, titles_source=source or str(movies), titles_rejects=tuple(rejects)
    )


def read_movies_csv(file: Path) -> tuple[CatalogFeatures, list[Reject]]:
    """MovieLens ``movies.csv`` (``movieId,title,genres``): each film's genres (``|``-separated,
    ``(no genres listed)`` = none) and the year its title ends with (``Heat (1995)``; none: NaN).

    A row with the wrong number of fields or a ``movieId`` that is not a non-negative integer is
    rejected (line and field named); the other rows are kept. A file without the header's
    columns is an error.
    """
    ids: list[int] = []
    genres: list[str] = []
    years: list[float] = []
    rejects: list[Reject] = []
    with file.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in SourceColumns.movies_header if c not in header]
        if missing:
            raise IngestError(file, f"header lacks {', '.join(missing)}", line=1)
        id_at, title_at, genres_at = (header.index(c) for c in SourceColumns.movies_header)
        for row in reader:
            line = reader.line_num
            if not "".join(row).strip():
                continue
            raw = ",".join(row)
            if len(row) != len(header):
                found = f"expected {len(header)} fields, found {len(row)}"
                rejects.append(Reject(line, "", found, raw))
                continue
            if not _INT.match(row[id_at]):
                rejects.append(
                    Reject(line, SourceColumns.movies_header[0], "not a non-negative integer", raw)
                )
                continue
            ids.append(int(row[id_at]))
            text = row[genres_at].strip()
            genres.append("" if text == SourceColumns.no_genres else text)
            years.append(title_year(row[title_at]))
    return CatalogFeatures.from_rows(ids, genres, years), rejects


def _read_zipped(archive: Path) -> InteractionLog:
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        found = [
            (rank, n.count("/"), n)
            for n in names
            for rank, want in enumerate(_RATINGS_NAMES)
            if n.rsplit("/", 1)[-1] == want
        ]
        if not found:
            raise IngestError(archive, "no ratings.csv, u.data or ratings.dat in this archive")
        member = min(found)[2]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / member.rsplit("/", 1)[-1]
            with zf.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            log = _read_ratings_file(target)
            movies = member.rsplit("/", 1)[0] + "/" + SourceColumns.movies_csv
            if "/" not in member:
                movies = SourceColumns.movies_csv
            if movies in names:
                target = Path(tmp) / SourceColumns.movies_csv
                with zf.open(movies) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                log = _with_movies(log, target, source=f"{archive}/{movies}")
    # Rejects and the summary name the file inside the archive.
    return replace(log, source=f"{archive}/{member}")


def _read_ratings_file(file: Path) -> InteractionLog:
    first = _first_line(file)
    fast = _read_well_formed(file, first) if first.strip() else None
    if fast is None:
        return _read_line_by_line(file)
    parsed, n_rows = fast
    return _dedupe(
        users=parsed[MovieLensFiles.user],
        items=parsed[MovieLensFiles.item],
        times=parsed[MovieLensFiles.timestamp],
        values=parsed[MovieLensFiles.rating],
        source=str(file),
        rows_read=n_rows,
        rejects=[],
        keep="last",
    )


def _read_line_by_line(file: Path) -> InteractionLog:
    """Read every row on its own, naming each bad row's line and field."""
    with file.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline()
        if not first.strip():
            raise IngestError(file, "empty file", line=1)
        fh.seek(0)
        fields = MovieLensFiles.fields
        width = len(fields)
        if "::" in first:
            rows = (_raw(line.rstrip("\r\n").split("::")) for line in fh)
            first_line = 1
        elif "\t" in first:
            rows = (_raw(line.rstrip("\r\n").split("\t")) for line in fh)
            first_line = 1
        else:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader)]
            missing = [f for f in MovieLensFiles.header if f not in header]
            if missing:
                raise IngestError(file, f"header lacks {', '.join(missing)}", line=1)
            pos = [header.index(f) for f in MovieLensFiles.header]
            width = len(header)
            rows = ((len(r), [r[p] for p in pos] if len(r) == width else r) for r in reader)
            first_line = 2
        cols: list[list[str]] = [[] for _ in fields]
        lines: list[int] = []
        rejects: list[Reject] = []
        n_read = 0
        for offset, (n_raw, row) in enumerate(rows):
            line = first_line + offset
            if n_raw <= 1 and not "".join(row).strip():
                continue  # blank line (e.g. trailing newline)
            n_read += 1
            if n_raw != width:
                rejects.append(Reject(line, "", f"expected {width} fields, found {n_raw}", ""))
                continue
            for c, v in zip(cols, row, strict=True):
                c.append(v)
            lines.append(line)
    values = {f: np.asarray(c, dtype=object) for f, c in zip(fields, cols, strict=True)}
    ok = np.ones(len(lines), dtype=bool)
    reasons: dict[int, tuple[str, str]] = {}
    parsed: dict[str, np.ndarray] = {}
    for f in fields:
        s = pd.Series(values[f], dtype=object)
        if f == MovieLensFiles.rating:
            num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
            bad = ~np.isfinite(num)
            reason = "not a number"
        else:
            is_int = s.str.match(_INT).to_numpy(dtype=bool, na_value=False)
            num = np.zeros(len(s), dtype=np.float64)
            num[is_int] = pd.to_numeric(s[is_int]).to_numpy(dtype=np.float64)
            bad = ~is_int
            reason = "not a non-negative integer"
        for i in np.flatnonzero(bad & ok).tolist():
            reasons[i] = (f, reason)
        ok &= ~bad
        parsed[f] = num
    for i, (f, reason) in sorted(reasons.items()):
        raw = ",".join(str(values[g][i]) for g in fields)
        rejects.append(Reject(lines[i], f, reason, raw))
    rejects.sort(key=lambda r: r.line)
    return _dedupe(
        users=parsed[MovieLensFiles.user][ok].astype(np.int64),
        items=parsed[MovieLensFiles.item][ok].astype(np.int64),
        times=parsed[MovieLensFiles.timestamp][ok].astype(np.int64),
        values=parsed[MovieLensFiles.rating][ok],
        source=str(file),
        rows_read=n_read,
        rejects=rejects,
        keep="last",
    )


def _in_repeated_pair(users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """True for each row whose (member, title) pair occurs more than once (hashing, one pass)."""
    if len(users) == 0:
        return np.zeros(0, dtype=bool)
    u_min, i_min = int(users.min()), int(items.min())
    span_u, span_i = int(users.max()) - u_min + 1, int(items.max()) - i_min + 1
    if span_u * span_i < 2**62:  # one int64 key per pair hashes much faster than a pair
        key = (users - u_min) * span_i + (items - i_min)
        return pd.Series(key).duplicated(keep=False).to_numpy()
    return np.asarray(pd.MultiIndex.from_arrays([users, items]).duplicated(keep=False))


def _dedupe(
    *,
    users: np.ndarray,
    items: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    source: str,
    rows_read: int,
    rejects: list[Reject],
    keep: Literal["first", "last"],
    count_values: bool = False,
) -> InteractionLog:
    """Merge rows of the same (member, title): keep the last or the first by time, ties by file
    order; with ``count_values`` the value is the number of rows merged and the time the latest
    (events: the latest play start, as training times an interaction).

    Pairs keep the order of their first appearance, so seeded splits are reproducible from the
    file. A file without duplicate pairs (the usual case) is returned in its own order.
    """
    n = len(users)
    values = np.asarray(values, dtype=np.float64)
    in_repeat = _in_repeated_pair(users, items)
    if not in_repeat.any():
        return InteractionLog(
            users=users.astype(np.int64, copy=False),
            items=items.astype(np.int64, copy=False),
            times=np.asarray(times).astype(np.int64, copy=False),
            values=np.ones(n) if count_values else values,
            source=source,
            rows_read=rows_read,
            duplicates=0,
            rejects=tuple(rejects),
        )
    rep = np.flatnonzero(in_repeat)
    by_pair = rep[np.lexsort((items[rep], users[rep]))]
    su, si = users[by_pair], items[by_pair]
    starts_mask = np.ones(len(rep), dtype=bool)
    starts_mask[1:] = (su[1:] != su[:-1]) | (si[1:] != si[:-1])
    group = np.cumsum(starts_mask) - 1
    starts = np.flatnonzero(starts_mask)
    first_row = np.minimum.reduceat(by_pair, starts)  # first appearance of each pair
    # Within each pair, rows by time then file order: the chosen row is the first or last.
    ranked = by_pair[np.lexsort((by_pair, times[by_pair], group))]
    chosen = ranked[starts if keep == "first" else np.append(starts[1:], len(rep)) - 1]
    # Every kept row sits where its pair first appeared: no sort of the whole log.
    kept = ~in_repeat
    kept[first_row] = True
    source_row = np.arange(n)
    source_row[first_row] = chosen
    kept_rows = source_row[kept]
    if count_values:
        out_times = np.asarray(times).copy()
        out_times[first_row] = times[ranked[np.append(starts[1:], len(rep)) - 1]]
        out_values = np.ones(n)
        out_values[first_row] = np.diff(np.append(starts, len(rep)))
        out_times, out_values = out_times[kept], out_values[kept]
    else:
        out_times, out_values = times[kept_rows], values[kept_rows]
    return InteractionLog(
        users=users[kept_rows].astype(np.int64, copy=False),
        items=items[kept_rows].astype(np.int64, copy=False),
        times=np.asarray(out_times).astype(np.int64, copy=False),
        values=np.asarray(out_values, dtype=np.float64),
        source=source,
        rows_read=rows_read,
        duplicates=n - len(kept_rows),
        rejects=tuple(rejects),
    )


_EVENT_COLUMNS = (Events.member_id, Events.title_id, Events.start_utc)


def read_events(
    path: str | Path,
    columns: Sequence[tuple[str, str]] = (),
    catalog: str | Path | None = None,
    withheld: Collection[int] = (),
) -> InteractionLog:
    """Read viewing events (CSV with a header, or Parquet) into one interaction per title, or
    per series for the episodes the ``catalog`` names (see the module docstring).

    A well-formed file is read by Arrow (only the three columns needed, ids and times checked as
    the row reader checks them); a file with any bad or missing value is read row by row, so
    every bad row is named. ``columns`` pairs the file's own column names with the events
    columns (``(file column, events column)``); rejects name the file's columns. The rows of
    ``withheld`` members (consent withdrawn:
    :func:`bingewise.recommend.train.withheld_from_training`) are left out and counted, never
    named.
    """
    file = Path(path)
    if file.is_dir():
        if not any(file.rglob("*.parquet")):
            raise IngestError(file, "a folder without Parquet parts: give one CSV or Parquet file")
    elif not file.is_file():
        raise IngestError(file, "no such file or folder")
    series = None
    titles: tuple[CatalogFeatures | None, list[Reject]] = (None, [])
    if catalog is not None:
        read = _read_catalog(Path(catalog))
        series = _series_of_episodes(Path(catalog), read)
        titles = _catalog_titles(read)
    log = _read_events(file, columns, series, withheld)
    if titles[0] is None:
        return log
    return replace(
        log, titles=titles[0], titles_source=str(catalog), titles_rejects=tuple(titles[1])
    )


def _catalog_titles(read: tuple[pd.DataFrame, int]) -> tuple[CatalogFeatures | None, list[Reject]]:
    """The genres and release years of a catalog read by :func:`_read_catalog` (None when it
    has neither column), a series counted as one title (:meth:`CatalogFeatures.with_series`).
    A release date that is not a date rejects the row (line and field named); ids were checked
    by :func:`_series_of_episodes`."""
    frame, first_line = read
    if Catalog.genres not in frame.columns and Catalog.release_date not in frame.columns:
        return None, []
    n = len(frame)
    empty = pd.Series([""] * n, index=frame.index, dtype=object)
    genres = frame[Catalog.genres] if Catalog.genres in frame.columns else empty
    dates = frame[Catalog.release_date] if Catalog.release_date in frame.columns else empty
    text = dates.astype(str).str.strip()
    parsed = pd.to_datetime(text.where(text != ""), errors="coerce", format="ISO8601")
    bad = ((text != "") & parsed.isna()).to_numpy(dtype=bool)
    rejects = [
        Reject(first_line + int(i), Catalog.release_date, "not a date", str(text.iloc[i]))
        for i in np.flatnonzero(bad)
    ]
    keep = ~bad
    series = frame[Catalog.series_id].astype(str).str.strip()
    kind = (
        frame[Catalog.kind].astype(str).str.strip().str.lower()
        if Catalog.kind in frame.columns
        else pd.Series("", index=frame.index)
    )
    episode = ((series != "") & kind.isin(["", Catalog.EPISODE])).to_numpy()
    ids = frame[Catalog.title_id].astype(str).str.strip().astype(np.int64).to_numpy()
    of = np.where(episode, pd.to_numeric(series.where(series != "", "-1")).to_numpy(), -1)
    years = parsed.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
    return (
        CatalogFeatures.with_series(
            ids[keep],
            [str(g) for g in genres.to_numpy()[keep]],
            years[keep],
            of[keep].astype(np.int64),
        ),
        rejects,
    )


def _read_events(
    file: Path,
    columns: Sequence[tuple[str, str]],
    series: tuple[np.ndarray, np.ndarray] | None,
    withheld: Collection[int],
) -> InteractionLog:
    names = _file_names(columns)
    optional = _optional_columns(file, columns)
    fast = _events_well_formed(file, names, optional)
    if fast is None:
        return _read_events_row_by_row(file, names, optional, series, withheld)
    return _to_log(
        fast, series, source=str(file), rows_read=len(fast.users), rejects=[], withheld=withheld
    )


@dataclass(frozen=True)
class _Segments:
    """The valid event rows of a file (aligned arrays)."""

    users: np.ndarray  #: int64 member ids
    titles: np.ndarray  #: int64 title ids
    starts: np.ndarray  #: int64 UTC seconds
    main: np.ndarray  #: bool: main content (no supplemental type)
    seconds: np.ndarray | None  #: int64 seconds watched, when the file has the column
    bookmark: np.ndarray | None  #: int64 position reached, -1 where none (when it has one)
    named: np.ndarray | None  #: bool: the row names a profile (when it has the column)


def _to_log(
    seg: _Segments,
    series: tuple[np.ndarray, np.ndarray] | None,
    *,
    source: str,
    rows_read: int,
    rejects: list[Reject],
    withheld: Collection[int] = (),
) -> InteractionLog:
    """The interactions of the main-content rows, as training reads the same events: plays by
    its rule, each (member, item) timed by its latest play start, and those whose every play
    had no progress left out (counted as ``unwatched``); the rows of ``withheld`` members are
    none (counted)."""
    out = (
        np.isin(seg.users, np.fromiter((int(w) for w in withheld), dtype=np.int64))
        if withheld
        else np.zeros(len(seg.users), dtype=bool)
    )
    m = seg.main & ~out

    def main(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[m]

    users, titles = seg.users[m], seg.titles[m]
    play_start, counts = _plays(
        users, titles, seg.starts[m], main(seg.seconds), main(seg.bookmark), main(seg.named)
    )
    items, episodes = _roll_up(titles, series)
    watched = _any_in_pair(users, items, counts)
    return replace(
        _dedupe(
            users=users[watched],
            items=items[watched],
            times=play_start[watched],
            values=np.ones(int(watched.sum())),
            source=source,
            rows_read=rows_read,
            rejects=rejects,
            keep="last",
            count_values=True,
        ),
        supplemental=int((~seg.main & ~out).sum()),
        episodes=episodes,
        unwatched=int((~watched).sum()),
        withheld=int(out.sum()),
        withheld_members=len(np.unique(seg.users[out])),
    )


def _plays(
    users: np.ndarray,
    titles: np.ndarray,
    starts: np.ndarray,
    seconds: np.ndarray | None,
    bookmark: np.ndarray | None,
    named: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(start of each row's play, whether that play counts), by training's rule
    (:func:`bingewise.recommend.interactions.build_interactions`): a member's segments in time
    order (then title, then end), a segment continuing the previous one when it is of the same
    title and starts at most the resume gap after that one ended. A play counts when it made
    progress (its furthest bookmark, else its seconds, above 0) or is of a history of dates
    (every segment 0 seconds, naming no profile). Without ``seconds`` each row is a play that
    counts."""
    n = len(users)
    if seconds is None or n == 0:
        return starts, np.ones(n, dtype=bool)
    ends = starts + seconds
    order = _segment_order(users, titles, starts, ends)
    u, t, s, e = users[order], titles[order], starts[order], ends[order]
    gap = round(DEFAULT_RESUME_GAP_MINUTES * 60)
    opens = np.ones(n, dtype=bool)
    opens[1:] = ~((u[1:] == u[:-1]) & (t[1:] == t[:-1]) & (s[1:] - e[:-1] <= gap))
    first = np.flatnonzero(opens)
    play = np.cumsum(opens) - 1
    progress = np.add.reduceat(seconds[order], first)
    if bookmark is not None:
        b = bookmark[order]
        has = np.logical_or.reduceat(b >= 0, first)
        progress = np.where(has, np.maximum.reduceat(b, first), progress)
    zero = seconds[order] == 0
    if named is not None:
        zero &= ~named[order]
    counts = (progress > 0) | np.logical_and.reduceat(zero, first)
    out_start = np.empty(n, dtype=np.int64)
    out_counts = np.empty(n, dtype=bool)
    out_start[order] = s[first][play]
    out_counts[order] = counts[play]
    return out_start, out_counts


def _segment_order(
    users: np.ndarray, titles: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """The order of training's scan: by member, start, title, end (members in any order, as
    plays never span two). One sort of a (member, start) key, then the rare runs of equal keys
    sorted by title and end: a lexicographic sort of four columns costs several times more."""
    code = pd.factorize(users)[0].astype(np.int64)
    offset = starts - (starts.min() if len(starts) else 0)
    span = int(offset.max()) + 1 if len(offset) else 1
    if (int(code.max()) + 1 if len(code) else 1) * span >= 2**62:
        return np.lexsort((ends, titles, starts, users))
    key = code * span + offset
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    tie = sorted_key[1:] == sorted_key[:-1]
    if tie.any():
        in_run = np.zeros(len(order), dtype=bool)
        in_run[1:] |= tie
        in_run[:-1] |= tie
        at = np.flatnonzero(in_run)  # runs of equal keys, each contiguous
        sub = order[at]
        order[at] = sub[np.lexsort((ends[sub], titles[sub], key[sub]))]
    return order


def _any_in_pair(users: np.ndarray, items: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """True for each row whose (member, item) pair has a row where ``flag`` is True."""
    if flag.all():
        return flag
    u_min, i_min = int(users.min()), int(items.min())
    span_i = int(items.max()) - i_min + 1
    if (int(users.max()) - u_min + 1) * span_i < 2**62:  # one int64 key per pair
        # Only the pairs of unflagged rows (few) are looked up: hashing, cost in their number.
        key = pd.Series((users - u_min) * span_i + (items - i_min))
        doubtful = key[~flag].unique()
        suspect = key.isin(doubtful).to_numpy(dtype=bool)
        rescued = key[flag & suspect].unique()
        lost = np.setdiff1d(doubtful, rescued)
        return ~(suspect & key.isin(lost).to_numpy(dtype=bool))
    pairs = pd.MultiIndex.from_arrays([users, items])
    return np.asarray(pairs.isin(pairs[flag]), dtype=bool)


def _read_catalog(file: Path) -> tuple[pd.DataFrame, int]:
    """A catalog file, CSV or Parquet (a file or a folder of parts), as text columns (ids,
    series, kind, and genres and release date when it has them), and the line of its first row
    (Parquet: row numbers from 1)."""
    need = [Catalog.title_id, Catalog.series_id]
    wanted = (*need, Catalog.kind, Catalog.genres, Catalog.release_date)
    if file.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        raise IngestError(file, "a JSON catalog: give the catalog as CSV or Parquet")
    if file.is_dir() or (file.is_file() and _is_parquet(file)):
        try:
            table = pq.read_table(file)
        except (pa.ArrowInvalid, OSError) as exc:
            raise IngestError(file, f"not a readable Parquet catalog ({exc})") from exc
        missing = [c for c in need if c not in table.column_names]
        if missing:
            raise IngestError(file, f"catalog columns missing: {', '.join(missing)}")
        have = [c for c in wanted if c in table.column_names]
        frame = pd.DataFrame(  # as text (an int64 column with nulls would go through floats)
            {c: pc.fill_null(pc.cast(table.column(c), pa.string()), "").to_pylist() for c in have}
        )
        return frame, 1
    if file.is_file():
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise IngestError(file, f"catalog header lacks {', '.join(missing)}", line=1)
        return frame, 2
    raise IngestError(file, "no such catalog file or folder")


def _series_of_episodes(
    file: Path, read: tuple[pd.DataFrame, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(episode title ids, sorted; their series ids) from a catalog file, CSV or Parquet (a file
    or a folder of parts), by ingest's rules: the last row of a title wins, and a row is an
    episode of its ``series_id`` when its ``kind`` is ``episode``, or empty (training rolls up
    episodes only). A bad id is an error naming the file, line and field (the roll-up must not
    guess). ``read``: the file as :func:`_read_catalog` gives it, when already read."""
    frame, first_line = read if read is not None else _read_catalog(file)
    titles = frame[Catalog.title_id].astype(str).str.strip()
    series = frame[Catalog.series_id].astype(str).str.strip()
    for col, text, optional in (
        (Catalog.title_id, titles, False),
        (Catalog.series_id, series, True),
    ):
        bad = ~text.str.match(_INT).to_numpy(dtype=bool, na_value=False)
        if optional:
            bad &= (text != "").to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise IngestError(file, "not a non-negative integer", line=first_line + i, field=col)
    kind = (
        frame[Catalog.kind].astype(str).str.strip().str.lower()
        if Catalog.kind in frame.columns
        else pd.Series("", index=frame.index)
    )
    episode = ((series != "") & kind.isin(["", Catalog.EPISODE])).to_numpy()
    all_ids = titles.astype(np.int64).to_numpy()  # via Python ints: exact beyond 2^53
    last = len(all_ids) - 1 - np.unique(all_ids[::-1], return_index=True)[1]
    last = last[episode[last]]  # each title's last row, when that row is an episode
    order = np.argsort(all_ids[last])
    return all_ids[last][order], series.iloc[last[order]].astype(np.int64).to_numpy()


def _roll_up(
    items: np.ndarray, series: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, int]:
    """``items`` with each episode replaced by its series, and how many were."""
    if series is None or not len(series[0]) or not len(items):
        return items, 0
    episodes, of = series
    pos = np.minimum(np.searchsorted(episodes, items), len(episodes) - 1)
    hit = episodes[pos] == items
    return np.where(hit, of[pos], items), int(hit.sum())


def _is_parquet(file: Path) -> bool:
    """Whether ``file`` is Parquet: a ``.parquet`` file, or a folder of Parquet parts."""
    return file.is_dir() or file.suffix.lower() == ".parquet"


#: Columns read when the file has them: trailers, and what plays and their progress need.
_OPTIONAL_COLUMNS = (Events.supplemental, Events.seconds, Events.bookmark_seconds, Events.profile)


def _optional_columns(file: Path, columns: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Events column → the file's name for it, of the :data:`_OPTIONAL_COLUMNS` it has."""
    theirs = _theirs(columns)
    if _is_parquet(file):
        present = pq.read_schema(
            file if file.is_file() else next(iter(sorted(file.rglob("*.parquet"))))
        ).names
    else:
        present = next(csv.reader([_first_line(file)]), [])
    named = {c: theirs.get(c, c) for c in _OPTIONAL_COLUMNS}
    return {c: name for c, name in named.items() if name in present}


def _optional_ids(col: pa.ChunkedArray) -> np.ndarray | None:
    """Non-negative integers, -1 where empty or null; None if any other value is not one."""
    if pa.types.is_integer(col.type):
        valid = col.is_valid().to_numpy(zero_copy_only=False)
        values = col.fill_null(0).to_numpy().astype(np.int64)
        return None if (values < 0).any() else np.where(valid, values, -1)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    text = pc.utf8_trim_whitespace(pc.fill_null(col, ""))
    empty = np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
    out = np.full(len(text), -1, dtype=np.int64)
    if empty.all():
        return out
    given = pc.filter(text, pa.array(~empty))
    if not pc.all(pc.match_substring_regex(given, _INT_PATTERN)).as_py():
        return None
    try:
        out[~empty] = pc.cast(given, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return None
    return out


def _named(col: pa.ChunkedArray) -> np.ndarray:
    """True where a profile is named (not null, not blank)."""
    text = pc.utf8_trim_whitespace(pc.cast(col, pa.string()))
    return np.asarray(pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False))


def _main_content(col: pa.ChunkedArray | None, n: int) -> np.ndarray:
    """True where a row is main content: no supplemental type (empty, blank or null)."""
    if col is None:
        return np.ones(n, dtype=bool)
    text = pc.utf8_trim_whitespace(pc.cast(col, pa.string()))
    empty = pc.fill_null(pc.equal(text, ""), True)
    return np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)


def _ids(col: pa.ChunkedArray) -> np.ndarray | None:
    """Non-negative integers from an integer or text column (text checked against the line
    reader's pattern: Arrow alone would take ``0x5`` or ``-5``); None if any value is not one."""
    if col.null_count:
        return None
    if pa.types.is_integer(col.type):
        ids = col.to_numpy().astype(np.int64)
        return ids if not len(ids) or ids.min() >= 0 else None
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    if len(col) and not pc.all(pc.match_substring_regex(col, _INT_PATTERN)).as_py():
        return None
    try:
        return pc.cast(pc.utf8_trim_whitespace(col), pa.int64()).to_numpy()  # type: ignore[no-any-return]
    except pa.ArrowInvalid:  # beyond int64: let the row reader name it
        return None


def epoch_seconds(n: np.ndarray) -> np.ndarray:
    """Whole seconds (floored) of integers read as times since the epoch by ingest's rule
    (:data:`~bingewise.ingest.generic.EPOCH_UNITS`: the unit told by size); -1 where a number is
    no such time."""
    n = np.asarray(n, dtype=np.int64)
    out = np.full(n.shape, -1, dtype=np.int64)
    for lo, hi, per_second in EPOCH_UNITS:
        m = (n >= lo) if hi is None else (n >= lo) & (n < hi)
        out[m] = n[m] // per_second
    return out


def _float_seconds(x: np.ndarray) -> np.ndarray:
    """Whole seconds (floored) of floats that are seconds since the epoch in that unit's range
    of :data:`~bingewise.ingest.generic.EPOCH_UNITS`; -1 elsewhere."""
    lo, hi, _ = EPOCH_UNITS[0]
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x) & (x >= lo) & (x < (hi or np.inf))
    return np.where(ok, np.floor(np.where(ok, x, 0)), -1).astype(np.int64)


def _utc_seconds(col: pa.ChunkedArray) -> np.ndarray | None:
    """Whole UTC seconds (floored) from a timestamp or ISO 8601 text column (a time without a
    zone is UTC, as the row reader takes it), or from times since the epoch (numbers, or text of
    digits; :func:`epoch_seconds`); None if any value is not one."""
    if col.null_count:
        return None
    numeric = None
    if pa.types.is_integer(col.type):
        numeric = epoch_seconds(col.to_numpy())
    elif pa.types.is_floating(col.type):
        numeric = _float_seconds(col.to_numpy())
    elif (
        (pa.types.is_string(col.type) or pa.types.is_large_string(col.type))
        and len(col)
        and _INT.match(str(col[0].as_py()))  # ISO 8601 text pays no regex pass
        and pc.all(pc.match_substring_regex(col, _INT_PATTERN)).as_py()
    ):
        try:
            numeric = epoch_seconds(pc.cast(pc.utf8_trim_whitespace(col), pa.int64()))
        except pa.ArrowInvalid:  # beyond int64: no time (the row reader names it)
            return None
    if numeric is not None:
        return numeric if not len(numeric) or numeric.min() >= 0 else None
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        for kind in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
            try:
                col = pc.cast(col, kind)
                break
            except pa.ArrowInvalid:
                continue
        else:
            return None  # mixed or other layouts: pandas' parser, row by row
    if not pa.types.is_timestamp(col.type):
        return None
    # Ticks in the column's own unit (a cast to microseconds would refuse nanoseconds it cuts).
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[col.type.unit]
    return pc.cast(col, pa.int64()).to_numpy() // per_second  # type: ignore[no-any-return]


def _file_names(columns: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The file's name of each needed events column, given ``(file column, events column)``
    pairs (a column not paired keeps its own name)."""
    theirs = _theirs(columns)
    return {c: theirs.get(c, c) for c in _EVENT_COLUMNS}


def _theirs(columns: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Events column → the file's name for it, from ``(file column, events column)`` pairs."""
    return {mine: theirs for theirs, mine in columns if mine}


def _events_well_formed(
    file: Path, names: dict[str, str] | None = None, optional: dict[str, str] | None = None
) -> _Segments | None:
    """The rows read by Arrow, or None when any row needs the row reader. ``names``: the file's
    name of each events column (default: the same); ``optional``: the file's names of the
    :data:`_OPTIONAL_COLUMNS` it has (default: found in the file)."""
    names = names or _file_names(())
    optional = _optional_columns(file, ()) if optional is None else optional
    wanted = [names[c] for c in _EVENT_COLUMNS] + list(optional.values())
    try:
        if _is_parquet(file):
            table = pq.read_table(file, columns=wanted)
        else:
            table = pacsv.read_csv(
                file,
                read_options=pacsv.ReadOptions(block_size=1 << 24),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted,
                    column_types={c: pa.string() for c in wanted},
                    strings_can_be_null=False,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowKeyError, KeyError, UnicodeDecodeError):
        return None
    users = _ids(table.column(names[Events.member_id]))
    items = _ids(table.column(names[Events.title_id]))
    starts = _utc_seconds(table.column(names[Events.start_utc]))
    if users is None or items is None or starts is None:
        return None
    supplemental = optional.get(Events.supplemental)
    main = _main_content(table.column(supplemental) if supplemental else None, len(users))
    seconds = bookmark = named = None
    if Events.seconds in optional:
        seconds = _ids(table.column(optional[Events.seconds]))
        if seconds is None:
            return None
    if Events.bookmark_seconds in optional:
        bookmark = _optional_ids(table.column(optional[Events.bookmark_seconds]))
        if bookmark is None:
            return None
    if Events.profile in optional:
        named = _named(table.column(optional[Events.profile]))
    return _Segments(users, items, starts, main, seconds, bookmark, named)


class _Lines:
    """A file's physical lines, handed to ``csv.reader`` one at a time from ``pos`` (0-based),
    which the caller may set to read on after a stray quote."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _csv_records(file: Path) -> tuple[pd.DataFrame, np.ndarray, list[Reject]]:
    """The records of an events CSV as text (columns named by its header), the line each
    starts on, and the rejects of records that are no row: a value beyond the header's, or a
    stray quote (by the rule every CSV reader shares, :func:`~bingewise.ingest.generic.whole_row`:
    its line alone is rejected and the file read on from the next line). A row with fields left
    off its end has them empty."""
    with file.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        lines = fh.readlines()
    src = _Lines(lines)
    reader = csv.reader(src)
    header = next(reader, [])
    if not any(h.strip() for h in header):
        raise IngestError(file, "empty file: no header", line=1)
    width = len(header)
    records: list[list[str]] = []
    starts: list[int] = []
    malformed: list[Reject] = []
    while True:
        start = src.pos + 1  # 1-based line of the record's first line
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a quote still open at the end of the file
            values = [""] * (width + 1)
        end = src.pos
        if not any(v.strip() for v in values):
            continue  # blank line
        if end > start and start < len(lines) and whole_row(lines[start], width, ","):
            text = lines[start - 1].rstrip("\r\n")
            malformed.append(Reject(start, "", unbalanced_quote(), text))
            src.pos = start  # read on from the next line
            reader = csv.reader(src)
            continue
        if any(v.strip() for v in values[width:]):
            text = "".join(lines[start - 1 : end]).rstrip("\r\n")
            reason = f"{len(values)} fields where the header has {width}"
            malformed.append(Reject(start, "", reason, text))
            continue
        # Fields left off the end are empty (as pandas read them): a missing value is named
        # by its column below, and an empty optional one (supplemental) is no loss.
        records.append(values[:width] + [""] * (width - len(values)))
        starts.append(start)
    frame = pd.DataFrame(records, columns=header, dtype=str) if records else None
    if frame is None:
        frame = pd.DataFrame({h: pd.Series([], dtype=str) for h in header})
    return frame, np.asarray(starts, dtype=np.int64), malformed


def _read_events_row_by_row(
    file: Path,
    names: dict[str, str] | None = None,
    optional: dict[str, str] | None = None,
    series: tuple[np.ndarray, np.ndarray] | None = None,
    withheld: Collection[int] = (),
) -> InteractionLog:
    """Every row on its own, naming each bad row's line and field (the file's own names)."""
    names = names or _file_names(())
    optional = _optional_columns(file, ()) if optional is None else optional
    supplemental = optional.get(Events.supplemental)
    need = [names[c] for c in _EVENT_COLUMNS]
    # Columns of plays (seconds, bookmark, profile) the file has, read as text like the ids.
    extra = {c: n for c, n in optional.items() if c != Events.supplemental}
    main: np.ndarray
    if _is_parquet(file):
        table = pq.read_table(file)
        missing = [c for c in need if c not in table.column_names]
        if missing:
            raise IngestError(file, f"columns missing: {', '.join(missing)}")
        main = _main_content(table.column(supplemental) if supplemental else None, len(table))
        # As text through Arrow: pandas would read an integer column with a null as floats
        # ('7.0', every row rejected; 64-bit ids rounded). A null is an empty value.
        frame = pd.DataFrame(
            {
                c: pc.fill_null(pc.cast(table.column(c), pa.string()), "").to_pylist()
                for c in [*need, *extra.values()]
            }
        )
        lines = np.arange(len(frame)) + 1  # Parquet: row numbers
        malformed: list[Reject] = []
    else:
        frame, lines, malformed = _csv_records(file)
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise IngestError(file, f"header lacks {', '.join(missing)}", line=1)
        main = _main_content(
            pa.chunked_array([frame[supplemental].to_numpy(dtype=str)]) if supplemental else None,
            len(frame),
        )
    texts = {c: frame[n].astype(str).str.strip() for c, n in extra.items()}
    frame = frame[list(need)]
    frame.columns = list(_EVENT_COLUMNS)  # our names from here on; rejects name the file's
    ok = np.ones(len(frame), dtype=bool)
    reasons: dict[int, tuple[str, str]] = {}
    parsed: dict[str, np.ndarray] = {}
    for col in (Events.member_id, Events.title_id):
        s = frame[col].astype(str)
        is_int = s.str.match(_INT).to_numpy(dtype=bool, na_value=False)
        num = np.zeros(len(s), dtype=np.int64)
        num[is_int] = pd.to_numeric(s[is_int]).to_numpy(dtype=np.int64)
        for i in np.flatnonzero(~is_int & ok).tolist():
            reasons[i] = (names[col], "not a non-negative integer")
        ok &= is_int
        parsed[col] = num
    text = frame[Events.start_utc].astype(str)
    numbers = text.str.match(_INT).to_numpy(dtype=bool, na_value=False)
    fractions = text.str.match(_SECONDS_FRACTION).to_numpy(dtype=bool, na_value=False)
    stamps = pd.to_datetime(
        text.where(~numbers & ~fractions), errors="coerce", utc=True, format="mixed"
    )
    seconds = np.zeros(len(frame), dtype=np.int64)
    epoch = pd.Timestamp(0, tz="UTC")
    dated = ~stamps.isna().to_numpy()
    seconds[dated] = ((stamps[dated] - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    if numbers.any():  # times since the epoch, by ingest's rule; digits beyond int64 are none
        as_int = pd.to_numeric(text[numbers], errors="coerce").to_numpy(dtype=np.float64)
        fits = np.isfinite(as_int) & (np.abs(as_int) < 2**62)
        counted = np.full(len(as_int), -1, dtype=np.int64)
        counted[fits] = epoch_seconds(text[numbers][fits].str.strip().astype(np.int64).to_numpy())
        seconds[numbers] = counted
        dated[numbers] = counted >= 0
    if fractions.any():  # seconds with a fraction (a float column read as text)
        counted = _float_seconds(text[fractions].astype(np.float64).to_numpy())
        seconds[fractions] = counted
        dated[fractions] = counted >= 0
    bad_time = ~dated
    for i in np.flatnonzero(bad_time & ok).tolist():
        reasons[i] = (names[Events.start_utc], "not a timestamp or a time since the epoch")
    ok &= ~bad_time
    # Seconds must be given; a bookmark may be empty; a profile is named or not.
    ints: dict[str, np.ndarray] = {}
    for col in (Events.seconds, Events.bookmark_seconds):
        if col not in texts:
            continue
        text_ = texts[col]
        empty = (text_ == "").to_numpy()
        is_int = text_.str.match(_INT).to_numpy(dtype=bool, na_value=False)
        as_num = pd.to_numeric(text_.where(is_int), errors="coerce").to_numpy(dtype=np.float64)
        is_int = is_int & np.isfinite(as_num) & (as_num < 2**62)
        bad = ~is_int & ~empty if col == Events.bookmark_seconds else ~is_int
        for i in np.flatnonzero(bad & ok).tolist():
            reasons[i] = (extra[col], "not a non-negative integer")
        ok &= ~bad
        ints[col] = np.where(is_int, np.nan_to_num(as_num), -1).astype(np.int64)
    named = (texts[Events.profile] != "").to_numpy() if Events.profile in texts else None
    # Trailers and other supplemental rows are no interaction (a bad one is still named).
    rejects = [
        Reject(
            int(lines[i]),
            reasons[i][0],
            reasons[i][1],
            ",".join(str(frame.iloc[i][c]) for c in _EVENT_COLUMNS),
        )
        for i in sorted(reasons)
    ]
    rejects = sorted([*malformed, *rejects], key=lambda r: r.line)

    def valid(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[ok]

    segments = _Segments(
        users=parsed[Events.member_id][ok],
        titles=parsed[Events.title_id][ok],
        starts=seconds[ok],
        main=main[ok],
        seconds=valid(ints.get(Events.seconds)),
        bookmark=valid(ints.get(Events.bookmark_seconds)),
        named=valid(named),
    )
    return _to_log(
        segments,
        series,
        source=str(file),
        rows_read=len(frame) + len(malformed),
        rejects=rejects,
        withheld=withheld,
    )
