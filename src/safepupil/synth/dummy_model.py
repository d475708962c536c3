"""What dummy rows are made of before they become catalogue columns, and the facts about
a dataset that shape them: its population, its coded items and its withheld codes.

Dummy rows are first made as *latent* values (codes, ages, dates of birth, the kind of
AP provider), some drawn from the synthetic census marginals and some laid out by
design so that every code appears in every LA (``dummy_design``). ``dummy_render`` then
turns them into the dataset's catalogue columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy
from safepupil.domain.codesets import codeset
from safepupil.store.catalogue import LA_CODESET, Dataset, Item

AP_POPULATION = "ap"  # the populations of synth/data/marginals.csv
SCHOOL_POPULATION = "school"
REGIONAL_VARIANTS = {"London": "_london"}  # a region with its own marginal, when one exists

# Latent values that are not catalogue items.
DOB = "dob"  # datetime64[D]; only year and month reach the dummy table, as in the store
AGE = "age"  # whole years on census day
PROVIDER_KIND = "provider_kind"
PROVIDER_KINDS = ("urn", "ukprn", "setting")  # how an AP provider is identified
SETTING_KIND = "setting"  # ... no URN nor UKPRN: the setting type is given instead

# Items with structure between them, shaped together rather than one by one.
SEX = "sex"
SEN_PROVISION = "sen_provision"
SEN_TYPE_1 = "sen_type_1"
SEN_TYPE_2 = "sen_type_2"
NO_SEN = "N"  # the SEN provision of a pupil with no SEN, and so no SEN type
SETTING_TYPE = "ap_setting_type"
YEAR_GROUP = "year_group"
STRUCTURED = frozenset({SEX, SEN_PROVISION, SEN_TYPE_1, SEN_TYPE_2, SETTING_TYPE, YEAR_GROUP})

# The latent value of a statistics-only item whose code the LA withheld: in the store the
# item is then null and its ``<item>_withheld`` flag true.
WITHHELD = "<withheld>"
MISSING = ""  # a missing latent code


@dataclass(frozen=True)
class Latent:
    """Latent values of dummy rows: one array per name, each as long as ``la_index``."""

    la_index: np.ndarray  # position of the row's LA in the LAs of the reference date
    values: Mapping[str, np.ndarray]
    designed: np.ndarray  # True for rows of the guarantee block

    @property
    def size(self) -> int:
        return len(self.la_index)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values

    @staticmethod
    def concat(parts: Sequence[Latent]) -> Latent:
        names = parts[0].values.keys()
        return Latent(
            la_index=np.concatenate([p.la_index for p in parts]),
            values={n: np.concatenate([p.values[n] for p in parts]) for n in names},
            designed=np.concatenate([p.designed for p in parts]),
        )


def population(dataset: Dataset) -> str:
    """Which marginals the dataset's pupils follow: AP pupils are not school pupils."""
    return AP_POPULATION if dataset.name.startswith("ap_") else SCHOOL_POPULATION


def census_year(dataset: Dataset) -> int:
    return dataset.reference_date.year


def has_item(dataset: Dataset, name: str) -> bool:
    return any(i.name == name for i in dataset.items)


def codes_of(dataset: Dataset, item: Item) -> tuple[str, ...]:
    """The item's codes valid on the reference date, in codeset order."""
    if item.codeset is None or item.codeset == LA_CODESET:
        return ()
    day = dataset.reference_date
    return tuple(c.code for c in codeset(item.codeset) if c.is_valid_on(day))


def withheld_codes(
    dataset: Dataset, policy: StatisticsOnlyPolicy | None = None
) -> dict[str, frozenset[str]]:
    """Statistics-only items whose codes the LA withholds, with those codes: the store
    holds such records with the item null and ``<item>_withheld`` true."""
    chosen = policy or _default_policy()
    found: dict[str, frozenset[str]] = {}
    for item in dataset.items:
        withheld = chosen.withheld_item(item.name) if item.statistics_only else None
        if withheld is not None and has_item(dataset, withheld.flag_column):
            found[item.name] = frozenset(withheld.codes)
    return found


def withheld_flags(dataset: Dataset) -> dict[str, str]:
    """flag item -> the item whose withholding it records."""
    return {f"{name}_withheld": name for name in withheld_codes(dataset)}


def free_code_items(dataset: Dataset) -> list[Item]:
    """Coded items drawn and laid out on their own, each independent of the others."""
    withheld = withheld_codes(dataset)
    return [
        item
        for item in dataset.items
        if codes_of(dataset, item) and item.name not in STRUCTURED and item.name not in withheld
    ]


def free_boolean_items(dataset: Dataset) -> list[Item]:
    flags = withheld_flags(dataset)
    return [i for i in dataset.items if i.type == "boolean" and i.name not in flags]


@cache
def _default_policy() -> StatisticsOnlyPolicy:
    return default_policy()
