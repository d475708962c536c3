"""Named policy values for disclosure control of frequency (count) tables.

A policy is a small validated value: an invalid policy cannot be built, so the
rules that read it never have to check it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from safepupil.errors import ConfigError

# The rule of 10 (ONS SRS, ACRO, ABS DataLab): fewer than 10 pupils is a small cell.
DEFAULT_THRESHOLD = 10
# How wide an attacker's interval for a suppressed cell must be (sliding protection).
DEFAULT_PROTECTION_WIDTH = 10
# DfE's publication symbol for a confidential (suppressed) figure.
DFE_SUPPRESSED_SYMBOL = "c"


@dataclass(frozen=True)
class FrequencyPolicy:
    """How counts of pupils are protected before they leave a safe setting.

    threshold: a count n with 0 < n < threshold is suppressed (primary suppression).
    protection_width: for every suppressed cell, the interval of values an attacker
        can deduce from everything released (additivity, non-negativity) must span
        at least this many pupils: hi - lo >= protection_width.
    suppress_zeros: when True, zero counts are suppressed too (class disclosure:
        "no pupil in this LA is X" can itself be a disclosure).
    symbol_suppressed: what a suppressed cell shows instead of its value.
    """

    threshold: int = DEFAULT_THRESHOLD
    protection_width: int = DEFAULT_PROTECTION_WIDTH
    suppress_zeros: bool = False
    symbol_suppressed: str = DFE_SUPPRESSED_SYMBOL

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise ConfigError("the frequency threshold must be a whole number")
        if self.threshold < 1:
            raise ConfigError(
                "the frequency threshold must be at least 1",
                hint="use 10, the rule of 10 used by ONS, ACRO and ABS",
            )
        if isinstance(self.protection_width, bool) or not isinstance(self.protection_width, int):
            raise ConfigError("the protection width must be a whole number")
        if self.protection_width < 1:
            raise ConfigError(
                "the protection width must be at least 1",
                hint="use the threshold (10) so a small cell cannot be narrowed below it",
            )
        if not self.symbol_suppressed or self.symbol_suppressed.strip() != self.symbol_suppressed:
            raise ConfigError(
                "the suppression symbol must be a non-empty word without surrounding spaces",
                hint='use DfE\'s symbol "c"',
            )
