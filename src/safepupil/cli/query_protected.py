"""``safepupil query run FILE --project ID``: a query on the real store, for a member of an
approved project, returned only through the safe-outputs pipeline (security property 2)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safepupil.cli.console import out, stage_line
from safepupil.config import settings_from_environment
from safepupil.errors import UserError
from safepupil.governance.service import authenticate_token
from safepupil.release import run_protected_query
from safepupil.release.result import ProtectedTable
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import load_deployment

STATUS_STYLE = {"released": "", "primary": "yellow", "secondary": "yellow", "held": "red"}


def run_on_store(
    query_file: Path,
    project: str | None,
    home: Path | None,
    token: str | None,
    *,
    json_output: bool,
    output: Path | None,
) -> None:
    from safepupil.cli.query_cmd import load_query_file  # the same reader as --dummy

    project_id = _project_id(project)
    if not token:
        raise UserError(
            "a query on the real store is made by a person: no API token was given",
            hint="create one with `safepupil people token create EMAIL` and pass --token "
            "or set SAFEPUPIL_TOKEN",
        )
    deployment = load_deployment(settings_from_environment(home).home)
    person = authenticate_token(deployment.control_engine(), token)
    query = load_query_file(query_file, load_catalogue())
    with stage_line() as on_stage:
        table = run_protected_query(
            deployment, query, project_id=project_id, person_id=person.id, on_stage=on_stage
        )
    if output is not None:
        table.export(output, output.suffix.lstrip(".").lower() or "csv")
    if json_output:
        typer.echo(table.to_json_text())
    else:
        _print(table, output)


def _project_id(project: str | None) -> int:
    if project is None or not project.isdigit():
        raise UserError(
            "a query on the real store needs the number of an approved project (--project N); "
            "to try a query without one, use dummy data",
            hint="see your projects with `safepupil projects list`, or add --dummy",
        )
    return int(project)


def _print(table: ProtectedTable, output: Path | None) -> None:
    shown = Table(title=f"Release {table.release_id} ({table.status.value}): {table.dataset}")
    for column in table.columns:
        shown.add_column(column, justify="right")
    shown.add_column("status")
    for row, report in zip(table.rows, table.report, strict=True):
        style = STATUS_STYLE.get(report.status, "")
        shown.add_row(*row, f"[{style}]{report.status}[/]" if style else report.status)
    out.print(shown)
    for reason in sorted({r.reason for r in table.report if r.reason}):
        out.print(f"  - {escape(reason)}", highlight=False, soft_wrap=True)
    for reason in table.reasons:
        out.print(f"[red]Held for review:[/] {escape(reason)}", soft_wrap=True)
    out.print(
        f"Pupils involved: {table.pupils:,}. SHA-256 of the table: {table.checksum}. "
        "Symbols: c suppressed, low a small non-zero count, x not shown.",
        soft_wrap=True,
        highlight=False,
    )
    if output is not None:
        out.print(f"Written to {escape(str(output))}", soft_wrap=True)
