"""``safepupil demo``: the whole flow on the embedded default, explained as it goes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from safepupil.cli.console import out, progress_bar
from safepupil.cli.la_validate_cmd import findings_table, report_summary
from safepupil.demo import render
from safepupil.demo.flow import DemoResult, run_demo
from safepupil.demo.service import ServiceDemo, run_service_demo
from safepupil.synth import SynthSpec, render_summary
from safepupil.synth.spec import DEFAULT_AP_PUPILS, DEFAULT_SCHOOL_PUPILS, DEFAULT_SEED

FINDINGS_SHOWN = 8
EXAMPLE_SQL = "SELECT sex, COUNT(*) FROM ap_census_2018 GROUP BY sex"


def demo(
    out_dir: Path = typer.Option(
        Path("demo-output"), "--out", help="Folder for everything the demo makes (replaced)."
    ),
    pupils: int = typer.Option(DEFAULT_AP_PUPILS, help="AP census pupils across England."),
    school_pupils: int = typer.Option(DEFAULT_SCHOOL_PUPILS, help="School census population."),
    seed: int = typer.Option(DEFAULT_SEED, help="Seed for the synthetic data."),
) -> None:
    """Run the main job end to end: LA returns, validation, pseudonymisation at source,
    sealed submissions, a national deployment and intake; then people, approved projects,
    protected queries, a review by two output checkers and the audit log."""
    spec = SynthSpec(pupils=pupils, school_pupils=school_pupils, seed=seed)
    out.print(Rule("safepupil demo: the January 2018 AP census, done safely"))
    with progress_bar() as progress:
        result = run_demo(out_dir, spec, progress)
    _show(result)
    with out.status("People, projects, protected queries, a review and the audit log..."):
        service = run_service_demo(result)
    _show_service(result, service)


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


def _next_steps(result: DemoResult, service: ServiceDemo) -> None:
    paths = result.paths
    first = result.census.ap_files[0]
    home = paths.home
    lines = [
        f"safepupil la validate {paths.returns_with_errors}",
        f"safepupil la manifest {first}",
        f"safepupil keys show --home {home}",
        "safepupil catalogue ap_census_2018",
        "safepupil query run docs/examples/count_by_la.sql --dummy",
        f"safepupil audit verify --home {home}",
        f"safepupil review list --home {home}",
    ]
    for line in lines:
        out.print(f"  [bold].venv/bin/{line}[/]", highlight=False, soft_wrap=True)
    url = render.SERVE_URL
    projects = [project.id for project in service.projects.values()]
    out.print(
        f"\nThen [bold]make serve[/] (or .venv/bin/safepupil serve --home {home}) and open, "
        "signing in with the demo credentials above:",
        soft_wrap=True,
        highlight=False,
    )
    for path, what in (
        ("/sign-in", "sign in (any demo person)"),
        ("/workbench", "a researcher's projects and releases"),
        ("/checker", "an output checker's review queue"),
        ("/custodian", "a custodian's people and projects"),
        ("/docs", "the API, with its description"),
    ):
        out.print(f"  {url}{path}  {what}", highlight=False, soft_wrap=True)
    token_file = escape(str(service.people.credentials_file))
    body = escape(json.dumps({"sql": EXAMPLE_SQL}))
    out.print(
        f"  the API with the researcher's token: export $(grep SAFEPUPIL_TOKEN {token_file}); "
        f"curl -H \"Authorization: Bearer $SAFEPUPIL_TOKEN\" -H 'content-type: application/json' "
        f"-d '{body}' {url}/api/v1/projects/{projects[0]}/queries",
        highlight=False,
        soft_wrap=True,
    )


def _show_service(result: DemoResult, service: ServiceDemo) -> None:
    out.print(Rule("5. Safe people: every change by a custodian, in the audit log"))
    out.print(render.people_table(service.people))
    out.print(
        f"Passwords and {escape(service.people['researcher_1'].person.email)}'s API token "
        f"are in {escape(str(service.people.credentials_file))} (readable by you only).",
        soft_wrap=True,
        highlight=False,
    )
    out.print(Rule("6. Safe projects: two approvers, neither the applicant"))
    out.print(render.projects_table(service.projects, service.people))
    out.print(Rule("7. Safe outputs: protected queries, and only protected tables"))
    out.print(
        "This demo holds a differencing hit for review (differencing_action = hold); the "
        "shipped policy suppresses the clashing cells instead. Symbols: c suppressed, "
        "low a small non-zero count, x held (not shown); counts rounded to 5.",
        soft_wrap=True,
        highlight=False,
    )
    for number, answered in enumerate(service.story.answered, start=1):
        asked = answered.asked
        out.print(
            f"\n[bold]{number}. {escape(asked.label)}[/]: {escape(asked.why)}\n"
            f"   person {asked.person}, project {asked.project}: {escape(asked.sql)}",
            soft_wrap=True,
            highlight=False,
        )
        if answered.table is not None:
            out.print(render.protected_table(answered.table, asked.label))
            for reason in answered.table.reasons:
                out.print(f"   [red]held:[/] {escape(reason)}", soft_wrap=True, highlight=False)
        out.print(f"   {render.answer_summary(answered)}", soft_wrap=True, highlight=False)
    _show_review(service)
    out.print(Rule("8. Accountability: the audit log"))
    out.print(render.kinds_table(service.audit))
    out.print(render.releases_table(service.audit))
    out.print(render.verification_line(service.audit), soft_wrap=True, highlight=False)
    out.print(render.timings_table(result.timings, service.timings))
    out.print(Rule("Try next"))
    _next_steps(result, service)


def _show_review(service: ServiceDemo) -> None:
    reviewed = service.story.reviewed
    if reviewed is None:
        return
    out.print(f"\n[bold]Review of the held release {reviewed.release_id}[/]", highlight=False)
    for number, decision in enumerate(reviewed.decisions, start=1):
        out.print(
            f"   output checker {number} decides: the release is now {decision.status}",
            highlight=False,
        )
    if reviewed.table is not None:
        out.print(render.protected_table(reviewed.table, "Released after review"))
    view = reviewed.requester_view
    out.print(
        f"   the requester sees: {view.status}; {escape('; '.join(view.reasons))}",
        soft_wrap=True,
        highlight=False,
    )
