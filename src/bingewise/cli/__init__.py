"""The ``bingewise`` command: one sub-command per capability.

Each capability registers its commands from its own module in this package, so the CLI stays
thin: commands parse options, call the library and print.
"""

from __future__ import annotations

import logging

import typer

from bingewise.cli import demo, facts, ingest, privacy, recommend, synth
from bingewise.console import set_quiet

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

__all__ = ["app"]
