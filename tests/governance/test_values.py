"""Governance value objects and rules, as tables of boundary cases (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from safepupil.errors import QueryError, UserError
from safepupil.governance.accreditation import (
    MAX_ACCREDITATION_YEARS,
    AccreditationState,
    accreditation_state,
    check_accreditation_end,
)
from safepupil.governance.people import Person, normalise_email
from safepupil.governance.projects import (
    MAX_PROJECT_YEARS,
    LegalBasis,
    OrganisationType,
    ProjectApplication,
    RequestedItem,
    resolve_items,
)
from safepupil.governance.roles import Role, parse_role
from safepupil.store.catalogue import load_catalogue

DAY = dt.date(2026, 3, 10)
AP = "ap_census_2018"
SCHOOL = "school_census_2018"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann@uni.ac.uk", "ann@uni.ac.uk"),
        ("  Ann.Smith@Uni.AC.uk ", "ann.smith@uni.ac.uk"),
        ("a@b.c", "a@b.c"),
    ],
)
def test_addresses_are_compared_without_case(text: str, expected: str) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize("text", ["", "ann", "ann@", "@uni.ac.uk", "ann@uni", "a b@c.d", "a@b@c.d"])
def test_what_is_not_an_address_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="not an email address"):
        normalise_email(text)


def test_an_address_longer_than_smtp_allows_is_refused() -> None:
    local = "a" * 64
    fits = f"{local}@{'b' * (254 - 64 - 1 - 4)}.org"
    assert normalise_email(fits) == fits
    with pytest.raises(UserError):
        normalise_email("x" + fits)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("custodian", Role.CUSTODIAN),
        ("Approver", Role.APPROVER),
        ("output_checker", Role.OUTPUT_CHECKER),
        ("la-submitter", Role.LA_SUBMITTER),
    ],
)
def test_roles_are_read_forgivingly(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_an_unknown_role_names_the_nearest() -> None:
    with pytest.raises(UserError, match="no role 'researchr'") as raised:
        parse_role("researchr")
    assert "did you mean researcher?" in raised.value.hint


def person(**changes: object) -> Person:
    values: dict[str, object] = {
        "id": 1,
        "name": "Ann Smith",
        "email": "ann@uni.ac.uk",
        "roles": frozenset({Role.RESEARCHER}),
        "organisation": "University of Somewhere",
        "la_code": None,
        "accredited_until": None,
        "active": True,
    }
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"roles": frozenset()}, "at least one role"),
        ({"name": "  "}, "name must not be empty"),
        ({"name": "x" * 201}, "longer than 200"),
        ({"email": "Ann@uni.ac.uk"}, "not a normalised"),
        ({"roles": frozenset({Role.LA_SUBMITTER})}, "needs the LA"),
        ({"la_code": "201"}, "only LA submitters"),
        ({"roles": frozenset({Role.LA_SUBMITTER}), "la_code": "999"}, "not a DfE LA number"),
        ({"id": 0}, "positive"),
    ],
)
def test_a_person_is_checked_when_built(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        person(**changes)


def test_an_la_submitter_names_a_real_la_and_a_disabled_person_holds_no_role() -> None:
    submitter = person(roles=frozenset({Role.LA_SUBMITTER}), la_code="201")
    assert submitter.has(Role.LA_SUBMITTER)
    assert not person(active=False).has(Role.RESEARCHER)


@pytest.mark.parametrize(
    ("until", "on", "state"),
    [
        (None, DAY, AccreditationState.NONE),
        (DAY, DAY, AccreditationState.ACCREDITED),  # the last day still counts
        (DAY, DAY - dt.timedelta(days=1), AccreditationState.ACCREDITED),
        (DAY, DAY + dt.timedelta(days=1), AccreditationState.EXPIRED),
    ],
)
def test_accreditation_state_on_a_day(
    until: dt.date | None, on: dt.date, state: AccreditationState
) -> None:
    assert accreditation_state(until, on) is state


@pytest.mark.parametrize(
    ("until", "ok"),
    [
        (DAY, True),
        (DAY - dt.timedelta(days=1), False),
        (DAY.replace(year=DAY.year + MAX_ACCREDITATION_YEARS), True),
        (DAY.replace(year=DAY.year + MAX_ACCREDITATION_YEARS) + dt.timedelta(days=1), False),
    ],
)
def test_accreditation_ends_between_today_and_the_horizon(until: dt.date, ok: bool) -> None:
    if ok:
        assert check_accreditation_end(until, DAY) == until
    else:
        with pytest.raises(UserError):
            check_accreditation_end(until, DAY)


def test_the_horizon_from_a_leap_day_falls_on_28_february() -> None:
    leap = dt.date(2028, 2, 29)
    assert check_accreditation_end(dt.date(2033, 2, 28), leap)
    with pytest.raises(UserError, match="at most"):
        check_accreditation_end(dt.date(2033, 3, 1), leap)


def application(**changes: object) -> ProjectApplication:
    values: dict[str, object] = {
        "title": "Exclusion and return to school",
        "purpose": "How many pupils placed in AP return to mainstream school.",
        "public_benefit": "Better placement decisions by LAs.",
        "legal_basis": LegalBasis.PUBLIC_TASK,
        "organisation": "University of Somewhere",
        "organisation_type": OrganisationType.ACADEMIC,
        "items": frozenset({RequestedItem(AP, "sex")}),
        "start": DAY,
        "end": DAY + dt.timedelta(days=365),
    }
    values.update(changes)
    return ProjectApplication(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"items": frozenset()}, "at least one item"),
        ({"end": DAY - dt.timedelta(days=1)}, "ends .* before it starts"),
        ({"end": DAY.replace(year=DAY.year + MAX_PROJECT_YEARS)}, "at most 5 years"),
        ({"purpose": " "}, "purpose must not be empty"),
        ({"public_benefit": "x" * 5_001}, "longer than 5000"),
    ],
)
def test_an_application_is_checked_when_built(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        application(**changes)


def test_an_application_may_run_one_day_short_of_the_limit_and_start_and_end_on_one_day() -> None:
    last = DAY.replace(year=DAY.year + MAX_PROJECT_YEARS) - dt.timedelta(days=1)
    assert application(end=last).end == last
    assert application(end=DAY).start == DAY


def test_items_are_resolved_in_every_dataset_given_or_as_named() -> None:
    catalogue = load_catalogue()
    resolved = resolve_items(catalogue, [AP, SCHOOL], ["sex", f"{AP}.placement_reason"])
    assert resolved == {
        RequestedItem(AP, "sex"),
        RequestedItem(SCHOOL, "sex"),
        RequestedItem(AP, "placement_reason"),
    }
    assert resolve_items(catalogue, [], [f"{SCHOOL}.fsm"]) == {RequestedItem(SCHOOL, "fsm")}


@pytest.mark.parametrize(
    ("datasets", "items", "error", "message"),
    [
        ([AP], ["placement_reasn"], QueryError, "placement_reason"),  # near match in the hint
        ([AP], ["fsm"], QueryError, "fsm"),  # a school census item, not in the AP census
        (["ap_census_2019"], ["sex"], QueryError, "ap_census_2018"),
        ([AP], ["age_band"], QueryError, "derived dimension"),
        ([AP], ["pupil_token"], UserError, "cannot be asked for"),
        ([], ["sex"], UserError, "which dataset"),
        ([AP], [".sex"], UserError, "not an item name"),
    ],
)
def test_items_that_are_not_in_the_catalogue_are_refused(
    datasets: list[str], items: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        resolve_items(load_catalogue(), datasets, items)
    assert message in str(raised.value)
