"""Alembic's entry point, run by ``controlplane.migrate`` with a Config built in code.

The caller passes an open SQLAlchemy connection in ``config.attributes["connection"]``,
so migrations run on exactly the engine the command was given (no alembic.ini, no
URL read from the environment). Offline (SQL script) mode is not offered.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from safepupil.controlplane.schema import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place: Alembic copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _given_connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through safepupil.controlplane.migrate")
    return connection


run_migrations(_given_connection())
