"""``keys init``: create every key a deployment needs, refusing to replace any silently."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from safepupil.collection.keys.atomic_file import (
    PUBLIC_FILE_MODE,
    SECRET_FILE_MODE,
    atomic_write_bytes,
    make_private_folder,
)
from safepupil.collection.keys.fingerprint import fingerprint, secret_key_id
from safepupil.collection.keys.layout import KeyLayout
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import LocalAuthority, la_by_code, local_authorities_on
from safepupil.errors import ConfigError

PSEUDONYM_KEY_BYTES = 32
REGISTRY_FORMAT = 1
# The day whose LAs get signing keys: census day of the January 2018 AP census (152 LAs).
LA_REGISTER_DAY = census_day(2018)


@dataclass(frozen=True)
class WrittenKey:
    role: str
    path: Path
    secret: bool
    fingerprint: str  # of the public half; for the pseudonym secret, its key id


@dataclass(frozen=True)
class KeyInitResult:
    written: tuple[WrittenKey, ...]
    la_codes: tuple[str, ...]
    kept: tuple[Path, ...] = ()  # shared keys that already existed and were left alone


def init_keys(
    layout: KeyLayout,
    la_codes: Sequence[str] = (),
    *,
    force: bool = False,
    register_day: dt.date = LA_REGISTER_DAY,
) -> KeyInitResult:
    """Create the custodian secret, the national box key pair and LA signing key pairs.

    ``la_codes`` empty means every LA existing on ``register_day``, and every key is in
    scope. With ``la_codes``, only those LAs' keys are in scope: the custodian and
    national keys are created when absent and otherwise kept, so LAs can be added one
    at a time. Refuses (nothing written) when any key in scope exists, unless ``force``.
    """
    authorities = _chosen_authorities(la_codes, register_day)
    shared = _shared_parts(layout)
    kept = [path for part in shared for path in part] if la_codes and _complete(shared) else []
    targets = [p for p in _target_files(layout, authorities) if p not in kept]
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise ConfigError(
            f"{len(existing)} of the {len(targets)} key files already exist under {layout.root}",
            hint="keys are never replaced silently: a new pseudonymisation secret changes every "
            "pupil token and a new national key cannot open submissions already sealed. Rerun "
            "with --force only if you mean to replace them.",
        )
    for folder in _folders(layout, authorities):
        make_private_folder(folder)
    written: list[WrittenKey] = []
    if not kept:
        written += [_write_pseudonym_secret(layout), *_write_national_pair(layout)]
    for authority in authorities:
        written += _write_la_pair(layout, authority.code)
    _update_registry(layout, authorities)
    return KeyInitResult(
        written=tuple(written), la_codes=tuple(a.code for a in authorities), kept=tuple(kept)
    )


def _shared_parts(layout: KeyLayout) -> tuple[tuple[Path, ...], ...]:
    return (
        (layout.pseudonym_key,),
        (layout.national_box_key, layout.national_box_public),
    )


def _complete(parts: tuple[tuple[Path, ...], ...]) -> bool:
    return all(path.exists() for part in parts for path in part)


def _chosen_authorities(la_codes: Sequence[str], day: dt.date) -> tuple[LocalAuthority, ...]:
    if not la_codes:
        return local_authorities_on(day)
    chosen = []
    for code in dict.fromkeys(la_codes):
        authority = la_by_code(code, day)
        if authority is None:
            raise ConfigError(
                f"{code!r} is not an LA code on {day.isoformat()}",
                hint="give a 3-digit DfE LA number, e.g. --la 201",
            )
        chosen.append(authority)
    return tuple(chosen)


def _target_files(layout: KeyLayout, authorities: Sequence[LocalAuthority]) -> list[Path]:
    files = [layout.pseudonym_key, layout.national_box_key, layout.national_box_public]
    for authority in authorities:
        files += [layout.la_signing_key(authority.code), layout.la_verify_key(authority.code)]
    return files


def _folders(layout: KeyLayout, authorities: Sequence[LocalAuthority]) -> list[Path]:
    folders = [layout.root, layout.custodian_folder, layout.national_folder, layout.la_root]
    return folders + [layout.la_folder(a.code) for a in authorities]


def _hex_line(key: bytes) -> bytes:
    return key.hex().encode("ascii") + b"\n"


def _write_pseudonym_secret(layout: KeyLayout) -> WrittenKey:
    secret = secrets.token_bytes(PSEUDONYM_KEY_BYTES)
    atomic_write_bytes(layout.pseudonym_key, _hex_line(secret), SECRET_FILE_MODE)
    return WrittenKey("pseudonymisation secret", layout.pseudonym_key, True, secret_key_id(secret))


def _write_national_pair(layout: KeyLayout) -> list[WrittenKey]:
    private = PrivateKey.generate()
    public = bytes(private.public_key)
    atomic_write_bytes(layout.national_box_key, _hex_line(bytes(private)), SECRET_FILE_MODE)
    atomic_write_bytes(layout.national_box_public, _hex_line(public), PUBLIC_FILE_MODE)
    return [
        WrittenKey("national decryption key", layout.national_box_key, True, fingerprint(public)),
        WrittenKey("national public key", layout.national_box_public, False, fingerprint(public)),
    ]


def _write_la_pair(layout: KeyLayout, la_code: str) -> list[WrittenKey]:
    signing = SigningKey.generate()
    verify = bytes(signing.verify_key)
    atomic_write_bytes(layout.la_signing_key(la_code), _hex_line(bytes(signing)), SECRET_FILE_MODE)
    atomic_write_bytes(layout.la_verify_key(la_code), _hex_line(verify), PUBLIC_FILE_MODE)
    return [
        WrittenKey(
            f"LA {la_code} signing key", layout.la_signing_key(la_code), True, fingerprint(verify)
        ),
        WrittenKey(
            f"LA {la_code} verify key", layout.la_verify_key(la_code), False, fingerprint(verify)
        ),
    ]


def _update_registry(layout: KeyLayout, authorities: Sequence[LocalAuthority]) -> None:
    """Merge the new LAs' verify keys into the registry the national intake reads."""
    entries: dict[str, dict[str, str]] = {}
    if layout.la_registry.exists():
        entries = dict(json.loads(layout.la_registry.read_text("utf-8")).get("la", {}))
    for authority in authorities:
        verify = bytes.fromhex(layout.la_verify_key(authority.code).read_text("ascii").strip())
        entries[authority.code] = {
            "name": authority.name,
            "verify_key": verify.hex(),
            "fingerprint": fingerprint(verify),
        }
    body = {"format": REGISTRY_FORMAT, "la": dict(sorted(entries.items()))}
    text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(layout.la_registry, text.encode("utf-8"), PUBLIC_FILE_MODE)
