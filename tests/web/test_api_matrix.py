"""Security property 6 through the JSON API: who may call what, as a table.

Each row is one route and the status each role gets. Requests are harmless on purpose
(an unknown id, an empty body), so a role the guard lets through gets the service's
answer (200, 404, 422) and a role it refuses gets 401 or 403 before anything runs.
The table must name every /api/v1 route: a new route without a row fails here.
Run on SQLite and PostgreSQL control planes.
"""

from __future__ import annotations

import re

from tests.web.conftest import Api
from tests.web.test_route_guards import _api_routes

ROLES = ("anonymous", "researcher", "unaccredited", "approver", "custodian", "checker", "submitter")
NO_RELEASE = "00000000-0000-4000-8000-000000000000"
EMPTY = "{}"

# route                                       body       anon res  unacc appr cust chk  sub
MATRIX = f"""
GET    /api/v1/me                              -          401  200  200   200  200  200  200
GET    /api/v1/projects                        -          401  200  200   200  200  200  200
POST   /api/v1/projects                        {EMPTY}    401  422  422   403  403  403  403
GET    /api/v1/projects/999999                 -          401  404  404   404  404  404  404
POST   /api/v1/projects/999999/approve         -          401  403  403   404  403  403  403
POST   /api/v1/projects/999999/reject          {EMPTY}    401  403  403   422  403  403  403
POST   /api/v1/projects/999999/queries         {EMPTY}    401  422  422   403  403  403  403
GET    /api/v1/releases                        -          401  200  200   403  403  403  403
GET    /api/v1/releases/{NO_RELEASE}           -          401  404  404   403  403  403  403
GET    /api/v1/releases/{NO_RELEASE}/table.csv -          401  404  404   403  403  403  403
GET    /api/v1/people                          -          401  403  403   403  200  403  403
POST   /api/v1/people                          {EMPTY}    401  403  403   403  422  403  403
POST   /api/v1/people/999999/accreditation     {EMPTY}    401  403  403   403  422  403  403
POST   /api/v1/people/999999/disable           -          401  403  403   403  404  403  403
GET    /api/v1/tokens                          -          401  200  200   200  200  200  200
POST   /api/v1/tokens                          {{"days":0}} 401  422  422   422  422  422  422
DELETE /api/v1/tokens/999999                   -          401  404  404   404  404  404  404
GET    /api/v1/reviews                         -          401  403  403   403  403  200  403
GET    /api/v1/reviews/{NO_RELEASE}            -          401  403  403   403  403  404  403
POST   /api/v1/reviews/{NO_RELEASE}/approve    -          401  403  403   403  403  404  403
POST   /api/v1/reviews/{NO_RELEASE}/reject     {EMPTY}    401  403  403   403  403  422  403
POST   /api/v1/submissions                     -          401  403  403   403  422  403  422
"""

Row = tuple[str, str, str | None, dict[str, int]]


def _rows() -> list[Row]:
    rows = []
    for line in MATRIX.strip().splitlines():
        method, path, body, *statuses = line.split()
        assert len(statuses) == len(ROLES), line
        given = None if body == "-" else body
        rows.append((method, path, given, dict(zip(ROLES, map(int, statuses), strict=True))))
    return rows


ROWS = _rows()
REFUSAL_CODES = {401: "not_signed_in", 403: "permission_denied"}


def _call(api: Api, method: str, path: str, body: str | None, who: str) -> tuple[int, dict]:
    headers = api.auth(who) | ({"content-type": "application/json"} if body else {})
    answer = api.client.request(method, path, content=body, headers=headers)
    kind = answer.headers.get("content-type", "")
    return answer.status_code, answer.json() if kind.startswith("application/json") else {}


def test_every_api_route_has_a_row(api: Api) -> None:
    def pattern(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    routes = {
        (method, pattern(route.path))
        for route in _api_routes(list(api.client.app.routes))  # type: ignore[attr-defined]
        if route.path.startswith("/api/v1")
        for method in route.methods - {"HEAD"}
    }
    rows = {(m, re.sub(rf"999999|{NO_RELEASE}", "{}", p)) for m, p, _, _ in ROWS}
    assert routes == rows


def test_each_role_gets_what_the_table_says(api: Api) -> None:
    wrong = []
    for role in ROLES:
        for method, path, body, expected in ROWS:
            status, answer = _call(api, method, path, body, role)
            want = expected[role]
            if status != want or (want in REFUSAL_CODES and answer["code"] != REFUSAL_CODES[want]):
                wrong.append(f"{role} {method} {path}: {status} {answer.get('code')} (want {want})")
    assert wrong == []


def test_a_refused_role_is_told_which_role_it_needs(api: Api) -> None:
    status, answer = _call(api, "GET", "/api/v1/people", None, "researcher")
    assert status == 403 and "custodian role" in answer["message"]
    status, answer = _call(api, "POST", "/api/v1/projects/1/queries", EMPTY, "approver")
    assert status == 403 and "researcher role" in answer["message"]
