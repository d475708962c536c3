"""UPN rules: shape, LA, check letter (as ``domain.upn.upn_problem``), and duplicates.

Check letters are computed with numpy over the 13-byte UPNs at once. Only values that
are not a plain ASCII letter-digits shape (rare: they are errors anyway) go through
``upn_problem`` one at a time, so both paths give exactly the domain's answer.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import (
    Hits,
    RecordContext,
    Rule,
    as_mask,
    fixed_width_bytes,
    hits_where,
)
from safepupil.domain.local_authorities import all_local_authorities
from safepupil.domain.upn import CHECK_ALPHABET, UPN_LENGTH, UpnProblem, upn_problem

FIELD = "upn"
CHECK_MODULUS = len(CHECK_ALPHABET)  # 23
WEIGHTS = np.arange(2, UPN_LENGTH + 1, dtype=np.int64)  # characters 2..13 weigh 2..13
PLAIN_SHAPE = r"^[A-Za-z][0-9]{11}[0-9A-Za-z]$"
NOT_TEMPORARY_LETTERS = frozenset("IOS")  # letters outside the check alphabet
_CORRECT = "correct it from the pupil's school records or the Common Transfer File"

PROBLEM_RULES: dict[UpnProblem, Rule] = {
    UpnProblem.WRONG_LENGTH: Rule(
        "AP-UPN-01", Severity.ERROR, "The UPN does not have 13 characters", _CORRECT
    ),
    UpnProblem.MALFORMED: Rule(
        "AP-UPN-02",
        Severity.ERROR,
        "The UPN is not a letter, 11 digits, then a digit or a letter",
        _CORRECT,
    ),
    UpnProblem.BAD_TEMPORARY_LETTER: Rule(
        "AP-UPN-03",
        Severity.ERROR,
        "The last character of this temporary UPN is I, O or S, which UPNs never use",
        _CORRECT,
    ),
    UpnProblem.UNKNOWN_LA: Rule(
        "AP-UPN-04",
        Severity.ERROR,
        "Characters 2-4 of the UPN are not a known LA number",
        _CORRECT,
    ),
    UpnProblem.WRONG_CHECK_LETTER: Rule(
        "AP-UPN-05",
        Severity.ERROR,
        "The UPN's check letter does not match the rest of the UPN",
        _CORRECT,
    ),
}
DUPLICATE_UPN = Rule(
    "AP-UPN-06",
    Severity.ERROR,
    "The same UPN is given for more than one record in the return",
    "give each pupil one record with their own UPN; for a pupil with two placements "
    "send the current one, or the last one if the pupil has left",
)

RULES = (*PROBLEM_RULES.values(), DUPLICATE_UPN)

# Each problem as a small integer code (0 = no problem), in PROBLEM_RULES' order.
PROBLEM_CODES: dict[UpnProblem, int] = {p: i for i, p in enumerate(PROBLEM_RULES, start=1)}
NO_PROBLEM = 0


def check_upn(context: RecordContext) -> list[Hits]:
    problems = upn_problem_codes(context.column(FIELD))
    hits: list[Hits] = []
    for problem, rule in PROBLEM_RULES.items():
        hits += hits_where(rule, FIELD, problems == PROBLEM_CODES[problem])
    return hits


def upn_problem_codes(column: pa.Array) -> np.ndarray:
    """Per value: 0 when a valid UPN or absent, else the PROBLEM_CODES of its problem."""
    codes = np.zeros(len(column), dtype=np.int8)
    present = as_mask(pc.is_valid(column))
    plain = as_mask(pc.match_substring_regex(column, PLAIN_SHAPE))
    if plain.any():
        codes[plain] = _plain_problem_codes(pc.ascii_upper(column.filter(pa.array(plain))))
    for row in np.flatnonzero(present & ~plain).tolist():
        problem = upn_problem(column[row].as_py())
        codes[row] = PROBLEM_CODES[problem] if problem else NO_PROBLEM
    return codes


def _plain_problem_codes(upns: pa.Array) -> np.ndarray:
    chars = fixed_width_bytes(upns, UPN_LENGTH)
    codes = np.zeros(len(chars), dtype=np.int8)
    body_values = _char_values()[chars[:, 1:]]
    expected = _alphabet_bytes()[(body_values * WEIGHTS).sum(axis=1) % CHECK_MODULUS]
    wrong_letter = chars[:, 0] != expected
    known_la = as_mask(pc.is_in(pc.utf8_slice_codeunits(upns, 1, 4), value_set=_la_codes()))
    bad_last = np.isin(chars[:, -1], np.frombuffer(_not_temporary_bytes(), dtype=np.uint8))
    # Assign in reverse precedence so the first problem upn_problem would name wins.
    codes[wrong_letter] = PROBLEM_CODES[UpnProblem.WRONG_CHECK_LETTER]
    codes[~known_la] = PROBLEM_CODES[UpnProblem.UNKNOWN_LA]
    codes[bad_last] = PROBLEM_CODES[UpnProblem.BAD_TEMPORARY_LETTER]
    return codes


@cache
def _char_values() -> np.ndarray:
    """Value of each byte in the check-letter sum: digits 0-9, alphabet letters 0-22."""
    values = np.zeros(256, dtype=np.int64)
    for digit in range(10):
        values[ord("0") + digit] = digit
    for index, letter in enumerate(CHECK_ALPHABET):
        values[ord(letter)] = index
    return values


@cache
def _alphabet_bytes() -> np.ndarray:
    return np.frombuffer(CHECK_ALPHABET.encode("ascii"), dtype=np.uint8)


@cache
def _not_temporary_bytes() -> bytes:
    return "".join(sorted(NOT_TEMPORARY_LETTERS)).encode("ascii")


@cache
def _la_codes() -> pa.Array:
    return pa.array(sorted({la.code for la in all_local_authorities()}), type=pa.string())


def check_duplicate_upn(context: RecordContext) -> list[Hits]:
    """Every later record with a UPN already given, naming the record that gave it first."""
    normalised = pc.utf8_upper(pc.utf8_trim_whitespace(context.column(FIELD)))
    given = int(len(normalised) - normalised.null_count)
    if given < 2:
        return []
    # A stable sort puts equal UPNs side by side in file order (nulls last, ignored).
    order = np.asarray(pc.sort_indices(normalised).to_numpy(), dtype=np.int64)[:given]
    in_order = normalised.take(pa.array(order))
    same_as_previous = np.zeros(given, dtype=bool)
    same_as_previous[1:] = as_mask(pc.equal(in_order[1:], in_order[:-1]))
    positions = np.arange(given)
    group_start = np.maximum.accumulate(np.where(same_as_previous, 0, positions))
    later = same_as_previous
    if not later.any():
        return []
    rows, first_rows = order[later], order[group_start[later]]
    by_row = np.argsort(rows, kind="stable")
    rows, first_rows = rows[by_row], first_rows[by_row]
    first_records = context.record_numbers[first_rows]
    details = tuple(f"The first is record {record}." for record in first_records.tolist())
    return [Hits(DUPLICATE_UPN, FIELD, rows, details)]
