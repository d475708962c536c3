"""The sealed submission: a bundle encrypted to the national service and signed by the LA.

File layout (all integers big-endian)::

    MAGIC | version (1 byte) | envelope length (4) | envelope JSON
          | ciphertext length (8) | ciphertext | Ed25519 signature (64)

The ciphertext is a libsodium sealed box of the bundle (a tar of fixed members in a
fixed order, header.json first) for the national service's public key. The envelope
names the LA, the collection and year, and the fingerprints of the recipient key and
the signing key: no pupil data.

Encrypt, then sign (the signature covers everything before it: envelope and
ciphertext). The intake can then reject a forged or altered file with the LA's
public key alone, before it decrypts anything, and a gateway without the national
decryption key can check where a file came from. A sealed box alone is anonymous
(anyone can encrypt to the national key), so the signature is what says who sent
it. The inner header repeats the LA and the recipient and the intake checks they
match the envelope: LA Y cannot re-sign LA X's ciphertext as its own, because the
decrypted header still says X.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

from safepupil.collection.keys.atomic_file import SECRET_FILE_MODE, atomic_writer
from safepupil.collection.keys.fingerprint import fingerprint
from safepupil.errors import IntegrityError, Location

MAGIC = b"safepupil-submission\x00"
FORMAT_VERSION = 1
SIGNATURE_CONTEXT = b"safepupil submission signature v1\x00"  # a signature for nothing else
SIGNATURE_BYTES = 64
_ENVELOPE_LENGTH = struct.Struct(">BI")
_CIPHERTEXT_LENGTH = struct.Struct(">Q")

HEADER_MEMBER = "header.json"
RECORDS_MEMBER = "records.parquet"
AGGREGATES_MEMBER = "aggregates.json"
MANIFEST_MEMBER = "manifest.json"
VALIDATION_MEMBER = "validation_summary.json"
# The bundle's members in their fixed order; header.json holds the others' SHA-256.
MEMBER_ORDER = (
    HEADER_MEMBER,
    MANIFEST_MEMBER,
    VALIDATION_MEMBER,
    AGGREGATES_MEMBER,
    RECORDS_MEMBER,
)
_BUNDLE_MEMBER_MODE = 0o600
HEADER_CHECKED_FIELDS = ("la", "collection", "year", "recipient", "signer")


def json_bytes(body: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, so the same content always has the same bytes."""
    return (json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parquet_bytes(table: pa.Table) -> bytes:
    # Uncompressed (tokens are random, so compression gains little) and without Arrow's
    # base64 schema blob (Parquet's own types round-trip this schema): a plain file that
    # can be searched byte for byte for anything that should not be in it.
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="none", store_schema=False)
    return bytes(sink.getvalue().to_pybytes())


def build_bundle(header: Mapping[str, Any], members: Mapping[str, bytes]) -> bytes:
    """A tar of header.json (with every other member's SHA-256) then the members in order."""
    expected = MEMBER_ORDER[1:]
    if tuple(sorted(members)) != tuple(sorted(expected)):
        raise ValueError(f"a bundle holds exactly {', '.join(expected)}")
    listing = [
        {"name": n, "sha256": sha256_hex(members[n]), "bytes": len(members[n])} for n in expected
    ]
    ordered = [(HEADER_MEMBER, json_bytes({**header, "members": listing}))]
    ordered += [(name, members[name]) for name in expected]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in ordered:
            tar.addfile(_member_info(name, len(data)), io.BytesIO(data))
    return buffer.getvalue()


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    # Fixed owner, time and mode: the same members always make the same bundle.
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, _BUNDLE_MEMBER_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def seal(
    bundle: bytes,
    envelope: Mapping[str, Any],
    signing_key: SigningKey,
    national_public: PublicKey,
) -> bytes:
    """Encrypt ``bundle`` to the national key, then sign envelope and ciphertext."""
    envelope_bytes = json_bytes(envelope)
    ciphertext = SealedBox(national_public).encrypt(bundle)
    signed = (
        MAGIC
        + _ENVELOPE_LENGTH.pack(FORMAT_VERSION, len(envelope_bytes))
        + envelope_bytes
        + _CIPHERTEXT_LENGTH.pack(len(ciphertext))
        + ciphertext
    )
    signature = signing_key.sign(SIGNATURE_CONTEXT + signed).signature
    return signed + signature


def envelope_for(
    header: Mapping[str, Any], signing_key: SigningKey, national_public: PublicKey
) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "la": header["la"],
        "collection": header["collection"],
        "year": header["year"],
        "recipient": fingerprint(bytes(national_public)),
        "signer": fingerprint(bytes(signing_key.verify_key)),
    }


def write_submission(path: Path, sealed: bytes) -> None:
    """Write atomically: an interrupted run leaves no partial submission."""
    with atomic_writer(path, SECRET_FILE_MODE) as stream:
        stream.write(sealed)


@dataclass(frozen=True)
class OpenedSubmission:
    """A verified, decrypted and checksum-checked submission."""

    la: str
    envelope: Mapping[str, Any]
    header: Mapping[str, Any]
    members: Mapping[str, bytes] = field(repr=False)

    def records(self) -> pa.Table:
        return pq.read_table(pa.BufferReader(self.members[RECORDS_MEMBER]))

    def json_member(self, name: str) -> Any:
        return json.loads(self.members[name])

    @property
    def manifest(self) -> Any:
        return self.json_member(MANIFEST_MEMBER)

    @property
    def aggregates(self) -> Any:
        return self.json_member(AGGREGATES_MEMBER)

    @property
    def validation_summary(self) -> Any:
        return self.json_member(VALIDATION_MEMBER)


def open_submission(
    path: Path, national_box_key: PrivateKey, la_verify_keys: Mapping[str, VerifyKey]
) -> OpenedSubmission:
    """Verify the LA's signature, decrypt, and check the bundle against its header.

    Raises IntegrityError on any failure: altered or truncated file, a signature that is
    not the named LA's, a submission encrypted to another national key.
    """
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise _integrity(path, "submission cannot be read", "check the path") from None
    return open_sealed(data, national_box_key, la_verify_keys, source=str(path))


def open_sealed(
    data: bytes,
    national_box_key: PrivateKey,
    la_verify_keys: Mapping[str, VerifyKey],
    *,
    source: str = "submission",
) -> OpenedSubmission:
    envelope, signed, ciphertext, signature = _split(data, source)
    la = str(envelope.get("la"))
    verify_key = la_verify_keys.get(la)
    if verify_key is None:
        raise _integrity(
            source, f"no verify key is registered for LA {la}", "update the LA key registry"
        )
    try:
        verify_key.verify(SIGNATURE_CONTEXT + signed, signature)
    except BadSignatureError:
        raise _integrity(
            source,
            f"the signature is not LA {la}'s: the file was altered or not signed by LA {la}",
            "do not load it; ask the LA to prepare and send the submission again",
        ) from None
    ours = fingerprint(bytes(national_box_key.public_key))
    if envelope.get("recipient") != ours:
        raise _integrity(
            source,
            "the submission was encrypted to another national key",
            "ask the LA to seal it with the current national public key",
        )
    try:
        bundle = SealedBox(national_box_key).decrypt(ciphertext)
    except CryptoError:
        raise _integrity(
            source, "the submission does not decrypt", "ask the LA to send it again"
        ) from None
    header, members = read_bundle(bundle, source)
    _check_header(header, envelope, source)
    return OpenedSubmission(la=la, envelope=envelope, header=header, members=members)


def _split(data: bytes, source: str) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """Envelope, signed bytes, ciphertext and signature; IntegrityError if malformed or cut."""
    if not data.startswith(MAGIC):
        raise _integrity(source, "not a safepupil submission", "check you opened the right file")
    offset = len(MAGIC)
    try:
        version, envelope_length = _ENVELOPE_LENGTH.unpack_from(data, offset)
        offset += _ENVELOPE_LENGTH.size
        envelope_bytes = data[offset : offset + envelope_length]
        offset += envelope_length
        (ciphertext_length,) = _CIPHERTEXT_LENGTH.unpack_from(data, offset)
        offset += _CIPHERTEXT_LENGTH.size + ciphertext_length
    except struct.error:
        raise _truncated(source) from None
    if len(data) != offset + SIGNATURE_BYTES:
        raise _truncated(source)
    if version != FORMAT_VERSION:
        raise _integrity(
            source, f"submission format {version} is not supported", "update safepupil"
        )
    try:
        envelope = json.loads(envelope_bytes)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise _integrity(
            source, "the submission's envelope is damaged", "ask the LA to send it again"
        )
    ciphertext = data[offset - ciphertext_length : offset]
    return envelope, data[:offset], ciphertext, data[offset:]


def read_bundle(bundle: bytes, source: str = "bundle") -> tuple[dict[str, Any], dict[str, bytes]]:
    """The header and members of a decrypted bundle, every checksum checked."""
    try:
        with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:") as tar:
            found = [(m.name, m) for m in tar.getmembers()]
            if [name for name, _ in found] != list(MEMBER_ORDER) or not all(
                m.isfile() for _, m in found
            ):
                raise _integrity(
                    source,
                    "the bundle's members are not the expected ones",
                    "ask the LA to send it again",
                )
            members = {name: _read_member(tar, member) for name, member in found}
        header = json.loads(members.pop(HEADER_MEMBER))
        listed = {entry["name"]: entry["sha256"] for entry in header["members"]}
    except (tarfile.TarError, ValueError, KeyError, TypeError):
        raise _integrity(source, "the bundle is damaged", "ask the LA to send it again") from None
    for name, data in members.items():
        if listed.get(name) != sha256_hex(data):
            raise _integrity(
                source, f"member {name} does not match its checksum", "ask the LA to send it again"
            )
    return header, members


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    if stream is None:
        raise tarfile.TarError("not a regular file")
    return stream.read()


def _check_header(header: Mapping[str, Any], envelope: Mapping[str, Any], source: str) -> None:
    differing = [name for name in HEADER_CHECKED_FIELDS if header.get(name) != envelope.get(name)]
    if differing:
        raise _integrity(
            source,
            f"the sealed header disagrees with the signed envelope on {', '.join(differing)}",
            "the submission was re-signed or re-labelled: do not load it",
        )


def _truncated(source: str) -> IntegrityError:
    return _integrity(
        source, "the submission is truncated or has extra bytes", "copy it again from the LA"
    )


def _integrity(source: str | Path, message: str, hint: str) -> IntegrityError:
    return IntegrityError(message, hint=hint, where=Location(file=str(source)))
