"""``safepupil demo``: the whole flow on the embedded default, explained as it goes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.rule import Rule
from rich.table import Table

from safepupil.cli.console import out, progress_bar
from safepupil.cli.la_validate_cmd import findings_table, report_summary
from safepupil.demo.flow import DemoResult, run_demo
from safepupil.synth import SynthSpec, render_summary
from safepupil.synth.spec import DEFAULT_AP_PUPILS, DEFAULT_SCHOOL_PUPILS, DEFAULT_SEED

FINDINGS_SHOWN = 8


def demo(
    out_dir: Path = typer.Option(
        Path("demo-output"), "--out", help="Folder for everything the demo makes (replaced)."
    ),
    pupils: int = typer.Option(DEFAULT_AP_PUPILS, help="AP census pupils across England."),
    school_pupils: int = typer.Option(DEFAULT_SCHOOL_PUPILS, help="School census population."),
    seed: int = typer.Option(DEFAULT_SEED, help="Seed for the synthetic data."),
) -> None:
    """Run the main job end to end: LA returns, validation, pseudonymisation at source,
    sealed submissions, a national deployment and intake."""
    spec = SynthSpec(pupils=pupils, school_pupils=school_pupils, seed=seed)
    out.print(Rule("safepupil demo: the January 2018 AP census, done safely"))
    with progress_bar() as progress:
        result = run_demo(out_dir, spec, progress)
    _show(result)


def _show(result: DemoResult) -> None:
    out.print(Rule("1. Synthetic returns: one per LA, as each LA holds them"))
    for table in render_summary(result.census):
        out.print(table)
    out.print(Rule("2. The LA tool finds every problem before anything leaves the LA"))
    report = result.flawed_return
    out.print(findings_table(report.findings[:FINDINGS_SHOWN]))
    out.print(report_summary(report), soft_wrap=True)
    out.print(Rule("3. Pseudonymised, withheld and sealed at source"))
    out.print(_receipts_table(result))
    out.print(Rule("4. The national service: verified, decrypted, loaded atomically"))
    out.print(_intake_table(result))
    out.print(Rule("Try next"))
    _next_steps(result)


def _receipts_table(result: DemoResult) -> Table:
    receipts = result.receipts
    withheld: Counter[str] = Counter()
    for receipt in receipts:
        for item, count in receipt.withheld:
            withheld[item] += count
    table = Table(title="Sealed submissions (names, addresses, UPNs and ULNs never left the LA)")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("submissions sealed and signed", f"{len(receipts):,}")
    table.add_row("pupil records sent (as tokens)", f"{sum(r.records_sent for r in receipts):,}")
    for item, count in sorted(withheld.items()):
        table.add_row(f"records whose {item} was withheld", f"{count:,}")
    cells = sum(r.aggregate_cells for r in receipts)
    suppressed = sum(r.aggregate_cells_suppressed for r in receipts)
    table.add_row("protected count cells sent instead", f"{cells:,}")
    table.add_row("  of which suppressed at source", f"{suppressed:,}")
    table.add_row("submissions folder", str(result.paths.submissions))
    return table


def _intake_table(result: DemoResult) -> Table:
    loaded = [r for r in result.intake if not r.refused]
    refused = len(result.intake) - len(loaded)
    table = Table(title=f"National store (encrypted at rest) in {result.deployment.home}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("submissions loaded", f"{len(loaded):,}")
    table.add_row("submissions refused", f"{refused:,}")
    table.add_row("school census pupils loaded", f"{result.school_census.pupils:,}")
    for label, count in result.store_counts.items():
        table.add_row(label, f"{count:,}")
    return table


def _next_steps(result: DemoResult) -> None:
    paths = result.paths
    first = result.census.ap_files[0]
    lines = [
        f"safepupil la validate {paths.returns_with_errors}",
        f"safepupil la manifest {first}",
        f"safepupil keys show --home {paths.home}",
        "safepupil catalogue ap_census_2018",
        "safepupil query run docs/examples/count_by_la.sql --dummy",
    ]
    for line in lines:
        out.print(f"  [bold].venv/bin/{line}[/]", highlight=False, soft_wrap=True)
