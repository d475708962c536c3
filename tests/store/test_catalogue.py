"""The catalogue: what it holds, the checks on loading it, and look-ups with near matches."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from safepupil.errors import ConfigError, QueryError
from safepupil.store.catalogue import (
    DIMENSION_ITEM_TYPES,
    Catalogue,
    DerivedDimension,
    Item,
    catalogue_from_toml,
    load_catalogue,
)

AP = "ap_census_2018"
SC = "school_census_2018"

AP_COLUMNS = [
    "pupil_token",
    "la",
    "year",
    "sex",
    "ethnicity",
    "sen_provision",
    "sen_type_1",
    "sen_type_2",
    "birth_year_month",
    "postcode_outward",
    "placement_la",
    "urn",
    "ukprn",
    "ap_setting_type",
    "placement_reason",
    "placement_reason_withheld",
    "placement_start",
    "placement_end",
]
SC_COLUMNS = [
    "pupil_token",
    "la",
    "year",
    "sex",
    "ethnicity",
    "birth_year_month",
    "postcode_outward",
    "sen_provision",
    "sen_type_1",
    "fsm",
    "year_group",
    "sessions_possible",
    "sessions_absent",
    "attainment8",
]


def shipped_text() -> str:
    return resources.files("safepupil.store").joinpath("data", "catalogue.toml").read_text("utf-8")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_datasets_hold_exactly_the_store_columns(catalogue: Catalogue) -> None:
    assert catalogue.dataset_names == [AP, SC]
    assert [i.name for i in catalogue.dataset(AP).items] == AP_COLUMNS
    assert [i.name for i in catalogue.dataset(SC).items] == SC_COLUMNS


@pytest.mark.parametrize(
    ("dataset", "item", "kind", "sensitivity", "identifiability"),
    [
        (AP, "placement_reason", "code", "A", 3),
        (AP, "sen_provision", "code", "B", 4),
        (AP, "sen_type_1", "code", "B", 4),
        (AP, "sen_type_2", "code", "B", 4),
        (AP, "postcode_outward", "code", "C", 2),
        (AP, "pupil_token", "token", "D", 1),
        (AP, "placement_start", "date", "C", 2),
        (AP, "birth_year_month", "year_month", "C", 2),
        (SC, "attainment8", "decimal", "C", 4),
        (SC, "fsm", "boolean", "B", 4),
        (SC, "sessions_absent", "integer", "C", 4),
    ],
)
def test_item_ratings(
    catalogue: Catalogue, dataset: str, item: str, kind: str, sensitivity: str, identifiability: int
) -> None:
    found = catalogue.dataset(dataset).item(item)
    assert (found.type, found.sensitivity, found.identifiability) == (
        kind,
        sensitivity,
        identifiability,
    )


def test_tokens_are_never_queryable(catalogue: Catalogue) -> None:
    for dataset in catalogue.datasets:
        assert not dataset.item("pupil_token").is_queryable
        assert "pupil_token" not in dataset.dimension_names


def test_statistics_only_and_retention(catalogue: Catalogue) -> None:
    ap = catalogue.dataset(AP)
    reason = ap.item("placement_reason")
    assert reason.statistics_only and reason.retention_years == 3
    assert not ap.item("sex").statistics_only and ap.item("sex").retention_years == 10
    assert [i.name for i in ap.items if i.statistics_only] == ["placement_reason"]


def test_codes_follow_codesets_on_the_reference_date(catalogue: Catalogue) -> None:
    ap = catalogue.dataset(AP)
    assert ap.allowed_codes("sen_provision") == {"N", "K", "E", "S"}  # A and P ended in 2015
    assert len(ap.allowed_codes("la") or ()) == 152
    assert ap.allowed_codes("postcode_outward") is None  # an open code


def test_derived_dimensions(catalogue: Catalogue) -> None:
    for dataset in catalogue.datasets:
        kinds = {d.name: (d.kind, d.source) for d in dataset.derived}
        assert kinds == {
            "region": ("region", "la"),
            "england": ("country", "la"),
            "broad_need": ("code_group", "sen_type_1"),
            "age": ("age", "birth_year_month"),
            "age_band": ("age_band", "birth_year_month"),
        }
        assert dataset.geography_chain("la") == ("la", "region", "england")
        assert dataset.geography_chain("region") == ("region", "england")
        assert dataset.geography_chain("sex") == ()
        assert dataset.source_items("age_band") == {"birth_year_month"}
        assert dataset.age_source() == "birth_year_month"
    assert catalogue.dataset(SC).one_row_per_pupil and not catalogue.dataset(AP).one_row_per_pupil


def test_dimensions_are_groupable_items_and_derived_ones(catalogue: Catalogue) -> None:
    ap = catalogue.dataset(AP)
    assert all(
        ap.item(n).type in DIMENSION_ITEM_TYPES
        for n in ap.dimension_names
        if n not in {d.name for d in ap.derived}
    )
    assert "placement_start" not in ap.dimension_names and "region" in ap.dimension_names


@pytest.mark.parametrize(
    ("lookup", "message", "near"),
    [
        (
            lambda c: c.dataset("ap_cenus_2018"),
            "no dataset 'ap_cenus_2018' in the catalogue",
            "ap_census_2018",
        ),
        (
            lambda c: c.dataset(AP).item("sen_typ_1"),
            "no item 'sen_typ_1' in dataset ap_census_2018",
            "sen_type_1",
        ),
        (
            lambda c: c.dataset(SC).dimension("fms"),
            "no dimension 'fms' in dataset school_census_2018",
            "fsm",
        ),
        (
            lambda c: c.dataset(AP).item("region"),
            "'region' in dataset ap_census_2018 is a derived dimension",
            "la",
        ),
    ],
)
def test_lookups_name_what_is_missing_and_suggest(
    catalogue: Catalogue, lookup: object, message: str, near: str
) -> None:
    with pytest.raises(QueryError) as missing:
        lookup(catalogue)  # type: ignore[operator]
    assert message in missing.value.message
    assert near in missing.value.hint


def test_load_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(shipped_text())
    assert load_catalogue(path) == load_catalogue()
    with pytest.raises(ConfigError, match="cannot read catalogue"):
        load_catalogue(tmp_path / "missing.toml")


BROKEN = [
    ("not toml", lambda t: t + "\n[[[", "not valid TOML"),
    ("no version", lambda t: t.replace("version = 1", "version = 2"), "version = 1"),
    (
        "unknown type",
        lambda t: t.replace('type = "decimal"', 'type = "float"'),
        "unknown type 'float'",
    ),
    (
        "bad sensitivity",
        lambda t: t.replace('sensitivity = "A"', 'sensitivity = "F"', 1),
        "sensitivity must be one of A..E",
    ),
    (
        "bad identifiability",
        lambda t: t.replace("identifiability = 2", "identifiability = 0", 1),
        "identifiability must be 1..5",
    ),
    (
        "unknown codeset",
        lambda t: t.replace('codeset = "sex"', 'codeset = "gender"', 1),
        "unknown codeset 'gender'",
    ),
    (
        "codeset on a number",
        lambda t: t.replace('type = "integer"', 'type = "integer"\ncodeset = "sex"', 1),
        "only code items have a codeset",
    ),
    (
        "unsafe identifier",
        lambda t: t.replace('name = "urn"', 'name = "urn; drop"', 1),
        "not a plain lower-case identifier",
    ),
    (
        "duplicate item",
        lambda t: t.replace('name = "ukprn"', 'name = "urn"', 1),
        "names used twice",
    ),
    (
        "no token",
        lambda t: t.replace(
            'name = "pupil_token"\ntype = "token"', 'name = "pupil_token"\ntype = "code"', 1
        ),
        "exactly one token item",
    ),
    (
        "region from a code",
        lambda t: t.replace('kind = "region"\nsource = "la"', 'kind = "region"\nsource = "sex"', 1),
        "source must use local_authority",
    ),
    (
        "age from a date",
        lambda t: t.replace(
            'kind = "age"\nsource = "birth_year_month"',
            'kind = "age"\nsource = "placement_start"',
            1,
        ),
        "source must be a year_month item",
    ),
    (
        "bands out of order",
        lambda t: t.replace("band_starts = [0, 5, 11, 14, 16]", "band_starts = [5, 0]", 1),
        "band_starts must increase",
    ),
    (
        "missing entry",
        lambda t: t.replace('reference_date = "2018-01-18"\n', "", 1),
        "missing or bad entry",
    ),
]


@pytest.mark.parametrize(("edit", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_catalogue_is_refused(edit: object, message: str) -> None:
    with pytest.raises(ConfigError) as broken:
        catalogue_from_toml(edit(shipped_text()))  # type: ignore[operator]
    assert message in str(broken.value)


def test_values_are_frozen(catalogue: Catalogue) -> None:
    item = catalogue.dataset(AP).item("sex")
    with pytest.raises(AttributeError):
        item.name = "gender"  # type: ignore[misc]
    assert isinstance(item, Item)
    derived = catalogue.dataset(AP).dimension("age_band")
    assert isinstance(derived, DerivedDimension) and derived.on == dt.date(2017, 8, 31)
