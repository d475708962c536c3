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
from safepupil.disclosure.lifting import regions_of
from safepupil.disclosure.regional import RegionalSearch
from safepupil.disclosure.secondary import complete, whole_table_complements
from safepupil.disclosure.witnesses import Witnesses

# From this many primary cells in a grouped table the regional search goes first.
# Below it the whole-table search is fast and hides a few cells fewer (measured on
# LA x SEN x reason tables: see DEVELOPERS.md, Decisions).
LIFT_MIN_PRIMARY = 5000


def choose_complements(
    model: CellModel,
    primary: BoolArray,
    public: BoolArray,
    width: int,
    witnesses: Witnesses | None = None,
    processes: int | None = None,
) -> BoolArray:
    """Every published cell that must be hidden besides the primary ones (a mask).

    ``witnesses``: where to keep the tables found on the way (the audit can use them as
    certificates); a fresh set when not given. ``processes``: how many may share the
    regional search (None: one per core); the pattern is the same either way.
    """
    witnesses = witnesses or Witnesses.start(model)
    regions = regions_of(model)
    if regions is None or np.count_nonzero(primary) < LIFT_MIN_PRIMARY:
        return whole_table_complements(model, primary, public, width, witnesses)
    search = RegionalSearch(model, primary, public, witnesses, regions)
    search.start(width, processes)
    return complete(search, width)
