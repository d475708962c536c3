"""The statistics-only policy: which coded items' codes leave the LA only as counts.

Read from TOML (a deployment's own file, or the default shipped as
``collection/data/statistics_only.toml``) and validated when loaded, so a policy
that names an unknown item or code, or bands that leave gaps, cannot be used.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safepupil.domain.codesets import codeset
from safepupil.errors import ConfigError, Location

POLICY_FORMAT = 1
DEFAULT_POLICY_FILE = "statistics_only.toml"
AGE_BAND = "age_band"  # the one breakdown that is derived (from DOB), not a recorded item
WITHHELD_FLAG_SUFFIX = "_withheld"

# Coded items a policy may withhold or break counts down by, and each one's codeset.
CODED_ITEMS: Mapping[str, str] = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "sen_provision": "sen_provision",
    "sen_type_1": "sen_type",
    "sen_type_2": "sen_type",
    "ap_setting_type": "ap_setting_type",
    "placement_reason": "placement_reason",
}


@dataclass(frozen=True)
class AgeBand:
    label: str
    min_age: int
    max_age: int | None = None  # inclusive; None = open-ended

    def contains(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)


@dataclass(frozen=True)
class WithheldItem:
    item: str
    codes: tuple[str, ...]  # in codeset order
    why: str

    @property
    def flag_column(self) -> str:
        return self.item + WITHHELD_FLAG_SUFFIX


@dataclass(frozen=True)
class StatisticsOnlyPolicy:
    withheld: tuple[WithheldItem, ...]
    breakdowns: tuple[str, ...]
    age_bands: tuple[AgeBand, ...]
    threshold: int
    protection_width: int
    suppress_zeros: bool  # a zero beside a known group size can reveal everyone's value
    source: str  # where it was read from, for messages and the submission header
    sha256: str  # of the policy file's bytes, so a submission names the exact policy

    def withheld_item(self, item: str) -> WithheldItem | None:
        return next((w for w in self.withheld if w.item == item), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "withheld": [{"item": w.item, "codes": list(w.codes)} for w in self.withheld],
            "by": list(self.breakdowns),
            "age_bands": [
                {"label": b.label, "min": b.min_age, "max": b.max_age} for b in self.age_bands
            ],
            "threshold": self.threshold,
            "protection_width": self.protection_width,
            "suppress_zeros": self.suppress_zeros,
            "sha256": self.sha256,
        }


def default_policy() -> StatisticsOnlyPolicy:
    """The policy shipped with safepupil."""
    data = resources.files("safepupil.collection").joinpath("data", DEFAULT_POLICY_FILE)
    return policy_from_bytes(data.read_bytes(), source=f"default ({DEFAULT_POLICY_FILE})")


def load_policy(path: Path) -> StatisticsOnlyPolicy:
    try:
        raw = path.read_bytes()
    except OSError:
        raise ConfigError(
            "policy file cannot be read",
            where=Location(file=str(path)),
            hint="check the --policy path",
        ) from None
    return policy_from_bytes(raw, source=str(path))


def policy_from_bytes(raw: bytes, *, source: str) -> StatisticsOnlyPolicy:
    """Parse and validate a policy; every problem raises ConfigError naming the field."""
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise _problem(source, None, f"not valid TOML ({error})", "fix the file's syntax") from None
    if document.get("format") != POLICY_FORMAT:
        raise _problem(source, "format", f"format must be {POLICY_FORMAT}", "add `format = 1`")
    aggregates = _table(document, "aggregates", source)
    withheld = tuple(_withheld_item(entry, source) for entry in _list(document, "withheld", source))
    breakdowns = tuple(str(b) for b in _list(aggregates, "by", source))
    _check_breakdowns(breakdowns, withheld, source)
    return StatisticsOnlyPolicy(
        withheld=withheld,
        breakdowns=breakdowns,
        age_bands=_age_bands(_list(aggregates, "age_bands", source), source),
        threshold=_positive_int(aggregates, "threshold", source),
        protection_width=_positive_int(aggregates, "protection_width", source),
        suppress_zeros=_bool(aggregates, "suppress_zeros", source, default=True),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _problem(source: str, field: str | None, message: str, hint: str) -> ConfigError:
    return ConfigError(message, hint=hint, where=Location(file=source, field=field))


def _table(document: Mapping[str, Any], name: str, source: str) -> Mapping[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        raise _problem(source, name, f"[{name}] table missing", f"add a [{name}] table")
    return value


def _list(document: Mapping[str, Any], name: str, source: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise _problem(source, name, f"{name} must be a list", f"write {name} as a list")
    return value


def _positive_int(document: Mapping[str, Any], name: str, source: str) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _problem(source, name, f"{name} must be a positive whole number", f"set {name}")
    return value


def _bool(document: Mapping[str, Any], name: str, source: str, *, default: bool) -> bool:
    value = document.get(name, default)
    if not isinstance(value, bool):
        raise _problem(source, name, f"{name} must be true or false", f"set {name}")
    return value


def _withheld_item(entry: Any, source: str) -> WithheldItem:
    if not isinstance(entry, dict) or entry.get("item") not in CODED_ITEMS:
        known = ", ".join(CODED_ITEMS)
        raise _problem(
            source, "withheld.item", "withheld item is not a coded item", f"use one of: {known}"
        )
    item = str(entry["item"])
    codes = {str(code) for code in entry.get("codes", [])}
    known_codes = codeset(CODED_ITEMS[item])
    unknown = sorted(code for code in codes if code not in known_codes)
    if not codes or unknown:
        raise _problem(
            source,
            f"withheld.{item}.codes",
            f"codes must be a non-empty list of {item} codes; not codes: {', '.join(unknown)}",
            f"use codes from the {CODED_ITEMS[item]} codeset",
        )
    ordered = tuple(code.code for code in known_codes if code.code in codes)
    return WithheldItem(item=item, codes=ordered, why=str(entry.get("why", "")))


def _check_breakdowns(
    breakdowns: tuple[str, ...], withheld: tuple[WithheldItem, ...], source: str
) -> None:
    allowed = {AGE_BAND, *CODED_ITEMS} - {w.item for w in withheld}
    bad = [b for b in breakdowns if b not in allowed]
    if bad or not breakdowns or len(set(breakdowns)) != len(breakdowns):
        raise _problem(
            source,
            "aggregates.by",
            "breakdowns must be distinct coded items (or age_band) other than a withheld item",
            f"use some of: {', '.join(sorted(allowed))}",
        )
    if len({w.item for w in withheld}) != len(withheld):
        raise _problem(source, "withheld", "an item is withheld twice", "merge its entries")


def _age_bands(entries: list[Any], source: str) -> tuple[AgeBand, ...]:
    try:
        bands = tuple(
            AgeBand(str(e["label"]), int(e["min"]), _optional_int(e.get("max"))) for e in entries
        )
    except (KeyError, TypeError, ValueError):
        raise _problem(
            source,
            "aggregates.age_bands",
            "each band needs label and min",
            "see the default policy",
        ) from None
    contiguous = all(
        a.max_age is not None and b.min_age == a.max_age + 1 for a, b in itertools.pairwise(bands)
    )
    ordered = all(b.max_age is None or b.max_age >= b.min_age for b in bands)
    if not bands or not contiguous or not ordered or bands[-1].max_age is not None:
        raise _problem(
            source,
            "aggregates.age_bands",
            "age bands must be contiguous, in order, and the last one open-ended",
            "give each band min and max (none on the last)",
        )
    if len({b.label for b in bands}) != len(bands):
        raise _problem(
            source, "aggregates.age_bands", "band labels repeat", "give each band its own label"
        )
    return bands


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
