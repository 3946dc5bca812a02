"""Small helpers over files shared by ingestion, the model store, exports and erasure."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "SPARK_SCRATCH",
    "make_private_dir",
    "private_fd",
    "scratch_folder",
    "sha256_file",
    "sweep_scratch",
    "write_private",
]

#: Mode of a folder Bingewise creates for member data: its owner only.
PRIVATE_DIR_MODE = 0o700
#: Mode of a member-level file Bingewise writes (an export, a recap): its owner only.
PRIVATE_FILE_MODE = 0o600
#: Prefix of the folders under the data folder where ``facts --engine spark`` exports the
#: warehouse's tables (every member's events) for Spark.
SPARK_SCRATCH = "spark-"
#: File in a scratch folder locked by the process using it (the lock dies with the process).
_OWNER = ".owner"


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


@contextmanager
def scratch_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder ``parent/prefix*`` for the block, removed at its end, also on failure.

    While the block runs, the process holds a lock on a file in it. A process killed before it
    could remove the folder (SIGKILL, out of memory, a SIGTERM) loses the lock with its life, so
    :func:`sweep_scratch` can tell such a leftover from a folder in use.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    owner = (folder / _OWNER).open("w")
    try:
        fcntl.flock(owner, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        owner.close()


def sweep_scratch(parent: Path, prefix: str) -> int:
    """Remove the folders ``parent/prefix*`` that no live process holds (left by a killed
    :func:`scratch_folder`, or one without its lock file); returns how many were removed."""
    removed = 0
    for folder in sorted(parent.glob(f"{prefix}*")):
        if not folder.is_dir():
            continue
        try:
            with (folder / _OWNER).open("a") as owner:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while the owner lives
        except BlockingIOError:
            continue
        except FileNotFoundError:
            pass  # no lock file: not a folder in use
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
