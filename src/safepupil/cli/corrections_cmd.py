"""``safepupil corrections``: corrections to a pupil's record, raised and reviewed by the LA.

Pupils and parents raise corrections through their access code (the web pages); here an
LA submitter enters one for their LA, lists their LA's and reviews them. The proposed
value is shown only to a reviewer of that LA (``show``), never in a list or the log.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.config import settings_from_environment
from safepupil.errors import UserError
from safepupil.governance.choices import parse_choice
from safepupil.governance.people_service import find_person
from safepupil.store.deployment import load_deployment
from safepupil.transparency import corrections
from safepupil.transparency.corrections import Correction, CorrectionStatus

app = typer.Typer(help="Corrections to pupils' records: raise, list, review.", no_args_is_help=True)

HOME = typer.Option(None, "--home", help=HOME_HELP)
AS = typer.Option(..., "--as", help="Your address: an LA submitter of the pupil's LA.")
CORRECTION = typer.Argument(..., help="The correction's number.")


@app.command("raise")
def raise_correction(
    pupil_token: str = typer.Argument(..., help="The pupil's token (32 hex characters)."),
    dataset: str = typer.Option(..., "--dataset", help="e.g. ap_census_2018."),
    item: str = typer.Option(..., "--item", help="The item to correct, e.g. sen_provision."),
    value: str = typer.Option(..., "--value", help="The correct value."),
    reason: str = typer.Option(..., "--reason", help="Why, as the pupil or parent put it."),
    as_email: str = AS,
    home: Path | None = HOME,
) -> None:
    """Enter a correction for a pupil of your LA (checked against the item's codes)."""
    deployment = load_deployment(settings_from_environment(home).home)
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
    raised = corrections.raise_correction(
        deployment,
        pupil_token=pupil_token,
        dataset=dataset,
        item=item,
        value=value,
        reason=reason,
        actor_id=actor.id,
    )
    out.print(f"correction {raised.id} raised ({raised.dataset}.{raised.item}): {_state(raised)}")


@app.command("list")
def list_corrections(
    as_email: str = AS,
    status: str | None = typer.Option(
        None, "--status", help="raised, accepted, applied or rejected."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    home: Path | None = HOME,
) -> None:
    """Your LA's corrections (custodians: every LA), without the proposed values."""
    chosen = parse_choice(CorrectionStatus, "status", status) if status else None
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
        found = corrections.list_corrections(engine, actor.id, status=chosen)
    if json_output:
        typer.echo(json.dumps([c.to_dict() for c in found], indent=2))
        return
    table = Table(title="Corrections")
    for column in ("id", "LA", "item", "raised (UTC)", "by", "state"):
        table.add_column(column, overflow="fold")
    for correction in found:
        table.add_row(
            str(correction.id),
            correction.la_code,
            f"{correction.dataset}.{correction.item}",
            f"{correction.raised_at:%Y-%m-%d %H:%M}",
            correction.channel,
            escape(_state(correction)),
        )
    out.print(table)


@app.command("show")
def show(correction_id: int = CORRECTION, as_email: str = AS, home: Path | None = HOME) -> None:
    """One correction with its proposed value, for a reviewer of its LA."""
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
        value = corrections.proposed_value_for_reviewer(engine, correction_id, actor.id)
        correction = corrections.correction_status(engine, correction_id, None)
    out.print(
        f"correction {correction.id}: {correction.dataset}.{correction.item} in LA "
        f"{correction.la_code}, {_state(correction)}",
        highlight=False,
    )
    out.print(f"proposed value: {escape(value)}", highlight=False)


@app.command("review")
def review(
    correction_id: int = CORRECTION,
    accept: bool = typer.Option(False, "--accept", help="Accept and apply it at the store."),
    reject: bool = typer.Option(False, "--reject", help="Reject it (a --note is needed)."),
    note: str | None = typer.Option(None, "--note", help="For the requester to read."),
    as_email: str = AS,
    home: Path | None = HOME,
) -> None:
    """Accept (applied at once as an amendment) or reject a correction."""
    if accept == reject:
        raise UserError(
            "give exactly one of --accept and --reject", hint="a rejection also needs --note"
        )
    deployment = load_deployment(settings_from_environment(home).home)
    with control_plane(home) as engine:
        actor = find_person(engine, as_email)
    reviewed = corrections.review_correction(
        deployment, correction_id, actor.id, accept=accept, note=note
    )
    out.print(f"correction {reviewed.id}: {escape(_state(reviewed))}")


def _state(correction: Correction) -> str:
    if correction.status is CorrectionStatus.APPLIED:
        return f"applied (amendment {correction.amendment_number})"
    if correction.status is CorrectionStatus.REJECTED:
        return f"rejected: {correction.review_note}"
    return str(correction.status.value)
