"""``bingewise facts`` (operator tables) and ``bingewise recap`` (a member's year in review).

- ``bingewise facts [--period 2017|2017-03|2017-01-01:2017-06-30] [--json]``: the platform, country
  and member summary for the operator. Internal: nothing here is published (publishing goes
  through the privacy gate). ``--engine spark [--spark-cores N] [--tables DIR]`` computes the
  same facts on Spark in local mode (from the warehouse's tables exported to Parquet, or from a
  folder of Parquet tables) and prints them the same way.
- ``bingewise recap --member ID [--year Y] [--out FILE.html|.png|.json]``: one member's recap
  from the warehouse.
- ``bingewise recap EXPORT.zip|ViewingActivity.csv [--out-dir DIR] [--tz ZONE]``: one recap per
  profile of a person's own Netflix export, ingested into a temporary in-memory warehouse; nothing
  else is read or written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table

from bingewise.cli.ingest import DATE_ORDER_OPTION, ENCODING_OPTION, first_rejection, read_options
from bingewise.console import console, out, say
from bingewise.files import SPARK_SCRATCH, scratch_folder, sweep_scratch
from bingewise.schema import (
    BingeRacers,
    Catalog,
    CountryFacts,
    Events,
    MemberFacts,
    Members,
    Plays,
    Ratings,
    Streaks,
    TopTitles,
)
from bingewise.warehouse import Warehouse

if TYPE_CHECKING:  # the analytics (Ibis, Altair) load only when a command runs
    import ibis

    from bingewise.analytics import FactSet, Period
    from bingewise.analytics.recap import Recap
    from bingewise.ingest import IngestSummary


def _summary(fs: FactSet) -> dict[str, Any]:
    mf = fs.to_arrow(MemberFacts.table).to_pylist()
    # A member whose plays have no duration (a history of dates only) has unknown hours (NULL):
    # the hours are those of the members with durations, never a 0 for the others.
    hours = [r[MemberFacts.hours] for r in mf if r[MemberFacts.hours] is not None]
    without = len(mf) - len(hours)
    return {
        "period": str(fs.period),
        "members_watching": len(mf),
        "plays": int(fs["plays"].count().execute()),
        "sessions": int(fs["sessions"].count().execute()),
        "binges": int(fs["binges"].count().execute()),
        "season_binges": int(fs["season_binges"].count().execute()),
        "binge_races": int(fs["binge_races"].count().execute()),
        "hours": round(sum(hours), 2) if hours or not without else None,
        "median_hours_per_member": round(statistics.median(hours), 2) if hours else None,
        "members_without_durations": without,
        "longest_streak_days": max(
            (r[MemberFacts.longest_streak_days] or 0 for r in mf), default=0
        ),
    }


def _summary_table(summary: dict[str, Any]) -> Table:
    """The summary as one fact per line (a single wide row would be cut on a narrow terminal)."""
    table = Table(title="Binge facts")
    table.add_column("fact")
    table.add_column("value", justify="right")
    for name, value in summary.items():
        if value is None:  # hours of members with dates only are unknown; no members, no median
            text = "unknown" if summary.get("members_without_durations") else ""
        elif isinstance(value, int):
            text = f"{value:,}"
        elif isinstance(value, float):
            text = f"{value:,.2f}"
        else:
            text = str(value)
        table.add_row(name.replace("_", " "), text)
    return table


def _last_full_week(starts: set[dt.date], period: Period) -> tuple[dt.date | None, bool]:
    """The latest week (its Monday) lying wholly inside ``period``, and True; if no week does,
    the latest week at all and False (a part of a week, at an edge of the period)."""
    full = [s for s in starts if s >= period.start and s + dt.timedelta(days=6) <= period.end]
    if full:
        return max(full), True
    return (max(starts) if starts else None), False


#: Shorter headers where the column names would not fit an 80-column terminal (JSON keeps them).
_HEADERS = {
    CountryFacts.members_watching: "watching",
    CountryFacts.members_every_day: "every day",
    CountryFacts.share_every_day: "share",
    CountryFacts.hours_per_member_day: "h/member/day",
    BingeRacers.fastest_hours: "fastest (h)",
    Streaks.member_id: "member",
    Streaks.start_date: "from",
    Streaks.end_date: "to",
}


#: A show's kind as the top-shows table says it: a show of episodes is a series.
_SHOW_KIND = {Catalog.EPISODE: "series"}


def _table(title: str, rows: list[dict[str, Any]], columns: list[str], empty: str) -> Table | str:
    """A table of ``rows``; with no rows, one line saying why (``empty``) instead of a table
    head with nothing under it."""
    if not rows:
        return f"[bold]{title}[/bold]: {empty}"
    table = Table(title=title, min_width=len(title) + 2)  # a narrow table would wrap its title
    for col in columns:
        left = col in ("country", "name")
        table.add_column(_HEADERS.get(col, col), justify="left" if left else "right")
    for row in rows:
        table.add_row(
            *(
                f"{v:.3f}" if isinstance(v, float) else ("" if v is None else str(v))
                for v in (row.get(c) for c in columns)
            )
        )
    return table


#: The engines ``facts`` runs on (``--engine``).
ENGINES = ("duckdb", "spark")


@dataclass
class _Report:
    """What ``facts`` prints, read from a fact set on either engine."""

    period: Period
    summary: dict[str, Any]
    countries: list[dict[str, Any]]
    weekly: list[dict[str, Any]]
    week: dt.date | None
    full_week: bool
    racers: list[dict[str, Any]]
    streaks: list[dict[str, Any]]
    dated: bool


def _report(fs: FactSet, catalog: ibis.Table, top: int, as_json: bool) -> _Report:
    """Read the printed facts from ``fs`` (exactly, on any engine) and name the shows from
    ``catalog`` (the catalogue the facts were computed from)."""
    from bingewise.analytics import show_names

    summary = _summary(fs)
    # Every list in a fixed order, ties included: the same data prints the same facts.
    countries = sorted(
        fs.to_arrow(CountryFacts.table).to_pylist(),
        key=lambda r: (-(r[CountryFacts.members] or 0), r[CountryFacts.country] or "~"),
    )
    assert fs.platform is not None
    weekly = fs.platform.top_weekly.to_pylist()
    week, full_week = _last_full_week({r[TopTitles.period_start] for r in weekly}, fs.period)
    weekly = [r for r in weekly if r[TopTitles.period_start] == week]
    weekly.sort(key=lambda r: r[TopTitles.rank])
    racers = sorted(
        fs.platform.binge_racers.to_pylist(),
        key=lambda r: (
            -r[BingeRacers.racers],
            r[BingeRacers.fastest_hours] or 0.0,
            r[BingeRacers.series_id],
            r[BingeRacers.season],
        ),
    )[:top]
    streaks = fs.platform.extreme_streaks.to_pylist()
    ids = [r[TopTitles.show_id] for r in weekly] + [r[BingeRacers.series_id] for r in racers]
    names = show_names(catalog, [int(i) for i in ids if i is not None])
    for row in weekly:
        row["name"] = names.get(row[TopTitles.show_id])
    for row in racers:
        row["name"] = names.get(row[BingeRacers.series_id])
    # Why there are no racers, for the table: a catalog without release dates has none.
    dated = bool(
        racers
        or as_json
        or catalog.filter(catalog[Catalog.release_date].notnull()).count().execute()
    )
    return _Report(fs.period, summary, countries, weekly, week, full_week, racers, streaks, dated)


def facts(
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="2017, 2017-03 or 2017-01-01:2017-06-30 (local days; default: the days with "
            "plays, less a first or last day with a sliver of a platform's usual plays).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
    tz: Annotated[
        str, typer.Option("--tz", help="Zone for members with neither zone nor country.")
    ] = "UTC",
    top: Annotated[int, typer.Option("--top", help="Rows in the top tables.", min=1)] = 10,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="duckdb (the embedded warehouse) or spark (local mode on this machine; the "
            "same facts, for data that outgrows DuckDB).",
        ),
    ] = "duckdb",
    spark_cores: Annotated[
        int, typer.Option("--spark-cores", help="Cores Spark uses (--engine spark).", min=1)
    ] = 2,
    tables: Annotated[
        Path | None,
        typer.Option(
            "--tables",
            help="With --engine spark: a folder of events, catalog and members as Parquet "
            "(events.parquet or events/ of part files; warehouse schema) instead of the "
            "warehouse's tables.",
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the operator reads these facts (audit log).")
    ] = "operator binge facts",
) -> None:
    """Binge facts for the operator: platform, countries, binge racers, extreme streaks.

    The tables include member-level rows (the longest streaks), so the read is audited. With
    ``--engine spark`` the same fact set runs on Spark in local mode and prints the same facts.
    """
    from bingewise.analytics import FactSet, Period

    try:
        parsed = Period.parse(period) if period else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    read_options(tz=tz)  # an unknown zone is a usage error here, before any work or audit
    if engine not in ENGINES:
        raise typer.BadParameter(
            f"{engine!r}: the engines are {', '.join(ENGINES)}", param_hint="--engine"
        )
    if tables is not None and engine != "spark":
        raise typer.BadParameter(
            "a folder of tables is read by --engine spark", param_hint="--tables"
        )
    _audit("facts.read", None, "member facts, country facts, streaks", reason)
    if engine == "spark":
        report = _facts_on_spark(parsed, tz, top, as_json, spark_cores, tables)
        if report is None:
            return
    else:
        with Warehouse.open() as wh:
            if not as_json and not _has_viewing(wh):
                out.print(_no_viewing(wh))
                return
            fs = FactSet.compute(wh, parsed, default_tz=tz, top_n=top)
            try:
                report = _report(fs, wh.table(Catalog.table), top, as_json)
            finally:
                fs.drop(wh)
    _print_facts(report, as_json)


def _fail(message: str) -> NoReturn:
    """One error line (a path may hold brackets: no markup), exit status 1."""
    console.print(f"error: {message}", style="red", markup=False, highlight=False)
    raise typer.Exit(1)


def _facts_on_spark(
    period: Period | None,
    tz: str,
    top: int,
    as_json: bool,
    cores: int,
    folder: Path | None,
) -> _Report | None:
    """The facts on Spark in local mode, from ``folder``'s Parquet tables, or else from the
    warehouse's, exported to Parquet in a temporary folder under the data folder (removed at the
    end). None when there is no viewing (said on the terminal)."""
    from bingewise.config import get_settings
    from bingewise.spark import FACT_INPUTS, SparkUnavailable, TableError, require_spark, table_path

    names = [cls.table for cls in FACT_INPUTS]  # type: ignore[attr-defined]
    try:
        require_spark()  # before any export or check: what to install comes first
    except SparkUnavailable as exc:
        _fail(str(exc))
    if folder is not None:
        if not folder.is_dir():
            _fail(f"{folder}: no such folder (--tables)")
        try:
            for name in names:  # a missing table is found before Spark's 10–20 s start
                table_path(folder, name)
        except TableError as exc:
            _fail(str(exc))
    home = get_settings().ensure_home()
    # A run killed before its end left its copy of every member's events: remove it now.
    sweep_scratch(home, SPARK_SCRATCH)
    with scratch_folder(home, SPARK_SCRATCH) as scratch:
        return _facts_in_scratch(scratch, period, tz, top, as_json, cores, folder)


def _facts_in_scratch(
    scratch: Path,
    period: Period | None,
    tz: str,
    top: int,
    as_json: bool,
    cores: int,
    folder: Path | None,
) -> _Report | None:
    """:func:`_facts_on_spark` in its ``scratch`` folder (removed by the caller)."""
    from bingewise.analytics import FactSet
    from bingewise.spark import (
        FACT_INPUTS,
        SparkUnavailable,
        TableError,
        read_tables,
        spark_session,
        table_path,
    )

    names = [cls.table for cls in FACT_INPUTS]  # type: ignore[attr-defined]
    if folder is None:
        with Warehouse.open() as wh:
            if not as_json and not _has_viewing(wh):
                out.print(_no_viewing(wh))
                return None
            say("exporting the warehouse's events, catalog and members to Parquet for Spark")
            folder = scratch / "tables"
            wh.export_parquet(folder, names)
    say(f"starting Spark (local[{cores}], loopback only; this takes 10–20 s)")
    with warnings.catch_warnings():
        # PySpark 4 warns about pandas 3 when Ibis loads its backend; the facts are read
        # with Spark's own Arrow, not through pandas.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        try:
            with spark_session(cores, work=scratch / "spark") as session:
                inputs = read_tables(session, folder)
                events, catalog, members = (inputs[n] for n in names)
                if not as_json and not events.limit(1).count().execute():
                    out.print(
                        f"No viewing in {table_path(folder, names[0])}: binge facts "
                        "are computed from viewing events."
                    )
                    return None
                fs = FactSet.compute_tables(
                    events, catalog, members, period, default_tz=tz, top_n=top
                )
                try:
                    return _report(fs, catalog, top, as_json)
                finally:
                    fs.release()
                    for name in names:
                        session.catalog.dropTempView(f"_bw_in_{name}")
        except (SparkUnavailable, TableError) as exc:
            _fail(str(exc))


def _print_facts(r: _Report, as_json: bool) -> None:
    """Print the facts: JSON, or the summary and the four tables."""
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "summary": r.summary,
                    "countries": r.countries,
                    "top_last_week": r.weekly,
                    "top_week": {"start": r.week, "whole_week_in_period": r.full_week},
                    "binge_racers": r.racers,
                    "extreme_streaks": r.streaks,
                },
                default=str,
            )
        )
        return
    out.print(_summary_table(r.summary))
    out.print(
        _table(
            "Countries",
            [
                {**c, CountryFacts.country: c[CountryFacts.country] or "unknown"}
                for c in r.countries
            ],
            [
                CountryFacts.country,
                CountryFacts.members,
                CountryFacts.members_watching,
                CountryFacts.members_every_day,
                CountryFacts.share_every_day,
                CountryFacts.hours_per_member_day,
            ],
            "no members with plays in the period",
        )
    )
    week = r.week
    out.print(
        _table(
            "Top shows"
            + ("" if week is None else f", week of {week}")
            + ("" if r.full_week or week is None else " (part of a week)"),
            [
                {
                    **w,
                    "name": w["name"] or f"show {w[TopTitles.show_id]}",
                    TopTitles.kind: _SHOW_KIND.get(w[TopTitles.kind], w[TopTitles.kind]),
                }
                for w in r.weekly
            ],
            [TopTitles.rank, "name", TopTitles.kind, TopTitles.members],
            "no plays in the period",
        )
    )
    out.print(
        _table(
            "Binge racers (finished within 24 h of release)",
            [{**b, "name": b["name"] or f"series {b[BingeRacers.series_id]}"} for b in r.racers],
            [
                "name",
                BingeRacers.season,
                BingeRacers.racers,
                BingeRacers.fastest_hours,
            ],
            "none in the period"
            if r.dated
            else "none (the catalog has no release dates; a Netflix export gives none)",
        )
    )
    out.print(
        _table(
            "Longest streaks (each member's longest)",
            r.streaks,
            [Streaks.member_id, Streaks.days, Streaks.start_date, Streaks.end_date],
            "no plays in the period",
        )
    )


def _no_recap(
    wh: Warehouse, member: int, year: int | None, tz: str | None = None, who: str | None = None
) -> str:
    """Why there is no recap: no viewing that year (naming the local years there is, in the
    zone the recap used), only supplemental videos (trailers, previews), which a recap leaves
    out, or none at all (and whether the member has ratings, not viewing). ``who`` names the
    member in the sentence (default: "member ID")."""
    who = who or f"member {member}"
    from bingewise.analytics import plays
    from bingewise.analytics.runtimes import with_estimated_runtimes

    events = wh.table(Events.table)
    members = wh.table(Members.table)
    mine = plays(
        events.filter(events[Events.member_id] == member),
        with_estimated_runtimes(wh),
        members.filter(members[Members.member_id] == member),
        override_tz=tz,
    )
    days = mine.select(mine[Plays.local_date]).distinct().to_pyarrow().column(0).to_pylist()
    years = sorted({d.year for d in days if d is not None})
    if years:
        span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
        which = f"in {year}" if year is not None else "in the year of their latest viewing"
        return f"{who} has no viewing {which} (viewing in {span}, local years)"
    row = wh.duck.execute(
        f'SELECT count(*) FROM "{Events.table}" WHERE "{Events.member_id}" = ? '
        f'AND "{Events.supplemental}" IS NOT NULL',
        [member],
    ).fetchone()
    if row and row[0]:
        return (
            f"{who} has only trailers, previews and other supplemental videos ({row[0]:,}), "
            "which a recap leaves out"
        )
    row = wh.duck.execute(
        f'SELECT count(*) FROM "{Ratings.table}" WHERE "{Ratings.member_id}" = ?', [member]
    ).fetchone()
    rated = f"; {row[0]:,} ratings, which are not viewing" if row and row[0] else ""
    return f"{who} has no viewing in the warehouse{rated}"


def _has_viewing(wh: Warehouse) -> bool:
    row = wh.duck.execute(f'SELECT EXISTS (SELECT 1 FROM "{Events.table}")').fetchone()
    return bool(row and row[0])


def _no_viewing(wh: Warehouse) -> str:
    """Why there are no facts at all: no viewing events (ratings, if any, are not viewing)."""
    row = wh.duck.execute(f'SELECT count(*) FROM "{Ratings.table}"').fetchone()
    ratings = int(row[0]) if row else 0
    held = (
        f" It holds {ratings:,} ratings, which say what was rated, not when or for how long it "
        "was watched (`bingewise train` learns from them)."
        if ratings
        else ""
    )
    return (
        "No viewing in the warehouse: binge facts are computed from viewing events "
        f"(`bingewise ingest` a service's event log or a Netflix export).{held}"
    )


def _audit(action: str, member_id: int | None, resource: str, reason: str) -> None:
    """Record a read of member-level data in the registry's audit log before it happens."""
    from bingewise.privacy.audit import audited, os_actor
    from bingewise.registry import Registry

    registry = Registry.open()
    try:
        audited(registry, os_actor(), action, member_id, resource, reason)
    finally:
        registry.close()


def _tell_reading(wh: Warehouse, summaries: list[IngestSummary]) -> None:
    """What reading an export for a recap left out, and how it read the text: never silent
    (the rows themselves are not printed)."""
    for s in summaries:
        if s.message and not s.skipped:
            console.print(f"[yellow]{s.file}: {s.message}[/yellow]")
        if not s.rejected:
            continue
        first = first_rejection(wh, s.file)
        where = f" ({first})" if first else ""
        console.print(
            f"[yellow]{s.file}: {s.rejected:,} of {s.rows_read:,} rows could not be read"
            f"{where}; the recap leaves them out[/yellow]"
        )


def _whose_days(zone: str, country: str | None) -> str:
    """Which zone an export's recap counts local days in, why, and how to change it."""
    why = f"the most populous zone of {country}" if country else "the export names no country"
    return f"{zone} ({why}); pass --tz ZONE if you watch elsewhere"


def _slug(text: str) -> str:
    """A file-name part from a profile name: letters and digits of any script, dashes between."""
    return re.sub(r"[\W_]+", "-", text).strip("-").casefold() or "profile"


def _unique_slugs(names: list[str]) -> list[str]:
    """:func:`_slug` of each name, numbered where two would be alike ("kids", "kids-2"), so that
    no profile's recap overwrites another's."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        slug = _slug(name)
        seen[slug] = seen.get(slug, 0) + 1
        out.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return out


def recap(
    source: Annotated[
        Path | None,
        typer.Argument(help="A Netflix export (.zip, folder or ViewingActivity.csv); optional."),
    ] = None,
    member: Annotated[
        int | None, typer.Option("--member", help="Member id in the warehouse.")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Local year (default: the latest with viewing; in January and February, the "
            "year before if it has more days with viewing).",
        ),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Output file: .html, .png or .json.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Folder for one recap per export profile.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA zone of the viewer, e.g. Europe/Berlin.")
    ] = None,
    date_order: Annotated[str | None, DATE_ORDER_OPTION] = None,
    encoding: Annotated[str | None, ENCODING_OPTION] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why a member's recap is read (audit log).")
    ] = "member recap",
) -> None:
    """A year in review: calendar, weekday × hour, top series, longest binge and streak.

    From the warehouse (``--member``) the read is audited; from a person's own export nothing is
    stored anywhere.
    """
    from bingewise.analytics.recap import RECAP_FORMATS, member_recap

    if out_file is not None and out_file.suffix.lower() not in RECAP_FORMATS:
        raise typer.BadParameter(
            f"{out_file}: a recap is written as {', '.join(RECAP_FORMATS)}", param_hint="--out"
        )
    if out_file is not None and out_dir is not None:
        raise typer.BadParameter(
            "give --out (one file) or --out-dir (a folder), not both", param_hint="--out-dir"
        )
    options = read_options(date_order=date_order, tz=tz, encoding=encoding)  # checks them all
    if source is None:
        if member is None:
            raise typer.BadParameter("give --member ID or an export to read", param_hint="--member")
        target = out_file or (out_dir or Path(".")) / f"recap-{member}.html"
        _audit("recap.read", member, "plays, sessions, binges, streaks", reason)
        with Warehouse.open() as wh:
            r = member_recap(wh, member, year, override_tz=tz)
            why = _no_recap(wh, member, year, tz) if r is None else ""
        if r is None:
            console.print(f"[red]{why}[/red]")
            raise typer.Exit(1)
        if tz is not None and not r.has_durations:
            say("a history of dates only: its dates stay as Netflix printed them (--tz not used)")
        _write(r, target)
        return

    from bingewise.ingest import IngestError, ingest_paths

    folder = out_dir or Path(".")
    with Warehouse.open(":memory:") as wh:
        try:
            summaries = ingest_paths([source], warehouse=wh, options=options)
        except IngestError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        _tell_reading(wh, summaries)
        m = wh.table(Members.table)
        rows = (
            m.select(Members.member_id, Members.profile, Members.country).to_pyarrow().to_pylist()
        )
        if member is not None and rows:
            rows = [r for r in rows if r[Members.member_id] == member]
            if not rows:
                said = f"{source}: no profile of this export has member id {member}"
                console.print(f"[red]{said}[/red]")
                raise typer.Exit(1)
        if not rows:
            console.print(f"[red]{source}: no viewing found[/red]")
            raise typer.Exit(1)
        rows.sort(key=lambda r: (r[Members.profile] or "", r[Members.member_id]))
        slugs = _unique_slugs([r[Members.profile] or "Your viewing" for r in rows])
        written = 0
        for row, slug in zip(rows, slugs, strict=True):
            r = member_recap(wh, row[Members.member_id], year, override_tz=tz)
            if r is None:
                who = row[Members.profile] or "This history"  # a Title,Date list names none
                say(_no_recap(wh, row[Members.member_id], year, tz, who=who))
                continue
            written += 1
            if tz is None and r.has_durations:
                said = _whose_days(r.time_zone, row[Members.country])
                say(f"{row[Members.profile] or 'Your viewing'}: local days in {said}")
            if out_file is None:
                stem = f"recap-{slug}-{r.year}"
                targets = [folder / f"{stem}.html", folder / f"{stem}.png"]
            elif len(rows) == 1:
                targets = [out_file]
            else:  # one file per profile, in the format asked for
                targets = [out_file.with_name(f"{out_file.stem}-{slug}{out_file.suffix}")]
            for target in targets:
                _write(r, target)
        if not written:
            which = f"in {year}" if year is not None else "a recap counts"
            console.print(f"[red]{source}: no profile has viewing {which}[/red]")
            raise typer.Exit(1)


def _write(recap: Recap, target: Path) -> None:
    """Write one recap file; a folder that cannot be written is one line, not a traceback."""
    from bingewise.analytics.recap import write_recap

    try:
        out.print(f"wrote {write_recap(recap, target)}")
    except OSError as exc:
        console.print(f"[red]{target}: cannot write the recap ({exc.strerror or exc})[/red]")
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add this capability's commands to ``app``."""
    app.command("facts")(facts)
    app.command("recap")(recap)
