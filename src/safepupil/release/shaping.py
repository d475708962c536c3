"""Turn a protected decision into what is shown: symbols, rounding, the per-cell report.

Counts are rounded to the policy's base after suppression (``disclosure.rounding``);
statistics are shown at a fixed precision. Every measure of a suppressed cell shows the
suppression symbol, so hiding a cell's count also hides its mean, sum or proportion.
A held release shows no value at all (``x``) until it is reviewed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pyroaring import FrozenBitMap

from safepupil.disclosure.output_policy import OutputPolicy
from safepupil.disclosure.release import ProtectedCell, ProtectedRelease
from safepupil.disclosure.rounding import shown_count
from safepupil.query.model import Query
from safepupil.query.nodes import Count, Mean, Measure, Median, Proportion
from safepupil.query.results import Cell
from safepupil.release.layout import Layout
from safepupil.release.result import CellReport, ProtectedTable, ReleaseStatus, _sealed

MEAN_DECIMALS = 1
PROPORTION_DECIMALS = 3


def released_table(
    release_id: str,
    query: Query,
    layout: Layout,
    protected: ProtectedRelease,
    held: Sequence[str],
    policy: OutputPolicy,
) -> tuple[ProtectedTable, tuple[tuple[str, FrozenBitMap], ...]]:
    """The table to show and, for the record, each released cell's key and pupils."""
    status = ReleaseStatus.HELD if held else ReleaseStatus.RELEASED
    rows, report, shown = [], [], []
    for cell in protected.cells:
        engine_cell = layout.cells.get(cell.key)
        rows.append((*cell.key, *_values(query.measures, cell, engine_cell, policy, held)))
        report.append(_report(cell, held))
        if not cell.suppressed and engine_cell is not None:
            shown.append((cell_key_json(layout.names, cell.key), engine_cell.contributors))
    pupils = len(FrozenBitMap.union(FrozenBitMap(), *(bitmap for _, bitmap in shown)))
    table = _sealed(
        release_id=release_id,
        dataset=query.dataset,
        status=status,
        columns=(*layout.names, *(m.label for m in query.measures)),
        rows=tuple(rows),
        report=tuple(report),
        audit=researcher_audit(protected),
        pupils=pupils,
        reasons=tuple(held),
    )
    return table, tuple(shown)


def cell_key_json(names: tuple[str, ...], key: tuple[str, ...]) -> str:
    return json.dumps(dict(zip(names, key, strict=True)), sort_keys=True)


def researcher_audit(protected: ProtectedRelease) -> dict[str, object]:
    """The proof without the attacker's bounds (solved from unrounded values)."""
    proof = protected.audit.to_dict()
    cells = proof.get("cells", [])
    assert isinstance(cells, list)
    proof["cells"] = [{"cell": c["cell"], "protected": c["protected"]} for c in cells]
    return proof


def _values(
    measures: Sequence[Measure],
    cell: ProtectedCell,
    engine_cell: Cell | None,
    policy: OutputPolicy,
    held: Sequence[str],
) -> list[str]:
    symbols = policy.symbols
    if held:
        return [symbols.unavailable] * len(measures)
    if cell.suppressed:
        return [symbols.suppressed] * len(measures)
    shown: list[str] = []
    for position, measure in enumerate(measures):
        if isinstance(measure, Count):
            shown.append(str(shown_count(cell.value, policy.rounding_base, symbols.low)))
            continue
        value = None if engine_cell is None else engine_cell.values[position].value
        shown.append(symbols.not_applicable if value is None else _statistic(measure, value))
    return shown


def _statistic(measure: Measure, value: float) -> str:
    if isinstance(measure, Proportion):
        return f"{value:.{PROPORTION_DECIMALS}f}"
    if isinstance(measure, Mean | Median):
        return f"{value:.{MEAN_DECIMALS}f}"
    return f"{value:.0f}"  # a sum: whole units


def _report(cell: ProtectedCell, held: Sequence[str]) -> CellReport:
    if held and not cell.suppressed:
        return CellReport(cell.key, "held", "the release is held for review")
    return CellReport(cell.key, cell.status.value, cell.reason)
