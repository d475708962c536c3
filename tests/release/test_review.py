"""The review queue: two output checkers, neither the requester, release a held release;
one rejection refuses it; the requester reads every reason in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safepupil.audit.log import read_entries
from safepupil.audit.verify import verify_log
from safepupil.cli.main import app
from safepupil.errors import PermissionDenied, UserError
from safepupil.governance import service
from safepupil.governance.roles import Role
from safepupil.governance.tables import table_of
from safepupil.query.builder import dataset
from safepupil.release import run_protected_query
from safepupil.release.records import HELD, ReleaseRow, load_release
from safepupil.release.result import ReleaseStatus
from safepupil.release.review import (
    ReviewDecision,
    fetch_release,
    list_held,
    review_release,
)
from tests.release.conftest import SCHOOL, Setting
from tests.release.support import record_held_release

APPROVE, REJECT = ReviewDecision.APPROVE, ReviewDecision.REJECT
REASON = "a cell differs from an earlier release by fewer than 10 pupils"


@dataclass(frozen=True)
class Checkers:
    first: int
    second: int
    third: int
    disabled: int
    requester: int  # asked for the releases; holds no output-checker role
    approver: int  # holds no output-checker role


@pytest.fixture(scope="module")
def checkers(setting: Setting) -> Checkers:
    engine = setting.deployment.control_engine()

    def add(name: str, *roles: Role) -> int:
        email = f"{name}@example.org"
        return service.add_person(
            engine, name=name.title(), email=email, roles=roles, organisation="Example"
        ).id

    disabled = add("dora", Role.OUTPUT_CHECKER)
    service.disable_person(engine, disabled)
    requester = service.get_person(engine, setting.person_id)
    made = Checkers(
        first=add("olive", Role.OUTPUT_CHECKER),
        second=add("oscar", Role.OUTPUT_CHECKER),
        third=add("otis", Role.OUTPUT_CHECKER),
        disabled=disabled,
        requester=requester.id,
        approver=add("april", Role.APPROVER),
    )
    engine.dispose()
    return made


def held_release(setting: Setting) -> str:
    return record_held_release(setting.deployment, setting.project_id, setting.person_id, REASON)


def test_the_queue_lists_held_releases_with_reasons_and_no_values(setting: Setting) -> None:
    release_id = held_release(setting)
    engine = setting.deployment.control_engine()
    held = {h.id: h for h in list_held(engine)}
    engine.dispose()
    entry = held[release_id]
    assert (entry.project_id, entry.requester_id, entry.dataset) == (
        setting.project_id,
        setting.person_id,
        SCHOOL,
    )
    assert entry.reasons == (REASON,) and entry.approvals == ()


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        ("requester", "not-an-output-checker"),
        ("approver", "not-an-output-checker"),
        ("disabled", "person-disabled"),
    ],
)
def test_who_may_not_review(setting: Setting, checkers: Checkers, who: str, rule: str) -> None:
    release_id = held_release(setting)
    with pytest.raises(PermissionDenied, match=rf"^{rule}:"):
        review_release(setting.deployment, release_id, getattr(checkers, who), APPROVE)
    engine = setting.deployment.control_engine()
    refused = read_entries(engine, kind="approval_refused", limit=1)[-1]
    engine.dispose()
    assert refused.payload["rule"] == rule and refused.actor_id == getattr(checkers, who)


def test_the_requester_may_not_review_even_as_an_output_checker(
    setting: Setting, checkers: Checkers
) -> None:
    engine = setting.deployment.control_engine()
    requester = service.add_person(
        engine, name="Rita", email="rita@example.org", roles=(Role.RESEARCHER, Role.OUTPUT_CHECKER),
        organisation="Example",
    )  # fmt: skip
    release_id = held_release(setting)
    with engine.begin() as connection:  # make Rita the requester of this release
        connection.execute(
            sa.text("UPDATE releases SET person_id = :p WHERE id = :r"),
            {"p": requester.id, "r": release_id},
        )
    engine.dispose()
    with pytest.raises(PermissionDenied, match=r"^checker-is-requester:"):
        review_release(setting.deployment, release_id, requester.id, APPROVE)


def test_the_same_checker_may_not_review_twice(setting: Setting, checkers: Checkers) -> None:
    release_id = held_release(setting)
    first = review_release(setting.deployment, release_id, checkers.first, APPROVE)
    assert first.status == HELD and first.approvals == (checkers.first,)
    with pytest.raises(PermissionDenied, match=r"^already-reviewed:"):
        review_release(setting.deployment, release_id, checkers.first, APPROVE)


def test_two_approvals_release_the_table(setting: Setting, checkers: Checkers) -> None:
    release_id = held_release(setting)
    engine = setting.deployment.control_engine()
    state = fetch_release(engine, release_id, setting.person_id)
    assert state.status == HELD and state.rows == ()
    assert REASON in state.reasons and any("0 of 2 approvals" in r for r in state.reasons)
    review_release(setting.deployment, release_id, checkers.first, APPROVE, "looked at it")
    outcome = review_release(setting.deployment, release_id, checkers.second, APPROVE)
    assert outcome.status == "released" and outcome.table is not None
    table = outcome.table
    assert table.status is ReleaseStatus.RELEASED and table.columns == ("la", "sex", "count")
    assert all(row[-1] == "c" or int(row[-1]) % 5 == 0 for row in table.rows)
    assert release_id not in {h.id for h in list_held(engine)}
    fetched = fetch_release(engine, release_id, setting.person_id)
    assert fetched.status == "released" and fetched.rows == table.rows
    assert fetched.checksum == table.checksum
    with engine.connect() as connection:
        stored = load_release(connection, release_id)
    assert stored is not None and stored.status == "released" and stored.released_cells
    kinds = [e.kind for e in read_entries(engine, limit=3)]
    assert kinds == ["release_reviewed", "release_reviewed", "release_made"]
    reviewed = read_entries(engine, kind="release_reviewed", limit=2)
    assert {(e.payload["release_id"], e.payload["decision"]) for e in reviewed} == {
        (release_id, "approve")
    }
    with pytest.raises(UserError, match="release-not-held"):
        review_release(setting.deployment, release_id, checkers.third, APPROVE)
    assert verify_log(engine).ok
    engine.dispose()


def test_one_rejection_refuses_and_the_requester_reads_why(
    setting: Setting, checkers: Checkers
) -> None:
    release_id = held_release(setting)
    review_release(setting.deployment, release_id, checkers.first, APPROVE)
    with pytest.raises(UserError, match="note"):
        review_release(setting.deployment, release_id, checkers.second, REJECT)
    outcome = review_release(
        setting.deployment, release_id, checkers.second, REJECT, "two cells can be differenced"
    )
    assert outcome.status == "refused" and outcome.table is None
    engine = setting.deployment.control_engine()
    state = fetch_release(engine, release_id, setting.person_id)
    assert state.status == "refused" and state.rows == ()
    assert state.reasons == (
        REASON,
        "rejected by an output checker: two cells can be differenced",
    )
    refused = read_entries(engine, kind="release_refused", limit=1)[-1]
    assert refused.payload["query_id"] == release_id and refused.actor_id == checkers.second
    reviewed = read_entries(engine, kind="release_reviewed", limit=1)[-1]
    assert reviewed.payload == {"release_id": release_id, "decision": "reject"}
    assert verify_log(engine).ok
    engine.dispose()


def test_only_the_requester_may_fetch(setting: Setting) -> None:
    release_id = held_release(setting)
    engine = setting.deployment.control_engine()
    with pytest.raises(PermissionDenied, match=r"^not-the-requester:"):
        fetch_release(engine, release_id, setting.other_person_id)
    engine.dispose()


def test_the_cli_lists_approves_rejects_and_shows(setting: Setting, checkers: Checkers) -> None:
    def run(*args: str) -> str:
        home = str(setting.deployment.home)
        result = CliRunner().invoke(app, ["review", *args, "--home", home])
        assert result.exit_code == 0, result.output
        return result.output

    released, rejected = held_release(setting), held_release(setting)
    listed = run("list")
    assert released in listed and rejected in listed
    assert "approved by 1 of 2" in run("approve", released, "--by", "olive@example.org")
    assert "released after two approvals" in run("approve", released, "--by", "oscar@example.org")
    assert "refused" in run("reject", rejected, "--by", "otis@example.org", "--note", "too fine")
    shown = run("show", rejected)
    assert "refused" in shown and "reject by otis@example.org: too fine" in shown
    engine = setting.deployment.control_engine()
    requester = service.get_person(engine, setting.person_id).email
    engine.dispose()
    mine = run("show", released, "--as", requester)
    assert "released" in mine and "checksum" in mine


def test_releases_are_numbered_in_the_order_they_are_released(
    setting: Setting, checkers: Checkers
) -> None:
    """A held release has no number; approved later, it takes the next one then, after
    the releases made while it waited; refused ones never get one."""
    held = held_release(setting)
    rejected = held_release(setting)

    def release_now(*by: str) -> str:
        query = dataset(SCHOOL).by(*by).count().build()
        table = run_protected_query(
            setting.deployment, query, setting.project_id, setting.person_id
        )
        assert table.status is ReleaseStatus.RELEASED
        return table.release_id

    before = release_now("year_group")
    review_release(setting.deployment, held, checkers.first, APPROVE)
    review_release(setting.deployment, rejected, checkers.first, REJECT, "too fine")
    review_release(setting.deployment, held, checkers.second, APPROVE)
    after = release_now("sex", "fsm")
    releases = table_of(ReleaseRow)
    engine = setting.deployment.control_engine()
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                sa.select(releases.c.id, releases.c.released_seq).where(
                    releases.c.dataset == SCHOOL
                )
            ).all()
        )
    engine.dispose()
    numbers = [found[before], found[held], found[after]]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert found[rejected] is None
    assert numbers[-1] == max(n for n in found.values() if n is not None)
    numbered = sorted(n for n in found.values() if n is not None)
    assert numbered == list(range(1, len(numbered) + 1))  # no gaps, no repeats
