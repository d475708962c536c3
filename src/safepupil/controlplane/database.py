"""An SQLAlchemy engine for the control-plane database, from a URL.

SQLite (a file in the deployment home) is the embedded default; PostgreSQL
(``postgresql+psycopg://user@host/db``) is for a deployment with several users.
Passwords never go in the URL that is recorded: libpq reads PGPASSWORD or ~/.pgpass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from safepupil.errors import ConfigError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
POSTGRES_DRIVER = "psycopg"  # psycopg 3; the older psycopg2 is not installed
CONNECT_TIMEOUT_SECONDS = 5
SQLITE_BUSY_SECONDS = 60
URL_HINT = "give sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def parse_database_url(text: str) -> URL:
    """A checked URL: a supported backend and driver, and no password in it."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError("the database URL cannot be read", hint=URL_HINT) from None
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"database backend {url.get_backend_name()!r} is not supported", hint=URL_HINT
        )
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != POSTGRES_DRIVER:
        raise ConfigError(
            f"PostgreSQL is reached through the {POSTGRES_DRIVER} driver", hint=URL_HINT
        )
    if url.password is not None:
        raise ConfigError(
            "the database URL carries a password, which would be written to deployment.toml",
            hint="drop it from the URL and give it through PGPASSWORD or ~/.pgpass",
        )
    return url


def describe(url: URL) -> str:
    """The URL fit to print: any password masked."""
    return url.render_as_string(hide_password=True)


def create_control_engine(text: str) -> Engine:
    """An engine for ``text``; nothing is connected until it is used."""
    url = parse_database_url(text)
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(url))
    except (ArgumentError, NoSuchModuleError) as error:
        raise ConfigError(
            f"no engine for {describe(url)} ({type(error).__name__})", hint=URL_HINT
        ) from None
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def check_reachable(engine: Engine) -> None:
    """Connect once; a ConfigError saying what to check when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        raise ConfigError(
            f"cannot connect to the control-plane database {describe(engine.url)} "
            f"({error_kind(error)})",
            hint="check the server is running and the host, port, user and database name; "
            "for SQLite, check the folder exists and is writable",
        ) from None


def _connect_args(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql":
        return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    # Writers queue on the audit lock; under load a release may wait longer than SQLite's
    # default 5 s, and giving up then would refuse a release that only had to wait.
    return {"timeout": SQLITE_BUSY_SECONDS}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys unenforced unless asked on every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def error_kind(error: SQLAlchemyError) -> str:
    """The driver's error class (e.g. OperationalError): says what failed, quotes nothing."""
    return type(getattr(error, "orig", None) or error).__name__
