"""The demo's protected queries, each through ``run_protected_query`` (the only route out):

1. a table by LA and sex for five LAs: small cells suppressed (primary) and others hidden so they
   cannot be worked out from the totals (secondary), proved by linear programming;
2. the same population by sex, from the other project;
3. that table again without one small LA: its pupils differ from cells released before by
   fewer than the threshold, so the release is held for review (differencing);
4. the held release reviewed: an output checker sees that subtracting it from the
   national table would count the left-out pupils, and refuses it (one refusal is enough).

The demo's output policy is the shipped one with ``differencing_action = "hold"`` for the
AP census, so a differencing hit waits for an output checker rather than being
suppressed straight away. Every value printed later is a ProtectedTable's text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from safepupil.disclosure.output_policy import PolicyBook, load_policy_book
from safepupil.errors import DisclosureRefused
from safepupil.query.sql import parse_sql
from safepupil.release.pipeline import run_protected_query
from safepupil.release.result import ProtectedTable
from safepupil.release.review import (
    ReleaseState,
    ReviewDecision,
    ReviewOutcome,
    fetch_release,
    review_release,
)
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, open_store

AP = "ap_census_2018"
HOLD = "hold"
LA_CODE = re.compile(r"^[0-9]{3}$")
DIFFERENCING_SQL = "SELECT sex, COUNT(*) FROM ap_census_2018 WHERE la != '{la}' GROUP BY sex"
# Pupils recorded in one LA only: leaving that LA out removes exactly them.
SMALL_LA_SQL = """
    WITH only_here AS (
        SELECT pupil_id, min(la) AS la FROM ap_census_2018
        GROUP BY pupil_id HAVING count(DISTINCT la) = 1
    )
    SELECT la FROM only_here GROUP BY la
    HAVING count(*) BETWEEN 1 AND ? ORDER BY count(*) DESC, la LIMIT 1
"""


@dataclass(frozen=True)
class Asked:
    """Who asks what, under which project."""

    label: str
    why: str
    person: int
    project: int
    sql: str


@dataclass(frozen=True)
class Answered:
    asked: Asked
    table: ProtectedTable | None  # None when refused
    refusal: str | None = None

    @property
    def outcome(self) -> str:
        return "refused" if self.table is None else self.table.status.value

    def cells(self, status: str) -> int:
        """How many cells have ``status`` (released, primary, secondary, held)."""
        if self.table is None:
            return 0
        return Counter(cell.status for cell in self.table.report)[status]


@dataclass(frozen=True)
class Reviewed:
    release_id: str
    decisions: tuple[ReviewOutcome, ...]  # one per checker, in order
    requester_view: ReleaseState  # what the requester sees afterwards

    @property
    def table(self) -> ProtectedTable | None:
        return self.decisions[-1].table


@dataclass(frozen=True)
class QueryStory:
    answered: tuple[Answered, ...]
    reviewed: Reviewed | None
    small_la: str | None  # the LA left out by the differencing query

    def find(self, label: str) -> Answered:
        return next(a for a in self.answered if a.asked.label == label)


def demo_policies() -> PolicyBook:
    """The shipped policy, but a differencing hit in the AP census is held for review."""
    book = load_policy_book()
    ap = replace(book.datasets.get(AP, book.default), differencing_action=HOLD)
    return replace(book, datasets={**book.datasets, AP: ap})


def run_queries(
    deployment: Deployment,
    researchers: tuple[int, int],
    projects: tuple[int, int],
    checkers: tuple[int, int],
) -> QueryStory:
    """Run the demo's queries and the review of the held one."""
    policies = demo_policies()
    first, second = researchers
    placements, sen_support = projects
    small_la = smallest_la(deployment, policies.policy_for(AP).threshold)
    asked = [
        Asked(
            "secondary suppression",
            "AP pupils of five LAs (the City of London, Camden, Greenwich, Hackney and the "
            "Isles of Scilly) by sex: small cells, and the cells that would give them away",
            first,
            placements,
            "SELECT la, sex, COUNT(*) FROM ap_census_2018 "
            "WHERE la IN ('201', '202', '203', '204', '420') GROUP BY la, sex",
        ),
        Asked(
            "earlier release",
            "AP pupils by sex, from the other project: released",
            second,
            sen_support,
            "SELECT sex, COUNT(*) FROM ap_census_2018 GROUP BY sex",
        ),
    ]
    if small_la is not None:
        asked.append(
            Asked(
                "differencing",
                "the same table without one small LA: it would give that LA's pupils away",
                first,
                placements,
                # A researcher's restricted SQL, parsed into the query model, never run.
                DIFFERENCING_SQL.format(la=small_la),
            )
        )
    answered = tuple(_ask(deployment, a, policies) for a in asked)
    held = [a for a in answered if a.outcome == "held"]
    reviewed = _review(deployment, held[0], checkers, policies) if held else None
    return QueryStory(answered, reviewed, small_la)


def _ask(deployment: Deployment, asked: Asked, policies: PolicyBook) -> Answered:
    query = parse_sql(asked.sql, load_catalogue())
    try:
        table = run_protected_query(
            deployment, query, asked.project, asked.person, policies=policies
        )
    except DisclosureRefused as refusal:
        return Answered(asked, None, refusal.message)
    return Answered(asked, table)


REFUSAL_NOTE = (
    "Refused: subtracted from the national table by sex released before, this would count "
    "the pupils of the one LA left out."
)


def _review(
    deployment: Deployment, held: Answered, checkers: tuple[int, int], policies: PolicyBook
) -> Reviewed:
    assert held.table is not None
    release_id = held.table.release_id
    # The first checker refuses; a refusal ends the review, so the second is not asked.
    decisions = (
        review_release(
            deployment,
            release_id,
            checkers[0],
            ReviewDecision.REJECT,
            REFUSAL_NOTE,
            policies=policies,
        ),
    )
    control = deployment.control_engine()
    try:
        view = fetch_release(control, release_id, held.asked.person)
    finally:
        control.dispose()
    return Reviewed(release_id, decisions, view)


def smallest_la(deployment: Deployment, threshold: int) -> str | None:
    """An LA whose leaving out changes the AP population by 1..threshold-1 pupils: what a
    researcher who knows the smallest LAs (the City of London, the Isles of Scilly) would
    try. Read by the service itself; the number is never shown."""
    with open_store(deployment, read_only=True) as store:
        row = store.execute(SMALL_LA_SQL, [threshold - 1]).fetchone()
    if row is None or not LA_CODE.match(str(row[0])):
        return None
    return str(row[0])
