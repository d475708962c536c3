"""``safepupil la ...``: the LA data officer's tool."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The LA tool: validate, inspect and prepare a census return.", no_args_is_help=True
)
