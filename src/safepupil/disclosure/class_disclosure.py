"""Class disclosure: a cell that tells something about everyone in a group.

"Every pupil of LA X in AP was placed for pregnancy" needs no small cell: it follows
when one code of a sensitive item holds the whole of its row (or column). And "no pupil
of this small group has X" is a zero that says the same about everyone in the group.
Both rules are small pure functions over a cell's count and the count of its group
(the margin totalled over the sensitive dimension).
"""

from __future__ import annotations


def whole_group_rule(cell_n: int, group_n: int, item: str) -> str | None:
    """A cell of a sensitive item that holds every pupil of its group (and some)."""
    if cell_n > 0 and cell_n >= group_n:
        return f"every pupil of the group has the same {item} (class disclosure)"
    return None


def sensitive_zero_rule(cell_n: int, group_n: int, smallest_group: int, item: str) -> str | None:
    """A zero of a sensitive item in a group of fewer than ``smallest_group`` pupils."""
    if cell_n == 0 and 0 < group_n < smallest_group:
        return (
            f"no pupil of a group of fewer than {smallest_group} has this {item} (class disclosure)"
        )
    return None


def class_reason(
    cell_n: int, group_n: int, smallest_group: int, item: str, group_has_other_codes: bool
) -> str | None:
    """The first class-disclosure rule a cell fails.

    ``group_has_other_codes``: the sensitive item has more than one code in the table;
    with a single code every cell trivially equals its group and says nothing new.
    """
    if group_has_other_codes:
        reason = whole_group_rule(cell_n, group_n, item)
        if reason is not None:
            return reason
    return sensitive_zero_rule(cell_n, group_n, smallest_group, item)
