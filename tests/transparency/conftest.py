"""A small real deployment (the demo flow) with an approved project, an LA submitter,
one pupil known by UPN, and releases stored as the pipeline stores them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyroaring import FrozenBitMap

from safepupil.audit.events import ReleaseMade, ReleaseRefused
from safepupil.audit.log import record, writing
from safepupil.collection.keys.load import load_pseudonym_key
from safepupil.collection.pseudonymise import pupil_token
from safepupil.collection.read import read_return
from safepupil.demo.flow import run_demo
from safepupil.governance import service
from safepupil.governance.roles import Role
from safepupil.query.model import Query
from safepupil.query.nodes import Count
from safepupil.query.wire import to_json
from safepupil.release.records import REFUSED, RELEASED, ReleaseRecord, store_release
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.synth.spec import SynthSpec
from safepupil.transparency.holdings import find_pupil_id
from tests.governance.support import Cast, add_cast
from tests.release.conftest import approved

AP = "ap_census_2018"


@dataclass(frozen=True)
class World:
    deployment: Deployment
    cast: Cast
    project_id: int
    la_submitter: int  # of the pupil's LA
    other_la_submitter: int  # of an LA that does not hold the pupil
    upn: str  # a pupil in the store
    pupil_id: int
    pupil_la: str
    other_pupil_ids: tuple[int, ...]


def store_with_event(
    deployment: Deployment,
    project_id: int,
    person_id: int,
    cells: tuple[FrozenBitMap, ...],
    *,
    status: str = RELEASED,
    dimensions: tuple[str, ...] = ("la",),
) -> str:
    """A release stored as the pipeline stores one: the row, its cells and its event."""
    query = Query(AP, dimensions=dimensions, measures=(Count(),), catalogue=load_catalogue())
    release_id = str(uuid.uuid4())
    union = FrozenBitMap.union(FrozenBitMap(), *cells)
    release = ReleaseRecord(
        id=release_id,
        project_id=project_id,
        person_id=person_id,
        dataset=AP,
        query_json=to_json(query),
        created_at=dt.datetime.now(dt.UTC),
        pupils=len(union) if status == RELEASED else 0,
        cells_released=len(cells),
        cells_suppressed=1,
        checksum="a" * 64 if status == RELEASED else None,
        status=status,
        reasons=() if status == RELEASED else ("no pattern protects every cell",),
        audit_proof=None,
        released_cells=tuple((f'{{"cell": {i}}}', c) for i, c in enumerate(cells))
        if status == RELEASED
        else (),
    )
    envelope = {"actor_id": person_id, "project_id": project_id}
    engine = deployment.control_engine()
    with writing(engine) as connection:
        store_release(connection, release)
        if status == RELEASED:
            event = ReleaseMade(
                **envelope, release_id=release_id, query_id="q" * 32, cells=len(cells),
                pupils=len(union),
            )  # fmt: skip
        else:
            event = ReleaseRefused(**envelope, query_id="q" * 32, reason="refused")
        record(connection, event)
    engine.dispose()
    return release_id


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root: Path = tmp_path_factory.mktemp("transparency") / "demo"
    demo = run_demo(root, SynthSpec(pupils=600, school_pupils=1000))
    deployment = demo.deployment
    returns = sorted(demo.paths.returns.iterdir())
    parsed = read_return(returns[0])
    upn = str(parsed.records.column("upn")[0].as_py())
    key = load_pseudonym_key(deployment.paths.keys.pseudonym_key)
    with open_store(deployment, read_only=True) as store:
        pupil_id = find_pupil_id(store, pupil_token(upn, key))
        others = [int(r[0]) for r in store.execute("SELECT pupil_id FROM pupils").fetchall()]
    assert pupil_id is not None
    engine = deployment.control_engine()
    cast = add_cast(engine)
    la = parsed.header.la
    other_la = next(code for code in ("201", "202", "203", "204") if code != la)
    submitters = [
        service.add_person(
            engine,
            name=f"Lee {code}",
            email=f"lee{code}@la.example",
            roles=(Role.LA_SUBMITTER,),
            organisation=f"LA {code}",
            la_code=code,
        ).id
        for code in (la, other_la)
    ]
    engine.dispose()
    project = approved(deployment, cast.applicant.id, (cast.approver_1.id, cast.approver_2.id))
    return World(
        deployment=deployment,
        cast=cast,
        project_id=project,
        la_submitter=submitters[0],
        other_la_submitter=submitters[1],
        upn=upn,
        pupil_id=pupil_id,
        pupil_la=la,
        other_pupil_ids=tuple(p for p in others if p != pupil_id),
    )


__all__ = ["REFUSED", "World", "store_with_event", "world"]
