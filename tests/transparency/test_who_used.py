"""Who used my data: codes issued for a UPN, redeemed for exactly the pupil's releases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pyroaring import FrozenBitMap
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.cli.main import app
from safepupil.errors import PermissionDenied, UserError
from safepupil.release.records import load_release
from safepupil.transparency.access_codes import (
    CODE_CHARACTERS,
    code_hash,
    issue_access_code,
    new_code,
)
from safepupil.transparency.who_used import who_used_my_data
from tests.transparency.conftest import World, store_with_event

NOW = dt.datetime.now(dt.UTC)


def _code(world: World, **kwargs: object) -> str:
    return issue_access_code(world.deployment, world.upn, world.cast.custodian.id, **kwargs).code  # type: ignore[arg-type]


def test_a_pupil_sees_exactly_the_two_releases_that_included_them(world: World) -> None:
    others = world.other_pupil_ids
    with_pupil = FrozenBitMap([world.pupil_id, *others[:30]])
    first = store_with_event(
        world.deployment, world.project_id, world.cast.applicant.id,
        (with_pupil, FrozenBitMap(others[30:60])),
    )  # fmt: skip
    excluded = store_with_event(
        world.deployment, world.project_id, world.cast.applicant.id,
        (FrozenBitMap(others[:40]), FrozenBitMap(others[40:80])),
    )  # fmt: skip
    second = store_with_event(
        world.deployment, world.project_id, world.cast.applicant.id,
        (FrozenBitMap(others[:20]), FrozenBitMap([world.pupil_id])),
        dimensions=("sex",),
    )  # fmt: skip
    page = who_used_my_data(world.deployment, _code(world))
    mine = [r.release_id for r in page.releases if r.release_id in {first, excluded, second}]
    assert mine == [first, second]
    shown = {r.release_id: r for r in page.releases}
    assert shown[second].what == "number of pupils by sex"
    assert shown[first].organisation == "University of Somewhere"
    assert page.found and page.uses_left == 4


def test_held_items_say_whether_a_value_is_held_never_the_value(world: World) -> None:
    page = who_used_my_data(world.deployment, _code(world))
    items = {(i.dataset, i.item): i for i in page.items}
    reason = items[("ap_census_2018", "placement_reason")]
    assert "pregnancy" in reason.form and "only as counts" in reason.form
    assert not reason.has_value  # past retention (18 January 2021): the store masks it
    assert items[("ap_census_2018", "sex")].has_value
    assert ("ap_census_2018", "placement_reason_withheld") not in items
    assert ("ap_census_2018", "pupil_token") not in items
    assert items[("ap_census_2018", "sex")].expires_on == dt.date(2028, 1, 18)
    assert reason.expires_on == dt.date(2021, 1, 18)
    document = page.to_dict()
    assert set(document["items"][0]) == {  # type: ignore[index]
        "dataset", "item", "description", "form", "has_value", "expires_on",
    }  # fmt: skip


def test_wrong_expired_and_used_up_codes_get_the_same_answer(world: World) -> None:
    expired = _code(world, days=1, now=NOW - dt.timedelta(days=2))
    once = _code(world, uses=1)
    who_used_my_data(world.deployment, once)
    messages = []
    for code in (new_code(), expired, once, "not a code"):
        with pytest.raises(PermissionDenied) as refused:
            who_used_my_data(world.deployment, code)
        messages.append(str(refused.value))
    assert len(set(messages)) == 1
    engine = world.deployment.control_engine()
    reasons = [e.payload["reason"] for e in read_entries(engine, kind="access_code_refused")]
    engine.dispose()
    assert reasons[-4:] == [
        "no such code",
        "expired",
        "used as many times as allowed",
        "no such code",
    ]


def test_a_code_is_typed_with_or_without_dashes_and_in_any_case(world: World) -> None:
    code = _code(world)
    assert len(code.replace("-", "")) == CODE_CHARACTERS
    page = who_used_my_data(world.deployment, code.replace("-", " ").lower())
    assert page.found


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        ("ABCD-EFGH-JKMN-PQRS", True),
        ("abcd efgh jkmn pqrs", True),
        ("ABCDEFGHJKMNPQRS", True),
        ("ABCD-EFGH-JKMN-PQR", False),  # 15 characters
        ("ABCD-EFGH-JKMN-PQRST", False),  # 17
        ("ABCD-EFGH-JKMN-PQR0", False),  # 0 is not in the alphabet (nor O, 1, I, L, U)
        ("ABCD-EFGH-JKMN-PQRU", False),
        ("", False),
    ],
)
def test_code_shapes(typed: str, valid: bool) -> None:
    assert (code_hash(typed) is not None) is valid


def test_issuers_custodian_and_the_pupils_own_la_only(world: World) -> None:
    own = issue_access_code(world.deployment, world.upn, world.la_submitter)
    assert own.uses_allowed == 5
    with pytest.raises(PermissionDenied, match="no current return of LA"):
        issue_access_code(world.deployment, world.upn, world.other_la_submitter)
    with pytest.raises(PermissionDenied, match="may not issue"):
        issue_access_code(world.deployment, world.upn, world.cast.applicant.id)
    with pytest.raises(UserError, match="not valid") as bad:
        issue_access_code(world.deployment, world.upn[:-1] + "Z", world.cast.custodian.id)
    assert world.upn not in str(bad.value)


def test_no_upn_is_stored_in_the_control_plane(world: World) -> None:
    _code(world)
    engine = world.deployment.control_engine()
    with engine.connect() as connection:
        tokens = connection.execute(sa.text("SELECT pupil_token FROM access_codes")).scalars()
        assert all(len(t) == 32 for t in tokens)
    engine.dispose()
    data = (world.deployment.home / "control.db").read_bytes()
    for folder in (world.deployment.home,):
        for extra in folder.glob("control.db*"):
            data += extra.read_bytes()
    for form in (world.upn, world.upn.lower()):
        assert form.encode() not in data
        assert form.encode("utf-16-le") not in data


def test_a_real_release_is_shown_when_its_cells_included_the_pupil(world: World) -> None:
    from safepupil.query.model import Query
    from safepupil.query.nodes import Count
    from safepupil.release import run_protected_query
    from safepupil.store.catalogue import load_catalogue

    query = Query(
        "ap_census_2018", dimensions=("sex",), measures=(Count(),), catalogue=load_catalogue()
    )
    table = run_protected_query(world.deployment, query, world.project_id, world.cast.applicant.id)
    engine = world.deployment.control_engine()
    with engine.connect() as connection:
        stored = load_release(connection, table.release_id)
    engine.dispose()
    assert stored is not None
    included = any(world.pupil_id in bitmap for _, bitmap in stored.released_cells)
    page = who_used_my_data(world.deployment, _code(world))
    assert (table.release_id in {r.release_id for r in page.releases}) is included


def test_the_cli_issues_a_code_and_shows_the_page(world: World) -> None:
    home = str(world.deployment.home)
    runner = CliRunner()
    issued = runner.invoke(
        app,
        ["access-code", "issue", "--home", home, "--as", world.cast.custodian.email],
        input=world.upn + "\n",
    )
    assert issued.exit_code == 0, issued.output
    code = issued.output.strip().splitlines()[-1]
    assert world.upn not in issued.output
    shown = runner.invoke(app, ["who-used", "--home", home, "--code", code, "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"found": true' in shown.output
    again = runner.invoke(app, ["who-used", "--home", home, "--code", new_code()])
    assert isinstance(again.exception, PermissionDenied)  # main.run maps it to exit code 4
    assert "cannot be used" in again.exception.message
