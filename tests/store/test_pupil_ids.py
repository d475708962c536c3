"""New pupil ids: consecutive, in LA order, the same on every run, and never reused."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from safepupil.store.catalogue import load_catalogue
from safepupil.store.pupil_store import assign_pupil_ids, create_schema


@pytest.fixture
def store() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_schema(connection, load_catalogue())
    return connection


def _assign(store: duckdb.DuckDBPyConnection, rows: list[tuple[str, str | None]]) -> int:
    incoming = pa.table({"pupil_token": [token for token, _ in rows], "la": [la for _, la in rows]})
    store.register("incoming", incoming)
    try:
        return assign_pupil_ids(store, "incoming").new_pupils
    finally:
        store.unregister("incoming")


def _ids(store: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(store.execute("SELECT pupil_token, pupil_id FROM pupils").fetchall())


def test_new_ids_are_consecutive_in_la_order(store: duckdb.DuckDBPyConnection) -> None:
    # tokens in an order unrelated to their LA; one pupil has two records (two LAs)
    rows = [("t9", "873"), ("t1", "201"), ("t5", "873"), ("t3", "201"), ("t7", None)]
    rows += [("t2", "873"), ("t2", "201")]
    assert _assign(store, rows) == 6
    ids = _ids(store)
    by_id = sorted(ids, key=ids.__getitem__)
    # LA 201 first (t2's first LA is 201), then 873, then no LA; tokens in order within
    assert by_id == ["t1", "t2", "t3", "t5", "t9", "t7"]
    assert sorted(ids.values()) == list(range(min(ids.values()), min(ids.values()) + 6))


def test_known_pupils_keep_their_ids_and_new_ones_follow(
    store: duckdb.DuckDBPyConnection,
) -> None:
    _assign(store, [("a", "201"), ("b", "202")])
    before = _ids(store)
    assert _assign(store, [("b", "999"), ("c", "100"), ("d", "100")]) == 2
    after = _ids(store)
    assert {k: after[k] for k in before} == before
    assert min(after["c"], after["d"]) > max(before.values())  # never reused
    assert after["c"] + 1 == after["d"]


def test_the_same_records_get_the_same_ids() -> None:
    rows = [(f"t{i:04d}", f"{200 + i % 7}") for i in range(500)]
    runs = []
    for _ in range(2):
        connection = duckdb.connect(config={"threads": 2})
        create_schema(connection, load_catalogue())
        _assign(connection, rows[::-1])
        runs.append(_ids(connection))
    assert runs[0] == runs[1]
