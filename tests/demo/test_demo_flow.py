"""Acceptance: the demo's whole flow on a small synthetic census, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.demo.flow import DemoResult, run_demo
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.store.deployment import open_store
from safepupil.synth import SynthSpec

LAS_2018 = len(local_authorities_on(census_day(2018)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    root = tmp_path_factory.mktemp("demo")
    return run_demo(root / "out", SynthSpec(pupils=1_500, school_pupils=5_000, seed=7))


def test_every_la_return_is_sealed_and_loaded(demo: DemoResult) -> None:
    assert len(demo.receipts) == LAS_2018
    assert [r for r in demo.intake if r.refused] == []
    assert sum(r.records_sent for r in demo.receipts) == 1_500
    assert demo.store_counts["AP census 2018 records (current versions)"] == 1_500
    assert demo.store_counts["School census 2018 records"] == 5_000


def test_the_flawed_return_shown_has_errors(demo: DemoResult) -> None:
    assert demo.flawed_return.errors


def test_ap_pupils_link_to_the_school_census_by_token(demo: DemoResult) -> None:
    linked = demo.census.linked_pupils
    assert demo.store_counts["Pupils known to the store (by token)"] == 5_000 + 1_500 - linked


def test_no_name_or_upn_reaches_the_store_folder(demo: DemoResult) -> None:
    with open_store(demo.deployment, read_only=True) as store:
        columns = {
            r[0] for r in store.execute("SELECT column_name FROM duckdb_columns()").fetchall()
        }
    assert not columns & {"upn", "uln", "surname", "forename", "address", "postcode", "dob"}


def test_cli_demo_runs_and_explains_each_step(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path / "d"), "--pupils", "800", "--school-pupils", "2000"]
    )
    assert result.exit_code == 0, result.output
    for heading in ("Synthetic returns", "The LA tool", "sealed at source", "national service"):
        assert heading in result.output
