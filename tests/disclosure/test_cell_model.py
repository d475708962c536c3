"""The linear model: every published cell is the sum of the interior cells in its box."""

from __future__ import annotations

import itertools

import numpy as np

from safepupil.disclosure import Dimension
from safepupil.disclosure.cell_model import build_cell_model

LA = Dimension("la", ("A", "B", "C"), (("R1", ("A", "B")), ("R2", ("C",))))
SEX = Dimension("sex", ("F", "M"))
AGE = Dimension("age", ("11", "14", "16"))


def counts_for(dims: list[Dimension]) -> dict[tuple[str, ...], int]:
    keys = itertools.product(*(d.codes for d in dims))
    return {key: 1 + 3 * i for i, key in enumerate(keys)}


def box_sum(counts, dims, identity) -> int:  # type: ignore[no-untyped-def]
    return sum(
        n
        for key, n in counts.items()
        if all(leaf in d.leaves(code) for leaf, d, code in zip(key, dims, identity, strict=True))
    )


def test_every_cell_value_is_its_box_sum_and_rows_add_up() -> None:
    dims = [LA, SEX, AGE]
    counts = counts_for(dims)
    model = build_cell_model(counts, dims, [("la", "sex", "age")])
    assert model.size == 6 * 3 * 4
    for identity, value in zip(model.identities, model.values, strict=True):
        assert value == box_sum(counts, dims, identity)
    # A x = 0 for the true table: every additive row holds.
    row_of_entry = np.repeat(np.arange(model.row_count), np.diff(model.row_start))
    totals = np.bincount(
        row_of_entry,
        weights=model.row_coefs * model.values[model.row_cells],
        minlength=model.row_count,
    )
    assert np.all(totals == 0)
    assert model.row_count == model.size - 3 * 2 * 3  # one row per non-interior cell


def test_linked_tables_share_cells_and_an_unused_dimension_is_summed_out() -> None:
    dims = [LA, SEX, AGE]
    counts = counts_for(dims)
    model = build_cell_model(counts, dims, [("la",), ("sex",)])
    # Interior: la x sex (age is in no table); published: la margins + sex margins,
    # sharing the grand total.
    assert model.published.sum() == 6 + 3 - 1
    grand = model.identities.index(("Total", "Total", "Total"))
    assert model.values[grand] == sum(counts.values())
    assert sum(1 for t in model.tables for _ in t.cells) == 9


def test_margin_depth_counts_dimensions_at_a_group_or_total() -> None:
    model = build_cell_model(counts_for([LA, SEX]), [LA, SEX], [("la", "sex")])
    depth = dict(zip(model.identities, model.margin_depth.tolist(), strict=True))
    assert depth[("A", "F")] == 0
    assert depth[("R1", "F")] == 1
    assert depth[("A", "Total")] == 1
    assert depth[("Total", "Total")] == 2
