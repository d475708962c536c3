"""A process's copy of the cells released so far, for the differencing check.

Reading every earlier cell for every release grows with every release (12,500 cells:
about 0.3 s); a server process keeps them and reads only the releases made since its
last look. Releases are never un-released, so new ids are all that can change; if ids
it holds have vanished, the database is not the one it read (a deployment made anew
at the same address) and it starts again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from safepupil.disclosure.differencing import DifferencingIndex
from safepupil.release.records import earlier_cell_list, released_ids


@dataclass
class _Dataset:
    seen: frozenset[str] = frozenset()
    index: DifferencingIndex = field(default_factory=lambda: DifferencingIndex(()))


class EarlierCells:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], _Dataset] = {}

    def snapshot(
        self, connection: Connection, dataset: str
    ) -> tuple[frozenset[str], DifferencingIndex]:
        """The ids of the releases read so far and an index of their cells, up to date."""
        key = (connection.engine.url.render_as_string(hide_password=True), dataset)
        with self._lock:
            ids = released_ids(connection, dataset)  # read before the cells
            held = self._held.get(key)
            if held is None or not held.seen <= ids:
                held = self._held[key] = _Dataset()
            new = ids - held.seen
            if new:
                held.index = held.index.with_cells(earlier_cell_list(connection, dataset, new))
                held.seen = ids
            return held.seen, held.index


EARLIER = EarlierCells()  # one per process
