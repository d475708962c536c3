"""Unique Pupil Numbers (DfE "A guide to the UPN").

13 characters: check letter; LA number (3 digits); establishment number (4);
year of issue (2); serial (3 digits, or for a temporary UPN 2 digits and a letter).
"""

from __future__ import annotations

import enum
import re

from safepupil.domain.local_authorities import is_known_la_code

# The check-letter alphabet: 23 letters, never I, O or S.
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_LENGTH = 13
_SHAPE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


class UpnProblem(enum.Enum):
    """Why a UPN is not valid; the values are messages a data officer can act on."""

    WRONG_LENGTH = "a UPN has 13 characters"
    MALFORMED = "a UPN is a letter, 11 digits, then a digit or a letter"
    BAD_TEMPORARY_LETTER = "the last character of a temporary UPN must be a check-alphabet letter"
    UNKNOWN_LA = "characters 2-4 are not a known LA number"
    WRONG_CHECK_LETTER = "the check letter does not match the rest of the UPN"


def normalise(upn: str) -> str:
    """The form UPNs are compared and pseudonymised in: trimmed, upper case."""
    return upn.strip().upper()


def _char_value(char: str) -> int:
    return int(char) if char.isdigit() else CHECK_ALPHABET.index(char)


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    if len(body) != UPN_LENGTH - 1:
        raise ValueError("check_letter takes the 12 characters after the check letter")
    total = sum(_char_value(char) * weight for weight, char in enumerate(body, start=2))
    return CHECK_ALPHABET[total % 23]


def upn_problem(upn: str) -> UpnProblem | None:
    """None when ``upn`` is a valid permanent or temporary UPN, otherwise why not."""
    upn = normalise(upn)
    if len(upn) != UPN_LENGTH:
        return UpnProblem.WRONG_LENGTH
    if not _SHAPE.match(upn):
        return UpnProblem.MALFORMED
    if upn[-1].isalpha() and upn[-1] not in CHECK_ALPHABET:
        return UpnProblem.BAD_TEMPORARY_LETTER
    if not is_known_la_code(upn[1:4]):
        return UpnProblem.UNKNOWN_LA
    if upn[0] != check_letter(upn[1:]):
        return UpnProblem.WRONG_CHECK_LETTER
    return None


def is_valid_upn(upn: str) -> bool:
    return upn_problem(upn) is None


def is_temporary(upn: str) -> bool:
    return normalise(upn)[-1].isalpha()


def make_upn(la_code: str, establishment: str, year: int, serial: str) -> str:
    """Build a UPN with its check letter; ``serial`` is 3 digits, or 2 digits and a letter."""
    body = f"{la_code}{establishment}{year % 100:02d}{serial}"
    return check_letter(body) + body
