"""``bingewise ingest PATH...``: load files, archives and folders into the warehouse.

Prints one line per file (read, stored, duplicates, rejected), or the summaries as JSON with
``--json``. Exit code 1 when a path could not be ingested at all (the others still are).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from bingewise.console import console, out

if TYPE_CHECKING:  # the command imports them when it runs: `bingewise --help` stays quick
    from bingewise.ingest import IngestError, IngestSummary, ReadOptions
    from bingewise.warehouse import Warehouse

DATE_ORDERS = ("MDY", "DMY", "YMD")
DATE_ORDER_OPTION = typer.Option(
    "--date-order", help="Order of locale dates like 7/8/2022: MDY, DMY, YMD."
)
COLUMNS_HELP = (
    "A file's own column names for an events or catalog file, e.g. "
    "'user_id=member_id,video_id=title_id,ts=start_utc,ip=' (empty: leave it out)."
)
ENCODING_OPTION = typer.Option(
    "--encoding",
    help="Text encoding of a personal export that is not UTF-8 (default: UTF-8, a byte-order "
    "mark's, else Windows-1252), e.g. cp1250.",
)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, ZIP archives or folders.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Force a format instead of sniffing (e.g. events-csv)."),
    ] = None,
    date_order: Annotated[str | None, DATE_ORDER_OPTION] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA time zone of the viewer, e.g. Europe/Paris.")
    ] = None,
    household: Annotated[
        str | None, typer.Option("--household", help="Household label for a personal export.")
    ] = None,
    encoding: Annotated[str | None, ENCODING_OPTION] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help=COLUMNS_HELP,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summaries as JSON.")] = False,
) -> None:
    """Ingest viewing events, catalogs, ratings and Netflix exports (format sniffed)."""
    from bingewise.ingest import IngestError, ingest_paths, reader_named
    from bingewise.registry import Registry
    from bingewise.warehouse import Warehouse

    if fmt is not None:
        try:
            reader_named(fmt)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--format") from None
    options = read_options(
        date_order=date_order, tz=tz, household=household, encoding=encoding, columns=columns
    )
    summaries: list[IngestSummary] = []
    failures: list[IngestError] = []
    registry = Registry.open()
    try:
        with Warehouse.open() as warehouse:
            for path in paths:
                try:
                    summaries.extend(
                        ingest_paths(
                            [path], warehouse=warehouse, registry=registry, fmt=fmt, options=options
                        )
                    )
                except IngestError as exc:
                    failures.append(exc)
                    console.print(f"[red]error[/red] {exc}", highlight=False)
            firsts = {
                s.file: where
                for s in summaries
                if s.rejected and not s.skipped and (where := first_rejection(warehouse, s.file))
            }
    finally:
        registry.close()
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "files": [
                        {**s.to_dict(), "first_rejection": firsts.get(s.file, "")}
                        for s in summaries
                    ],
                    "errors": [{"file": e.path, "reason": str(e)} for e in failures],
                }
            )
        )
    else:
        # Piped output gets a wide console so the table's columns are never truncated.
        (out if out.is_terminal else Console(width=160)).print(_table(summaries, firsts))
    if failures:
        raise typer.Exit(1)


def read_options(
    *,
    date_order: str | None = None,
    tz: str | None = None,
    household: str | None = None,
    encoding: str | None = None,
    columns: str | None = None,
) -> ReadOptions:
    """Reading options from command-line values, each checked (a bad one names its option)."""
    import codecs

    from bingewise.geo import is_time_zone
    from bingewise.ingest import ReadOptions

    if date_order is not None and date_order.upper() not in DATE_ORDERS:
        raise typer.BadParameter(
            f"must be one of {', '.join(DATE_ORDERS)}", param_hint="--date-order"
        )
    if tz is not None and not is_time_zone(tz):
        raise typer.BadParameter(f"unknown IANA time zone {tz!r}", param_hint="--tz")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise typer.BadParameter(
                f"unknown text encoding {encoding!r} (e.g. utf-8, cp1252, utf-16)",
                param_hint="--encoding",
            ) from None
    return ReadOptions(
        date_order=date_order.upper() if date_order else None,
        household=household,
        tz=tz,
        encoding=encoding,
        columns=column_map(columns) if columns else (),
    )


def column_map(text: str) -> tuple[tuple[str, str], ...]:
    """``"a=member_id,b=title_id,c="`` as pairs, checked (a bad map names ``--columns``)."""
    from bingewise.ingest.formats import check_column_map

    pairs: list[tuple[str, str]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        theirs, eq, mine = part.partition("=")
        if not eq:
            raise typer.BadParameter(
                f"{part.strip()!r} is not FILE_COLUMN=COLUMN", param_hint="--columns"
            )
        pairs.append((theirs.strip(), mine.strip()))
    try:
        check_column_map(pairs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--columns") from None
    return tuple(pairs)


def _shared_folder(files: list[str]) -> str:
    """The deepest existing folder holding every file ("" when there is none to share): files
    inside an archive are named after it (``report.zip/...``), so their prefix is not a folder."""
    try:
        base = Path(os.path.commonpath(files)) if files else None
    except ValueError:  # relative and absolute names mixed
        return ""
    while base is not None and not base.is_dir():
        base = base.parent if base.parent != base else None
    return "" if base is None or base == Path(".") else str(base)


def first_rejection(warehouse: Warehouse, file: str) -> str:
    """Where the latest reading of ``file`` rejected its first row, and why: ``"first: line 3,
    field 'Duration': not a duration (expected H:MM:SS)"`` ("" when it quarantined none). Never
    the row itself, which may hold member data."""
    from bingewise.schema import Quarantine

    src, at = f'"{Quarantine.source}"', f'"{Quarantine.ingested_utc}"'
    row = warehouse.duck.execute(
        f'SELECT "{Quarantine.line}", "{Quarantine.field}", "{Quarantine.reason}" '
        f'FROM "{Quarantine.table}" WHERE {src} = ? AND {at} = '
        f'(SELECT max({at}) FROM "{Quarantine.table}" WHERE {src} = ?) '
        f'ORDER BY "{Quarantine.line}" LIMIT 1',
        [file, file],
    ).fetchone()
    if row is None:
        return ""
    line, fld, why = row
    return f"first: line {line}{f', field {fld!r}' if fld else ''}: {why}"


def _table(summaries: list[IngestSummary], firsts: dict[str, str] | None = None) -> Group:
    """One row per file, named relative to the folder they share (named once, in the title),
    and each file's notes on their own lines under the table (how it was read, where its first
    rejected row is), so an 80-column terminal shows every name and note whole."""
    base = _shared_folder([s.file for s in summaries])
    table = Table(title=f"ingested from {base}" if base else "ingested")
    for col in ("file", "format", "read", "stored", "duplicates", "rejected"):
        numeric = col in ("read", "stored", "duplicates", "rejected")
        table.add_column(
            col, justify="right" if numeric else "left", no_wrap=numeric or col == "format"
        )
    notes: list[str] = []
    for s in summaries:
        name = os.path.relpath(s.file, base) if base else s.file
        table.add_row(
            name,
            s.format,
            f"{s.rows_read:,}",
            f"{s.stored:,}",
            f"{s.duplicates:,}",
            f"{s.rejected:,}",
        )
        if s.message:
            notes.append(f"{name}: {s.message}")
        if firsts and s.file in firsts:
            notes.append(
                f"{name}: {s.rejected:,} of {s.rows_read:,} rows rejected ({firsts[s.file]})"
            )
    return Group(table, Text("\n".join(notes), style="dim"))


def register(app: typer.Typer) -> None:
    """Add ``bingewise ingest`` to ``app``."""
    app.command("ingest")(ingest)
