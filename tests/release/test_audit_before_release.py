"""Security property 3: the audit event of a release is written before the table is
shown. If the audit log cannot take the release's entry, no table comes back and the
release is not stored as released."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safepupil.query.builder import dataset
from safepupil.release.pipeline import run_protected_query
from tests.release.conftest import AP, Setting

REFUSE_RELEASE_ENTRIES = """
CREATE TRIGGER refuse_release_entries BEFORE INSERT ON audit_log
WHEN NEW.kind = 'release_made'
BEGIN SELECT RAISE(ABORT, 'the audit log is not taking release entries'); END
"""


def test_no_table_is_returned_when_its_audit_entry_cannot_be_written(setting: Setting) -> None:
    engine = setting.deployment.control_engine()
    assert engine.dialect.name == "sqlite"  # the trigger below is SQLite's
    with engine.begin() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM releases")).scalar_one()
        connection.execute(sa.text(REFUSE_RELEASE_ENTRIES))
    query = dataset(AP).by("sex").count().build()
    try:
        with pytest.raises(sa.exc.DBAPIError, match="not taking release entries"):
            run_protected_query(setting.deployment, query, setting.project_id, setting.person_id)
        with engine.connect() as connection:
            after = connection.execute(sa.text("SELECT count(*) FROM releases")).scalar_one()
        assert after == before  # the release record went with the failed audit entry
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER refuse_release_entries"))
        engine.dispose()
    table = run_protected_query(setting.deployment, query, setting.project_id, setting.person_id)
    assert table.rows  # with the log working again, the same query is released
