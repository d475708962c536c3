"""``safepupil keys ...``: key custodian commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Create and inspect keys.", no_args_is_help=True)
