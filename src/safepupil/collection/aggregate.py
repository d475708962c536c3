"""Counts of statistics-only items, protected at source before they leave the LA.

Which pupils are counted: those whose value of the item was withheld from the
records (placement reason PRG, MHN, YOF or PHY by default). Not every pupil, and
not the item's other codes, because those are in the records already: the national
side can count them itself, and an audit that treated them as hidden would be wrong.

What the national side already knows: the records flag each withheld pupil, with
their sex, birth month and SEN provision. So the size of every group the tables
break down by (withheld girls, withheld pupils aged 14-15, ...) is known. Those
margins are passed to ``protect_linked_counts`` as public cells: never hidden, and
fixed in the audit, as the attacker has them. Zeros are suppressed too (policy),
since "none of the 12 withheld girls is MHN, YOF or PHY" says the 12 are PRG.

Which tables: the item crossed with each breakdown, linked through the item's
margin: (reason x sex), (reason x age band), (reason x SEN provision). The full
cross (4 x 3 x 4 x 4 cells for a few dozen pupils per LA) would be all suppressed.
A breakdown with a group smaller than the threshold cannot be protected (its size is
public and small), so it is left out; if no breakdown can be published the item's
one-way counts are tried; if fewer pupils than the threshold were withheld, nothing
is published. Each aggregate says which tables it publishes and why others are not.

Limit: with more than one breakdown the records also reveal the joint distribution
(sex x age band x SEN provision) of withheld pupils, which the audit does not model
(``protect_linked_counts`` takes public cells of published tables only). See
docs/keys.md, "What leaves the LA, and statistics-only items".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.model import ParsedReturn
from safepupil.collection.policy import (
    AGE_BAND,
    CODED_ITEMS,
    AgeBand,
    StatisticsOnlyPolicy,
    WithheldItem,
)
from safepupil.collection.pseudonymise import withhold_codes
from safepupil.disclosure.frequency import protect_linked_counts
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.release import ProtectedRelease
from safepupil.disclosure.tables import Dimension
from safepupil.domain.census_calendar import age_on
from safepupil.domain.codesets import codeset
from safepupil.errors import DisclosureRefused

# A pupil whose breakdown value is blank, not a code on census day, or whose age is
# outside every band, is counted here rather than dropped, so the margins stay true.
UNKNOWN = "unknown"
TOTAL = "Total"
POPULATION = "pupils whose {item} was withheld from the records"
SMALL_GROUP = (
    "a group of withheld pupils by {by} is smaller than {threshold}, "
    "and its size is known from the records"
)
UNPROTECTABLE = "no pattern of suppression protects every cell"
TOO_FEW = "fewer than {threshold} pupils withheld"

Table = tuple[str, ...]


@dataclass(frozen=True)
class WithheldAggregate:
    """One statistics-only item's protected tables (``release`` None: nothing published)."""

    item: str
    codes: tuple[str, ...]
    reference_date: dt.date
    pupils: int  # pupils counted; equal to the records' withheld flags, so not secret
    release: ProtectedRelease | None
    tables: tuple[Table, ...] = ()  # the tables published
    not_published: tuple[tuple[str, str], ...] = ()  # (breakdown, why)

    @property
    def cells(self) -> int:
        return len({cell.identity for cell in self.release.cells}) if self.release else 0

    @property
    def suppressed(self) -> int:
        return self.release.suppressed_count if self.release else 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: released cells, suppressed ones as the symbol, and the audit proof."""
        return {
            "item": self.item,
            "codes": list(self.codes),
            "population": POPULATION.format(item=self.item),
            "age_on": self.reference_date.isoformat(),
            "tables": [list(table) for table in self.tables],
            "not_published": [{"by": by, "why": why} for by, why in self.not_published],
            "cells": self.release.to_rows() if self.release else [],
            "audit": self.release.audit.to_dict() if self.release else None,
        }


def aggregate_withheld(
    parsed: ParsedReturn, policy: StatisticsOnlyPolicy
) -> tuple[WithheldAggregate, ...]:
    """Protected counts for every statistics-only item of the policy."""
    return tuple(_aggregate_item(parsed, withheld, policy) for withheld in policy.withheld)


def _aggregate_item(
    parsed: ParsedReturn, withheld: WithheldItem, policy: StatisticsOnlyPolicy
) -> WithheldAggregate:
    day = parsed.header.reference_date
    counts = withheld_counts(parsed.records, withheld, policy, day)
    dimensions = breakdown_dimensions(withheld, policy, day, counts)
    release, tables, not_published = protect_with_fallback(counts, dimensions, policy)
    return WithheldAggregate(
        item=withheld.item,
        codes=withheld.codes,
        reference_date=day,
        pupils=sum(counts.values()),
        release=release,
        tables=tables,
        not_published=not_published,
    )


def protect_with_fallback(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    policy: StatisticsOnlyPolicy,
) -> tuple[ProtectedRelease | None, tuple[Table, ...], tuple[tuple[str, str], ...]]:
    """As many breakdowns as can be protected together, else the item's counts alone.

    Breakdowns are added one at a time in policy order, each kept only if the linked
    tables so far can still be protected. Returns the release (None when nothing can be
    published), its tables, and each breakdown left out with the reason.
    """
    item = dimensions[0].name
    if sum(counts.values()) < policy.threshold:
        return None, (), ((item, TOO_FEW.format(threshold=policy.threshold)),)
    skipped: list[tuple[str, str]] = []
    chosen: list[str] = []
    release = None
    for position, dimension in enumerate(dimensions[1:], start=1):
        if min(group_sizes(counts, position).values()) < policy.threshold:
            by = dimension.name
            skipped.append((by, SMALL_GROUP.format(by=by, threshold=policy.threshold)))
            continue
        tables = tuple((item, name) for name in (*chosen, dimension.name))
        try:
            release = _protect(counts, dimensions, tables, policy)
        except DisclosureRefused:
            skipped.append((dimension.name, UNPROTECTABLE))
            continue
        chosen.append(dimension.name)
    if release is not None:
        return release, tuple((item, name) for name in chosen), tuple(skipped)
    try:
        return _protect(counts, dimensions, ((item,),), policy), ((item,),), tuple(skipped)
    except DisclosureRefused:
        return None, (), (*skipped, (item, UNPROTECTABLE))


def group_sizes(counts: Mapping[tuple[str, ...], int], position: int) -> dict[str, int]:
    """Pupils per code of one breakdown: the margin the records already reveal."""
    sizes: Counter[str] = Counter()
    for key, count in counts.items():
        sizes[key[position]] += count
    return dict(sizes)


def known_cells(
    dimensions: Sequence[Dimension], tables: Sequence[Table]
) -> list[tuple[Table, tuple[str, ...]]]:
    """The cells the records reveal: the item's Total in every row of every table."""
    by_name = {d.name: d for d in dimensions}
    known: list[tuple[Table, tuple[str, ...]]] = []
    for table in tables:
        if len(table) == 1:
            known.append((table, (TOTAL,)))
            continue
        breakdown = by_name[table[1]]
        known += [(table, (TOTAL, code)) for code in (*breakdown.codes, breakdown.total)]
    return known


def withheld_counts(
    records: pa.Table, withheld: WithheldItem, policy: StatisticsOnlyPolicy, day: dt.date
) -> dict[tuple[str, ...], int]:
    """Counts over (item, *breakdowns) of the records whose item value is withheld."""
    _, flags = withhold_codes(records.column(withheld.item), withheld.codes)
    chosen = records.filter(flags)
    item_values = _normalised(chosen.column(withheld.item))
    columns = [_breakdown_values(chosen, name, policy, day) for name in policy.breakdowns]
    return dict(Counter(zip(item_values, *columns, strict=True)))


def breakdown_dimensions(
    withheld: WithheldItem,
    policy: StatisticsOnlyPolicy,
    day: dt.date,
    counts: Mapping[tuple[str, ...], int],
) -> tuple[Dimension, ...]:
    """The item's dimension (every withheld code), then one per breakdown.

    A breakdown lists only the codes some withheld pupil has (in codeset order): an
    empty group would be a zero the records already reveal, not a secret to protect.
    """
    dimensions = [Dimension(withheld.item, withheld.codes, total=TOTAL)]
    for position, name in enumerate(policy.breakdowns, start=1):
        seen = {key[position] for key in counts}
        codes = [code for code in (*_breakdown_codes(name, policy, day), UNKNOWN) if code in seen]
        dimensions.append(Dimension(name, tuple(codes or (UNKNOWN,)), total=TOTAL))
    return tuple(dimensions)


def _breakdown_codes(name: str, policy: StatisticsOnlyPolicy, day: dt.date) -> tuple[str, ...]:
    if name == AGE_BAND:
        return tuple(band.label for band in policy.age_bands)
    return tuple(code.code for code in codeset(CODED_ITEMS[name]) if code.is_valid_on(day))


def _breakdown_values(
    records: pa.Table, name: str, policy: StatisticsOnlyPolicy, day: dt.date
) -> list[str]:
    if name == AGE_BAND:
        return [age_band(dob, day, policy.age_bands) for dob in records.column("dob").to_pylist()]
    known = set(_breakdown_codes(name, policy, day))
    return [value if value in known else UNKNOWN for value in _normalised(records.column(name))]


def _normalised(column: pa.ChunkedArray) -> list[str]:
    values = pc.utf8_upper(pc.utf8_trim_whitespace(column)).to_pylist()
    return [UNKNOWN if value is None else value for value in values]


def age_band(dob: str | None, day: dt.date, bands: Sequence[AgeBand]) -> str:
    """The label of the band holding the age on ``day`` of a pupil born on ``dob``."""
    try:
        born = dt.date.fromisoformat(dob.strip()) if dob else None
    except ValueError:
        born = None
    if born is None:
        return UNKNOWN
    age = age_on(born.year, born.month, born.day, day)
    return next((band.label for band in bands if band.contains(age)), UNKNOWN)


def _protect(
    counts: Mapping[tuple[str, ...], int],
    dimensions: Sequence[Dimension],
    tables: Sequence[Table],
    policy: StatisticsOnlyPolicy,
) -> ProtectedRelease:
    frequency_policy = FrequencyPolicy(
        threshold=policy.threshold,
        protection_width=policy.protection_width,
        suppress_zeros=policy.suppress_zeros,
    )
    return protect_linked_counts(
        counts,
        dimensions,
        tables,
        frequency_policy,
        public_cells=known_cells(dimensions, tables),
    )
