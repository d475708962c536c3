"""Benchmark: disclosure control of count tables as they grow.

Prints, per table: cells published, primary and secondary suppressions, the share of
audited intervals that are exact at both ends (the rest are certified, audit.py), the
median wall time of protect_linked_counts (primary + secondary + audit) over a few
repeats, and two ratios:
  * against primary-only suppression (building the model and applying the rules),
  * against one cold LP of the table's size (the attacker's first programme).

    .venv/bin/python bench/bench_suppression.py                   # quick sizes, growth
    .venv/bin/python bench/bench_suppression.py --regions 9       # up to the national table
    .venv/bin/python bench/bench_suppression.py --case national   # only 152 x 13 x 9
    .venv/bin/python bench/bench_suppression.py --growth 40000    # a shorter growth series

Growth: time against size in two series, each with the growth exponent k between
successive sizes (time ~ cells ** k):
  * at school census density (8 million pupils nationally, most cells large):
    LA x SEN x reason x sex, the national table and the part of it on 1, 3 and 5
    regions (nested: the same counts), 6,160 to 90,720 cells, up to --growth CELLS
    (default 100,000: the whole series);
  * at AP census density (about 25,000 pupils nationally, most cells small): LA x SEN x
    reason on 1, 2, 3, 5, 7 and 9 regions, then with a sex dimension, up to
    --sparse-growth CELLS (default 25,000: up to the national table).

The counts are synthetic and skewed like the censuses (a few LAs, needs and reasons hold
most pupils); the fixed tables have AP census density.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from safepupil.disclosure import Dimension, FrequencyPolicy, protect_linked_counts
from safepupil.disclosure.attacker import AttackerModel, attacker_components
from safepupil.disclosure.cell_model import build_cell_model
from safepupil.disclosure.primary import primary_reason
from safepupil.domain.codesets import codeset
from safepupil.domain.local_authorities import local_authorities_on

POLICY = FrequencyPolicy()
SCHOOL_PUPILS = 8_000_000  # the school census nationally; the AP census is about 25,000
CENSUS_DAY = dt.date(2018, 1, 18)


@dataclass(frozen=True)
class Case:
    name: str
    dimensions: tuple[Dimension, ...]
    tables: tuple[tuple[str, ...], ...]
    counts: dict[tuple[str, ...], int]


def skewed_counts(dims: Sequence[Dimension], pupils: int, seed: int) -> dict[tuple[str, ...], int]:
    """Multinomial counts with lognormal / Dirichlet weights: a few codes hold most pupils."""
    rng = np.random.default_rng(seed)
    weights = [rng.lognormal(0.0, 0.8, len(d.codes)) for d in dims]
    p = weights[0]
    for w in weights[1:]:
        p = np.multiply.outer(p, w)
    p = (p / p.sum()).ravel()
    drawn = rng.multinomial(pupils, p)
    keys = itertools.product(*(d.codes for d in dims))
    return {key: int(n) for key, n in zip(keys, drawn, strict=True) if n}


def flat(name: str, size: int) -> Dimension:
    return Dimension(name, tuple(f"{name}{i}" for i in range(size)))


def national_la(regions: int) -> Dimension:
    by_region: dict[str, list[str]] = {}
    for la in local_authorities_on(CENSUS_DAY):
        by_region.setdefault(la.region, []).append(la.code)
    kept = sorted(by_region)[:regions]
    codes = tuple(code for region in kept for code in by_region[region])
    return Dimension("la", codes, tuple((r, tuple(by_region[r])) for r in kept))


def school_census_case() -> Case:
    """About 90,000 cells with school-census numbers: most cells are large, few small."""
    la = national_la(9)
    sen = Dimension("sen", tuple(c.code for c in codeset("sen_type")))
    reason = Dimension("reason", tuple(c.code for c in codeset("placement_reason")))
    sex = Dimension("sex", ("F", "M", "U"))
    dims = (la, sen, reason, sex)
    name = "152 LAs x 13 SEN x 9 reasons x 3 sexes, 8M"
    return Case(name, dims, (("la", "sen", "reason", "sex"),), skewed_counts(dims, 8_000_000, 5))


def la_case(regions: int, extra: tuple[Dimension, ...] = (), pupils: int = 25_000) -> Case:
    """LAs of the first ``regions`` regions x 13 SEN types x 9 reasons (x ``extra``)."""
    la = national_la(regions)
    sen = Dimension("sen", tuple(c.code for c in codeset("sen_type")))
    reason = Dimension("reason", tuple(c.code for c in codeset("placement_reason")))
    dims = (la, sen, reason, *extra)
    scaled = round(pupils * len(la.codes) / 152)
    name = f"LA({len(la.codes)}) in {regions} regions x 13 SEN x 9 reasons"
    name += "".join(f" x {len(d.codes)} {d.name}" for d in extra)
    table = tuple(d.name for d in dims)
    return Case(name, dims, (table,), skewed_counts(dims, scaled, 4))


def national_case() -> Case:
    """The goal's table: 152 LAs in 9 regions x 13 SEN types x 9 reasons, all margins."""
    case = la_case(9)
    return Case("national 152 LAs x 13 SEN x 9 reasons", case.dimensions, case.tables, case.counts)


def sparse_series(max_cells: int) -> list[Case]:
    """AP census density: LA x SEN x reason on more regions, then with a sex dimension."""
    sex = Dimension("sex", ("F", "M", "U"))
    steps = [la_case(r) for r in (1, 2, 3, 5, 7, 9)]
    steps += [la_case(r, (sex,), pupils=75_000) for r in (3, 5, 9)]  # same pupils per cell
    return [case for case in steps if published_cells(case) <= max_cells]


def dense_series(max_cells: int) -> list[Case]:
    """School census density (8M pupils nationally): LA x SEN x reason x sex, the national
    table and the part of it that 1, 3 and 5 regions hold (nested: the same counts)."""
    sex = Dimension("sex", ("F", "M", "U"))
    national = la_case(9, (sex,), pupils=SCHOOL_PUPILS)
    steps = [regions_of(national, r) for r in (1, 3, 5, 9)]
    return [case for case in steps if published_cells(case) <= max_cells]


def regions_of(case: Case, regions: int) -> Case:
    """The part of an LA case that its first ``regions`` regions hold, same counts."""
    la = case.dimensions[0]
    kept = la.groups[:regions]
    codes = tuple(code for _, leaves in kept for code in leaves)
    part = Dimension(la.name, codes, kept)
    kept_codes = set(codes)
    counts = {key: n for key, n in case.counts.items() if key[0] in kept_codes}
    name = f"LA({len(codes)}) in {regions} regions x 13 SEN x 9 reasons x 3 sex, 8M"
    return Case(name, (part, *case.dimensions[1:]), case.tables, counts)


def published_cells(case: Case) -> int:
    size = 1
    for d in case.dimensions:
        size *= len(d.all_codes)
    return size


def cases(max_regions: int) -> list[Case]:
    out = []
    two = (flat("r", 10), flat("c", 10))
    out.append(Case("2-D 10x10", two, (("r", "c"),), skewed_counts(two, 2000, 1)))
    three = (flat("a", 20), flat("b", 10), flat("d", 5))
    out.append(Case("3-D 20x10x5", three, (("a", "b", "d"),), skewed_counts(three, 5000, 2)))
    la_tool = (
        Dimension("reason", tuple(c.code for c in codeset("placement_reason"))),
        Dimension("sex", ("F", "M", "U")),
        Dimension("age", ("5-10", "11", "12", "13", "14", "15", "16+")),
        Dimension("sen", tuple(c.code for c in codeset("sen_provision"))),
    )
    linked = (("reason", "sex"), ("reason", "age"), ("reason", "sen"), ("reason", "sex", "age"))
    out.append(Case("one LA, 4 linked tables", la_tool, linked, skewed_counts(la_tool, 400, 3)))
    sen = Dimension("sen", tuple(c.code for c in codeset("sen_type")))
    reason = Dimension("reason", tuple(c.code for c in codeset("placement_reason")))
    for regions in sorted({1, 2, 3, max_regions}):
        if regions > max_regions:
            continue
        la = national_la(regions)
        dims = (la, sen, reason)
        pupils = round(25_000 * len(la.codes) / 152)
        name = f"LA({len(la.codes)}) in {regions} regions x 13 SEN x 9 reasons"
        out.append(Case(name, dims, (("la", "sen", "reason"),), skewed_counts(dims, pupils, 4)))
    return out


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def primary_only(case: Case) -> None:
    model = build_cell_model(case.counts, case.dimensions, case.tables)
    [primary_reason(int(v), POLICY) for v in model.values]


def one_lp(case: Case) -> None:
    """The attacker's first programme with only the primary cells hidden, from cold."""
    model = build_cell_model(case.counts, case.dimensions, case.tables)
    small = model.published & (model.values > 0) & (model.values < POLICY.threshold)
    for component in attacker_components(model, model.published & ~small):
        columns = np.flatnonzero(small[component.cells])
        AttackerModel(component).minimise_sum(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=2, help="largest LA table: 1..9 regions")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="add a ~90,000-cell table")
    parser.add_argument("--case", choices=("national",), help="run only this named table")
    parser.add_argument(
        "--growth",
        type=int,
        default=100_000,
        metavar="CELLS",
        help="time against size at school census density, to CELLS",
    )
    parser.add_argument(
        "--sparse-growth",
        type=int,
        default=25_000,
        metavar="CELLS",
        help="time against size at AP census density, to CELLS",
    )
    args = parser.parse_args()
    if args.case is None:
        print("== growth at AP census density (about 25,000 pupils nationally)")
        growth(sparse_series(args.sparse_growth), args.repeats)
        print("== growth at school census density (about 8 million pupils nationally)")
        growth(dense_series(args.growth), args.repeats)
    chosen = [national_case()] if args.case == "national" else cases(args.regions)
    columns = ("cells", "prim", "sec", "exact", "median s", "x primary", "x one LP")
    print(f"{'table':44} " + " ".join(f"{c:>9}" for c in columns))
    for case in [*chosen, *([school_census_case()] if args.large else [])]:
        repeats = args.repeats if len(case.counts) < 5000 else 1
        times, release = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            release = protect_linked_counts(case.counts, case.dimensions, case.tables, POLICY)
            times.append(time.perf_counter() - start)
        assert release is not None and release.audit.protected
        full = statistics.median(times)
        base = median_seconds(lambda c=case: primary_only(c), max(3, repeats))  # type: ignore[misc]
        lp = median_seconds(lambda c=case: one_lp(c), max(3, repeats))  # type: ignore[misc]
        intervals = release.audit.intervals
        exact = sum(i.exact for i in intervals) / max(1, len(intervals))
        print(
            f"{case.name:44} {len({c.identity for c in release.cells}):>9} "
            f"{release.primary_count:>9} {release.secondary_count:>9} {exact:>9.0%} {full:>9.2f} "
            f"{full / base:>9.1f} {full / lp:>9.1f}",
            flush=True,
        )


def growth(series: list[Case], repeats: int) -> None:
    """Median seconds per size and the exponent k of time ~ cells ** k between sizes."""
    print(f"{'table':52} {'cells':>8} {'suppressed':>10} {'median s':>9} {'k':>5}")
    previous: tuple[int, float] | None = None
    for case in series:
        times, release = [], None
        for _ in range(repeats if len(case.counts) < 5000 else 1):
            start = time.perf_counter()
            release = protect_linked_counts(case.counts, case.dimensions, case.tables, POLICY)
            times.append(time.perf_counter() - start)
        assert release is not None and release.audit.protected
        cells, seconds = published_cells(case), statistics.median(times)
        k = (
            ""
            if previous is None
            else f"{np.log(seconds / previous[1]) / np.log(cells / previous[0]):.2f}"
        )
        print(
            f"{case.name:52} {cells:>8,} {release.suppressed_count:>10,} {seconds:>9.2f} {k:>5}",
            flush=True,
        )
        previous = (cells, seconds)


if __name__ == "__main__":
    main()
