"""The synthetic data's own word lists (names, streets, postcode areas), read from data/."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np

# Names are drawn with weight 1/(rank + offset): a few names are common, most are rare,
# as in real birth registrations, without any one name dominating.
ZIPF_OFFSET = 8


def read_text(filename: str) -> str:
    return resources.files("safepupil.synth").joinpath("data", filename).read_text("utf-8")


@cache
def word_list(filename: str) -> tuple[str, ...]:
    """The non-comment lines of a data file, in file order (commonest first)."""
    lines = (line.strip() for line in read_text(filename).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def rank_weights(count: int) -> np.ndarray:
    return 1.0 / (np.arange(count, dtype=np.float64) + ZIPF_OFFSET)


@cache
def postcode_areas() -> dict[str, tuple[str, ...]]:
    """Postcode areas (the letters of the outward code) plausible for each region."""
    rows = csv.DictReader(read_text("postcode_areas.csv").splitlines())
    return {row["region"]: tuple(row["areas"].split()) for row in rows}
