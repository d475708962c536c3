"""``safepupil keys ...``: key custodian commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.collection.keys.create import KeyInitResult, init_keys
from safepupil.collection.keys.inventory import KeyFileInfo, list_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.config import settings_from_environment

app = typer.Typer(help="Create and inspect keys.", no_args_is_help=True)

HOME_HELP = "Deployment folder (default: $SAFEPUPIL_HOME, else ./safepupil-home)."
LISTED_LAS = 6  # beyond this many, `keys init` summarises the LA keys in one line


@app.command("init")
def init(
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
    la: list[str] | None = typer.Option(
        None, "--la", help="Create signing keys for this LA only (repeatable). Default: all 152."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace existing keys (changes every pupil token)."
    ),
) -> None:
    """Create the pseudonymisation secret, the national key pair and LA signing key pairs.

    Refuses to replace any existing key unless --force. With --la, only those LAs' keys
    are created (or replaced with --force); existing custodian and national keys are kept.
    """
    layout = KeyLayout(settings_from_environment(home).home)
    result = init_keys(layout, la or (), force=force)
    _print_init(result, layout)


def _print_init(result: KeyInitResult, layout: KeyLayout) -> None:
    table = Table(title=f"Keys written under {layout.root}")
    for column in ("key", "file", "mode", "fingerprint / key id"):
        table.add_column(column)
    la_keys = [k for k in result.written if k.role.startswith("LA ")]
    shown = [k for k in result.written if k not in la_keys]
    if len(result.la_codes) <= LISTED_LAS:
        shown += la_keys
    for key in shown:
        table.add_row(
            key.role, _relative(key.path, layout), "0600" if key.secret else "0644", key.fingerprint
        )
    out.print(table)
    if len(result.la_codes) > LISTED_LAS:
        out.print(f"Signing key pairs for {len(result.la_codes)} LAs under {layout.la_root}.")
    if result.kept:
        kept = ", ".join(_relative(path, layout) for path in result.kept)
        out.print(f"Kept the existing shared keys: {kept}.")
    out.print(f"LA public key registry for the national intake: {layout.la_registry}")
    out.print("Secrets are 0600 and were never printed. docs/keys.md says who holds which.")


@app.command("show")
def show(
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List key files with fingerprints (never the secrets themselves)."""
    layout = KeyLayout(settings_from_environment(home).home)
    keys = list_keys(layout)
    if json_output:
        typer.echo(json.dumps([_as_json(k) for k in keys], indent=2))
        return
    if not keys:
        out.print(f"No keys under {layout.root}. Create them with `safepupil keys init`.")
        raise typer.Exit(1)
    table = Table(title=f"Keys under {layout.root}")
    for column in ("key", "file", "mode", "fingerprint / key id", "problem"):
        table.add_column(column)
    for key in keys:
        problem = f"[bold red]{key.problem}[/]" if key.problem else ""
        table.add_row(
            key.role, _relative(key.path, layout), key.mode_text, key.fingerprint, problem
        )
    out.print(table)


def _relative(path: Path, layout: KeyLayout) -> str:
    return str(path.relative_to(layout.root))


def _as_json(key: KeyFileInfo) -> dict[str, object]:
    return {
        "role": key.role,
        "path": str(key.path),
        "secret": key.secret,
        "mode": key.mode_text,
        "fingerprint": key.fingerprint,
        "problem": key.problem,
    }
