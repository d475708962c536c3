"""The primary rules a published cell can fail besides its count being small.

    magnitude: a sum or mean dominated by one or two pupils (N-K, p %), or based on too
               few pupils; a median or proportion based on too few pupils
    class:     a sensitive item's code holding its whole group, or a zero in a small group
    differencing: a population within a few pupils of a cell released before

Each cell gets the first reason it fails. Cells failing here become primary
suppressions of the count table, so the secondary search and its audit cover them and
every measure of a hidden cell is hidden with it. Differencing hits are held for review
instead when the policy says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from safepupil.disclosure.class_disclosure import class_reason
from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.disclosure.magnitude import (
    contributor_rule,
    nk_dominance_rule,
    p_percent_rule,
    proportion_rule,
)
from safepupil.disclosure.output_policy import OutputPolicy
from safepupil.query.model import Query
from safepupil.query.nodes import Count, Measure, Median, Proportion, Sum
from safepupil.query.results import Cell, MeasureValue
from safepupil.release.layout import TOTAL, Key, Layout


@dataclass(frozen=True)
class Flags:
    forced: Mapping[Key, str]  # extra primary suppressions, with their reasons
    held: tuple[str, ...]  # reasons to hold the whole release for review


def flag_cells(
    query: Query, layout: Layout, policy: OutputPolicy, earlier: DifferencingIndex
) -> Flags:
    forced: dict[Key, str] = {}
    held: list[str] = []
    for key in layout.published_keys():
        count = layout.value(key)
        if 0 < count < policy.threshold:
            continue  # the frequency rule hides it already
        cell = layout.cells.get(key)
        reason = _measures_reason(query, cell, policy) or _class_reason(query, layout, key, policy)
        if reason is None and cell is not None and earlier:
            hit = earlier.first_hit(cell.contributors, policy.threshold)
            if hit is not None:
                reason = _differencing_reason(policy)
                if policy.differencing_action == "hold":
                    held.append(f"cell {_label(layout, key)}: {reason}")
                    reason = None
        if reason is not None:
            forced[key] = reason
    return Flags(forced=forced, held=tuple(held))


def measure_reason(measure: Measure, value: MeasureValue, policy: OutputPolicy) -> str | None:
    """The first rule one measure of one cell fails."""
    if isinstance(measure, Count):
        return None
    few = contributor_rule(value.n_pupils, policy.threshold)
    if few is not None:
        return few
    if isinstance(measure, Proportion):
        return proportion_rule(value.numerator or 0, value.n_pupils, policy.threshold)
    if isinstance(measure, Median) or value.value is None:
        return None
    # A mean's total is taken as mean x pupils: never more than the true sum (a pupil
    # has at least one record), so the dominance share is never understated.
    total = value.value if isinstance(measure, Sum) else value.value * value.n_pupils
    return nk_dominance_rule(
        total, (value.top1, value.top2), policy.dominance_n, policy.dominance_k_percent
    ) or p_percent_rule(total, value.top1, value.top2, policy.p_percent)


def _measures_reason(query: Query, cell: Cell | None, policy: OutputPolicy) -> str | None:
    if cell is None:
        return None
    for measure, value in zip(query.measures, cell.values, strict=True):
        reason = measure_reason(measure, value, policy)
        if reason is not None:
            return f"{measure.label}: {reason}"
    return None


def _class_reason(query: Query, layout: Layout, key: Key, policy: OutputPolicy) -> str | None:
    for position, dimension in enumerate(layout.dimensions):
        sensitive = query.spec.source_items(dimension.name) & policy.class_disclosure_items
        if not sensitive or key[position] not in dimension.codes:
            continue
        group = (*key[:position], TOTAL, *key[position + 1 :])
        reason = class_reason(
            layout.value(key),
            layout.value(group),
            policy.sensitive_zero_group,
            min(sensitive),
            group_has_other_codes=len(dimension.codes) > 1,
        )
        if reason is not None:
            return reason
    return None


def _differencing_reason(policy: OutputPolicy) -> str:
    return (
        f"its pupils differ from those of a cell released before by fewer than "
        f"{policy.threshold} (differencing)"
    )


def _label(layout: Layout, key: Key) -> str:
    return ", ".join(f"{n}={c}" for n, c in zip(layout.names, key, strict=True))
