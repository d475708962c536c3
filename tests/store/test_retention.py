"""Retention: the rule's boundary days, the views hiding expired items, the pipeline's
refusal with its reason, and ``retention apply`` removing values and recording it."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.errors import PermissionDenied
from safepupil.governance.refusals import Refusal
from safepupil.governance.retention import run_retention
from safepupil.query.builder import dataset
from safepupil.release.pipeline import run_protected_query
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import open_store
from safepupil.store.retention import expired_items, expires_on, is_expired
from safepupil.transparency.corrections import raise_correction, review_correction
from tests.store.test_amendments_support import AP, Rights, rights_setting

runner = CliRunner()
CATALOGUE = load_catalogue()
SPEC = CATALOGUE.dataset(AP)
REASONS = ("placement_reason", "placement_reason_withheld")  # 3 years; the rest 10


@pytest.mark.parametrize(
    ("item", "on", "expired"),
    [
        ("placement_reason", dt.date(2018, 1, 18), False),  # census day
        ("placement_reason", dt.date(2021, 1, 17), False),  # the last day held
        ("placement_reason", dt.date(2021, 1, 18), True),  # three years on
        ("placement_reason_withheld", dt.date(2021, 1, 18), True),
        ("sex", dt.date(2021, 1, 18), False),
        ("sex", dt.date(2028, 1, 17), False),
        ("sex", dt.date(2028, 1, 18), True),  # ten years on
        ("pupil_token", dt.date(2028, 1, 18), True),
    ],
)
def test_an_item_expires_on_census_day_plus_its_retention_years(
    item: str, on: dt.date, expired: bool
) -> None:
    assert is_expired(SPEC, SPEC.item(item), on) is expired


def test_expiry_counts_from_the_census_day_of_the_collection_year() -> None:
    assert expires_on(SPEC, SPEC.item("placement_reason")) == dt.date(2021, 1, 18)
    assert [e.item for e in expired_items(SPEC, dt.date(2026, 11, 28))] == list(REASONS)
    assert len(expired_items(SPEC, dt.date(2028, 1, 18))) == len(SPEC.items)


@pytest.fixture(scope="module")
def rights(tmp_path_factory: pytest.TempPathFactory) -> Rights:
    return rights_setting(tmp_path_factory, "retention")


def stored_and_shown(rights: Rights, item: str) -> tuple[int, int]:
    with open_store(rights.deployment, read_only=True) as store:
        stored = store.execute(f"SELECT count({item}) FROM ap_census_records").fetchone()
        shown = store.execute(f"SELECT count({item}) FROM {AP}").fetchone()
    assert stored is not None and shown is not None
    return int(stored[0]), int(shown[0])


def test_views_hide_expired_items_before_apply_runs(rights: Rights) -> None:
    stored, shown = stored_and_shown(rights, "placement_reason")
    assert stored > 0 and shown == 0
    stored_sex, shown_sex = stored_and_shown(rights, "sex")
    assert stored_sex == shown_sex > 0  # an item still held is shown as stored


def test_a_query_on_an_expired_item_is_refused_with_the_reason_and_recorded(
    rights: Rights,
) -> None:
    query = dataset(AP).by("placement_reason").count().build()
    with pytest.raises(PermissionDenied) as refused:
        run_protected_query(rights.deployment, query, rights.project_id, rights.cast.applicant.id)
    assert "item-expired: placement_reason (since 2021-01-18)" in refused.value.message
    assert "leave these items out" in refused.value.hint
    engine = rights.deployment.control_engine()
    [entry] = read_entries(engine, kind="access_refused", limit=1)
    engine.dispose()
    assert entry.payload["rule"] == "item-expired"
    assert entry.payload["items"] == ["placement_reason"]


def test_only_a_custodian_applies_retention(rights: Rights) -> None:
    with pytest.raises(Refusal, match="not-a-custodian"):
        run_retention(rights.deployment, rights.la_staff.id)


def test_a_dry_run_counts_and_changes_nothing(rights: Rights) -> None:
    before = stored_and_shown(rights, "placement_reason")
    engine = rights.deployment.control_engine()
    entries = len(read_entries(engine, limit=10_000))
    report = run_retention(rights.deployment, rights.cast.custodian.id, dry_run=True)
    assert len(read_entries(engine, limit=10_000)) == entries
    engine.dispose()
    [removal] = report.datasets
    assert [e.item for e in removal.expired] == list(REASONS)
    assert removal.values_removed[0] == before[0]
    assert stored_and_shown(rights, "placement_reason") == before


def test_apply_removes_expired_values_from_every_version_and_records_it(
    rights: Rights,
) -> None:
    stored_reasons, _ = stored_and_shown(rights, "placement_reason")
    stored_flags, _ = stored_and_shown(rights, "placement_reason_withheld")
    stored_sex, _ = stored_and_shown(rights, "sex")
    result = runner.invoke(
        app,
        [
            "retention",
            "apply",
            "--home",
            str(rights.deployment.home),
            "--as",
            rights.cast.custodian.email,
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"placement_reason (expired 2021-01-18): removed {stored_reasons:,} values" in (
        result.output
    )
    assert stored_and_shown(rights, "placement_reason") == (0, 0)
    assert stored_and_shown(rights, "placement_reason_withheld") == (0, 0)
    assert stored_and_shown(rights, "sex")[0] == stored_sex  # not expired: untouched
    engine = rights.deployment.control_engine()
    [entry] = read_entries(engine, kind="retention_applied", limit=1)
    engine.dispose()
    assert entry.actor_id == rights.cast.custodian.id
    assert entry.payload["dataset"] == AP
    assert entry.payload["items"] == list(REASONS)
    assert entry.payload["expired_on"] == ["2021-01-18", "2021-01-18"]
    assert entry.payload["values_removed"] == [stored_reasons, stored_flags]
    assert entry.payload["records_dropped"] == 0


def test_when_every_item_has_expired_records_and_amended_values_go(rights: Rights) -> None:
    pupil = rights.pupil
    raised = raise_correction(
        rights.deployment,
        pupil_token=pupil.token,
        dataset=AP,
        item="sen_provision",
        value="K",
        reason="The plan ended.",
        actor_id=rights.la_staff.id,
    )
    review_correction(rights.deployment, raised.id, rights.la_staff.id, accept=True)
    with open_store(rights.deployment, read_only=True) as store:
        records = store.execute("SELECT count(*) FROM ap_census_records").fetchone()
    assert records is not None
    report = run_retention(rights.deployment, rights.cast.custodian.id, on=dt.date(2028, 1, 18))
    [removal] = [r for r in report.datasets if r.dataset == AP]
    assert removal.records_dropped == records[0] > 0
    assert removal.amendments_cleared == 1
    with open_store(rights.deployment, read_only=True) as store:
        left = store.execute("SELECT count(*) FROM ap_census_records").fetchone()
        amended = store.execute(
            "SELECT count(*), count(value) FROM amendments WHERE correction_id = ?", [raised.id]
        ).fetchone()
    assert left == (0,)
    assert amended == (1, 0)  # which correction was applied stays; its value does not
