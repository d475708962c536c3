"""The restriction step: the one gate every query passes before an engine runs it.

``restrict`` enforces the project's permissions (the items it was approved for) and
attaches the opt-outs (pupils whose records must not be used). Engines accept only a
``RestrictedQuery``, and a ``RestrictedQuery`` can only be made here: its constructor
demands a private seal that only ``restrict`` holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from safepupil.errors import InternalError, PermissionDenied, QueryError
from safepupil.query.model import Query

_SEAL = object()  # held only by restrict(): nothing else can make a RestrictedQuery


@dataclass(frozen=True)
class RestrictionContext:
    """What a project may see: its approved items (None = every item in the catalogue,
    for the service's own tools) and the pupil tokens of everyone who opted out."""

    allowed_items: frozenset[str] | None
    excluded_tokens: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.allowed_items is not None and not isinstance(self.allowed_items, frozenset):
            raise QueryError("allowed_items must be a frozenset of item names, or None")
        if not isinstance(self.excluded_tokens, frozenset):
            raise QueryError("excluded_tokens must be a frozenset of pupil tokens")


class RestrictedQuery:
    """A query cleared to run, with the pupils the engine must leave out.

    Not a dataclass on purpose: ``dataclasses.replace`` would copy the seal and let a
    caller swap the query or drop the exclusions after the check.
    """

    __slots__ = ("_excluded_tokens", "_query")
    _query: Query
    _excluded_tokens: frozenset[str]

    def __init__(self, query: Query, excluded_tokens: frozenset[str], seal: object) -> None:
        if seal is not _SEAL:
            raise InternalError("a RestrictedQuery can only be made by restrict()")
        object.__setattr__(self, "_query", query)
        object.__setattr__(self, "_excluded_tokens", excluded_tokens)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a RestrictedQuery cannot be changed")

    @property
    def query(self) -> Query:
        return self._query

    @property
    def excluded_tokens(self) -> frozenset[str]:
        return self._excluded_tokens

    def __repr__(self) -> str:
        return f"RestrictedQuery({self._query!r}, excluded={len(self._excluded_tokens)})"


def restrict(query: Query, context: RestrictionContext) -> RestrictedQuery:
    """Clear ``query`` for running under ``context``, or raise PermissionDenied."""
    if not isinstance(query, Query):
        raise InternalError(f"restrict() needs a Query, got {type(query).__name__}")
    if context.allowed_items is not None:
        refused = sorted(query.items_used() - context.allowed_items)
        if refused:
            raise PermissionDenied(
                f"the project is not approved to use {', '.join(refused)} "
                f"of dataset {query.dataset}",
                hint="ask for the items to be added to the project, or leave them out",
            )
    return RestrictedQuery(query=query, excluded_tokens=context.excluded_tokens, seal=_SEAL)


def require_restricted(candidate: object) -> RestrictedQuery:
    """What every engine calls first: only a restricted query may run."""
    if not isinstance(candidate, RestrictedQuery):
        raise InternalError(
            f"an engine was given {type(candidate).__name__}; only restrict() output may run"
        )
    return candidate
