import pytest

from safepupil.disclosure import FrequencyPolicy, frequency_rule, primary_reason, zero_rule
from safepupil.errors import ConfigError

DEFAULT = FrequencyPolicy()


@pytest.mark.parametrize(
    ("n", "suppressed"),
    [(0, False), (1, True), (2, True), (9, True), (10, False), (11, False), (1000, False)],
)
def test_frequency_rule_boundaries_at_the_default_threshold(n: int, suppressed: bool) -> None:
    assert (frequency_rule(n, DEFAULT) is not None) is suppressed


@pytest.mark.parametrize(
    ("threshold", "n", "suppressed"),
    [(1, 0, False), (1, 1, False), (2, 1, True), (2, 2, False), (5, 4, True), (5, 5, False)],
)
def test_frequency_rule_boundaries_at_other_thresholds(
    threshold: int, n: int, suppressed: bool
) -> None:
    policy = FrequencyPolicy(threshold=threshold)
    assert (frequency_rule(n, policy) is not None) is suppressed


def test_reason_is_plain_words_with_the_threshold() -> None:
    assert frequency_rule(3, DEFAULT) == "fewer than 10 pupils"
    assert frequency_rule(3, FrequencyPolicy(threshold=5)) == "fewer than 5 pupils"


@pytest.mark.parametrize(
    ("suppress_zeros", "n", "suppressed"),
    [(False, 0, False), (True, 0, True), (True, 1, False), (True, 10, False)],
)
def test_zero_rule(suppress_zeros: bool, n: int, suppressed: bool) -> None:
    policy = FrequencyPolicy(suppress_zeros=suppress_zeros)
    assert (zero_rule(n, policy) is not None) is suppressed


def test_primary_reason_combines_the_rules() -> None:
    zeros = FrequencyPolicy(suppress_zeros=True)
    assert primary_reason(0, zeros) is not None
    assert primary_reason(0, DEFAULT) is None
    assert primary_reason(4, DEFAULT) == "fewer than 10 pupils"
    assert primary_reason(10, zeros) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0},
        {"threshold": -3},
        {"protection_width": 0},
        {"threshold": 2.5},
        {"threshold": True},
        {"symbol_suppressed": ""},
        {"symbol_suppressed": " c"},
    ],
)
def test_invalid_policies_cannot_be_built(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FrequencyPolicy(**kwargs)  # type: ignore[arg-type]


def test_defaults_are_the_rule_of_ten_and_dfe_symbol() -> None:
    assert (DEFAULT.threshold, DEFAULT.protection_width) == (10, 10)
    assert DEFAULT.symbol_suppressed == "c"
    assert DEFAULT.suppress_zeros is False
