"""Audit events: one class per kind, payloads of ids and counts only, bad values refused."""

from __future__ import annotations

import dataclasses

import pytest

from safepupil.audit import events
from safepupil.audit.events import (
    EVENT_KINDS,
    MAX_TEXT,
    MAX_TUPLE,
    AuditEvent,
    KeyUsed,
    PersonAdded,
    ProjectApplied,
    ReleaseMade,
    ReleaseRefused,
    SignInRefused,
)
from safepupil.errors import InternalError


def test_every_kind_is_registered_once_under_its_own_name() -> None:
    classes = [
        value
        for value in vars(events).values()
        if isinstance(value, type) and issubclass(value, AuditEvent) and value is not AuditEvent
    ]
    assert len(classes) == len(EVENT_KINDS) >= 20
    for cls in classes:
        assert EVENT_KINDS[cls.kind] is cls
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_the_payload_leaves_out_who_and_which_project() -> None:
    event = PersonAdded(actor_id=3, person_id=7, roles=("approver", "researcher"))
    assert event.payload() == {"person_id": 7, "roles": ("approver", "researcher")}
    assert event.pupils_touched() is None


def test_a_release_carries_its_pupil_count_outside_the_payload() -> None:
    event = ReleaseMade(
        actor_id=1, project_id=2, release_id="r1", query_id="q1", cells=12, pupils=4_321
    )
    assert event.pupils_touched() == 4_321
    assert "pupils" not in event.payload()


def test_events_are_frozen() -> None:
    event = KeyUsed(key_id="abc", purpose="open submission")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.purpose = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PersonAdded(actor_id=0, person_id=1, roles=()), "positive id"),
        (lambda: PersonAdded(project_id=-1, person_id=1, roles=()), "never negative"),
        (lambda: PersonAdded(person_id=-1, roles=()), "never negative"),
        (lambda: ReleaseRefused(query_id="q", reason=""), "must not be empty"),
        (lambda: ReleaseRefused(query_id="q", reason="x" * (MAX_TEXT + 1)), "longer than"),
        (lambda: KeyUsed(key_id="k", purpose=1.5), "float cannot be recorded"),  # type: ignore[arg-type]
        (lambda: KeyUsed(key_id="k", purpose={"a": 1}), "dict cannot be recorded"),  # type: ignore[arg-type]
        (lambda: PersonAdded(person_id=1, roles=(("nested",),)), "only text or whole"),  # type: ignore[arg-type]
        (lambda: PersonAdded(person_id=1, roles=("r",) * (MAX_TUPLE + 1)), "more than"),
        (lambda: SignInRefused(person_id=None, reason=""), "must not be empty"),
    ],
)
def test_bad_values_are_refused_when_built(build: object, message: str) -> None:
    with pytest.raises(InternalError, match=message):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "build",
    [
        lambda: ReleaseRefused(query_id="q", reason="x" * MAX_TEXT),
        lambda: PersonAdded(person_id=1, roles=("r",) * MAX_TUPLE),
        lambda: PersonAdded(actor_id=1, project_id=1, person_id=0, roles=()),
        lambda: SignInRefused(person_id=None, reason="no account has this address"),
        lambda: ProjectApplied(
            organisation_type="academic", datasets=("d",), items=("d.i",), members=(1, 2)
        ),
    ],
)
def test_values_at_the_limits_are_accepted(build: object) -> None:
    assert isinstance(build(), AuditEvent)  # type: ignore[operator]


def test_the_base_class_itself_cannot_be_recorded() -> None:
    with pytest.raises(InternalError, match="no valid audit kind"):
        AuditEvent()
