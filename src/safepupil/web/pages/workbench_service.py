"""What the workbench pages call: the person's projects, a query tried on dummy data,
a query submitted to the release pipeline (the only route to real data), and the
person's past releases.

Each returns a JSON-ready dict (the page's data, and its JSON twin); the handlers in
``workbench.py`` only authorise, call one of these and render.
"""

from __future__ import annotations

import functools
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Engine

from safepupil.cli.query_cmd import DUMMY_NOTICE, EngineName, run_on_dummy, withheld_asked
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.governance.projects import Project, ProjectStatus
from safepupil.governance.refusals import NOT_A_MEMBER, Refusal
from safepupil.governance.service import get_project, list_projects
from safepupil.query.model import Query
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.wire import to_dict
from safepupil.release import ReleaseStatus, run_protected_query
from safepupil.release.history import list_own_releases
from safepupil.release.review import fetch_release
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment
from safepupil.synth.dummy import DEFAULT_ROWS, DEFAULT_SEED, make_dummy
from safepupil.web.pages.compose import ComposeForm, build_query, form_options
from safepupil.web.pages.tables import dummy_display, protected_display, symbol_legend
from safepupil.web.views import (
    own_releases_view,
    project_view,
    protected_table_view,
    release_csv_path,
    release_state_view,
)

DUMMY_CACHE = 4  # datasets: each dummy table is a few MB and the same for the same seed
RELEASES_PER_PAGE = 50


def my_projects(engine: Engine, person_id: int) -> dict[str, Any]:
    projects = [p for p in list_projects(engine) if person_id in p.members]
    return {"projects": [_project(p) for p in projects]}


def project_page(
    engine: Engine, person_id: int, project_id: int, form: ComposeForm | None = None
) -> dict[str, Any]:
    """A project of the person's, with what its query form may offer (filled in with
    ``form`` when the page is shown again after a refusal)."""
    project = _member_project(engine, person_id, project_id)
    return _page(project, form or ComposeForm(dataset=project.application.datasets[0]))


def try_on_dummy(
    engine: Engine, person_id: int, project_id: int, form: ComposeForm
) -> dict[str, Any]:
    """Run the query on dummy data made from the catalogue: made-up pupils, so the
    values are shown as they come (and said to be dummy). The project's approval still
    limits the items, as it will on the real store."""
    project = _member_project(engine, person_id, project_id)
    catalogue = load_catalogue()
    query = build_query(form, catalogue)
    restrict(query, _context(project, query))  # PermissionDenied names an unapproved item
    result = run_on_dummy(query, _dummy(catalogue, query.dataset), EngineName.DUCKDB, True)
    notes = [
        f"{name} codes {', '.join(sorted(codes))} are withheld by LAs at source: no record "
        f"holds them, here or on the real store."
        for name, codes in sorted(withheld_asked(query).items())
    ]
    dummy = {
        "notice": DUMMY_NOTICE,
        "rows_made": DEFAULT_ROWS,
        "seed": DEFAULT_SEED,
        "notes": notes,
        "query": to_dict(query),
        **dummy_display(query, result),
    }
    return {**_page(project, form), "dummy": dummy}


def submit(
    deployment: Deployment, engine: Engine, person_id: int, project_id: int, form: ComposeForm
) -> dict[str, Any]:
    """Run the query on the real store through the release pipeline: authorised,
    restricted, protected and recorded before anything is shown."""
    project = _member_project(engine, person_id, project_id)
    catalogue = load_catalogue()
    query = build_query(form, catalogue)
    table = run_protected_query(deployment, query, project_id, person_id, control=engine)
    release = protected_table_view(table)
    symbols = load_policy_book().policy_for(query.dataset, query.items_used()).symbols
    release["query"] = to_dict(query)
    if table.status is ReleaseStatus.RELEASED:
        # The pipeline keeps a released table as shown, in the same transaction as the
        # release, so the download is the stored table (the same bytes as the checksum).
        release["display"] = protected_display(table, query.spec, symbols)
        release["csv_href"] = release_csv_path(table.release_id)
        release["csv_name"] = f"release-{table.release_id}.csv"
    else:
        release["legend"] = symbol_legend(symbols)
    return {**_page(project, form), "release": release}


def my_release(engine: Engine, person_id: int, release_id: str) -> dict[str, Any]:
    """The requester's view of one release (``fetch_release`` refuses anyone else)."""
    return {"release": release_state_view(fetch_release(engine, release_id, person_id))}


def my_releases(engine: Engine, person_id: int, page: int) -> dict[str, Any]:
    """The person's own releases under their projects, newest first, one page at a time
    (``page`` counts from 1; past the last page the list is empty)."""
    found = list_own_releases(
        engine, person_id, offset=(page - 1) * RELEASES_PER_PAGE, limit=RELEASES_PER_PAGE
    )
    pages = max(1, -(-found.total // RELEASES_PER_PAGE))
    return {**own_releases_view(found), "page": page, "pages": pages}


# ---- helpers -----------------------------------------------------------------------------------


def _member_project(engine: Engine, person_id: int, project_id: int) -> Project:
    project = get_project(engine, project_id)
    if person_id not in project.members:
        raise Refusal(
            NOT_A_MEMBER,
            f"you are not a member of project {project_id}",
            hint="choose one of your projects on the workbench",
        )
    return project


def _page(project: Project, form: ComposeForm) -> dict[str, Any]:
    catalogue = load_catalogue()
    return {
        "project": _project(project),
        "options": form_options(project, catalogue),
        "form": form.to_dict(),
        "filter_rows": [{"item": r.item, "op": r.op, "value": r.value} for r in form.rows()],
    }


def _project(project: Project) -> dict[str, Any]:
    view = project_view(project)
    view["can_query"] = project.status is ProjectStatus.APPROVED
    return view


def _context(project: Project, query: Query) -> RestrictionContext:
    return RestrictionContext(allowed_items=project.application.items_of(query.dataset))


def _dummy(catalogue: Catalogue, dataset: str) -> pa.Table:
    return _cached_dummy(catalogue, dataset)


@functools.lru_cache(maxsize=DUMMY_CACHE)
def _cached_dummy(catalogue: Catalogue, dataset: str) -> pa.Table:
    # The same arguments give the same table, so one copy serves every request.
    return make_dummy(catalogue, dataset, DEFAULT_ROWS, DEFAULT_SEED)
