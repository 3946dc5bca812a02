"""Settings: one object, built lazily from the environment.

Every setting has a safe default for a local demo. In production (``BINGEWISE_ENV=production``)
placeholder secrets are refused, so a deployment cannot run on the demo key by accident.

Environment variables (all optional):

- ``BINGEWISE_HOME``: data folder (default ``./bingewise-data``), holding the warehouse, models
  and releases.
- ``BINGEWISE_DATABASE_URL``: SQLAlchemy URL of the registry (default: SQLite in the data folder;
  ``postgresql+psycopg://user@127.0.0.1:5432/db`` for PostgreSQL).
- ``BINGEWISE_SECRET_KEY``: key for keyed hashes (tombstones) and tokens.
- ``BINGEWISE_SMTP_URL``: ``smtp://host:port`` of the mail relay.
- ``BINGEWISE_SESSION_GAP_MINUTES`` (≥ 0, default 30) and ``BINGEWISE_FINISHED_SHARE`` (a share
  of the runtime in (0, 1], default 0.85): the analytics' session gap and finished share.
- ``BINGEWISE_MIN_VIEWERS`` (≥ 1, default 10): how many distinct members must have watched a
  title before a home page shows it to anyone who has not (country rankings, every model's
  picks, genre and "Because you watched" rows); fewer would tell a member what one or two
  others watched. A very small service (a household) lowers it knowingly.

A value that cannot be used is a :class:`SettingsError` naming the variable, its value and why.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "bingewise-local-demo-secret-change-me"


class SettingsError(ValueError):
    """A setting from the environment that cannot be used: one line naming the variable."""


class Settings(BaseSettings):
    """All of Bingewise's settings. Build with :func:`get_settings`, not at import time."""

    model_config = SettingsConfigDict(env_prefix="BINGEWISE_", extra="ignore")

    env: Literal["local", "test", "production"] = "local"
    home: Path = Path("bingewise-data")
    database_url: str | None = None
    secret_key: str = PLACEHOLDER_SECRET
    smtp_url: str = "smtp://127.0.0.1:8025"
    session_gap_minutes: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 30.0
    finished_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.85
    retention_days: int = 730
    min_viewers: Annotated[int, Field(ge=1)] = 10

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "BINGEWISE_SECRET_KEY is the demo placeholder; set a real secret in production"
            )
        return self

    @property
    def warehouse_path(self) -> Path:
        """The embedded DuckDB warehouse file."""
        return self.home / "warehouse.duckdb"

    @property
    def models_dir(self) -> Path:
        """Folder of trained models (``.npz``, never pickle)."""
        return self.home / "models"

    @property
    def releases_dir(self) -> Path:
        """Folder of published (differentially private) releases."""
        return self.home / "releases"

    @property
    def registry_path(self) -> Path:
        """The embedded SQLite registry file (used unless ``database_url`` is set)."""
        return self.home / "registry.sqlite"

    @property
    def registry_url(self) -> str:
        """SQLAlchemy URL of the registry; SQLite in the data folder unless set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.registry_path.resolve()}"

    def ensure_home(self) -> Path:
        """Create the data folder (and its sub-folders) if missing; return it.

        A data folder created here is its owner's only (0700): it holds member data.
        """
        from bingewise.files import make_private_dir

        make_private_dir(self.home)
        for path in (self.models_dir, self.releases_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use.

    Raises :class:`SettingsError` (``BINGEWISE_FINISHED_SHARE='85': Input should be less than
    or equal to 1``) for a value that cannot be used.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_said(exc)) from None


def _said(exc: ValidationError) -> str:
    """The first error of ``exc`` in one line, naming the environment variable and its value."""
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    if loc and isinstance(loc[0], str):
        name = f"BINGEWISE_{loc[0].upper()}"
        return f"{name}={err.get('input')!r}: {err['msg']}"
    return str(err["msg"]).removeprefix("Value error, ")


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
