#!/usr/bin/env python3
"""Set up and run Bingewise with nothing but Python 3.11+ and the package registries.

    python3 dev.py demo     # install (uv, locked dependencies) and run the demo
    python3 dev.py test     # install and run lint, type check and the test suite

Uses only the standard library: it installs ``uv`` with pip if missing, syncs the locked
environment into ``.venv``, then runs the command inside it.
"""

from __future__ import annotations

import os
import subprocess
import sys


def sh(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True)


def uv(*args: str) -> None:
    sh(sys.executable, "-m", "uv", *args)


def setup() -> None:
    try:
        subprocess.run(
            [sys.executable, "-m", "uv", "--version"], check=True, capture_output=True
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        sh(sys.executable, "-m", "pip", "install", "--quiet", "uv")
    uv("sync", "--frozen", "--all-extras")


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "demo"
    extra = argv[2:]
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    setup()
    if what == "setup":
        return 0
    if what == "demo":
        uv("run", "--frozen", "bingewise", "demo", *extra)
    elif what == "test":
        uv("run", "--frozen", "ruff", "check", ".")
        uv("run", "--frozen", "mypy")
        uv("run", "--frozen", "pytest", "-n", "2", *extra)
    elif what == "lint":
        uv("run", "--frozen", "ruff", "check", ".")
        uv("run", "--frozen", "mypy")
    else:
        print(f"unknown command {what!r}: use demo, test, lint or setup", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
