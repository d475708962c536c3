"""A medium hierarchical 3-D table: protected, and spot-checked by the brute-force attacker."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from safepupil.disclosure import Dimension, FrequencyPolicy, protect_linked_counts
from tests.disclosure.brute_audit import brute_intervals


def skewed_counts(dims: list[Dimension], pupils: int, seed: int) -> dict[tuple[str, ...], int]:
    rng = np.random.default_rng(seed)
    p = np.ones(1)
    for d in dims:
        p = np.multiply.outer(p, rng.lognormal(0.0, 0.8, len(d.codes)))
    drawn = rng.multinomial(pupils, (p / p.sum()).ravel())
    keys = itertools.product(*(d.codes for d in dims))
    return {key: int(n) for key, n in zip(keys, drawn, strict=True) if n}


@pytest.mark.slow
@pytest.mark.parametrize("search", ["whole table", "regional"])
def test_a_hierarchical_3d_table_is_protected(search: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from safepupil.disclosure import complements

    if search == "regional":  # the national table's path, on a table small enough to check
        monkeypatch.setattr(complements, "LIFT_MIN_PRIMARY", 0)
        monkeypatch.setattr(complements, "LIFT_MIN_CELLS", 0)
    las = tuple(f"L{i:02}" for i in range(12))
    la = Dimension("la", las, (("R1", las[:5]), ("R2", las[5:9]), ("R3", las[9:])))
    sen = Dimension("sen", ("N", "K", "E", "S"))
    reason = Dimension("reason", ("PEX", "MHN", "PRG", "YOF", "OTH"))
    dims = [la, sen, reason]
    counts = skewed_counts(dims, 2500, seed=7)
    release = protect_linked_counts(counts, dims, [("la", "sen", "reason")], FrequencyPolicy())
    assert release.audit.protected
    assert release.primary_count > 30
    everything = brute_intervals(counts, dims, release)
    for (_table, key), (lo, hi) in everything.items():
        assert hi - lo >= 10 - 1e-6, key
