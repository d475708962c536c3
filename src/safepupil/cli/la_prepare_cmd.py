"""``safepupil la manifest`` and ``safepupil la prepare``."""

from __future__ import annotations

import typer


def manifest() -> None:
    """Show what would leave the LA."""
    raise typer.Exit(1)


def prepare() -> None:
    """Validate, pseudonymise, aggregate and seal a return."""
    raise typer.Exit(1)
