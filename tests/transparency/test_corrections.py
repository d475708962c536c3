"""Corrections: the proposed value checked against the item's type and codeset, the LA's
review, the amendment at the store (history kept), later queries through the DuckDB
engine and the release pipeline using the corrected value, and nothing pupil-level in
the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from pyroaring import FrozenBitMap
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.errors import NotFound, UserError
from safepupil.governance.refusals import Refusal
from safepupil.query.builder import dataset, item
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.release.pipeline import run_protected_query
from safepupil.release.records import load_release
from safepupil.store.amendments import amendment_history, normalised_value
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import open_store
from safepupil.transparency.corrections import (
    CorrectionStatus,
    correction_status,
    corrections_for_pupil,
    raise_correction,
    review_correction,
)
from tests.store.test_amendments_support import AP, Rights, rights_setting, view_value

runner = CliRunner()
SPEC = load_catalogue().dataset(AP)
ON = dt.date(2026, 11, 28)
URN = "999888"  # a distinctive value, to look for where it must never be


@pytest.mark.parametrize(
    ("item_name", "text", "stored"),
    [
        ("sex", "f", "F"),
        ("sen_provision", "S", "S"),  # statements were valid until 2018-03-31
        ("ethnicity", "WBRI", "WBRI"),
        ("birth_year_month", "2004-02", "2004-02"),
        ("placement_start", "2018-01-05", "2018-01-05"),
        ("urn", f" {URN} ", URN),  # an open code: any short text
    ],
)
def test_a_valid_value_is_stored_normalised(item_name: str, text: str, stored: str) -> None:
    assert normalised_value(SPEC, item_name, text, ON) == stored


@pytest.mark.parametrize(
    ("item_name", "text", "expected"),
    [
        ("sex", "X", "not a valid code"),
        ("sen_provision", "A", "not a valid code"),  # ended in 2015
        ("birth_year_month", "2004-13", "not a valid year_month"),
        ("placement_start", "2018-02-30", "not a valid date"),
        ("urn", "9" * 21, "not a valid code"),
        ("sex", "  ", "is empty"),
        ("pupil_token", "0" * 32, "the pupil's identifier"),
        ("la", "202", "which return the record belongs to"),
        ("year", "2019", "which return the record belongs to"),
        ("placement_reason", "PEX", "statistics-only"),
        ("placement_reason_withheld", "false", "statistics-only item was withheld"),
    ],
)
def test_invalid_values_and_uncorrectable_items_are_refused_without_quoting_the_value(
    item_name: str, text: str, expected: str
) -> None:
    with pytest.raises(UserError) as refused:
        normalised_value(SPEC, item_name, text, ON)
    assert expected in refused.value.message
    if text.strip():
        assert text.strip() not in str(refused.value).replace(item_name, "")


def test_an_item_past_retention_cannot_be_corrected() -> None:
    with pytest.raises(UserError, match="passed its retention period on 2028-01-18"):
        normalised_value(SPEC, "sex", "M", dt.date(2028, 1, 18))


@pytest.fixture(scope="module")
def rights(tmp_path_factory: pytest.TempPathFactory) -> Rights:
    return rights_setting(tmp_path_factory, "corrections")


def count_by_sex(rights: Rights) -> dict[str, int]:
    query = dataset(AP).where(item("la") == rights.pupil.la).by("sex").count().build()
    with open_store(rights.deployment, read_only=True) as store:
        result = DuckDBEngine().run(restrict(query, RestrictionContext(None)), store)
    return {str(cell.codes[0]): cell.n_pupils for cell in result.cells}


def test_only_staff_of_the_pupils_la_raise_and_review(rights: Rights) -> None:
    args = {"pupil_token": rights.pupil.token, "dataset": AP, "item": "sex", "value": "M"}
    with pytest.raises(NotFound, match="no record of this pupil in LA"):  # not in their return
        raise_correction(rights.deployment, **args, reason="r", actor_id=rights.other_la_staff.id)
    with pytest.raises(Refusal, match="other-la"):
        raise_correction(
            rights.deployment,
            **args,
            reason="r",
            actor_id=rights.other_la_staff.id,
            la_code=rights.pupil.la,
        )
    with pytest.raises(Refusal, match="not-la-staff"):
        raise_correction(rights.deployment, **args, reason="r", actor_id=rights.cast.applicant.id)
    with pytest.raises(NotFound, match="no record of this pupil in LA"):
        raise_correction(
            rights.deployment,
            **args,
            reason="r",
            actor_id=None,
            la_code=rights.other_la_staff.la_code,
        )
    raised = raise_correction(
        rights.deployment, **args, reason="r", actor_id=None, la_code=rights.pupil.la
    )
    assert (raised.channel, raised.status) == ("access-code", CorrectionStatus.RAISED)
    with pytest.raises(Refusal, match="other-la"):
        review_correction(rights.deployment, raised.id, rights.other_la_staff.id, accept=True)
    with pytest.raises(UserError, match="a rejection needs a note"):
        review_correction(rights.deployment, raised.id, rights.la_staff.id, accept=False)
    rejected = review_correction(
        rights.deployment, raised.id, rights.la_staff.id, accept=False, note="Our form says F."
    )
    seen = correction_status(rights.deployment.control_engine(), raised.id, rights.pupil.token)
    assert rejected.status is seen.status is CorrectionStatus.REJECTED
    assert seen.review_note == "Our form says F."
    with pytest.raises(NotFound):  # another pupil's token cannot see it
        correction_status(rights.deployment.control_engine(), raised.id, "0" * 32)
    assert view_value(rights.deployment, rights.pupil, "sex") == rights.pupil.sex


def test_an_accepted_correction_is_an_amendment_that_later_queries_use(rights: Rights) -> None:
    pupil, home = rights.pupil, str(rights.deployment.home)
    before = count_by_sex(rights)
    result = runner.invoke(
        app,
        [
            "corrections",
            "raise",
            pupil.token,
            "--dataset",
            AP,
            "--item",
            "sex",
            "--value",
            "m",
            "--reason",
            "Recorded wrongly at admission.",
            "--as",
            rights.la_staff.email,
            "--home",
            home,
        ],
    )
    assert result.exit_code == 0, result.output
    first = int(result.output.split()[1])
    result = runner.invoke(
        app,
        [
            "corrections",
            "review",
            str(first),
            "--accept",
            "--as",
            rights.la_staff.email,
            "--home",
            home,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "applied (amendment 1)" in result.output
    assert view_value(rights.deployment, pupil, "sex") == "M"
    after = count_by_sex(rights)
    assert (after["F"], after["M"]) == (before["F"] - 1, before["M"] + 1)
    second = raise_correction(
        rights.deployment,
        pupil_token=pupil.token,
        dataset=AP,
        item="urn",
        value=URN,
        reason="The provider's URN was mistyped.",
        actor_id=rights.la_staff.id,
    )
    applied = review_correction(rights.deployment, second.id, rights.la_staff.id, accept=True)
    assert (applied.status, applied.amendment_number) == (CorrectionStatus.APPLIED, 1)
    assert view_value(rights.deployment, pupil, "urn") == URN
    with open_store(rights.deployment, read_only=True) as store:
        kept = store.execute(
            "SELECT sex FROM ap_census_records WHERE pupil_id = ?", [pupil.pupil_id]
        ).fetchall()
        history = amendment_history(store, AP, pupil.la, pupil.pupil_id, "sex")
    assert {row[0] for row in kept} == {pupil.sex}  # the LA's value is kept, not overwritten
    assert history == [(1, first)]
    # the release pipeline: the pupil now counts among the boys
    query = dataset(AP).by("sex").count().build()
    table = run_protected_query(
        rights.deployment, query, rights.project_id, rights.cast.applicant.id
    )
    engine = rights.deployment.control_engine()
    with engine.connect() as connection:
        release = load_release(connection, table.release_id)
    assert release is not None
    holding = [key for key, bitmap in release.released_cells if pupil.pupil_id in bitmap]
    assert '{"sex": "M"}' in holding and '{"sex": "F"}' not in holding
    assert all(isinstance(b, FrozenBitMap) for _, b in release.released_cells)
    statuses = [c.status for c in corrections_for_pupil(engine, pupil.token)]
    assert statuses[-2:] == [CorrectionStatus.APPLIED, CorrectionStatus.APPLIED]
    # the audit log names ids and items only: no token, value or reason
    entries = [e for e in read_entries(engine, limit=10_000) if e.kind.startswith("correction_")]
    engine.dispose()
    assert {e.kind for e in entries} >= {
        "correction_raised",
        "correction_reviewed",
        "correction_applied",
    }
    logged = repr([e.payload for e in entries])
    for private in (pupil.token, URN, "mistyped", "admission"):
        assert private not in logged
