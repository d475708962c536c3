"""``safepupil synth``: synthetic census returns (built in safepupil.synth)."""

from __future__ import annotations

from pathlib import Path

import typer

from safepupil.cli.console import out, progress_bar
from safepupil.synth import OutputFormat, SynthSpec, generate_census, render_summary
from safepupil.synth.spec import (
    DEFAULT_AP_PUPILS,
    DEFAULT_SCHOOL_PUPILS,
    DEFAULT_SEED,
    DEFAULT_YEAR,
)


def synth(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the returns (created if needed)."),
    year: int = typer.Option(DEFAULT_YEAR, help="Census year: January of this year."),
    pupils: int = typer.Option(DEFAULT_AP_PUPILS, help="AP census pupils across England."),
    school_pupils: int = typer.Option(DEFAULT_SCHOOL_PUPILS, help="School census pupils."),
    seed: int = typer.Option(DEFAULT_SEED, help="Same seed and arguments, same bytes."),
    file_format: OutputFormat = typer.Option(
        OutputFormat.XML, "--format", help="Format of the AP census returns."
    ),
    inject_errors: float = typer.Option(
        0.0, help="Share of records given one known error (listed in injected_errors.csv)."
    ),
) -> None:
    """Generate a synthetic national census: an AP census return for every LA, a school
    census population, and optionally known errors for testing validation."""
    spec = SynthSpec(
        year=year,
        pupils=pupils,
        school_pupils=school_pupils,
        seed=seed,
        file_format=file_format,
        inject_errors=inject_errors,
    )
    with progress_bar() as progress:
        result = generate_census(spec, out_dir, progress=progress)
    for table in render_summary(result):
        out.print(table)
