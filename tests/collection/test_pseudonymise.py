"""Pseudonymisation at source: tokens, generalisation, withholding and default deny."""

from __future__ import annotations

import datetime as dt
import string

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.collection.model import RECORD_COLUMNS, ParsedReturn
from safepupil.collection.policy import default_policy, policy_from_bytes
from safepupil.collection.pseudonymise import (
    TREATMENTS,
    Treatment,
    postcode_outward,
    pseudonymise,
    pseudonymised_schema,
    pupil_token,
    pupil_tokens,
    withhold_codes,
)
from safepupil.errors import ConfigError, InputFileError
from tests.collection.conftest import HEADER, Pupil, parsed_return, pupil, valid_upn

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
POLICY = default_policy()
IDENTIFYING = ("upn", "uln", "surname", "forename", "middle_names", "preferred_surname")
IDENTIFYING += ("dob", "address", "postcode", "uprn")


def run(pupils: list[Pupil], la: str = "201", key: bytes = KEY) -> pa.Table:
    return pseudonymise(parsed_return(pupils, {**HEADER, "return_la": la}), key, POLICY)


def test_output_has_the_explicit_schema_with_typed_dates() -> None:
    table = run([pupil(1, placement_end="2017-12-15")])
    assert table.schema == pseudonymised_schema(POLICY)
    assert table.schema.field("placement_start").type == pa.date32()
    assert table.schema.field("year").type == pa.int16()
    row = table.to_pylist()[0]
    assert row["placement_end"] == dt.date(2017, 12, 15)
    assert (row["la"], row["year"], row["birth_year_month"]) == ("201", 2018, "2003-04")


def test_dropped_items_are_absent_and_kept_items_unchanged() -> None:
    record = pupil(3, sen_type_2=None, ukprn="10000009", placement_reason="PEX")
    row = run([record]).to_pylist()[0]
    for item in IDENTIFYING:
        assert item not in row
    kept = ("sex", "ethnicity", "sen_provision", "sen_type_1", "sen_type_2", "placement_la")
    kept += ("urn", "ukprn", "ap_setting_type", "placement_reason")
    assert {item: row[item] for item in kept} == {item: record[item] for item in kept}
    assert row["placement_reason_withheld"] is False


@pytest.mark.parametrize(
    ("postcode", "outward"),
    [
        ("LS12 4AB", "LS12"),
        ("LS124AB", "LS12"),
        ("ls12 4ab", "LS12"),
        ("  LS12   4AB ", "LS12"),
        ("LS12\t4AB", "LS12"),
        ("LS1 4AB", "LS1"),
        ("LS14AB", "LS1"),
        ("M1 1AE", "M1"),
        ("B33 8TH", "B33"),
        ("CR2 6XH", "CR2"),
        ("DN55 1PT", "DN55"),
        ("W1A 0AX", "W1A"),
        ("SW1A 1AA", "SW1A"),
        ("EC1A1BB", "EC1A"),
        ("LS12", "LS12"),  # outward code only: kept
        ("", None),
        (None, None),
        ("not a postcode", None),
        ("12345", None),
        ("LS12 4AB X", None),
        ("LS12 4A", None),
        ("LS12 44AB", None),
        ("L 4AB", None),
    ],
)
def test_postcode_outward_code(postcode: str | None, outward: str | None) -> None:
    assert postcode_outward(pa.array([postcode], pa.string())).to_pylist() == [outward]


@pytest.mark.parametrize(
    ("reason", "shown", "withheld"),
    [
        ("PRG", None, True),
        ("MHN", None, True),
        ("YOF", None, True),
        ("PHY", None, True),
        (" prg ", None, True),  # a badly cased withheld code must not leak either
        ("PEX", "PEX", False),
        ("SEN", "SEN", False),
        ("OTH", "OTH", False),
        (None, None, False),
    ],
)
def test_statistics_only_codes_are_blanked_and_flagged(
    reason: str | None, shown: str | None, withheld: bool
) -> None:
    row = run([pupil(1, placement_reason=reason)]).to_pylist()[0]
    assert row["placement_reason"] == shown
    assert row["placement_reason_withheld"] is withheld


def test_withhold_codes_is_vectorised_over_a_column() -> None:
    values, flags = withhold_codes(pa.array(["PRG", "PEX", None, "MHN"]), ("MHN", "PRG"))
    assert values.to_pylist() == [None, "PEX", None, None]
    assert flags.to_pylist() == [True, False, False, True]


def test_another_policy_withholds_other_codes_and_adds_its_flag() -> None:
    policy = policy_from_bytes(
        b"""format = 1
[[withheld]]
item = "ethnicity"
codes = ["WIRT"]
[aggregates]
by = ["sex"]
threshold = 10
protection_width = 10
[[aggregates.age_bands]]
label = "all"
min = 0
""",
        source="test",
    )
    table = pseudonymise(parsed_return([pupil(1, ethnicity="WIRT")]), KEY, policy)
    row = table.to_pylist()[0]
    assert row["ethnicity"] is None and row["ethnicity_withheld"] is True
    assert row["placement_reason"] == "MHN" and "placement_reason_withheld" not in row


def test_unknown_column_is_refused_not_passed_through() -> None:
    parsed = parsed_return([pupil(1)])
    extra = parsed.records.append_column("nhs_number", pa.array(["9434765919"]))
    with pytest.raises(ConfigError, match="nhs_number") as refused:
        pseudonymise(ParsedReturn(parsed.source, parsed.header, extra), KEY, POLICY)
    assert "TREATMENTS" in refused.value.hint
    assert "9434765919" not in str(refused.value)


def test_missing_column_is_refused() -> None:
    parsed = parsed_return([pupil(1)])
    fewer = parsed.records.drop_columns(["uprn"])
    with pytest.raises(ConfigError, match="uprn"):
        pseudonymise(ParsedReturn(parsed.source, parsed.header, fewer), KEY, POLICY)


def test_every_input_column_has_exactly_one_treatment() -> None:
    items = [t.item for t in TREATMENTS]
    assert sorted(items) == sorted(["record_no", *RECORD_COLUMNS])


def test_a_bad_date_is_an_input_error_without_the_value() -> None:
    with pytest.raises(InputFileError, match="not a date") as bad:
        run([pupil(1, placement_start="04/09/2017")])
    assert "04/09/2017" not in str(bad.value)


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        pupil_token("B801200005001", b"short")


def test_rows_leave_in_token_order_not_file_order() -> None:
    pupils = [pupil(n) for n in range(1, 40)]
    forwards, backwards = run(pupils), run(list(reversed(pupils)))
    assert forwards.equals(backwards)
    tokens = forwards.column("pupil_token").to_pylist()
    assert tokens == sorted(tokens)


def test_token_is_keyed_blake2b_of_the_normalised_upn() -> None:
    import hashlib

    expected = hashlib.blake2b(
        b"B801200005001", key=KEY, digest_size=16, person=b"safepupil-upn"
    ).hexdigest()
    assert pupil_token(" b801200005001\n", KEY) == expected
    assert pupil_tokens(pa.array(["B801200005001", None]), KEY).to_pylist() == [expected, None]


# --- properties --------------------------------------------------------------------

upns = st.builds(valid_upn, st.integers(1, 999), st.sampled_from(["201", "202", "330", "926"]))
keys = st.binary(min_size=32, max_size=32)


@given(upn=upns, la_a=st.sampled_from(["201", "202"]), la_b=st.sampled_from(["330", "926"]))
@settings(max_examples=25, deadline=None)
def test_same_upn_same_token_in_every_la(upn: str, la_a: str, la_b: str) -> None:
    token_a = run([pupil(1, upn=upn)], la=la_a).column("pupil_token")[0]
    token_b = run([pupil(2, upn=upn)], la=la_b).column("pupil_token")[0]
    assert token_a == token_b


@given(upn=upns, key_a=keys, key_b=keys)
def test_different_key_gives_an_unrelated_token(upn: str, key_a: bytes, key_b: bytes) -> None:
    if key_a == key_b:
        return
    token_a, token_b = pupil_token(upn, key_a), pupil_token(upn, key_b)
    assert token_a != token_b
    # Unrelated: no more shared hex digits in place than chance (1 in 16) would give.
    assert sum(a == b for a, b in zip(token_a, token_b, strict=True)) < 14


@given(
    upn=upns,
    before=st.text(" \t\n", max_size=3),
    after=st.text(" \t\n", max_size=3),
    lower=st.booleans(),
)
def test_case_and_whitespace_do_not_change_the_token(
    upn: str, before: str, after: str, lower: bool
) -> None:
    written = before + (upn.lower() if lower else upn) + after
    assert pupil_token(written, KEY) == pupil_token(upn, KEY)


@given(first=upns, second=upns)
def test_different_upns_different_tokens(first: str, second: str) -> None:
    if first != second:
        assert pupil_token(first, KEY) != pupil_token(second, KEY)


names = st.text(string.ascii_letters + "-' ", min_size=6, max_size=20).filter(
    lambda s: s.strip() == s and len(set(s)) > 3
)


@st.composite
def identified_pupils(draw: st.DrawFn) -> list[Pupil]:
    count = draw(st.integers(1, 6))
    serials = draw(st.lists(st.integers(1, 999), min_size=count, max_size=count, unique=True))
    pupils = []
    for number, serial in enumerate(serials, start=1):
        pupils.append(
            pupil(
                number,
                upn=valid_upn(serial),
                surname=draw(names),
                forename=draw(names),
                middle_names=draw(st.none() | names),
                preferred_surname=draw(st.none() | names),
                address=f"{draw(st.integers(1, 999))} {draw(names)}, {draw(names)}",
                postcode=draw(st.sampled_from(["LS12 4AB", "SW1A 1AA", "M1 1AE", "B33 8TH"])),
                uprn=str(draw(st.integers(10**11, 10**12 - 1))),
                uln=str(draw(st.integers(10**9, 10**10 - 1))),
                dob=draw(st.dates(dt.date(2000, 1, 1), dt.date(2012, 12, 31))).isoformat(),
                placement_start="2017-09-04",
                placement_reason=draw(st.sampled_from(["PRG", "MHN", "PEX", "OTH"])),
            )
        )
    return pupils


@given(pupils=identified_pupils())
@settings(max_examples=40, deadline=None)
def test_no_identifying_value_appears_in_the_output(pupils: list[Pupil]) -> None:
    table = run(pupils)
    cells = [str(v) for column in table.columns for v in column.to_pylist() if v is not None]
    for record in pupils:
        for item in IDENTIFYING:
            value = record[item]
            if value is None:
                continue
            assert not any(value in cell for cell in cells), f"{item} leaked"
            assert not any(value.replace(" ", "") in cell for cell in cells), f"{item} leaked"
    withheld = {"PRG", "MHN"}
    assert not withheld & set(table.column("placement_reason").to_pylist())


def test_drop_treatments_have_no_output_and_others_have_one() -> None:
    for treatment in TREATMENTS:
        assert (treatment.output is None) == (treatment.treatment is Treatment.DROP)
