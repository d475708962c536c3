"""The school census population: every pupil in school on census day, LA by LA.

Written to Parquet one LA at a time, so memory stays bounded by the largest LA even at
the national scale of 8 million pupils. About half of each LA's AP pupils appear here
with the same UPN and identity, so the national store can link the two censuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safepupil.domain.census_calendar import census_day
from safepupil.synth.ap_census import NO_SEN_PROVISION, ApCensus, issue_years
from safepupil.synth.frame import LaFrame
from safepupil.synth.identities import (
    dob_for_year_group,
    draw_forenames,
    draw_postcodes,
    draw_surnames,
    year_group,
)
from safepupil.synth.marginals import Marginal, has_marginal, marginal
from safepupil.synth.streams import pick, random_stream, top_up_weights
from safepupil.synth.upns import make_upns, slot_parts

POPULATION = "school"
LONDON = "London"  # London's pupils have their own ethnicity mix when marginals.csv has one
SCHOOL_SCHEMA = pa.schema(
    [
        ("upn", pa.string()),
        ("la", pa.string()),
        ("surname", pa.string()),
        ("forename", pa.string()),
        ("dob", pa.date32()),
        ("sex", pa.string()),
        ("ethnicity", pa.string()),
        ("postcode", pa.string()),
        ("sen_provision", pa.string()),
        ("sen_type_1", pa.string()),
        ("fsm", pa.bool_()),
        ("year_group", pa.int8()),
        ("sessions_possible", pa.int16()),
        ("sessions_absent", pa.int16()),
        ("attainment8", pa.float32()),
    ]
)
# Primary cohorts (Reception..Year 6) were about 12% larger than secondary ones in 2018.
YEAR_GROUP_WEIGHTS = np.array([1.12] * 7 + [1.0] * 5)
FSM_SHARE = 0.135
FSM_SHARE_IN_AP = 0.4
# Sessions (half days) possible from the start of the autumn term to census day.
FULL_SESSIONS = 150
PART_YEAR_SHARE = 0.08  # pupils who joined during the year
FEWEST_SESSIONS = 20
# Each pupil's absence rate ~ Beta(a, b): mean ~4.7%, a long tail of persistent absence.
ABSENCE_BETA = (0.9, 18.0)
ABSENCE_FACTOR_SEN = 1.5
ABSENCE_FACTOR_AP = 2.5
YEAR_11 = 11
ATTAINMENT8_MEAN = 50.0
ATTAINMENT8_MEAN_SEN = 26.0
ATTAINMENT8_SD = 16.0
ATTAINMENT8_MAX = 90.0
ROW_GROUP_ROWS = 500_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SchoolCensusWritten:
    pupils: int
    linked: int  # of them also in the AP census


def write_school_census(
    path: Path, ap: ApCensus, seed: int, progress: Progress | None = None
) -> SchoolCensusWritten:
    """Write the school census to ``path``, one LA after another."""
    frame = ap.frame
    pending: list[pa.Table] = []
    written = linked = 0
    with pq.ParquetWriter(path, SCHOOL_SCHEMA, compression="zstd") as writer:
        for position in range(len(frame.las)):
            chunk = school_chunk(ap, position, seed)
            linked += linked_count(ap, position)
            pending.append(chunk)
            if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                written += _flush(writer, pending)
            if progress:
                progress(position + 1, len(frame.las))
        written += _flush(writer, pending)
    return SchoolCensusWritten(pupils=written, linked=linked)


def linked_count(ap: ApCensus, position: int) -> int:
    """How many of the LA's AP pupils its school census holds (no more than its size)."""
    return min(int(ap.la_linked(position).num_rows), int(ap.frame.school_counts[position]))


def _flush(writer: pq.ParquetWriter, pending: list[pa.Table]) -> int:
    if not pending:
        return 0
    table = pa.concat_tables(pending)
    writer.write_table(table, row_group_size=max(table.num_rows, 1))
    pending.clear()
    return int(table.num_rows)


def school_chunk(ap: ApCensus, position: int, seed: int) -> pa.Table:
    """The school census pupils of the LA at ``position`` in the frame, in random order."""
    frame, year = ap.frame, ap.year
    rng = random_stream(seed, POPULATION, position)
    total = int(frame.school_counts[position])
    known = _pupils_from_ap(ap.la_linked(position).slice(0, linked_count(ap, position)))
    in_ap = np.arange(total) < len(known["upn"])
    fresh = _fresh_pupils(rng, frame, position, int((~in_ap).sum()), year, known)
    columns = {name: np.concatenate((known[name], fresh[name])) for name in fresh}
    columns |= _school_measures(rng, columns, in_ap, year)
    order = rng.permutation(total)
    arrays = {name: values[order] for name, values in columns.items()}
    arrays["la"] = np.full(total, frame.las[position].code)
    return _to_table(arrays)


def _fresh_pupils(
    rng: np.random.Generator,
    frame: LaFrame,
    position: int,
    size: int,
    year: int,
    known: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Pupils not in AP, drawn so the LA's whole population (``known`` AP pupils included)
    keeps the school census marginals: AP pupils are mostly older boys with EHC plans."""
    day = census_day(year)
    known_groups = np.bincount(year_group(known["dob"], year), minlength=len(YEAR_GROUP_WEIGHTS))
    group = pick(rng, top_up_weights(YEAR_GROUP_WEIGHTS, known_groups, size), size)
    dob = dob_for_year_group(rng, group, year)
    sex = marginal("sex", POPULATION, day).draw(rng, size, alongside=known["sex"])
    establishment, serial = slot_parts(np.arange(size), int(frame.upn_offsets[position]))
    numbers = np.full(size, frame.numbers[position])
    provision = marginal("sen_provision", POPULATION, day).draw(
        rng, size, alongside=known["sen_provision"]
    )
    has_sen = provision != NO_SEN_PROVISION
    drawn = marginal("sen_type", POPULATION, day).draw(
        rng, int(has_sen.sum()), alongside=known["sen_type_1"][known["sen_type_1"] != ""]
    )
    need = np.full(size, "", dtype=drawn.dtype)
    need[has_sen] = drawn
    ethnicity = _ethnicity(frame, position, day).draw(rng, size, alongside=known["ethnicity"])
    return {
        "upn": make_upns(numbers, establishment, issue_years(rng, dob, year), serial),
        "surname": draw_surnames(rng, size),
        "forename": draw_forenames(rng, sex),
        "dob": dob,
        "sex": sex,
        "ethnicity": ethnicity,
        "postcode": draw_postcodes(rng, frame.outward_codes, np.full(size, position)),
        "sen_provision": provision,
        "sen_type_1": need,
    }


def _ethnicity(frame: LaFrame, position: int, day: dt.date) -> Marginal:
    in_london = frame.las[position].region == LONDON
    population = (
        "school_london" if in_london and has_marginal("ethnicity", "school_london") else POPULATION
    )
    return marginal("ethnicity", population, day)


def _pupils_from_ap(linked: pa.Table) -> dict[str, np.ndarray]:
    def strings(name: str) -> np.ndarray:
        return np.array(linked.column(name).fill_null("").to_pylist(), dtype=str)

    return {
        "upn": strings("upn"),
        "surname": strings("surname"),
        "forename": strings("forename"),
        "dob": np.array(linked.column("dob").to_pylist(), dtype="datetime64[D]"),
        "sex": strings("sex"),
        "ethnicity": strings("ethnicity"),
        "postcode": strings("postcode"),
        "sen_provision": strings("sen_provision"),
        "sen_type_1": strings("sen_type_1"),
    }


def _school_measures(
    rng: np.random.Generator, columns: dict[str, np.ndarray], in_ap: np.ndarray, year: int
) -> dict[str, np.ndarray]:
    size = len(in_ap)
    group = year_group(columns["dob"], year)
    has_sen = columns["sen_provision"] != NO_SEN_PROVISION
    # Pupils not in AP make up the FSM share, so the LA's whole population keeps it.
    fresh = int((~in_ap).sum())
    fresh_share = (FSM_SHARE * size - FSM_SHARE_IN_AP * (size - fresh)) / max(fresh, 1)
    fsm = rng.random(size) < np.where(in_ap, FSM_SHARE_IN_AP, np.clip(fresh_share, 0.0, 1.0))
    possible = np.where(
        rng.random(size) < PART_YEAR_SHARE,
        rng.integers(FEWEST_SESSIONS, FULL_SESSIONS + 1, size),
        FULL_SESSIONS,
    )
    factor = np.where(in_ap, ABSENCE_FACTOR_AP, np.where(has_sen, ABSENCE_FACTOR_SEN, 1.0))
    rate = np.minimum(rng.beta(*ABSENCE_BETA, size) * factor, 1.0)
    absent = rng.binomial(possible, rate)
    mean = np.where(has_sen, ATTAINMENT8_MEAN_SEN, ATTAINMENT8_MEAN)
    score = np.clip(rng.normal(mean, ATTAINMENT8_SD), 0.0, ATTAINMENT8_MAX).round(1)
    return {
        "fsm": fsm,
        "year_group": group,
        "sessions_possible": possible,
        "sessions_absent": absent,
        "attainment8": np.where(group == YEAR_11, score, np.nan),
    }


def _to_table(arrays: dict[str, np.ndarray]) -> pa.Table:
    def column(name: str, kind: pa.DataType) -> pa.Array:
        values = arrays[name]
        if name == "sen_type_1":
            return pa.array(values, type=kind, mask=values == "")
        if name == "attainment8":
            return pa.array(values, type=kind, mask=np.isnan(values))
        return pa.array(values, type=kind)

    return pa.table([column(f.name, f.type) for f in SCHOOL_SCHEMA], schema=SCHOOL_SCHEMA)
