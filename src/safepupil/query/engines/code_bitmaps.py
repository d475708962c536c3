"""Contributor bitmaps made from per-code bitmaps, for datasets of one record per pupil.

Listing every pupil id of every cell from DuckDB costs about three times the aggregate
itself (docs/performance.md). Where each record is a pupil, a cell's contributors are the
pupils whose codes are the cell's codes, one level at a time: the intersection of one
bitmap per level (the pupils with ``la = E09000001``, with ``sex = F``...). Those per-code
bitmaps depend on the dataset, not on the query, so each process keeps them, and a query
then costs its aggregate plus a few thousand bitmap intersections.

The kept bitmaps are never trusted: the statement also returns each cell's pupil count
and the sum of its pupil ids. Every cell's bitmap must hold its count of pupils, and
every code's bitmap must hold the pupils of the cells with that code, by count and id
sum (kept with the bitmap when it was made); a cell is its codes' intersection, so right
codes make right cells. A filtered query's cells are checked one by one instead. A store
changed since the bitmaps were made (an intake, a correction, an item reaching its
retention date) fails the check; the bitmaps are then made again from the store and
checked once more. If they still disagree, the caller falls back to listing the ids.
"""

# ruff: noqa: S608 - identifiers come from the catalogue through quoted(); values are parameters
from __future__ import annotations

import array
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from pyroaring import BitMap, FrozenBitMap

from safepupil.errors import InternalError
from safepupil.query.derivations import derived_value
from safepupil.query.engines.base import PUPIL_ID, PUPIL_TOKEN
from safepupil.query.engines.duckdb_sql import quoted
from safepupil.query.results import CellCode
from safepupil.store.catalogue import Dataset, DerivedDimension

CodeBitmaps = Mapping[CellCode, FrozenBitMap]
# Per process. An entry is one level's bitmaps of one dataset: at 8M pupils from about
# 2 MB (sex) to 16 MB (age in months, scattered ids); the least recently used go first.
KEPT_BYTES = 512 * 2**20
_EMPTY = FrozenBitMap()
Key = tuple[str, str, str]  # database file, dataset, level


@dataclass(frozen=True)
class Level:
    """One level's per-code bitmaps, with each code's pupil count and sum of pupil ids
    when they were made (what the statement's cells are checked against)."""

    bitmaps: CodeBitmaps
    totals: Mapping[CellCode, tuple[int, int]]

    @classmethod
    def of(cls, bitmaps: CodeBitmaps) -> Level:
        return cls(bitmaps, {code: (len(b), _id_sum(b)) for code, b in bitmaps.items()})


class CellsDisagree(Exception):
    """The per-code bitmaps do not give the statement's cells (stale or a bug)."""


class CodeBitmapCache:
    """Per-code bitmaps of dataset levels, kept per database file up to ``capacity``
    bytes; least recently used entries go first. Safe to share between threads (the web
    server's)."""

    def __init__(self, capacity: int = KEPT_BYTES) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[Key, tuple[Level, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> Level | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Key, level: Level) -> None:
        size = sum(_bytes(pupils) for pupils in level.bitmaps.values())
        with self._lock:
            self._drop(key)
            self._entries[key] = (level, size)
            self._held += size
            while self._held > self._capacity and len(self._entries) > 1:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

    def forget(self, database: str, dataset: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[:2] == (database, dataset)]:
                self._drop(key)

    def _drop(self, key: Key) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._held -= found[1]


def _bytes(pupils: FrozenBitMap) -> int:
    stats = pupils.get_statistics()
    return int(
        stats["n_bytes_array_containers"]
        + stats["n_bytes_run_containers"]
        + stats["n_bytes_bitset_containers"]
    )


KEPT = CodeBitmapCache()


@dataclass(frozen=True)
class Population:
    """The pupils a query's cells may hold: the filtered ones (``only``, listed by a
    statement) or, with no filter, everyone in the dataset less the ``excluded``."""

    only: FrozenBitMap | None
    excluded: FrozenBitMap

    def restrict(self, pupils: FrozenBitMap) -> FrozenBitMap:
        if self.only is not None:
            return pupils & self.only
        return pupils - self.excluded if self.excluded else pupils


@dataclass(frozen=True)
class CodeCells:
    """Contributors made from per-code bitmaps: the interior cells' (checked), every pupil
    in them, and on demand a margin family's (a margin cell is the intersection of its
    codes' bitmaps too, since each pupil holds one code per level)."""

    interior: list[FrozenBitMap]
    everyone: FrozenBitMap
    _source: duckdb.DuckDBPyConnection
    _dataset: Dataset
    _database: str | None
    _kept: CodeBitmapCache
    _population: Population

    def margins(
        self, family: Sequence[str | None], cells: Sequence[tuple[CellCode, ...]]
    ) -> list[FrozenBitMap]:
        """The contributors of ``cells`` of the margin ``family`` (None: totalled)."""
        present = [i for i, level in enumerate(family) if level is not None]
        if not present:
            return [self.everyone for _ in cells]
        per_level = [
            _level_bitmaps(self._source, self._dataset, level, self._database, self._kept).bitmaps
            for level in (family[i] for i in present)
            if level is not None
        ]
        codes = [tuple(cell[i] for i in present) for cell in cells]
        return _intersections(per_level, codes, self._population)


def cell_bitmaps(
    source: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    levels: Sequence[str],
    cells: Sequence[tuple[CellCode, ...]],
    checks: tuple[Sequence[int], Sequence[int]],
    population: Population,
    kept: CodeBitmapCache = KEPT,
) -> CodeCells:
    """Each cell's contributors (cells are codes of ``levels``), checked against the
    statement's ``checks`` (pupil count and pupil id sum per cell, see ``_agree``), and
    every pupil in any of them.

    Raises CellsDisagree when even bitmaps made afresh give other cells.
    """
    database = _database_key(source)
    for fresh in (False, True):
        if fresh and database is not None:
            kept.forget(database, dataset.name)
        per_level = [_level_bitmaps(source, dataset, level, database, kept) for level in levels]
        codes = [level.bitmaps for level in per_level]
        bitmaps = _intersections(codes, cells, population)
        if _agree(per_level, cells, bitmaps, checks, population):
            everyone = _everyone(codes, cells, population)
            return CodeCells(bitmaps, everyone, source, dataset, database, kept, population)
        if database is None:
            break  # made afresh already: nothing was kept
    raise CellsDisagree(f"{dataset.name}: per-code bitmaps do not give the statement's cells")


def population(
    source: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    excluded_tokens: frozenset[str],
    filtered: tuple[str, dict[str, object]] | None,
) -> Population:
    """The query's population; ``filtered`` is a statement listing the filtered pupils'
    ids (the excluded ones already left out), None for an unfiltered query."""
    if filtered is None:
        return Population(None, KEPT_IDS.of(source, dataset, excluded_tokens))
    ids = source.execute(*filtered).fetchnumpy()["pupil_id"]
    if np.ma.is_masked(ids):  # TRY_CAST to 32 bits gave null: an id out of range
        raise InternalError("a pupil_id is outside 0..2**32-1")
    listed = array.array("I", np.asarray(ids, dtype=np.uint32).tobytes())
    return Population(FrozenBitMap(listed), _EMPTY)


def _database_key(source: duckdb.DuckDBPyConnection) -> str | None:
    """The current database's file (bitmaps are kept per file); None in memory."""
    row = source.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return str(row[0]) if row and row[0] else None


class TokenIds:
    """The pupil ids of excluded pupils' tokens, kept per database file. A token's id
    never changes once given, and looking tokens up costs a scan of the dataset (more
    than the query's aggregate at 8M pupils), so each token is looked up once per
    process; a token not found is looked up again next time (it may have been loaded)."""

    def __init__(self) -> None:
        self._found: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def of(
        self, source: duckdb.DuckDBPyConnection, dataset: Dataset, tokens: frozenset[str]
    ) -> FrozenBitMap:
        if not tokens:
            return _EMPTY
        database = _database_key(source)
        with self._lock:
            known = dict(self._found.get(database or "", {})) if database else {}
        missing = tokens - known.keys()
        if missing:
            found = _looked_up(source, dataset, missing)
            known.update(found)
            if database is not None:
                with self._lock:
                    self._found.setdefault(database, {}).update(found)
        return FrozenBitMap(known[token] for token in tokens if token in known)


KEPT_IDS = TokenIds()


def _looked_up(
    source: duckdb.DuckDBPyConnection, dataset: Dataset, tokens: frozenset[str]
) -> dict[str, int]:
    rows = source.execute(
        f"SELECT DISTINCT {quoted(PUPIL_TOKEN)}, TRY_CAST({quoted(PUPIL_ID)} AS UINTEGER) "
        f"FROM {quoted(dataset.name)} "
        f"WHERE {quoted(PUPIL_TOKEN)} IN (SELECT unnest($tokens::VARCHAR[]))",
        {"tokens": sorted(tokens)},
    ).fetchall()
    return {str(token): int(pupil) for token, pupil in rows if pupil is not None}


def _level_bitmaps(
    source: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    level: str,
    database: str | None,
    kept: CodeBitmapCache,
) -> Level:
    spec = dataset.dimension(level)
    if not isinstance(spec, DerivedDimension):
        return _kept_or_made(
            database, dataset, level, kept, lambda: _item_bitmaps(source, dataset, level)
        )
    items = _kept_or_made(
        database, dataset, spec.source, kept, lambda: _item_bitmaps(source, dataset, spec.source)
    )
    return _kept_or_made(
        database, dataset, level, kept, lambda: _derived(spec, dataset, items.bitmaps)
    )


def _kept_or_made(
    database: str | None,
    dataset: Dataset,
    name: str,
    kept: CodeBitmapCache,
    make: Callable[[], CodeBitmaps],
) -> Level:
    """An item's or derived level's bitmaps (catalogue names are unique per dataset)."""
    if database is None:
        return Level.of(make())
    key = (database, dataset.name, name)
    found = kept.get(key)
    if found is None:
        found = Level.of(make())
        kept.put(key, found)
    return found


def _item_bitmaps(source: duckdb.DuckDBPyConnection, dataset: Dataset, item: str) -> CodeBitmaps:
    """The pupils holding each code of ``item`` (a missing value is a code: None)."""
    table = source.execute(
        f"SELECT {quoted(item)} AS code, list(TRY_CAST({quoted(PUPIL_ID)} AS UINTEGER)) AS ids "
        f"FROM {quoted(dataset.name)} GROUP BY ALL"
    ).to_arrow_table()
    codes = table.column("code").to_pylist()
    lists = table.column("ids").combine_chunks()
    if lists.values.null_count:
        raise InternalError("a pupil_id is outside 0..2**32-1")
    return dict(zip(codes, _bitmaps_of_lists(lists), strict=True))


def _bitmaps_of_lists(lists: pa.ListArray) -> list[FrozenBitMap]:
    offsets = lists.offsets.to_numpy()
    ids = lists.values.to_numpy(zero_copy_only=False).astype(np.uint32, copy=False)
    # array.array is the buffer pyroaring reads without a Python int per id
    return [
        FrozenBitMap(array.array("I", ids[offsets[i] : offsets[i + 1]].tobytes()))
        for i in range(len(lists))
    ]


def _derived(spec: DerivedDimension, dataset: Dataset, source: CodeBitmaps) -> CodeBitmaps:
    """A derived level's bitmaps: the union of its source codes' bitmaps."""
    grouped: dict[CellCode, list[FrozenBitMap]] = {}
    for code, pupils in source.items():
        grouped.setdefault(derived_value(spec, dataset, code), []).append(pupils)
    return {code: FrozenBitMap(BitMap.union(*parts)) for code, parts in grouped.items()}


def _intersections(
    per_level: list[CodeBitmaps],
    cells: Sequence[tuple[CellCode, ...]],
    population: Population,
) -> list[FrozenBitMap]:
    """Each cell's intersection of its codes' bitmaps, within the population.

    The level with the most codes (LA, typically) goes last: the other levels' few
    combinations are intersected once each and shared, and each cell then costs one
    intersection with one small bitmap (an intersection costs what its smaller side
    holds)."""
    if not per_level:
        return []
    widest = max(range(len(per_level)), key=lambda i: len({c[i] for c in cells}))
    shared = [i for i in range(len(per_level)) if i != widest]
    last = per_level[widest]
    prefixes: dict[tuple[CellCode, ...], FrozenBitMap | None] = {}
    results = []
    for cell in cells:
        key = tuple(cell[i] for i in shared)
        if key not in prefixes:
            prefixes[key] = _prefix([per_level[i] for i in shared], key, population)
        prefix = prefixes[key]
        pupils = last.get(cell[widest], _EMPTY)
        results.append(population.restrict(pupils) if prefix is None else prefix & pupils)
    return results


def _prefix(
    levels: list[CodeBitmaps], codes: tuple[CellCode, ...], population: Population
) -> FrozenBitMap | None:
    """The pupils of the population holding ``codes`` at ``levels``; None for no level."""
    if not levels:
        return None
    pupils = population.restrict(levels[0].get(codes[0], _EMPTY))
    for level, code in zip(levels[1:], codes[1:], strict=True):
        pupils = pupils & level.get(code, _EMPTY)
    return pupils


def _everyone(
    per_level: list[CodeBitmaps], cells: Sequence[tuple[CellCode, ...]], population: Population
) -> FrozenBitMap:
    """Every pupil in the cells: the filtered pupils, or with no filter every pupil holding
    one of the first level's codes (a pupil holds one code per level), less the excluded
    ones; a union of a level's few bitmaps instead of every cell's."""
    if population.only is not None:
        return population.only
    codes = {cell[0] for cell in cells}
    everyone = BitMap.union(BitMap(), *(per_level[0].get(c, _EMPTY) for c in codes))
    return population.restrict(FrozenBitMap(everyone))


def _agree(
    per_level: list[Level],
    cells: Sequence[tuple[CellCode, ...]],
    bitmaps: list[FrozenBitMap],
    checks: tuple[Sequence[int], Sequence[int]],
    population: Population,
) -> bool:
    """Whether the bitmaps give the statement's cells: every cell's pupil count, and every
    code's pupils by count and id sum (a cell is its codes' intersection, so right codes
    make right cells). A filtered population is not what the codes were made over, so
    there each cell's id sum is checked instead."""
    counts, sums = checks
    if any(len(pupils) != n for pupils, n in zip(bitmaps, counts, strict=True)):
        return False
    if population.only is not None:
        return all(not n or _id_sum(p) == s for p, n, s in zip(bitmaps, counts, sums, strict=True))
    return all(
        _codes_agree(level, position, cells, counts, sums, population.excluded)
        for position, level in enumerate(per_level)
    )


def _codes_agree(
    level: Level,
    position: int,
    cells: Sequence[tuple[CellCode, ...]],
    counts: Sequence[int],
    sums: Sequence[int],
    excluded: FrozenBitMap,
) -> bool:
    """Each code of ``level`` holds the pupils (count and id sum) the cells with that
    code hold, less the excluded pupils."""
    seen: dict[CellCode, tuple[int, int]] = {}
    for cell, n, s in zip(cells, counts, sums, strict=True):
        held = seen.get(cell[position], (0, 0))
        seen[cell[position]] = (held[0] + n, held[1] + s)
    for code, (n, s) in level.totals.items():
        if excluded:
            gone = level.bitmaps[code] & excluded
            n, s = n - len(gone), s - _id_sum(gone)
        if seen.pop(code, (0, 0)) != (n, s):
            return False
    return not seen  # a code in the cells that no kept bitmap holds


def _id_sum(pupils: FrozenBitMap) -> int:
    if not pupils:
        return 0
    return int(np.frombuffer(pupils.to_array(), dtype=np.uint32).sum(dtype=np.int64))
