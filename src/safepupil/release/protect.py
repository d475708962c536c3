"""Secondary suppression and audit of the count table, with extra primary cells.

The count table is protected by ``disclosure.protect_linked_counts``. Some cells fail a
rule that the count alone cannot show (a dominated sum, class disclosure, differencing);
they must be hidden as primaries so that the same search adds their complements and the
same LP audit proves them. ``protect_linked_counts`` takes no such cells, so when there
are any this module runs its steps (cell model, complements, audit) with them added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from safepupil.disclosure.audit import audit_suppression
from safepupil.disclosure.cell_model import build_cell_model
from safepupil.disclosure.frequency import describe, protect_linked_counts
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.primary import primary_reason
from safepupil.disclosure.release import (
    REASON_SECONDARY,
    CellStatus,
    ProtectedCell,
    ProtectedRelease,
)
from safepupil.disclosure.secondary import Unprotectable, choose_complements
from safepupil.disclosure.tables import Dimension
from safepupil.disclosure.witnesses import Witnesses
from safepupil.errors import DisclosureRefused

Key = tuple[str, ...]


def protect_counts(
    counts: Mapping[Key, int],
    dimensions: Sequence[Dimension],
    policy: FrequencyPolicy,
    forced: Mapping[Key, str],
) -> ProtectedRelease:
    """The full table (all dimensions, all margins) protected; ``forced`` cells (by key,
    with the reason) are primary suppressions besides those the counts fail."""
    table = tuple(d.name for d in dimensions)
    if not forced:
        return protect_linked_counts(counts, dimensions, [table], policy)
    model = build_cell_model(counts, dimensions, [table])
    reasons = [
        (primary_reason(int(value), policy) or forced.get(identity)) if shown else None
        for value, shown, identity in zip(
            model.values, model.published, model.identities, strict=True
        )
    ]
    primary = np.array([reason is not None for reason in reasons], dtype=bool)
    public = np.zeros(model.size, dtype=bool)
    witnesses = Witnesses.start(model)
    try:
        secondary = choose_complements(
            model, primary, public, policy.protection_width, witnesses=witnesses
        )
    except Unprotectable as failure:
        raise DisclosureRefused(
            f"the cell {describe(model, failure.identity)} cannot be protected: its value "
            f"could be worked out to within fewer than {policy.protection_width} pupils",
            hint="ask for a coarser table (merge codes or drop a dimension)",
        ) from None
    proof = audit_suppression(
        model, primary | secondary, policy.protection_width, public, witnesses=witnesses
    )
    if not proof.protected:
        raise DisclosureRefused(
            "the audit found a suppressed cell that could be narrowed below the protection "
            "width; nothing was released",
            hint="report this: the suppression search and its audit disagree",
        )
    cells = []
    for key, index in zip(model.tables[0].keys, model.tables[0].cells, strict=True):
        reason = reasons[index]
        status = CellStatus.PRIMARY if reason is not None else CellStatus.RELEASED
        if reason is None and secondary[index]:
            status, reason = CellStatus.SECONDARY, REASON_SECONDARY
        interval = proof.interval_of(model.identities[index])
        cells.append(
            ProtectedCell(
                table=table,
                key=key,
                value=int(model.values[index]),
                status=status,
                reason=reason or "",
                interval=None if interval is None else (interval.lo, interval.hi),
                identity=model.identities[index],
            )
        )
    return ProtectedRelease(cells=tuple(cells), audit=proof, policy=policy)
