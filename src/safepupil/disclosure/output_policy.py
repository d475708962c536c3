"""The safe-outputs policy as data: named values per dataset and per item.

``data/output_policy.toml`` holds a default, per-dataset overrides and per-item
overrides. ``policy_for(dataset, items)`` gives the policy for one query: the dataset's
values, tightened by every item the query uses (the strictest value wins), so adding an
item to a query can never loosen the rules it is checked against.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from typing import Any

from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.errors import ConfigError

DIFFERENCING_ACTIONS = ("suppress", "hold")
# Values where a larger number is stricter; the rest are stricter when smaller.
_LARGER_IS_STRICTER = (
    "threshold",
    "protection_width",
    "p_percent",
    "rounding_base",
    "sensitive_zero_group",
)
_SMALLER_IS_STRICTER = ("dominance_k_percent",)


@dataclass(frozen=True)
class Symbols:
    """DfE's publication symbols (analysts' guide)."""

    suppressed: str = "c"
    low: str = "low"
    unavailable: str = "x"
    not_applicable: str = "z"

    def __post_init__(self) -> None:
        for name in ("suppressed", "low", "unavailable", "not_applicable"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or value.strip() != value:
                raise ConfigError(f"the symbol {name} must be a word without surrounding spaces")


@dataclass(frozen=True)
class OutputPolicy:
    """Every value the release pipeline reads; invalid values cannot be built."""

    threshold: int = 10
    protection_width: int = 10
    dominance_n: int = 2
    dominance_k_percent: float = 85.0
    p_percent: float = 10.0
    rounding_base: int = 5
    sensitive_zero_group: int = 20
    differencing_action: str = "suppress"
    class_disclosure_items: frozenset[str] = frozenset()
    # Not a disclosure rule: how long the search and audit may take for one table
    # (deadline.py). Items cannot override it.
    protection_seconds: int = 600
    symbols: Symbols = field(default_factory=Symbols)

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_disclosure_items", frozenset(self.class_disclosure_items))
        for name in (
            "threshold",
            "protection_width",
            "dominance_n",
            "rounding_base",
            "protection_seconds",
        ):
            _whole_at_least(name, getattr(self, name), 1)
        _whole_at_least("sensitive_zero_group", self.sensitive_zero_group, 0)
        if not 0 < self.dominance_k_percent <= 100:
            raise ConfigError("dominance_k_percent must be above 0 and at most 100")
        if not 0 <= self.p_percent <= 100:
            raise ConfigError("p_percent must be between 0 and 100")
        if self.differencing_action not in DIFFERENCING_ACTIONS:
            raise ConfigError(
                f"differencing_action must be one of {', '.join(DIFFERENCING_ACTIONS)}"
            )

    def frequency_policy(self) -> FrequencyPolicy:
        """The part the count-table suppression and audit read."""
        return FrequencyPolicy(
            threshold=self.threshold,
            protection_width=self.protection_width,
            symbol_suppressed=self.symbols.suppressed,
        )

    def tightened(self, overrides: Mapping[str, Any]) -> OutputPolicy:
        """This policy with ``overrides`` applied only where they are stricter."""
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            current = getattr(self, name)
            if name in _LARGER_IS_STRICTER:
                changes[name] = max(current, value)
            elif name in _SMALLER_IS_STRICTER:
                changes[name] = min(current, value)
            elif name == "differencing_action":
                changes[name] = "hold" if "hold" in (current, value) else current
            else:
                raise ConfigError(f"an item cannot override {name}")
        return replace(self, **changes)


def _whole_at_least(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"{name} must be a whole number of at least {least}")


@dataclass(frozen=True)
class PolicyBook:
    """Every dataset's policy and its item overrides, as read from the policy file."""

    default: OutputPolicy
    datasets: Mapping[str, OutputPolicy]
    item_overrides: Mapping[tuple[str, str], Mapping[str, Any]]

    def policy_for(self, dataset: str, items: Iterable[str] = ()) -> OutputPolicy:
        policy = self.datasets.get(dataset, self.default)
        for item in sorted(set(items)):
            overrides = self.item_overrides.get((dataset, item))
            if overrides:
                policy = policy.tightened(overrides)
        return policy


_POLICY_FIELDS = {f.name for f in fields(OutputPolicy)} - {"symbols"}


def parse_policy_book(document: Mapping[str, Any]) -> PolicyBook:
    """Read the policy file's structure; ConfigError naming the bad key."""
    try:
        symbols = Symbols(**document.get("symbols", {}))
        default = OutputPolicy(**_policy_values(document.get("default", {})), symbols=symbols)
        datasets: dict[str, OutputPolicy] = {}
        overrides: dict[tuple[str, str], Mapping[str, Any]] = {}
        for name, section in document.get("datasets", {}).items():
            datasets[name] = replace(default, **_policy_values(section))
            for item, values in section.get("items", {}).items():
                default.tightened(values)  # refuse unknown names early
                overrides[(name, item)] = dict(values)
    except TypeError as error:
        raise ConfigError(f"the output policy file has an unknown key: {error}") from None
    return PolicyBook(default=default, datasets=datasets, item_overrides=overrides)


def _policy_values(section: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(section) - _POLICY_FIELDS - {"items"}
    if unknown:
        raise ConfigError(f"the output policy file names unknown values {sorted(unknown)}")
    values = {k: v for k, v in section.items() if k != "items"}
    if "class_disclosure_items" in values:
        values["class_disclosure_items"] = frozenset(values["class_disclosure_items"])
    return values


@cache
def load_policy_book() -> PolicyBook:
    """The shipped policy file (read once)."""
    text = resources.files("safepupil.disclosure").joinpath("data", "output_policy.toml")
    return parse_policy_book(tomllib.loads(text.read_text("utf-8")))
