"""``safepupil people``: accounts, roles, accreditation, passwords and API tokens.

Run by the operator at the deployment's command line; each change is recorded in the
audit log with no person as actor (the operator holds the deployment itself).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import err, out
from safepupil.domain.local_authorities import all_local_authorities
from safepupil.errors import UserError
from safepupil.governance import service
from safepupil.governance.accreditation import AccreditationState, accreditation_state
from safepupil.governance.people import Person
from safepupil.governance.roles import ROLE_NAMES, Role, parse_role
from safepupil.governance.tokens import DEFAULT_TOKEN_DAYS

app = typer.Typer(
    help="People: accounts, roles, accreditation and API tokens.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens: create (shown once) and revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")

HOME = typer.Option(None, "--home", help=HOME_HELP)


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r} is not a date", hint="give it as YYYY-MM-DD") from None


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Full name."),
    email: str = typer.Option(..., "--email", help="Address; unique, used to sign in."),
    roles: list[str] = typer.Option(
        ..., "--role", help=f"One of {', '.join(ROLE_NAMES)}. Repeatable."
    ),
    la: str | None = typer.Option(None, "--la", help="LA submitters: the LA's DfE number."),
    organisation: str | None = typer.Option(
        None, "--organisation", help="Employer (default for an LA submitter: the LA's name)."
    ),
    home: Path | None = HOME,
) -> None:
    """Add a person with one or more roles. Researchers then need `people accredit`."""
    chosen = [parse_role(text) for text in roles]
    with control_plane(home) as engine:
        person = service.add_person(
            engine,
            name=name,
            email=email,
            roles=chosen,
            organisation=organisation or _la_name(la),
            la_code=la,
        )
    out.print(f"added person {person.id}: {person.name} <{person.email}> ({_roles(person)})")


def _la_name(code: str | None) -> str:
    names = [la.name for la in all_local_authorities() if la.code == code]
    if not names:
        raise UserError("the organisation is missing", hint="give --organisation")
    return names[-1]


@app.command("list")
def list_people(
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    home: Path | None = HOME,
) -> None:
    """Everyone with an account, their roles and accreditation."""
    with control_plane(home) as engine:
        people = service.list_people(engine)
    today = dt.date.today()
    if json_output:
        typer.echo(json.dumps([_as_json(p, today) for p in people], indent=2))
        return
    table = Table(title="People")
    for column in ("id", "name", "email", "roles", "organisation", "status"):
        # Addresses, roles and dates folded over lines cannot be copied or read.
        folds = column in ("name", "organisation", "status")
        table.add_column(column, overflow="fold", no_wrap=not folds, min_width=8 if folds else None)
    for person in people:
        table.add_row(
            str(person.id),
            person.name,
            person.email,
            "\n".join(_role_labels(person)),
            person.organisation,
            _status(person, today),
        )
    out.print(table)


def _roles(person: Person) -> str:
    return ", ".join(person.role_names)


def _role_labels(person: Person) -> list[str]:
    """Role names; an LA submitter's with the LA, e.g. ``la-submitter 201``."""
    return [
        f"{name} {person.la_code}" if name == Role.LA_SUBMITTER.value else name
        for name in person.role_names
    ]


def _status(person: Person, today: dt.date) -> str:
    if not person.active:
        return "disabled"
    state = accreditation_state(person.accredited_until, today)
    if state is AccreditationState.NONE:
        return "not accredited"
    word = "accredited to" if state is AccreditationState.ACCREDITED else "accreditation ended"
    return f"{word}\n{person.accredited_until}"


def _as_json(person: Person, today: dt.date) -> dict[str, object]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "roles": list(person.role_names),
        "organisation": person.organisation,
        "la": person.la_code,
        "accredited_until": person.accredited_until.isoformat()
        if person.accredited_until
        else None,
        "accreditation": accreditation_state(person.accredited_until, today).value,
        "active": person.active,
    }


@app.command("accredit")
def accredit(
    email: str = typer.Argument(..., help="The person's address."),
    until: str = typer.Option(..., "--until", help="Last day of accreditation, YYYY-MM-DD."),
    home: Path | None = HOME,
) -> None:
    """Accredit a person up to a last day (at most five years ahead)."""
    last_day = parse_date(until, "--until")
    with control_plane(home) as engine:
        person = service.accredit(engine, service.find_person(engine, email).id, last_day)
    out.print(f"{person.email} is accredited until {person.accredited_until}")


@app.command("revoke-accreditation")
def revoke_accreditation(
    email: str = typer.Argument(..., help="The person's address."), home: Path | None = HOME
) -> None:
    """End a person's accreditation now: they can use no data until accredited again."""
    with control_plane(home) as engine:
        person = service.revoke_accreditation(engine, service.find_person(engine, email).id)
    out.print(f"{person.email} is no longer accredited")


@app.command("disable")
def disable(
    email: str = typer.Argument(..., help="The person's address."), home: Path | None = HOME
) -> None:
    """Disable an account: no sign-in, token, application, approval or use of data.
    The account is kept, so the audit log still names who did what."""
    with control_plane(home) as engine:
        person = service.disable_person(engine, service.find_person(engine, email).id)
    out.print(f"{person.email} is disabled")


@app.command("set-password")
def set_password(
    email: str = typer.Argument(..., help="The person's address."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for if not given."
    ),
    home: Path | None = HOME,
) -> None:
    """Set a person's web sign-in password (kept as an scrypt hash)."""
    with control_plane(home) as engine:
        service.set_password(engine, service.find_person(engine, email).id, password)
    out.print(f"password set for {email.strip().lower()}")


@token_app.command("create")
def create_token(
    email: str = typer.Argument(..., help="The person the token is for."),
    days: int = typer.Option(DEFAULT_TOKEN_DAYS, "--days", help="How long it lasts."),
    home: Path | None = HOME,
) -> None:
    """Make an API token. It is printed once, here, and never kept: store it now."""
    with control_plane(home) as engine:
        issued = service.create_token(engine, service.find_person(engine, email).id, days=days)
    err.print(
        f"token {issued.token_id} for {email.strip().lower()}, valid until "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only now:"
    )
    typer.echo(issued.secret)  # alone on stdout, so a script can capture it


@token_app.command("revoke")
def revoke_token(
    token_id: int = typer.Argument(..., help="The token's id, as printed at creation."),
    home: Path | None = HOME,
) -> None:
    """Revoke a token: it stops working at once."""
    with control_plane(home) as engine:
        token = service.revoke_token(engine, token_id)
    out.print(f"token {token.id} revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC")


@token_app.command("list")
def list_tokens(
    email: str = typer.Argument(..., help="Whose tokens."), home: Path | None = HOME
) -> None:
    """A person's tokens: ids, dates and state (never the tokens themselves)."""
    now = dt.datetime.now(dt.UTC)
    with control_plane(home) as engine:
        tokens = service.list_tokens(engine, service.find_person(engine, email).id)
    table = Table(title=f"API tokens of {email.strip().lower()}")
    for column in ("id", "created (UTC)", "expires (UTC)", "state"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            str(token.id),
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.expires_at:%Y-%m-%d %H:%M}",
            token.state(now).value,
        )
    out.print(table)
