"""Bench: the DuckDB engine against a plain DuckDB GROUP BY on a synthetic school census.

    .venv/bin/python bench/bench_query.py [--pupils 1000000] [--repeats 5] [--margins]

Builds an N-pupil table in an in-memory DuckDB (numpy, one row per pupil), then times
the engine's 3-dimension query (la x sen_provision x sex: count, and the sum of
sessions_absent with top-2 per-pupil contributions and a contributor bitmap per cell)
against ``SELECT la, sen_provision, sex, count(*), sum(sessions_absent) ... GROUP BY``
in the same run. Prints medians, their ratio and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from safepupil.domain.local_authorities import local_authorities_on
from safepupil.query.builder import dataset
from safepupil.query.engines import DuckDBEngine
from safepupil.query.restriction import RestrictionContext, restrict
from safepupil.store.catalogue import load_catalogue

TABLE = "school_census_2018"
PLAIN = (
    f"SELECT la, sen_provision, sex, count(*), sum(sessions_absent) FROM {TABLE} "
    "GROUP BY la, sen_provision, sex"
)


def build_table(connection: duckdb.DuckDBPyConnection, pupils: int, seed: int = 2018) -> None:
    rng = np.random.default_rng(seed)
    catalogue = load_catalogue()
    spec = catalogue.dataset(TABLE)
    las = np.array([la.code for la in local_authorities_on(spec.reference_date)])

    def pick(values: list[str], weights: list[float]) -> np.ndarray:
        return np.array(values)[rng.choice(len(values), pupils, p=weights)]

    year_group = rng.integers(0, 14, pupils).astype(np.int16)
    absent = rng.poisson(12, pupils).astype(np.int16)
    columns = {
        "pupil_id": np.arange(pupils, dtype=np.uint32),
        "pupil_token": np.char.add("tok", np.arange(pupils).astype(str)),
        "la": las[rng.integers(0, len(las), pupils)],
        "year": np.full(pupils, 2018, dtype=np.int16),
        "sex": pick(["M", "F", "U"], [0.505, 0.494, 0.001]),
        "ethnicity": pick(["WBRI", "AIND", "BAFR", "MOTH"], [0.7, 0.1, 0.1, 0.1]),
        "birth_year_month": np.char.add(
            (2013 - year_group).astype(str),
            np.char.add("-", np.char.zfill(rng.integers(1, 13, pupils).astype(str), 2)),
        ),
        "postcode_outward": pick(["AB1", "CD2", "EF3"], [0.4, 0.3, 0.3]),
        "sen_provision": pick(["N", "K", "E"], [0.85, 0.12, 0.03]),
        "sen_type_1": pick(["SEMH", "ASD", "MLD"], [0.4, 0.3, 0.3]),
        "fsm": rng.random(pupils) < 0.14,
        "year_group": year_group,
        "sessions_possible": np.full(pupils, 120, dtype=np.int16),
        "sessions_absent": absent,
        "attainment8": np.where(year_group == 11, rng.normal(46, 15, pupils), np.nan).astype(
            np.float32
        ),
    }
    table = pa.table(columns)
    connection.register("incoming", table)
    connection.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM incoming")
    connection.unregister("incoming")


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm up: first runs pay for plans and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--margins", action="store_true", help="also time with margins")
    args = parser.parse_args(argv)

    connection = duckdb.connect()
    build_table(connection, args.pupils)
    query = dataset(TABLE).by("la", "sen_provision", "sex").count().sum("sessions_absent").build()
    restricted = restrict(query, RestrictionContext(allowed_items=None))
    engine = DuckDBEngine()

    plain = median_seconds(lambda: connection.execute(PLAIN).fetchall(), args.repeats)
    ours = median_seconds(lambda: engine.run(restricted, connection), args.repeats)
    result = engine.run(restricted, connection)
    print(f"pupils            {args.pupils:>12,}")
    print(f"cells             {len(result.cells):>12,}  contributors {len(result.contributors):,}")
    print(f"plain GROUP BY    {plain * 1000:>9.1f} ms")
    print(f"engine            {ours * 1000:>9.1f} ms   ratio {ours / plain:.2f}x")
    if args.margins:
        margins = median_seconds(
            lambda: engine.run(restricted, connection, with_margins=True), args.repeats
        )
        print(f"engine + margins  {margins * 1000:>9.1f} ms   ratio {margins / plain:.2f}x")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS          {peak_kib / 1024:>9.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
