"""Validate a parsed AP census return against the rule catalogue (``rules.RULES``).

Every check runs over whole Arrow columns at once; only the records a rule flags
become Finding objects. Findings say what is wrong, where and what to do, and never
carry a pupil's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepupil.collection.model import (
    RECORD_COLUMNS,
    Finding,
    ParsedReturn,
    ValidationReport,
)
from safepupil.collection.rules import CHECKS, Hits, RecordContext
from safepupil.errors import ConfigError

# Where findings without a field or record sort: file-level findings come first.
_FIELD_ORDER = {name: index for index, name in enumerate(RECORD_COLUMNS)}


@dataclass(frozen=True)
class ValidationSettings:
    min_age: int = 4  # plausible age on census day, inclusive
    max_age: int = 19

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= self.max_age:
            raise ConfigError(
                f"the plausible age range {self.min_age} to {self.max_age} is empty",
                hint="give a minimum age no greater than the maximum age",
            )


def validate_return(
    parsed: ParsedReturn, settings: ValidationSettings = ValidationSettings()
) -> ValidationReport:
    """Every finding of every rule on ``parsed``, file-level first, then by record."""
    context = RecordContext.of(parsed, min_age=settings.min_age, max_age=settings.max_age)
    findings: list[Finding] = []
    for check in CHECKS:
        for hits in check(context):
            findings.extend(_findings(hits, parsed.source.name, context.record_numbers))
    findings.sort(key=_finding_order)
    return ValidationReport(
        source=str(parsed.source), pupils_read=parsed.pupil_count, findings=tuple(findings)
    )


def _findings(hits: Hits, file: str, record_numbers: np.ndarray) -> list[Finding]:
    rule = hits.rule
    if hits.rows is None:
        return [Finding(rule.id, rule.severity, file, None, hits.field, rule.message)]
    details = hits.details or ("",) * len(hits.rows)
    return [
        Finding(
            rule_id=rule.id,
            severity=rule.severity,
            file=file,
            record=int(record_numbers[row]),
            field=hits.field,
            message=f"{rule.message} {detail}".rstrip(),
        )
        for row, detail in zip(hits.rows.tolist(), details, strict=True)
    ]


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    record = finding.record if finding.record is not None else 0
    field = _FIELD_ORDER.get(finding.field or "", -1)
    return (record, field, finding.rule_id)
