"""Tables as the pages show them: a protected table with its symbols marked, or a dummy
result clearly labelled as made-up; each with its bar chart.

A protected table is shown exactly as the release pipeline made it (its text values,
its symbols); this module adds only how each cell is marked and the meaning of codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safepupil.disclosure.output_policy import Symbols
from safepupil.domain.codesets import codeset
from safepupil.domain.local_authorities import la_by_code
from safepupil.query.model import Query
from safepupil.query.results import QueryResult
from safepupil.release.result import ProtectedTable
from safepupil.store.catalogue import LA_CODESET, Dataset, Item
from safepupil.web.pages.chart import TOTAL, bar_chart

STATUS_WORDS = {
    "released": "shown",
    "primary": "hidden: it failed a disclosure rule",
    "secondary": "hidden so that another hidden cell cannot be worked out",
    "held": "held for review",
}
SUPPRESSED_STATUSES = frozenset({"primary", "secondary"})


def symbol_legend(symbols: Symbols) -> list[dict[str, str]]:
    return [
        {"symbol": symbols.suppressed, "meaning": "suppressed: too few pupils, or hidden to "
         "protect another hidden cell", "kind": "suppressed"},
        {"symbol": symbols.low, "meaning": "a small number that rounds to zero but is not "
         "zero", "kind": "low"},
        {"symbol": symbols.unavailable, "meaning": "not shown: the release is held for review",
         "kind": "held"},
        {"symbol": symbols.not_applicable, "meaning": "not applicable: no value to compute",
         "kind": "na"},
    ]  # fmt: skip


def protected_display(table: ProtectedTable, spec: Dataset, symbols: Symbols) -> dict[str, Any]:
    """The table's rows with each value marked (shown, suppressed, low, held), the
    per-cell report in plain words, a summary of the reasons and the chart."""
    width = len(table.report[0].key) if table.report else 0
    kinds = {
        symbols.suppressed: "suppressed",
        symbols.low: "low",
        symbols.unavailable: "held",
        symbols.not_applicable: "na",
    }
    rows = []
    for row, cell in zip(table.rows, table.report, strict=True):
        keys = [
            _key(spec, name, code)
            for name, code in zip(table.columns[:width], row[:width], strict=True)
        ]
        values = [{"text": text, "kind": kinds.get(text, "number")} for text in row[width:]]
        words = STATUS_WORDS.get(cell.status, cell.status)
        rows.append(
            {
                "keys": keys,
                "values": values,
                "status": cell.status,
                "report": f"{words}: {cell.reason}" if cell.reason else words,
                "total": TOTAL in row[:width],
            }
        )
    reasons: dict[str, int] = {}
    for cell in table.report:
        if cell.status in SUPPRESSED_STATUSES:
            reasons[cell.reason or STATUS_WORDS[cell.status]] = (
                reasons.get(cell.reason or STATUS_WORDS[cell.status], 0) + 1
            )
    interior = [r for r in rows if not r["total"]]
    return {
        "dimensions": list(table.columns[:width]),
        "measures": list(table.columns[width:]),
        "rows": rows,
        "suppressed": sum(1 for c in table.report if c.status in SUPPRESSED_STATUSES),
        "reasons": [{"reason": reason, "cells": n} for reason, n in sorted(reasons.items())],
        "legend": symbol_legend(symbols),
        "chart": _chart(table.columns[width] if width < len(table.columns) else "", interior),
    }


def dummy_display(query: Query, result: QueryResult) -> dict[str, Any]:
    """A dummy result: every cell with its made-up values (nothing here is real)."""
    spec = query.spec
    rows = []
    for cell in result.cells:
        keys = [
            _key(spec, level or "", TOTAL if level is None else _code(code))
            for level, code in zip(cell.levels, cell.codes, strict=True)
        ]
        values = [{"text": _number(v.value), "kind": "number"} for v in cell.values]
        rows.append({"keys": keys, "values": values, "pupils": f"{cell.n_pupils:,}",
                     "total": not cell.interior})  # fmt: skip
    return {
        "dimensions": list(result.dimensions),
        "measures": list(result.measures),
        "rows": rows,
        "chart": _chart(result.measures[0] if result.measures else "", [
            r for r in rows if not r["total"]]),
    }  # fmt: skip


def _chart(measure: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    labels = [", ".join(k["code"] + (f" {k['meaning']}" if k["meaning"] else "")
                        for k in r["keys"]) or "all" for r in rows]  # fmt: skip
    shown = [r["values"][0]["text"] if r["values"] else "" for r in rows]
    hidden = [bool(r["values"]) and r["values"][0]["kind"] != "number" for r in rows]
    return bar_chart(f"{measure} by {', '.join(k['name'] for k in rows[0]['keys'])}"
                     if rows and rows[0]["keys"] else measure, labels, shown, hidden)  # fmt: skip


def _key(spec: Dataset, name: str, code: str) -> dict[str, str]:
    return {"name": name, "code": code, "meaning": _meaning(spec, name, code)}


def _meaning(spec: Dataset, name: str, code: str) -> str:
    """A code's meaning ("City of London" for 201, "Female" for F); "" when none."""
    if code in (TOTAL, "(missing)") or not name:
        return ""
    try:
        found = spec.dimension(name)
    except Exception:  # a dimension this dataset does not know: show the code alone
        return ""
    if not isinstance(found, Item) or found.codeset is None:
        return ""
    if found.codeset == LA_CODESET:
        la = la_by_code(code, spec.reference_date)
        return la.name if la else ""
    meaning = codeset(found.codeset).label(code)
    return "" if meaning == code else meaning


def _code(code: object) -> str:
    return "(missing)" if code is None else str(code)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value}"
    return f"{value:.3f}"
