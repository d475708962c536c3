"""Independent random streams derived from one seed.

Each purpose ("ap", "school", ...) has its own stream, so changing one part of a run
(say the school census size) leaves every other part's output unchanged.
"""

from __future__ import annotations

import zlib

import numpy as np


def random_stream(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    """A generator for ``purpose`` (and optional integer keys) under ``seed``."""
    # crc32, not hash(): Python salts str hashes per process, which would break determinism.
    entropy = [seed, zlib.crc32(purpose.encode("utf-8")), *keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices 0..len(weights)-1 drawn with probability proportional to ``weights``."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    draws = rng.random(size) * cumulative[-1]
    # min() guards the float edge where a draw lands exactly on the total.
    chosen: np.ndarray = np.searchsorted(cumulative, draws, side="right")
    last: np.ndarray = np.minimum(chosen, len(weights) - 1)
    return last


def uniform_days(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """A date drawn uniformly between ``first`` and ``last`` inclusive, element-wise."""
    span = (last - first).astype(np.int64) + 1
    offsets = (rng.random(len(span)) * span).astype(np.int64)
    days: np.ndarray = first + offsets.astype("timedelta64[D]")
    return days


def top_up_weights(weights: np.ndarray, present: np.ndarray, size: int) -> np.ndarray:
    """Weights for ``size`` more draws so that, with the ``present`` counts already there,
    each category ends as close to its share of ``weights`` as it can."""
    target = weights / weights.sum() * (size + present.sum())
    needed: np.ndarray = np.clip(target - present, 0.0, None)
    return needed if needed.sum() > 0 else weights
