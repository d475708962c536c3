"""Rich tables for the service part of the demo (``safepupil demo`` prints them).

Every value shown from a release is the ProtectedTable's own text: rounded counts and
symbols (``c`` suppressed, ``low``, ``x`` held). No true value of a suppressed cell, no
pupil-level value and no small count behind a cell is ever put in these tables.
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from safepupil.demo.people import DemoPeople
from safepupil.demo.queries import Answered
from safepupil.demo.report import AuditSummary
from safepupil.governance.projects import Project
from safepupil.release.result import ProtectedTable

STATUS_STYLE = {"primary": "yellow", "secondary": "yellow", "held": "red"}
SERVE_URL = "http://127.0.0.1:8000"


def people_table(people: DemoPeople) -> Table:
    table = Table(title="Demo people (passwords made for this demo only)")
    for column in ("name", "email", "roles", "organisation", "password"):
        table.add_column(column)
    for entry in people.everyone:
        person = entry.person
        roles = ", ".join(person.role_names)
        if person.accredited_until:
            roles += f" (accredited to {person.accredited_until.isoformat()})"
        if person.la_code:
            roles += f" (LA {person.la_code})"
        table.add_row(
            escape(person.name),
            person.email,
            roles,
            escape(person.organisation),
            entry.password,
        )
    return table


def projects_table(projects: dict[str, Project], people: DemoPeople) -> Table:
    names = {entry.id: entry.person.name for entry in people.everyone}
    table = Table(title="Approved projects (two approvers each, neither the applicant)")
    for column in ("id", "title", "organisation", "legal basis", "applicant", "approved by"):
        table.add_column(column)
    for project in projects.values():
        application = project.application
        table.add_row(
            str(project.id),
            escape(application.title),
            f"{escape(application.organisation)} ({application.organisation_type.value})",
            application.legal_basis.value,
            escape(names.get(project.applicant_id, str(project.applicant_id))),
            ", ".join(escape(names.get(i, str(i))) for i in sorted(project.approvers)),
        )
    return table


def protected_table(table: ProtectedTable, title: str) -> Table:
    shown = Table(title=title)
    for column in table.columns:
        shown.add_column(column, justify="right")
    shown.add_column("cell")
    for row, cell in zip(table.rows, table.report, strict=True):
        style = STATUS_STYLE.get(cell.status)
        shown.add_row(*row, f"[{style}]{cell.status}[/]" if style else cell.status)
    return shown


def answer_summary(answered: Answered) -> str:
    if answered.table is None:
        return f"refused: {escape(answered.refusal or '')}"
    table = answered.table
    return (
        f"{table.status.value}: {answered.cells('primary')} primary and "
        f"{answered.cells('secondary')} secondary suppressions, {answered.cells('held')} "
        f"cells held; {table.pupils:,} pupils involved; release {table.release_id}, "
        f"SHA-256 {table.checksum[:16]}..."
    )


def kinds_table(audit: AuditSummary) -> Table:
    table = Table(title=f"Audit log: {audit.entries} events by kind")
    table.add_column("kind")
    table.add_column("events", justify="right")
    for kind, count in audit.by_kind.items():
        table.add_row(kind, str(count))
    return table


def releases_table(audit: AuditSummary) -> Table:
    table = Table(title="Releases made, as the audit log records them")
    for column in ("audit entry", "release", "project", "pupils released"):
        table.add_column(column, justify="right")
    for line in audit.releases:
        table.add_row(str(line.seq), line.release_id, str(line.project_id), f"{line.pupils:,}")
    return table


def verification_line(audit: AuditSummary) -> str:
    result = audit.verification
    if result.failure is not None:
        return (
            f"[red]audit verify: FAILED at entry {result.failure.seq}: "
            f"{escape(result.failure.problem)}[/]"
        )
    return (
        f"audit verify: intact, {result.entries} entries; head "
        f"{result.head.seq}:{result.head.hash} (publish it)"
    )


def timings_table(*stages: dict[str, float]) -> Table:
    table = Table(title="Stage timings")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    total = 0.0
    for group in stages:
        for name, seconds in group.items():
            table.add_row(name, f"{seconds:.1f}")
            total += seconds
    table.add_row("[bold]total[/]", f"[bold]{total:.1f}[/]")
    return table
