"""Bench: the DuckDB engine against a plain DuckDB GROUP BY, on a real encrypted store.

    .venv/bin/python bench/bench_query.py [--pupils 8000000] [--repeats 5] [--quick]
                                          [--no-growth] [--no-breakdown] [--keep DIR]

Builds a deployment in a temporary folder the way the service does: synthetic census
(``generate_census``: the AP census, 24,500 pupils by default, and a school census of
--pupils) -> each AP return prepared and sealed (``prepare_submission``) -> a deployment
(``init_deployment``, encrypted DuckDB store) -> intake of every sealed return
(``intake_files``) -> the school census pseudonymised (``pseudonymise_school_census``)
and loaded (``load_school_census``). Each setup stage is timed and printed.

Then, on a read-only store connection (``open_store(..., read_only=True)``), times the
engine's 3-dimension query on ``school_census_2018`` (la x sen_provision x sex: Count,
and Sum(sessions_absent), which brings top-2 contributions and a contributor bitmap per
cell) against ``SELECT la, sen_provision, sex, count(*), sum(sessions_absent) ... GROUP
BY ALL`` on the same connection, also with margins. Repeats are interleaved (plain,
engine, engine + margins, plain, ...) so load from other jobs falls on all of them
alike. Prints medians of wall and CPU time (the whole process's, DuckDB's threads
included), the ratio engine / plain (goal: at most 2x, on wall time), a breakdown of
where the engine's extra time goes (with the per-record keys tried instead of lists),
the same query on the AP census for reference, and peak resident memory.

Growth (on by default): the school census is also loaded at 1/8, 1/4 and 1/2 of
--pupils (nested random samples of the same pupils, loaded one after another into the
same store; each load replaces the dataset) and the query timed at each size.

Exits non-zero only on an error (including engine results that disagree with the plain
query); missing the 2x goal is reported, not an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import load_la_tool_keys
from safepupil.collection.policy import default_policy
from safepupil.collection.prepare import prepare_submission
from safepupil.collection.school_census import pseudonymise_school_census
from safepupil.query.builder import dataset
from safepupil.query.engines import DuckDBEngine
from safepupil.query.engines.code_bitmaps import KEPT
from safepupil.query.engines.duckdb_engine import explain
from safepupil.query.restriction import RestrictedQuery, RestrictionContext, restrict
from safepupil.query.results import QueryResult
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import Deployment, init_deployment, open_store
from safepupil.store.intake import intake_files, load_intake_keys
from safepupil.store.intake_school_census import load_school_census
from safepupil.synth import SynthSpec, generate_census
from safepupil.synth.spec import DEFAULT_AP_PUPILS

YEAR = 2018
SEED = 2018
SCHOOL = f"school_census_{YEAR}"
AP = f"ap_census_{YEAR}"
DIMENSIONS = ("la", "sen_provision", "sex")
MAGNITUDE = "sessions_absent"
DEFAULT_PUPILS = 8_000_000
QUICK_PUPILS = 200_000
DEFAULT_REPEATS = 7
GROWTH_FRACTIONS = (8, 4, 2)  # the growth sizes are --pupils / 8, / 4 and / 2
GOAL = 2.0  # engine at most 2x the plain GROUP BY
CATALOGUE = load_catalogue()
ENGINE = DuckDBEngine()
LISTING = DuckDBEngine(
    list_ids=True
)  # every cell's pupil ids listed: the way before per-code bitmaps

PLAIN = {
    SCHOOL: f"SELECT la, sen_provision, sex, count(*), sum({MAGNITUDE}) FROM {SCHOOL} GROUP BY ALL",
    # The AP census has several records per pupil: the engine counts distinct pupils.
    AP: f"SELECT la, sen_provision, sex, count(DISTINCT pupil_id) FROM {AP} GROUP BY ALL",
}
# The engine's extra work, one piece at a time, as plain statements (--breakdown).
WITH_TOP2 = (
    f"SELECT la, sen_provision, sex, count(*), sum({MAGNITUDE}), max({MAGNITUDE}, 2) "
    f"FROM {SCHOOL} GROUP BY ALL"
)
WITH_IDS = (
    f"SELECT la, sen_provision, sex, count(*), sum({MAGNITUDE}), list(pupil_id) "
    f"FROM {SCHOOL} GROUP BY ALL"
)
# The alternative tried to list(pupil_id) (docs/performance.md): one 64-bit key per record,
# the top half of the hash of its cell's codes above its pupil id, fetched into numpy.
# It costs a second statement but no list aggregate; the keys would then be sorted.
PER_RECORD_KEYS = (
    f"SELECT hash(la, sen_provision, sex) & CAST({0xFFFF_FFFF_0000_0000} AS UBIGINT) "
    f"| TRY_CAST(pupil_id AS UINTEGER) AS key FROM {SCHOOL}"
)


def say(text: str = "") -> None:
    print(text, flush=True)


# --- memory ----------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start a new peak (Linux: writing 5 to clear_refs resets VmHWM); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def high_water_mib() -> float | None:
    """Peak resident memory since the last reset (VmHWM), or None off Linux."""
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


# --- building the deployment -------------------------------------------------------------


@dataclass
class Stages:
    timings: list[tuple[str, float]]

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings.append((name, seconds))
        say(f"  {name:<44} {seconds:>8.1f} s   (peak RSS so far {peak_rss_mib():,.0f} MiB)")


def build_deployment(
    root: Path, pupils: int, ap_pupils: int, stages: Stages
) -> tuple[Deployment, pa.Table]:
    """A deployment in ``root/home`` holding the AP census, and the pseudonymised school
    census (not loaded yet: the caller loads it, at several sizes for growth)."""
    spec = SynthSpec(year=YEAR, pupils=ap_pupils, school_pupils=pupils, seed=SEED)
    with stages.stage(f"synth: {ap_pupils:,} AP + {pupils:,} school pupils"):
        census = generate_census(spec, root / "returns")
    home = root / "home"
    with stages.stage("init_deployment (keys, encrypted store)"):
        deployment = init_deployment(home).deployment
    submissions = root / "submissions"
    submissions.mkdir()
    keys = partial(load_la_tool_keys, KeyLayout(home))
    policy = default_policy()
    with stages.stage(f"prepare_submission x {len(census.ap_files)} AP returns"):
        sealed = [
            prepare_submission(path, submissions / f"{path.stem}.sealed", keys, policy).submission
            for path in census.ap_files
        ]
    with stages.stage("intake_files (AP census)"), open_store(deployment) as store:
        results = intake_files(store, sealed, load_intake_keys(deployment.paths.keys), CATALOGUE)
        refused = [r.source.name for r in results if r.refused]
        if refused:
            raise RuntimeError(f"intake refused {len(refused)} submissions: {refused[:3]}")
    with stages.stage("read + pseudonymise_school_census"):
        # The custodian's key is the same in every LA's tool: any LA's copy will do.
        any_la = next(iter(census.ap_pupils_by_la))
        key = load_la_tool_keys(deployment.paths.keys, any_la).pseudonym_key
        table = pseudonymise_school_census(pq.read_table(census.school_census), key, YEAR)
    return deployment, table


def load(deployment: Deployment, table: pa.Table, stages: Stages) -> None:
    with (
        stages.stage(f"load_school_census {table.num_rows:,} (+ close)"),
        open_store(deployment) as store,
    ):
        load_school_census(store, table, YEAR, CATALOGUE)
    pa.default_memory_pool().release_unused()


# --- measuring -----------------------------------------------------------------------------


def restricted_query(name: str, *, magnitude: bool) -> RestrictedQuery:
    builder = dataset(name, CATALOGUE).by(*DIMENSIONS).count()
    if magnitude:
        builder = builder.sum(MAGNITUDE)
    return restrict(builder.build(), RestrictionContext(allowed_items=None))


@dataclass(frozen=True)
class Medians:
    wall: dict[str, float]  # seconds
    cpu: dict[str, float]  # CPU seconds of the whole process (every DuckDB thread too)


def interleaved(tasks: dict[str, Callable[[], object]], repeats: int) -> Medians:
    """Median seconds of each task, run in rounds (a, b, c, a, b, c, ...) after one
    warm-up round (first runs pay for plans, caches and reading the encrypted pages).
    CPU time is measured too: on a shared machine it moves less than wall time, and it
    shows what runs on one core (Python) next to what DuckDB spreads over all of them."""
    for task in tasks.values():
        task()
    wall: dict[str, list[float]] = {name: [] for name in tasks}
    cpu: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            task()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return Medians(
        {name: statistics.median(values) for name, values in wall.items()},
        {name: statistics.median(values) for name, values in cpu.items()},
    )


def check_agrees(result: QueryResult, plain: list[tuple[object, ...]], name: str) -> None:
    """The engine's interior cells must equal the plain GROUP BY, value for value."""
    expected = {tuple(row[:3]): tuple(row[3:]) for row in plain}
    found = {
        cell.codes: (cell.n_pupils, *(v.value for v in cell.values[1:])) for cell in result.interior
    }
    if found != expected:
        raise RuntimeError(f"{name}: the engine's cells differ from the plain GROUP BY")


@dataclass(frozen=True)
class Measured:
    pupils: int
    medians: dict[str, float]
    cpu: dict[str, float]
    cells: int
    margin_cells: int
    first_engine_run: float  # seconds, per-code bitmaps made (none kept yet)


def measure_school(
    store: duckdb.DuckDBPyConnection, repeats: int, *, margins: bool, breakdown: bool
) -> Measured:
    restricted = restricted_query(SCHOOL, magnitude=True)
    statement = explain(restricted)
    KEPT.clear()  # the first query of a process makes the per-code bitmaps it keeps
    start = time.perf_counter()
    ENGINE.run(restricted, store)
    first = time.perf_counter() - start
    tasks: dict[str, Callable[[], object]] = {
        "plain": lambda: store.execute(PLAIN[SCHOOL]).fetchall(),
        "engine": lambda: ENGINE.run(restricted, store),
        "engine listing ids": lambda: LISTING.run(restricted, store),
    }
    if margins:
        tasks["margins"] = lambda: ENGINE.run(restricted, store, with_margins=True)
    if breakdown:
        tasks["plain + top-2"] = lambda: store.execute(WITH_TOP2).fetchall()
        tasks["plain + list(pupil_id)"] = lambda: store.execute(WITH_IDS).to_arrow_table()
        tasks["per-record keys"] = lambda: store.execute(PER_RECORD_KEYS).fetchnumpy()
        tasks["engine SQL only"] = lambda: store.execute(
            statement.sql, statement.params
        ).to_arrow_table()
    medians = interleaved(tasks, repeats)
    result = ENGINE.run(restricted, store)
    check_agrees(result, store.execute(PLAIN[SCHOOL]).fetchall(), SCHOOL)
    row = store.execute(f"SELECT count(*) FROM {SCHOOL}").fetchone()
    pupils = int(row[0]) if row else 0
    if sum(cell.n_pupils for cell in result.interior) != pupils:
        raise RuntimeError(f"{SCHOOL}: the cells do not count every pupil once")
    margin_cells = len(ENGINE.run(restricted, store, with_margins=True).margins) if margins else 0
    return Measured(pupils, medians.wall, medians.cpu, len(result.interior), margin_cells, first)


def measure_ap(store: duckdb.DuckDBPyConnection, repeats: int) -> Measured:
    restricted = restricted_query(AP, magnitude=False)
    medians = interleaved(
        {
            "plain": lambda: store.execute(PLAIN[AP]).fetchall(),
            "engine": lambda: ENGINE.run(restricted, store),
        },
        repeats,
    )
    result = ENGINE.run(restricted, store)
    check_agrees(result, store.execute(PLAIN[AP]).fetchall(), AP)
    row = store.execute(f"SELECT count(DISTINCT pupil_id) FROM {AP}").fetchone()
    return Measured(
        int(row[0]) if row else 0, medians.wall, medians.cpu, len(result.interior), 0, 0.0
    )


# --- report ----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:>9.1f} ms"


def report_main(school: Measured, ap: Measured) -> float:
    say(f"\n{SCHOOL}: {school.pupils:,} pupils, {school.cells:,} cells (la x sen_provision x sex)")
    say(f"  {'':<26}{'wall':>12}   {'ratio':>6}   {'CPU':>10}   {'ratio':>6}")
    _line("plain GROUP BY", school, "plain")
    _line("engine", school, "engine")
    _line("engine listing ids", school, "engine listing ids", "(no per-code bitmaps)")
    if "margins" in school.medians:
        _line("engine + margins", school, "margins", f"(+{school.margin_cells:,} margin cells)")
    first = school.first_engine_run
    say(
        f"  {'engine, first run':<26}{ms(first)}   {first / school.medians['plain']:>5.2f}x"
        "   (once per process and store change: makes the per-code bitmaps it keeps)"
    )
    main = ("plain", "engine", "engine listing ids", "margins")
    pieces = [n for n in school.medians if n not in main]
    if pieces:
        say("  breakdown (plain statements with one more aggregate; the engine's SQL alone):")
        for name in pieces:
            _line(f"  {name}", school, name)
        wall = school.medians["engine"] - school.medians["engine SQL only"]
        cpu = school.cpu["engine"] - school.cpu["engine SQL only"]
        say(
            f"    {'Python after the SQL':<24}{ms(wall)}   {'':>6}   {ms(cpu)}"
            "   (bitmaps, cells, result)"
        )
    say(f"\n{AP} (reference): {ap.pupils:,} pupils, {ap.cells:,} cells, Count only")
    _line("plain GROUP BY (distinct)", ap, "plain")
    _line("engine", ap, "engine")
    return school.medians["engine"] / school.medians["plain"]


def _line(label: str, measured: Measured, name: str, note: str = "") -> None:
    wall, cpu = measured.medians[name], measured.cpu[name]
    wall_ratio = wall / measured.medians["plain"]
    cpu_ratio = cpu / measured.cpu["plain"]
    say(f"  {label:<26}{ms(wall)}   {wall_ratio:>5.2f}x   {ms(cpu)}   {cpu_ratio:>5.2f}x   {note}")


def report_growth(rows: list[Measured]) -> None:
    say("\ngrowth (same store, each size a nested random sample of the largest):")
    say("  pupils        plain ms   engine ms   ratio   plain ms/M   engine ms/M   CPU ratio")
    for row in rows:
        plain, engine = row.medians["plain"], row.medians["engine"]
        millions = row.pupils / 1e6
        say(
            f"  {row.pupils:>11,}  {plain * 1000:>8.1f}  {engine * 1000:>10.1f}  "
            f"{engine / plain:>5.2f}x  {plain * 1000 / millions:>11.1f}  "
            f"{engine * 1000 / millions:>12.1f}  {row.cpu['engine'] / row.cpu['plain']:>9.2f}x"
        )


# --- main --------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pupils", type=int, default=None, help="school census size")
    parser.add_argument("--ap-pupils", type=int, default=DEFAULT_AP_PUPILS)
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per query")
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: {QUICK_PUPILS:,} pupils, 3 repeats"
    )
    parser.add_argument(
        "--growth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time at 1/8, 1/4 and 1/2 of --pupils (default: on)",
    )
    parser.add_argument(
        "--breakdown",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the engine's pieces: top-2, pupil id lists, its SQL alone",
    )
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep it")
    args = parser.parse_args(argv)
    if args.pupils is None:
        args.pupils = QUICK_PUPILS if args.quick else DEFAULT_PUPILS
    if args.repeats is None:
        args.repeats = 3 if args.quick else DEFAULT_REPEATS
    if args.pupils < max(GROWTH_FRACTIONS) or args.repeats < 1:
        parser.error("--pupils must be at least 8 and --repeats at least 1")
    return args


def run(args: argparse.Namespace, root: Path) -> int:
    say(
        f"bench_query: {dt.datetime.now():%Y-%m-%d %H:%M}, DuckDB {duckdb.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    say(f"  --pupils {args.pupils:,} --repeats {args.repeats} (medians of interleaved rounds)")
    say("\nsetup:")
    stages = Stages([])
    started = time.perf_counter()
    deployment, table = build_deployment(root, args.pupils, args.ap_pupils, stages)
    growth: list[Measured] = []
    if args.growth:
        order = np.random.default_rng(SEED).permutation(table.num_rows)
        for fraction in GROWTH_FRACTIONS:
            size = table.num_rows // fraction
            sample = table.take(pa.array(np.sort(order[:size])))
            load(deployment, sample, stages)
            del sample
            with open_store(deployment, read_only=True) as store:
                growth.append(measure_school(store, args.repeats, margins=False, breakdown=False))
            say(f"  measured at {size:,} pupils")
    load(deployment, table, stages)
    del table
    gc.collect()
    pa.default_memory_pool().release_unused()
    say(f"  setup total {time.perf_counter() - started:,.1f} s")

    setup_peak = peak_rss_mib()
    separable = reset_peak_rss()
    with open_store(deployment, read_only=True) as store:
        school = measure_school(store, args.repeats, margins=True, breakdown=args.breakdown)
        ap = measure_ap(store, args.repeats)
    query_peak = high_water_mib() if separable else None
    ratio = report_main(school, ap)
    if args.growth:
        report_growth([*growth, school])
    say(f"\npeak RSS of the process (ru_maxrss)   {max(setup_peak, peak_rss_mib()):>8,.0f} MiB")
    say(f"  of which during setup               {setup_peak:>8,.0f} MiB")
    if query_peak is not None:
        say(f"  during the queries (read-only store)  {query_peak:>8,.0f} MiB")
    verdict = "MET" if ratio <= GOAL else f"MISSED, {ratio / GOAL - 1:.0%} over the goal"
    say(f"\ngoal engine <= {GOAL:.0f}x plain at {school.pupils:,} pupils: {verdict} ({ratio:.2f}x)")
    return 0


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        return run(args, args.keep)
    with tempfile.TemporaryDirectory(prefix="bench-query-") as folder:
        return run(args, Path(folder))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
