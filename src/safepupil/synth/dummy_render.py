"""Latent dummy values turned into the dataset's catalogue columns, typed as the store
types them (``store.pupil_store.SQL_TYPES``; pinned by the dummy tests).

An item with a renderer of its own gets the shape the synthetic census gives it
(placement dates around the census period, sessions and absence, Attainment 8 in year
11 only); any other item is made from its catalogue type, so a dataset added to the
catalogue has dummy data from the first day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from safepupil.domain.census_calendar import census_period
from safepupil.domain.local_authorities import LocalAuthority
from safepupil.store.catalogue import LA_CODESET, Dataset, Item, ItemType
from safepupil.synth.dummy_model import (
    DOB,
    MISSING,
    NO_SEN,
    PROVIDER_KIND,
    SEN_PROVISION,
    WITHHELD,
    YEAR_GROUP,
    Latent,
    census_year,
    withheld_flags,
)
from safepupil.synth.identities import la_outward_codes
from safepupil.synth.placements import PlacementDates, Providers, draw_placement_dates
from safepupil.synth.placements import draw_providers as draw_provider_numbers
from safepupil.synth.school_census import (
    ABSENCE_BETA,
    ABSENCE_FACTOR_SEN,
    ATTAINMENT8_MAX,
    ATTAINMENT8_MEAN,
    ATTAINMENT8_MEAN_SEN,
    ATTAINMENT8_SD,
    FEWEST_SESSIONS,
    FULL_SESSIONS,
    PART_YEAR_SHARE,
    YEAR_11,
)
from safepupil.synth.streams import random_stream

# The Arrow type of each catalogue item type: the store's DuckDB column types.
ARROW_TYPES: Mapping[ItemType, pa.DataType] = {
    "token": pa.string(),
    "code": pa.string(),
    "year_month": pa.string(),
    "date": pa.date32(),
    "integer": pa.int32(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
}
PUPIL_ID_TYPE = pa.int64()  # the store's pupil_id is a BIGINT
# Plausible ranges for items no renderer knows: open codes are six digits, numbers lie
# in 0..100, dates in the year before the reference date.
GENERIC_CODE_DIGITS = 6
GENERIC_NUMBER_RANGE = (0, 100)
GENERIC_DAYS_BEFORE = 365


@dataclass(frozen=True)
class Rendering:
    """What every renderer may read; shared draws are made once, each from its own stream."""

    dataset: Dataset
    latent: Latent
    las: Sequence[LocalAuthority]
    seed: int

    def stream(self, purpose: str) -> np.random.Generator:
        return random_stream(self.seed, f"dummy:{self.dataset.name}:{purpose}")

    @cached_property
    def la_codes(self) -> np.ndarray:
        codes: np.ndarray = np.array([la.code for la in self.las])[self.latent.la_index]
        return codes

    @cached_property
    def placement_dates(self) -> PlacementDates:
        period = census_period(census_year(self.dataset))
        return draw_placement_dates(self.stream("placements"), self.latent[DOB], period)

    @cached_property
    def providers(self) -> Providers:
        counts = np.bincount(self.latent.la_index, minlength=len(self.las))
        return draw_provider_numbers(self.stream("providers"), self.latent.la_index, counts)

    @cached_property
    def sessions(self) -> tuple[np.ndarray, np.ndarray]:
        """Half-day sessions possible and missed in the autumn term (as synth: a long
        tail of persistent absence, more among pupils with SEN)."""
        rng, size = self.stream("sessions"), self.latent.size
        part_year = rng.random(size) < PART_YEAR_SHARE
        possible = np.where(
            part_year, rng.integers(FEWEST_SESSIONS, FULL_SESSIONS + 1, size), FULL_SESSIONS
        )
        factor = np.where(self._has_sen, ABSENCE_FACTOR_SEN, 1.0)
        rate = np.minimum(rng.beta(*ABSENCE_BETA, size) * factor, 1.0)
        return possible, rng.binomial(possible, rate)

    @property
    def _has_sen(self) -> np.ndarray:
        if SEN_PROVISION not in self.latent:
            return np.zeros(self.latent.size, dtype=bool)
        has_sen: np.ndarray = self.latent[SEN_PROVISION] != NO_SEN
        return has_sen


Renderer = Callable[[Rendering, Item], pa.Array]


def render_columns(
    dataset: Dataset, latent: Latent, las: Sequence[LocalAuthority], seed: int
) -> dict[str, pa.Array]:
    """Every catalogue item but the token (which depends on who is the same pupil)."""
    rendering = Rendering(dataset, latent, las, seed)
    flags = withheld_flags(dataset)
    columns: dict[str, pa.Array] = {}
    for item in dataset.items:
        if item.type == "token":
            continue
        if item.name in flags:
            columns[item.name] = pa.array(latent[flags[item.name]] == WITHHELD, pa.bool_())
        else:
            render = _RENDERERS.get(item.name) or _BY_TYPE[item.type]
            columns[item.name] = render(rendering, item).cast(ARROW_TYPES[item.type])
    return columns


def _latent(rendering: Rendering, item: Item) -> pa.Array:
    """A latent value as it is: codes (missing and withheld ones null), booleans, integers."""
    values = rendering.latent[item.name]
    if values.dtype.kind == "U":
        return pa.array(values, pa.string(), mask=(values == MISSING) | (values == WITHHELD))
    return pa.array(values)


def _la(rendering: Rendering, item: Item) -> pa.Array:
    # The AP census records the LA that arranged the placement: the returning LA.
    return pa.array(rendering.la_codes, pa.string())


def _year(rendering: Rendering, item: Item) -> pa.Array:
    return pa.array(np.full(rendering.latent.size, census_year(rendering.dataset)), pa.int32())


def _year_month(rendering: Rendering, item: Item) -> pa.Array:
    months = rendering.latent[DOB].astype("datetime64[M]")
    return pa.array(np.datetime_as_string(months, unit="M"), pa.string())


def _postcode_outward(rendering: Rendering, item: Item) -> pa.Array:
    rng = rendering.stream("postcodes")
    districts = la_outward_codes(rng, rendering.las)
    chosen = rng.integers(0, districts.shape[1], rendering.latent.size)
    return pa.array(districts[rendering.latent.la_index, chosen], pa.string())


def _provider_number(kind: str) -> Renderer:
    def render(rendering: Rendering, item: Item) -> pa.Array:
        numbers = getattr(rendering.providers, kind)
        present = rendering.latent[PROVIDER_KIND] == kind
        return pa.array(numbers.astype(str), pa.string(), mask=~present)

    return render


def _placement_start(rendering: Rendering, item: Item) -> pa.Array:
    return pa.array(rendering.placement_dates.start, pa.date32())


def _placement_end(rendering: Rendering, item: Item) -> pa.Array:
    end = rendering.placement_dates.end
    return pa.array(end, pa.date32(), mask=np.isnat(end))


def _sessions_possible(rendering: Rendering, item: Item) -> pa.Array:
    return pa.array(rendering.sessions[0])


def _sessions_absent(rendering: Rendering, item: Item) -> pa.Array:
    return pa.array(rendering.sessions[1])


def _attainment8(rendering: Rendering, item: Item) -> pa.Array:
    """Attainment 8 in year 11 only, lower on average for pupils with SEN."""
    rng = rendering.stream("attainment8")
    mean = np.where(rendering._has_sen, ATTAINMENT8_MEAN_SEN, ATTAINMENT8_MEAN)
    score = np.clip(rng.normal(mean, ATTAINMENT8_SD), 0.0, ATTAINMENT8_MAX).round(1)
    return pa.array(score, pa.float64(), mask=rendering.latent[YEAR_GROUP] != YEAR_11)


def _code(rendering: Rendering, item: Item) -> pa.Array:
    if item.codeset == LA_CODESET:
        return _la(rendering, item)
    if item.name in rendering.latent:
        return _latent(rendering, item)
    return _generic_code(rendering, item)


def _generic_code(rendering: Rendering, item: Item) -> pa.Array:
    rng = rendering.stream(item.name)
    numbers = rng.integers(0, 10**GENERIC_CODE_DIGITS, rendering.latent.size)
    return pa.array(np.char.zfill(numbers.astype(str), GENERIC_CODE_DIGITS), pa.string())


def _generic_number(rendering: Rendering, item: Item) -> pa.Array:
    low, high = GENERIC_NUMBER_RANGE
    values = rendering.stream(item.name).uniform(low, high, rendering.latent.size)
    return pa.array(values.round() if item.type == "integer" else values.round(1))


def _generic_date(rendering: Rendering, item: Item) -> pa.Array:
    last = np.datetime64(rendering.dataset.reference_date)
    back = rendering.stream(item.name).integers(0, GENERIC_DAYS_BEFORE, rendering.latent.size)
    return pa.array(last - back.astype("timedelta64[D]"), pa.date32())


_RENDERERS: dict[str, Renderer] = {
    "la": _la,
    "placement_la": _la,
    "year": _year,
    "postcode_outward": _postcode_outward,
    "urn": _provider_number("urn"),
    "ukprn": _provider_number("ukprn"),
    "placement_start": _placement_start,
    "placement_end": _placement_end,
    "sessions_possible": _sessions_possible,
    "sessions_absent": _sessions_absent,
    "attainment8": _attainment8,
}
_BY_TYPE: dict[ItemType, Renderer] = {
    "code": _code,
    "boolean": _latent,
    "integer": lambda r, i: _latent(r, i) if i.name in r.latent else _generic_number(r, i),
    "decimal": _generic_number,
    "date": _generic_date,
    "year_month": _year_month,
}
