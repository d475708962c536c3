"""Codesets: the allowed values of coded items, each code with the dates it is valid.

Codesets are data files under ``data/``; nothing here lists codes by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from safepupil.domain._data import parse_optional_date, read_rows
from safepupil.errors import ConfigError

SENSITIVITY_LEVELS = ("A", "B", "C", "D", "E")  # A = highly sensitive .. E = least


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # inclusive
    sensitivity: str | None = None  # A..E where the code itself is more sensitive than its item
    extra: tuple[tuple[str, str], ...] = ()

    def is_valid_on(self, day: dt.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)

    def attribute(self, name: str) -> str:
        return dict(self.extra)[name]


@dataclass(frozen=True)
class Codeset:
    name: str
    codes: tuple[Code, ...]
    _index: dict[str, Code] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c.code: c for c in self.codes})

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code: str) -> Code | None:
        return self._index.get(code)

    def label(self, code: str) -> str:
        found = self._index.get(code)
        return found.label if found else code

    def valid_codes_on(self, day: dt.date) -> frozenset[str]:
        return frozenset(c.code for c in self.codes if c.is_valid_on(day))

    def is_valid_on(self, code: str, day: dt.date) -> bool:
        found = self._index.get(code)
        return found is not None and found.is_valid_on(day)

    def codes_with_sensitivity(self, levels: set[str]) -> frozenset[str]:
        return frozenset(c.code for c in self.codes if c.sensitivity in levels)


CODESET_FILES = {
    "sex": "sex.csv",
    "ethnicity": "ethnicity_main.csv",
    "sen_provision": "sen_provision.csv",
    "sen_type": "sen_type.csv",
    "ap_setting_type": "ap_setting_type.csv",
    "placement_reason": "ap_placement_reason.csv",
}
_STANDARD_COLUMNS = {"code", "label", "valid_from", "valid_to", "sensitivity"}


@cache
def codeset(name: str) -> Codeset:
    """The codeset called ``name`` (see CODESET_FILES)."""
    try:
        filename = CODESET_FILES[name]
    except KeyError:
        known = ", ".join(sorted(CODESET_FILES))
        raise ConfigError(f"unknown codeset {name!r}", hint=f"use one of: {known}") from None
    codes = tuple(_code_from_row(row) for row in read_rows(filename))
    return Codeset(name=name, codes=codes)


def _code_from_row(row: dict[str, str]) -> Code:
    sensitivity = row.get("sensitivity", "").strip() or None
    if sensitivity is not None and sensitivity not in SENSITIVITY_LEVELS:
        raise ConfigError(f"code {row['code']!r} has unknown sensitivity {sensitivity!r}")
    extra = tuple(sorted((k, v) for k, v in row.items() if k not in _STANDARD_COLUMNS))
    return Code(
        code=row["code"],
        label=row["label"],
        valid_from=parse_optional_date(row.get("valid_from", "")),
        valid_to=parse_optional_date(row.get("valid_to", "")),
        sensitivity=sensitivity,
        extra=extra,
    )


def all_codesets() -> dict[str, Codeset]:
    return {name: codeset(name) for name in CODESET_FILES}
