"""Retention as a service action: a custodian removes what is past retention, and the
audit log records what was removed (one ``retention_applied`` event per dataset)."""

from __future__ import annotations

import datetime as dt

from safepupil.audit.events import RetentionApplied
from safepupil.audit.log import record, writing
from safepupil.governance.records import load_person
from safepupil.governance.refusals import NOT_A_CUSTODIAN, Refusal
from safepupil.governance.roles import Role
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.retention_apply import RetentionReport, apply_retention


def run_retention(
    deployment: Deployment,
    actor_id: int,
    *,
    on: dt.date | None = None,
    dry_run: bool = False,
    catalogue: Catalogue | None = None,
) -> RetentionReport:
    """Remove (or with ``dry_run`` only count) every item past retention on ``on``.

    The audit events are written in the control plane's transaction, which commits only
    after the store's: events are appended inside the store's transaction (so a failure
    to record removes nothing), and a failed store commit rolls them back.
    """
    day = on or dt.datetime.now(dt.UTC).date()
    engine = deployment.control_engine()
    try:
        with writing(engine) as connection:
            actor = load_person(connection, actor_id)
            if not actor.has(Role.CUSTODIAN):
                raise Refusal(
                    NOT_A_CUSTODIAN,
                    f"{actor.email} is not an active custodian and cannot apply retention",
                    hint="ask a custodian",
                    about=actor,
                )

            def recorded(report: RetentionReport) -> None:
                for removal in report.datasets:
                    record(
                        connection,
                        RetentionApplied(
                            actor_id=actor_id,
                            dataset=removal.dataset,
                            on=day.isoformat(),
                            items=tuple(e.item for e in removal.expired),
                            expired_on=tuple(e.expired_on.isoformat() for e in removal.expired),
                            values_removed=removal.values_removed,
                            records_dropped=removal.records_dropped,
                            amendments_cleared=removal.amendments_cleared,
                        ),
                    )

            with open_store(deployment) as store:
                return apply_retention(
                    store,
                    catalogue or load_catalogue(),
                    day,
                    dry_run=dry_run,
                    before_commit=recorded,
                )
    finally:
        engine.dispose()
