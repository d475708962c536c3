"""``safepupil la ...``: the LA data officer's tool."""

from __future__ import annotations

import typer

from safepupil.cli import la_prepare_cmd, la_validate_cmd

app = typer.Typer(
    help="The LA tool: validate, inspect and prepare a census return "
    "before anything leaves the LA.",
    no_args_is_help=True,
)
app.command("validate")(la_validate_cmd.validate)
app.command("manifest")(la_prepare_cmd.manifest)
app.command("prepare")(la_prepare_cmd.prepare)
