"""``safepupil audit``: verify the hash-chained audit log, and list its entries.

Also home to ``control_plane``, which the people and projects commands share: the
deployment's control-plane engine, checked to be reachable and fully migrated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.engine import Engine

from safepupil.audit.chain import canonical_json
from safepupil.audit.events import EVENT_KINDS
from safepupil.audit.log import DEFAULT_LIST_LIMIT, AuditEntry, read_entries
from safepupil.audit.verify import PublishedHead, Verification, verify_log
from safepupil.cli.console import out
from safepupil.config import settings_from_environment
from safepupil.controlplane.database import check_reachable
from safepupil.controlplane.migrate import current_revision, head_revision
from safepupil.errors import ConfigError, IntegrityError
from safepupil.store.deployment import load_deployment

HOME_HELP = "Deployment folder (default: $SAFEPUPIL_HOME, else ./safepupil-home)."

app = typer.Typer(
    help="The tamper-evident audit log: verify it, list it.",
    no_args_is_help=True,
)


@contextmanager
def control_plane(home: Path | None) -> Iterator[Engine]:
    """The deployment's control-plane engine, reachable and at the newest schema."""
    settings = settings_from_environment(home)
    engine = load_deployment(settings.home).control_engine()
    try:
        check_reachable(engine)
        found, wanted = current_revision(engine), head_revision()
        if found != wanted:
            raise ConfigError(
                f"the control-plane database is at revision {found or 'none'}; "
                f"this safepupil needs {wanted}",
                hint=f"migrate it with `safepupil init --home {settings.home}`",
            )
        yield engine
    finally:
        engine.dispose()


@app.command("verify")
def verify(
    published: list[str] = typer.Option(
        [],
        "--published",
        metavar="SEQ:HASH",
        help="A head published earlier; it must still be in the chain. Repeatable.",
    ),
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Walk the chain from entry 1: each entry's number, link and hash, the recorded head,
    and any published heads. Prints the head to publish; exit code 3 at the first
    entry that fails, naming it and how."""
    heads = [PublishedHead.parse(text) for text in published]
    with control_plane(home) as engine:
        result = verify_log(engine, heads)
    _print_verification(result, len(heads))
    if result.failure is not None:
        raise IntegrityError(
            f"the audit log fails at entry {result.failure.seq}: {result.failure.problem}",
            hint="do not append to it; keep a copy of the database as it is and compare it "
            "with backups and the published heads to find what changed",
        )


def _print_verification(result: Verification, published: int) -> None:
    head = f"{result.head.seq}:{result.head.hash}"
    if result.ok:
        against = f", and {published} published head(s) found in it" if published else ""
        out.print(f"[green]intact[/]: {result.entries:,} entries, every link and hash{against}")
        out.print("head (publish this, or compare it with what was published):")
        typer.echo(head)  # on a line of its own, unwrapped, to copy exactly
    else:
        out.print(f"[bold red]broken[/]: entries 1..{result.entries:,} verify; the next fails")
        out.print("recorded head (not to be trusted now):")
        typer.echo(head)


@app.command("list")
def list_entries(
    kind: str | None = typer.Option(
        None, "--kind", help=f"Only this kind: {', '.join(EVENT_KINDS)}."
    ),
    limit: int = typer.Option(DEFAULT_LIST_LIMIT, "--limit", help="How many of the newest."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON lines."),
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """The newest entries, oldest first, one a line: sequence number, time (UTC), kind, who,
    project, pupils released, payload. Payloads hold ids and counts, never pupil values."""
    with control_plane(home) as engine:
        entries = read_entries(engine, kind=kind, limit=limit)
    for entry in entries:
        # Plain lines, one per entry: they grep, and never fold mid-payload.
        typer.echo(json.dumps(_as_json(entry), sort_keys=True) if json_output else _line(entry))


def _line(entry: AuditEntry) -> str:
    who = f"person {entry.actor_id}" if entry.actor_id is not None else "operator"
    about = f" project {entry.project_id}" if entry.project_id is not None else ""
    pupils = f" pupils {entry.pupils}" if entry.pupils is not None else ""
    when = entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S")
    payload = canonical_json(dict(entry.payload))
    return f"{entry.seq:>6}  {when}  {entry.kind:<22} {who}{about}{pupils}  {payload}"


def _as_json(entry: AuditEntry) -> dict[str, object]:
    return {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at.isoformat(),
        "kind": entry.kind,
        "actor_id": entry.actor_id,
        "project_id": entry.project_id,
        "pupils": entry.pupils,
        "payload": dict(entry.payload),
        "hash": entry.hash,
    }
