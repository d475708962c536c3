"""Acceptance: the demo's whole flow on a small synthetic census, through the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.demo.flow import DemoResult
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.store.deployment import open_store

LAS_2018 = len(local_authorities_on(census_day(2018)))


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
    # The whole flow, services included, never printing a suppressed cell's value.
    result = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path / "d"), "--pupils", "800", "--school-pupils", "2000"]
    )
    assert result.exit_code == 0, result.output
    for heading in (
        "Synthetic returns",
        "The LA tool",
        "sealed at source",
        "national service",
        "Safe people",
        "Safe projects",
        "Safe outputs",
        "audit verify: intact",
        "Stage timings",
        "make serve",
    ):
        assert heading in result.output
    assert_suppressed_cells_show_only_symbols(result.output)


def assert_suppressed_cells_show_only_symbols(output: str) -> None:
    """Every printed row of a protected table whose cell is suppressed or held shows the
    symbol in its value column, never a number."""
    rows = 0
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("\u2502")[1:-1]]
        if len(cells) >= 2 and cells[-1] in ("primary", "secondary", "held"):
            rows += 1
            assert cells[-2] in ("c", "x"), line
    assert rows > 0
