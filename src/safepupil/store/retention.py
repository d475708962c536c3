"""Retention rules: when each item of a dataset stops being held.

An item is kept for its catalogue ``retention_years`` counted from the census day of
its collection year (``domain.census_calendar.census_day``). From ``expires_on`` (that
day plus the years, inclusive) the item is past retention: the dataset views mask it
(they compare with the current date when a query runs), the release pipeline refuses
a query that names it, and ``safepupil retention apply`` removes it from storage.
Pure rules: no I/O, so the views, the pipeline and the apply step agree by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from safepupil.domain.census_calendar import census_day
from safepupil.errors import ConfigError, PermissionDenied
from safepupil.store.catalogue import Dataset, Item

RETENTION_RULE = "item-expired"


def collection_year(dataset: Dataset) -> int:
    """The census year of a dataset named ``<family>_<year>`` (ap_census_2018 -> 2018)."""
    tail = dataset.name.rsplit("_", 1)[-1]
    if not tail.isdigit():
        raise ConfigError(f"dataset {dataset.name} names no census year, so no retention")
    return int(tail)


def expires_on(dataset: Dataset, item: Item) -> dt.date:
    """The first day ``item`` of ``dataset`` is no longer held."""
    start = census_day(collection_year(dataset))
    # Census day is in January, so adding whole years never meets 29 February.
    return start.replace(year=start.year + item.retention_years)


def is_expired(dataset: Dataset, item: Item, on: dt.date) -> bool:
    return on >= expires_on(dataset, item)


@dataclass(frozen=True)
class Expired:
    dataset: str
    item: str
    expired_on: dt.date


def expired_items(
    dataset: Dataset, on: dt.date, names: Iterable[str] | None = None
) -> list[Expired]:
    """The items of ``dataset`` (or of ``names`` among them) past retention on ``on``."""
    wanted = None if names is None else set(names)
    return [
        Expired(dataset.name, item.name, expires_on(dataset, item))
        for item in dataset.items
        if (wanted is None or item.name in wanted) and is_expired(dataset, item, on)
    ]


def expired_refusal(expired: list[Expired]) -> PermissionDenied:
    """The refusal for a use of items past retention: which, since when, what to do."""
    named = ", ".join(f"{e.item} (since {e.expired_on.isoformat()})" for e in expired)
    return PermissionDenied(
        f"{RETENTION_RULE}: {named} of {expired[0].dataset} passed the retention period "
        "and is no longer held",
        hint="leave these items out of the query; the catalogue lists each item's retention",
    )
