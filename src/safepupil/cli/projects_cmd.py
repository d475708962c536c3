"""``safepupil projects``: apply, list, show, approve, reject.

People are named by address; the service checks who may do what and records it.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.cli.people_cmd import parse_date
from safepupil.config import settings_from_environment
from safepupil.governance import service
from safepupil.governance.access_policy import load_access_policy
from safepupil.governance.choices import parse_choice
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    Project,
    ProjectApplication,
    resolve_items,
)
from safepupil.store.catalogue import load_catalogue

app = typer.Typer(
    help="Projects: applications, approval and what they may use.", no_args_is_help=True
)

HOME = typer.Option(None, "--home", help=HOME_HELP)
ORG_TYPES = ", ".join(t.value for t in OrganisationType)
LEGAL_BASES = ", ".join(b.value for b in LegalBasis)


@app.command("apply")
def apply(
    title: str = typer.Option(..., "--title"),
    purpose: str = typer.Option(..., "--purpose", help="What the project will find out."),
    public_benefit: str = typer.Option(..., "--public-benefit", help="Who gains, and how."),
    legal_basis: str = typer.Option(..., "--legal-basis", help=LEGAL_BASES),
    organisation: str = typer.Option(..., "--organisation"),
    org_type: str = typer.Option(..., "--org-type", help=ORG_TYPES),
    datasets: list[str] = typer.Option([], "--dataset", help="A catalogue dataset. Repeatable."),
    items: list[str] = typer.Option(
        ..., "--item", help="ITEM (in every --dataset) or DATASET.ITEM. Repeatable."
    ),
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD."),
    applicant: str = typer.Option(..., "--applicant", help="The applicant's address."),
    members: list[str] = typer.Option([], "--member", help="Another member's address."),
    home: Path | None = HOME,
) -> None:
    """Apply for a project. Items are checked against the catalogue and the access policy."""
    application = ProjectApplication(
        title=title,
        purpose=purpose,
        public_benefit=public_benefit,
        legal_basis=parse_choice(LegalBasis, "legal basis", legal_basis),
        organisation=organisation,
        organisation_type=parse_choice(OrganisationType, "organisation type", org_type),
        items=resolve_items(load_catalogue(), datasets, items),
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
    )
    policy = load_access_policy(settings_from_environment(home).home)
    with control_plane(home) as engine:
        applicant_id = service.find_person(engine, applicant).id
        member_ids = [service.find_person(engine, email).id for email in members]
        project = service.apply_for_project(
            engine, application, applicant_id, member_ids, policy=policy
        )
    out.print(
        f"project {project.id} applied for: {len(project.application.items)} items, "
        f"{len(project.members)} members; it needs two approvals"
    )


@app.command("list")
def list_projects(
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    home: Path | None = HOME,
) -> None:
    """Every project, its status and dates."""
    with control_plane(home) as engine:
        projects = service.list_projects(engine)
    if json_output:
        typer.echo(json.dumps([_as_json(p) for p in projects], indent=2))
        return
    table = Table(title="Projects")
    for column in ("id", "title", "organisation", "type", "status", "approvals", "from", "to"):
        table.add_column(column, overflow="fold", no_wrap=column not in ("title", "organisation"))
    for project in projects:
        application = project.application
        table.add_row(
            str(project.id),
            application.title,
            application.organisation,
            application.organisation_type.value,
            project.status.value,
            str(len(project.approvers)),
            str(application.start),
            str(application.end),
        )
    out.print(table)


@app.command("show")
def show(
    project_id: int = typer.Argument(..., help="The project's id."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    home: Path | None = HOME,
) -> None:
    """One project in full: purpose, benefit, legal basis, items, members, decisions."""
    with control_plane(home) as engine:
        project = service.get_project(engine, project_id)
        emails = {p.id: p.email for p in service.list_people(engine)}
    document = _as_json(project, emails)
    if json_output:
        typer.echo(json.dumps(document, indent=2))
        return
    table = Table(title=f"Project {project.id}", show_header=False)
    table.add_column("field", no_wrap=True, style="bold")
    table.add_column("value", overflow="fold")
    for field, value in document.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        table.add_row(field.replace("_", " "), shown if value is not None else "")
    out.print(table)


def _as_json(project: Project, emails: dict[int, str] | None = None) -> dict[str, object]:
    def who(person_id: int) -> str:
        return emails.get(person_id, str(person_id)) if emails else str(person_id)

    application = project.application
    return {
        "id": project.id,
        "title": application.title,
        "status": project.status.value,
        "purpose": application.purpose,
        "public_benefit": application.public_benefit,
        "legal_basis": application.legal_basis.value,
        "organisation": application.organisation,
        "organisation_type": application.organisation_type.value,
        "start": application.start.isoformat(),
        "end": application.end.isoformat(),
        "items": [str(item) for item in sorted(application.items)],
        "applicant": who(project.applicant_id),
        "members": sorted(who(m) for m in project.members),
        "approved_by": sorted(who(a) for a in project.approvers),
        "rejected_by": who(project.rejection[0]) if project.rejection else None,
        "rejection_reason": project.rejection[1] if project.rejection else None,
        "applied_at": project.applied_at.isoformat(timespec="seconds"),
    }


@app.command("approve")
def approve(
    project_id: int = typer.Argument(..., help="The project's id."),
    by: str = typer.Option(..., "--by", help="The approver's address."),
    home: Path | None = HOME,
) -> None:
    """Approve a project. Two different approvers, neither applicant nor member, are needed."""
    policy = load_access_policy(settings_from_environment(home).home)
    with control_plane(home) as engine:
        approver = service.find_person(engine, by)
        project = service.approve_project(engine, project_id, approver.id, policy=policy)
    count = len(project.approvers)
    out.print(f"project {project.id}: {count} approval(s); status {project.status.value}")


@app.command("reject")
def reject(
    project_id: int = typer.Argument(..., help="The project's id."),
    by: str = typer.Option(..., "--by", help="The approver's address."),
    reason: str = typer.Option(..., "--reason", help="Why; the applicant is told."),
    home: Path | None = HOME,
) -> None:
    """Reject a project application, saying why. That ends the application."""
    with control_plane(home) as engine:
        approver = service.find_person(engine, by)
        project = service.reject_project(engine, project_id, approver.id, reason)
    out.print(f"project {project.id} rejected")
