"""The sealed submission: round trip, determinism, and every way tampering is caught."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey
from nacl.signing import SigningKey, VerifyKey

from safepupil.collection.keys.fingerprint import fingerprint
from safepupil.collection.seal import (
    MEMBER_ORDER,
    build_bundle,
    json_bytes,
    open_sealed,
    open_submission,
    parquet_bytes,
    read_bundle,
    seal,
    write_submission,
)
from safepupil.errors import IntegrityError

NATIONAL = PrivateKey.generate()
OTHER_NATIONAL = PrivateKey.generate()
LA_KEYS = {"201": SigningKey.generate(), "202": SigningKey.generate()}
VERIFY: Mapping[str, VerifyKey] = {code: key.verify_key for code, key in LA_KEYS.items()}


def members() -> dict[str, bytes]:
    records = pa.table({"pupil_token": ["0a" * 16, "1b" * 16], "sex": ["F", "M"]})
    return {
        "records.parquet": parquet_bytes(records),
        "aggregates.json": json_bytes({"items": []}),
        "manifest.json": json_bytes({"items": [{"item": "surname", "leaves": False}]}),
        "validation_summary.json": json_bytes({"errors": 0}),
    }


def header(la: str = "201", signer: str = "201", national: PrivateKey = NATIONAL) -> dict:
    return {
        "la": la,
        "collection": "AP",
        "year": 2018,
        "recipient": fingerprint(bytes(national.public_key)),
        "signer": fingerprint(bytes(LA_KEYS[signer].verify_key)),
    }


def sealed(
    la: str = "201", signer: str = "201", national: PrivateKey = NATIONAL, envelope_la: str = ""
) -> bytes:
    inner = header(la, signer, national)
    envelope = {**inner, "format": 1, "la": envelope_la or la}
    return seal(build_bundle(inner, members()), envelope, LA_KEYS[signer], national.public_key)


GOOD = sealed()


def test_round_trip_gives_back_every_member() -> None:
    opened = open_sealed(GOOD, NATIONAL, VERIFY)
    assert opened.la == "201"
    assert opened.members == members()
    assert opened.records().column("sex").to_pylist() == ["F", "M"]
    assert opened.manifest["items"][0]["item"] == "surname"
    assert opened.validation_summary == {"errors": 0}
    assert [entry["name"] for entry in opened.header["members"]] == list(MEMBER_ORDER[1:])


def test_open_submission_reads_a_written_file(tmp_path: Path) -> None:
    path = tmp_path / "201.sealed"
    write_submission(path, GOOD)
    assert path.stat().st_mode & 0o077 == 0
    assert open_submission(path, NATIONAL, VERIFY).members == members()


def test_bundle_is_deterministic_with_a_fixed_member_order() -> None:
    first, second = build_bundle(header(), members()), build_bundle(header(), members())
    assert first == second
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        assert tar.getnames() == list(MEMBER_ORDER)
        assert {m.mtime for m in tar.getmembers()} == {0}
        assert {m.uname for m in tar.getmembers()} == {""}


def test_bundle_refuses_missing_or_extra_members() -> None:
    with pytest.raises(ValueError, match="exactly"):
        build_bundle(header(), {**members(), "extra.csv": b""})
    fewer = members()
    del fewer["manifest.json"]
    with pytest.raises(ValueError, match="exactly"):
        build_bundle(header(), fewer)


def test_a_member_that_does_not_match_its_checksum_is_refused() -> None:
    bundle = build_bundle(header(), members())
    altered = bundle.replace(b'"errors": 0', b'"errors": 9')
    assert altered != bundle
    with pytest.raises(IntegrityError, match="checksum"):
        read_bundle(altered)


# Positions that cover magic, version, envelope length, envelope, ciphertext length,
# the ciphertext's start, middle and end, and the signature.
FLIP_AT = [0, 21, 22, 26, 40, len(GOOD) // 2, -120, -65, -64, -30, -1]


@pytest.mark.parametrize("position", FLIP_AT)
def test_a_flipped_byte_is_caught(position: int) -> None:
    data = bytearray(GOOD)
    data[position] ^= 0x01
    with pytest.raises(IntegrityError):
        open_sealed(bytes(data), NATIONAL, VERIFY)


@given(position=st.integers(0, len(GOOD) - 1), bit=st.integers(0, 7))
@settings(max_examples=60, deadline=None)
def test_any_flipped_bit_anywhere_is_caught(position: int, bit: int) -> None:
    data = bytearray(GOOD)
    data[position] ^= 1 << bit
    with pytest.raises(IntegrityError):
        open_sealed(bytes(data), NATIONAL, VERIFY)


@pytest.mark.parametrize("keep", [0, 10, 30, len(GOOD) // 2, len(GOOD) - 64, len(GOOD) - 1])
def test_a_truncated_file_is_caught(keep: int) -> None:
    with pytest.raises(IntegrityError, match=r"truncated|not a safepupil"):
        open_sealed(GOOD[:keep], NATIONAL, VERIFY)


def test_extra_bytes_are_caught() -> None:
    with pytest.raises(IntegrityError, match="truncated or has extra bytes"):
        open_sealed(GOOD + b"\x00", NATIONAL, VERIFY)


def test_signed_by_another_las_key_is_caught() -> None:
    # Claims to be from LA 201 but was signed with LA 202's key.
    forged = sealed(la="201", signer="202")
    with pytest.raises(IntegrityError, match="not LA 201's"):
        open_sealed(forged, NATIONAL, VERIFY)


def test_another_la_cannot_pass_a_submission_off_as_its_own() -> None:
    # LA 202 re-signs LA 201's ciphertext under its own name: the sealed header still says 201.
    relabelled = sealed(la="201", signer="202", envelope_la="202")
    with pytest.raises(IntegrityError, match="disagrees with the signed envelope"):
        open_sealed(relabelled, NATIONAL, VERIFY)


def test_encrypted_to_another_national_key_is_caught() -> None:
    elsewhere = sealed(national=OTHER_NATIONAL)
    with pytest.raises(IntegrityError, match="another national key"):
        open_sealed(elsewhere, NATIONAL, VERIFY)


def test_recipient_field_cannot_be_made_to_lie() -> None:
    # Envelope names our key, but the box was sealed to another: it does not decrypt.
    inner = header(national=NATIONAL)
    envelope = {**inner, "format": 1}
    box = seal(build_bundle(inner, members()), envelope, LA_KEYS["201"], OTHER_NATIONAL.public_key)
    with pytest.raises(IntegrityError, match="does not decrypt"):
        open_sealed(box, NATIONAL, VERIFY)


def test_an_unregistered_la_is_refused() -> None:
    with pytest.raises(IntegrityError, match="no verify key"):
        open_sealed(GOOD, NATIONAL, {"202": VERIFY["202"]})


def test_not_a_submission() -> None:
    with pytest.raises(IntegrityError, match="not a safepupil submission"):
        open_sealed(b"PK\x03\x04 a zip file", NATIONAL, VERIFY)


def test_missing_file_is_an_integrity_error(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="cannot be read"):
        open_submission(tmp_path / "absent.sealed", NATIONAL, VERIFY)


def test_integrity_messages_are_integrity_errors_with_hints() -> None:
    with pytest.raises(IntegrityError) as caught:
        open_sealed(GOOD[:-1], NATIONAL, VERIFY)
    assert caught.value.hint and caught.value.exit_code == 3


def test_interrupted_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import safepupil.collection.keys.atomic_file as atomic_file

    def failing_fsync(descriptor: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic_file.os, "fsync", failing_fsync)
    target = tmp_path / "201.sealed"
    with pytest.raises(OSError, match="disk full"):
        write_submission(target, GOOD)
    assert list(tmp_path.iterdir()) == []
