"""``keys show``: which key files a home holds, with fingerprints, never secrets."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from safepupil.collection.keys.atomic_file import PUBLIC_FILE_MODE, SECRET_FILE_MODE
from safepupil.collection.keys.fingerprint import fingerprint, secret_key_id
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import read_key_file
from safepupil.errors import ConfigError


@dataclass(frozen=True)
class KeyFileInfo:
    role: str
    path: Path
    secret: bool
    mode: int
    fingerprint: str  # public half's fingerprint; for the pseudonym secret its key id
    problem: str = ""  # e.g. "readable by other users"; empty when all is well

    @property
    def mode_text(self) -> str:
        return f"{self.mode:04o}"


def list_keys(layout: KeyLayout) -> tuple[KeyFileInfo, ...]:
    """Every key file present under ``layout``, in a stable order."""
    found = [
        _describe("pseudonymisation secret", layout.pseudonym_key, True, _pseudonym_id),
        _describe("national decryption key", layout.national_box_key, True, _box_fingerprint),
        _describe("national public key", layout.national_box_public, False, fingerprint),
    ]
    for la_code in _la_codes(layout):
        found += [
            _describe(f"LA {la_code} signing key", layout.la_signing_key(la_code), True, _sign_fp),
            _describe(
                f"LA {la_code} verify key", layout.la_verify_key(la_code), False, fingerprint
            ),
        ]
    return tuple(info for info in found if info is not None)


def _la_codes(layout: KeyLayout) -> list[str]:
    if not layout.la_root.is_dir():
        return []
    return sorted(p.name for p in layout.la_root.iterdir() if p.is_dir())


def _pseudonym_id(secret: bytes) -> str:
    return secret_key_id(secret)


def _box_fingerprint(secret: bytes) -> str:
    return fingerprint(bytes(PrivateKey(secret).public_key))


def _sign_fp(secret: bytes) -> str:
    return fingerprint(bytes(SigningKey(secret).verify_key))


def _describe(
    role: str, path: Path, secret: bool, name_of: Callable[[bytes], str]
) -> KeyFileInfo | None:
    if not path.is_file():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    expected = SECRET_FILE_MODE if secret else PUBLIC_FILE_MODE
    problem = "" if mode == expected else f"mode {mode:04o}, expected {expected:04o}"
    try:
        # Read as public so a loose secret can still be listed (and flagged), not refused.
        key = read_key_file(path, secret=False)
        shown = name_of(key)
    except ConfigError as error:
        shown, problem = "", error.message
    return KeyFileInfo(role, path, secret, mode, shown, problem)
