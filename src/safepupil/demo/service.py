"""The research service on the demo deployment, after intake: people, projects, protected
queries, a review, and the audit log that records all of it.

    people (custodian, approvers, researchers, output checkers, LA submitter; passwords
    and a token in a 0600 file) -> two approved projects -> protected queries (one with
    secondary suppression, one held for differencing) -> the held release refused by an
    output checker -> audit summary and verification

Plain steps returning plain results, like ``flow.run_demo``; rendering is the CLI's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from safepupil.demo.flow import DemoResult
from safepupil.demo.people import DemoPeople, add_demo_people
from safepupil.demo.projects import approve_demo_projects
from safepupil.demo.queries import QueryStory, run_queries
from safepupil.demo.report import AuditSummary, audit_summary
from safepupil.demo.timing import Stopwatch
from safepupil.governance import service
from safepupil.governance.projects import Project


@dataclass(frozen=True)
class ServiceDemo:
    people: DemoPeople
    projects: dict[str, Project]
    story: QueryStory
    audit: AuditSummary
    timings: dict[str, float]  # seconds per stage


def run_service_demo(demo: DemoResult) -> ServiceDemo:
    deployment = demo.deployment
    watch = Stopwatch()
    control = deployment.control_engine()
    try:
        with watch.stage("people, passwords and a token"):
            people = add_demo_people(control, demo.paths.root)
        with watch.stage("two projects applied for and approved"):
            ids = {key: entry.id for key, entry in people.by_key.items()}
            projects = approve_demo_projects(control, ids, (ids["approver_1"], ids["approver_2"]))
        with watch.stage("protected queries and a review"):
            # The first researcher comes in with their API token, as over the API.
            first = service.authenticate_token(control, people.token)
            story = run_queries(
                deployment,
                researchers=(first.id, ids["researcher_2"]),
                projects=(projects["placements"].id, projects["sen_support"].id),
                checkers=(ids["checker_1"], ids["checker_2"]),
            )
        with watch.stage("audit summary and verification"):
            audit = audit_summary(control)
    finally:
        control.dispose()
    return ServiceDemo(people, projects, story, audit, watch.stages)
