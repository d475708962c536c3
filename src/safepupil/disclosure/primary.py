"""Primary suppression: the rules a count must pass on its own.

Each rule is a small pure function: it takes one count and the policy and says
why the count cannot be shown, or None when it can.
"""

from __future__ import annotations

from safepupil.disclosure.policy import FrequencyPolicy


def frequency_rule(n: int, policy: FrequencyPolicy) -> str | None:
    """A count of fewer than ``threshold`` pupils (but more than none) is a small cell."""
    if 0 < n < policy.threshold:
        return f"fewer than {policy.threshold} pupils"
    return None


def zero_rule(n: int, policy: FrequencyPolicy) -> str | None:
    """A zero is suppressed only when the policy says zeros are disclosive."""
    if n == 0 and policy.suppress_zeros:
        return "no pupils (zeros are suppressed under this policy)"
    return None


FREQUENCY_RULES = (frequency_rule, zero_rule)


def primary_reason(n: int, policy: FrequencyPolicy) -> str | None:
    """The first rule a count fails, in plain words, or None when it passes them all."""
    for rule in FREQUENCY_RULES:
        reason = rule(n, policy)
        if reason is not None:
            return reason
    return None
