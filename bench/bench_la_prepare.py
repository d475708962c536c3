"""Benchmark: the LA tool's full prepare against parse-only, on one very large return.

    .venv/bin/python bench/bench_la_prepare.py [--pupils 250000] [--repeats 3]

Makes one AP census return of --pupils pupils for a single LA (synthetic pupils from
``safepupil.synth`` for the whole of England, merged into LA 330's return), then times,
in the same run and alternating: parse only (``read_return``) and the full prepare
(read + validate + pseudonymise + aggregate + seal + write). Prints medians, rows per
second and the ratio full / parse. Goal: full under 3x parse.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from safepupil.collection.aggregate import aggregate_withheld
from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import LaToolKeys, load_la_tool_keys
from safepupil.collection.policy import default_policy
from safepupil.collection.prepare import file_sha256, prepare_submission
from safepupil.collection.pseudonymise import pseudonymise
from safepupil.collection.read import read_return
from safepupil.collection.seal import (
    MEMBER_ORDER,
    RECORDS_MEMBER,
    build_bundle,
    envelope_for,
    parquet_bytes,
    seal,
)
from safepupil.collection.validate import validate_return
from safepupil.synth import SynthSpec, generate_census

BIG_LA = "330"  # Birmingham: the largest LA, so one huge return is at least plausible
GOAL_RATIO = 3.0
_PLACEMENT_LA = re.compile(r"(<Placement>\s*<LEA>)\d{3}(</LEA>)")
_HEADER_LA = re.compile(r"(<SourceLevel>L</SourceLevel>\s*<LEA>)\d{3}(</LEA>)")


def make_big_return(folder: Path, pupils: int) -> Path:
    """Synthesise England's AP census and merge every LA's pupils into one LA's return."""
    national = folder / "national"
    generate_census(SynthSpec(year=2018, pupils=pupils, school_pupils=0), national)
    head = tail = ""
    bodies = []
    for path in sorted(national.glob("ap_census_2018_*.xml")):
        text = path.read_text("utf-8")
        start = text.index("<Pupils>") + len("<Pupils>")
        end = text.rindex("</Pupils>")
        if not head:
            head, tail = _HEADER_LA.sub(rf"\g<1>{BIG_LA}\2", text[:start]), text[end:]
        bodies.append(_PLACEMENT_LA.sub(rf"\g<1>{BIG_LA}\2", text[start:end]))
    merged = folder / f"ap_census_2018_{BIG_LA}.xml"
    merged.write_text(head + "".join(bodies) + tail, "utf-8")
    return merged


def timed_runs(run: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-la-prepare-") as temp:
        folder = Path(temp)
        started = time.perf_counter()
        return_path = make_big_return(folder, args.pupils)
        size_mb = return_path.stat().st_size / 1e6
        print(
            f"return: {args.pupils:,} pupils, {size_mb:,.0f} MB XML, made in "
            f"{time.perf_counter() - started:.1f} s"
        )
        layout = KeyLayout(folder / "home")
        init_keys(layout, (BIG_LA,))
        keys = partial(load_la_tool_keys, layout)
        policy = default_policy()
        out = folder / "submission.sealed"

        def parse() -> object:
            return read_return(return_path)

        def full() -> object:
            return prepare_submission(return_path, out, keys, policy, overwrite=True)

        parse_times, full_times = [], []
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            parse_times += timed_runs(parse, 1)
            full_times += timed_runs(full, 1)
        stages = stage_times(return_path, keys(BIG_LA))
        report(args.pupils, parse_times, full_times, stages, out.stat().st_size)
        ratio = statistics.median(full_times) / statistics.median(parse_times)
    return 0 if ratio < GOAL_RATIO else 1


def stage_times(return_path: Path, keys: LaToolKeys) -> dict[str, float]:
    """One run of each step after parsing, to show where the extra time goes."""
    policy = default_policy()
    parsed = read_return(return_path)
    records = pseudonymise(parsed, keys.pseudonym_key, policy)
    header = {"la": BIG_LA, "collection": "AP", "year": 2018}
    envelope = envelope_for(header, keys.signing_key, keys.national_public)

    def seal_records() -> bytes:
        members = dict.fromkeys(MEMBER_ORDER[1:], b"{}")
        members[RECORDS_MEMBER] = parquet_bytes(records)
        bundle = build_bundle(header, members)
        return seal(bundle, envelope, keys.signing_key, keys.national_public)

    times = {}
    for name, step in (
        ("hash the return", lambda: file_sha256(return_path)),
        ("validate", lambda: validate_return(parsed)),
        ("pseudonymise", lambda: pseudonymise(parsed, keys.pseudonym_key, policy)),
        ("aggregate + protect", lambda: aggregate_withheld(parsed, policy)),
        ("parquet + bundle + seal", seal_records),
    ):
        times[name] = timed_runs(step, 1)[0]
    return times


def report(
    pupils: int,
    parse_times: list[float],
    full_times: list[float],
    stages: dict[str, float],
    submission_bytes: int,
) -> None:
    parse, full = statistics.median(parse_times), statistics.median(full_times)
    print(
        f"parse only : median {parse:6.2f} s  ({pupils / parse:,.0f} rows/s)  "
        f"runs {', '.join(f'{t:.2f}' for t in parse_times)}"
    )
    print(
        f"full prepare: median {full:6.2f} s  ({pupils / full:,.0f} rows/s)  "
        f"runs {', '.join(f'{t:.2f}' for t in full_times)}"
    )
    for name, seconds in stages.items():
        print(f"  {name:<24} {seconds:6.2f} s")
    print(f"submission: {submission_bytes / 1e6:,.1f} MB")
    ratio = full / parse
    verdict = "meets" if ratio < GOAL_RATIO else "MISSES"
    print(f"ratio full / parse: {ratio:.2f}x ({verdict} the goal of < {GOAL_RATIO:.0f}x)")


if __name__ == "__main__":
    sys.exit(main())
