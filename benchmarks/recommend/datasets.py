"""MovieLens 100k for the evaluation benchmark, fetched from the Python package index.

The published figures the issue quotes (Microsoft Recommenders' README: BiVAE, BPR, SAR) are
for MovieLens 100k, and ``../shared/data`` holds only ``ml-latest-small``. This machine reaches
the package registries and nothing else, so the data comes from a wheel on PyPI that ships it:
RecBole 1.2.1 bundles the 100,000 ratings of ``ml-100k`` as ``ml-100k.inter`` (user, item,
rating, timestamp, tab-separated: 943 members × 1,682 titles). The wheel's SHA-256 is pinned, the
ratings are rewritten as ``u.data`` (tab-separated, no header) and the file's own SHA-256 is
checked too, so a changed upstream can never pass silently.

The file is cached under ``$XDG_CACHE_HOME/bingewise/ml-100k`` (``~/.cache`` by default) and
never enters the repository; MovieLens' licence allows research use but not redistribution.

    uv run python -m benchmarks.recommend.datasets        # fetch (or find) and print the path
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import urllib.request
import zipfile
from pathlib import Path

__all__ = ["ML_100K_PUBLISHED", "ml_100k"]

_INDEX = "https://pypi.org/simple/recbole/"
_WHEEL = "recbole-1.2.1-py3-none-any.whl"
_WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
_MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
_U_DATA_SHA256 = "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"
_ROWS = 100_000

#: Stratified 75/25 split of ml-100k, k = 10 (Microsoft Recommenders' README): (P@10, NDCG@10).
ML_100K_PUBLISHED: dict[str, tuple[float, float]] = {
    "BiVAE (published)": (0.412, 0.475),
    "BPR (published)": (0.388, 0.442),
    "SAR (published)": (0.331, 0.382),
}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bingewise" / "ml-100k"


def _wheel_url() -> str:
    """The wheel's download address, read from the package index's simple page."""
    req = urllib.request.Request(_INDEX, headers={"Accept": "text/html"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        page = resp.read().decode("utf-8", "replace")
    for part in page.split('href="')[1:]:
        url = part.split('"', 1)[0]
        if url.split("#", 1)[0].endswith("/" + _WHEEL):
            return url.split("#", 1)[0]
    raise RuntimeError(f"{_INDEX}: no link to {_WHEEL}")


def _u_data(inter: bytes) -> bytes:
    """RecBole's ``.inter`` (header line, then user, item, rating, timestamp) as ``u.data``."""
    lines = inter.decode("utf-8").splitlines()
    if not lines or not lines[0].startswith("user_id"):
        raise RuntimeError(f"{_MEMBER}: unexpected header {lines[:1]}")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if len(parts) != 4:
            raise RuntimeError(f"{_MEMBER}, line {n}: expected 4 fields, found {len(parts)}")
        user, item, rating, stamp = parts
        out.append(f"{int(user)}\t{int(item)}\t{int(float(rating))}\t{int(float(stamp))}\n")
    if len(out) != _ROWS:
        raise RuntimeError(f"{_MEMBER}: expected {_ROWS:,} ratings, found {len(out):,}")
    return "".join(out).encode("ascii")


def ml_100k(cache: Path | None = None) -> Path:
    """The folder holding ``u.data`` of MovieLens 100k (fetched once, then cached)."""
    folder = cache or _cache_dir()
    target = folder / "u.data"
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == _U_DATA_SHA256:
        return folder
    with urllib.request.urlopen(_wheel_url(), timeout=300) as resp:
        wheel = resp.read()
    digest = hashlib.sha256(wheel).hexdigest()
    if digest != _WHEEL_SHA256:
        raise RuntimeError(f"{_WHEEL}: SHA-256 {digest} is not the pinned {_WHEEL_SHA256}")
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        data = _u_data(zf.read(_MEMBER))
    if hashlib.sha256(data).hexdigest() != _U_DATA_SHA256:
        raise RuntimeError("ml-100k u.data differs from the pinned checksum")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return folder


if __name__ == "__main__":
    sys.stdout.write(f"{ml_100k()}\n")
