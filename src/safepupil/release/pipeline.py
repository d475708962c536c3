"""The release pipeline: the only route from the store to a researcher.

    authorise -> restrict -> engine (with margins) -> layout -> primary rules (counts,
    magnitudes, class disclosure, differencing) -> secondary suppression + LP audit ->
    rounding -> record (release, cells' contributors, audit events) -> ProtectedTable

A release is refused (DisclosureRefused, recorded) when no suppression pattern protects
every cell; held (recorded, nothing shown) when a rule flags what it cannot settle.
The engine's raw result never leaves this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from pyroaring import FrozenBitMap
from sqlalchemy.engine import Connection, Engine

from safepupil.audit.events import AccessRefused, QuerySubmitted, ReleaseMade, ReleaseRefused
from safepupil.audit.log import record, writing
from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.disclosure.output_policy import OutputPolicy, PolicyBook, load_policy_book
from safepupil.disclosure.release import ProtectedRelease
from safepupil.errors import DisclosureRefused, InternalError
from safepupil.governance.authorise import authorise_query
from safepupil.governance.objections import objecting_tokens
from safepupil.query.engines import DuckDBEngine
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.query.wire import to_json
from safepupil.release.earlier import EARLIER
from safepupil.release.layout import Layout, layout_of, require_dimensions
from safepupil.release.protect import protect_counts
from safepupil.release.records import HELD, REFUSED, RELEASED, ReleaseRecord, earlier_cells
from safepupil.release.records import store_release as _store
from safepupil.release.result import ProtectedTable, ReleaseStatus
from safepupil.release.rules import Flags, flag_cells
from safepupil.release.shaping import released_table
from safepupil.release.shown import store_shown_table
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.retention import RETENTION_RULE, expired_items, expired_refusal

# Told a plain description of each stage as it starts (no pupil-level value is ever in
# one): a long release shows what it is doing.
StageReport = Callable[[str], None]


def _quiet(stage: str) -> None:
    """The report of a caller that shows no progress."""


@dataclass(frozen=True)
class _Decision:
    layout: Layout
    protected: ProtectedRelease
    flags: Flags


def run_protected_query(
    deployment: Deployment,
    query: Query,
    project_id: int,
    person_id: int,
    *,
    on: dt.date | None = None,
    policies: PolicyBook | None = None,
    control: Engine | None = None,
    on_stage: StageReport = _quiet,
) -> ProtectedTable:
    """Run ``query`` for a member of an approved project and return what may be shown.

    Raises PermissionDenied (a governance Refusal) when the person may not use the items,
    and DisclosureRefused when no protection is enough; both are recorded.

    ``control``: the deployment's control-plane engine where the caller keeps one (a
    server: its pooled connections and compiled statements are reused); otherwise one is
    made for this query and disposed of. ``on_stage``: told each stage as it starts.
    """
    require_dimensions(query)
    day = on or _today()
    if control is not None:
        return _run(deployment, control, query, project_id, person_id, day, policies, on_stage)
    made = deployment.control_engine()
    try:
        return _run(deployment, made, query, project_id, person_id, day, policies, on_stage)
    finally:
        made.dispose()


def _run(
    deployment: Deployment,
    control: Engine,
    query: Query,
    project_id: int,
    person_id: int,
    on: dt.date,
    policies: PolicyBook | None,
    on_stage: StageReport,
) -> ProtectedTable:
    on_stage("checking the project's approval for these items")
    items = query.items_used()
    grant = authorise_query(control, person_id, project_id, items, query.dataset, on)
    _refuse_expired(control, query, project_id, person_id, on)
    # Objections are read on every run: one recorded a moment ago is honoured now.
    context = RestrictionContext(
        allowed_items=grant.allowed_items, excluded_tokens=objecting_tokens(control)
    )
    restricted = restrict(query, context)
    on_stage("running the query in the pupil store")
    with open_store(deployment, read_only=True) as store:
        result = DuckDBEngine().run(restricted, store, with_margins=True)
    policy = (policies or load_policy_book()).policy_for(query.dataset, items)
    with control.connect() as connection:
        seen, earlier = EARLIER.snapshot(connection, query.dataset)
    # Deciding (rules, suppression, LP audit) is the costly part: done outside the
    # audit lock, so releases are decided in parallel and only recorded one by one. The
    # table to show is made outside it too: every writer (a request's token use as well)
    # waits while the lock is held.
    draft = _try_decide(query, result, policy, earlier, on_stage)
    release_id = str(uuid.uuid4())
    shaped = _shape(release_id, query, draft, policy)
    on_stage("recording the release")
    with writing(control) as connection:  # holds the audit lock: releases are serial
        decided = _recheck(connection, query, result, policy, draft, seen, on_stage)
        if decided is not draft:
            shaped = _shape(release_id, query, decided, policy)
        outcome = _record_decision(
            connection, query, release_id, decided, shaped, policy, project_id, person_id
        )
    if isinstance(outcome, DisclosureRefused):
        raise outcome
    return outcome


def _refuse_expired(
    control: Engine, query: Query, project_id: int, person_id: int, on: dt.date
) -> None:
    """Items past retention are masked in the store; saying so beats an empty table."""
    expired = expired_items(query.spec, on, query.items_used())
    if expired:
        refusal = expired_refusal(expired)
        record(
            control,
            AccessRefused(
                actor_id=person_id,
                project_id=project_id,
                rule=RETENTION_RULE,
                dataset=query.dataset,
                items=tuple(e.item for e in expired),
                reason=refusal.message,
            ),
        )
        raise refusal


def _try_decide(
    query: Query,
    result: QueryResult,
    policy: OutputPolicy,
    earlier: DifferencingIndex,
    on_stage: StageReport = _quiet,
) -> _Decision | DisclosureRefused:
    try:
        return decide(query, result, policy, earlier, on_stage)
    except DisclosureRefused as refusal:
        return refusal


def _recheck(
    connection: Connection,
    query: Query,
    result: QueryResult,
    policy: OutputPolicy,
    draft: _Decision | DisclosureRefused,
    seen: int,
    on_stage: StageReport,
) -> _Decision | DisclosureRefused:
    """The draft stands unless a release made while it was decided (numbered above
    ``seen``, the highest number its snapshot held) gives one of its cells a differencing
    reason it did not have; then decide again, inside the lock. (A refusal stands: more
    hidden cells cannot make a table protectable.) A release made since with no cells
    gives no reason, so only the cells of those releases need reading."""
    if isinstance(draft, DisclosureRefused):
        return draft
    fresh = earlier_cells(connection, query.dataset, after=seen)
    if not len(fresh):
        return draft
    flags = flag_cells(query, draft.layout, policy, fresh)
    forced_before = draft.flags.forced.items()
    if flags.forced.items() <= forced_before and set(flags.held) <= set(draft.flags.held):
        return draft
    on_stage("deciding again: a release made meanwhile overlaps this table")
    return _try_decide(query, result, policy, earlier_cells(connection, query.dataset), on_stage)


_Shaped = tuple[ProtectedTable, tuple[tuple[str, FrozenBitMap], ...]]


def _shape(
    release_id: str, query: Query, decided: _Decision | DisclosureRefused, policy: OutputPolicy
) -> _Shaped | None:
    """The table to show and each released cell's pupils; None for a refusal."""
    if isinstance(decided, DisclosureRefused):
        return None
    return released_table(
        release_id, query, decided.layout, decided.protected, decided.flags.held, policy
    )


def _record_decision(
    connection: Connection,
    query: Query,
    release_id: str,
    decided: _Decision | DisclosureRefused,
    shaped: _Shaped | None,
    policy: OutputPolicy,
    project_id: int,
    person_id: int,
) -> ProtectedTable | DisclosureRefused:
    query_json = to_json(query)
    query_id = hashlib.sha256(query_json.encode("utf-8")).hexdigest()[:32]
    envelope = {"actor_id": person_id, "project_id": project_id}
    record(
        connection,
        QuerySubmitted(
            **envelope,
            query_id=query_id,
            dataset=query.dataset,
            items=tuple(sorted(query.items_used())),
        ),
    )
    base = _record_base(release_id, query, query_json, project_id, person_id)
    if isinstance(decided, DisclosureRefused):
        refusal = decided
        _store(connection, replace(base, status=REFUSED, reasons=(refusal.message,)))
        record(connection, ReleaseRefused(**envelope, query_id=query_id, reason=refusal.message))
        return refusal
    decision = decided
    if shaped is None:
        raise InternalError("a release was decided but its table was not made")
    table, shown = shaped
    status = RELEASED if table.status is ReleaseStatus.RELEASED else HELD
    _store(
        connection,
        replace(
            base,
            status=status,
            reasons=decision.flags.held,
            pupils=table.pupils,
            cells_released=decision.protected.released_count,
            cells_suppressed=decision.protected.suppressed_count,
            checksum=table.checksum,
            audit_proof={
                **decision.protected.audit.to_dict(),
                "rounding_base": policy.rounding_base,
            },
            released_cells=shown if status == RELEASED else (),
        ),
    )
    if status == RELEASED:
        store_shown_table(connection, table)
        record(
            connection,
            ReleaseMade(
                **envelope,
                release_id=release_id,
                query_id=query_id,
                cells=len(shown),
                pupils=table.pupils,
            ),
        )
    return table


def decide(
    query: Query,
    result: QueryResult,
    policy: OutputPolicy,
    earlier: DifferencingIndex,
    on_stage: StageReport = _quiet,
) -> _Decision:
    """Primary rules, then secondary suppression with its audit (DisclosureRefused if none
    is enough). Pure: reads nothing but its arguments."""
    on_stage("applying the disclosure rules and checking against earlier releases")
    layout = layout_of(query, result)
    flags = flag_cells(query, layout, policy, earlier)
    protected = protect_counts(
        layout.counts,
        layout.dimensions,
        policy.frequency_policy(),
        flags.forced,
        on_stage,
        time_limit=policy.protection_seconds,
    )
    return _Decision(layout=layout, protected=protected, flags=flags)


def _record_base(
    release_id: str, query: Query, query_json: str, project_id: int, person_id: int
) -> ReleaseRecord:
    return ReleaseRecord(
        id=release_id,
        project_id=project_id,
        person_id=person_id,
        dataset=query.dataset,
        query_json=query_json,
        created_at=dt.datetime.now(dt.UTC),
        pupils=0,
        cells_released=0,
        cells_suppressed=0,
        checksum=None,
        status=REFUSED,
        reasons=(),
        audit_proof=None,
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
