"""Intake of real sealed submissions: loading, versions, no-op reloads, CLI summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.errors import IntegrityError
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.intake import intake_files, load_intake_keys
from tests.store.test_intake_support import (
    LAS,
    WITHHELD_LA,
    YEAR,
    National,
    copy_deployment,
    intake,
    reseal,
    seal_return,
    shared_national,
    snapshot,
    tokens_of,
)

LA = LAS[0]
VIEW = f"ap_census_{YEAR}"


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> National:
    return shared_national(tmp_path_factory)


@pytest.fixture
def deployment(national: National, tmp_path: Path) -> Deployment:
    return copy_deployment(national, tmp_path / "home")


def view_rows(deployment: Deployment, la: str) -> list[tuple[str, int]]:
    with open_store(deployment, read_only=True) as store:
        rows = store.execute(
            f"SELECT pupil_token, pupil_id FROM {VIEW} WHERE la = ? ORDER BY 1", [la]
        ).fetchall()
    return [(str(token), int(pupil_id)) for token, pupil_id in rows]


def submissions(deployment: Deployment) -> list[tuple[object, ...]]:
    with open_store(deployment, read_only=True) as store:
        return store.execute(
            "SELECT la, version, status, superseded_by, records FROM submissions ORDER BY 1, 2"
        ).fetchall()


def test_a_submission_lands_in_its_dataset_view_with_pupil_ids(
    national: National, deployment: Deployment
) -> None:
    outcome = intake(deployment, national.sealed[LA])
    tokens = tokens_of(national.sealed[LA], national.template)
    assert (outcome.la, outcome.version, outcome.already_loaded) == (LA, 1, False)
    assert outcome.records_loaded == outcome.new_pupils == len(tokens) > 0
    rows = view_rows(deployment, LA)
    assert [token for token, _ in rows] == sorted(tokens)
    assert len({pupil_id for _, pupil_id in rows}) == len(rows)
    assert submissions(deployment) == [(LA, 1, "current", None, len(tokens))]


def test_view_has_exactly_the_catalogue_items_plus_pupil_id(
    national: National, deployment: Deployment
) -> None:
    intake(deployment, national.sealed[LA])
    with open_store(deployment, read_only=True) as store:
        columns = [row[0] for row in store.execute(f"DESCRIBE {VIEW}").fetchall()]
    items = [item.name for item in load_catalogue().dataset(VIEW).items]
    assert columns == [*items, "pupil_id"]


def test_every_la_loads_and_pupil_ids_never_repeat(
    national: National, deployment: Deployment
) -> None:
    for la in LAS:
        intake(deployment, national.sealed[la])
    with open_store(deployment, read_only=True) as store:
        pupils, distinct_ids, distinct_tokens, max_id = store.execute(
            "SELECT count(*), count(DISTINCT pupil_id), count(DISTINCT pupil_token), "
            "max(pupil_id) FROM pupils"
        ).fetchone()
        in_view = store.execute(f"SELECT count(*) FROM {VIEW}").fetchone()[0]
    assert pupils == distinct_ids == distinct_tokens == max_id == in_view
    assert sorted(la for la, *_ in submissions(deployment)) == sorted(LAS)


def test_the_same_file_twice_is_a_no_op(national: National, deployment: Deployment) -> None:
    intake(deployment, national.sealed[LA])
    before = snapshot(deployment)
    again = intake(deployment, national.sealed[LA])
    assert again.already_loaded and again.version == 1 and again.records_loaded == 0
    assert snapshot(deployment) == before


def test_a_resubmission_supersedes_and_the_view_shows_only_it(
    national: National, deployment: Deployment, tmp_path: Path
) -> None:
    intake(deployment, national.sealed[LA])
    first = dict(view_rows(deployment, LA))
    dropped = min(first)
    corrected = reseal(
        national.template,
        national.sealed[LA],
        tmp_path / "corrected.sealed",
        records=lambda table: table.filter(pc.not_equal(table["pupil_token"], dropped)),
    )
    outcome = intake(deployment, corrected)
    assert (outcome.version, outcome.superseded_version, outcome.new_pupils) == (2, 1, 0)
    second = dict(view_rows(deployment, LA))
    assert set(second) == set(first) - {dropped}
    assert all(first[token] == pupil_id for token, pupil_id in second.items())
    records = len(first)
    assert submissions(deployment) == [
        (LA, 1, "superseded", 2, records),
        (LA, 2, "current", None, records - 1),
    ]
    with open_store(deployment, read_only=True) as store:  # the old version is kept for audit
        kept = store.execute("SELECT count(*) FROM ap_census_records").fetchone()[0]
    assert kept == 2 * records - 1


def test_a_later_prepared_copy_of_the_same_return_is_a_new_version(
    national: National, deployment: Deployment, tmp_path: Path
) -> None:
    intake(deployment, national.sealed[LA])
    later = dt.datetime(2018, 2, 1, tzinfo=dt.UTC)
    again = seal_return(national.template, national.return_path(LA), tmp_path, "v2", created=later)
    outcome = intake(deployment, again)
    assert (outcome.version, outcome.superseded_version) == (2, 1)
    assert len(view_rows(deployment, LA)) == outcome.records_loaded


def test_files_are_independent_and_each_outcome_is_reported(
    national: National, deployment: Deployment, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sealed"
    broken.write_bytes(national.sealed[LAS[1]].read_bytes()[:-10])
    paths = [national.sealed[LA], broken, national.sealed[LAS[2]]]
    with open_store(deployment) as store:
        results = intake_files(
            store, paths, load_intake_keys(deployment.paths.keys), load_catalogue()
        )
    assert [result.refused for result in results] == [False, True, False]
    assert isinstance(results[1].error, IntegrityError)
    assert {la for la, *_ in submissions(deployment)} == {LA, LAS[2]}


def test_cli_summarises_each_file_and_exits_non_zero_naming_the_refused(
    national: National, deployment: Deployment, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sealed"
    broken.write_bytes(national.sealed[LAS[1]].read_bytes()[:100])
    runner = CliRunner()
    home = ["--home", str(deployment.home)]
    first = runner.invoke(app, ["intake", str(national.sealed[LA]), str(broken), *home])
    assert first.exit_code == 3
    assert "broken.sealed" in first.output and "refused" in first.output
    again = runner.invoke(app, ["intake", str(national.sealed[LA]), *home])
    assert again.exit_code == 0, again.output
    assert "already loaded as version 1" in again.output


def test_cli_output_carries_no_pupil_token(national: National, deployment: Deployment) -> None:
    result = CliRunner().invoke(
        app, ["intake", str(national.sealed[LA]), "--home", str(deployment.home)]
    )
    assert result.exit_code == 0, result.output
    for token in tokens_of(national.sealed[LA], national.template):
        assert token not in result.output


RELEASED_CELLS = [
    {
        "table": "placement_reason x sex",
        "placement_reason": "MHN",
        "sex": "F",
        "value": 12,
        "status": "released",
        "reason": "",
    },
    {
        "table": "placement_reason x sex",
        "placement_reason": "PRG",
        "sex": "F",
        "value": "[c]",
        "status": "primary",
        "reason": "fewer than 10 pupils",
    },
]


def with_released_cells(body: dict[str, object]) -> dict[str, object]:
    item = {
        "item": "placement_reason",
        "codes": ["PHY", "MHN", "PRG", "YOF"],
        "tables": [["placement_reason", "sex"]],
        "not_published": [{"by": "age_band", "why": "a group is too small"}],
        "population": "pupils whose placement_reason was withheld from the records",
        "age_on": "2018-01-18",
        "cells": RELEASED_CELLS,
        "audit": {"protected": True, "cells": []},
    }
    return body | {"items": [item]}


def test_statistics_only_aggregates_are_kept_as_released_by_the_la(
    national: National, deployment: Deployment, tmp_path: Path
) -> None:
    sealed = reseal(
        national.template,
        national.sealed[LA],
        tmp_path / "with-aggregates.sealed",
        aggregates=with_released_cells,
    )
    outcome = intake(deployment, sealed)
    assert outcome.aggregate_cells == len(RELEASED_CELLS)
    with open_store(deployment, read_only=True) as store:
        rows = store.execute(
            "SELECT la, version, table_label, dimensions, shown, count, status "
            "FROM statistics_only_current ORDER BY shown"
        ).fetchall()
        audit = store.execute("SELECT audit FROM statistics_only_audits").fetchone()[0]
    assert rows == [
        (
            LA,
            1,
            "placement_reason x sex",
            {"placement_reason": "MHN", "sex": "F"},
            "12",
            12,
            "released",
        ),
        (
            LA,
            1,
            "placement_reason x sex",
            {"placement_reason": "PRG", "sex": "F"},
            "[c]",
            None,
            "primary",
        ),
    ]
    assert '"protected": true' in audit
    later = intake(deployment, national.sealed[LA])  # a later version supersedes the first
    with open_store(deployment, read_only=True) as store:
        current = store.execute("SELECT count(*) FROM statistics_only_current").fetchone()[0]
        kept = store.execute("SELECT count(*) FROM statistics_only_aggregates").fetchone()[0]
    # Only the later version's cells are current; the first version's are kept for audit.
    assert (current, kept) == (later.aggregate_cells, len(RELEASED_CELLS) + later.aggregate_cells)


def test_a_real_submission_with_withheld_reasons_stores_its_protected_counts(
    national: National, deployment: Deployment
) -> None:
    outcome = intake(deployment, national.sealed[WITHHELD_LA])
    assert outcome.aggregate_cells > 0
    with open_store(deployment, read_only=True) as store:
        # The records as stored: the view masks these items, past retention since 2021.
        withheld = store.execute(
            "SELECT count(*) FROM ap_census_records WHERE placement_reason_withheld"
        ).fetchone()[0]
        reasons = store.execute(
            "SELECT count(*) FROM ap_census_records "
            "WHERE placement_reason IN ('PRG', 'MHN', 'YOF', 'PHY')"
        ).fetchone()[0]
        cells = store.execute(
            "SELECT DISTINCT map_keys(dimensions) FROM statistics_only_current"
        ).fetchall()
        stored = store.execute("SELECT count(*) FROM statistics_only_aggregates").fetchone()[0]
    assert withheld > 0 and reasons == 0  # the codes never reached the records
    assert stored == outcome.aggregate_cells
    assert all("placement_reason" in keys for (keys,) in cells)
