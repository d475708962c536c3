"""The guarantee block: rows laid out so that every code appears in every LA.

Real rare combinations (a girl placed for a rare reason in the smallest LA) would be
missing from any affordable random sample, and a researcher trying a query on dummy data
would see an empty table and not know whether the query or the data was at fault. So
each LA gets a block of designed rows in *pairs*, one girl and one boy sharing their
codes, in which every code of every coded item (and every age or year group) appears:
so every code appears in every LA at least once among girls and once among boys. A
few rows per LA carry the other sex codes (U). Each item's codes are spread over the
pairs in their own random order, so the block has no pattern across items.

Items that depend on others are laid out over the pairs where they can hold a value:
SEN types over pairs with SEN provision, the setting type over pairs whose provider has
neither URN nor UKPRN, and ages last, old enough for any code that needs it. A withheld
statistics-only code appears as its withheld state. How many pairs it takes depends only
on how many values each item has, never on the random order, so it is found once by trial.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from safepupil.domain.census_calendar import census_day
from safepupil.errors import InternalError
from safepupil.store.catalogue import Dataset
from safepupil.synth.ap_census import AP_AGE_WEIGHTS
from safepupil.synth.dummy_model import (
    AGE,
    AP_POPULATION,
    DOB,
    MISSING,
    NO_SEN,
    PROVIDER_KIND,
    PROVIDER_KINDS,
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
from safepupil.synth.school_census import YEAR_GROUP_WEIGHTS

PAIRED_SEXES = ("F", "M")  # every code appears among girls and among boys
ROWS_PER_OTHER_SEX = 2  # rows per LA for each other sex code (U)
MOST_PAIRS = 1_000  # far beyond any codeset: a design needing more is a bug
DESIGN_PROBE_SEED = 0  # how many pairs are needed does not depend on the random order

Grid = dict[str, np.ndarray]  # name -> (LAs x pairs) array of latent values


def design_rows(dataset: Dataset, n_las: int, rng: np.random.Generator) -> Latent:
    """The guarantee block of every LA, LA by LA."""
    pairs = pairs_needed(dataset)
    grid, _ = _grid(dataset, n_las, pairs, rng)
    sexes, others = _sexes(dataset)
    copies = [(sex, slice(0, pairs)) for sex in sexes or (None,)]
    copies += [(sex, slice(0, ROWS_PER_OTHER_SEX)) for sex in others]
    values = {n: np.concatenate([v[:, s] for _, s in copies], axis=1) for n, v in grid.items()}
    if sexes:
        values[SEX] = np.concatenate(
            [np.full((n_las, s.stop - s.start), sex) for sex, s in copies], axis=1
        )
    per_la = next(iter(values.values())).shape[1]
    flat = {name: v.reshape(-1) for name, v in values.items()}
    flat |= _dates_of_birth(dataset, flat, rng)
    return Latent(
        la_index=np.repeat(np.arange(n_las), per_la),
        values=flat,
        designed=np.ones(n_las * per_la, dtype=bool),
    )


def rows_per_la(dataset: Dataset) -> int:
    sexes, others = _sexes(dataset)
    return pairs_needed(dataset) * max(len(sexes), 1) + ROWS_PER_OTHER_SEX * len(others)


@cache
def pairs_needed(dataset: Dataset) -> int:
    """The fewest pairs per LA in which every required value appears."""
    probe = np.random.default_rng(DESIGN_PROBE_SEED)
    _, required = _grid(dataset, 1, 1, probe)
    start = max((len(v) for v in required.values()), default=1)
    for pairs in range(start, MOST_PAIRS):
        grid, required = _grid(dataset, 1, pairs, probe)
        if all(set(required[n]) <= set(grid[n][0].tolist()) for n in required):
            return pairs
    raise InternalError(f"no guarantee block of fewer than {MOST_PAIRS} pairs fits {dataset.name}")


def _sexes(dataset: Dataset) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The sex codes given a full copy of the pairs, and the others (a few rows each)."""
    if not has_item(dataset, SEX):
        return (), ()
    codes = codes_of(dataset, dataset.item(SEX))
    paired = tuple(c for c in PAIRED_SEXES if c in codes)
    return paired, tuple(c for c in codes if c not in paired)


def _grid(
    dataset: Dataset, n_las: int, pairs: int, rng: np.random.Generator
) -> tuple[Grid, dict[str, tuple[object, ...]]]:
    """Each latent value over (LAs x pairs), and the values each must show in every LA."""
    layout = _Layout(rng, n_las, pairs)
    grid: Grid = {}
    required: dict[str, tuple[object, ...]] = {}

    def spread(name: str, values: tuple[object, ...]) -> None:
        grid[name], required[name] = layout.spread(values), values

    if population(dataset) != AP_POPULATION:
        spread(YEAR_GROUP, tuple(range(len(YEAR_GROUP_WEIGHTS))))
    if has_item(dataset, SEN_PROVISION):
        spread(SEN_PROVISION, codes_of(dataset, dataset.item(SEN_PROVISION)))
        _sen_types(dataset, layout, grid, required)
    if has_item(dataset, SETTING_TYPE):
        spread(PROVIDER_KIND, PROVIDER_KINDS)
        settings = codes_of(dataset, dataset.item(SETTING_TYPE))
        grid[SETTING_TYPE] = layout.spread_over(settings, grid[PROVIDER_KIND] == SETTING_KIND)
        required[SETTING_TYPE] = settings
    for name, withheld in withheld_codes(dataset).items():
        kept = [c for c in codes_of(dataset, dataset.item(name)) if c not in withheld]
        spread(name, (*kept, WITHHELD))
    for item in free_code_items(dataset):
        spread(item.name, codes_of(dataset, item))
    for item in free_boolean_items(dataset):
        spread(item.name, (True, False))
    if population(dataset) == AP_POPULATION:
        grid[AGE], required[AGE] = _ages(dataset, layout, grid), tuple(AP_AGE_WEIGHTS)
    return grid, required


def _ages(dataset: Dataset, layout: _Layout, grid: Grid) -> np.ndarray:
    """Ages on census day, laid out last: a pair holding a code only older pupils can
    have (work-based placements from 14) gets an age old enough for it, and every age
    still appears among the other pairs."""
    youngest = np.zeros(layout.shape, dtype=np.int64)
    for name in grid.keys() & _coded_names(dataset):
        youngest = np.maximum(youngest, _youngest_for(dataset, name, grid[name]))
    ages = np.zeros(layout.shape, dtype=np.int64)
    for lowest in np.unique(youngest):
        allowed = tuple(a for a in AP_AGE_WEIGHTS if a >= lowest)
        chosen = youngest == lowest
        ages = np.where(chosen, layout.spread_over(allowed, chosen), ages)
    return ages


def _coded_names(dataset: Dataset) -> set[str]:
    return {i.name for i in dataset.items if codes_of(dataset, i)}


def _sen_types(
    dataset: Dataset, layout: _Layout, grid: Grid, required: dict[str, tuple[object, ...]]
) -> None:
    """SEN types only where there is SEN provision; a second need always differs from
    the first (it is the next code along), and only as many as it takes to show each."""
    has_sen = grid[SEN_PROVISION] != NO_SEN
    rank = layout.rank_over(has_sen)
    for name, shift in ((SEN_TYPE_1, 0), (SEN_TYPE_2, 1)):
        if not has_item(dataset, name):
            continue
        codes = np.array(codes_of(dataset, dataset.item(name)))
        shown = has_sen if shift == 0 else has_sen & (rank < len(codes))
        grid[name] = np.where(shown, codes[(rank + shift) % len(codes)], MISSING)
        required[name] = tuple(codes.tolist())


class _Layout:
    """Spreads values over each LA's pairs, every LA in its own random order."""

    def __init__(self, rng: np.random.Generator, n_las: int, pairs: int) -> None:
        self.rng, self.shape = rng, (n_las, pairs)

    def spread(self, values: tuple[object, ...]) -> np.ndarray:
        """Value k at the pairs whose random position is k modulo the number of values."""
        order = self.rng.permuted(np.tile(np.arange(self.shape[1]), (self.shape[0], 1)), axis=1)
        spread: np.ndarray = np.array(values)[order % len(values)]
        return spread

    def rank_over(self, eligible: np.ndarray) -> np.ndarray:
        """Each eligible pair's place (0, 1, ...) in a random order of its LA's eligible
        pairs; -1 for the others."""
        keys = np.where(eligible, self.rng.random(self.shape), np.inf)
        order = np.argsort(keys, axis=1, kind="stable")
        rank = np.empty(self.shape, dtype=np.int64)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(self.shape[1]), self.shape), 1)
        ranked: np.ndarray = np.where(eligible, rank, -1)
        return ranked

    def spread_over(self, values: tuple[object, ...], eligible: np.ndarray) -> np.ndarray:
        """Values over the eligible pairs, each as often as the others; MISSING elsewhere
        (or 0, for numbers)."""
        rank = self.rank_over(eligible)
        missing = MISSING if isinstance(values[0], str) else 0
        spread: np.ndarray = np.where(eligible, np.array(values)[rank % len(values)], missing)
        return spread


def _dates_of_birth(
    dataset: Dataset, values: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Dates of birth for the designed ages or year groups."""
    day = census_day(census_year(dataset))
    if YEAR_GROUP in values:
        dob = dob_for_year_group(rng, values[YEAR_GROUP], census_year(dataset))
        return {DOB: dob, AGE: age_on(dob, day)}
    return {AGE: values[AGE], DOB: dob_for_age(rng, values[AGE], day)}


def _youngest_for(dataset: Dataset, name: str, codes: np.ndarray) -> np.ndarray:
    """The youngest age each code is plausible at, from the marginals' restrictions."""
    item = dataset.item(name)
    youngest = np.zeros(codes.shape, dtype=np.int64)
    if item.codeset is None or not has_marginal(item.codeset, population(dataset)):
        return youngest
    weights = marginal(item.codeset, population(dataset), dataset.reference_date).weights
    for weight in weights:
        if weight.min_age is not None:
            youngest[codes == weight.code] = weight.min_age
    return youngest
