"""A national deployment: one home folder holding the store, its key, the national keys
and the record of which control-plane database the deployment uses.

    HOME/deployment.toml           format, and the control-plane database URL (no secrets)
    HOME/control.db                control-plane database (SQLite, the embedded default)
    HOME/store/pupils.duckdb       the pupil store, encrypted at rest (0700 folder)
    HOME/store/tmp/                DuckDB's spill files, encrypted as well
    HOME/keys/store/duckdb.key     the store's encryption key (0600, 0700 folder)
    HOME/keys/...                  the national and LA keys (keys.layout)

``init_deployment`` makes one and is safe to rerun: it says what exists, migrates the
control plane to the newest schema and never replaces a key or data. Later commands
need only the home: ``load_deployment`` reads deployment.toml.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tomllib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy.engine import Engine

from safepupil.collection.keys.atomic_file import (
    PUBLIC_FILE_MODE,
    atomic_write_bytes,
    make_private_folder,
)
from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.controlplane.database import (
    check_reachable,
    create_control_engine,
    describe,
    parse_database_url,
)
from safepupil.controlplane.facts import record_facts_once
from safepupil.controlplane.migrate import upgrade_to_head
from safepupil.errors import ConfigError, Location
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.duckdb_connect import (
    check_extension,
    connect_store,
    create_store_key,
    load_store_key,
)
from safepupil.store.pupil_store import STORE_FORMAT, create_schema
from safepupil.store.ready_connections import take_ready

DEPLOYMENT_FORMAT = 1
DEFAULT_DATABASE_URL = "sqlite:///control.db"  # a relative SQLite path is relative to HOME
CREATED, EXISTS, MIGRATED = "created", "exists", "migrated"


@dataclass(frozen=True)
class DeploymentPaths:
    home: Path

    @property
    def config_file(self) -> Path:
        return self.home / "deployment.toml"

    @property
    def store_folder(self) -> Path:
        return self.home / "store"

    @property
    def store_database(self) -> Path:
        return self.store_folder / "pupils.duckdb"

    @property
    def store_temp(self) -> Path:
        return self.store_folder / "tmp"

    @property
    def keys(self) -> KeyLayout:
        return KeyLayout(self.home)

    @property
    def store_key(self) -> Path:
        return self.keys.root / "store" / "duckdb.key"


@dataclass(frozen=True)
class Deployment:
    paths: DeploymentPaths
    database_url: str  # as recorded in deployment.toml

    @property
    def home(self) -> Path:
        return self.paths.home

    def control_engine(self) -> Engine:
        return create_control_engine(resolve_database_url(self.database_url, self.home))


@dataclass(frozen=True)
class InitStep:
    what: str
    status: str  # created, exists or migrated
    detail: str = ""


@dataclass(frozen=True)
class InitReport:
    deployment: Deployment
    steps: tuple[InitStep, ...]


def resolve_database_url(recorded: str, home: Path) -> str:
    """The URL to connect to: a relative SQLite path is taken inside the home."""
    url = parse_database_url(recorded)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and not Path(database).is_absolute():
        return url.set(database=str((home / database).resolve())).render_as_string(False)
    return recorded


def load_deployment(home: Path) -> Deployment:
    """The deployment in ``home``; ConfigError saying how to make one if there is none."""
    paths = DeploymentPaths(home)
    where = Location(file=str(paths.config_file))
    try:
        document = tomllib.loads(paths.config_file.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "no safepupil deployment here",
            where=Location(file=str(home)),
            hint=f"create one with `safepupil init --home {home}`, or give the right --home",
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ConfigError(
            "deployment.toml cannot be read", where=where, hint="restore it from a backup"
        ) from None
    url = document.get("control_plane", {}).get("database_url")
    if document.get("format") != DEPLOYMENT_FORMAT or not isinstance(url, str):
        raise ConfigError(
            "deployment.toml is not in the expected form",
            where=where,
            hint=f"it needs format = {DEPLOYMENT_FORMAT} and [control_plane] database_url",
        )
    return Deployment(paths=paths, database_url=url)


@contextlib.contextmanager
def open_store(
    deployment: Deployment, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sealed connection to the deployment's encrypted store, closed on leaving.

    Where this process keeps connections ready for the store (a server), one of them is
    attached and sealed; otherwise a connection is prepared here."""
    paths = deployment.paths
    connection = connect_store(
        paths.store_database,
        load_store_key(paths.store_key),
        temp_folder=paths.store_temp,
        read_only=read_only,
        prepared=take_ready(paths.store_temp),
    )
    try:
        yield connection
    finally:
        connection.close()


def init_deployment(
    home: Path,
    database_url: str | None = None,
    *,
    la_codes: Sequence[str] = (),
    catalogue: Catalogue | None = None,
) -> InitReport:
    """Create (or complete, or check) the deployment in ``home``.

    Everything that can fail for a reason the person can fix (folder not writable,
    extension missing, database unreachable) is checked before anything is written.
    """
    paths = DeploymentPaths(home)
    _prepare_home(home)
    recorded = _recorded_url(paths, database_url)
    check_extension()
    engine = create_control_engine(resolve_database_url(recorded, home))
    check_reachable(engine)
    steps = [_keys_step(paths, la_codes), *_store_steps(paths, catalogue or load_catalogue())]
    steps.append(_control_plane_step(engine))
    steps.append(_config_step(paths, recorded))
    engine.dispose()
    return InitReport(Deployment(paths, recorded), tuple(steps))


def _prepare_home(home: Path) -> None:
    where = Location(file=str(home))
    try:
        if not home.exists():
            make_private_folder(home)  # a new home holds keys and pupil data: owner only
    except OSError as error:
        raise ConfigError(
            f"cannot create the deployment folder ({error.strerror})",
            where=where,
            hint="choose a --home in a folder you can write to",
        ) from None
    if not home.is_dir() or not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(
            "the deployment folder is not a writable folder",
            where=where,
            hint="choose a --home you can write to, or fix its permissions",
        )


def _recorded_url(paths: DeploymentPaths, given: str | None) -> str:
    if not paths.config_file.exists():
        url = given or DEFAULT_DATABASE_URL
        parse_database_url(url)  # refuse a bad URL (or one with a password) before writing
        return url
    recorded = load_deployment(paths.home).database_url
    if given is not None and given != recorded:
        raise ConfigError(
            f"this deployment already uses {describe(parse_database_url(recorded))}",
            where=Location(file=str(paths.config_file)),
            hint="init never moves a deployment to another database; leave out --database-url",
        )
    return recorded


def _keys_step(paths: DeploymentPaths, la_codes: Sequence[str]) -> InitStep:
    layout = paths.keys
    if layout.national_box_key.exists():
        return InitStep("national keys", EXISTS, str(layout.root))
    written = init_keys(layout, la_codes)
    return InitStep("national keys", CREATED, f"{len(written.written)} key files")


def _store_steps(paths: DeploymentPaths, catalogue: Catalogue) -> list[InitStep]:
    store_existed = paths.store_database.exists()
    if store_existed and not paths.store_key.exists():
        raise ConfigError(
            "the store exists but its key is missing: it cannot be opened",
            where=Location(file=str(paths.store_key)),
            hint="restore the key from its backup; a new key cannot open the existing store",
        )
    key_existed = paths.store_key.exists()
    if not key_existed:
        create_store_key(paths.store_key)
    make_private_folder(paths.store_folder)
    connection = connect_store(
        paths.store_database,
        load_store_key(paths.store_key),
        temp_folder=paths.store_temp,
        create=True,
    )
    try:
        create_schema(connection, catalogue)
    finally:
        connection.close()
    return [
        InitStep("store key", EXISTS if key_existed else CREATED, str(paths.store_key)),
        InitStep(
            "pupil store (encrypted)",
            EXISTS if store_existed else CREATED,
            f"{paths.store_database} (format {STORE_FORMAT})",
        ),
    ]


def _control_plane_step(engine: Engine) -> InitStep:
    result = upgrade_to_head(engine)
    record_facts_once(
        engine,
        {
            "deployment_id": str(uuid.uuid4()),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    status = CREATED if result.before is None else MIGRATED if result.changed else EXISTS
    detail = f"{describe(engine.url)} at revision {result.after}"
    return InitStep("control-plane database", status, detail)


def _config_step(paths: DeploymentPaths, url: str) -> InitStep:
    if paths.config_file.exists():
        return InitStep("deployment.toml", EXISTS, str(paths.config_file))
    text = (
        "# A safepupil deployment. No secrets here: keys live under keys/, a database\n"
        "# password (if any) in PGPASSWORD or ~/.pgpass.\n"
        f"format = {DEPLOYMENT_FORMAT}\n\n"
        "[control_plane]\n"
        "# A relative SQLite path is relative to this folder.\n"
        f"database_url = {json.dumps(url)}\n"
    )
    atomic_write_bytes(paths.config_file, text.encode("utf-8"), PUBLIC_FILE_MODE)
    return InitStep("deployment.toml", CREATED, str(paths.config_file))
