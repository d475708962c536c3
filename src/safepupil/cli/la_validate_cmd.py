"""``safepupil la validate``."""

from __future__ import annotations

import typer


def validate() -> None:
    """Validate a census return."""
    raise typer.Exit(1)
