"""Read keys back, checking that each secret is still readable only by its owner."""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from safepupil.collection.keys.layout import KeyLayout
from safepupil.errors import ConfigError, Location

KEY_BYTES = 32  # every key safepupil uses: BLAKE2b key, X25519 and Ed25519 keys
_LOOSE_PERMISSIONS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class LaToolKeys:
    """What the LA tool needs to prepare one LA's submission."""

    la_code: str
    pseudonym_key: bytes = field(repr=False)
    signing_key: SigningKey = field(repr=False)
    national_public: PublicKey


def read_key_file(path: Path, *, secret: bool) -> bytes:
    """The 32-byte key stored as hex in ``path``; refuses a secret others could read."""
    where = Location(file=str(path))
    if not path.is_file():
        raise ConfigError(
            "key file not found",
            where=where,
            hint="create keys with `safepupil keys init --home DIR`, or give the right --home",
        )
    if secret and path.stat().st_mode & _LOOSE_PERMISSIONS:
        raise ConfigError(
            "secret key file is readable by other users",
            where=where,
            hint=f"restrict it with `chmod 600 {path}` and ask whether it was copied",
        )
    try:
        key = bytes.fromhex(path.read_text("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"not a key file: expected {KEY_BYTES} bytes written as hex",
            where=where,
            hint="restore the file from the key custodian's copy",
        )
    return key


def load_pseudonym_key(path: Path) -> bytes:
    return read_key_file(path, secret=True)


def load_national_box_key(layout: KeyLayout) -> PrivateKey:
    return PrivateKey(read_key_file(layout.national_box_key, secret=True))


def load_national_public(layout: KeyLayout) -> PublicKey:
    return PublicKey(read_key_file(layout.national_box_public, secret=False))


def load_signing_key(layout: KeyLayout, la_code: str) -> SigningKey:
    return SigningKey(read_key_file(layout.la_signing_key(la_code), secret=True))


def load_la_tool_keys(
    layout: KeyLayout, la_code: str, pseudonym_key_path: Path | None = None
) -> LaToolKeys:
    """The LA tool's keys for ``la_code``; the custodian may place the secret elsewhere."""
    return LaToolKeys(
        la_code=la_code,
        pseudonym_key=load_pseudonym_key(pseudonym_key_path or layout.pseudonym_key),
        signing_key=load_signing_key(layout, la_code),
        national_public=load_national_public(layout),
    )


def load_la_verify_keys(layout: KeyLayout) -> Mapping[str, VerifyKey]:
    """Every LA's verify key from the registry the national intake trusts."""
    where = Location(file=str(layout.la_registry))
    try:
        body = json.loads(layout.la_registry.read_text("utf-8"))
        entries = body["la"]
        return {code: VerifyKey(bytes.fromhex(e["verify_key"])) for code, e in entries.items()}
    except FileNotFoundError:
        raise ConfigError(
            "LA public key registry not found",
            where=where,
            hint="create it with `safepupil keys init --home DIR`",
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            "LA public key registry is not valid",
            where=where,
            hint="restore it from the key custodian's copy",
        ) from None
