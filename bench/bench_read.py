"""Benchmark: reading and validating one very large AP census return, XML and CSV.

    .venv/bin/python bench/bench_read.py [--pupils 250000] [--repeats 3]

Synthesises England's AP census (``safepupil.synth``), merges every pupil into one
LA's return, writes it as XML and as CSV, then times ``read_return`` and
``validate_return`` on each. Prints medians, pupils per second, and validate / parse:
validation must stay cheap next to parsing (the LA tool's goal is validate +
pseudonymise + seal in under 3x the parse time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from safepupil.collection.model import RECORD_COLUMNS, ParsedReturn, ReturnHeader
from safepupil.collection.read import read_return
from safepupil.collection.validate import validate_return
from safepupil.synth import OutputFormat, SynthSpec, generate_census
from safepupil.synth.csv_writer import render_csv
from safepupil.synth.xml_writer import render_xml

BIG_LA = "330"  # Birmingham, the largest LA: one huge return is at least plausible
VALIDATE_SHARE_GOAL = 1.0  # validation should cost no more than parsing


def make_big_returns(folder: Path, pupils: int) -> tuple[Path, Path]:
    national = folder / "national"
    generate_census(
        SynthSpec(year=2018, pupils=pupils, school_pupils=0, file_format=OutputFormat.CSV),
        national,
    )
    parsed = [read_return(path) for path in sorted(national.glob("ap_census_2018_*.csv"))]
    table = pa.concat_tables([p.records for p in parsed])
    table = table.set_column(
        table.schema.get_field_index("placement_la"),
        "placement_la",
        pa.array([BIG_LA] * table.num_rows, pa.string()),
    )
    records = table.select(list(RECORD_COLUMNS)).to_pylist()
    header = ReturnHeader(
        collection="AP", year=2018, reference_date=parsed[0].header.reference_date, la=BIG_LA
    )
    paths = []
    for suffix, render in ((".xml", render_xml), (".csv", render_csv)):
        path = folder / f"ap_census_2018_{BIG_LA}{suffix}"
        path.write_bytes(render(header, records))
        paths.append(path)
    return paths[0], paths[1]


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_one(path: Path, repeats: int) -> float:
    parsed: list[ParsedReturn] = []
    parse = median_seconds(lambda: parsed.append(read_return(path)), repeats)
    report = validate_return(parsed[-1])
    validate = median_seconds(lambda: validate_return(parsed[-1]), repeats)
    rows = parsed[-1].pupil_count
    errors = len(report.errors)
    ratio = validate / parse
    print(
        f"{path.suffix[1:]:>4}: {rows:,} pupils, {path.stat().st_size / 1e6:,.0f} MB | "
        f"parse {parse:.2f} s ({rows / parse:,.0f}/s) | validate {validate:.2f} s "
        f"({rows / validate:,.0f}/s) | validate/parse {ratio:.2f} | {errors} errors"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pupils", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-read-") as temp:
        xml_path, csv_path = make_big_returns(Path(temp), args.pupils)
        ratios = [bench_one(path, args.repeats) for path in (xml_path, csv_path)]
    worst = max(ratios)
    verdict = "ok" if worst <= VALIDATE_SHARE_GOAL else "SLOWER THAN GOAL"
    print(f"worst validate/parse {worst:.2f} (goal <= {VALIDATE_SHARE_GOAL}): {verdict}")
    return 0 if worst <= VALIDATE_SHARE_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
