"""Group blocks: the hidden part of a hierarchical table cut into small pieces.

In a table of LAs within regions, the attacker's unknowns form one programme across
the whole country once a few region-level cells are hidden, and every question asked
of it costs a solve over all of them (about 50 ms each for the national LA x SEN x
reason table). A group block treats every cell at a group or total of the
hierarchical dimension (regions and England) as if it were known, at its true value:
the unknowns split into one programme per region, each a fraction of the size.

The attacker knows less than a block assumes, so every table a block's programme finds
is also a table the attacker cannot rule out: a witness for the whole table. A block
can only fail to find one (a cell whose protection needs its region to move), never
find a wrong one; what it leaves open goes to the whole table's programme.

Measured and not kept: blocks of two regions, for cells that need their region to
move against another. On the national table they witnessed 800 of 1,754 open cells in
47 s, and the whole table's programmes then took 48 s for the rest, against 77 s for
all 1,754 without them.
"""

from __future__ import annotations

import numpy as np

from safepupil.disclosure.cell_model import BoolArray, CellModel


def grouped_dimension(model: CellModel) -> int | None:
    """The dimension with most groups (the first of equals); None when none has groups."""
    grouped = [d for d, dimension in enumerate(model.dimensions) if dimension.groups]
    if not grouped:
        return None
    return max(grouped, key=lambda i: (len(model.dimensions[i].groups), -i))


def group_boundary(model: CellModel) -> BoolArray | None:
    """Cells a group block fixes: those at a group or the total of the dimension with
    most groups. None when no dimension has groups (nothing would split)."""
    d = grouped_dimension(model)
    if d is None:
        return None
    leaves = len(model.dimensions[d].codes)  # all_codes lists leaves, then groups, the total
    return np.asarray(model.code_index[:, d] >= leaves, dtype=bool)
