"""Statistics-only aggregates: who is counted, age bands, and protection that holds up."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence

import highspy
import pytest

from safepupil.collection.aggregate import (
    SMALL_GROUP,
    TOO_FEW,
    TOTAL,
    UNKNOWN,
    WithheldAggregate,
    age_band,
    aggregate_withheld,
    breakdown_dimensions,
    group_sizes,
    known_cells,
    withheld_counts,
)
from safepupil.collection.policy import default_policy
from safepupil.disclosure.release import ProtectedRelease
from safepupil.disclosure.tables import Dimension
from tests.collection.conftest import Pupil, parsed_return, pupil

POLICY = default_policy()
WITHHELD = POLICY.withheld[0]
CENSUS_DAY = dt.date(2018, 1, 18)


@pytest.mark.parametrize(
    ("dob", "band"),
    [
        ("2014-01-18", "4-10"),  # 4 on census day
        ("2014-01-19", UNKNOWN),  # 3 on census day: outside every band
        ("2007-01-19", "4-10"),  # still 10
        ("2007-01-18", "11-13"),  # 11 on census day itself
        ("2004-01-19", "11-13"),
        ("2004-01-18", "14-15"),
        ("2002-01-19", "14-15"),
        ("2002-01-18", "16+"),
        ("1990-06-30", "16+"),  # open-ended
        ("2004-02-29", "11-13"),  # leap-day birthday: 13 until 1 March 2017... still 13
        (None, UNKNOWN),
        ("", UNKNOWN),
        ("18/01/2002", UNKNOWN),
    ],
)
def test_age_band_on_census_day(dob: str | None, band: str) -> None:
    assert age_band(dob, CENSUS_DAY, POLICY.age_bands) == band


def test_counts_only_withheld_pupils_over_every_breakdown() -> None:
    pupils = [
        pupil(1, placement_reason="PRG", sex="F", dob="2002-03-01", sen_provision="E"),
        pupil(2, placement_reason="PRG", sex="F", dob="2002-05-01", sen_provision="E"),
        pupil(3, placement_reason="YOF", sex="M", dob="2008-05-01", sen_provision="N"),
        pupil(4, placement_reason="PEX", sex="M", dob="2008-05-01", sen_provision="N"),
        pupil(5, placement_reason=None, sex="M", dob="2008-05-01", sen_provision="N"),
        pupil(6, placement_reason=" mhn", sex=None, dob=None, sen_provision="X"),
    ]
    counts = withheld_counts(parsed_return(pupils).records, WITHHELD, POLICY, CENSUS_DAY)
    assert counts == {
        ("PRG", "F", "14-15", "E"): 2,
        ("YOF", "M", "4-10", "N"): 1,
        ("MHN", UNKNOWN, UNKNOWN, UNKNOWN): 1,
    }


def test_dimensions_hold_every_withheld_code_but_only_the_groups_present() -> None:
    counts = {("PRG", "F", "14-15", "E"): 3, ("MHN", "M", "4-10", "S"): 2}
    dims = breakdown_dimensions(WITHHELD, POLICY, CENSUS_DAY, counts)
    assert [d.name for d in dims] == ["placement_reason", "sex", "age_band", "sen_provision"]
    assert dims[0].codes == ("PHY", "MHN", "PRG", "YOF")  # codeset order, all of them
    assert dims[1].codes == ("M", "F")  # no U: an empty group is no secret
    assert dims[2].codes == ("4-10", "14-15")
    assert dims[3].codes == ("E", "S")
    with_unknown = breakdown_dimensions(
        WITHHELD, POLICY, CENSUS_DAY, {("PRG", "F", UNKNOWN, "E"): 1}
    )
    assert with_unknown[2].codes == (UNKNOWN,)


def test_group_sizes_are_the_margins_the_records_reveal() -> None:
    counts = {
        ("PRG", "F", "14-15", "E"): 3,
        ("MHN", "F", "4-10", "S"): 2,
        ("MHN", "M", "4-10", "S"): 1,
    }
    assert group_sizes(counts, 1) == {"F": 5, "M": 1}
    assert group_sizes(counts, 2) == {"14-15": 3, "4-10": 3}


# Placement reasons by sex, roughly as expected: pregnancy for girls only, young
# offenders mostly boys. Zeros and small cells follow, so suppression has work to do.
REASON_WEIGHTS = {
    "F": {"PRG": 3, "MHN": 3, "YOF": 0.2, "PHY": 1, "PEX": 2, "SUS": 1, "OTH": 1},
    "M": {"PRG": 0, "MHN": 2, "YOF": 3, "PHY": 1, "PEX": 4, "SUS": 2, "OTH": 1},
}


def many_pupils(count: int, seed: int = 7, sexes: str = "MMMFF") -> list[Pupil]:
    rng = random.Random(seed)
    pupils = []
    for number in range(1, count + 1):
        sex = rng.choice(sexes)
        weights = REASON_WEIGHTS[sex]
        born = dt.date(2001, 2, 1) + dt.timedelta(days=rng.randrange(365 * 11))
        pupils.append(
            pupil(
                number,
                upn=f"P{number:012d}",  # not validated here; only needs to be distinct
                sex=sex,
                dob=born.isoformat(),
                sen_provision=rng.choice("NKEES"),
                placement_reason=rng.choices(list(weights), list(weights.values()))[0],
            )
        )
    return pupils


def test_no_withheld_pupil_means_no_tables() -> None:
    pupils = [pupil(n, placement_reason="PEX") for n in range(1, 5)]
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    assert aggregate.release is None and aggregate.pupils == 0
    assert aggregate.to_dict()["cells"] == [] and aggregate.cells == 0


def test_fewer_withheld_than_the_threshold_publishes_nothing() -> None:
    pupils = [pupil(n, placement_reason="PRG" if n < 10 else "PEX") for n in range(1, 30)]
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    assert aggregate.pupils == 9 and aggregate.release is None and aggregate.tables == ()
    assert aggregate.not_published == (("placement_reason", TOO_FEW.format(threshold=10)),)


def test_a_breakdown_with_a_small_known_group_is_left_out() -> None:
    pupils = many_pupils(600, sexes="M" * 60 + "F")  # a handful of withheld girls
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    assert ("placement_reason", "sex") not in aggregate.tables
    assert ("sex", SMALL_GROUP.format(by="sex", threshold=10)) in aggregate.not_published
    assert aggregate.release is not None and aggregate.tables


def test_falls_back_to_the_item_alone() -> None:
    # Every withheld pupil is in one group of each breakdown except one small group.
    pupils = [pupil(n, placement_reason=["PRG", "MHN"][n % 2], sex="F") for n in range(1, 40)]
    pupils += [pupil(40, placement_reason="PRG", sex="M", dob="2010-03-01", sen_provision="K")]
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    assert aggregate.tables == (("placement_reason",),)
    assert {by for by, _ in aggregate.not_published} == {"sex", "age_band", "sen_provision"}
    assert aggregate.release is not None and aggregate.release.audit.protected


@pytest.fixture(scope="module")
def big() -> tuple[WithheldAggregate, list[Pupil]]:
    pupils = many_pupils(500)
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    return aggregate, pupils


def test_all_breakdowns_are_published_when_they_can_be(
    big: tuple[WithheldAggregate, list[Pupil]],
) -> None:
    aggregate, _ = big
    assert aggregate.tables == (
        ("placement_reason", "sex"),
        ("placement_reason", "age_band"),
        ("placement_reason", "sen_provision"),
    )
    assert aggregate.not_published == ()


def test_small_cells_and_zeros_are_suppressed_and_the_audit_proves_protection(
    big: tuple[WithheldAggregate, list[Pupil]],
) -> None:
    aggregate, pupils = big
    release = aggregate.release
    assert release is not None
    assert aggregate.pupils == sum(1 for p in pupils if p["placement_reason"] in WITHHELD.codes)
    assert release.primary_count > 0
    for cell in release.cells:
        if cell.value < POLICY.threshold:
            assert cell.suppressed and cell.released_value is None
    assert release.audit.protected and not release.audit.failures


def test_known_group_sizes_are_released_and_never_give_a_row_away(
    big: tuple[WithheldAggregate, list[Pupil]],
) -> None:
    aggregate, _ = big
    release = aggregate.release
    assert release is not None
    for table in aggregate.tables:
        rows: dict[str, list[int | None]] = {}
        for cell in release.cells_of(table):
            if cell.key[0] == TOTAL:
                assert not cell.suppressed, "a group size the records reveal is never hidden"
            else:
                rows.setdefault(cell.key[1], []).append(cell.released_value)
        for code, shown in rows.items():
            margin = release.cell(table, (TOTAL, code)).value
            # A released cell equal to its group's size would say every pupil in the
            # group (identifiable by their withheld flag) has that reason.
            assert margin not in shown


def test_json_form_hides_suppressed_values(big: tuple[WithheldAggregate, list[Pupil]]) -> None:
    aggregate, _ = big
    body = aggregate.to_dict()
    assert body["age_on"] == "2018-01-18" and body["codes"] == list(WITHHELD.codes)
    assert body["tables"] == [list(t) for t in aggregate.tables]
    assert body["audit"]["protected"] is True
    shown = {row["value"] for row in body["cells"] if row["status"] != "released"}
    assert shown == {"c"}


def test_known_cells_are_the_item_totals_of_each_table() -> None:
    dims = breakdown_dimensions(WITHHELD, POLICY, CENSUS_DAY, {("PRG", "F", "14-15", "E"): 3})
    tables = (("placement_reason", "sex"), ("placement_reason",))
    assert known_cells(dims, tables) == [
        (("placement_reason", "sex"), (TOTAL, "F")),
        (("placement_reason", "sex"), (TOTAL, TOTAL)),
        (("placement_reason",), (TOTAL,)),
    ]


def _identity(
    dimensions: Sequence[Dimension], table: tuple[str, ...], key: tuple[str, ...]
) -> tuple[str, ...]:
    placed = dict(zip(table, key, strict=True))
    return tuple(placed.get(d.name, d.total) for d in dimensions)


def independent_intervals(
    release: ProtectedRelease,
    dimensions: Sequence[Dimension],
    also_known: Mapping[tuple[str, ...], int] | None = None,
) -> dict[tuple[str, ...], tuple[float, float]]:
    """The attacker's interval for each suppressed cell, by an LP built here from scratch.

    Unknowns: one count >= 0 per combination of leaf codes of every dimension (the full
    cross the tables are margins of). Each released cell fixes the sum of the counts it
    covers, as does each sum in ``also_known`` (keyed by code, or total, in every
    dimension). Each suppressed cell's interval is the minimum and maximum of its sum.
    """
    leaves = list(itertools.product(*(d.codes for d in dimensions)))

    totals = [d.total for d in dimensions]

    def covered(identity: tuple[str, ...]) -> list[int]:
        def inside(leaf: tuple[str, ...]) -> bool:
            return all(
                code in (total, own)
                for code, total, own in zip(identity, totals, leaf, strict=True)
            )

        return [n for n, leaf in enumerate(leaves) if inside(leaf)]

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    for _ in leaves:
        highs.addVar(0.0, highspy.kHighsInf)
    cells = {_identity(dimensions, c.table, c.key): c for c in release.cells}
    known = {identity: c.value for identity, c in cells.items() if not c.suppressed}
    known |= dict(also_known or {})
    for identity, value in known.items():
        columns = covered(identity)
        highs.addRow(float(value), float(value), len(columns), columns, [1.0] * len(columns))
    intervals = {}
    for identity, cell in cells.items():
        if identity in known:
            continue
        columns = set(covered(identity))
        costs = [1.0 if n in columns else 0.0 for n in range(len(leaves))]
        highs.changeColsCost(len(leaves), list(range(len(leaves))), costs)
        bounds = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            highs.changeObjectiveSense(sense)
            highs.run()
            unbounded = highs.getModelStatus() == highspy.HighsModelStatus.kUnbounded
            bounds.append(math.inf if unbounded else highs.getInfo().objective_function_value)
        assert bounds[0] <= cell.value + 1e-6 <= bounds[1] + 2e-6, "the truth must be feasible"
        intervals[identity] = (bounds[0], bounds[1])
    return intervals


def dimensions_of(pupils: list[Pupil]) -> tuple[Dimension, ...]:
    counts = withheld_counts(parsed_return(pupils).records, WITHHELD, POLICY, CENSUS_DAY)
    return breakdown_dimensions(WITHHELD, POLICY, CENSUS_DAY, counts)


def known_margins(pupils: list[Pupil], joint: bool) -> dict[tuple[str, ...], int]:
    """What the records tell the national side: group sizes of withheld pupils.

    One-way: by sex, by age band, by SEN provision. Joint: by all three at once (the
    records hold all three for each withheld pupil).
    """
    counts = withheld_counts(parsed_return(pupils).records, WITHHELD, POLICY, CENSUS_DAY)
    dims = dimensions_of(pupils)
    known: Counter[tuple[str, ...]] = Counter()
    for key, n in counts.items():
        if joint:
            known[(TOTAL, *key[1:])] += n
        for position in range(1, len(dims)):
            one_way = [d.total for d in dims]
            one_way[position] = key[position]
            known[tuple(one_way)] += n
    if joint:  # an empty combination is known to be empty too
        for combination in itertools.product(*(d.codes for d in dims[1:])):
            known.setdefault((TOTAL, *combination), 0)
    return dict(known)


def test_independent_lp_agrees_that_no_suppressed_cell_is_recoverable(
    big: tuple[WithheldAggregate, list[Pupil]],
) -> None:
    aggregate, pupils = big
    release = aggregate.release
    assert release is not None
    dims = dimensions_of(pupils)
    intervals = independent_intervals(release, dims, known_margins(pupils, joint=False))
    assert len(intervals) == release.suppressed_count > 0
    for identity, (low, high) in intervals.items():
        assert high - low >= POLICY.protection_width - 1e-6, identity
        audited = release.audit.interval_of(identity)
        assert audited is not None, "the audit covers every suppressed cell"
        assert audited.lo == pytest.approx(low, abs=1e-5)
        assert audited.hi == pytest.approx(high, abs=1e-5)


@pytest.mark.parametrize(("count", "seed"), [(300, 2), (300, 3), (700, 1), (1500, 3)])
def test_protection_holds_even_knowing_the_joint_groups(count: int, seed: int) -> None:
    # The audit is told the one-way group sizes; the records reveal the joint ones too.
    # Check independently that every suppressed cell stays protected with those known.
    pupils = many_pupils(count, seed=seed)
    (aggregate,) = aggregate_withheld(parsed_return(pupils), POLICY)
    assert aggregate.release is not None and aggregate.release.audit.protected
    known = known_margins(pupils, joint=len(aggregate.tables) > 1)
    intervals = independent_intervals(aggregate.release, dimensions_of(pupils), known)
    for identity, (low, high) in intervals.items():
        assert high - low >= POLICY.protection_width - 1e-6, identity


def test_each_table_has_every_cell_once(big: tuple[WithheldAggregate, list[Pupil]]) -> None:
    aggregate, _ = big
    release = aggregate.release
    assert release is not None
    assert {cell.table for cell in release.cells} == set(aggregate.tables)
    for table in aggregate.tables:
        keys = [cell.key for cell in release.cells_of(table)]
        assert len(keys) == len(set(keys))
        assert {key[0] for key in keys} == {*WITHHELD.codes, TOTAL}
