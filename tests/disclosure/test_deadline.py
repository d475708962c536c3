"""How long protecting one table may take: a refusal past the limit, never a changed pattern."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from safepupil.disclosure import Dimension, FrequencyPolicy, protect_linked_counts
from safepupil.disclosure import deadline as deadline_module
from safepupil.disclosure.deadline import NEVER, Deadline, OutOfTime
from safepupil.disclosure.lifting import regions_of
from safepupil.disclosure.parallel import run_all
from safepupil.disclosure.regional import RegionalSearch, _lift_part
from safepupil.disclosure.witnesses import Witnesses
from safepupil.errors import DisclosureRefused
from tests.disclosure.test_lifting import national_like, primary_of

LA = Dimension("la", ("A", "B", "C", "D"))
SEN = Dimension("sen", ("K", "E", "N"))


def small_table() -> dict[tuple[str, ...], int]:
    """A table whose small cells need complements: the search has work to do."""
    rng = np.random.default_rng(7)
    return {key: int(rng.choice([2, 4, 12, 30])) for key in itertools.product(LA.codes, SEN.codes)}


class SteppingClock:
    """time.time() for the deadline module: each reading is ``step`` seconds later."""

    def __init__(self, step: float) -> None:
        self.now, self.step = time.time(), step

    def time(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize(
    ("deadline", "passed"),
    [
        (NEVER, False),
        (Deadline.after(None), False),
        (Deadline.after(3600), False),
        (Deadline(time.time() - 1, 5), True),
    ],
)
def test_a_deadline_is_passed_only_after_its_time(deadline: Deadline, passed: bool) -> None:
    if passed:
        with pytest.raises(OutOfTime):
            deadline.check()
    else:
        deadline.check()


def test_a_table_over_the_limit_is_refused_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadline_module, "time", SteppingClock(step=10.0))
    with pytest.raises(DisclosureRefused) as refused:
        protect_linked_counts(small_table(), [LA, SEN], [("la", "sen")], FrequencyPolicy(),
                              time_limit=15)  # fmt: skip
    assert "took longer than the policy allows (15 s)" in refused.value.message
    assert "smaller table" in (refused.value.hint or "")


def test_a_limit_that_is_not_reached_changes_nothing() -> None:
    args = (small_table(), [LA, SEN], [("la", "sen")], FrequencyPolicy())
    free = protect_linked_counts(*args)
    limited = protect_linked_counts(*args, time_limit=3600)
    assert [c.status for c in free.cells] == [c.status for c in limited.cells]
    assert free.secondary_count > 0  # the search had complements to choose


def test_a_worker_process_past_the_deadline_stops_the_run() -> None:
    model = national_like(3)
    primary = primary_of(model)
    regions = regions_of(model)
    assert regions is not None
    search = RegionalSearch(model, primary, np.zeros_like(primary), Witnesses.start(model), regions)
    search._protect_region_table(10)
    search.deadline = Deadline(time.time() - 1, 5)
    with pytest.raises(OutOfTime):  # raised in a spawned worker, re-raised here
        run_all(_lift_part, search._parts(10), processes=2)
