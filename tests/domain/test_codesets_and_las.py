import datetime as dt
from collections import Counter

import pytest

from safepupil.domain.codesets import CODESET_FILES, codeset
from safepupil.domain.local_authorities import la_by_code, local_authorities_on, regions_on
from safepupil.errors import ConfigError

JAN_2018 = dt.date(2018, 1, 18)


def test_152_las_in_nine_regions_in_january_2018() -> None:
    las = local_authorities_on(JAN_2018)
    assert len(las) == 152
    assert len({la.code for la in las}) == 152
    assert len(regions_on(JAN_2018)) == 9
    assert Counter(la.region for la in las)["London"] == 33


@pytest.mark.parametrize(
    ("code", "day", "name"),
    [
        ("835", JAN_2018, "Dorset"),
        ("835", dt.date(2019, 4, 1), None),
        ("838", JAN_2018, None),
        ("838", dt.date(2019, 4, 1), "Dorset"),
        ("928", dt.date(2021, 3, 31), "Northamptonshire"),
        ("940", dt.date(2021, 4, 1), "North Northamptonshire"),
    ],
)
def test_la_codes_are_versioned_by_date(code: str, day: dt.date, name: str | None) -> None:
    la = la_by_code(code, day)
    assert (la.name if la else None) == name


@pytest.mark.parametrize(
    ("code", "day", "valid"),
    [
        ("S", dt.date(2018, 1, 18), True),
        ("S", dt.date(2018, 3, 31), True),
        ("S", dt.date(2018, 4, 1), False),
        ("E", dt.date(2014, 8, 31), False),
        ("E", dt.date(2014, 9, 1), True),
        ("N", dt.date(2018, 1, 18), True),
        ("Z", JAN_2018, False),
    ],
)
def test_sen_provision_validity_dates(code: str, day: dt.date, valid: bool) -> None:
    assert codeset("sen_provision").is_valid_on(code, day) is valid


def test_sensitive_placement_reasons_are_a() -> None:
    reasons = codeset("placement_reason")
    assert {"PRG", "MHN", "YOF", "PHY"} <= reasons.codes_with_sensitivity({"A"})
    assert "PEX" not in reasons.codes_with_sensitivity({"A"})


def test_every_codeset_loads_with_unique_codes() -> None:
    for name in CODESET_FILES:
        codes = [c.code for c in codeset(name)]
        assert codes and len(codes) == len(set(codes)), name


def test_sen_type_broad_need_grouping() -> None:
    assert codeset("sen_type").get("ASD").attribute("broad_need") == "Communication and interaction"


def test_unknown_codeset_says_which_exist() -> None:
    with pytest.raises(ConfigError, match="sen_type"):
        codeset("nope")
