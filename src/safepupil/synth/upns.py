"""Valid UPNs for many pupils at once.

A UPN is: check letter, LA number (3), establishment (4), year of issue (2), serial (3).
The check letter is a weighted sum of the other characters mod 23, so the sum splits into
one share per part. Each part's share is looked up once from
``safepupil.domain.upn.check_letter`` (on a body that is zero everywhere else) and the
shares are added per pupil: the domain's own rule, without a Python call per pupil.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from safepupil.domain.upn import CHECK_ALPHABET, check_letter
from safepupil.errors import InternalError

BODY_LENGTH = 12
# (position, width) of each part within the 12 characters after the check letter.
LA_PART = (0, 3)
ESTABLISHMENT_PART = (3, 4)
YEAR_PART = (7, 2)
SERIAL_PART = (9, 3)
SMALLEST_LA_NUMBER = 100  # DfE LA numbers have three digits

# Establishment numbers 2000-4999 are primary and secondary schools, which issue UPNs.
FIRST_ESTABLISHMENT = 2000
ESTABLISHMENTS = 3000
SERIALS = 1000
SLOTS_PER_LA = ESTABLISHMENTS * SERIALS
# Coprime with SLOTS_PER_LA, so slot -> (slot * multiplier + offset) mod SLOTS_PER_LA is a
# bijection: UPNs spread over establishments yet two slots never share a UPN.
SLOT_MULTIPLIER = 1_299_709  # a prime, so coprime with 2^6 * 3 * 5^6


@cache
def _share_table(part: tuple[int, int]) -> np.ndarray:
    """The check-sum share (0..22) of every value the part can take."""
    position, width = part
    shares = []
    for value in range(10**width):
        body = ("0" * position + f"{value:0{width}d}").ljust(BODY_LENGTH, "0")
        shares.append(CHECK_ALPHABET.index(check_letter(body)))
    return np.array(shares, dtype=np.int64)


def slot_parts(slots: np.ndarray, offset: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """(establishment, serial) for slot numbers in 0..SLOTS_PER_LA-1; ``offset`` is the LA's."""
    if len(slots) and (slots.min() < 0 or slots.max() >= SLOTS_PER_LA):
        raise InternalError("an LA has more pupils than UPN slots")
    mixed = (slots.astype(np.int64) * SLOT_MULTIPLIER + offset) % SLOTS_PER_LA
    return FIRST_ESTABLISHMENT + mixed // SERIALS, mixed % SERIALS


def make_upns(
    la_number: np.ndarray,
    establishment: np.ndarray,
    issue_year: np.ndarray,
    serial: np.ndarray,
) -> np.ndarray:
    """UPNs (numpy strings) with correct check letters; the arguments are integer arrays."""
    if len(la_number) and la_number.min() < SMALLEST_LA_NUMBER:
        raise InternalError("LA numbers below 100 cannot start a UPN body")
    year = issue_year.astype(np.int64) % 100
    total = (
        _share_table(LA_PART)[la_number]
        + _share_table(ESTABLISHMENT_PART)[establishment]
        + _share_table(YEAR_PART)[year]
        + _share_table(SERIAL_PART)[serial]
    )
    letters = np.array(list(CHECK_ALPHABET))[total % len(CHECK_ALPHABET)]
    body = la_number.astype(np.int64) * 10**9 + establishment * 10**5 + year * 10**3 + serial
    return np.strings.add(letters, body.astype(str))
