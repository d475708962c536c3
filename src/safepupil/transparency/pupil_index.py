"""Which releases included a pupil: one bitmap per release, held in memory.

Every released cell's contributors are stored per cell (``release.records``). Testing a
pupil against every cell of 100,000 releases means deserialising millions of bitmaps;
instead ``catch_up`` stores, once per release, the union of its cells
(``release_pupil_sets``), and ``ReleaseIndex`` keeps those unions in memory, reading
only rows added since it last looked. A look-up is then one membership test per
release, in C (about 15 ms for 100,000 releases; ``bench/bench_who_used.py``).

An inverted index (pupil -> releases) would answer faster still, but a national table
touches every pupil, so each release would rewrite millions of rows; a union per
release is written once and is small (run-length containers for whole populations).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pyroaring import BitMap, FrozenBitMap
from sqlalchemy.engine import Connection

from safepupil.governance.records import as_utc
from safepupil.governance.tables import table_of
from safepupil.release.records import RELEASED, ReleasedCellRow, ReleaseRow
from safepupil.transparency.tables import ReleasePupilSetRow

SETS = table_of(ReleasePupilSetRow)
RELEASES = table_of(ReleaseRow)
CELLS = table_of(ReleasedCellRow)
CATCH_UP_BATCH = 500  # releases whose cells are read at once


def catch_up(connection: Connection) -> int:
    """Store the pupil set of every released release that has none yet; how many were
    added. Run in the caller's transaction (a held release approved later is caught
    here, since its status and cells change together)."""
    missing = connection.execute(
        sa.select(RELEASES.c.id)
        .outerjoin(SETS, SETS.c.release_id == RELEASES.c.id)
        .where(RELEASES.c.status == RELEASED, SETS.c.release_id.is_(None))
        .order_by(RELEASES.c.created_at, RELEASES.c.id)
    ).scalars()
    pending = list(missing)
    for start in range(0, len(pending), CATCH_UP_BATCH):
        _store_unions(connection, pending[start : start + CATCH_UP_BATCH])
    return len(pending)


def _store_unions(connection: Connection, release_ids: list[str]) -> None:
    unions: dict[str, BitMap] = {release_id: BitMap() for release_id in release_ids}
    for release_id, blob in connection.execute(
        sa.select(CELLS.c.release_id, CELLS.c.contributors).where(
            CELLS.c.release_id.in_(release_ids)
        )
    ):
        unions[release_id] |= FrozenBitMap.deserialize(blob)
    rows = []
    for release_id in release_ids:  # in release order, so positions follow time
        union = unions[release_id]
        union.run_optimize()  # whole populations shrink to a few runs
        rows.append(
            {"release_id": release_id, "pupils": union.serialize(), "cardinality": len(union)}
        )
    connection.execute(sa.insert(SETS), rows)


@dataclass(frozen=True)
class IndexedRelease:
    """What a pupil's page shows of a release, kept beside its pupil set."""

    release_id: str
    released_at: dt.datetime
    project_id: int
    dataset: str
    query_json: str


@dataclass
class ReleaseIndex:
    """The pupil sets of every indexed release, in memory; ``refresh`` reads new ones.
    Releases never change once released, so nothing loaded ever goes stale."""

    releases: list[IndexedRelease] = field(default_factory=list)
    # Distinct pupil sets, each once, with the positions (in ``releases``) of the
    # releases that have it: a release's set is its filtered population whenever its
    # grand total is released, so releases of one population share one set.
    pupil_sets: list[FrozenBitMap] = field(default_factory=list)
    holders: list[list[int]] = field(default_factory=list)
    _set_number: dict[bytes, int] = field(default_factory=dict, repr=False)
    last_position: int = 0
    # Each release as a page shows it, built on first use and kept: a release, and the
    # approved project it belongs to, never change (see who_used.releases_for).
    shown: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh(self, connection: Connection) -> int:
        """Load the sets stored since the last refresh; how many were loaded."""
        with self._lock:
            rows = connection.execute(
                sa.select(
                    SETS.c.position,
                    SETS.c.pupils,
                    RELEASES.c.id,
                    RELEASES.c.created_at,
                    RELEASES.c.project_id,
                    RELEASES.c.dataset,
                    RELEASES.c.query,
                )
                .join(RELEASES, RELEASES.c.id == SETS.c.release_id)
                .where(SETS.c.position > self.last_position)
                .order_by(SETS.c.position)
            ).all()
            for row in rows:
                self.releases.append(
                    IndexedRelease(
                        release_id=row.id,
                        released_at=as_utc(row.created_at),
                        project_id=row.project_id,
                        dataset=row.dataset,
                        query_json=row.query,
                    )
                )
                self._add_set(row.pupils, len(self.releases) - 1)
                self.last_position = row.position
            return len(rows)

    def _add_set(self, blob: bytes, position: int) -> None:
        number = self._set_number.get(blob)  # equal sets serialise to equal bytes
        if number is None:
            number = self._set_number[blob] = len(self.pupil_sets)
            self.pupil_sets.append(FrozenBitMap.deserialize(blob))
            self.holders.append([])
        self.holders[number].append(position)

    def releases_of(self, pupil_id: int) -> list[IndexedRelease]:
        """The releases whose released cells included ``pupil_id``, oldest first."""
        tests = map(FrozenBitMap.__contains__, self.pupil_sets, itertools.repeat(pupil_id))
        found = itertools.compress(self.holders, tests)  # the loop runs in C
        positions = sorted(itertools.chain.from_iterable(found))
        return [self.releases[position] for position in positions]

    def __len__(self) -> int:
        return len(self.releases)


_INDEXES: dict[str, ReleaseIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(database: str) -> ReleaseIndex:
    """The process's index for one control-plane database (by its URL), made on first use:
    a web server loads it once and then reads only new releases."""
    with _INDEXES_LOCK:
        return _INDEXES.setdefault(database, ReleaseIndex())
