"""How many pupils each LA gets.

LA sizes follow the kind of area (shire counties are large, unitary authorities small),
spread log-normally within a kind, so sizes vary by more than an order of magnitude, as
in England; City of London and the Isles of Scilly each have a few hundred pupils only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safepupil.domain.local_authorities import LocalAuthority
from safepupil.errors import InternalError

# Typical school census pupils per LA by ONS area kind (the first three characters of the
# ONS code), for a national population of about 8 million: county (E10) ~120k,
# metropolitan district (E08) ~50k, London borough (E09) ~40k, unitary (E06) ~30k.
TYPICAL_PUPILS_BY_AREA_KIND = {"E10": 120_000.0, "E08": 50_000.0, "E09": 40_000.0}
TYPICAL_PUPILS_OTHERWISE = 30_000.0
# Pupils at the national scale for the two tiny LAs: City of London (one primary school)
# and the Isles of Scilly.
TINY_LA_PUPILS = {"201": 250.0, "420": 250.0}
# Spread of LA sizes within a kind of area (sigma of the log): exp(2 * 0.4) ~ 2.2x either way.
SIZE_SPREAD = 0.4
# LAs differ in how much they use AP beyond their size.
AP_USE_SPREAD = 0.5


def school_shares(las: Sequence[LocalAuthority], rng: np.random.Generator) -> np.ndarray:
    """Each LA's share of the national school census population (sums to 1)."""
    typical = np.array(
        [TYPICAL_PUPILS_BY_AREA_KIND.get(la.ons_code[:3], TYPICAL_PUPILS_OTHERWISE) for la in las]
    )
    sizes = typical * rng.lognormal(mean=0.0, sigma=SIZE_SPREAD, size=len(las))
    for index, la in enumerate(las):
        if la.code in TINY_LA_PUPILS:
            sizes[index] = TINY_LA_PUPILS[la.code]
    shares: np.ndarray = sizes / sizes.sum()
    return shares


def ap_shares(school: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each LA's share of the AP census: its size times how much it uses AP."""
    use = rng.lognormal(mean=0.0, sigma=AP_USE_SPREAD, size=len(school))
    shares = school * use
    normalised: np.ndarray = shares / shares.sum()
    return normalised


def allocate(total: int, shares: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Whole pupil counts summing exactly to ``total``, each at least ``minimum``,
    otherwise proportional to ``shares`` (largest remainder method)."""
    spare = total - minimum * len(shares)
    if spare < 0:
        raise InternalError("too few pupils to give every LA its minimum")
    exact = shares / shares.sum() * spare
    counts = np.floor(exact).astype(np.int64)
    short = spare - int(counts.sum())
    # Stable sort: ties go to the earlier LA, so the result never depends on sort internals.
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    allocated: np.ndarray = counts + minimum
    return allocated
