"""Query engines: each runs a restricted query over its own kind of source.

``ReferenceEngine`` (Python, the yardstick) and ``DuckDBEngine`` (the national store).
"""

from safepupil.query.engines.base import Engine, groupings
from safepupil.query.engines.duckdb_engine import DuckDBEngine
from safepupil.query.engines.reference import ReferenceEngine

__all__ = ["DuckDBEngine", "Engine", "ReferenceEngine", "groupings"]
