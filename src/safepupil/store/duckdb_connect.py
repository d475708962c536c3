"""Open the national pupil store: a DuckDB database encrypted at rest.

The database file is encrypted with DuckDB's database encryption (AES-GCM). Writing an
encrypted file needs a secure crypto module, which DuckDB takes from its httpfs
extension; the extension is loaded from the signed binary shipped in the
``duckdb-extension-httpfs`` package, never downloaded, and DuckDB's own automatic
install and load of extensions is switched off so nothing is fetched at run time.

A store connection is sealed once the store is attached: SQL can no longer read or
write files (no COPY, no read_csv, no ATTACH of another database), spill files are
encrypted, and the configuration is locked so no statement can undo any of this.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import duckdb
import duckdb_extension_httpfs  # type: ignore[import-untyped]

from safepupil.collection.keys.atomic_file import (
    SECRET_FILE_MODE,
    atomic_write_bytes,
    make_private_folder,
)
from safepupil.collection.keys.load import read_key_file
from safepupil.errors import ConfigError, Location

STORE_ALIAS = "store"
STORE_KEY_BYTES = 32
DUCKDB_VERSION = "v1.5.5"  # the extension binary must match the DuckDB library exactly
_NO_NETWORK_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# DuckDB's messages for the failures people can fix; matched on their stable wording.
_WRONG_KEY = "wrong encryption key"
_LOCKED = ("could not set lock", "already attached")  # another process; this process
_NOT_A_DATABASE = "not a valid duckdb database"


def httpfs_extension_path() -> Path:
    """The signed httpfs extension shipped in the duckdb-extension-httpfs package."""
    package = Path(duckdb_extension_httpfs.__file__).parent
    return package / "extensions" / DUCKDB_VERSION / "httpfs.duckdb_extension"


def check_extension(path: Path | None = None) -> Path:
    """The extension file; ConfigError if it is missing (the store cannot be written then)."""
    chosen = path or httpfs_extension_path()
    if not chosen.is_file():
        raise ConfigError(
            "DuckDB's httpfs extension file is missing: the encrypted store cannot be opened",
            where=Location(file=str(chosen)),
            hint="reinstall the environment (`make setup`); it comes from the locked package "
            f"duckdb-extension-httpfs {DUCKDB_VERSION.removeprefix('v')}",
        )
    return chosen


def create_store_key(path: Path) -> None:
    """Write a new random store key (hex, 0600, in a 0700 folder); never replaces one."""
    if path.exists():
        raise ConfigError(
            "a store key already exists",
            where=Location(file=str(path)),
            hint="a new key cannot open the existing store: keep the one there",
        )
    make_private_folder(path.parent)
    key = secrets.token_bytes(STORE_KEY_BYTES)
    atomic_write_bytes(path, key.hex().encode("ascii") + b"\n", SECRET_FILE_MODE)


def load_store_key(path: Path) -> bytes:
    """The store key; refuses a key file others could read."""
    return read_key_file(path, secret=True)


def connect_store(
    database: Path,
    key: bytes,
    *,
    temp_folder: Path,
    read_only: bool = False,
    create: bool = False,
    extension: Path | None = None,
    prepared: duckdb.DuckDBPyConnection | None = None,
) -> duckdb.DuckDBPyConnection:
    """A sealed connection whose default database is the encrypted store.

    ``create`` allows making a new store file; otherwise a missing file is an error
    (a mistyped --home must not quietly start an empty store). ``prepared``: a connection
    from ``prepare_connection`` for the same temp folder, never used before (it is used
    here and closed on failure); otherwise one is prepared here.
    """
    where = Location(file=str(database))
    if not create and not database.is_file():
        if prepared is not None:
            prepared.close()
        raise ConfigError(
            "no pupil store here",
            where=where,
            hint="create the deployment with `safepupil init --home DIR`, or give the right --home",
        )
    connection = prepared or prepare_connection(temp_folder, extension)
    try:
        _attach(connection, database, key, read_only=read_only)
        _seal(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def prepare_connection(
    temp_folder: Path,
    extension: Path | None = None,
    *,
    run: Callable[[Callable[[], None]], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the extension loaded and spill files encrypted: the
    part of opening the store that needs neither the key nor the store file, and most of
    its time. Not sealed yet: ``connect_store`` attaches the store, then seals it.

    ``run`` runs the preparing step (loading the extension: about 80 ms of CPU checking
    its signature) where the caller chooses, e.g. in a thread of lower priority; the
    connection itself, and DuckDB's worker threads with it, are made in this thread.
    """
    connection = duckdb.connect(":memory:", config=_NO_NETWORK_CONFIG)
    try:
        chosen = check_extension(extension)
        (run or _now)(lambda: _prepare(connection, chosen, temp_folder))
    except BaseException:
        connection.close()
        raise
    return connection


def _now(step: Callable[[], None]) -> None:
    step()


def _prepare(connection: duckdb.DuckDBPyConnection, extension: Path, temp_folder: Path) -> None:
    make_private_folder(temp_folder)
    connection.execute(f"LOAD {_literal(str(extension))}")
    connection.execute(f"SET temp_directory = {_literal(str(temp_folder))}")
    # Intermediate results spilled to disk hold pupil rows: encrypt them too.
    connection.execute("SET temp_file_encryption = true")


def _attach(
    connection: duckdb.DuckDBPyConnection, database: Path, key: bytes, *, read_only: bool
) -> None:
    # ATTACH takes no bound parameters; the key is hex and the path is quoted as a literal.
    options = f"ENCRYPTION_KEY {_literal(key.hex())}" + (", READ_ONLY" if read_only else "")
    try:
        connection.execute(f"ATTACH {_literal(str(database))} AS {STORE_ALIAS} ({options})")
    except duckdb.Error as error:
        raise _attach_problem(error, database) from None
    connection.execute(f"USE {STORE_ALIAS}")


def _seal(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def _attach_problem(error: duckdb.Error, database: Path) -> ConfigError:
    text = str(error).lower()
    where = Location(file=str(database))
    if _WRONG_KEY in text:
        return ConfigError(
            "the store key does not open this store",
            where=where,
            hint="use the key created with this store (keys/store/duckdb.key of its home); "
            "a store cannot be read without its own key",
        )
    if any(words in text for words in _LOCKED):
        return ConfigError(
            "the store is open already, in another process or command",
            where=where,
            hint="wait for the other safepupil command (an intake?) to finish, then retry",
        )
    if _NOT_A_DATABASE in text:
        return ConfigError(
            "the file is not a DuckDB database", where=where, hint="check the --home folder"
        )
    return ConfigError(
        f"the store cannot be opened ({type(error).__name__})",
        where=where,
        hint="check the folder is readable and writable and the disk is not full",
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
