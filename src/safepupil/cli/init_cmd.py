"""``safepupil init``: create or check a national deployment in a home folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.config import settings_from_environment
from safepupil.store.deployment import CREATED, EXISTS, InitReport, init_deployment

STATUS_STYLE = {CREATED: "green", EXISTS: "dim", "migrated": "yellow"}


def init(
    home: Path | None = typer.Option(
        None, "--home", help="Deployment folder (default: $SAFEPUPIL_HOME, else ./safepupil-home)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Control-plane database, e.g. postgresql+psycopg://USER@HOST/DB "
        "(default: SQLite control.db in the home). No password: use PGPASSWORD or ~/.pgpass.",
    ),
) -> None:
    """Create the encrypted pupil store, its key, the national keys and the control-plane
    database. Safe to rerun: says what exists, migrates, never replaces keys or data."""
    settings = settings_from_environment(home)
    report = init_deployment(settings.home, database_url)
    _print_report(report)


def _print_report(report: InitReport) -> None:
    table = Table(title=f"Deployment in {report.deployment.home}")
    for column in ("part", "status", "where"):
        table.add_column(column, overflow="fold")
    for step in report.steps:
        style = STATUS_STYLE.get(step.status, "")
        table.add_row(step.what, f"[{style}]{step.status}[/]", step.detail)
    out.print(table)
    out.print(
        "The store key sits beside the store on this machine: in production keep it in a "
        "key store (docs/store.md)."
    )
