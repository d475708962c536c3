"""What the national store holds about one pupil: which items, in what form, whether the
pupil has a value for each, and until when it is kept. Never the values themselves.

Why no values: the person holding an access code may be a parent rather than the pupil,
and a placement reason can be pregnancy, mental health or offending; a pupil's own
values are for the LA that recorded them (a subject access request), which holds them
with names. Even whether a placement reason was withheld (so is one of the sensitive
reasons) is not shown: the item reads "held" whether it is on the record or was withheld.

Values never leave DuckDB: the store is asked for counts of non-null values only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from safepupil.collection.policy import CODED_ITEMS, StatisticsOnlyPolicy, WithheldItem
from safepupil.domain.codesets import codeset
from safepupil.store.catalogue import Catalogue, Dataset, Item
from safepupil.store.pupil_store import quoted
from safepupil.store.retention import expires_on

# ruff: noqa: S608 - identifiers come from the catalogue through quoted(); values are bound

WITHHELD_SUFFIX = "_withheld"
RECORD_LEVEL = "on the pupil's record (pseudonymised: no name, address or UPN)"


@dataclass(frozen=True)
class HeldItem:
    dataset: str
    item: str
    description: str
    form: str  # in plain words: on the record, or statistics only for some codes
    has_value: bool  # False too once the item is past retention (the store masks it)
    expires_on: dt.date  # the first day it is no longer held (store.retention)

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "item": self.item,
            "description": self.description,
            "form": self.form,
            "has_value": self.has_value,
            "expires_on": self.expires_on.isoformat(),
        }


def find_pupil_id(store: duckdb.DuckDBPyConnection, token: str) -> int | None:
    row = store.execute("SELECT pupil_id FROM pupils WHERE pupil_token = ?", [token]).fetchone()
    return None if row is None else int(row[0])


def held_items(
    store: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    policy: StatisticsOnlyPolicy,
    pupil_id: int,
) -> tuple[HeldItem, ...]:
    """Every item of every dataset holding a record of the pupil."""
    views = _views(store)
    held: list[HeldItem] = []
    for dataset in catalogue.datasets:
        if dataset.name in views:
            held.extend(_dataset_items(store, dataset, policy, pupil_id))
    return tuple(held)


def pupil_las(store: duckdb.DuckDBPyConnection, catalogue: Catalogue, pupil_id: int) -> set[str]:
    """The LAs whose returns (or placements) hold the pupil, in current versions."""
    views = _views(store)
    las: set[str] = set()
    for dataset in catalogue.datasets:
        if dataset.name not in views:
            continue
        for name in ("la", "placement_la"):
            if any(item.name == name for item in dataset.items):
                rows = store.execute(
                    f"SELECT DISTINCT {quoted(name)} FROM {quoted(dataset.name)} "
                    "WHERE pupil_id = ?",
                    [pupil_id],
                ).fetchall()
                las |= {str(row[0]) for row in rows if row[0] is not None}
    return las


def _views(store: duckdb.DuckDBPyConnection) -> set[str]:
    rows = store.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return {str(row[0]) for row in rows}


def _dataset_items(
    store: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    policy: StatisticsOnlyPolicy,
    pupil_id: int,
) -> list[HeldItem]:
    shown = [i for i in dataset.items if i.is_queryable and not _is_withheld_flag(i, dataset)]
    counts = [f"count({quoted(i.name)})" for i in shown]
    flags = [f"count_if({quoted(f.name)})" for f in _flags(dataset)]
    row = store.execute(
        f"SELECT count(*), {', '.join(counts + flags) or '0'} FROM {quoted(dataset.name)} "
        "WHERE pupil_id = ?",
        [pupil_id],
    ).fetchone()
    if row is None or not row[0]:
        return []
    values = dict(zip([i.name for i in shown], row[1 : 1 + len(shown)], strict=True))
    withheld = dict(zip([f.name for f in _flags(dataset)], row[1 + len(shown) :], strict=True))
    return [
        HeldItem(
            dataset=dataset.name,
            item=item.name,
            description=item.description,
            form=_form(item, policy),
            has_value=bool(values[item.name]) or bool(withheld.get(item.name + WITHHELD_SUFFIX)),
            expires_on=expires_on(dataset, item),
        )
        for item in shown
    ]


def _flags(dataset: Dataset) -> list[Item]:
    return [i for i in dataset.items if _is_withheld_flag(i, dataset)]


def _is_withheld_flag(item: Item, dataset: Dataset) -> bool:
    base = item.name.removesuffix(WITHHELD_SUFFIX)
    return item.name.endswith(WITHHELD_SUFFIX) and any(i.name == base for i in dataset.items)


def _form(item: Item, policy: StatisticsOnlyPolicy) -> str:
    withheld = policy.withheld_item(item.name)
    if withheld is None:
        return RECORD_LEVEL
    return statistics_only_words(withheld)


def statistics_only_words(withheld: WithheldItem) -> str:
    labels = withheld_labels(withheld)
    return (
        f"{RECORD_LEVEL}, except {labels}: those never leave the LA on a pupil's record, "
        "only as counts of pupils protected so that no one can be picked out"
    )


def withheld_labels(withheld: WithheldItem) -> str:
    """The withheld codes in words: "pregnancy or young parent, ... and young offender"."""
    known = codeset(CODED_ITEMS[withheld.item])
    words = [_lower_first(known.label(code)) for code in withheld.codes]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
