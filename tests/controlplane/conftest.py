"""A PostgreSQL database of its own for each test that needs one.

Each gets a uniquely named database on the server at 127.0.0.1:5432, dropped
afterwards, so concurrent runs never collide. Without the server the tests skip
locally, but fail under CI=true: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_URL = f"{SERVER}/test"


def _admin_engine() -> sa.Engine:
    engine = sa.create_engine(
        ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        engine.dispose()
        reason = f"PostgreSQL at {ADMIN_URL} is unreachable ({type(error).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI needs it (start it with pg_ctlcluster)")
        pytest.skip(f"{reason}; set CI=true to make this a failure")
    return engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty database; dropped (with its connections) afterwards."""
    admin = _admin_engine()
    name = f"safepupil_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
