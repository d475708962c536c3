"""The "what leaves" manifest: every item of a return and the form in which it leaves.

Built from the pseudonymiser's own treatment table and the statistics-only policy,
so it cannot disagree with what is sent. It goes into every submission, is shown to
the data officer before sealing, and is the source for privacy notices.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.compute as pc

from safepupil.collection.model import ParsedReturn
from safepupil.collection.policy import StatisticsOnlyPolicy, WithheldItem
from safepupil.collection.pseudonymise import HEADER_TREATMENTS, TREATMENTS, withhold_codes

MANIFEST_FORMAT = 1
# How breakdowns read in plain words; any other item reads as its name.
BREAKDOWN_WORDS = {"age_band": "age band on census day", "sen_provision": "SEN provision"}


@dataclass(frozen=True)
class ManifestItem:
    item: str
    leaves: bool
    leaves_as: str
    columns: tuple[str, ...]  # columns of records.parquet that carry it; () if none
    aggregated_codes: tuple[str, ...] = ()  # codes that leave only inside protected counts


@dataclass(frozen=True)
class ReturnCounts:
    """This return's figures for the officer: how many pupils, how many values withheld."""

    pupils: int
    withheld: tuple[tuple[str, int], ...]  # (item, records whose value is withheld)


@dataclass(frozen=True)
class Manifest:
    items: tuple[ManifestItem, ...]
    policy: StatisticsOnlyPolicy
    counts: ReturnCounts | None = None

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(column for item in self.items for column in item.columns)

    def item(self, name: str) -> ManifestItem:
        return next(entry for entry in self.items if entry.item == name)

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "format": MANIFEST_FORMAT,
            "items": [
                {
                    "item": entry.item,
                    "leaves": entry.leaves,
                    "leaves_as": entry.leaves_as,
                    "columns": list(entry.columns),
                    "aggregated_codes": list(entry.aggregated_codes),
                }
                for entry in self.items
            ],
            "statistics_only_policy": {"source": self.policy.source, **self.policy.to_dict()},
        }
        if self.counts is not None:
            body["counts"] = {
                "pupils": self.counts.pupils,
                "withheld": dict(self.counts.withheld),
            }
        return body


def build_manifest(policy: StatisticsOnlyPolicy, counts: ReturnCounts | None = None) -> Manifest:
    items = []
    for treatment in (*HEADER_TREATMENTS, *TREATMENTS):
        withheld = policy.withheld_item(treatment.item)
        if withheld is not None:
            items.append(_withheld_entry(withheld, policy))
            continue
        columns = (treatment.output,) if treatment.output else ()
        items.append(ManifestItem(treatment.item, treatment.leaves, treatment.leaves_as, columns))
    return Manifest(items=tuple(items), policy=policy, counts=counts)


def _withheld_entry(withheld: WithheldItem, policy: StatisticsOnlyPolicy) -> ManifestItem:
    codes = ", ".join(withheld.codes)
    by = ", ".join(BREAKDOWN_WORDS.get(b, b.replace("_", " ")) for b in policy.breakdowns)
    zeros = " and zeros" if policy.suppress_zeros else ""
    leaves_as = (
        f"as recorded, except {codes}: those leave only as protected counts by {by} (each "
        f"where it can be protected), cells under {policy.threshold}{zeros} suppressed, with "
        f"an audit proof; {withheld.flag_column} says a value was withheld"
    )
    return ManifestItem(
        item=withheld.item,
        leaves=True,
        leaves_as=leaves_as,
        columns=(withheld.item, withheld.flag_column),
        aggregated_codes=withheld.codes,
    )


def count_return(parsed: ParsedReturn, policy: StatisticsOnlyPolicy) -> ReturnCounts:
    withheld = []
    for item in policy.withheld:
        _, flags = withhold_codes(parsed.records.column(item.item), item.codes)
        withheld.append((item.item, int(pc.sum(flags).as_py() or 0)))
    return ReturnCounts(pupils=parsed.pupil_count, withheld=tuple(withheld))
