"""The output policy is data: the shipped file, per-item tightening, refusal of bad values."""

from __future__ import annotations

import pytest

from safepupil.disclosure.output_policy import (
    OutputPolicy,
    Symbols,
    load_policy_book,
    parse_policy_book,
)
from safepupil.errors import ConfigError


def test_the_shipped_policy_has_the_named_values() -> None:
    policy = load_policy_book().policy_for("ap_census_2018")
    assert (policy.threshold, policy.protection_width, policy.rounding_base) == (10, 10, 5)
    assert (policy.dominance_n, policy.dominance_k_percent, policy.p_percent) == (2, 85.0, 10.0)
    assert "placement_reason" in policy.class_disclosure_items
    assert policy.symbols == Symbols("c", "low", "x", "z")
    assert load_policy_book().policy_for("school_census_2018").class_disclosure_items == set()
    assert load_policy_book().policy_for("unknown").threshold == 10
    assert load_policy_book().policy_for("ap_census_2018").protection_seconds == 600


def test_an_item_cannot_change_how_long_protection_may_take() -> None:
    with pytest.raises(ConfigError, match="cannot override protection_seconds"):
        parse_policy_book({"datasets": {"d": {"items": {"reason": {"protection_seconds": 99999}}}}})


def test_an_item_can_tighten_but_never_loosen_the_policy() -> None:
    book = parse_policy_book(
        {
            "default": {"threshold": 10},
            "datasets": {
                "d": {"items": {"strict": {"threshold": 20, "dominance_k_percent": 70.0},
                                "loose": {"threshold": 3, "differencing_action": "hold"}}}
            },
        }
    )  # fmt: skip
    assert book.policy_for("d", ["strict"]).threshold == 20
    assert book.policy_for("d", ["strict"]).dominance_k_percent == 70.0
    loose = book.policy_for("d", ["loose"])
    assert loose.threshold == 10 and loose.differencing_action == "hold"
    assert book.policy_for("d", ["loose", "strict"]).threshold == 20


@pytest.mark.parametrize(
    "values",
    [
        {"threshold": 0},
        {"threshold": True},
        {"rounding_base": 0},
        {"dominance_k_percent": 0},
        {"dominance_k_percent": 101},
        {"p_percent": -1},
        {"differencing_action": "ignore"},
        {"protection_seconds": 0},
        {"protection_seconds": 2.5},
    ],
)
def test_invalid_values_cannot_be_built(values: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        OutputPolicy(**values)  # type: ignore[arg-type]


def test_unknown_keys_in_the_file_are_refused() -> None:
    with pytest.raises(ConfigError):
        parse_policy_book({"default": {"treshold": 10}})
    with pytest.raises(ConfigError):
        parse_policy_book({"symbols": {"secret": "c"}})
    with pytest.raises(ConfigError):
        parse_policy_book({"datasets": {"d": {"items": {"i": {"symbols": {}}}}}})


def test_the_frequency_policy_carries_threshold_width_and_symbol() -> None:
    frequency = OutputPolicy(threshold=12, protection_width=15).frequency_policy()
    assert (frequency.threshold, frequency.protection_width) == (12, 15)
    assert frequency.symbol_suppressed == "c"
