"""``safepupil review``: the output checkers' queue of held releases.

``list`` and ``show`` give who asked, for what and why it is held, never a value;
``approve`` and ``reject`` record one checker's decision (two approvals release, one
rejection refuses); ``show --as`` gives the requester their release and its reasons.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.config import settings_from_environment
from safepupil.governance import service
from safepupil.release.review import (
    ReviewDecision,
    ReviewOutcome,
    describe_release,
    fetch_release,
    list_held,
    review_release,
)
from safepupil.store.deployment import load_deployment

app = typer.Typer(help="Review releases the disclosure rules held.", no_args_is_help=True)

HOME = typer.Option(None, "--home", help=HOME_HELP)
RELEASE = typer.Argument(..., help="The release's id.")
BY = typer.Option(..., "--by", help="The output checker's address.")


@app.command("list")
def list_queue(home: Path | None = HOME) -> None:
    """Held releases waiting for review, oldest first (reasons only, never values)."""
    with control_plane(home) as engine:
        held = list_held(engine)
        emails = {p.id: p.email for p in service.list_people(engine)}
    if not held:
        out.print("no release is waiting for review")
        return
    for entry in held:  # one block each: an id must stay whole to be copied
        requester = emails.get(entry.requester_id, str(entry.requester_id))
        out.print(
            f"{entry.id}  project {entry.project_id}  {entry.dataset}  {requester}  "
            f"{entry.created_at:%Y-%m-%d %H:%M}  approvals {len(entry.approvals)} of 2",
            soft_wrap=True,
        )
        for reason in entry.reasons:
            out.print(f"  - {escape(reason)}", soft_wrap=True)


@app.command("approve")
def approve(
    release_id: str = RELEASE,
    by: str = BY,
    note: str | None = typer.Option(None, "--note", help="What the checker looked at."),
    home: Path | None = HOME,
) -> None:
    """Approve a held release; the second approval by another checker releases it."""
    _decide(release_id, by, ReviewDecision.APPROVE, note, home)


@app.command("reject")
def reject(
    release_id: str = RELEASE,
    by: str = BY,
    note: str = typer.Option(..., "--note", help="Why, in words the requester will read."),
    home: Path | None = HOME,
) -> None:
    """Reject a held release, saying why; that refuses it."""
    _decide(release_id, by, ReviewDecision.REJECT, note, home)


@app.command("show")
def show(
    release_id: str = RELEASE,
    as_email: str | None = typer.Option(
        None, "--as", help="The requester's address: show their release and its reasons."
    ),
    home: Path | None = HOME,
) -> None:
    """A release's status, reasons and reviews; with --as, what the requester sees."""
    with control_plane(home) as engine:
        if as_email is not None:
            person = service.find_person(engine, as_email)
            state = fetch_release(engine, release_id, person.id)
            out.print(f"release {release_id}: {state.status}", soft_wrap=True)
            for reason in state.reasons:
                out.print(f"  - {escape(reason)}")
            if state.rows:
                table = Table(title=f"Release {release_id}")
                for column in state.columns:
                    table.add_column(column, no_wrap=True)
                for row in state.rows:
                    table.add_row(*row)
                out.print(table)
                out.print(f"checksum (SHA-256 of the CSV): {state.checksum}", soft_wrap=True)
            return
        summary = describe_release(engine, release_id)
        emails = {p.id: p.email for p in service.list_people(engine)}
    out.print(
        f"release {summary.id}: {summary.status}; project {summary.project_id}, "
        f"{summary.dataset}, asked for by "
        f"{emails.get(summary.requester_id, summary.requester_id)} "
        f"on {summary.created_at:%Y-%m-%d %H:%M}",
        soft_wrap=True,
    )
    for reason in summary.reasons:
        out.print(f"  - {escape(reason)}")
    for checker_id, decision, note in summary.reviews:
        said = f": {escape(note)}" if note else ""
        out.print(f"  {decision} by {emails.get(checker_id, checker_id)}{said}", soft_wrap=True)


def _decide(
    release_id: str, by: str, decision: ReviewDecision, note: str | None, home: Path | None
) -> None:
    deployment = load_deployment(settings_from_environment(home).home)
    with control_plane(home) as engine:
        checker_id = service.find_person(engine, by).id
    outcome = review_release(deployment, release_id, checker_id, decision, note)
    out.print(_said(outcome))


def _said(outcome: ReviewOutcome) -> str:
    if outcome.status == "released":
        pupils = outcome.table.pupils if outcome.table is not None else 0
        return (
            f"release {outcome.release_id} released after two approvals "
            f"({pupils} pupils in the released cells); the requester can fetch it"
        )
    if outcome.status == "refused":
        return f"release {outcome.release_id} refused: {escape(outcome.reasons[-1])}"
    return (
        f"release {outcome.release_id} approved by {len(outcome.approvals)} of 2 "
        "output checkers; it needs another"
    )
