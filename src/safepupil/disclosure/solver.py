"""HiGHS, set up the same way everywhere disclosure control solves a linear programme.

One place owns the options so the audit and the search for complementary cells
see the same solver: quiet, serial simplex (deterministic: the same input gives
the same pattern on every run) and no presolve, because every model here is
re-solved many times from the previous basis after a small change.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import highspy
import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel, FloatArray, IntArray
from safepupil.errors import InternalError

SOLVER_NAME = "HiGHS"
INFINITY = highspy.kHighsInf
ROW_WISE = highspy.MatrixFormat.kRowwise

# highspy raises this for some failed calls; its stubs do not declare it.
_HIGHS_ERROR: type[Exception] = getattr(highspy, "HighsStatusError", RuntimeError)

_banner_lock = threading.Lock()
_banner_shown = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1: HiGHS prints a banner from C++ on its first construction."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A HiGHS instance with disclosure control's options and no console output."""
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            with _quiet_stdout():
                highs = highspy.Highs()  # type: ignore[no-untyped-call]
            _banner_shown = True
    for option, value in (
        ("output_flag", False),
        ("presolve", "off"),
        ("solver", "simplex"),
        ("threads", 1),
        ("random_seed", 0),
    ):
        highs.setOptionValue(option, value)
    return highs


def solver_version() -> str:
    highs = new_highs()
    return f"{highs.versionMajor()}.{highs.versionMinor()}.{highs.versionPatch()}"


def run(highs: highspy.Highs, what: str) -> highspy.HighsModelStatus:
    """Solve, turning a solver failure into an internal error that says what was being solved."""
    try:
        status = highs.run()
    except _HIGHS_ERROR as error:
        raise InternalError(f"HiGHS failed while {what}: {error}") from error
    if status == highspy.HighsStatus.kError:
        raise InternalError(f"HiGHS failed while {what}")
    return highs.getModelStatus()


def pass_lp(
    highs: highspy.Highs,
    costs: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    rows: tuple[IntArray, IntArray, FloatArray],
    row_lower: FloatArray,
    row_upper: FloatArray,
) -> None:
    """Load a minimisation LP with row-wise sparse rows (start, column, coefficient)."""
    starts, columns, coefs = rows
    status = highs.passModel(
        len(costs),
        len(row_lower),
        len(columns),
        int(ROW_WISE),
        int(highspy.ObjSense.kMinimize),
        0.0,
        costs,
        lower,
        upper,
        row_lower,
        row_upper,
        starts.astype(np.int32),
        columns.astype(np.int32),
        coefs,
        np.zeros(len(costs), dtype=np.int32),  # every column continuous
    )
    if status == highspy.HighsStatus.kError:
        raise InternalError("HiGHS refused a disclosure-control model")


def reduced_rows(
    model: CellModel, free: BoolArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]:
    """The additive rows restricted to the free cells, with the fixed cells moved to the right.

    Returns (row_start, column, coefficient, right-hand side, free cell of each column).
    Rows that hold no free cell are dropped after checking they add up.
    """
    row_of_entry = model.row_of_entry
    entry_free = free[model.row_cells]
    fixed_part = np.where(entry_free, 0.0, model.row_coefs * model.values[model.row_cells])
    rhs = -np.bincount(row_of_entry, weights=fixed_part, minlength=model.row_count)
    free_per_row = np.bincount(row_of_entry[entry_free], minlength=model.row_count)
    kept_rows = free_per_row > 0
    if np.any(np.abs(rhs[~kept_rows]) > 0.5):
        raise InternalError("a published margin does not equal the sum of its cells")
    free_cells = np.flatnonzero(free)
    column_of_cell = np.full(model.size, -1, dtype=np.int64)
    column_of_cell[free_cells] = np.arange(len(free_cells))
    keep_entry = entry_free & kept_rows[row_of_entry]
    columns = column_of_cell[model.row_cells[keep_entry]]
    coefs = model.row_coefs[keep_entry]
    starts = np.concatenate(([0], np.cumsum(free_per_row[kept_rows]))).astype(np.int64)
    return (
        starts,
        columns.astype(np.int64),
        coefs.astype(np.float64),
        rhs[kept_rows].astype(np.float64),
        free_cells.astype(np.int64),
    )
