"""Safe outputs: the one route from the store to a researcher (docs/safe-outputs.md).

``run_protected_query`` authorises, restricts, runs, protects, rounds, checks for
differencing, records and returns a ``ProtectedTable``; nothing else in this package
hands cells to a caller.
"""

from safepupil.release.pipeline import run_protected_query
from safepupil.release.result import CellReport, ProtectedTable, ReleaseStatus

__all__ = ["CellReport", "ProtectedTable", "ReleaseStatus", "run_protected_query"]
