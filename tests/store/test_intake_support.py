"""Builders shared by the deployment, pupil store and intake tests (no tests here).

A small synthetic census is generated once per session, a deployment is made for a
few LAs, and their returns are sealed with the real LA tool. Each test that changes
the store copies that deployment, so tests never share a store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import (
    LaToolKeys,
    load_la_tool_keys,
    load_la_verify_keys,
    load_national_box_key,
)
from safepupil.collection.policy import default_policy
from safepupil.collection.prepare import prepare_submission
from safepupil.collection.seal import (
    AGGREGATES_MEMBER,
    MANIFEST_MEMBER,
    RECORDS_MEMBER,
    VALIDATION_MEMBER,
    build_bundle,
    envelope_for,
    json_bytes,
    open_submission,
    parquet_bytes,
    seal,
    write_submission,
)
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, init_deployment, load_deployment, open_store
from safepupil.store.intake import IntakeOutcome, intake_submission, load_intake_keys
from safepupil.synth import SynthSpec, generate_census

YEAR = 2018
# LAs of the synthetic run used here: a few with records, none too big to be quick; the
# last has pupils whose placement reason is withheld, so its submission carries counts.
LAS = ("835", "881", "857", "320", "935")
WITHHELD_LA = "935"
SYNTH = SynthSpec(year=YEAR, pupils=8_000, school_pupils=3_000)
CREATED = dt.datetime(2018, 1, 25, 12, 0, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class National:
    """Everything built once per session: returns, a template deployment, submissions."""

    returns: Path
    template: Path  # a deployment home; copy it before changing anything
    sealed: dict[str, Path]  # LA -> its sealed return
    work: Path

    def return_path(self, la: str) -> Path:
        return self.returns / f"ap_census_{YEAR}_{la}.xml"


def build_national(work: Path) -> National:
    returns = work / "returns"
    generate_census(SYNTH, returns)
    template = work / "template"
    init_deployment(template, la_codes=LAS)
    sealed = {
        la: seal_return(template, returns / f"ap_census_{YEAR}_{la}.xml", work, la) for la in LAS
    }
    return National(returns=returns, template=template, sealed=sealed, work=work)


_BUILT: list[National] = []  # one build per session, whichever module asks first


def shared_national(tmp_path_factory: pytest.TempPathFactory) -> National:
    """The session's National, built on first use; each test module's ``national``
    fixture returns it, so the build happens once however many modules ask."""
    if not _BUILT:
        _BUILT.append(build_national(tmp_path_factory.mktemp("national")))
    return _BUILT[0]


def copy_deployment(national: National, target: Path) -> Deployment:
    shutil.copytree(national.template, target)
    return load_deployment(target)


def seal_return(
    home: Path,
    return_path: Path,
    out_folder: Path,
    name: str,
    *,
    created: dt.datetime = CREATED,
    keys: Callable[[str], LaToolKeys] | None = None,
) -> Path:
    out = out_folder / f"{name}.sealed"
    loader = keys or partial(load_la_tool_keys, KeyLayout(home))
    prepare_submission(return_path, out, loader, default_policy(), created=created, overwrite=True)
    return out


def reseal(
    home: Path,
    source: Path,
    out: Path,
    *,
    records: Callable[[pa.Table], pa.Table] = lambda table: table,
    header: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: body,
    aggregates: Callable[[Any], Any] = lambda body: body,
) -> Path:
    """A properly signed and encrypted submission whose content was changed: what a
    broken or hostile LA tool could send. Intake must refuse it on content alone."""
    layout = KeyLayout(home)
    opened = open_submission(source, load_national_box_key(layout), load_la_verify_keys(layout))
    table = records(opened.records())
    body = header(
        {k: v for k, v in opened.header.items() if k != "members"} | {"records": table.num_rows}
    )
    members = {
        RECORDS_MEMBER: parquet_bytes(table),
        AGGREGATES_MEMBER: json_bytes(aggregates(opened.aggregates)),
        MANIFEST_MEMBER: opened.members[MANIFEST_MEMBER],
        VALIDATION_MEMBER: opened.members[VALIDATION_MEMBER],
    }
    la_keys = load_la_tool_keys(layout, opened.la)
    sealed = seal(
        build_bundle(body, members),
        envelope_for(body, la_keys.signing_key, la_keys.national_public),
        la_keys.signing_key,
        la_keys.national_public,
    )
    write_submission(out, sealed)
    return out


def intake(deployment: Deployment, path: Path, **options: Any) -> IntakeOutcome:
    with open_store(deployment) as store:
        return intake_submission(
            store, path, load_intake_keys(deployment.paths.keys), load_catalogue(), **options
        )


def snapshot(deployment: Deployment) -> dict[str, Any]:
    """Every table's rows, every view's definition and the pupil id sequence."""
    with open_store(deployment, read_only=True) as store:
        return store_snapshot(store)


def store_snapshot(store: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    found: dict[str, Any] = {}
    tables = store.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'store' ORDER BY 1"
    ).fetchall()
    for (name,) in tables:
        found[name] = sorted(map(repr, store.execute(f'SELECT * FROM "{name}"').fetchall()))
    found["views"] = store.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE database_name = 'store' ORDER BY 1"
    ).fetchall()
    found["sequences"] = store.execute(
        "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = 'store'"
    ).fetchall()
    return found


def tokens_of(path: Path, home: Path) -> list[str]:
    layout = KeyLayout(home)
    opened = open_submission(path, load_national_box_key(layout), load_la_verify_keys(layout))
    return [str(t) for t in opened.records().column("pupil_token").to_pylist()]
