"""Connecting to the registry and bringing its schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bingewise.config import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: sa.Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


class RegistryUnavailable(RuntimeError):
    """The registry database cannot be reached (the message names it, password hidden)."""


def describe_url(url: str) -> str:
    """``url`` as it may be shown: the password hidden."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "an unparsable database URL"


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a busy timeout.

    Statement parameters are member data (ids, profiles, countries): ``hide_parameters`` keeps
    them out of every error message and log line SQLAlchemy writes.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_con, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


class Registry:
    """The registry database with its repositories (``.members`` and those later issues add)."""

    def __init__(self, engine: sa.Engine) -> None:
        from bingewise.registry.members import MembersRepo

        self.engine = engine
        self.members = MembersRepo(engine)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Registry:
        """Connect to ``url`` (default: settings) and apply pending migrations."""
        if url is None:
            settings = get_settings()
            settings.ensure_home()
            url = settings.registry_url
        engine = make_engine(url)
        try:
            with engine.connect():
                pass
        except sa.exc.OperationalError as exc:
            engine.dispose()
            reason = " ".join(str(exc.orig).split()) if exc.orig is not None else str(exc)
            raise RegistryUnavailable(
                f"cannot open the registry at {describe_url(url)}: {reason}"
            ) from None
        if migrate:
            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()
