"""``safepupil access-code issue`` and ``safepupil who-used``: a pupil's or parent's view
of what is held about the pupil and which releases included them.

The UPN is asked for (hidden) when ``--upn`` is not given, so it need not sit in the
shell's history; it is never printed. The code is printed once and never stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.config import settings_from_environment
from safepupil.governance import service
from safepupil.store.deployment import load_deployment
from safepupil.transparency.access_codes import (
    DEFAULT_USES,
    DEFAULT_VALID_DAYS,
    issue_access_code,
)
from safepupil.transparency.who_used import WhoUsedPage, who_used_my_data

app = typer.Typer(help="Access codes for pupils and parents.", no_args_is_help=True)

HOME = typer.Option(None, "--home", help=HOME_HELP)


@app.command("issue")
def issue(
    as_email: str = typer.Option(..., "--as", help="The custodian or LA submitter issuing it."),
    upn: str | None = typer.Option(
        None, "--upn", help="The pupil's UPN (asked for, hidden, when not given)."
    ),
    days: int = typer.Option(DEFAULT_VALID_DAYS, "--days", help="Days until it expires."),
    uses: int = typer.Option(DEFAULT_USES, "--uses", help="How many times it may be used."),
    pseudonym_key: Path | None = typer.Option(
        None, "--pseudonym-key", help="The custodian's key (default: HOME/keys/custodian)."
    ),
    home: Path | None = HOME,
) -> None:
    """Issue a code for a pupil, after checking in person who the pupil or parent is."""
    given = upn if upn is not None else typer.prompt("UPN", hide_input=True)
    with control_plane(home) as engine:
        issuer = service.find_person(engine, as_email)
    deployment = load_deployment(settings_from_environment(home).home)
    issued = issue_access_code(
        deployment, given, issuer.id, days=days, uses=uses, pseudonym_key=pseudonym_key
    )
    out.print(
        f"access code {issued.access_code_id}: give this to the pupil or parent; it is "
        f"shown only now. It works {issued.uses_allowed} times until "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC.",
        soft_wrap=True,
    )
    typer.echo(issued.code)  # alone on the last line, to copy exactly


def who_used(
    code: str = typer.Option(..., "--code", help="The access code the LA gave you."),
    json_output: bool = typer.Option(False, "--json", help="The page as JSON."),
    home: Path | None = HOME,
) -> None:
    """What is held about the pupil, and every release of statistics that included them."""
    deployment = load_deployment(settings_from_environment(home).home)
    with control_plane(home):  # checks the control plane is reachable and migrated
        pass
    page = who_used_my_data(deployment, code)
    if json_output:
        typer.echo(json.dumps(page.to_dict(), indent=2, sort_keys=True))
        return
    _print_page(page)


def _print_page(page: WhoUsedPage) -> None:
    if not page.found:
        out.print("The national service holds no record of this pupil.")
    else:
        out.print("What the national service holds about the pupil (never the values):")
        for item in page.items:
            held = "held" if item.has_value else "no value"
            out.print(
                f"  {item.dataset}.{item.item}: {held}; {escape(item.form)}; "
                f"held until {item.expires_on:%d %B %Y}",
                soft_wrap=True,
            )
    out.print(f"Releases of statistics that included the pupil: {len(page.releases)}")
    for release in page.releases:
        out.print(
            f"  {release.released_at:%Y-%m-%d} {escape(release.organisation)} "
            f"({release.organisation_type}), project {release.project_id} "
            f'"{escape(release.project_title)}": {escape(release.what)} from {release.dataset}. '
            f"Purpose: {escape(release.purpose)}",
            soft_wrap=True,
        )
    out.print(
        f"This code can be used {page.uses_left} more times until {page.code_expires_at:%Y-%m-%d}.",
        soft_wrap=True,
    )
