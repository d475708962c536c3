"""Bench: many researchers at once against `safepupil serve`, with a serial baseline.

    .venv/bin/python bench/bench_load.py [--researchers 50] [--duration 120] [--workers 2]
                                         [--think 30] [--out bench-output/load] [--fresh]
                                         [--pupils 24500] [--baseline 12]

Builds (or reuses, under --out) a demo deployment the way `make demo` does (synthetic
census for 152 LAs -> LA preparation -> intake), then adds two approvers and, for each
simulated researcher, an accredited account, an approved project of its own (AP census:
la, sex, sen_provision, ap_setting_type, birth_year_month) and an API token. The tokens
are kept in --out/fleet.json (0600) so a rerun reuses the deployment; --fresh rebuilds.
A reused deployment keeps its earlier releases: the differencing index grows run by run.

Baseline: the same kind of queries run in-process, one after another, straight through
``run_protected_query`` (no HTTP, no concurrency), with a breakdown of one release's
time (store connection, engine, earlier cells, rules and suppression).

Load: ``safepupil serve`` as a subprocess on 127.0.0.1 (a free port, --workers
processes); once it answers, --researchers asyncio tasks (httpx), each with its own
token and project, POST AP-census queries (varied dimensions and filters) to
/api/v1/projects/{id}/queries for --duration seconds, and GET each release they get
(/api/v1/releases/{id}). --think waits a random time (mean --think s) between a
researcher's queries (default 30 s: reading a table and composing the next query), and
researchers arrive spread over the first think time; 0 sends the next at once and shows
the service's capacity (the hardest case).

Prints p50/p99 latency, throughput, HTTP status counts (200 released, 202 held and 409
refused are outcomes, not errors) and the ratio to the baseline. Goal: no errors and p99
under 1 s for the queries; exits 1 if missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from safepupil.collection.keys.atomic_file import atomic_write_bytes
from safepupil.demo.flow import run_demo
from safepupil.disclosure.output_policy import load_policy_book
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.errors import DisclosureRefused
from safepupil.governance import service
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    ProjectApplication,
    resolve_items,
)
from safepupil.governance.roles import Role
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.query.sql import parse_sql
from safepupil.release.pipeline import decide, run_protected_query
from safepupil.release.records import earlier_cells
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, load_deployment, open_store
from safepupil.synth import SynthSpec
from safepupil.synth.spec import DEFAULT_AP_PUPILS

AP = "ap_census_2018"
ITEMS = ("la", "sex", "sen_provision", "ap_setting_type", "birth_year_month")
GOAL_P99_SECONDS = 1.0
OUTCOMES = {200: "released", 202: "held for review", 409: "refused (disclosure)"}
LAS = tuple(la.code for la in local_authorities_on(census_day(2018)))
DIMENSIONS = (
    ("sex",),
    ("sen_provision",),
    ("ap_setting_type",),
    ("region",),
    ("region", "sex"),
    ("sen_provision", "sex"),
    ("ap_setting_type", "sen_provision"),
    ("la",),
    ("la", "sex"),
)
FILTERS = (
    "",
    "sex = 'M'",
    "sex = 'F'",
    "sen_provision IN ('E', 'K')",
    "sen_provision = 'N'",
    "ap_setting_type != 'OTH'",
    "la IN ({las})",
)


def say(text: str = "") -> None:
    print(text, flush=True)


# --- the deployment and its researchers -------------------------------------------------


@dataclass(frozen=True)
class Researcher:
    person_id: int
    project_id: int
    token: str


@dataclass(frozen=True)
class Fleet:
    home: Path
    researchers: tuple[Researcher, ...]


def fleet(out: Path, args: argparse.Namespace) -> Fleet:
    marker = out / "fleet.json"
    if marker.is_file() and not args.fresh:
        saved = json.loads(marker.read_text("utf-8"))
        if len(saved["researchers"]) >= args.researchers:
            say(f"reusing the deployment in {out} (--fresh rebuilds it)")
            return Fleet(Path(saved["home"]), tuple(Researcher(**r) for r in saved["researchers"]))
    started = time.perf_counter()
    spec = SynthSpec(pupils=args.pupils, school_pupils=args.school_pupils, seed=2018)
    demo = run_demo(out / "demo", spec)
    for stage, seconds in demo.timings.items():
        say(f"  setup: {stage:<42}{seconds:6.1f} s")
    researchers = _add_researchers(demo.deployment, args.researchers)
    made = Fleet(demo.deployment.home.resolve(), researchers)
    document = {"home": str(made.home), "researchers": [r.__dict__ for r in researchers]}
    atomic_write_bytes(marker, json.dumps(document).encode("utf-8"), 0o600)
    say(f"  setup: total {time.perf_counter() - started:.1f} s")
    return made


def _add_researchers(deployment: Deployment, count: int) -> tuple[Researcher, ...]:
    engine = deployment.control_engine()
    today = dt.date.today()
    catalogue = load_catalogue()
    approvers = [
        service.add_person(
            engine,
            name=f"Approver {n}",
            email=f"approver{n}@panel.example",
            roles=[Role.APPROVER],
            organisation="Access panel",
        ).id
        for n in (1, 2)
    ]
    made = []
    for n in range(1, count + 1):
        person = service.add_person(
            engine,
            name=f"Researcher {n}",
            email=f"researcher{n}@uni{n}.example",
            roles=[Role.RESEARCHER],
            organisation=f"University {n}",
        )
        service.accredit(engine, person.id, today + dt.timedelta(days=365))
        application = ProjectApplication(
            title=f"Load project {n}",
            purpose="Describe pupils in alternative provision.",
            public_benefit="Better placement decisions by local authorities.",
            legal_basis=LegalBasis.PUBLIC_TASK,
            organisation=f"University {n}",
            organisation_type=OrganisationType.ACADEMIC,
            items=resolve_items(catalogue, [AP], ITEMS),
            start=today,
            end=today + dt.timedelta(days=365),
        )
        project = service.apply_for_project(engine, application, person.id)
        for approver in approvers:
            service.approve_project(engine, project.id, approver)
        token = service.create_token(engine, person.id, days=30).secret
        made.append(Researcher(person.id, project.id, token))
    engine.dispose()
    return tuple(made)


def a_query(rng: random.Random) -> str:
    """One AP-census query: 1 or 2 dimensions, and a filter on another item (or none)."""
    dimensions = rng.choice(DIMENSIONS)
    usable = [f for f in FILTERS if not any(f.startswith(d) for d in dimensions)]
    condition = rng.choice(usable)
    if "{las}" in condition:
        condition = condition.format(las=", ".join(f"'{c}'" for c in rng.sample(LAS, 5)))
    where = f" WHERE {condition}" if condition else ""
    names = ", ".join(dimensions)
    return f"SELECT {names}, COUNT(*) FROM {AP}{where} GROUP BY {names}"


# --- the baseline: in-process, serial ---------------------------------------------------


@dataclass
class Serial:
    seconds: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


def baseline(home: Path, researchers: tuple[Researcher, ...], count: int) -> Serial:
    deployment = load_deployment(home)
    catalogue = load_catalogue()
    rng = random.Random(1)
    measured = Serial()
    for n in range(count):
        who = researchers[n % len(researchers)]
        query = parse_sql(a_query(rng), catalogue)
        started = time.perf_counter()
        try:
            table = run_protected_query(deployment, query, who.project_id, who.person_id)
            measured.outcomes[table.status.value] += 1
        except DisclosureRefused:
            measured.outcomes["refused"] += 1
        measured.seconds.append(time.perf_counter() - started)
    return measured


def breakdown(home: Path, sql: str) -> dict[str, float]:
    """Where one release's time goes, step by step (what the pipeline does, unrecorded)."""
    deployment = load_deployment(home)
    query = parse_sql(sql, load_catalogue())
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    times: dict[str, float] = {}
    started = time.perf_counter()
    with open_store(deployment, read_only=True) as store:
        times["open the encrypted store"] = time.perf_counter() - started
        mark = time.perf_counter()
        result = DuckDBEngine().run(restricted, store, with_margins=True)
        times["engine (with margins)"] = time.perf_counter() - mark
    control = deployment.control_engine()
    mark = time.perf_counter()
    with control.connect() as connection:
        index = earlier_cells(connection, AP)
    times[f"earlier cells ({len(index):,}), read and indexed"] = time.perf_counter() - mark
    control.dispose()
    policy = load_policy_book().policy_for(AP, query.items_used())
    mark = time.perf_counter()
    with contextlib.suppress(DisclosureRefused):
        decide(query, result, policy, index)
    times["rules, secondary suppression, LP audit"] = time.perf_counter() - mark
    return times


# --- the server and the load -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(home: Path, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("safepupil")),
        "serve",
        "--home",
        str(home),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as errors:  # the server's tracebacks, summarised in the report
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True
        )


def wait_until_up(base: str, server: subprocess.Popen[bytes], limit: float = 90) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if server.poll() is not None:
            raise SystemExit(f"safepupil serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"safepupil serve did not answer within {limit:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # its own session: uvicorn and its workers
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@dataclass
class Load:
    query_seconds: list[float] = field(default_factory=list)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (s, at, query)
    fetch_seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    fetch_statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no HTTP answer at all

    @property
    def errors(self) -> int:
        bad = sum(n for status, n in self.statuses.items() if status not in OUTCOMES)
        bad += sum(n for status, n in self.fetch_statuses.items() if status != 200)
        return bad + sum(self.failures.values())


async def simulate(
    base: str, who: Researcher, seed: int, deadline: float, think: float, load: Load
) -> None:
    rng = random.Random(seed)
    headers = {"authorization": f"Bearer {who.token}"}
    url = f"{base}/api/v1/projects/{who.project_id}/queries"
    # No keep-alive: a connection the server closes as idle must not count as an error.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        headers=headers, timeout=httpx.Timeout(120), limits=limits
    ) as client:
        if think > 0:  # researchers arrive over the first think time, not all at once
            await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < deadline:
            started = time.perf_counter()
            sql = a_query(rng)
            try:
                answer = await client.post(url, json={"sql": sql})
            except httpx.HTTPError as error:
                load.failures[type(error).__name__] += 1
                continue
            took = time.perf_counter() - started
            load.query_seconds.append(took)
            load.slowest.append((took, time.monotonic() - deadline, sql))
            load.statuses[answer.status_code] += 1
            if answer.status_code in (200, 202):
                release = answer.json()["release_id"]
                started = time.perf_counter()
                try:
                    fetched = await client.get(f"{base}/api/v1/releases/{release}")
                except httpx.HTTPError as error:
                    load.failures[type(error).__name__] += 1
                    continue
                load.fetch_seconds.append(time.perf_counter() - started)
                load.fetch_statuses[fetched.status_code] += 1
            if think > 0:  # composing the next query; no waiting past the end
                pause = rng.expovariate(1 / think)
                await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def warm_up(base: str, who: Researcher, queries: int) -> None:
    """A few queries before timing, so each worker has loaded its code and its copy of the
    earlier released cells (a cold start, not what a researcher meets in the day)."""
    url = f"{base}/api/v1/projects/{who.project_id}/queries"
    headers = {"authorization": f"Bearer {who.token}"}
    rng = random.Random(0)
    with httpx.Client(headers=headers, timeout=120) as client:
        for _ in range(queries):
            client.post(url, json={"sql": a_query(rng)})


async def run_load(
    base: str, researchers: tuple[Researcher, ...], duration: float, think: float
) -> Load:
    load = Load()
    deadline = time.monotonic() + duration
    await asyncio.gather(
        *(simulate(base, who, n, deadline, think, load) for n, who in enumerate(researchers))
    )
    return load


# --- report ------------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f} ms"


def report(serial: Serial, load: Load, elapsed: float, args: argparse.Namespace) -> bool:
    base_p50 = statistics.median(serial.seconds)
    say(f"\nbaseline: {len(serial.seconds)} queries in-process, serially")
    say(
        f"  p50 {ms(base_p50)}   p99 {ms(quantile(serial.seconds, 0.99))}   {dict(serial.outcomes)}"
    )
    p50, p99 = quantile(load.query_seconds, 0.5), quantile(load.query_seconds, 0.99)
    done = len(load.query_seconds)
    say(
        f"\nload: {args.researchers} researchers for {elapsed:.0f} s, {args.workers} worker(s), "
        f"think time {args.think:g} s"
    )
    say(f"  queries answered       {done:8d}   ({done / elapsed:.2f}/s)")
    say(
        f"  query latency   p50 {ms(p50)}   p99 {ms(p99)}   "
        f"max {ms(max(load.query_seconds, default=0))}"
    )
    say("  the slowest queries (latency, seconds before the end, query):")
    for took, before_end, sql in sorted(load.slowest, reverse=True)[:5]:
        say(f"    {ms(took)}  {-before_end:6.1f} s  {sql}")
    if load.fetch_seconds:
        say(
            f"  release fetch   p50 {ms(quantile(load.fetch_seconds, 0.5))}   "
            f"p99 {ms(quantile(load.fetch_seconds, 0.99))}"
        )
    for status, count in sorted(load.statuses.items()):
        say(f"  HTTP {status} {OUTCOMES.get(status, 'ERROR'):<22}{count:8d}")
    for status, count in sorted(load.fetch_statuses.items()):
        say(f"  fetch HTTP {status}{'' if status == 200 else ' ERROR':<17}{count:8d}")
    for kind, count in sorted(load.failures.items()):
        say(f"  no answer ({kind}) ERROR {count:8d}")
    say(f"  errors                 {load.errors:8d}")
    say(f"\nratio to the serial baseline: p50 {p50 / base_p50:.1f}x, p99 {p99 / base_p50:.1f}x")
    met = load.errors == 0 and done > 0 and p99 < GOAL_P99_SECONDS
    verdict = "MET" if met else "MISSED"
    say(
        f"goal: no errors and p99 < {GOAL_P99_SECONDS:g} s: {verdict} "
        f"(p99 {p99:.2f} s, {load.errors} errors)"
    )
    return met


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-output/load"))
    parser.add_argument("--fresh", action="store_true", help="rebuild the deployment")
    parser.add_argument("--pupils", type=int, default=DEFAULT_AP_PUPILS)
    parser.add_argument("--school-pupils", type=int, default=20_000)
    parser.add_argument("--researchers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--think",
        type=float,
        default=30.0,
        help="mean s a researcher takes to compose the next query (0: none, the hardest case)",
    )
    parser.add_argument("--baseline", type=int, default=12, help="serial baseline queries")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    say(f"bench_load: {os.cpu_count()} cores; {args.researchers} researchers, {args.duration:g} s")
    args.out.mkdir(parents=True, exist_ok=True)
    built = fleet(args.out, args)
    say("\nwhere one release's time goes (la x sex, in-process):")
    for step, seconds in breakdown(
        built.home, f"SELECT la, sex, COUNT(*) FROM {AP} GROUP BY la, sex"
    ).items():
        say(f"  {step:<48}{ms(seconds)}")
    serial = baseline(built.home, built.researchers, args.baseline)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = args.out / "server.log"
    server = start_server(built.home, port, args.workers, log)
    try:
        say(f"\nsafepupil serve up in {wait_until_up(base, server):.1f} s at {base}")
        warm_up(base, built.researchers[0], 4 * args.workers)
        started = time.perf_counter()
        load = asyncio.run(
            run_load(base, built.researchers[: args.researchers], args.duration, args.think)
        )
        elapsed = time.perf_counter() - started
    finally:
        stop_server(server)
    after = breakdown(built.home, f"SELECT sex, COUNT(*) FROM {AP} GROUP BY sex")
    index_line = next(k for k in after if k.startswith("earlier cells"))
    say(f"\nafter the load: {index_line}: {ms(after[index_line])} per release")
    met = report(serial, load, elapsed, args)
    server_errors(log)
    return 0 if met else 1


def server_errors(log: Path) -> None:
    """The server's exceptions by their last line (which names the error, never a value)."""
    kinds = Counter(
        line.strip()[:160]
        for line in log.read_text("utf-8", errors="replace").splitlines()
        if line and not line.startswith((" ", "Traceback", "[", "(", "During", "The above"))
    )
    if kinds:
        say(f"server log ({log}):")
        for line, count in kinds.most_common(5):
            say(f"  {count:6d} x {line}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
