"""Protect linked frequency (count) tables: primary and secondary suppression, then the audit.

    model -> primary rules -> complementary cells (secondary.py) -> LP audit (audit.py)

A release leaves only when the audit proves that every suppressed cell's interval
spans at least the policy's protection width; otherwise DisclosureRefused is raised
and nothing is released.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from safepupil.disclosure.audit import AuditProof, audit_suppression
from safepupil.disclosure.cell_model import BoolArray, CellModel, build_cell_model
from safepupil.disclosure.complements import choose_complements
from safepupil.disclosure.deadline import Deadline, OutOfTime
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.primary import primary_reason
from safepupil.disclosure.release import (
    REASON_SECONDARY,
    CellStatus,
    ProtectedCell,
    ProtectedRelease,
    table_label,
)
from safepupil.disclosure.secondary import Unprotectable
from safepupil.disclosure.tables import Dimension
from safepupil.disclosure.witnesses import Witnesses
from safepupil.errors import DisclosureRefused, QueryError

CellRef = tuple[tuple[str, ...], tuple[str, ...]]  # (table, key) of a cell
T = TypeVar("T")


def protect_linked_counts(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    tables: Sequence[tuple[str, ...]],
    policy: FrequencyPolicy,
    *,
    public_cells: Collection[CellRef] = (),
    extra_primary: Mapping[CellRef, str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    time_limit: float | None = None,
) -> ProtectedRelease:
    """Suppress what must be suppressed in every published table and prove it is enough.

    counts: interior cells of the full cross-classification of ``dimensions`` (leaf
        codes in dimension order); a missing key is 0.
    tables: the published tables, each a tuple of dimension names; every published
        table carries all its margins (group subtotals and totals).
    public_cells: (table, key) of cells whose values are already public elsewhere
        (e.g. an LA's total in DfE's statistics). The attacker knows them, so they can
        never be hidden to protect another cell, and the audit fixes them. The table
        need not be published: (("sex", "age"), ("F", "14")) says that the number of
        girls aged 14 is known even if no sex x age table is released.
    extra_primary: (table, key) -> reason for cells that fail a rule the count alone
        cannot show (dominance, class disclosure, differencing): they are hidden as
        primary cells with that reason, protected and audited like the others.
    on_stage: told, in words, when the search and the audit start (cell counts only).
    time_limit: seconds the search and the audit may take together (None: no limit);
        a table over it is refused (deadline.py).

    Raises DisclosureRefused when no pattern of suppression can protect every
    suppressed cell, and QueryError when the tables or counts are malformed.
    """
    deadline = Deadline.after(time_limit)
    published = {tuple(table) for table in tables}
    known_tables = tuple(
        dict.fromkeys(tuple(t) for t, _ in public_cells if tuple(t) not in published)
    )
    model = build_cell_model(counts, dimensions, tables, known_tables)
    reasons = [
        primary_reason(int(value), policy) if shown else None
        for value, shown in zip(model.values, model.published, strict=True)
    ]
    for cell, reason in _cells_of(model, (extra_primary or {}).items()):
        if not model.published[cell]:
            raise QueryError(
                f"extra primary cell {describe(model, model.identities[cell])} is not published",
                hint="name a cell of one of the published tables",
            )
        reasons[cell] = reasons[cell] or reason
    primary = np.array([reason is not None for reason in reasons], dtype=bool)
    public = np.zeros(model.size, dtype=bool)
    public[[cell for cell, _ in _cells_of(model, ((ref, None) for ref in public_cells))]] = True
    _refuse_small_public_cells(model, primary & public)
    witnesses = Witnesses.start(model)
    report = on_stage or (lambda stage: None)
    width = policy.protection_width
    hidden = int(np.count_nonzero(primary))
    report(f"choosing complementary suppressions ({model.size:,} cells, {hidden:,} primary)")
    try:
        secondary = choose_complements(
            model, primary, public, width, witnesses=witnesses, deadline=deadline
        )
        hidden += int(np.count_nonzero(secondary))
        report(f"proving the pattern: the LP audit of {hidden:,} suppressed cells")
        proof = audit_suppression(
            model, primary | secondary, width, public, witnesses=witnesses, deadline=deadline
        )
    except Unprotectable as failure:
        raise _refusal(model, failure.identity, policy) from None
    except OutOfTime as late:
        raise _out_of_time(model, primary, late.seconds) from None
    if not proof.protected:
        # The search believed every cell covered; the audit disagrees. Never release.
        raise DisclosureRefused(
            f"the audit found that the cell {describe(model, proof.failures[0].identity)} "
            "could be narrowed below the protection width; nothing was released",
            hint="report this: the suppression search and its audit disagree",
        )
    cells = _protected_cells(model, reasons, secondary, proof)
    return ProtectedRelease(cells=cells, audit=proof, policy=policy)


def _out_of_time(model: CellModel, primary: BoolArray, seconds: float) -> DisclosureRefused:
    cells, small = model.size, int(np.count_nonzero(primary))
    return DisclosureRefused(
        f"protecting this table ({cells:,} cells, {small:,} of them suppressed by the rules) "
        f"took longer than the policy allows ({seconds:,.0f} s), so nothing was released",
        hint="ask for a smaller table: fewer dimensions, or codes grouped (regions instead of "
        "LAs, fewer bands); a table whose cells are mostly small releases little anyway",
    )


def _protected_cells(
    model: CellModel, reasons: list[str | None], secondary: BoolArray, proof: AuditProof
) -> tuple[ProtectedCell, ...]:
    intervals = {i.identity: (i.lo, i.hi) for i in proof.intervals}
    cells = []
    for table in model.tables:
        for key, cell in zip(table.keys, table.cells, strict=True):
            identity = model.identities[cell]
            reason = reasons[cell]
            if reason is not None:
                status = CellStatus.PRIMARY
            elif secondary[cell]:
                status, reason = CellStatus.SECONDARY, REASON_SECONDARY
            else:
                status, reason = CellStatus.RELEASED, ""
            cells.append(
                ProtectedCell(
                    table=table.table,
                    key=key,
                    value=int(model.values[cell]),
                    status=status,
                    reason=reason,
                    interval=intervals.get(identity),
                    identity=identity,
                )
            )
    return tuple(cells)


def _cells_of(model: CellModel, refs: Iterable[tuple[CellRef, T]]) -> list[tuple[int, T]]:
    """Model cells of (table, key) references, each with its payload."""
    where = {
        (table.table, key): cell
        for table in (*model.tables, *model.known_tables)
        for key, cell in zip(table.keys, table.cells, strict=True)
    }
    found = []
    for (table, key), payload in refs:
        cell = where.get((tuple(table), tuple(key)))
        if cell is None:
            raise QueryError(
                f"cell {key} of table {table_label(tuple(table))} is not a cell of it",
                hint="give one code per dimension of the table, in the table's order",
            )
        found.append((cell, payload))
    return found


def _refuse_small_public_cells(model: CellModel, clash: BoolArray) -> None:
    if np.any(clash):
        cell = int(np.flatnonzero(clash)[0])
        raise DisclosureRefused(
            f"the cell {describe(model, model.identities[cell])} fails the primary rule "
            "but is already public elsewhere, so nothing in this release can protect it",
            hint="publish these tables at a coarser level (merge codes or drop a dimension)",
        )


def _refusal(
    model: CellModel, identity: tuple[str, ...], policy: FrequencyPolicy
) -> DisclosureRefused:
    # Name the cell by its codes only: its value must not appear in any message.
    return DisclosureRefused(
        f"the cell {describe(model, identity)} cannot be protected: whatever else is "
        f"suppressed, its value could be worked out to within fewer than "
        f"{policy.protection_width} pupils from what would be released",
        hint="publish these tables at a coarser level (merge codes or drop a dimension), "
        "or stop treating some totals as public",
    )


def describe(model: CellModel, identity: tuple[str, ...]) -> str:
    """A cell's codes for a message, e.g. 'la=201, sex=Total'."""
    return ", ".join(f"{n}={c}" for n, c in zip(model.dimension_names, identity, strict=True))
