"""The public register of data uses: every approved project and every release.

Built from the control plane on each call, so it follows releases as they happen.
Pending and rejected applications are not listed (an application is not a use of data);
held releases are not listed until released. Refused releases are counted, per project
and in total, so the register shows that disclosure control says no.

``build_register`` is the page's one service function; ``PublicRegister.to_dict`` is
its JSON twin; ``export_register`` writes register.json, projects.csv and releases.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepupil.collection.keys.atomic_file import atomic_write_bytes
from safepupil.governance.projects import ProjectStatus
from safepupil.governance.records import PROJECTS, all_projects, as_utc
from safepupil.governance.tables import table_of
from safepupil.release.records import REFUSED, RELEASED, ReleaseRow
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.transparency.describe import describe_query

RELEASES = table_of(ReleaseRow)
REGISTER_FORMAT = 1
PUBLIC_FILE_MODE = 0o644  # the register is published: anyone may read it
LEGAL_BASIS_WORDS = {
    "public-task": "a task in the public interest (UK GDPR Article 6(1)(e))",
    "legitimate-interests": "legitimate interests (UK GDPR Article 6(1)(f))",
    "legal-obligation": "a legal obligation (UK GDPR Article 6(1)(c))",
    "consent": "consent (UK GDPR Article 6(1)(a))",
}


@dataclass(frozen=True)
class RegisterProject:
    id: int
    title: str
    organisation: str
    organisation_type: str
    purpose: str
    public_benefit: str
    legal_basis: str
    items: tuple[str, ...]  # dataset.item
    status: str  # approved (not started), active, ended
    approved_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    releases: int
    refused_releases: int

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "organisation": self.organisation,
            "organisation_type": self.organisation_type,
            "purpose": self.purpose,
            "public_benefit": self.public_benefit,
            "legal_basis": self.legal_basis,
            "legal_basis_words": LEGAL_BASIS_WORDS.get(self.legal_basis, self.legal_basis),
            "items": list(self.items),
            "status": self.status,
            "approved_on": _iso(self.approved_on),
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "releases": self.releases,
            "refused_releases": self.refused_releases,
        }


@dataclass(frozen=True)
class RegisterRelease:
    id: str
    released_at: dt.datetime
    project_id: int
    project_title: str
    organisation: str
    dataset: str
    what: str  # the table in words
    pupils: int
    cells_released: int
    cells_suppressed: int
    checksum: str

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "released_at": self.released_at.isoformat(),
            "project_id": self.project_id,
            "project_title": self.project_title,
            "organisation": self.organisation,
            "dataset": self.dataset,
            "what": self.what,
            "pupils": self.pupils,
            "cells_released": self.cells_released,
            "cells_suppressed": self.cells_suppressed,
            "checksum": self.checksum,
        }


@dataclass(frozen=True)
class PublicRegister:
    generated_at: dt.datetime
    projects: tuple[RegisterProject, ...]
    releases: tuple[RegisterRelease, ...]
    refused_releases: int

    def to_dict(self) -> dict[str, object]:
        return {
            "format": REGISTER_FORMAT,
            "generated_at": self.generated_at.isoformat(),
            "projects": [p.to_dict() for p in self.projects],
            "releases": [r.to_dict() for r in self.releases],
            "refused_releases": self.refused_releases,
        }

    def project(self, project_id: int) -> RegisterProject | None:
        return next((p for p in self.projects if p.id == project_id), None)


def build_register(
    engine: Engine, *, catalogue: Catalogue | None = None, on: dt.date | None = None
) -> PublicRegister:
    """The register as it stands now (``on`` decides which projects are active)."""
    moment = dt.datetime.now(dt.UTC)
    today = on or moment.date()
    chosen = catalogue or load_catalogue()
    with engine.connect() as connection:
        projects = _projects(connection, today)
        rows = connection.execute(
            sa.select(RELEASES).order_by(RELEASES.c.created_at, RELEASES.c.id)
        ).all()
    released = [row for row in rows if row.status == RELEASED]
    refused = Counter(row.project_id for row in rows if row.status == REFUSED)
    made = Counter(row.project_id for row in released)
    listed = tuple(_with_counts(p, made[p.id], refused[p.id]) for p in projects)
    by_id = {p.id: p for p in listed}
    releases = tuple(_release(row, by_id, chosen) for row in released if row.project_id in by_id)
    return PublicRegister(
        generated_at=moment,
        projects=listed,
        releases=releases,
        refused_releases=sum(refused.values()),
    )


def _projects(connection: Connection, today: dt.date) -> list[RegisterProject]:
    decided = dict(connection.execute(sa.select(PROJECTS.c.id, PROJECTS.c.decided_at)).all())
    listed = []
    for project in all_projects(connection):
        if project.status is not ProjectStatus.APPROVED:
            continue
        application = project.application
        approved_at = decided.get(project.id)
        listed.append(
            RegisterProject(
                id=project.id,
                title=application.title,
                organisation=application.organisation,
                organisation_type=application.organisation_type.value,
                purpose=application.purpose,
                public_benefit=application.public_benefit,
                legal_basis=application.legal_basis.value,
                items=tuple(str(item) for item in sorted(application.items)),
                status=project_phase(application.start, application.end, today),
                approved_on=None if approved_at is None else as_utc(approved_at).date(),
                starts_on=application.start,
                ends_on=application.end,
                releases=0,
                refused_releases=0,
            )
        )
    return listed


def project_phase(start: dt.date, end: dt.date, today: dt.date) -> str:
    """An approved project is "approved" before its first day, "active" from its first to
    its last day (inclusive), and "ended" after."""
    if today < start:
        return "approved"
    return "active" if today <= end else "ended"


def _with_counts(project: RegisterProject, made: int, refused: int) -> RegisterProject:
    return RegisterProject(**{**project.__dict__, "releases": made, "refused_releases": refused})


def _release(
    row: sa.Row[object], projects: dict[int, RegisterProject], catalogue: Catalogue
) -> RegisterRelease:
    values = row._mapping
    project = projects[int(values["project_id"])]
    return RegisterRelease(
        id=str(values["id"]),
        released_at=as_utc(values["created_at"]),
        project_id=project.id,
        project_title=project.title,
        organisation=project.organisation,
        dataset=str(values["dataset"]),
        what=describe_query(str(values["query"]), catalogue),
        pupils=int(values["pupils"]),
        cells_released=int(values["cells_released"]),
        cells_suppressed=int(values["cells_suppressed"]),
        checksum=str(values["checksum"] or ""),
    )


# ---- export -----------------------------------------------------------------------------

PROJECT_COLUMNS = (
    "id", "title", "organisation", "organisation_type", "purpose", "public_benefit",
    "legal_basis", "items", "status", "approved_on", "starts_on", "ends_on", "releases",
    "refused_releases",
)  # fmt: skip
RELEASE_COLUMNS = (
    "id", "released_at", "project_id", "project_title", "organisation", "dataset", "what",
    "pupils", "cells_released", "cells_suppressed", "checksum",
)  # fmt: skip


def export_register(register: PublicRegister, folder: Path) -> tuple[Path, ...]:
    """Write register.json, projects.csv and releases.csv (each whole or not at all)."""
    folder.mkdir(parents=True, exist_ok=True)
    document = json.dumps(register.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
    files = {
        "register.json": (document + "\n").encode("utf-8"),
        "projects.csv": register_csv(PROJECT_COLUMNS, [p.to_dict() for p in register.projects]),
        "releases.csv": register_csv(RELEASE_COLUMNS, [r.to_dict() for r in register.releases]),
    }
    for name, data in files.items():
        atomic_write_bytes(folder / name, data, mode=PUBLIC_FILE_MODE)
    return tuple(folder / name for name in files)


def register_csv(columns: tuple[str, ...], rows: list[dict[str, object]]) -> bytes:
    """The register's CSV form (lists as space-separated words): the files ``register
    export`` writes and the web page serves."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cell(row[column]) for column in columns)
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else value


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
