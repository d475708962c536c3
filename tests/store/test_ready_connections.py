"""Connections prepared ahead of time: a store opened from one is the same sealed,
encrypted store, the file is free again as soon as the opening ends, and nothing is
prepared before a process first opens the store."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from safepupil.store.deployment import Deployment, init_deployment, open_store
from safepupil.store.duckdb_connect import prepare_connection
from safepupil.store.ready_connections import (
    LOWEST_PRIORITY,
    READY_COUNT,
    ReadyConnections,
    at_low_priority,
    keep_ready,
    kept_for,
    stop_keeping,
    take_ready,
)
from safepupil.web.app import create_app


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return init_deployment(tmp_path / "home").deployment


@pytest.fixture
def kept(deployment: Deployment) -> Iterator[Path]:
    """Connections kept ready for the deployment's store, as a server process keeps them."""
    folder = deployment.paths.store_temp
    keep_ready(folder)
    try:
        yield folder
    finally:
        stop_keeping(folder)


def wait_for_ready(ready: ReadyConnections, count: int, limit: float = 60.0) -> None:
    started = time.monotonic()
    while ready.ready_count() < count:
        assert time.monotonic() - started < limit, "no connection was prepared in time"
        time.sleep(0.05)


def test_nothing_is_prepared_before_the_store_is_first_opened(deployment: Deployment) -> None:
    ready = ReadyConnections(deployment.paths.store_temp)
    try:
        time.sleep(0.3)
        assert ready.ready_count() == 0
        assert ready.take() is None  # the first opening prepares its own...
        wait_for_ready(ready, READY_COUNT)  # ...and asks for the next ones
    finally:
        ready.stop()
    assert ready.ready_count() == 0  # stopping closes what was held


def test_a_prepared_connection_holds_no_store_and_no_key(deployment: Deployment) -> None:
    connection = prepare_connection(deployment.paths.store_temp)
    try:
        databases = connection.execute("SELECT database_name FROM duckdb_databases()").fetchall()
        settings = dict(
            connection.execute(
                "SELECT name, value FROM duckdb_settings() "
                "WHERE name IN ('temp_file_encryption', 'enable_external_access')"
            ).fetchall()
        )
    finally:
        connection.close()
    assert "store" not in {name for (name,) in databases}
    assert settings == {"temp_file_encryption": "true", "enable_external_access": "true"}


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT 1) TO '{folder}/leak.csv'",
        "SELECT * FROM read_csv('{folder}/anything.csv')",
        "ATTACH '{folder}/other.duckdb' AS other",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "DETACH store",
    ],
)
def test_a_store_opened_from_a_prepared_connection_is_sealed(
    deployment: Deployment, kept: Path, tmp_path: Path, statement: str
) -> None:
    with open_store(deployment, read_only=True):
        pass  # the first opening: from now on connections are prepared in the background
    ready = _ready_of(kept)
    wait_for_ready(ready, 1)
    with open_store(deployment, read_only=True) as store:
        assert store.execute("SELECT current_database()").fetchone() == ("store",)
        with pytest.raises(duckdb.Error):
            store.execute(statement.format(folder=tmp_path))
    assert not (tmp_path / "leak.csv").exists()


def test_the_store_file_is_free_for_a_writer_as_soon_as_a_reader_is_done(
    deployment: Deployment, kept: Path
) -> None:
    with open_store(deployment, read_only=True):
        pass
    wait_for_ready(_ready_of(kept), READY_COUNT)
    for _ in range(2):  # from prepared connections only
        with open_store(deployment, read_only=True) as store:
            store.execute("SELECT count(*) FROM pupils").fetchone()
        # An intake in another process opens the store for writing between requests.
        with open_store(deployment) as writer:
            writer.execute("SELECT count(*) FROM pupils").fetchone()


def test_a_web_app_keeps_connections_only_while_it_serves(deployment: Deployment) -> None:
    folder = deployment.paths.store_temp
    with TestClient(create_app(deployment), base_url="https://testserver"):
        assert kept_for(folder) is not None
    assert kept_for(folder) is None
    assert take_ready(folder) is None


@pytest.mark.skipif(sys.platform != "linux", reason="a thread has a priority of its own on Linux")
def test_preparing_runs_at_the_lowest_priority_and_leaves_the_caller_alone() -> None:
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = priority()
    seen: list[int] = []
    at_low_priority(lambda: seen.append(priority()))
    assert seen == [LOWEST_PRIORITY]
    assert priority() == before


def test_a_failure_while_preparing_reaches_the_caller() -> None:
    def failing() -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        at_low_priority(failing)


def _ready_of(folder: Path) -> ReadyConnections:
    ready = kept_for(folder)
    assert ready is not None
    return ready
