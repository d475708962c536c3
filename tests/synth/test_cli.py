"""``safepupil synth`` through the CLI, and its refusal of bad arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.errors import UserError
from safepupil.synth import SynthSpec

runner = CliRunner()


def test_synth_writes_every_file_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "census"
    options = ["--pupils", "500", "--school-pupils", "2000", "--format", "csv", "--seed", "3"]
    result = runner.invoke(app, ["synth", "--out", str(out), *options, "--inject-errors", "0.05"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert len([n for n in names if n.startswith("ap_census_2018_") and n.endswith(".csv")]) == 152
    assert {"school_census_2018.parquet", "injected_errors.csv"} <= names
    assert "pupils by region" in result.output
    assert "Pregnancy or young parent" in result.output
    assert "152" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--year", "2012"], "--year 2012 is outside"),
        (["--year", "2031"], "--year 2031 is outside"),
        (["--pupils", "151"], "--pupils 151 is out of range"),
        (["--school-pupils", "-1"], "--school-pupils -1 is out of range"),
        (["--inject-errors", "1"], "--inject-errors 1.0 is not a rate"),
        (["--inject-errors", "-0.1"], "--inject-errors -0.1 is not a rate"),
        (["--seed", "-5"], "--seed -5 is negative"),
    ],
)
def test_bad_arguments_are_refused_with_a_hint(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), *arguments])
    assert result.exit_code != 0
    assert isinstance(result.exception, UserError)
    assert message in str(result.exception)
    assert result.exception.hint
    assert not (tmp_path / "x").exists()  # refused before anything was written


def test_unknown_format_is_refused_by_the_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "json" in result.output and "xml" in result.output


@pytest.mark.parametrize(
    ("year", "pupils", "ok"),
    [
        (2016, 152, True),
        (2015, 152, False),  # before the first supported year
        (2026, 153, False),  # after the last
        (2020, 151, True),  # Dorset, Poole and Bournemouth reorganised in 2019
        (2025, 153, True),  # Cumbria split in 2023
        (2025, 152, False),
        (2018, 151, False),  # fewer pupils than LAs
        (2018, 500_000, True),
        (2018, 500_001, False),
    ],
)
def test_spec_boundaries(year: int, pupils: int, ok: bool) -> None:
    if ok:
        assert SynthSpec(year=year, pupils=pupils).pupils == pupils
    else:
        with pytest.raises(UserError):
            SynthSpec(year=year, pupils=pupils)
