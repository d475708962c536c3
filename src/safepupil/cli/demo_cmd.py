"""``safepupil demo``: the whole flow on the embedded default."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("demo-output"), help="Folder for the demo's files."),
) -> None:
    """Run the main job end to end."""
    raise typer.Exit(1)
