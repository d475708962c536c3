"""Releases are decided outside the audit lock and recorded inside it. A release made
while another was being decided must still be checked for differencing: the recheck
inside the lock finds the new hit and decides again."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from safepupil.audit.log import writing
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.query.builder import dataset, item
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.release import pipeline
from safepupil.release.earlier import EarlierCells
from safepupil.store.deployment import open_store
from tests.release.conftest import SCHOOL, Setting


def test_a_release_made_while_deciding_is_checked_before_recording(setting: Setting) -> None:
    with open_store(setting.deployment, read_only=True) as store:
        found = store.execute(
            f"SELECT sessions_absent FROM {SCHOOL} GROUP BY sessions_absent "
            "HAVING count(*) = 1 ORDER BY sessions_absent DESC LIMIT 2"
        ).fetchall()
    value = found[-1][0]  # not the value the end-to-end differencing test uses
    first = dataset(SCHOOL).by("sex").count().build()
    second = dataset(SCHOOL).where(item("sessions_absent") != value).by("sex").count().build()
    policy = load_policy_book().policy_for(SCHOOL, second.items_used())
    control = setting.deployment.control_engine()
    # The second release is decided before the first is made...
    with control.connect() as connection:
        seen, earlier = EarlierCells().snapshot(connection, SCHOOL)
    with open_store(setting.deployment, read_only=True) as store:
        result = DuckDBEngine().run(
            restrict(second, RestrictionContext(allowed_items=None)), store, with_margins=True
        )
    draft = pipeline._try_decide(second, result, policy, earlier)
    assert isinstance(draft, pipeline._Decision)
    assert not any("differencing" in reason for reason in draft.flags.forced.values())
    # ...and the first is recorded in between.
    pipeline.run_protected_query(setting.deployment, first, setting.project_id, setting.person_id)
    statements: list[str] = []

    def keep(*args: object) -> None:
        statements.append(str(args[2]))

    stages: list[str] = []
    with writing(control) as connection:
        decided = pipeline._recheck(connection, second, result, policy, draft, seen, stages.append)
        latest, _ = EarlierCells().snapshot(connection, SCHOOL)
        sa.event.listen(control, "before_cursor_execute", keep)
        unchanged = pipeline._recheck(
            connection, second, result, policy, draft, latest, stages.append
        )
        sa.event.remove(control, "before_cursor_execute", keep)
    control.dispose()
    assert latest > seen
    # Inside the lock only releases numbered above the snapshot's are read: one statement.
    assert len(statements) == 1 and "releases.released_seq > " in statements[0]
    assert isinstance(decided, pipeline._Decision) and decided is not draft
    assert any("differencing" in reason for reason in decided.flags.forced.values())
    assert unchanged is draft  # nothing made since: the draft stands as it is
    # Deciding again is a stage the researcher is told of; a draft that stands is not.
    assert [s for s in stages if s.startswith("deciding again")] == stages[:1]
    assert any(s.startswith("proving the pattern") for s in stages)


def test_the_table_shown_is_made_from_the_decision_recorded(
    setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table to show is made before the audit lock is taken, from the draft; when a
    release made meanwhile changes the decision, it is made again from the new one."""
    with open_store(setting.deployment, read_only=True) as store:
        found = store.execute(
            f"SELECT sessions_absent FROM {SCHOOL} GROUP BY sessions_absent "
            "HAVING count(*) = 1 ORDER BY sessions_absent LIMIT 1"
        ).fetchone()
    first = dataset(SCHOOL).by("fsm").count().build()
    second = dataset(SCHOOL).where(item("sessions_absent") != found[0]).by("fsm").count().build()
    shaped: list[bool] = []
    real_shape = pipeline._shape

    def shape_then_release_first(*args: Any) -> Any:
        if not shaped:  # the second's draft is shaped: now the first is released
            shaped.append(True)
            pipeline.run_protected_query(
                setting.deployment, first, setting.project_id, setting.person_id
            )
        else:
            shaped.append(False)
        return real_shape(*args)

    monkeypatch.setattr(pipeline, "_shape", shape_then_release_first)
    table = pipeline.run_protected_query(
        setting.deployment, second, setting.other_project_id, setting.other_person_id
    )
    assert shaped == [True, False, False]  # the second's draft, the first's, the second's again
    assert any("differencing" in cell.reason for cell in table.report)
