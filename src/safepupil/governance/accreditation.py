"""Accreditation: a researcher may use data only while accredited, up to a last day.

The policy values are named here; the service applies them when accreditation is given
and ``authorise_query`` checks the state on the day of every use.
"""

from __future__ import annotations

import datetime as dt
import enum

from safepupil.errors import UserError

# Accreditation schemes for safe researchers (e.g. under the Digital Economy Act) run for
# five years; a longer grant is almost certainly a typing mistake.
MAX_ACCREDITATION_YEARS = 5


class AccreditationState(enum.Enum):
    NONE = "none"
    ACCREDITED = "accredited"
    EXPIRED = "expired"


def accreditation_state(until: dt.date | None, on: dt.date) -> AccreditationState:
    """The state on ``on``: ``until`` is the last day accredited, inclusive."""
    if until is None:
        return AccreditationState.NONE
    return AccreditationState.ACCREDITED if on <= until else AccreditationState.EXPIRED


def check_accreditation_end(until: dt.date, today: dt.date) -> dt.date:
    """A last day that is not in the past and within the policy's horizon."""
    if until < today:
        raise UserError(
            f"accreditation cannot end in the past ({until.isoformat()})",
            hint="give the last day of the accreditation, today or later",
        )
    latest = _add_years(today, MAX_ACCREDITATION_YEARS)
    if until > latest:
        raise UserError(
            f"accreditation may run at most {MAX_ACCREDITATION_YEARS} years, to "
            f"{latest.isoformat()}",
            hint="give an earlier --until; renew the accreditation when it ends",
        )
    return until


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)
