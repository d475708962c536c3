"""Coded items: the code must be in its codeset, and valid on census day.

An unknown code and a known code that is not valid on census day (SEN provision A or
P, which ended in 2015) are two different rules: the fixes differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import Hits, RecordContext, Rule, as_mask, hits_where
from safepupil.domain.codesets import codeset


@dataclass(frozen=True)
class CodedItem:
    fields: tuple[str, ...]
    codeset: str
    label: str
    rule_prefix: str  # rule ids are <prefix>-<n> and <prefix>-<n+1>
    first_number: int

    def rule_id(self, offset: int) -> str:
        return f"{self.rule_prefix}-{self.first_number + offset:02d}"


CODED_ITEMS = (
    CodedItem(("sex",), "sex", "sex", "AP-SEX", 1),
    CodedItem(("ethnicity",), "ethnicity", "ethnicity", "AP-ETH", 1),
    CodedItem(("sen_provision",), "sen_provision", "SEN provision", "AP-SEN", 1),
    CodedItem(("sen_type_1", "sen_type_2"), "sen_type", "SEN type", "AP-SEN", 3),
    CodedItem(("ap_setting_type",), "ap_setting_type", "AP setting type", "AP-SET", 1),
    CodedItem(("placement_reason",), "placement_reason", "reason for placement", "AP-RSN", 1),
)


def _unknown_rule(item: CodedItem) -> Rule:
    return Rule(
        item.rule_id(0),
        Severity.ERROR,
        f"The {item.label} code is not in the {item.label} codeset",
        f"use a code from the {item.label} codeset of the AP census guide",
    )


def _not_valid_rule(item: CodedItem) -> Rule:
    return Rule(
        item.rule_id(1),
        Severity.ERROR,
        f"The {item.label} code is no longer (or not yet) in use on census day",
        f"use a {item.label} code that is valid on census day",
    )


UNKNOWN = {item.codeset: _unknown_rule(item) for item in CODED_ITEMS}
NOT_VALID_ON_CENSUS_DAY = {item.codeset: _not_valid_rule(item) for item in CODED_ITEMS}

RULES = tuple(
    rule
    for item in CODED_ITEMS
    for rule in (UNKNOWN[item.codeset], NOT_VALID_ON_CENSUS_DAY[item.codeset])
)


def check_codes(context: RecordContext) -> list[Hits]:
    hits: list[Hits] = []
    for item in CODED_ITEMS:
        codes = codeset(item.codeset)
        known = pa.array(sorted(code.code for code in codes), type=pa.string())
        valid = pa.array(sorted(codes.valid_codes_on(context.census_day)), type=pa.string())
        for field in item.fields:
            column = context.column(field)
            present = context.present(field)
            is_known = as_mask(pc.is_in(column, value_set=known))
            is_valid = as_mask(pc.is_in(column, value_set=valid))
            hits += hits_where(UNKNOWN[item.codeset], field, present & ~is_known)
            hits += hits_where(NOT_VALID_ON_CENSUS_DAY[item.codeset], field, is_known & ~is_valid)
    return hits
