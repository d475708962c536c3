"""``safepupil intake``: load sealed submissions into the national store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from safepupil.cli.console import err, out
from safepupil.config import settings_from_environment
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import load_deployment, open_store
from safepupil.store.intake import FileResult, intake_files, load_intake_keys

EXIT_REFUSED = 3  # as IntegrityError: at least one file was refused


def intake(
    submissions: list[Path] = typer.Argument(
        ..., metavar="SUBMISSION...", help="Sealed submission files.", show_default=False
    ),
    home: Path | None = typer.Option(
        None, "--home", help="Deployment folder (default: $SAFEPUPIL_HOME, else ./safepupil-home)."
    ),
) -> None:
    """Verify, decrypt, check and load each submission, each in one transaction.

    A file refused (tampered, unsigned, truncated, misaddressed) leaves the store as it
    was and does not stop the others. Exit code 0 when every file loaded (or was
    already loaded), 3 when any was refused.
    """
    deployment = load_deployment(settings_from_environment(home).home)
    keys = load_intake_keys(deployment.paths.keys)
    catalogue = load_catalogue()
    with open_store(deployment) as store:
        results = intake_files(store, submissions, keys, catalogue, on_result=_print_summary)
    refused = [result for result in results if result.refused]
    if refused:
        names = ", ".join(result.source.name for result in refused)
        err.print(f"{len(refused)} of {len(results)} submissions refused: {names}")
        raise typer.Exit(EXIT_REFUSED)


def _print_summary(result: FileResult) -> None:
    out.print(_summary(result), highlight=False)


def _summary(result: FileResult) -> str:
    """One line per file (a table would not fit a terminal with every figure)."""
    name = escape(result.source.name)
    outcome = result.outcome
    if outcome is None:
        return f"[bold red]refused[/] {name}: {escape(str(result.error))}"
    addressed = f"LA {outcome.la}, {outcome.collection} {outcome.year}"
    if outcome.already_loaded:
        return (
            f"[dim]unchanged[/] {name}: {addressed}: already loaded as version "
            f"{outcome.version} (same SHA-256); nothing was changed"
        )
    superseded = (
        f", supersedes version {outcome.superseded_version} (kept for audit)"
        if outcome.superseded_version is not None
        else ""
    )
    return (
        f"[green]loaded[/] {name}: {addressed}: version {outcome.version}, "
        f"{outcome.records_loaded:,} records ({outcome.new_pupils:,} pupils new to the store), "
        f"{outcome.aggregate_cells:,} statistics-only cells stored{superseded}"
    )
