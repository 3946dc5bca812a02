"""The ``bingewise`` command: one sub-command per capability.

Each capability registers its commands from its own module in this package, so the CLI stays
thin: commands parse options, call the library and print.
"""

from __future__ import annotations

import logging
import sys

import typer

from bingewise.cli import demo, facts, ingest, privacy, recommend, synth
from bingewise.config import SettingsError
from bingewise.console import console, set_quiet
from bingewise.registry import RegistryUnavailable

app = typer.Typer(
    name="bingewise",
    help="Personalization and viewing analytics for streaming services, private by design.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or chatter."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at INFO level."),
) -> None:
    """Bingewise."""
    set_quiet(quiet)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)


for _module in (ingest, synth, facts, recommend, privacy, demo):
    _module.register(app)



def run() -> None:
    """The ``bingewise`` script: the app, with an unreachable registry said in one line.

    Any command may need the registry; when its database cannot be reached (a server down, a
    database not created, a wrong URL) the operator gets which one and why (password hidden),
    exit status 1, not a traceback. So does a setting that cannot be used (the variable, its
    value and why).
    """
    try:
        app()
    except (RegistryUnavailable, SettingsError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)


__all__ = ["app", "run"]
