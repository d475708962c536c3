"""One Rich console for output and one for errors, shared by every command."""

from __future__ import annotations

from rich.console import Console

out = Console()
err = Console(stderr=True)
