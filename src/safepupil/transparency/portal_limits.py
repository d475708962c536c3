"""How many wrong access codes one client may type into the portal before it pauses.

Wrong codes are counted per client (``portal_attempts``) by the same counting as staff
sign-in (``governance.attempt_limits``), so the limit holds across server processes. A
client over its limit is refused before its code is even looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from safepupil.audit.events import AccessCodeRefused
from safepupil.audit.log import record
from safepupil.errors import TooManyAttempts
from safepupil.governance.attempt_limits import (
    AttemptLog,
    Limit,
    note_attempt,
    over_a_limit,
    window_minutes,
)
from safepupil.governance.session_tables import CLIENT_LENGTH
from safepupil.transparency.portal_tables import PORTAL_ATTEMPTS

# Only wrong codes are noted: every row counts against the limit.
WRONG_CODES = AttemptLog(PORTAL_ATTEMPTS)


@dataclass(frozen=True)
class PortalLimits:
    """How many wrong codes one client may type in a window before the form pauses."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    per_client: int = 10

    @property
    def minutes(self) -> int:
        return window_minutes(self.window)

    def words(self) -> str:
        return (
            f"after {self.per_client} wrong codes from one device or network within "
            f"{self.minutes} minutes, the form pauses for {self.minutes} minutes"
        )


def check_portal_limits(
    engine: Engine, client: str, limits: PortalLimits, now: dt.datetime
) -> None:
    """TooManyAttempts (recorded) while ``client`` is over its limit."""
    per_client = Limit("client", client[:CLIENT_LENGTH], limits.per_client)
    if over_a_limit(engine, WRONG_CODES, (per_client,), window=limits.window, now=now):
        record(engine, AccessCodeRefused(access_code_id=None, reason="too many wrong codes"))
        raise TooManyAttempts(
            "too many wrong access codes were typed here",
            hint=f"{limits.words()}; wait {limits.minutes} minutes and try again, or ask "
            "the local authority that gave you the code",
        )


def note_wrong_code(engine: Engine, client: str, now: dt.datetime) -> None:
    note_attempt(engine, WRONG_CODES, now, client=client[:CLIENT_LENGTH])
