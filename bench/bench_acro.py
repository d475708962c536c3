"""Benchmark: safepupil's disclosure control side by side with ACRO (PyPI ``acro``).

The same two tables on the same synthetic AP census data, by each tool:
  * counts: la x placement_reason x sen_type (ours: the table with all its margins,
    LA grouped into regions; ACRO: ``crosstab([la, reason], sen)``);
  * mean by LA of a magnitude: days in the placement up to the census day.

For each: wall time, peak memory (``VmHWM`` of a fresh subprocess per table, and of our
worker processes), cells,
cells suppressed, and how many suppressed cells an attacker can narrow below 10
pupils with the same LP audit (``safepupil.disclosure.audit.audit_suppression``) for
both tools; for ACRO's table (thousands of suppressed cells, no complements) the audit
takes minutes, and past ``--audit-cap`` the count found exactly by subtraction is shown
instead, as a lower bound.

ACRO is never a dependency of the project: it is installed into its own venv
(``bench-output/acro-venv``, ``acro==1.0.2``) and run in a subprocess with that
interpreter; data go in as Parquet and results come back as JSON. A run that does not
finish within the cap is killed and its progress (flagged cells removed so far) is
reported as a lower bound, with its peak memory so far (VmHWM, sampled every second).

    .venv/bin/python bench/bench_acro.py                          # 25,000 and 1M (make bench)
    .venv/bin/python bench/bench_acro.py --pupils 1000000         # 1M only (ACRO capped at 30 min)
    .venv/bin/python bench/bench_acro.py --sizes 25000            # the AP census's size only
    .venv/bin/python bench/bench_acro.py --quick                  # 25,000, 5-minute cap
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACRO_VERSION = "1.0.2"
ACRO_VENV = ROOT / "bench-output" / "acro-venv"
CENSUS_DAY = dt.date(2018, 1, 18)
THRESHOLD = 10
WITHHELD = "WITHHELD"  # placement reasons withheld in the store (null) are one code
NO_SEN = "NONE"  # sen_type_1 null: no SEN type recorded
RECOVERABLE_WIDTH = 10  # an attacker interval narrower than this is a recovered cell
SEED = 2018
GOAL_RATIO = 100  # issue 5: at least 100 times faster than ACRO, nothing recoverable

# --------------------------------------------------------------------------- data


def make_data(rows: int, path: Path) -> None:
    """AP census-like dummy rows with the bench's three dimensions and one magnitude."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from safepupil.store.catalogue import load_catalogue
    from safepupil.synth.dummy import make_dummy

    table = make_dummy(load_catalogue(), "ap_census_2018", rows, SEED)
    start = table["placement_start"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    end = table["placement_end"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    day = np.datetime64(CENSUS_DAY, "D")
    end = np.where(np.isnat(end) | (end > day), day, end)
    days = np.clip((end - start).astype(np.int64), 0, None)
    out = pa.table(
        {
            "la": table["la"],
            "reason": pc.fill_null(table["placement_reason"], WITHHELD),
            "sen": pc.fill_null(table["sen_type_1"], NO_SEN),
            "days": pa.array(days, pa.int64()),
        }
    )
    pq.write_table(out, path)


# --------------------------------------------------------------------------- ours


def dimensions(data: Any) -> tuple[Any, ...]:
    from safepupil.disclosure import Dimension
    from safepupil.domain.local_authorities import local_authorities_on

    by_region: dict[str, list[str]] = {}
    for la in local_authorities_on(CENSUS_DAY):
        by_region.setdefault(la.region, []).append(la.code)
    present = set(data["la"].unique())
    extra = sorted(present - {c for codes in by_region.values() for c in codes})
    if extra:  # never expected; keep them in a group of their own
        by_region["other"] = extra
    regions = sorted(by_region)
    la = Dimension(
        "la",
        tuple(c for r in regions for c in by_region[r]),
        tuple((r, tuple(by_region[r])) for r in regions),
    )
    reason = Dimension("reason", tuple(sorted(data["reason"].unique())))
    sen = Dimension("sen", tuple(sorted(data["sen"].unique())))
    return la, reason, sen


def ours_counts(data: Any) -> dict[str, Any]:
    from safepupil.disclosure import FrequencyPolicy, protect_linked_counts
    from safepupil.disclosure.audit import spans

    dims = dimensions(data)
    grouped = data.groupby(["la", "reason", "sen"], observed=True).size()
    counts = {key: int(n) for key, n in grouped.items()}
    release = protect_linked_counts(
        counts, dims, [("la", "reason", "sen")], FrequencyPolicy(threshold=THRESHOLD)
    )
    narrow = [i for i in release.audit.intervals if not spans(i, RECOVERABLE_WIDTH)]
    interior = [
        c for c in release.cells if all(k in d.codes for k, d in zip(c.key, dims, strict=True))
    ]
    return {
        "cells": release.released_count + release.suppressed_count,
        "suppressed": release.suppressed_count,
        "interior_cells": len(interior),
        "interior_suppressed": sum(c.suppressed for c in interior),
        "recoverable": len(narrow),
        "note": f"{release.primary_count} primary + {release.secondary_count} secondary",
    }


def ours_mean(data: Any) -> dict[str, Any]:
    from safepupil.disclosure.magnitude import contributor_rule, nk_dominance_rule, p_percent_rule
    from safepupil.disclosure.output_policy import OutputPolicy

    policy = OutputPolicy()
    ordered = data.sort_values("days", ascending=False, kind="stable")
    grouped = ordered.groupby("la", sort=True)["days"]
    n = grouped.size()
    total = grouped.sum()
    top1 = grouped.nth(0).groupby(ordered["la"]).first()
    top2 = grouped.nth(1).groupby(ordered["la"]).first()
    suppressed = 0
    for la in n.index:
        t1 = int(top1[la]) if la in top1.index else None
        t2 = int(top2[la]) if la in top2.index else None
        reason = (
            contributor_rule(int(n[la]), THRESHOLD)
            or nk_dominance_rule(
                int(total[la]), (t1, t2), policy.dominance_n, policy.dominance_k_percent
            )
            or p_percent_rule(int(total[la]), t1, t2, policy.p_percent)
        )
        suppressed += reason is not None
    return {"cells": len(n), "suppressed": suppressed, "recoverable": None, "note": ""}


def worker_ours(table: str, data_path: Path, repeats: int) -> dict[str, Any]:
    import pandas as pd

    from safepupil.disclosure.parallel import warm_workers, worker_pids

    data = pd.read_parquet(data_path)
    run = ours_counts if table == "counts" else ours_mean
    # The service keeps its solver workers between queries (parallel.py): starting them,
    # once per process, is not counted, as importing ACRO is not.
    warm_workers()
    times, result = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        result = run(data)
        times.append(time.perf_counter() - start)
    result["seconds"] = statistics.median(times)
    result["repeats"] = repeats
    # The search and the audit share work with worker processes: count their peaks too
    # (an upper bound on what was resident at once). VmHWM, not ru_maxrss: a child's
    # ru_maxrss includes the memory of the parent it was started from.
    workers = sum(peak_rss_mib(pid) for pid in worker_pids())
    result["peak_rss_mib"] = peak_rss_mib(os.getpid()) + workers
    return result


# --------------------------------------------------------------------------- ACRO

ACRO_DRIVER = textwrap.dedent(
    '''
    """Run one ACRO table on Parquet data and write JSON (runs in ACRO's own venv)."""
    import importlib.metadata, json, logging, re, sys, time
    import pandas as pd

    def peak_rss_mib():  # VmHWM: ru_maxrss would include the parent's memory
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", f.read()).group(1)) / 1024

    table, data_path, out_path, progress_path = sys.argv[1:5]
    logging.disable(logging.CRITICAL)
    import acro
    from acro import table_utils

    state = {"total": None, "done": 0, "start": None, "last": 0.0}

    def write_progress():
        with open(progress_path, "w") as f:
            json.dump({"flagged": state["total"], "removed": state["done"],
                       "seconds": time.perf_counter() - state["start"]}, f)

    original_queries = table_utils.get_queries_from_collated_risk
    def counted_queries(*args, **kwargs):
        queries = original_queries(*args, **kwargs)
        state["total"] = len(queries)
        write_progress()
        return queries
    table_utils.get_queries_from_collated_risk = counted_queries

    original_query = pd.DataFrame.query
    def counted_query(self, *args, **kwargs):
        state["done"] += 1
        now = time.perf_counter()
        if now - state["last"] > 2:
            state["last"] = now
            write_progress()
        return original_query(self, *args, **kwargs)
    pd.DataFrame.query = counted_query

    data = pd.read_parquet(data_path)
    session = acro.ACRO(suppress=True)
    logging.disable(logging.CRITICAL)
    state["start"] = time.perf_counter()
    if table == "counts":
        out = session.crosstab([data["la"], data["reason"]], data["sen"])
    else:
        out = session.pivot_table(data, index="la", values="days", aggfunc="mean")
    seconds = time.perf_counter() - state["start"]
    write_progress()
    long = out.stack(dropna=False) if table == "counts" else out["days"]
    cells = [[list(k) if isinstance(k, tuple) else [k], None if pd.isna(v) else float(v)]
             for k, v in long.items()]
    with open(out_path, "w") as f:
        json.dump({"seconds": seconds, "cells": cells, "acro": importlib.metadata.version("acro"),
                   "peak_rss_mib": peak_rss_mib()}, f)
    '''
)


VERSION_CHECK = "import importlib.metadata as m, acro, pyarrow; print(m.version('acro'))"


def acro_python() -> Path:
    """Create (or reuse) ACRO's own venv and return its interpreter."""
    python = ACRO_VENV / "bin" / "python"
    check = [str(python), "-c", VERSION_CHECK]
    if python.exists():
        done = subprocess.run(check, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip().endswith(ACRO_VERSION):
            return python
    ACRO_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(ACRO_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"acro=={ACRO_VERSION}", "pyarrow"],
        check=True,
    )
    done = subprocess.run(check, capture_output=True, text=True, check=True)
    print(f"installed ACRO {done.stdout.split()[-1]} into {ACRO_VENV}")
    return python


def run_acro(python: Path, table: str, data_path: Path, work: Path, cap: float) -> dict[str, Any]:
    driver = work / "acro_driver.py"
    driver.write_text(ACRO_DRIVER)
    out, progress = work / f"acro_{table}.json", work / f"acro_{table}_progress.json"
    out.unlink(missing_ok=True)
    progress.unlink(missing_ok=True)
    start = time.perf_counter()
    errors = work / f"acro_{table}.stderr"
    with errors.open("w") as stderr:
        child = subprocess.Popen(
            [str(python), str(driver), table, str(data_path), str(out), str(progress)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        peak = 0.0
        while child.poll() is None and time.perf_counter() - start < cap:
            peak = max(peak, peak_rss_mib(child.pid))
            time.sleep(1.0)
        if child.poll() is None:  # over the cap: report progress as a lower bound
            peak = max(peak, peak_rss_mib(child.pid))
            child.kill()
            child.wait()
            seen = json.loads(progress.read_text()) if progress.exists() else {}
            return {
                "timeout": True,
                "seconds": time.perf_counter() - start,
                "peak_rss_mib": peak,
                "progress": f"{seen.get('removed', 0)} of {seen.get('flagged', '?')} flagged cells",
            }
    if child.returncode != 0:
        tail = errors.read_text().strip().splitlines()[-3:]
        return {"error": " | ".join(tail), "seconds": time.perf_counter() - start}
    return dict(json.loads(out.read_text()), timeout=False)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux VmHWM), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def acro_counts_summary(result: dict[str, Any], data: Any, audit_cap: float) -> dict[str, Any]:
    """ACRO's released count table: suppressed cells, and what an attacker recovers."""
    import numpy as np

    from safepupil.disclosure.cell_model import build_cell_model

    released = {tuple(k): v for k, v in result["cells"]}
    suppressed_keys = {k for k, v in released.items() if v is None}
    # ACRO 1.0.2 recomputes any margins from the redacted data, so its own table gives
    # nothing beyond its released cells: a suppressed cell is only bounded below by 0.
    # The attacker audit therefore adds the margins ours publishes (region and LA
    # totals, reason and SEN totals, their two-way totals), each released under ACRO's
    # own rule as a separate ACRO table would be: shown when >= 10 and non-zero.
    dims = dimensions(data)
    grouped = data.groupby(["la", "reason", "sen"], observed=True).size()
    counts = {key: int(n) for key, n in grouped.items()}
    model = build_cell_model(counts, dims, [("la", "reason", "sen")])
    leaves = [set(d.codes) for d in dims]
    mask = np.zeros(model.size, bool)
    for i, identity in enumerate(model.identities):
        if not model.published[i]:
            continue
        if all(code in leaf for code, leaf in zip(identity, leaves, strict=True)):
            mask[i] = identity in suppressed_keys or identity not in released
        else:
            mask[i] = model.values[i] < THRESHOLD
    interior = [i for i, ident in enumerate(model.identities) if ident in suppressed_keys]
    exactly = int(np.count_nonzero(recover_by_subtraction(model, mask)[interior]))
    start = time.perf_counter()
    narrowed = narrowed_by_audit(model, mask, interior, audit_cap)
    seconds = time.perf_counter() - start
    if narrowed is None:
        recoverable = exactly
        note = f"exactly, by subtraction (a lower bound: LP audit over {audit_cap:.0f} s)"
    else:
        recoverable = narrowed
        note = f"narrowed below {RECOVERABLE_WIDTH} by the LP audit ({seconds:.0f} s)"
        note += f"; {exactly} of them by subtraction alone"
    return {
        "cells": len(released),
        "suppressed": len(suppressed_keys),
        "recoverable": recoverable,
        "note": note,
    }


def narrowed_by_audit(model: Any, mask: Any, interior: list[int], cap: float) -> int | None:
    """How many of ACRO's suppressed cells the same LP audit as ours narrows below the
    width (None if it has not finished within ``cap`` seconds)."""
    from safepupil.disclosure.audit import audit_suppression, spans
    from safepupil.disclosure.deadline import Deadline, OutOfTime

    try:
        proof = audit_suppression(model, mask, RECOVERABLE_WIDTH, deadline=Deadline.after(cap))
    except OutOfTime:
        return None
    asked = {model.identities[i] for i in interior}
    return sum(i.identity in asked and not spans(i, RECOVERABLE_WIDTH) for i in proof.intervals)


def recover_by_subtraction(model: Any, mask: Any) -> Any:
    """Cells an attacker gets exactly: the only unknown cell of an additive row, repeated.

    Each row of the model says a margin equals the sum of its children. The LP audit
    finds at least these (and any narrowed below 10); this count is what the bench
    reports when the audit does not finish within its cap.
    """
    import numpy as np

    unknown = mask.copy()
    rows = [
        model.row_cells[model.row_start[r] : model.row_start[r + 1]] for r in range(model.row_count)
    ]
    changed = True
    while changed:
        changed = False
        for cells in rows:
            hidden = cells[unknown[cells]]
            if len(hidden) == 1:
                unknown[hidden[0]] = False
                changed = True
    return np.asarray(mask & ~unknown)


def acro_mean_summary(result: dict[str, Any]) -> dict[str, Any]:
    values = [v for _, v in result["cells"]]
    return {
        "cells": len(values),
        "suppressed": sum(v is None for v in values),
        "recoverable": None,
        "note": "",
    }


# --------------------------------------------------------------------------- main


def run_ours(table: str, data_path: Path, repeats: int) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            table,
            "--data",
            str(data_path),
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fmt(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,1000000", help="pupils, comma separated")
    parser.add_argument("--pupils", type=int, help="run this one size only (e.g. 1000000)")
    parser.add_argument("--quick", action="store_true", help="25,000 only, 5-minute cap")
    parser.add_argument("--cap", type=float, default=1800.0, help="seconds per ACRO run")
    parser.add_argument("--repeats", type=int, default=1, help="repeats of ours (median)")
    parser.add_argument(
        "--audit-cap", type=float, default=1800.0, help="seconds for the LP audit of ACRO's table"
    )
    parser.add_argument("--worker", choices=("counts", "mean"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_ours(args.worker, args.data, args.repeats)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.pupils:
        sizes = [args.pupils]
    if args.quick:
        sizes = [25_000]
    cap = min(args.cap, 300.0) if args.quick else args.cap

    import pandas as pd

    try:
        python = acro_python()
    except (subprocess.CalledProcessError, OSError) as failure:
        print(f"ACRO {ACRO_VERSION} could not be installed: {failure}")
        return 1
    print(f"ACRO {ACRO_VERSION} in {ACRO_VENV}; cap {cap:.0f} s per ACRO run; {date_line()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_acro_") as tmp:
        work = Path(tmp)
        for size in sizes:
            data_path = work / f"ap_{size}.parquet"
            make_data(size, data_path)
            data = pd.read_parquet(data_path)
            for table in ("counts", "mean"):
                ours = run_ours(table, data_path, args.repeats)
                theirs = run_acro(python, table, data_path, work, cap)
                if "cells" in theirs:
                    summary = (
                        acro_counts_summary(theirs, data, args.audit_cap)
                        if table == "counts"
                        else acro_mean_summary(theirs)
                    )
                    theirs.pop("cells")
                    theirs.update(summary)
                rows.append((size, table, ours, theirs))
                print_row(size, table, "safepupil", ours)
                print_row(size, table, "ACRO", theirs)
                ratio = theirs["seconds"] / ours["seconds"]
                bound = ">= " if theirs.get("timeout") else ""
                verdict = "met" if ratio >= GOAL_RATIO else "not met"
                print(
                    f"    ratio ACRO/ours (wall): {bound}{ratio:,.2f}x"
                    f" (goal >= {GOAL_RATIO}x: {verdict})",
                    flush=True,
                )
    return 0


def date_line() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores"


def print_row(size: int, table: str, tool: str, r: dict[str, Any]) -> None:
    if r.get("timeout"):
        lead = f"  {tool:9} {size:>9,} {table:6}"
        print(
            f"{lead} not finished in {r['seconds']:.0f} s ({r['peak_rss_mib']:.0f} MiB so far):"
            f" {r['progress']}",
            flush=True,
        )
        return
    if "error" in r:
        print(f"  {tool:9} {size:>9,} {table:6} failed after {r['seconds']:.1f} s: {r['error']}")
        return
    print(
        f"  {tool:9} {size:>9,} {table:6} {r['seconds']:9.3f} s {r['peak_rss_mib']:7.0f} MiB"
        f"  cells {r['cells']:>6,}  suppressed {r['suppressed']:>6,}"
        f"  recoverable {fmt(r['recoverable']):>5}  {r.get('note', '')}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
