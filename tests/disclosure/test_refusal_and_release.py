"""Refusal when protection is impossible; what a release shows and hides."""

from __future__ import annotations

import json

import pytest

from safepupil.disclosure import (
    CellStatus,
    Dimension,
    FrequencyPolicy,
    protect_linked_counts,
)
from safepupil.errors import DisclosureRefused, QueryError

REASON = Dimension("reason", ("PRG",))
POLICY = FrequencyPolicy()


def test_one_small_cell_with_a_public_total_is_refused() -> None:
    with pytest.raises(DisclosureRefused) as refused:
        protect_linked_counts(
            {("PRG",): 3},
            [REASON],
            [("reason",)],
            POLICY,
            public_cells=[(("reason",), ("Total",))],
        )
    message = str(refused.value)
    assert "reason=Total" in message
    assert "public" in message
    assert "3" not in message.replace("reason=", "")  # the value never appears


def test_a_public_total_that_caps_a_small_cell_below_the_width_is_refused() -> None:
    reason = Dimension("reason", ("PRG", "OTH"))
    with pytest.raises(DisclosureRefused) as refused:
        protect_linked_counts(
            {("PRG",): 3, ("OTH",): 12},
            [reason],
            [("reason",)],
            FrequencyPolicy(protection_width=20),  # the public total is only 15
            public_cells=[(("reason",), ("Total",))],
        )
    assert "reason=PRG" in str(refused.value)
    assert "cannot be protected" in str(refused.value)
    assert refused.value.exit_code == 5


def test_a_public_total_wide_enough_leaves_room_to_protect() -> None:
    reason = Dimension("reason", ("PRG", "OTH"))
    release = protect_linked_counts(
        {("PRG",): 3, ("OTH",): 12},
        [reason],
        [("reason",)],
        POLICY,
        public_cells=[(("reason",), ("Total",))],
    )
    assert release.cell(("reason",), ("Total",)).released_value == 15
    assert release.cell(("reason",), ("OTH",)).status is CellStatus.SECONDARY
    interval = release.cell(("reason",), ("PRG",)).interval
    assert interval == pytest.approx((0.0, 15.0))


def test_without_public_cells_a_lone_small_cell_hides_its_total() -> None:
    release = protect_linked_counts({("PRG",): 3}, [REASON], [("reason",)], POLICY)
    assert release.suppressed_count == 2
    assert release.cell(("reason",), ("PRG",)).interval == (0.0, float("inf"))
    assert release.audit.protected


def test_rows_show_the_symbol_never_a_suppressed_value() -> None:
    rows = Dimension("r", ("a", "b"))
    cols = Dimension("s", ("x", "y"))
    counts = {("a", "x"): 7, ("a", "y"): 31, ("b", "x"): 29, ("b", "y"): 43}
    release = protect_linked_counts(counts, [rows, cols], [("r", "s")], POLICY)
    table = release.to_rows()
    assert len(table) == 9
    first = table[0]
    assert first == {
        "table": "r x s",
        "r": "a",
        "s": "x",
        "value": "c",
        "status": "primary",
        "reason": "fewer than 10 pupils",
    }
    for row, cell in zip(table, release.cells, strict=True):
        if cell.suppressed:
            assert row["value"] == "c"
            assert cell.released_value is None
            assert cell.interval is not None
        else:
            assert row["value"] == cell.value
            assert cell.interval is None
    assert {r["status"] for r in table} == {"primary", "secondary", "released"}
    assert release.primary_count == 1
    assert release.secondary_count == 3
    assert release.released_count == 5


def test_audit_proof_is_json_and_names_the_solver() -> None:
    rows = Dimension("r", ("a", "b"))
    cols = Dimension("s", ("x", "y"))
    counts = {("a", "x"): 7, ("a", "y"): 31, ("b", "x"): 29, ("b", "y"): 43}
    release = protect_linked_counts(counts, [rows, cols], [("r", "s")], POLICY)
    proof = json.loads(json.dumps(release.audit.to_dict()))
    assert proof["protected"] is True
    assert proof["solver"] == "HiGHS"
    assert proof["solver_version"].count(".") == 2
    assert len(proof["cells"]) == 4
    assert all(c["max"] - c["min"] >= 10 for c in proof["cells"])
    assert {"cell", "min", "max", "protected"} <= set(proof["cells"][0])


def test_secondary_reason_is_plain_words() -> None:
    rows = Dimension("r", ("a", "b"))
    cols = Dimension("s", ("x", "y"))
    counts = {("a", "x"): 7, ("a", "y"): 31, ("b", "x"): 29, ("b", "y"): 43}
    release = protect_linked_counts(counts, [rows, cols], [("r", "s")], POLICY)
    reasons = {c.reason for c in release.cells if c.status is CellStatus.SECONDARY}
    assert reasons == {"suppressed so that a suppressed cell cannot be worked out from the totals"}


@pytest.mark.parametrize(
    ("counts", "tables"),
    [
        ({("PRG", "x"): 3}, [("reason",)]),  # key too long
        ({("XXX",): 3}, [("reason",)]),  # unknown code
        ({("PRG",): -1}, [("reason",)]),  # negative count
        ({("PRG",): 2.5}, [("reason",)]),  # not a whole number
        ({("PRG",): 3}, [("sex",)]),  # unknown dimension
        ({("PRG",): 3}, [("reason",), ("reason",)]),  # table twice
        ({("PRG",): 3}, []),  # nothing to publish
    ],
)
def test_malformed_requests_are_query_errors(counts, tables) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError):
        protect_linked_counts(counts, [REASON], tables, POLICY)


def test_a_public_cell_must_be_published() -> None:
    with pytest.raises(QueryError):
        protect_linked_counts(
            {("PRG",): 30}, [REASON], [("reason",)], POLICY, public_cells=[(("reason",), ("X",))]
        )


def test_a_pattern_the_audit_rejects_is_never_released(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from safepupil.disclosure import frequency

    def no_complements(model, primary, public, width, **_):  # type: ignore[no-untyped-def]
        return np.zeros_like(primary)

    monkeypatch.setattr(frequency, "choose_complements", no_complements)
    rows = Dimension("r", ("a", "b"))
    cols = Dimension("s", ("x", "y"))
    counts = {("a", "x"): 7, ("a", "y"): 31, ("b", "x"): 29, ("b", "y"): 43}
    with pytest.raises(DisclosureRefused, match="audit found") as refused:
        protect_linked_counts(counts, [rows, cols], [("r", "s")], POLICY)
    assert "7" not in str(refused.value)


def test_when_no_single_rise_fits_under_a_public_total_two_witnesses_are_found() -> None:
    # Raising PRG (5) by 12 would need OTH (10) to fall by 12: impossible. A table with
    # PRG at 15 and another with PRG at 0 still give it an interval 15 wide.
    reason = Dimension("reason", ("PRG", "OTH"))
    release = protect_linked_counts(
        {("PRG",): 5, ("OTH",): 10},
        [reason],
        [("reason",)],
        FrequencyPolicy(protection_width=12),
        public_cells=[(("reason",), ("Total",))],
    )
    assert release.cell(("reason",), ("OTH",)).status is CellStatus.SECONDARY
    assert release.cell(("reason",), ("PRG",)).interval == pytest.approx((0.0, 15.0))


def test_cells_failing_other_rules_are_hidden_and_protected_as_primary() -> None:
    rows = Dimension("r", ("a", "b", "c"))
    cols = Dimension("s", ("x", "y"))
    counts = {("a", "x"): 40, ("a", "y"): 31, ("b", "x"): 29, ("b", "y"): 43, ("c", "x"): 50}
    dominated = "one pupil's value dominates the total"
    release = protect_linked_counts(
        counts,
        [rows, cols],
        [("r", "s")],
        POLICY,
        extra_primary={(("r", "s"), ("a", "x")): dominated},
    )
    cell = release.cell(("r", "s"), ("a", "x"))
    assert (cell.status, cell.reason) == (CellStatus.PRIMARY, dominated)
    assert release.secondary_count >= 3
    assert all(i.hi - i.lo >= 10 for i in release.audit.intervals)
    with pytest.raises(QueryError):
        protect_linked_counts(
            counts, [rows, cols], [("r", "s")], POLICY, extra_primary={(("r",), ("a",)): "x"}
        )
