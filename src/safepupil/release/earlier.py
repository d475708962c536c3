"""A process's copy of the cells released so far, for the differencing check.

Reading every earlier cell for every release grows with every release (12,500 cells:
about 0.3 s); a server process keeps them and reads only the releases made since its
last look: those numbered above the highest it has read (``records.released_since``),
so a look costs the same however long the history. Numbers become visible in order,
so none below the highest can appear later (``records``), and releases are never
un-released. If the release it read last is no longer there under its number, the
database is not the one it read (a deployment made anew at the same address) and it
starts again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.release.records import earlier_cell_list, released_since


@dataclass
class _Dataset:
    seq: int = 0  # the highest release number read; 0 before any
    last: str | None = None  # the id of the release with that number
    index: DifferencingIndex = field(default_factory=lambda: DifferencingIndex(()))


class EarlierCells:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], _Dataset] = {}

    def snapshot(self, connection: Connection, dataset: str) -> tuple[int, DifferencingIndex]:
        """The highest release number read so far and an index of the cells of every
        release up to it, up to date. A release numbered above it was made afterwards."""
        key = (connection.engine.url.render_as_string(hide_password=True), dataset)
        with self._lock:
            held = self._held.get(key) or _Dataset()
            made = released_since(connection, dataset, held.seq)  # read before the cells
            if held.seq and made[:1] != [(held.seq, held.last)]:
                held = _Dataset()
                made = released_since(connection, dataset, held.seq)
            self._held[key] = held
            if made and made[-1][0] > held.seq:
                latest, last = made[-1]
                # Up to the number just read: the cells of a release committed meanwhile
                # are read on the next look, with its number.
                cells = earlier_cell_list(connection, dataset, after=held.seq, upto=latest)
                held.index = held.index.with_cells(cells)
                held.seq, held.last = latest, last
            return held.seq, held.index


EARLIER = EarlierCells()  # one per process
