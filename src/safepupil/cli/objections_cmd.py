"""``safepupil objections``: a pupil's objection to research use, recorded through the LA.

Every command acts as the person given with ``--as`` (an LA submitter of the pupil's
LA, or a custodian). Lists show ids, LAs and dates, never a pupil token.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.governance import objections
from safepupil.governance.people_service import find_person

app = typer.Typer(help="Objections to research use: record, withdraw, list.", no_args_is_help=True)

HOME = typer.Option(None, "--home", help=HOME_HELP)
AS = typer.Option(..., "--as", help="Your address: an LA submitter of the LA, or a custodian.")


@app.command("record")
def record(
    pupil_token: str = typer.Argument(..., help="The pupil's token (32 hex characters)."),
    as_email: str = AS,
    la: str | None = typer.Option(None, "--la", help="The LA (default: your own LA)."),
    home: Path | None = HOME,
) -> None:
    """Record a pupil's objection: every query from now on leaves the pupil out."""
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
        objection = objections.record_objection(engine, pupil_token, actor.id, la_code=la)
    out.print(
        f"objection {objection.id} recorded for LA {objection.la_code}: "
        "every query from now on leaves this pupil out"
    )


@app.command("withdraw")
def withdraw(
    objection_id: int = typer.Argument(..., help="The objection's number."),
    as_email: str = AS,
    home: Path | None = HOME,
) -> None:
    """Withdraw an objection (it stays in the register, marked withdrawn)."""
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
        objection = objections.withdraw_objection(engine, objection_id, actor.id)
    out.print(f"objection {objection.id} withdrawn: queries may use this pupil's records again")


@app.command("list")
def list_objections(
    as_email: str = AS,
    la: str | None = typer.Option(None, "--la", help="Custodians: one LA only."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    home: Path | None = HOME,
) -> None:
    """Objections of your LA (custodians: every LA), in force and withdrawn."""
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
        found = objections.list_objections(engine, actor.id, la_code=la)
    if json_output:
        typer.echo(json.dumps([o.to_dict() for o in found], indent=2))
        return
    table = Table(title="Objections")
    for column in ("id", "LA", "recorded (UTC)", "state"):
        table.add_column(column, no_wrap=True)
    for objection in found:
        state = (
            "in force" if objection.active else f"withdrawn {objection.withdrawn_at:%Y-%m-%d %H:%M}"
        )
        table.add_row(
            str(objection.id),
            objection.la_code,
            f"{objection.recorded_at:%Y-%m-%d %H:%M}",
            state,
        )
    out.print(table)
