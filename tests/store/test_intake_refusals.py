"""Bad submissions are refused with a clear error and leave the store exactly as it was.

Each test loads one good submission first, so "unchanged" means something: the
snapshot covers every table's rows, every view and the pupil id sequence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import LaToolKeys, load_la_tool_keys, load_national_public
from safepupil.errors import ConfigError, IntegrityError, SafepupilError
from safepupil.store.deployment import Deployment
from tests.store.test_intake_support import (
    LAS,
    National,
    copy_deployment,
    intake,
    reseal,
    seal_return,
    shared_national,
    snapshot,
    tokens_of,
)

LA, OTHER_LA = LAS[0], LAS[1]


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> National:
    return shared_national(tmp_path_factory)


@pytest.fixture
def loaded(national: National, tmp_path: Path) -> Deployment:
    """A deployment holding one submission already (of another LA than the one tested)."""
    deployment = copy_deployment(national, tmp_path / "home")
    intake(deployment, national.sealed[LAS[2]])
    return deployment


def refused(deployment: Deployment, path: Path, kind: type[SafepupilError] = IntegrityError) -> str:
    before = snapshot(deployment)
    with pytest.raises(kind) as raised:
        intake(deployment, path)
    assert snapshot(deployment) == before
    return str(raised.value)


def changed_bytes(source: Path, out: Path, change: Callable[[bytes], bytes]) -> Path:
    out.write_bytes(change(source.read_bytes()))
    return out


def flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("truncated", lambda data: data[: len(data) // 2], "truncated"),
        ("flipped byte", flip_middle_byte, "signature"),
        ("unsigned", lambda data: data[:-64], "truncated"),
        ("empty", lambda data: b"", "not a safepupil submission"),
    ],
)
def test_damaged_files_are_refused(
    national: National,
    loaded: Deployment,
    tmp_path: Path,
    name: str,
    change: Callable[[bytes], bytes],
    expected: str,
) -> None:
    damaged = changed_bytes(national.sealed[LA], tmp_path / f"{name}.sealed", change)
    assert expected in refused(loaded, damaged)


def test_a_submission_signed_with_another_las_key_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    layout = KeyLayout(national.template)

    def impostor(la: str) -> LaToolKeys:  # claims to be LA, signs with OTHER_LA's key
        own, other = load_la_tool_keys(layout, la), load_la_tool_keys(layout, OTHER_LA)
        return LaToolKeys(la, own.pseudonym_key, other.signing_key, own.national_public)

    forged = seal_return(
        national.template, national.return_path(LA), tmp_path, "forged", keys=impostor
    )
    assert f"not LA {LA}'s" in refused(loaded, forged)


def test_a_submission_encrypted_to_another_national_key_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    elsewhere = KeyLayout(tmp_path / "elsewhere")
    init_keys(elsewhere, [LA])
    layout = KeyLayout(national.template)

    def misaddressed(la: str) -> LaToolKeys:
        own = load_la_tool_keys(layout, la)
        return LaToolKeys(la, own.pseudonym_key, own.signing_key, load_national_public(elsewhere))

    sealed = seal_return(
        national.template, national.return_path(LA), tmp_path, "other", keys=misaddressed
    )
    assert "another national key" in refused(loaded, sealed)


def test_a_submission_from_an_la_without_a_registered_key_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger"
    init_keys(KeyLayout(stranger), ["202"])
    sealed = seal_return(stranger, national.returns / "ap_census_2018_202.xml", tmp_path, "202")
    assert "no verify key is registered for LA 202" in refused(loaded, sealed)


def resealed(national: National, tmp_path: Path, **changes: Any) -> Path:
    return reseal(national.template, national.sealed[LA], tmp_path / "changed.sealed", **changes)


def with_column(name: str, fill: str) -> Callable[[pa.Table], pa.Table]:
    return lambda table: table.append_column(name, pa.array([fill] * table.num_rows))


@pytest.mark.parametrize("column", ["upn", "surname", "forename", "postcode", "dob", "address"])
def test_raw_identifiers_are_refused_even_in_a_signed_submission(
    national: National, loaded: Deployment, tmp_path: Path, column: str
) -> None:
    sealed = resealed(national, tmp_path, records=with_column(column, "X"))
    message = refused(loaded, sealed)
    assert "raw identifiers" in message and column in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (with_column("shoe_size", "9"), "unexpected ['shoe_size']"),
        (lambda table: table.drop_columns(["ethnicity"]), "missing ['ethnicity']"),
        (
            lambda table: table.set_column(
                table.schema.get_field_index("sex"), "sex", pa.array([1] * table.num_rows)
            ),
            "wrong type",
        ),
        (
            lambda table: table.set_column(
                table.schema.get_field_index("la"), "la", pa.array(["999"] * table.num_rows)
            ),
            "la other than the submission header's",
        ),
        (
            lambda table: table.set_column(
                table.schema.get_field_index("pupil_token"),
                "pupil_token",
                pc.utf8_upper(table["pupil_token"]),
            ),
            "malformed pupil token",
        ),
        (lambda table: pa.concat_tables([table, table.slice(0, 1)]), "repeat another record"),
    ],
    ids=["extra column", "missing column", "wrong type", "other la", "bad tokens", "duplicate"],
)
def test_records_not_fit_for_the_dataset_are_refused(
    national: National,
    loaded: Deployment,
    tmp_path: Path,
    change: Callable[[pa.Table], pa.Table],
    expected: str,
) -> None:
    assert expected in refused(loaded, resealed(national, tmp_path, records=change))


def test_a_header_record_count_that_disagrees_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    sealed = resealed(national, tmp_path, header=lambda body: body | {"records": 1})
    assert "number of records" in refused(loaded, sealed)


def test_a_year_without_a_catalogue_dataset_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    def year_2019(table: pa.Table) -> pa.Table:
        index = table.schema.get_field_index("year")
        return table.set_column(index, "year", pa.array([2019] * table.num_rows, pa.int16()))

    sealed = resealed(
        national, tmp_path, records=year_2019, header=lambda body: body | {"year": 2019}
    )
    assert "no dataset ap_census_2019" in refused(loaded, sealed, ConfigError)


def test_aggregates_that_name_a_pupil_column_are_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    def with_token_cell(body: dict[str, Any]) -> dict[str, Any]:
        cell = {"table": "t", "placement_reason": "MHN", "pupil_token": "0" * 32, "value": 1}
        item = {
            "item": "placement_reason",
            "codes": ["MHN"],
            "tables": [["placement_reason", "sex"]],
            "population": "p",
            "cells": [cell],
            "audit": None,
        }
        return body | {"items": [item]}

    sealed = resealed(national, tmp_path, aggregates=with_token_cell)
    assert "aggregates are not in the expected form" in refused(loaded, sealed)


def test_tokens_made_with_another_pseudonymisation_key_are_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    other = tmp_path / "other-custodian"
    init_keys(KeyLayout(other), [LA])
    layout = KeyLayout(national.template)
    custodian = KeyLayout(other).pseudonym_key

    def other_secret(la: str) -> LaToolKeys:
        return load_la_tool_keys(layout, la, pseudonym_key_path=custodian)

    sealed = seal_return(
        national.template,
        national.return_path(LA),
        tmp_path,
        "rekeyed",
        keys=other_secret,
        created=dt.datetime(2018, 2, 2, tzinfo=dt.UTC),
    )
    assert "made with pseudonymisation key" in refused(loaded, sealed)


def test_refusals_never_quote_a_token(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    def upper_tokens(table: pa.Table) -> pa.Table:
        index = table.schema.get_field_index("pupil_token")
        return table.set_column(index, "pupil_token", pc.utf8_upper(table["pupil_token"]))

    sealed = resealed(national, tmp_path, records=upper_tokens)
    message = refused(loaded, sealed)
    tokens = tokens_of(national.sealed[LA], national.template)
    assert tokens and not any(token.upper() in message for token in tokens)


def test_a_submission_without_a_pseudonymisation_key_id_is_refused(
    national: National, loaded: Deployment, tmp_path: Path
) -> None:
    def no_key_id(body: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in body.items() if name != "pseudonym_key_id"}

    sealed = resealed(national, tmp_path, header=no_key_id)
    assert "which pseudonymisation key" in refused(loaded, sealed)
