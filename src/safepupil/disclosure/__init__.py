"""Safe outputs: statistical disclosure control for everything that leaves the service.

Today: frequency (count) tables, linked and hierarchical, protected by the rule of
10, secondary suppression and an LP audit proof. See docs/disclosure.md.
"""

from safepupil.disclosure.audit import AuditedInterval, AuditProof
from safepupil.disclosure.frequency import protect_linked_counts
from safepupil.disclosure.policy import FrequencyPolicy
from safepupil.disclosure.primary import frequency_rule, primary_reason, zero_rule
from safepupil.disclosure.release import CellStatus, ProtectedCell, ProtectedRelease
from safepupil.disclosure.tables import Dimension

__all__ = [
    "AuditProof",
    "AuditedInterval",
    "CellStatus",
    "Dimension",
    "FrequencyPolicy",
    "ProtectedCell",
    "ProtectedRelease",
    "frequency_rule",
    "primary_reason",
    "protect_linked_counts",
    "zero_rule",
]
