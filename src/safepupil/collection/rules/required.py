"""Mandatory items: every record must give these."""

from __future__ import annotations

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import Hits, RecordContext, Rule, hits_where

# Mandatory item -> (rule id, how the officer knows the item).
MANDATORY_ITEMS: dict[str, tuple[str, str]] = {
    "upn": ("AP-REQ-01", "UPN"),
    "surname": ("AP-REQ-02", "surname"),
    "forename": ("AP-REQ-03", "forename"),
    "dob": ("AP-REQ-04", "date of birth"),
    "sex": ("AP-REQ-05", "sex"),
    "sen_provision": ("AP-REQ-06", "SEN provision"),
    "placement_reason": ("AP-REQ-07", "primary reason for placement"),
    "placement_start": ("AP-REQ-08", "placement entry date"),
}

MISSING: dict[str, Rule] = {
    item: Rule(rule_id, Severity.ERROR, f"The {label} is missing", f"give the pupil's {label}")
    for item, (rule_id, label) in MANDATORY_ITEMS.items()
}

RULES = tuple(MISSING.values())


def check_mandatory(context: RecordContext) -> list[Hits]:
    hits: list[Hits] = []
    for item, rule in MISSING.items():
        hits += hits_where(rule, item, ~context.present(item))
    return hits
