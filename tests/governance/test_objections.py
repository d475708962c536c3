"""Objections: who may record and withdraw them, and every query honouring one from the
moment it is recorded (the pupil leaves the next release's contributor bitmaps)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.errors import UserError
from safepupil.governance.objections import (
    list_objections,
    objecting_tokens,
    record_objection,
    withdraw_objection,
)
from safepupil.governance.refusals import Refusal
from safepupil.query.builder import dataset, item
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.release.pipeline import run_protected_query
from safepupil.release.records import load_release
from safepupil.store.deployment import open_store
from tests.store.test_amendments_support import AP, Rights, rights_setting

runner = CliRunner()


@pytest.fixture(scope="module")
def rights(tmp_path_factory: pytest.TempPathFactory) -> Rights:
    return rights_setting(tmp_path_factory, "objections")


def released_pupils(rights: Rights, release_id: str) -> set[int]:
    engine = rights.deployment.control_engine()
    with engine.connect() as connection:
        release = load_release(connection, release_id)
    engine.dispose()
    assert release is not None
    return {pupil for _, bitmap in release.released_cells for pupil in bitmap}


def girls_in_the_pupils_la(rights: Rights, excluded: frozenset[str]) -> int:
    query = dataset(AP).where(item("la") == rights.pupil.la, item("sex") == "F").count().build()
    context = RestrictionContext(allowed_items=None, excluded_tokens=excluded)
    with open_store(rights.deployment, read_only=True) as store:
        [cell] = DuckDBEngine().run(restrict(query, context), store).cells
    return cell.n_pupils


@pytest.mark.parametrize(
    ("who", "la", "refused"),
    [
        ("researcher", None, "not-la-staff"),
        ("other_la_staff", "pupil", "other-la"),
        ("la_staff", None, None),  # their own LA
    ],
)
def test_who_may_record_an_objection(
    rights: Rights, who: str, la: str | None, refused: str | None
) -> None:
    actor = rights.cast.applicant if who == "researcher" else getattr(rights, who)
    engine = rights.deployment.control_engine()
    token = "ab" * 16
    chosen = rights.pupil.la if la == "pupil" else None
    try:
        if refused:
            with pytest.raises(Refusal, match=refused):
                record_objection(engine, token, actor.id, la_code=chosen)
            return
        objection = record_objection(engine, token, actor.id, la_code=chosen)
        assert objection.la_code == actor.la_code and objection.active
        with pytest.raises(UserError, match="already recorded"):
            record_objection(engine, token, rights.cast.custodian.id, la_code=objection.la_code)
        withdrawn = withdraw_objection(engine, objection.id, rights.cast.custodian.id)
        assert not withdrawn.active and withdrawn.withdrawn_by == rights.cast.custodian.id
        with pytest.raises(UserError, match="withdrawn already"):
            withdraw_objection(engine, objection.id, actor.id)
    finally:
        engine.dispose()


def test_a_malformed_token_is_refused(rights: Rights) -> None:
    engine = rights.deployment.control_engine()
    with pytest.raises(UserError, match="not a pupil token"):
        record_objection(engine, "not-a-token", rights.la_staff.id)
    engine.dispose()


def test_an_objection_between_two_releases_takes_the_pupil_out_of_the_second(
    rights: Rights,
) -> None:
    pupil, home = rights.pupil, str(rights.deployment.home)
    query = dataset(AP).by("sex").count().build()
    researcher = rights.cast.applicant.id
    girls = girls_in_the_pupils_la(rights, frozenset())
    first = run_protected_query(rights.deployment, query, rights.project_id, researcher)
    assert pupil.pupil_id in released_pupils(rights, first.release_id)

    result = runner.invoke(
        app, ["objections", "record", pupil.token, "--as", rights.la_staff.email, "--home", home]
    )
    assert result.exit_code == 0, result.output
    engine = rights.deployment.control_engine()
    assert pupil.token in objecting_tokens(engine)

    second = run_protected_query(rights.deployment, query, rights.project_id, researcher)
    assert pupil.pupil_id not in released_pupils(rights, second.release_id)
    assert second.pupils < first.pupils
    assert girls_in_the_pupils_la(rights, objecting_tokens(engine)) == girls - 1

    [objection] = [o for o in list_objections(engine, rights.la_staff.id) if o.active]
    listed = runner.invoke(
        app, ["objections", "list", "--as", rights.la_staff.email, "--home", home, "--json"]
    )
    assert listed.exit_code == 0 and pupil.token not in listed.output
    result = runner.invoke(
        app,
        [
            "objections",
            "withdraw",
            str(objection.id),
            "--as",
            rights.la_staff.email,
            "--home",
            home,
        ],
    )
    assert result.exit_code == 0, result.output
    assert pupil.token not in objecting_tokens(engine)
    entries = read_entries(engine, limit=10_000)
    engine.dispose()
    kinds = [e.kind for e in entries]
    assert "objection_recorded" in kinds and "objection_withdrawn" in kinds
    assert pupil.token not in repr([e.payload for e in entries])  # ids and LAs only


def test_other_las_staff_cannot_list_or_withdraw(rights: Rights) -> None:
    engine = rights.deployment.control_engine()
    objection = record_objection(engine, "cd" * 16, rights.la_staff.id)
    with pytest.raises(Refusal, match="other-la"):
        withdraw_objection(engine, objection.id, rights.other_la_staff.id)
    with pytest.raises(Refusal, match="other-la"):
        list_objections(engine, rights.other_la_staff.id, la_code=rights.pupil.la)
    own = list_objections(engine, rights.other_la_staff.id)
    everyone = list_objections(engine, rights.cast.custodian.id)
    engine.dispose()
    assert objection.id not in {o.id for o in own}
    assert objection.id in {o.id for o in everyone}
