"""Every router of the app, in one list: adding a page or an API module means adding
it here (tests/web/test_route_guards.py checks each route's first dependency)."""

from __future__ import annotations

from fastapi import APIRouter

from safepupil.web.api import me, people, projects, queries, releases, reviews, submissions, tokens
from safepupil.web.pages import (
    checker,
    custodian,
    docs,
    notices_page,
    portal,
    register_page,
    sign_in,
    workbench,
)

ROUTERS: tuple[APIRouter, ...] = (
    sign_in.router,
    sign_in.signed_in_router,
    docs.router,
    register_page.router,
    portal.router,
    notices_page.router,
    workbench.router,
    checker.router,
    custodian.router,
    custodian.people_router,
    me.router,
    queries.router,
    releases.router,
    projects.router,
    people.router,
    tokens.router,
    reviews.router,
    submissions.router,
)
