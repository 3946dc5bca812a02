"""Terminal output: one Rich console, progress bars that ``--quiet`` silences.

Library code reports progress through :func:`progress`; the CLI decides whether it shows. Logs go
to named loggers (``logging.getLogger(__name__)``) and never carry member data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True, soft_wrap=True)  # messages name paths: never hard-wrap them
out = Console()
_state = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) progress bars and chatter for this process."""
    _state["quiet"] = quiet


def is_quiet() -> bool:
    """Whether progress output is silenced."""
    return _state["quiet"]


@contextmanager
def progress() -> Iterator[Progress]:
    """A Rich progress bar on stderr, disabled when quiet.

    >>> with progress() as bar:
    ...     task = bar.add_task("work", total=2)
    ...     bar.advance(task, 2)
    """
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=_state["quiet"],
        transient=False,
    )
    with bar:
        yield bar


def say(message: str) -> None:
    """A status line on stderr unless quiet."""
    if not _state["quiet"]:
        console.print(message)
