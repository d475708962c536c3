"""Protected queries on a small real deployment: AP and school census, exports, the
release record with its contributors and audit events, differencing across projects,
refusal of what no suppression can protect, and class disclosure on a sensitive item."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.errors import DisclosureRefused, PermissionDenied
from safepupil.query.builder import dataset, item
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.release.layout import layout_of
from safepupil.release.pipeline import run_protected_query
from safepupil.release.records import load_release
from safepupil.release.result import ReleaseStatus
from safepupil.release.rules import flag_cells
from safepupil.store.deployment import open_store
from tests.release.conftest import AP, SCHOOL, Setting


def test_an_ap_table_by_la_and_sex_is_protected_recorded_and_exported(
    setting: Setting, tmp_path: Path
) -> None:
    query = dataset(AP).by("la", "sex").count().build()
    table = run_protected_query(setting.deployment, query, setting.project_id, setting.person_id)
    assert table.status is ReleaseStatus.RELEASED and table.columns == ("la", "sex", "count")
    assert table.audit["protected"] is True
    shown = {row[-1] for row in table.rows}
    assert all(v == "c" or int(v) % 5 == 0 for v in shown)  # suppressed or rounded to 5
    assert {c.status for c in table.report} >= {"released", "primary"}
    assert all(c.reason for c in table.report if c.status != "released")
    for form in ("csv", "json", "parquet"):
        table.export(tmp_path / f"t.{form}", form)
    assert (tmp_path / "t.csv").read_bytes() == table.to_csv_bytes()
    assert json.loads((tmp_path / "t.json").read_text())["checksum_sha256_csv"] == table.checksum
    assert pq.read_table(tmp_path / "t.parquet").num_rows == len(table.rows)
    engine = setting.deployment.control_engine()
    with engine.connect() as connection:
        stored = load_release(connection, table.release_id)
    kinds = [e.kind for e in read_entries(engine, limit=10_000)]
    engine.dispose()
    assert stored is not None and stored.status == "released"
    assert stored.checksum == table.checksum and stored.pupils == table.pupils
    assert stored.audit_proof is not None and stored.audit_proof["protected"] is True
    report = zip(table.rows, table.report, strict=True)
    released = [row for row, cell in report if cell.status == "released"]
    assert len(stored.released_cells) == sum(row[-1] != "0" for row in released)  # zeros: nobody
    assert all(len(bitmap) > 0 for _, bitmap in stored.released_cells)
    assert {"query_submitted", "release_made"} <= set(kinds)


def test_a_school_census_table_with_measures(setting: Setting) -> None:
    query = (
        dataset(SCHOOL)
        .by("la", "fsm")
        .count()
        .mean("sessions_absent")
        .proportion(item("sex") == "F")
        .build()
    )
    table = run_protected_query(setting.deployment, query, setting.project_id, setting.person_id)
    assert table.status is ReleaseStatus.RELEASED and table.pupils > 0
    for row in table.rows:
        values = row[2:]
        assert values.count("c") in (0, 3)  # a hidden cell hides every measure


def test_a_query_one_pupil_apart_from_an_earlier_release_is_suppressed(setting: Setting) -> None:
    with open_store(setting.deployment, read_only=True) as store:
        found = store.execute(
            f"SELECT sessions_absent FROM {SCHOOL} GROUP BY sessions_absent "
            "HAVING count(*) = 1 ORDER BY sessions_absent DESC LIMIT 1"
        ).fetchone()
    assert found is not None
    (value,) = found
    first = dataset(SCHOOL).where(item("year_group") >= 0).by("sex").count().build()
    second = dataset(SCHOOL).where(item("sessions_absent") != value).by("sex").count().build()
    run_protected_query(setting.deployment, first, setting.project_id, setting.person_id)
    # another project, another person: differencing looks across every project
    table = run_protected_query(
        setting.deployment, second, setting.other_project_id, setting.other_person_id
    )
    report = {c.key: c for c in table.report}
    assert report[("Total",)].status == "primary"
    assert "differencing" in report[("Total",)].reason
    assert any("differencing" in c.reason for c in table.report if c.key != ("Total",))


def test_class_disclosure_hides_an_la_whose_pupils_share_one_reason(setting: Setting) -> None:
    # placement_reason is past retention (since 2021-01-18), so SEN provision stands in
    # as the class-disclosure item.
    shipped = load_policy_book()
    book = replace(
        shipped,
        datasets={
            **shipped.datasets,
            AP: replace(shipped.datasets[AP], class_disclosure_items=frozenset({"sen_provision"})),
        },
    )
    query = dataset(AP).by("la", "sen_provision").count().build()
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    with open_store(setting.deployment, read_only=True) as store:
        result = DuckDBEngine().run(restricted, store, with_margins=True)
    layout = layout_of(query, result)
    policy = book.policy_for(AP, query.items_used())
    flags = flag_cells(query, layout, policy, DifferencingIndex([]))
    assert flags.forced  # small synthetic LAs: some hold one reason only, or small zeros
    for key, reason in flags.forced.items():
        assert "class disclosure" in reason
        group = (key[0], "Total")
        count, whole = layout.value(key), layout.value(group)
        assert count == whole or (count == 0 and whole < policy.sensitive_zero_group)
    table = run_protected_query(
        setting.deployment, query, setting.project_id, setting.person_id, policies=book
    )
    report = {c.key: c for c in table.report}
    for key in flags.forced:
        assert report[key].status == "primary"


def test_items_outside_the_project_are_refused_and_nothing_is_released(setting: Setting) -> None:
    query = dataset(SCHOOL).by("ethnicity").count().build()
    before = release_count(setting)
    with pytest.raises(PermissionDenied):
        run_protected_query(setting.deployment, query, setting.project_id, setting.person_id)
    assert release_count(setting) == before


def release_count(setting: Setting) -> int:
    engine = setting.deployment.control_engine()
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM releases")).scalar_one()
    engine.dispose()
    return int(count)


def test_a_table_over_the_time_limit_is_refused_recorded_and_not_shown(
    setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepupil.disclosure import deadline
    from tests.disclosure.test_deadline import SteppingClock

    shipped = load_policy_book()
    quick = replace(shipped.datasets[AP], protection_seconds=1)
    book = replace(shipped, datasets={**shipped.datasets, AP: quick})
    monkeypatch.setattr(deadline, "time", SteppingClock(step=5.0))  # every check: 5 s later
    query = dataset(AP).by("la", "sex").count().build()
    with pytest.raises(DisclosureRefused, match="took longer than the policy allows") as refused:
        run_protected_query(
            setting.deployment, query, setting.project_id, setting.person_id, policies=book
        )
    engine = setting.deployment.control_engine()
    with engine.connect() as connection:
        status, reasons = connection.execute(
            sa.text("SELECT status, reasons FROM releases ORDER BY created_at DESC LIMIT 1")
        ).one()
    engine.dispose()
    assert status == "refused" and refused.value.message in str(reasons)
