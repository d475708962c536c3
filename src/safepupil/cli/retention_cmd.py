"""``safepupil retention apply``: remove from the store what is past its retention period."""

from __future__ import annotations

from pathlib import Path

import typer

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.cli.people_cmd import parse_date
from safepupil.config import settings_from_environment
from safepupil.governance.people_service import find_person
from safepupil.governance.retention import run_retention
from safepupil.store.deployment import load_deployment
from safepupil.store.retention_apply import RetentionReport

app = typer.Typer(help="Retention: remove items past their retention period.", no_args_is_help=True)


@app.command("apply")
def apply(
    as_email: str = typer.Option(..., "--as", help="Your address: a custodian."),
    on: str | None = typer.Option(None, "--on", help="Count from this day (default today)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count only: change and record nothing."),
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Set items past retention to null in every version of the records (whole records
    go when every item has expired), and record what was removed in the audit log."""
    day = parse_date(on, "--on") if on is not None else None
    deployment = load_deployment(settings_from_environment(home).home)
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
    report = run_retention(deployment, actor.id, on=day, dry_run=dry_run)
    _print(report)


def _print(report: RetentionReport) -> None:
    verb = "would remove" if report.dry_run else "removed"
    if not report.datasets:
        out.print(f"nothing is past retention on {report.on}")
        return
    for removal in report.datasets:
        out.print(f"{removal.dataset}:", highlight=False)
        for expired, count in zip(removal.expired, removal.values_removed, strict=True):
            out.print(
                f"  {expired.item} (expired {expired.expired_on}): {verb} {count:,} values",
                highlight=False,
            )
        if removal.records_dropped:
            out.print(f"  every item expired: {verb} {removal.records_dropped:,} records")
        if removal.amendments_cleared:
            out.print(f"  {verb} the values of {removal.amendments_cleared:,} amendments")
    if report.dry_run:
        out.print("dry run: nothing was changed or recorded")
    else:
        out.print("recorded in the audit log (retention_applied)")
