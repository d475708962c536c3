"""The pupil store's schema (DuckDB): pupils, submissions, records, aggregates, views.

    pupils                      pupil_token -> pupil_id, assigned on first sight, never reused
    submissions                 every version of every (collection, year, LA) received
    <family>_records            one table per collection (ap_census_records): every version's
                                records, with pupil_id and submission_id
    statistics_only_aggregates  protected counts as released by the LA: no pupil ids or
                                tokens, so they cannot be joined to pupil records
    statistics_only_audits      each aggregate's audit proof, as the LA sent it
    <dataset> (a view)          e.g. ap_census_2018: the current version of each LA's
                                return, with exactly the catalogue's items plus pupil_id

The query engines read only the views. Every identifier placed in SQL here comes from
the catalogue (checked against its identifier pattern) or from this module, and is
quoted as well; values are bound parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import duckdb

from safepupil.errors import ConfigError, InternalError
from safepupil.store.amendments import AMENDMENTS, AMENDMENTS_DDL, is_correctable
from safepupil.store.catalogue import IDENTIFIER, Catalogue, Dataset, Item, ItemType
from safepupil.store.retention import expires_on

# ruff: noqa: S608 - SQL text here is composed only of quoted() identifiers; values are bound

STORE_FORMAT = "1"
PUPIL_ID_SEQUENCE = "pupil_ids"
INCOMING_TOKENS = "temp.incoming_tokens"  # connection-local scratch, never stored
CURRENT = "current"
SUPERSEDED = "superseded"
# DuckDB column type for each catalogue item type.
SQL_TYPES: Mapping[ItemType, str] = {
    "token": "VARCHAR",
    "code": "VARCHAR",
    "year_month": "VARCHAR",
    "date": "DATE",
    "integer": "INTEGER",
    "decimal": "DOUBLE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Collection:
    """A census collection received through intake, and where its records live."""

    code: str  # as in the submission header, e.g. "AP"
    family: str  # its datasets are named <family>_<year> in the catalogue

    @property
    def records_table(self) -> str:
        return f"{self.family}_records"

    def dataset_name(self, year: int) -> str:
        return f"{self.family}_{year}"


COLLECTIONS: Mapping[str, Collection] = {"AP": Collection(code="AP", family="ap_census")}

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS store_info (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    # A sequence rather than max()+1: an id stays unused even if its pupil is removed later.
    f"CREATE SEQUENCE IF NOT EXISTS {PUPIL_ID_SEQUENCE} START 1",
    # No index on pupil_token: at millions of pupils DuckDB's index costs more than it
    # saves; tokens are made unique by construction (assign_pupil_ids).
    "CREATE TABLE IF NOT EXISTS pupils (pupil_id BIGINT NOT NULL, pupil_token VARCHAR NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS submissions (
        submission_id INTEGER PRIMARY KEY,
        collection VARCHAR NOT NULL,
        year SMALLINT NOT NULL,
        la VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        sha256 VARCHAR NOT NULL UNIQUE,
        received_at TIMESTAMP NOT NULL,
        created VARCHAR,
        signer VARCHAR NOT NULL,
        pseudonym_key_id VARCHAR,
        policy_sha256 VARCHAR,
        records INTEGER NOT NULL,
        aggregate_cells INTEGER NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('{CURRENT}', '{SUPERSEDED}')),
        superseded_by INTEGER,
        UNIQUE (collection, year, la, version))""",
    """CREATE TABLE IF NOT EXISTS statistics_only_aggregates (
        submission_id INTEGER NOT NULL,
        item VARCHAR NOT NULL,
        table_label VARCHAR NOT NULL,
        dimensions MAP(VARCHAR, VARCHAR) NOT NULL,
        shown VARCHAR NOT NULL,
        count INTEGER,
        status VARCHAR NOT NULL,
        reason VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS statistics_only_audits (
        submission_id INTEGER NOT NULL,
        item VARCHAR NOT NULL,
        population VARCHAR NOT NULL,
        age_on VARCHAR,
        codes VARCHAR[] NOT NULL,
        tables VARCHAR[][] NOT NULL,
        not_published VARCHAR NOT NULL,
        audit VARCHAR)""",
    AMENDMENTS_DDL,  # before the views, which read it
    f"""CREATE OR REPLACE VIEW statistics_only_current AS
        SELECT s.collection, s.year, s.la, s.version, a.*
        FROM statistics_only_aggregates a JOIN submissions s USING (submission_id)
        WHERE s.status = '{CURRENT}'""",
)


def quoted(name: str) -> str:
    """An identifier for SQL; only plain lower-case names (as the catalogue admits)."""
    if not IDENTIFIER.match(name):
        raise ConfigError(f"{name!r} is not a plain lower-case identifier")
    return f'"{name}"'


def create_schema(store: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Create what is missing (never drops or changes data): tables, then dataset views."""
    with transaction(store):
        for statement in _SCHEMA:
            store.execute(statement)
        store.execute(
            "INSERT INTO store_info VALUES ('format', ?) ON CONFLICT DO NOTHING", [STORE_FORMAT]
        )
        for dataset, collection in collection_datasets(catalogue):
            ensure_records_table(store, collection, dataset)
            refresh_dataset_view(store, collection, dataset)


@contextlib.contextmanager
def transaction(store: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success; roll back on any exception, so nothing is half-written."""
    store.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        store.execute("ROLLBACK")
        raise
    store.execute("COMMIT")


def collection_datasets(catalogue: Catalogue) -> list[tuple[Dataset, Collection]]:
    """Catalogue datasets that intake fills, with their collection."""
    found = []
    for collection in COLLECTIONS.values():
        prefix = f"{collection.family}_"
        for dataset in catalogue.datasets:
            if dataset.name.startswith(prefix) and dataset.name[len(prefix) :].isdigit():
                found.append((dataset, collection))
    return found


def item_columns(dataset: Dataset) -> list[tuple[str, str]]:
    """(column, DuckDB type) for each item of the dataset, in catalogue order."""
    return [(item.name, SQL_TYPES[item.type]) for item in dataset.items]


def ensure_records_table(
    store: duckdb.DuckDBPyConnection, collection: Collection, dataset: Dataset
) -> None:
    """Create the collection's records table, or add columns a newer dataset needs."""
    table = quoted(collection.records_table)
    columns = ", ".join(f"{quoted(name)} {kind}" for name, kind in item_columns(dataset))
    store.execute(
        f"CREATE TABLE IF NOT EXISTS {table} "
        f"(submission_id INTEGER NOT NULL, pupil_id BIGINT NOT NULL, {columns})"
    )
    present = {row[0] for row in store.execute(f"DESCRIBE {table}").fetchall()}
    for name, kind in item_columns(dataset):
        if name not in present:
            store.execute(f"ALTER TABLE {table} ADD COLUMN {quoted(name)} {kind}")


def refresh_dataset_view(
    store: duckdb.DuckDBPyConnection, collection: Collection, dataset: Dataset
) -> None:
    """The dataset's view: current versions only, catalogue items plus pupil_id."""
    year = int(dataset.name.removeprefix(f"{collection.family}_"))
    columns = ", ".join(_view_column(dataset, item) for item in dataset.items)
    # The code, year, dataset and item names and expiry dates are written into the view (a
    # view keeps no parameters); all come from this module's registry and the checked
    # catalogue, not from input.
    store.execute(
        f"CREATE OR REPLACE VIEW {quoted(dataset.name)} AS "
        f"WITH r AS (SELECT * FROM {quoted(collection.records_table)} "
        "WHERE submission_id IN (SELECT submission_id FROM submissions "
        f"WHERE collection = '{collection.code}' AND year = {year} AND status = '{CURRENT}')), "
        f"{_amended_cte(dataset)} SELECT {columns}, r.pupil_id FROM r "
        "LEFT JOIN a ON r.pupil_id = a.pupil_id AND r.la = a.la"
    )


AMENDED_ITEMS = "amended__items"  # the view's list of the items a pupil's record has amended


def _amended_cte(dataset: Dataset) -> str:
    """``a``: per (pupil, LA), the newest amendment of each correctable item, pivoted."""
    pivot = [f"list(item) AS {AMENDED_ITEMS}"] + [
        f"max(value) FILTER (WHERE item = '{item.name}') AS {quoted(item.name)}"
        for item in dataset.items
        if is_correctable(dataset, item)
    ]
    return (
        f"a AS (SELECT pupil_id, la, {', '.join(pivot)} "
        f"FROM (SELECT * FROM {AMENDMENTS} WHERE dataset = '{dataset.name}' "
        "QUALIFY row_number() OVER (PARTITION BY pupil_id, la, item "
        "ORDER BY amendment_number DESC) = 1) GROUP BY pupil_id, la)"
    )


def _view_column(dataset: Dataset, item: Item) -> str:
    """An item as the view shows it: amended where a correction was applied, and null
    from its retention expiry on."""
    name = quoted(item.name)
    value = f"r.{name}"
    if is_correctable(dataset, item):
        value = (
            f"CASE WHEN list_contains(a.{AMENDED_ITEMS}, '{item.name}') "
            f"THEN CAST(a.{name} AS {SQL_TYPES[item.type]}) ELSE r.{name} END"
        )
    return retained_column(dataset, item, value)


def retained_column(dataset: Dataset, item: Item, value: str) -> str:
    """A dataset view's column for ``item``: ``value`` (SQL text) until the item's
    retention expiry, null from that day on. Every dataset view writes its columns with
    this, so no view shows an item the release pipeline would refuse. ``current_date`` is
    read when a query runs, not when the view is made, so an item disappears on the day
    it expires with no job having run."""
    expiry = expires_on(dataset, item).isoformat()
    return f"CASE WHEN current_date < DATE '{expiry}' THEN {value} END AS {quoted(item.name)}"


@dataclass(frozen=True)
class Assigned:
    tokens: int  # distinct tokens in the incoming relation
    repeated: int  # tokens found on more than one incoming row
    new_pupils: int  # tokens never seen before, now given a pupil_id


def assign_pupil_ids(store: duckdb.DuckDBPyConnection, incoming: str) -> Assigned:
    """Give every token in relation ``incoming`` not yet seen a new pupil_id.

    Set operations only (the distinct tokens anti-joined to pupils), so it runs at
    DuckDB's speed at millions of rows; the distinct step also counts repeated tokens
    for callers that need one row per pupil. Run it inside the caller's transaction.

    New ids are consecutive in LA order (then token order), so an LA's new pupils are
    neighbours in the id space: contributor bitmaps of LA-level cells then take one or
    two roaring containers instead of one per 65,536 ids the LA is spread over, which
    makes them several times cheaper to build, store and compare. The order also makes
    the ids the same however many threads DuckDB uses.
    """
    by_la = "la" in _columns(store, incoming)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {INCOMING_TOKENS} AS "
        f"SELECT pupil_token, count(*) AS rows, {'min(la)' if by_la else 'NULL'} AS la "
        f"FROM {quoted(incoming)} GROUP BY pupil_token"
    )
    try:
        tokens, repeated = _counts(
            store, f"SELECT count(*), count(*) FILTER (WHERE rows > 1) FROM {INCOMING_TOKENS}"
        )
        new = f"FROM {INCOMING_TOKENS} ANTI JOIN pupils USING (pupil_token)"
        (wanted,) = _counts(store, f"SELECT count(*) {new}")
        first = _reserve_ids(store, wanted)
        (new_pupils,) = _counts(
            store,
            f"INSERT INTO pupils SELECT {first} - 1 + row_number() OVER "
            f"(ORDER BY la NULLS LAST, pupil_token), pupil_token {new}",
        )
    finally:
        store.execute(f"DROP TABLE IF EXISTS {INCOMING_TOKENS}")
    return Assigned(tokens=tokens, repeated=repeated, new_pupils=new_pupils)


def _columns(store: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    description = store.execute(f"SELECT * FROM {quoted(relation)} LIMIT 0").description or []
    return {str(column[0]) for column in description}


def _reserve_ids(store: duckdb.DuckDBPyConnection, count: int) -> int:
    """The first of ``count`` consecutive new pupil ids taken from the store's sequence
    (the sequence stays the one source of ids; the caller numbers its rows from there)."""
    if count == 0:
        return 0
    row = store.execute(
        f"SELECT min(v), max(v) FROM (SELECT nextval('{PUPIL_ID_SEQUENCE}') AS v FROM range($n))",
        {"n": count},
    ).fetchone()
    if row is None or row[1] - row[0] + 1 != count:
        raise InternalError("the pupil id sequence did not give consecutive ids")
    return int(row[0])


def _counts(store: duckdb.DuckDBPyConnection, statement: str) -> tuple[int, ...]:
    row = store.execute(statement).fetchone()
    if row is None:
        raise ConfigError("the store returned no count")
    return tuple(int(value) for value in row)


def store_info(store: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(name): str(value) for name, value in store.execute("FROM store_info").fetchall()}
