"""Dummy data for researchers: a catalogue dataset's exact columns, filled with made-up
pupils, for trying queries offline before asking for them on the real store.

``make_dummy(catalogue, "ap_census_2018", rows, seed)`` returns an Arrow table with the
dataset's items (typed as the store types them) and ``pupil_id``. Values follow the
synthetic census marginals (sex, age, ethnicity, SEN, placement reasons, LAs weighted by
size, dates around the census period), and each LA also holds a small designed block in
which every code of every coded item appears among girls and among boys
(``dummy_design``), so a filter on a rare combination still finds rows. The guarantee
needs ``guarantee_rows(dataset)`` rows (about 6,000); below that every row is drawn.

Nothing here comes from real pupils: tokens are random ("dummy" and hex, never a hash
of a UPN), and withheld statistics-only codes are null with their ``_withheld`` flag
true, as the store holds them. The same arguments give the same table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from safepupil.domain.local_authorities import LocalAuthority, local_authorities_on
from safepupil.errors import UserError
from safepupil.store.catalogue import Catalogue, Dataset
from safepupil.synth.dummy_design import design_rows, rows_per_la
from safepupil.synth.dummy_draw import draw_rows
from safepupil.synth.dummy_io import PUPIL_ID, dummy_schema
from safepupil.synth.dummy_model import AP_POPULATION, Latent, population
from safepupil.synth.dummy_render import render_columns
from safepupil.synth.la_sizes import allocate, ap_shares, school_shares
from safepupil.synth.streams import random_stream

DEFAULT_ROWS = 50_000  # about twice the real AP census: the designed block is ~13% of it
MAX_ROWS = 5_000_000
DEFAULT_SEED = 2018
# Records of datasets that may hold a pupil more than once (AP: placed by two LAs in a
# period): this share of drawn records belong to a pupil already placed by another LA.
REPEATED_PUPIL_SHARE = 0.02
PUPIL_LEVEL_ITEMS = ("sex", "ethnicity", "birth_year_month")  # the same in both records
TOKEN_PREFIX = "dummy"  # noqa: S105 - real tokens are 32 hex digits, never this
TOKEN_RANDOM_BYTES = 12


def make_dummy(catalogue: Catalogue, dataset: str, rows: int, seed: int) -> pa.Table:
    """``rows`` dummy records of ``dataset``, the same for the same arguments."""
    spec = catalogue.dataset(dataset)
    _check_arguments(rows, seed)
    las = local_authorities_on(spec.reference_date)
    parts: list[Latent] = []
    if rows >= guarantee_rows(spec):
        parts.append(design_rows(spec, len(las), _stream(seed, spec, "design")))
    drawn = rows - sum(p.size for p in parts)
    la_index = _drawn_las(spec, las, drawn, _stream(seed, spec, "las"))
    parts.append(draw_rows(spec, la_index, las, _stream(seed, spec, "draw")))
    latent = Latent.concat(parts)
    columns = render_columns(spec, latent, las, seed)
    same_pupil = _same_pupil(spec, latent, _stream(seed, spec, "repeats"))
    for name in PUPIL_LEVEL_ITEMS:
        if name in columns:
            columns[name] = columns[name].take(pa.array(same_pupil))
    order = _row_order(latent, _stream(seed, spec, "order"))
    ids = _pupil_ids(same_pupil[order])
    table = _table(spec, {n: c.take(pa.array(order)) for n, c in columns.items()}, ids)
    tokens = _tokens(int(ids.max(initial=0)), _stream(seed, spec, "tokens"))
    return _with_tokens(spec, table, tokens[ids - 1])


def guarantee_rows(dataset: Dataset) -> int:
    """The fewest rows for which every code appears in every LA among girls and boys."""
    return rows_per_la(dataset) * len(local_authorities_on(dataset.reference_date))


def _check_arguments(rows: int, seed: int) -> None:
    if not 1 <= rows <= MAX_ROWS:
        raise UserError(
            f"--rows {rows} is out of range",
            hint=f"use 1 to {MAX_ROWS:,}; {DEFAULT_ROWS:,} shows every code in every LA",
        )
    if seed < 0:
        raise UserError(f"--seed {seed} is negative", hint="use a seed of 0 or more")


def _stream(seed: int, dataset: Dataset, purpose: str) -> np.random.Generator:
    return random_stream(seed, f"dummy:{dataset.name}:{purpose}")


def _drawn_las(
    dataset: Dataset, las: Sequence[LocalAuthority], count: int, rng: np.random.Generator
) -> np.ndarray:
    """Each drawn row's LA, by LA size (and, for AP, by how much the LA uses AP)."""
    shares = school_shares(las, rng)
    if population(dataset) == AP_POPULATION:
        shares = ap_shares(shares, rng)
    return np.repeat(np.arange(len(las)), allocate(count, shares))


def _same_pupil(dataset: Dataset, latent: Latent, rng: np.random.Generator) -> np.ndarray:
    """For each row, the row whose pupil it records: itself, or for a repeated pupil an
    earlier placement by another LA. Designed rows are never repeats nor repeated."""
    source = np.arange(latent.size)
    if dataset.one_row_per_pupil:
        return source
    drawn = ~latent.designed
    repeat = drawn & (rng.random(latent.size) < REPEATED_PUPIL_SHARE)
    originals = np.flatnonzero(drawn & ~repeat)
    if len(originals) == 0:
        return source
    repeats = np.flatnonzero(repeat)
    chosen = originals[rng.integers(0, len(originals), len(repeats))]
    elsewhere = latent.la_index[chosen] != latent.la_index[repeats]
    source[repeats[elsewhere]] = chosen[elsewhere]
    return source


def _row_order(latent: Latent, rng: np.random.Generator) -> np.ndarray:
    """LA by LA, as the store loads returns; random within an LA, so the designed rows
    are not recognisable by their place."""
    shuffled = rng.permutation(latent.size)
    order: np.ndarray = shuffled[np.argsort(latent.la_index[shuffled], kind="stable")]
    return order


def _pupil_ids(pupil_rows: np.ndarray) -> np.ndarray:
    """1, 2, ... in order of each pupil's first record, as the store numbers pupils."""
    _, first, inverse = np.unique(pupil_rows, return_index=True, return_inverse=True)
    number = np.empty(len(first), dtype=np.int64)
    number[np.argsort(first)] = np.arange(1, len(first) + 1)
    ids: np.ndarray = number[inverse]
    return ids


def _tokens(pupils: int, rng: np.random.Generator) -> np.ndarray:
    raw = np.frombuffer(rng.bytes(pupils * TOKEN_RANDOM_BYTES), dtype=np.uint8)
    hexed = [bytes(row).hex() for row in raw.reshape(pupils, TOKEN_RANDOM_BYTES)]
    return np.array([TOKEN_PREFIX + h for h in hexed], dtype=str)


def _table(dataset: Dataset, columns: dict[str, pa.Array], ids: np.ndarray) -> pa.Table:
    schema = dummy_schema(dataset)
    size = len(ids)
    arrays = {**columns, PUPIL_ID: pa.array(ids, pa.int64())}
    placeholder = pa.nulls(size, pa.string())
    return pa.table([arrays.get(f.name, placeholder) for f in schema], schema=schema)


def _with_tokens(dataset: Dataset, table: pa.Table, tokens: np.ndarray) -> pa.Table:
    for item in dataset.items:
        if item.type == "token":
            position = table.schema.get_field_index(item.name)
            table = table.set_column(position, item.name, pa.array(tokens, pa.string()))
    return table
