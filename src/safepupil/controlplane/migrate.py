"""Bring the control-plane schema to the newest revision, with Alembic driven from code.

The Alembic Config is built here (script location inside the package), not read from
an alembic.ini in the working folder, so ``safepupil init`` migrates correctly from
any folder and for any deployment home.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from safepupil.controlplane.database import describe, error_kind
from safepupil.errors import ConfigError

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"
HEAD = "head"


@dataclass(frozen=True)
class MigrationResult:
    before: str | None  # revision before the run; None for an empty database
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise ConfigError("the control-plane migrations have no head revision")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> MigrationResult:
    """Apply every migration not yet applied, in one transaction per run."""
    try:
        before = current_revision(engine)
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), HEAD)
        after = current_revision(engine)
    except SQLAlchemyError as error:
        raise ConfigError(
            f"migrating the control-plane database {describe(engine.url)} failed "
            f"({error_kind(error)})",
            hint="check the database user may create tables; the schema was left as it was",
        ) from None
    if after is None:
        raise ConfigError("the control-plane migrations left no revision recorded")
    return MigrationResult(before=before, after=after)
