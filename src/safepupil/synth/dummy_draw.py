"""Drawn dummy rows: latent values following the synthetic census marginals.

The same marginals and shapes as ``synth`` (mostly older boys with EHC plans in AP;
school pupils by year group; SEN types only for pupils with SEN; the most sensitive
placement reasons rare, and withheld at source as the real store has them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import LocalAuthority
from safepupil.store.catalogue import Dataset, Item
from safepupil.synth.ap_census import AP_AGE_WEIGHTS, SECONDARY_NEED_SHARE
from safepupil.synth.dummy_model import (
    AGE,
    AP_POPULATION,
    DOB,
    MISSING,
    NO_SEN,
    PROVIDER_KIND,
    PROVIDER_KINDS,
    REGIONAL_VARIANTS,
    SEN_PROVISION,
    SEN_TYPE_1,
    SEN_TYPE_2,
    SETTING_KIND,
    SETTING_TYPE,
    SEX,
    WITHHELD,
    YEAR_GROUP,
    Latent,
    census_year,
    codes_of,
    free_boolean_items,
    free_code_items,
    has_item,
    population,
    withheld_codes,
)
from safepupil.synth.identities import age_on, dob_for_age, dob_for_year_group
from safepupil.synth.marginals import has_marginal, marginal
from safepupil.synth.placements import PROVIDER_BY_UKPRN_SHARE, PROVIDER_BY_URN_SHARE
from safepupil.synth.school_census import FSM_SHARE, YEAR_GROUP_WEIGHTS
from safepupil.synth.streams import pick

PROVIDER_SHARES = (
    PROVIDER_BY_URN_SHARE,
    PROVIDER_BY_UKPRN_SHARE,
    1 - PROVIDER_BY_URN_SHARE - PROVIDER_BY_UKPRN_SHARE,
)
BOOLEAN_SHARES = {"fsm": FSM_SHARE}  # share of True; other booleans are even
EVEN_SHARE = 0.5

Values = dict[str, np.ndarray]


def draw_rows(
    dataset: Dataset,
    la_index: np.ndarray,
    las: Sequence[LocalAuthority],
    rng: np.random.Generator,
) -> Latent:
    """Latent values for rows in the LAs at ``la_index``, drawn from the marginals."""
    size = len(la_index)
    values: Values = {}
    if has_item(dataset, SEX):
        values[SEX] = _draw_item(dataset, dataset.item(SEX), rng, la_index, las, {})
    values |= _ages(dataset, rng, size)
    values |= _sen(dataset, rng, size)
    values |= _providers(dataset, rng, values)
    for name, codes in withheld_codes(dataset).items():
        drawn = _draw_item(dataset, dataset.item(name), rng, la_index, las, values)
        values[name] = np.where(np.isin(drawn, list(codes)), WITHHELD, drawn)
    for item in free_code_items(dataset):
        values[item.name] = _draw_item(dataset, item, rng, la_index, las, values)
    for item in free_boolean_items(dataset):
        share = BOOLEAN_SHARES.get(item.name, EVEN_SHARE)
        values[item.name] = rng.random(size) < share
    return Latent(la_index=la_index, values=values, designed=np.zeros(size, dtype=bool))


def _ages(dataset: Dataset, rng: np.random.Generator, size: int) -> Values:
    """AP pupils by age on census day (peaking at 15); school pupils by year group."""
    day = census_day(census_year(dataset))
    if population(dataset) == AP_POPULATION:
        ages = np.array(list(AP_AGE_WEIGHTS))
        age = ages[pick(rng, np.array(list(AP_AGE_WEIGHTS.values())), size)]
        dob = dob_for_age(rng, age, day)
        return {AGE: age, DOB: dob}
    group = pick(rng, YEAR_GROUP_WEIGHTS, size)
    dob = dob_for_year_group(rng, group, census_year(dataset))
    return {YEAR_GROUP: group, AGE: age_on(dob, day), DOB: dob}


def _sen(dataset: Dataset, rng: np.random.Generator, size: int) -> Values:
    if not has_item(dataset, SEN_PROVISION):
        return {}
    day, group = dataset.reference_date, population(dataset)
    provision = marginal("sen_provision", group, day).draw(rng, size)
    has_sen = provision != NO_SEN
    needs = marginal("sen_type", group, day)
    first, second = needs.draw(rng, size), needs.draw(rng, size)
    values = {SEN_PROVISION: provision}
    if has_item(dataset, SEN_TYPE_1):
        values[SEN_TYPE_1] = np.where(has_sen, first, MISSING)
    if has_item(dataset, SEN_TYPE_2):
        has_second = has_sen & (rng.random(size) < SECONDARY_NEED_SHARE) & (second != first)
        values[SEN_TYPE_2] = np.where(has_second, second, MISSING)
    return values


def _providers(dataset: Dataset, rng: np.random.Generator, values: Values) -> Values:
    """How each AP provider is identified (URN, UKPRN, or else a setting type)."""
    if not has_item(dataset, SETTING_TYPE):
        return {}
    size = len(values[AGE])
    kind = np.array(PROVIDER_KINDS)[pick(rng, np.array(PROVIDER_SHARES), size)]
    setting = marginal("ap_setting_type", population(dataset), dataset.reference_date).draw(
        rng, size, age=values[AGE]
    )
    return {PROVIDER_KIND: kind, SETTING_TYPE: np.where(kind == SETTING_KIND, setting, MISSING)}


def _draw_item(
    dataset: Dataset,
    item: Item,
    rng: np.random.Generator,
    la_index: np.ndarray,
    las: Sequence[LocalAuthority],
    values: Values,
) -> np.ndarray:
    """Codes of one item from its marginal (a regional one where the region has its
    own, as London's ethnicity), or evenly when the marginals do not weight it."""
    size, group, name = len(la_index), population(dataset), item.codeset or ""
    if not has_marginal(name, group):
        codes = np.array(codes_of(dataset, item))
        even: np.ndarray = codes[rng.integers(0, len(codes), size)]
        return even
    drawn = _marginal_draw(dataset, name, group, rng, size, values)
    for region, suffix in REGIONAL_VARIANTS.items():
        if not has_marginal(name, group + suffix):
            continue
        in_region = np.array([la.region == region for la in las])[la_index]
        regional = _marginal_draw(dataset, name, group + suffix, rng, size, values)
        drawn = np.where(in_region, regional, drawn)
    return drawn


def _marginal_draw(
    dataset: Dataset,
    name: str,
    group: str,
    rng: np.random.Generator,
    size: int,
    values: Values,
) -> np.ndarray:
    return marginal(name, group, dataset.reference_date).draw(
        rng, size, sex=values.get(SEX), age=values.get(AGE)
    )
