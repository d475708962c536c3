"""Where each key lives under a deployment's home folder.

    HOME/keys/custodian/pseudonym.key     custodian's pseudonymisation secret (0600)
    HOME/keys/national/box.key            national service's decryption key (0600)
    HOME/keys/national/box.pub            national service's public key (0644)
    HOME/keys/la/<code>/sign.key          LA's signing key (0600)
    HOME/keys/la/<code>/sign.pub          LA's verify key (0644)
    HOME/keys/la_public_keys.json         registry of LA verify keys, for the national intake

In a real deployment these live on different machines (docs/keys.md); one home holding
them all is the demonstration and test set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeyLayout:
    home: Path

    @property
    def root(self) -> Path:
        return self.home / "keys"

    @property
    def custodian_folder(self) -> Path:
        return self.root / "custodian"

    @property
    def pseudonym_key(self) -> Path:
        return self.custodian_folder / "pseudonym.key"

    @property
    def national_folder(self) -> Path:
        return self.root / "national"

    @property
    def national_box_key(self) -> Path:
        return self.national_folder / "box.key"

    @property
    def national_box_public(self) -> Path:
        return self.national_folder / "box.pub"

    @property
    def la_root(self) -> Path:
        return self.root / "la"

    def la_folder(self, la_code: str) -> Path:
        return self.la_root / la_code

    def la_signing_key(self, la_code: str) -> Path:
        return self.la_folder(la_code) / "sign.key"

    def la_verify_key(self, la_code: str) -> Path:
        return self.la_folder(la_code) / "sign.pub"

    @property
    def la_registry(self) -> Path:
        return self.root / "la_public_keys.json"
