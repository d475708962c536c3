"""Dummy data: the catalogue's exact columns and types, the synthetic census's shapes,
every code in every LA, withheld codes as the store holds them, and determinism."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from safepupil.collection.policy import default_policy
from safepupil.domain.census_calendar import census_period
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.errors import UserError
from safepupil.query.derivations import AgeBands, age_in_years
from safepupil.store.catalogue import Catalogue, Dataset, load_catalogue
from safepupil.store.pupil_store import SQL_TYPES
from safepupil.synth.dummy import DEFAULT_ROWS, guarantee_rows, make_dummy

DATASETS = ["ap_census_2018", "school_census_2018"]
SEED = 3
PAIRED_SEXES = ("F", "M")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def tables(catalogue: Catalogue) -> dict[str, pa.Table]:
    """Each dataset at the default size: the size a researcher gets without --rows."""
    return {name: make_dummy(catalogue, name, DEFAULT_ROWS, SEED) for name in DATASETS}


def column(table: pa.Table, name: str) -> np.ndarray:
    return np.array(table.column(name).to_pylist(), dtype=object)


@pytest.mark.parametrize("name", DATASETS)
def test_columns_are_the_catalogues_items_then_pupil_id(
    catalogue: Catalogue, tables: dict[str, pa.Table], name: str
) -> None:
    spec = catalogue.dataset(name)
    assert tables[name].column_names == [i.name for i in spec.items] + ["pupil_id"]
    assert tables[name].num_rows == DEFAULT_ROWS


@pytest.mark.parametrize("name", DATASETS)
def test_column_types_are_the_stores(
    catalogue: Catalogue, tables: dict[str, pa.Table], name: str
) -> None:
    """Loaded into DuckDB, every column has the type the store's view gives it."""
    spec = catalogue.dataset(name)
    connection = duckdb.connect()
    connection.register("dummy", tables[name])
    described = {row[0]: row[1] for row in connection.execute("DESCRIBE dummy").fetchall()}
    expected = {i.name: SQL_TYPES[i.type] for i in spec.items} | {"pupil_id": "BIGINT"}
    assert described == expected


@pytest.mark.parametrize("name", DATASETS)
def test_every_code_appears_in_every_la_among_girls_and_among_boys(
    catalogue: Catalogue, tables: dict[str, pa.Table], name: str
) -> None:
    spec = catalogue.dataset(name)
    table = tables[name]
    withheld = {w.item: set(w.codes) for w in default_policy().withheld}
    las = {la.code for la in local_authorities_on(spec.reference_date)}
    coded = [
        i for i in spec.items if i.type == "code" and i.codeset not in (None, "local_authority")
    ]
    assert len(coded) >= 4
    for item in coded:
        seen = _triples(table, item.name)
        if item.name == "sex":  # every sex code in every LA
            assert {(la, s) for la, s, _ in seen} == {(la, s) for la in las for s in "FMU"}
            continue
        wanted = set(spec.allowed_codes(item.name) or ()) - withheld.get(item.name, set())
        needed = {(la, s, code) for la in las for s in PAIRED_SEXES for code in wanted}
        missing = needed - seen
        assert not missing, f"{item.name}: {len(missing)} missing, e.g. {sorted(missing)[:3]}"


def _triples(table: pa.Table, name: str) -> set[tuple[str, str, str]]:
    """Every (la, sex, code of ``name``) that some record holds."""
    keys = list(dict.fromkeys(["la", "sex", name]))
    found = table.group_by(keys).aggregate([])
    columns = [found.column(c).to_pylist() for c in ("la", "sex", name)]
    return {t for t in zip(*columns, strict=True) if t[2] is not None}


@pytest.mark.parametrize("name", DATASETS)
def test_every_age_band_appears_in_every_la_among_girls_and_among_boys(
    catalogue: Catalogue, tables: dict[str, pa.Table], name: str
) -> None:
    spec = catalogue.dataset(name)
    table = tables[name]
    [derived] = [d for d in spec.derived if d.name == "age_band"]
    bands = AgeBands(derived.band_starts)
    assert derived.on is not None
    seen = {
        (la, sex, bands.label_of(age_in_years(born, derived.on)))
        for la, sex, born in zip(
            column(table, "la"),
            column(table, "sex"),
            column(table, "birth_year_month"),
            strict=True,
        )
    }
    las = {la.code for la in local_authorities_on(spec.reference_date)}
    wanted = set(bands.labels) if name.startswith("ap_") else set(bands.labels) - {"16+"}
    needed = {(la, sex, band) for la in las for sex in PAIRED_SEXES for band in wanted}
    assert not needed - seen


def test_every_year_group_appears_in_every_school_la_among_girls_and_boys(
    catalogue: Catalogue, tables: dict[str, pa.Table]
) -> None:
    seen = _triples(tables["school_census_2018"], "year_group")
    las = {la.code for la in local_authorities_on(dt.date(2018, 1, 18))}
    assert {(la, s, g) for la in las for s in PAIRED_SEXES for g in range(12)} <= seen


def test_the_rare_combination_of_the_researchers_guide_is_there(
    tables: dict[str, pa.Table],
) -> None:
    """Suspended girls in the City of London (the smallest LA): present by design."""
    table = tables["ap_census_2018"]
    chosen = pc.and_kleene(
        pc.equal(table.column("placement_reason"), "SUS"),
        pc.and_(pc.equal(table.column("sex"), "F"), pc.equal(table.column("la"), "201")),
    )
    assert 1 <= pc.sum(chosen.fill_null(False)).as_py() <= 10


def test_withheld_codes_are_null_with_their_flag_as_in_the_store(
    tables: dict[str, pa.Table],
) -> None:
    table = tables["ap_census_2018"]
    reason = column(table, "placement_reason")
    flag = column(table, "placement_reason_withheld").astype(bool)
    withheld = set(default_policy().withheld_item("placement_reason").codes)  # type: ignore[union-attr]
    assert not withheld & set(reason[reason != None])  # noqa: E711
    assert all(r is None for r in reason[flag]) and all(r is not None for r in reason[~flag])
    assert 0.05 < flag.mean() < 0.2  # ~11.5% in the marginals; more in the designed rows
    # In every LA some records are withheld, among girls and among boys.
    records = zip(column(table, "la"), column(table, "sex"), flag, strict=True)
    seen = {(la, s) for la, s, f in records if f}
    assert {s for _, s in seen} >= set(PAIRED_SEXES)
    assert len({la for la, _ in seen}) == 152


def test_tokens_are_random_and_not_derived_from_upns(tables: dict[str, pa.Table]) -> None:
    table = tables["ap_census_2018"]
    tokens = column(table, "pupil_token")
    assert all(t.startswith("dummy") and len(t) == 29 for t in tokens)
    assert all(int(t[5:], 16) >= 0 for t in tokens[:100])  # the rest is hex
    pairs = set(zip(tokens, column(table, "pupil_id"), strict=True))
    assert len(pairs) == len(set(tokens)) == len({i for _, i in pairs})  # one token per pupil


def test_some_ap_pupils_are_placed_by_two_las_keeping_who_they_are(
    tables: dict[str, pa.Table],
) -> None:
    table = tables["ap_census_2018"]
    ids = column(table, "pupil_id")
    counts = np.bincount(ids.astype(np.int64))
    repeated = set(np.flatnonzero(counts > 1))
    assert 0.005 * len(ids) < len(repeated) < 0.05 * len(ids)
    by_pupil: dict[int, set[tuple[str, str, str]]] = {}
    las: dict[int, list[str]] = {}
    for pid, la, sex, born in zip(
        ids,
        column(table, "la"),
        column(table, "sex"),
        column(table, "birth_year_month"),
        strict=True,
    ):
        if pid in repeated:
            by_pupil.setdefault(pid, set()).add((sex, born, ""))
            las.setdefault(pid, []).append(la)
    assert all(len(v) == 1 for v in by_pupil.values())  # the same sex and birth month
    assert all(len(set(v)) == len(v) for v in las.values())  # each record from another LA
    assert (
        pc.count_distinct(tables["school_census_2018"].column("pupil_id")).as_py() == DEFAULT_ROWS
    )


def test_ap_records_have_the_shape_of_the_ap_census(tables: dict[str, pa.Table]) -> None:
    table = tables["ap_census_2018"]
    sex = column(table, "sex")
    assert 0.6 < (sex == "M").mean() < 0.75  # mostly boys
    provision, need = column(table, "sen_provision"), column(table, "sen_type_1")
    assert all((p == "N") == (n is None) for p, n in zip(provision, need, strict=True))
    second = column(table, "sen_type_2")
    assert all(s is None or (n is not None and s != n) for s, n in zip(second, need, strict=True))
    identified = [column(table, n) != None for n in ("urn", "ukprn", "ap_setting_type")]  # noqa: E711
    assert (sum(identified) == 1).all()  # a provider has exactly one of the three
    period = census_period(2018)
    start, end = column(table, "placement_start"), column(table, "placement_end")
    assert all(s <= period.end and (e is None or s <= e) for s, e in zip(start, end, strict=True))
    assert all(e is None or e >= period.start for e in end)
    assert all(
        la == placed
        for la, placed in zip(column(table, "la"), column(table, "placement_la"), strict=True)
    )
    ages = [_age_on(born, dt.date(2018, 1, 18)) for born in column(table, "birth_year_month")]
    assert min(ages) >= 4 and max(ages) <= 20 and 13 <= float(np.median(ages)) <= 15
    assert (column(table, "year") == 2018).all()


def test_school_records_have_the_shape_of_the_school_census(tables: dict[str, pa.Table]) -> None:
    table = tables["school_census_2018"]
    group = column(table, "year_group").astype(int)
    assert set(group) == set(range(12))
    attainment = column(table, "attainment8")
    assert all((a is not None) == (g == 11) for a, g in zip(attainment, group, strict=True))
    possible, absent = column(table, "sessions_possible"), column(table, "sessions_absent")
    assert (absent <= possible).all() and (possible <= 150).all() and (absent >= 0).all()
    assert 0.03 < absent.sum() / possible.sum() < 0.09  # ~5% of sessions missed
    assert 0.7 < (column(table, "sen_provision") == "N").mean() < 0.9
    assert 0.1 < column(table, "fsm").astype(bool).mean() < 0.25
    ethnicity = column(table, "ethnicity")
    assert max(set(ethnicity), key=list(ethnicity).count) == "WBRI"


def test_las_are_weighted_by_size(tables: dict[str, pa.Table]) -> None:
    counts = pc.value_counts(tables["school_census_2018"].column("la")).field("counts")
    largest, smallest = pc.max(counts).as_py(), pc.min(counts).as_py()
    assert largest > 10 * smallest


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_table_other_seed_other_table(catalogue: Catalogue, name: str) -> None:
    first = make_dummy(catalogue, name, 7_000, 11)
    assert first.equals(make_dummy(catalogue, name, 7_000, 11))
    assert not first.equals(make_dummy(catalogue, name, 7_000, 12))


@pytest.mark.parametrize("rows", [1, 2, 500])
def test_below_the_guarantee_every_row_is_drawn(catalogue: Catalogue, rows: int) -> None:
    spec: Dataset = catalogue.dataset("ap_census_2018")
    assert rows < guarantee_rows(spec)
    table = make_dummy(catalogue, spec.name, rows, 1)
    assert table.num_rows == rows
    assert table.column_names[-1] == "pupil_id"


@pytest.mark.parametrize(("rows", "seed"), [(0, 1), (-3, 1), (10_000_000, 1), (100, -1)])
def test_bad_sizes_and_seeds_are_refused(catalogue: Catalogue, rows: int, seed: int) -> None:
    with pytest.raises(UserError) as caught:
        make_dummy(catalogue, "ap_census_2018", rows, seed)
    assert caught.value.hint


def _age_on(birth_year_month: str, day: dt.date) -> int:
    year, month = int(birth_year_month[:4]), int(birth_year_month[5:])
    return day.year - year - (1 if month > day.month else 0)


def test_without_the_designed_block_rare_combinations_go_missing(catalogue: Catalogue) -> None:
    """What the block is for: one row short of it, the smallest LAs lack most codes."""
    spec = catalogue.dataset("ap_census_2018")
    table = make_dummy(catalogue, spec.name, guarantee_rows(spec) - 1, SEED)
    seen = _triples(table, "placement_reason")
    assert not any(la == "201" and sex == "F" and code == "SUS" for la, sex, code in seen)
