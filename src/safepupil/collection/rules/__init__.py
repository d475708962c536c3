"""The AP census validation rules: the catalogue (``RULES``) and the checks that apply it.

Each rule has an id, a severity (ERROR blocks the return, QUERY asks for a check, as
DfE's COLLECT does), a title saying what is wrong and an action saying what to do.
"""

from __future__ import annotations

from safepupil.collection.rules import codes, consistency, dates, header, required, upn
from safepupil.collection.rules.base import Check, Hits, RecordContext, Rule

RULES: tuple[Rule, ...] = (
    *header.RULES,
    *upn.RULES,
    *required.RULES,
    *codes.RULES,
    *dates.RULES,
    *consistency.RULES,
)
RULE_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

CHECKS: tuple[Check, ...] = (
    header.check_header,
    header.check_placement_la,
    upn.check_upn,
    upn.check_duplicate_upn,
    required.check_mandatory,
    codes.check_codes,
    dates.check_date_formats,
    dates.check_age,
    dates.check_placement_dates,
    consistency.check_sen_types,
    consistency.check_uln_age,
    consistency.check_provider,
)

__all__ = ["CHECKS", "RULES", "RULE_BY_ID", "Check", "Hits", "RecordContext", "Rule"]
