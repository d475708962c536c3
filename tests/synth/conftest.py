"""Synthetic runs shared by the synth tests (each generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepupil.synth import OutputFormat, SynthResult, SynthSpec, generate_census
from tests.synth.readback import Record, Return, read_xml

CLEAN_SPEC = SynthSpec()  # the defaults: 24,500 AP pupils, 200,000 in schools
INJECTED_SPEC = SynthSpec(pupils=4_000, school_pupils=5_000, seed=7, inject_errors=0.03)


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate_census(CLEAN_SPEC, tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="session")
def injected_xml(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate_census(INJECTED_SPEC, tmp_path_factory.mktemp("injected-xml"))


@pytest.fixture(scope="session")
def injected_csv(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    spec = SynthSpec(
        pupils=INJECTED_SPEC.pupils,
        school_pupils=INJECTED_SPEC.school_pupils,
        seed=INJECTED_SPEC.seed,
        inject_errors=INJECTED_SPEC.inject_errors,
        file_format=OutputFormat.CSV,
    )
    return generate_census(spec, tmp_path_factory.mktemp("injected-csv"))


def small_spec(**changes: object) -> SynthSpec:
    values: dict[str, object] = {"pupils": 600, "school_pupils": 3_000, "seed": 11}
    values.update(changes)
    return SynthSpec(**values)  # type: ignore[arg-type]


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def la_of(path: Path) -> str:
    return path.stem.rsplit("_", 1)[1]


@pytest.fixture(scope="session")
def clean_returns(clean_run: SynthResult) -> dict[str, Return]:
    """Each return of the clean run read back from its XML file, by LA code."""
    return {la_of(path): read_xml(path) for path in clean_run.ap_files}


@pytest.fixture(scope="session")
def clean_records(clean_returns: dict[str, Return]) -> list[Record]:
    """Every record of the clean run, with its return's LA as ``return_la``."""
    return [
        {**record, "return_la": la}
        for la, returned in clean_returns.items()
        for record in returned.records
    ]
