"""Small helpers over files shared by ingestion, the model store and erasure."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SPARK_SCRATCH", "scratch_folder", "sha256_file", "sweep_scratch"]

#: Prefix of the folders under the data folder where ``facts --engine spark`` exports the
#: warehouse's tables (every member's events) for Spark.
SPARK_SCRATCH = "spark-"
#: File in a scratch folder locked by the process using it (the lock dies with the process).
_OWNER = ".owner"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (any size fits in memory)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
