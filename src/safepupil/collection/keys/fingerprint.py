"""Short, safe-to-print names for keys: fingerprints of public keys, ids of secrets."""

from __future__ import annotations

import hashlib

FINGERPRINT_HEX_CHARS = 32  # 128 bits of SHA-256: ample to tell keys apart, short to read
KEY_ID_BYTES = 8
_KEY_ID_PERSON = b"safepupil-keyid"  # separates key ids from every other use of the secret


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of a public key, shortened: printable and shareable."""
    return hashlib.sha256(public_key).hexdigest()[:FINGERPRINT_HEX_CHARS]


def secret_key_id(secret: bytes) -> str:
    """A keyed hash of nothing under the secret: names the secret without revealing it.

    Two hosts holding the same pseudonymisation secret show the same id, so the
    custodian can check an LA host has the current key, and a submission records which
    key made its tokens (for a later rotation).
    """
    return hashlib.blake2b(
        b"", key=secret, digest_size=KEY_ID_BYTES, person=_KEY_ID_PERSON
    ).hexdigest()
