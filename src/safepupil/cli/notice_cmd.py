"""``safepupil notice``: an LA's privacy notices, plain and for children, HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.collection.policy import load_policy
from safepupil.transparency.notices import write_notices


def notice(
    la: str = typer.Option(..., "--la", help="The LA's three-digit DfE number."),
    out_folder: Path = typer.Option(..., "--out", help="Folder for the four files."),
    policy: Path | None = typer.Option(
        None, "--policy", help="The LA's statistics-only policy (default: the shipped one)."
    ),
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Write the LA's privacy notices: plain English and child-friendly, each HTML and PDF."""
    chosen = None if policy is None else load_policy(policy)
    with control_plane(home) as engine:
        paths = write_notices(engine, la, out_folder, policy=chosen)
    for path in paths:
        out.print(f"wrote {escape(str(path))}", soft_wrap=True)
