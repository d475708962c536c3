"""The access policy: which organisation types may use items of which sensitivity, and
which legal bases a sensitivity needs. Data (``data/access_policy.toml``, or a
deployment's own ``HOME/access_policy.toml``), read and checked here.

By default items of sensitivity A go only to academic and government projects whose
legal basis is public task; police and journalism get no items at all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safepupil.domain.codesets import SENSITIVITY_LEVELS
from safepupil.errors import ConfigError, Location
from safepupil.governance.projects import LegalBasis, OrganisationType
from safepupil.governance.refusals import ACCESS_POLICY, Refusal

POLICY_FILE = "access_policy.toml"  # the name, shipped and in a deployment home
POLICY_VERSION = 1


@dataclass(frozen=True)
class AccessPolicy:
    sensitivities: Mapping[OrganisationType, frozenset[str]]  # what each type may use
    legal_bases: Mapping[str, frozenset[LegalBasis]]  # a sensitivity's required bases

    def __post_init__(self) -> None:
        missing = [t.value for t in OrganisationType if t not in self.sensitivities]
        if missing:
            raise ConfigError(f"the access policy says nothing of {', '.join(missing)}")
        levels = set(self.legal_bases).union(*self.sensitivities.values())
        unknown = sorted(levels - set(SENSITIVITY_LEVELS))
        if unknown:
            raise ConfigError(f"the access policy names unknown sensitivities {unknown}")

    def refusal(
        self,
        organisation_type: OrganisationType,
        legal_basis: LegalBasis,
        item_sensitivities: Mapping[str, str],
    ) -> Refusal | None:
        """Why these items (name -> sensitivity) are refused, or None when allowed."""
        allowed = self.sensitivities[organisation_type]
        barred = {n: s for n, s in item_sensitivities.items() if s not in allowed}
        if barred:
            return Refusal(
                ACCESS_POLICY,
                f"{organisation_type.value} projects may not use items of sensitivity "
                f"{_grouped(barred)}",
                hint="leave those items out; the access policy says which types may use what",
            )
        for level, bases in sorted(self.legal_bases.items()):
            needing = {n: s for n, s in item_sensitivities.items() if s == level}
            if needing and legal_basis not in bases:
                return Refusal(
                    ACCESS_POLICY,
                    f"items of sensitivity {level} need the legal basis "
                    f"{' or '.join(sorted(b.value for b in bases))}, not {legal_basis.value} "
                    f"({', '.join(sorted(needing))})",
                    hint="leave those items out, or apply under the legal basis they need",
                )
        return None

    def check(
        self,
        organisation_type: OrganisationType,
        legal_basis: LegalBasis,
        item_sensitivities: Mapping[str, str],
    ) -> None:
        refusal = self.refusal(organisation_type, legal_basis, item_sensitivities)
        if refusal is not None:
            raise refusal


def _grouped(barred: Mapping[str, str]) -> str:
    """``A (placement_reason), B (ethnicity, sen_type_1)``: by sensitivity, then name."""
    levels = sorted(set(barred.values()))
    return ", ".join(
        f"{level} ({', '.join(sorted(n for n, s in barred.items() if s == level))})"
        for level in levels
    )


def load_access_policy(home: Path | None = None) -> AccessPolicy:
    """The deployment's own policy when ``HOME/access_policy.toml`` exists, else the
    shipped default."""
    if home is not None and (home / POLICY_FILE).is_file():
        path = home / POLICY_FILE
        try:
            return access_policy_from_toml(path.read_text("utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"cannot read the access policy ({type(error).__name__})",
                where=Location(file=str(path)),
                hint="fix the file, or remove it to use the shipped default",
            ) from None
    text = resources.files("safepupil.governance").joinpath("data", POLICY_FILE).read_text()
    return access_policy_from_toml(text, "the shipped access policy")


def access_policy_from_toml(text: str, source: str) -> AccessPolicy:
    where = Location(file=source)
    hint = f"compare it with safepupil/governance/data/{POLICY_FILE}"
    try:
        document = tomllib.loads(text)
        if document.get("version") != POLICY_VERSION:
            raise ConfigError(f"the access policy must say version = {POLICY_VERSION}")
        return AccessPolicy(
            sensitivities=_sensitivities(document["organisation_types"]),
            legal_bases=_legal_bases(document.get("sensitivities", {})),
        )
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the access policy is not valid TOML: {error}", where=where) from None
    except ConfigError as error:
        raise ConfigError(error.message, where=where, hint=hint) from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(
            f"the access policy has a missing or bad entry ({type(error).__name__}: {error})",
            where=where,
            hint=hint,
        ) from None


def _sensitivities(table: dict[str, Any]) -> dict[OrganisationType, frozenset[str]]:
    return {OrganisationType(name): frozenset(map(str, levels)) for name, levels in table.items()}


def _legal_bases(table: dict[str, Any]) -> dict[str, frozenset[LegalBasis]]:
    return {
        str(level): frozenset(LegalBasis(b) for b in body["legal_bases"])
        for level, body in table.items()
    }
