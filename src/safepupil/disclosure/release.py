"""What disclosure control hands back: every published cell with its status.

The true value of every cell stays on the cell (the service needs it for its own
records), but only ``released_value`` and ``to_rows()`` are fit to show anyone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from safepupil.disclosure.audit import AuditProof
from safepupil.disclosure.policy import FrequencyPolicy


class CellStatus(enum.Enum):
    RELEASED = "released"
    PRIMARY = "primary"  # failed a disclosure rule itself
    SECONDARY = "secondary"  # hidden so that a primary cell cannot be worked out


REASON_SECONDARY = "suppressed so that a suppressed cell cannot be worked out from the totals"


@dataclass(frozen=True)
class ProtectedCell:
    table: tuple[str, ...]  # the dimension names of the table this cell is published in
    key: tuple[str, ...]  # one code per table dimension (leaf, group or total code)
    value: int = field(repr=False)  # true value: internal only, never show a suppressed one
    status: CellStatus
    reason: str  # plain words; empty for a released cell
    interval: tuple[float, float] | None = None  # audited attacker interval (suppressed cells)
    # The cell's key over every dimension (total where the table has no such dimension):
    # the same underlying cell published in two tables has the same identity.
    identity: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        return self.status is not CellStatus.RELEASED

    @property
    def released_value(self) -> int | None:
        return None if self.suppressed else self.value


@dataclass(frozen=True)
class ProtectedRelease:
    cells: tuple[ProtectedCell, ...]
    audit: AuditProof
    policy: FrequencyPolicy = field(default_factory=FrequencyPolicy)

    def _distinct(self, status: CellStatus) -> int:
        # A margin shared by two linked tables is one underlying cell: count it once.
        return len({cell.identity for cell in self.cells if cell.status is status})

    @property
    def primary_count(self) -> int:
        return self._distinct(CellStatus.PRIMARY)

    @property
    def secondary_count(self) -> int:
        return self._distinct(CellStatus.SECONDARY)

    @property
    def suppressed_count(self) -> int:
        return self.primary_count + self.secondary_count

    @property
    def released_count(self) -> int:
        return self._distinct(CellStatus.RELEASED)

    def cells_of(self, table: tuple[str, ...]) -> tuple[ProtectedCell, ...]:
        return tuple(cell for cell in self.cells if cell.table == tuple(table))

    def cell(self, table: tuple[str, ...], key: tuple[str, ...]) -> ProtectedCell:
        for cell in self.cells:
            if cell.table == tuple(table) and cell.key == tuple(key):
                return cell
        raise KeyError((table, key))

    def to_rows(self) -> list[dict[str, object]]:
        """One dict per published cell, fit to show: suppressed values are the symbol."""
        rows: list[dict[str, object]] = []
        for cell in self.cells:
            row: dict[str, object] = {"table": table_label(cell.table)}
            row.update(zip(cell.table, cell.key, strict=True))
            shown = cell.released_value
            row["value"] = self.policy.symbol_suppressed if shown is None else shown
            row["status"] = cell.status.value
            row["reason"] = cell.reason
            rows.append(row)
        return rows


def table_label(table: tuple[str, ...]) -> str:
    """A table's name for people: its dimensions joined by ' x ' ("la x sex")."""
    return " x ".join(table) if table else "total"
