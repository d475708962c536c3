"""Acceptance: the demo's research service on a small deployment: people, two approved
projects, protected queries (secondary suppression, a differencing hold, a review by two
output checkers), and an audit log that verifies."""

from __future__ import annotations

import stat

from safepupil.demo.flow import DemoResult
from safepupil.demo.people import CAST
from safepupil.demo.service import ServiceDemo
from safepupil.governance import service
from safepupil.governance.projects import ProjectStatus
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.sql import parse_sql
from safepupil.release.layout import layout_of
from safepupil.release.records import load_release
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import open_store

SUPPRESSED = ("primary", "secondary")


def test_the_cast_is_added_with_passwords_and_a_token_in_a_private_file(
    demo: DemoResult, service_demo: ServiceDemo
) -> None:
    people = service_demo.people
    assert {e.person.email for e in people.everyone} == {plan.email for plan in CAST}
    path = people.credentials_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("utf-8")
    engine = demo.deployment.control_engine()
    try:
        for entry in people.everyone:
            assert f"{entry.person.email}\t{entry.password}\t" in text
            assert service.check_password(engine, entry.person.email, entry.password)
        assert f"SAFEPUPIL_TOKEN={people.token}" in text
        holder = service.authenticate_token(engine, people.token)
    finally:
        engine.dispose()
    assert holder.id == people["researcher_1"].id
    assert people["researcher_1"].person.accredited_until is not None
    assert people["la_submitter"].person.la_code == "201"


def test_two_projects_of_different_organisations_each_approved_by_two_others(
    service_demo: ServiceDemo,
) -> None:
    projects = list(service_demo.projects.values())
    assert len(projects) == 2
    assert len({p.application.organisation for p in projects}) == 2
    assert len({p.application.purpose for p in projects}) == 2
    for project in projects:
        assert project.status is ProjectStatus.APPROVED
        assert len(project.approvers) == 2
        assert project.applicant_id not in project.approvers


def test_a_query_makes_primary_and_secondary_suppressions(service_demo: ServiceDemo) -> None:
    answered = service_demo.story.find("secondary suppression")
    assert answered.outcome == "released"
    assert answered.cells("primary") > 0 and answered.cells("secondary") > 0
    assert answered.table is not None
    assert answered.table.audit["protected"] is True


def test_suppressed_cells_show_the_symbol_and_hide_a_true_count(
    demo: DemoResult, service_demo: ServiceDemo
) -> None:
    answered = service_demo.story.find("secondary suppression")
    assert answered.table is not None
    query = parse_sql(answered.asked.sql, load_catalogue())
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    with open_store(demo.deployment, read_only=True) as store:
        layout = layout_of(query, DuckDBEngine().run(restricted, store, with_margins=True))
    hidden = 0
    for row, cell in zip(answered.table.rows, answered.table.report, strict=True):
        if cell.status in SUPPRESSED:
            assert row[-1] == "c"
            hidden += layout.value(cell.key) > 0
    assert hidden > 0  # real pupils stand behind the symbols


def test_a_differencing_query_is_held_then_refused_by_an_output_checker(
    demo: DemoResult, service_demo: ServiceDemo
) -> None:
    story = service_demo.story
    assert story.small_la is not None
    held = story.find("differencing")
    assert held.outcome == "held" and held.table is not None
    assert held.table.reasons and all("differencing" in r for r in held.table.reasons)
    assert {value for row in held.table.rows for value in row[1:]} == {"x"}
    reviewed = story.reviewed
    assert reviewed is not None and reviewed.release_id == held.table.release_id
    assert [d.status for d in reviewed.decisions] == ["refused"]
    assert reviewed.requester_view.status == "refused"
    assert any("count the pupils" in r for r in reviewed.requester_view.reasons)
    engine = demo.deployment.control_engine()
    try:
        with engine.connect() as connection:
            stored = load_release(connection, reviewed.release_id)
    finally:
        engine.dispose()
    assert stored is not None and stored.status == "refused" and stored.released_cells == ()


def test_the_audit_log_records_every_release_and_verifies(service_demo: ServiceDemo) -> None:
    audit = service_demo.audit
    assert audit.verification.ok
    assert audit.verification.entries == audit.entries
    released = [a for a in service_demo.story.answered if a.outcome == "released"]
    assert len(audit.releases) == len(released)  # the refused one released nothing
    assert all(line.pupils > 0 for line in audit.releases)
    for kind in ("person_added", "project_approved", "query_submitted", "release_made"):
        assert audit.by_kind[kind] > 0
