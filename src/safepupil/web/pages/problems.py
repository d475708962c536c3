"""A refusal as a page shows it: the service's message as it is, and the rule that
refused (a governance ``Refusal`` carries it; other refusals start their message with it,
as ``item-expired: ...`` does)."""

from __future__ import annotations

import re
from typing import Any

from safepupil.errors import SafepupilError

RULE_PREFIX = re.compile(r"^([a-z]+(?:-[a-z]+)+): ")


def problem_of(error: SafepupilError) -> dict[str, Any]:
    rule = getattr(error, "rule", None)
    if rule is None:
        found = RULE_PREFIX.match(error.message)
        rule = found.group(1) if found else None
    return {**error.to_json(), "rule": rule}
