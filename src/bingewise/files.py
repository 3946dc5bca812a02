"""Small helpers over files shared by ingestion, the model store, exports and erasure."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["make_private_dir", "private_fd", "sha256_file", "write_private"]

#: Mode of a folder Bingewise creates for member data: its owner only.
PRIVATE_DIR_MODE = 0o700
#: Mode of a member-level file Bingewise writes (an export, a recap): its owner only.
PRIVATE_FILE_MODE = 0o600


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (any size fits in memory)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def make_private_dir(path: Path) -> Path:
    """Create ``path`` if missing, readable by its owner only (0700); return it.

    The folder holds member data (the warehouse, the registry, models), so other users of the
    machine must not read it. A folder that already exists keeps the mode its owner gave it;
    missing parents are made with the usual mode, as ``mkdir -p`` does.
    """
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    return path


def private_fd(path: Path) -> int:
    """Open ``path`` for writing (created or truncated), readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)  # a file that existed keeps its mode through O_CREAT
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, readable by its owner only (0600), also over an older file."""
    with os.fdopen(private_fd(path), "wb") as fh:
        fh.write(data)
