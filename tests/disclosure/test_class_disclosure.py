"""Class disclosure as boundary tables: whole groups and zeros in small groups."""

from __future__ import annotations

import pytest

from safepupil.disclosure.class_disclosure import (
    class_reason,
    sensitive_zero_rule,
    whole_group_rule,
)


@pytest.mark.parametrize(
    ("cell", "group", "fails"),
    [(12, 12, True), (11, 12, False), (0, 0, False), (40, 40, True), (1, 1, True)],
)
def test_a_code_holding_its_whole_group_is_class_disclosure(
    cell: int, group: int, fails: bool
) -> None:
    assert (whole_group_rule(cell, group, "placement_reason") is not None) is fails


@pytest.mark.parametrize(
    ("cell", "group", "fails"),
    [(0, 19, True), (0, 1, True), (0, 20, False), (0, 0, False), (1, 5, False)],
)
def test_a_zero_in_a_small_group_is_class_disclosure(cell: int, group: int, fails: bool) -> None:
    assert (sensitive_zero_rule(cell, group, 20, "placement_reason") is not None) is fails


def test_a_single_code_table_says_nothing_new_about_the_group() -> None:
    assert class_reason(12, 12, 20, "placement_reason", group_has_other_codes=False) is None
    assert class_reason(12, 12, 20, "placement_reason", group_has_other_codes=True) is not None


def test_reasons_are_plain_words_without_values() -> None:
    reason = class_reason(37, 37, 20, "placement_reason", group_has_other_codes=True)
    assert reason is not None and "37" not in reason and "class disclosure" in reason
