"""The whole flow on the embedded default, as plain steps returning plain results.

LA side: synthetic returns -> validate -> pseudonymise, aggregate, seal (one file per LA).
National side: a deployment -> intake of every submission -> the school census.
Rendering is the CLI's job; these functions print nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import load_la_tool_keys
from safepupil.collection.model import ValidationReport
from safepupil.collection.policy import default_policy
from safepupil.collection.prepare import Receipt, prepare_submission
from safepupil.collection.read import read_return
from safepupil.collection.school_census import pseudonymise_school_census
from safepupil.collection.validate import validate_return
from safepupil.demo.timing import Stopwatch
from safepupil.errors import InputFileError
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, init_deployment, open_store
from safepupil.store.intake import FileResult, intake_files, load_intake_keys
from safepupil.store.intake_school_census import SchoolCensusLoaded, load_school_census
from safepupil.synth.run import generate_census
from safepupil.synth.spec import SynthResult, SynthSpec

Progress = Callable[[str, int, int], None]  # (stage, done, total)
DEMO_ERROR_RATE = 0.02  # for the one return shown with its validation findings
DEMO_YEAR = 2018


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def returns(self) -> Path:
        return self.root / "returns"

    @property
    def returns_with_errors(self) -> Path:
        return self.root / "returns-with-errors"

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    @property
    def home(self) -> Path:
        return self.root / "home"


@dataclass(frozen=True)
class DemoResult:
    paths: DemoPaths
    census: SynthResult
    flawed_return: ValidationReport
    receipts: tuple[Receipt, ...]
    deployment: Deployment
    intake: tuple[FileResult, ...]
    school_census: SchoolCensusLoaded
    store_counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def run_demo(root: Path, spec: SynthSpec, progress: Progress | None = None) -> DemoResult:
    """Run every step, starting from an empty ``root`` (anything there is replaced)."""
    paths = DemoPaths(root)
    if root.exists():
        shutil.rmtree(root)
    watch = Stopwatch()
    with watch.stage("synthetic returns"):
        census = generate_census(spec, paths.returns, progress)
    with watch.stage("validation of a flawed return"):
        flawed = _validate_a_flawed_return(spec, paths)
    with watch.stage("deployment (keys, store, control plane)"):
        report = init_deployment(paths.home)
    with watch.stage("LA preparation (pseudonymise, seal)"):
        receipts = _prepare_every_return(census, paths, progress)
    with open_store(report.deployment) as store:
        with watch.stage("intake"):
            results = intake_files(
                store,
                [r.submission for r in receipts],
                load_intake_keys(report.deployment.paths.keys),
                load_catalogue(),
                on_result=_counting(progress, "intake", len(receipts)),
            )
        with watch.stage("school census load"):
            school = _load_school_census(census, report.deployment, store)
        counts = _store_counts(store)
    return DemoResult(
        paths,
        census,
        flawed,
        receipts,
        report.deployment,
        results,
        school,
        counts,
        watch.stages,
    )


def _validate_a_flawed_return(spec: SynthSpec, paths: DemoPaths) -> ValidationReport:
    """A small census with injected errors; the return with the most findings."""
    flawed_spec = SynthSpec(
        year=spec.year,
        pupils=2_000,
        school_pupils=0,
        seed=spec.seed,
        inject_errors=DEMO_ERROR_RATE,
    )
    flawed = generate_census(flawed_spec, paths.returns_with_errors)
    reports = []
    for path in flawed.ap_files:
        try:
            reports.append(validate_return(read_return(path)))
        except InputFileError:  # the one deliberately malformed file
            continue
    return max(reports, key=lambda report: (len(report.errors), report.source))


def _prepare_every_return(
    census: SynthResult, paths: DemoPaths, progress: Progress | None
) -> tuple[Receipt, ...]:
    keys = partial(load_la_tool_keys, KeyLayout(paths.home))
    policy = default_policy()
    paths.submissions.mkdir(parents=True, exist_ok=True)
    receipts = []
    for done, path in enumerate(census.ap_files, start=1):
        out = paths.submissions / f"{path.stem}.sealed"
        receipts.append(prepare_submission(path, out, keys, policy))
        if progress:
            progress("prepare", done, len(census.ap_files))
    return tuple(receipts)


def _counting(progress: Progress | None, stage: str, total: int) -> Callable[[FileResult], None]:
    done = 0

    def heard(_: FileResult) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(stage, done, total)

    return heard


def _load_school_census(
    census: SynthResult, deployment: Deployment, store: duckdb.DuckDBPyConnection
) -> SchoolCensusLoaded:
    """The school census arrives pseudonymised with the same custodian key as AP returns."""
    key = load_la_tool_keys(deployment.paths.keys, "201").pseudonym_key
    table = pseudonymise_school_census(pq.read_table(census.school_census), key, DEMO_YEAR)
    return load_school_census(store, table, DEMO_YEAR)


STORE_TOTALS = {  # whole-store totals for the custodian: no cells, no pupil-level values
    "AP census 2018 records (current versions)": "SELECT count(*) FROM ap_census_2018",
    "School census 2018 records": "SELECT count(*) FROM school_census_2018",
    "Pupils known to the store (by token)": "SELECT count(*) FROM pupils",
    "Submissions received": "SELECT count(*) FROM submissions",
}


def _store_counts(store: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for label, sql in STORE_TOTALS.items():
        row = store.execute(sql).fetchone()
        counts[label] = int(row[0]) if row else 0
    return counts
