"""Bench: the differencing check of a new table against 10,000 earlier released cells.

    .venv/bin/python bench/bench_differencing.py [--earlier 10000] [--cells 480] [--repeats 5]

Earlier cells are contributor bitmaps of realistic shapes: tables by LA (150 LAs) and by
LA x sex x FSM of a national cohort of 600,000 pupil ids, so their sizes range from a
few pupils to tens of thousands; a few are deliberately one pupil away from a cell of the
new table. The new table (--cells cells: la x sex with margins, say) is checked against
them with ``DifferencingIndex`` (cells sorted by size; only cells within the threshold
in size compared, by intersection cardinality) and with the all-pairs baseline
(``naive_first_hit``: every earlier cell, a full symmetric difference each). Both must
find the same clashes. Prints the median of each, and the ratio; goal: the index
under one second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from pyroaring import FrozenBitMap

from safepupil.disclosure.differencing import DifferencingIndex, EarlierCell, naive_first_hit

THRESHOLD = 10
PUPILS = 600_000
GOAL_SECONDS = 1.0


def population(rng: random.Random, size: int) -> FrozenBitMap:
    start = rng.randrange(0, PUPILS - size)
    # a run of ids with some holes: pupils of one LA are near each other in id order
    return FrozenBitMap(i for i in range(start, start + size + size // 10) if rng.random() < 0.91)


def sizes(rng: random.Random, count: int) -> list[int]:
    return [int(rng.lognormvariate(5.0, 1.6)) + 1 for _ in range(count)]


def make_cells(
    rng: random.Random, earlier: int, new: int
) -> tuple[list[EarlierCell], list[FrozenBitMap]]:
    table = [population(rng, min(size, 200_000)) for size in sizes(rng, new)]
    cells = [
        EarlierCell(f"r{i // 100}", f"cell {i}", population(rng, min(size, 200_000)))
        for i, size in enumerate(sizes(rng, earlier))
    ]
    for j, cell in enumerate(table[:5]):  # five earlier cells one pupil away from new ones
        cells[j] = EarlierCell("near", f"near {j}", FrozenBitMap(cell | FrozenBitMap([PUPILS + j])))
    return cells, table


def timed(task: Callable[[], list[bool]], repeats: int) -> tuple[float, list[bool]]:
    times: list[float] = []
    result: list[bool] = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = task()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--earlier", type=int, default=10_000)
    parser.add_argument("--cells", type=int, default=480)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = random.Random(2018)
    earlier, table = make_cells(rng, args.earlier, args.cells)
    blobs = [(cell.release_id, cell.cell, cell.contributors.serialize()) for cell in earlier]
    start = time.perf_counter()  # as the release step does: read bytes, rebuild, index
    index = DifferencingIndex(
        EarlierCell(release, key, FrozenBitMap.deserialize(blob)) for release, key, blob in blobs
    )
    build = time.perf_counter() - start

    def with_index() -> list[bool]:
        return [index.first_hit(cell, THRESHOLD) is not None for cell in table]

    def all_pairs() -> list[bool]:
        return [naive_first_hit(earlier, cell, THRESHOLD) is not None for cell in table]

    indexed, hits = timed(with_index, args.repeats)
    naive, naive_hits = timed(all_pairs, max(1, args.repeats // 2))
    if hits != naive_hits:
        print("the index and the all-pairs check disagree", file=sys.stderr)
        return 1
    print(f"earlier released cells: {len(earlier):,}; new table: {len(table)} cells")
    print(f"clashes found: {sum(hits)} (both methods agree)")
    print(f"deserialise + index build (once per release): {build * 1000:.1f} ms")
    print(f"index check, median of {args.repeats}: {indexed * 1000:.1f} ms")
    print(f"all-pairs baseline, median: {naive * 1000:.1f} ms")
    print(f"ratio baseline / index: {naive / indexed:.0f}x")
    goal = "met" if build + indexed < GOAL_SECONDS else "MISSED"
    print(f"goal (build + check under {GOAL_SECONDS:.0f} s): {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
