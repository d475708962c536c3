"""``safepupil synth``: synthetic census returns (built in safepupil.synth)."""

from __future__ import annotations

import typer


def synth() -> None:
    """Generate synthetic census returns."""
    raise typer.Exit(1)
