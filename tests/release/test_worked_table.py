"""A worked small table through the pure part of the pipeline (rules, suppression, audit),
and a property: no suppressed cell's audited interval is narrower than the policy."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.disclosure.differencing import DifferencingIndex, EarlierCell
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.disclosure.release import CellStatus
from safepupil.errors import DisclosureRefused, QueryError
from safepupil.query.builder import dataset
from safepupil.query.model import Query
from safepupil.release.pipeline import decide
from safepupil.release.result import ReleaseStatus
from safepupil.release.shaping import released_table
from tests.release.support import SCHOOL, counts_table, run_reference, school_table

POLICY = load_policy_book().policy_for(SCHOOL)
NOTHING_EARLIER = DifferencingIndex([])
WORKED = {
    ("202", "F"): 3, ("202", "M"): 20,   # London
    ("203", "F"): 25, ("203", "M"): 30,  # London
    ("330", "F"): 40, ("330", "M"): 45,  # West Midlands
}  # fmt: skip


def by_la_and_sex() -> Query:
    return dataset(SCHOOL).by("la", "sex").count().mean("sessions_absent").build()


def test_worked_table_hides_the_small_cell_and_enough_others() -> None:
    query = by_la_and_sex()
    decision = decide(
        query, run_reference(query, school_table(counts_table(WORKED))), POLICY, NOTHING_EARLIER
    )
    cells = {cell.key: cell for cell in decision.protected.cells}
    assert cells[("202", "F")].status is CellStatus.PRIMARY
    assert cells[("202", "F")].reason == "fewer than 10 pupils"
    # The LA's row and the sex's column would give it away: complements are hidden too.
    assert sum(cells[(la, "F")].suppressed for la in ("202", "203", "330")) >= 2
    assert sum(cells[("202", sex)].suppressed for sex in ("F", "M", "Total")) >= 2
    # margins: region London and England exist and add up the interior counts
    assert cells[("London", "Total")].value == 78 and cells[("Total", "Total")].value == 163
    assert decision.protected.audit.protected
    table, shown = released_table("r", query, decision.layout, decision.protected, (), POLICY)
    rows = {row[:2]: row[2:] for row in table.rows}
    assert rows[("202", "F")] == ("c", "c")  # every measure of a hidden cell is hidden
    assert rows[("330", "Total")] == ("85", "3.0")  # 85 is a multiple of 5 already
    assert rows[("London", "Total")][0] == "80"  # 78 rounds to 80
    assert rows[("Total", "Total")][0] == "165"  # 163 rounds to 165
    assert "3" not in {value for row in table.rows for value in row[2:3]}
    audited = table.audit["cells"]
    assert isinstance(audited, list) and audited
    assert all(set(c) == {"cell", "protected"} for c in audited)  # no attacker bounds shown
    assert len(shown) == decision.protected.released_count


def test_a_dominated_mean_hides_its_count_cell_too() -> None:
    rows = counts_table(WORKED)
    rows = [r for r in rows if (r[0], r[1]) != ("330", "M")]
    rows += [("330", "M", 1)] * 44 + [("330", "M", 5000)]
    query = by_la_and_sex()
    decision = decide(query, run_reference(query, school_table(rows)), POLICY, NOTHING_EARLIER)
    cell = next(c for c in decision.protected.cells if c.key == ("330", "M"))
    assert cell.status is CellStatus.PRIMARY and "dominance" in cell.reason
    assert decision.protected.audit.protected


def test_a_table_one_pupil_apart_from_an_earlier_release_is_suppressed() -> None:
    query = dataset(SCHOOL).by("sex").count().build()
    first_rows = counts_table({("202", "F"): 30, ("202", "M"): 40})
    first = decide(query, run_reference(query, school_table(first_rows)), POLICY, NOTHING_EARLIER)
    _, shown = released_table("first", query, first.layout, first.protected, (), POLICY)
    earlier = DifferencingIndex(EarlierCell("first", key, bitmap) for key, bitmap in shown)
    second_rows = first_rows[:-1]  # the last pupil (a boy) left out
    second = decide(query, run_reference(query, school_table(second_rows)), POLICY, earlier)
    cells = {c.key: c for c in second.protected.cells}
    assert "differencing" in cells[("M",)].reason and cells[("M",)].suppressed
    assert "differencing" in cells[("Total",)].reason and cells[("Total",)].suppressed
    assert not cells[("F",)].suppressed  # the same 30 girls: nothing new


sizes = st.integers(0, 60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sizes, min_size=6, max_size=6))
def test_no_suppressed_cell_is_narrower_than_the_policy(counts: list[int]) -> None:
    keys = [(la, sex) for la in ("202", "203", "330") for sex in ("F", "M")]
    rows = counts_table(dict(zip(keys, counts, strict=True)))
    if not rows:
        return
    query = by_la_and_sex()
    try:
        decision = decide(query, run_reference(query, school_table(rows)), POLICY, NOTHING_EARLIER)
    except DisclosureRefused:  # a refusal is a safe outcome
        return
    for interval in decision.protected.audit.intervals:
        assert interval.hi - interval.lo >= POLICY.protection_width - 1e-6
    for cell in decision.protected.cells:
        if 0 < cell.value < POLICY.threshold:
            assert cell.suppressed


def test_a_differencing_hit_holds_the_release_when_the_policy_says_so() -> None:
    query = dataset(SCHOOL).by("sex").count().build()
    rows = counts_table({("202", "F"): 30, ("202", "M"): 40})
    first = decide(query, run_reference(query, school_table(rows)), POLICY, NOTHING_EARLIER)
    _, shown = released_table("first", query, first.layout, first.protected, (), POLICY)
    earlier = DifferencingIndex(EarlierCell("first", key, bitmap) for key, bitmap in shown)
    holding = replace(POLICY, differencing_action="hold")
    second = decide(query, run_reference(query, school_table(rows[:-1])), holding, earlier)
    assert second.flags.held and "differencing" in second.flags.held[0]
    table, _ = released_table(
        "second", query, second.layout, second.protected, second.flags.held, holding
    )
    assert table.status is ReleaseStatus.HELD and table.reasons == second.flags.held
    assert {row[-1] for row in table.rows} == {"x"}  # nothing shown until reviewed
    assert {c.status for c in table.report} <= {"held", "primary", "secondary"}


def test_a_query_without_dimensions_is_refused_with_a_hint() -> None:
    query = dataset(SCHOOL).count().build()
    result = run_reference(query, school_table(counts_table({("202", "F"): 30})))
    with pytest.raises(QueryError, match="dimension"):
        decide(query, result, POLICY, NOTHING_EARLIER)
