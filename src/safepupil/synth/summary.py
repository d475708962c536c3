"""Rich tables describing a synthetic census run (for the CLI and the demo).

Only counts appear here: no pupil-level value is ever printed.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from safepupil.domain.codesets import codeset
from safepupil.synth.spec import SynthResult

SIZE_UNITS = ("B", "kB", "MB", "GB")
BYTES_PER_UNIT_STEP = 1000


def render_summary(result: SynthResult) -> tuple[Table, ...]:
    return (_regions(result), _reasons(result), _files(result))


def _regions(result: SynthResult) -> Table:
    table = Table(title=f"Synthetic census {result.spec.year}: pupils by region")
    table.add_column("Region")
    table.add_column("AP census", justify="right")
    table.add_column("School census", justify="right")
    for region, ap in result.ap_pupils_by_region.items():
        table.add_row(region, f"{ap:,}", f"{result.school_pupils_by_region.get(region, 0):,}")
    table.add_section()
    table.add_row("England", f"{result.ap_pupils:,}", f"{result.school_pupils:,}", style="bold")
    table.caption = f"{result.linked_pupils:,} AP pupils also appear in the school census"
    return table


def _reasons(result: SynthResult) -> Table:
    reasons = codeset("placement_reason")
    table = Table(title="AP placements by primary reason")
    table.add_column("Code")
    table.add_column("Reason")
    table.add_column("Sensitivity", justify="center")
    table.add_column("Pupils", justify="right")
    table.add_column("Share", justify="right")
    total = max(sum(result.placement_reasons.values()), 1)
    for code, count in result.placement_reasons.items():
        found = reasons.get(code)
        sensitivity = found.sensitivity if found and found.sensitivity else ""
        table.add_row(code, reasons.label(code), sensitivity, f"{count:,}", f"{count / total:.1%}")
    return table


def _files(result: SynthResult) -> Table:
    table = Table(title=f"Files written to {result.out_dir}")
    table.add_column("What")
    table.add_column("Files", justify="right")
    table.add_column("Size", justify="right")
    fmt = result.spec.file_format.value
    table.add_row(f"AP census returns ({fmt}), one per LA", *_size(result.ap_files))
    table.add_row("School census (parquet)", *_size((result.school_census,)))
    if result.manifest:
        label = f"Injected-error manifest ({result.injected_errors:,} errors)"
        table.add_row(label, *_size((result.manifest,)))
    return table


def _size(paths: tuple[Path, ...]) -> tuple[str, str]:
    return f"{len(paths):,}", _human(sum(path.stat().st_size for path in paths))


def _human(size: float) -> str:
    for unit in SIZE_UNITS[:-1]:
        if size < BYTES_PER_UNIT_STEP:
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= BYTES_PER_UNIT_STEP
    return f"{size:,.1f} {SIZE_UNITS[-1]}"
