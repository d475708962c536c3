"""Which search chooses the complementary suppressions of a table.

Tables with many primary cells along a hierarchy (the national LA x SEN x reason table)
go to the regional search (regional.py), which settles each region with programmes of
one region's size and hands what is left to the whole-table search (secondary.py);
every other table goes to the whole-table search directly. Either way the audit
(audit.py) is the proof.
"""

from __future__ import annotations

import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel
from safepupil.disclosure.deadline import NEVER, Deadline
from safepupil.disclosure.lifting import regions_of
from safepupil.disclosure.regional import RegionalSearch
from safepupil.disclosure.secondary import complete, whole_table_complements
from safepupil.disclosure.witnesses import Witnesses

# A grouped table with this many cells and primary cells goes to the regional search
# first. Measured (DEVELOPERS.md, Decisions): on 152 LAs x 13 x 9 it takes 21 s instead
# of 250, on 88 LAs x 13 x 9 (13,160 cells) 12 s instead of 50 with 20 cells more
# hidden of 6,305, on the national table at 1M pupils 6.5 s instead of 17 (972 secondary
# cells instead of 888); on 53 LAs x 13 x 9 (7,980 cells) the whole-table search takes
# 22 s and hides 87 cells where the regional one hides 101.
LIFT_MIN_CELLS = 10_000
LIFT_MIN_PRIMARY = 3_000


def choose_complements(
    model: CellModel,
    primary: BoolArray,
    public: BoolArray,
    width: int,
    witnesses: Witnesses | None = None,
    processes: int | None = None,
    deadline: Deadline = NEVER,
) -> BoolArray:
    """Every published cell that must be hidden besides the primary ones (a mask).

    ``witnesses``: where to keep the tables found on the way (the audit can use them as
    certificates); a fresh set when not given. ``processes``: how many may share the
    regional search (None: one per core); the pattern is the same either way. Raises
    OutOfTime past ``deadline`` (deadline.py).
    """
    witnesses = witnesses or Witnesses.start(model)
    regions = regions_of(model)
    if regions is None or not takes_regional_search(model.size, int(np.count_nonzero(primary))):
        return whole_table_complements(model, primary, public, width, witnesses, deadline)
    search = RegionalSearch(model, primary, public, witnesses, regions, deadline)
    search.start(width, processes)
    return complete(search, width)


def takes_regional_search(cells: int, primary: int) -> bool:
    """Whether a grouped table of ``cells`` cells, ``primary`` of them primary, goes to
    the regional search first."""
    return cells >= LIFT_MIN_CELLS and primary >= LIFT_MIN_PRIMARY
