"""Benchmark the synthetic census generator.

Times the school census at two sizes and the full AP census (152 XML returns), each
repeated a few times, and prints median seconds, pupils per second, and a ratio against
a baseline measured in the same run: writing the same number of rows of random integers
(15 columns, as many as the school census has) to Parquet with pyarrow. The ratio is
what to compare across machines; the seconds depend on the machine and its load.

Run: .venv/bin/python bench/bench_synth.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safepupil.synth import SynthSpec, generate_census
from safepupil.synth.ap_census import generate_ap_census
from safepupil.synth.frame import la_frame
from safepupil.synth.school_census import SCHOOL_SCHEMA, write_school_census

YEAR = 2018
SEED = 2018
AP_PUPILS = 24_500
SCHOOL_SIZES = (250_000, 1_000_000)
QUICK_SCHOOL_SIZES = (50_000, 200_000)
REPEATS = 3


def median_seconds(task: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def baseline(rows: int, folder: Path) -> Callable[[], object]:
    """Write ``rows`` rows of random integers to Parquet: the machine's yardstick."""
    rng = np.random.default_rng(0)
    columns = len(SCHOOL_SCHEMA)

    def task() -> None:
        table = pa.table({f"c{i}": rng.integers(0, 1_000_000, rows) for i in range(columns)})
        pq.write_table(table, folder / "baseline.parquet", compression="zstd")

    return task


def school_census(pupils: int, folder: Path) -> Callable[[], object]:
    ap = generate_ap_census(la_frame(YEAR, AP_PUPILS, pupils, SEED), YEAR, SEED)
    return lambda: write_school_census(folder / "school.parquet", ap, SEED)


def ap_census(folder: Path) -> Callable[[], object]:
    spec = SynthSpec(year=YEAR, pupils=AP_PUPILS, school_pupils=0, seed=SEED)
    return lambda: generate_census(spec, folder / "ap")


def report(name: str, pupils: int, seconds: float, baseline_seconds: float) -> None:
    print(
        f"{name:<34} {pupils:>10,} {seconds:>9.2f} {pupils / seconds:>14,.0f}"
        f" {seconds / baseline_seconds:>9.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    options = parser.parse_args()
    sizes = QUICK_SCHOOL_SIZES if options.quick else SCHOOL_SIZES
    repeats = 1 if options.quick else REPEATS
    print(f"median of {repeats}; ratio = seconds / seconds to write as many random rows")
    print(f"{'task':<34} {'pupils':>10} {'seconds':>9} {'pupils/second':>14} {'ratio':>10}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for pupils in sizes:
            seconds = median_seconds(school_census(pupils, folder), repeats)
            yardstick = median_seconds(baseline(pupils, folder), repeats)
            report(f"school census ({pupils:,})", pupils, seconds, yardstick)
        seconds = median_seconds(ap_census(folder), repeats)
        yardstick = median_seconds(baseline(AP_PUPILS, folder), repeats)
        report("AP census (152 XML returns)", AP_PUPILS, seconds, yardstick)


if __name__ == "__main__":
    main()
