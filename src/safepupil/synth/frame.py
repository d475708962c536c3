"""The national frame both censuses share: the LAs on census day, their sizes, towns,
postcode districts and UPN numbering."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import LocalAuthority, local_authorities_on
from safepupil.synth.identities import la_outward_codes, town_name
from safepupil.synth.la_sizes import allocate, ap_shares, school_shares
from safepupil.synth.streams import random_stream
from safepupil.synth.upns import SLOTS_PER_LA

MIN_AP_PUPILS_PER_LA = 1  # every LA makes a return, so every LA has at least one pupil


@dataclass(frozen=True)
class LaFrame:
    las: tuple[LocalAuthority, ...]  # in register order; every array below follows it
    numbers: np.ndarray  # DfE LA numbers as integers
    towns: np.ndarray  # the town line of addresses
    outward_codes: np.ndarray  # (LAs x districts) postcode outward codes
    upn_offsets: np.ndarray  # each LA's UPN numbering offset (see upns.slot_parts)
    ap_counts: np.ndarray
    school_counts: np.ndarray

    @cached_property
    def ap_offsets(self) -> np.ndarray:
        """Index of each LA's first AP pupil in LA-grouped order."""
        return np.concatenate(([0], np.cumsum(self.ap_counts)[:-1]))


def la_frame(year: int, ap_pupils: int, school_pupils: int, seed: int) -> LaFrame:
    las = local_authorities_on(census_day(year))
    rng = random_stream(seed, "la-frame")
    school = school_shares(las, rng)
    ap = ap_shares(school, rng)
    return LaFrame(
        las=las,
        numbers=np.array([int(la.code) for la in las], dtype=np.int64),
        towns=np.array([town_name(la) for la in las]),
        outward_codes=la_outward_codes(rng, las),
        upn_offsets=rng.integers(0, SLOTS_PER_LA, len(las)),
        ap_counts=allocate(ap_pupils, ap, minimum=MIN_AP_PUPILS_PER_LA),
        school_counts=allocate(school_pupils, school),
    )
