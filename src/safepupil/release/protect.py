"""Secondary suppression and audit of the count table, with extra primary cells.

The count table is protected by ``disclosure.protect_linked_counts``. Some cells fail a
rule that the count alone cannot show (a dominated sum, class disclosure, differencing);
they go in as extra primary cells, so that the same search adds their complements and
the same LP audit proves them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from safepupil.disclosure.frequency import protect_linked_counts
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.release import ProtectedRelease
from safepupil.disclosure.tables import Dimension

Key = tuple[str, ...]


def protect_counts(
    counts: Mapping[Key, int],
    dimensions: Sequence[Dimension],
    policy: FrequencyPolicy,
    forced: Mapping[Key, str],
    on_stage: Callable[[str], None] | None = None,
    time_limit: float | None = None,
) -> ProtectedRelease:
    """The full table (all dimensions, all margins) protected; ``forced`` cells (by key,
    with the reason) are primary suppressions besides those the counts fail; ``on_stage``
    is told when the search and the audit start; past ``time_limit`` seconds the table is
    refused."""
    table = tuple(d.name for d in dimensions)
    extra = {(table, key): reason for key, reason in forced.items()}
    return protect_linked_counts(
        counts,
        dimensions,
        [table],
        policy,
        extra_primary=extra,
        on_stage=on_stage,
        time_limit=time_limit,
    )
