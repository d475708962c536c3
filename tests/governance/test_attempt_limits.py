"""The one counting of failed attempts, used by staff sign-in (passwords) and the portal
(access codes), on SQLite and PostgreSQL: failures within the window count, per key;
successes and older attempts do not; attempts older than every window are pruned."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safepupil.governance.attempt_limits import (
    KEPT_FOR,
    AttemptLog,
    Limit,
    note_attempt,
    over_a_limit,
)
from safepupil.governance.session_tables import SIGN_IN_ATTEMPTS
from safepupil.governance.sessions import SIGN_IN_LOG
from safepupil.transparency.portal_limits import WRONG_CODES
from safepupil.transparency.portal_tables import PORTAL_ATTEMPTS

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=15)


def over(engine: sa.Engine, log: AttemptLog, *limits: Limit) -> bool:
    return over_a_limit(engine, log, limits, window=WINDOW, now=NOW)


def test_failed_sign_ins_within_the_window_count_per_key(engine: sa.Engine) -> None:
    def attempt(ago: dt.timedelta, email: str, client: str, *, succeeded: bool) -> None:
        values = {"email": email, "client": client, "succeeded": succeeded}
        note_attempt(engine, SIGN_IN_LOG, NOW - ago, **values)

    for _ in range(2):
        attempt(dt.timedelta(minutes=1), "ann@x.example", "10.0.0.1", succeeded=False)
    attempt(dt.timedelta(minutes=1), "ann@x.example", "10.0.0.1", succeeded=True)  # not counted
    attempt(WINDOW, "ann@x.example", "10.0.0.1", succeeded=False)  # just out of the window
    attempt(dt.timedelta(minutes=1), "bob@x.example", "10.0.0.2", succeeded=False)
    assert over(engine, SIGN_IN_LOG, Limit("email", "ann@x.example", 2))
    assert not over(engine, SIGN_IN_LOG, Limit("email", "ann@x.example", 3))
    assert not over(engine, SIGN_IN_LOG, Limit("client", "10.0.0.1", 3))
    # Over any one of the limits is enough; under all of them is not.
    assert over(
        engine,
        SIGN_IN_LOG,
        Limit("email", "bob@x.example", 5),
        Limit("client", "10.0.0.1", 2),
    )
    assert not over(engine, SIGN_IN_LOG, Limit("email", "carol@x.example", 1))


def test_every_wrong_code_counts_against_its_client(engine: sa.Engine) -> None:
    for client in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        note_attempt(engine, WRONG_CODES, NOW, client=client)
    assert over(engine, WRONG_CODES, Limit("client", "10.0.0.1", 2))
    assert not over(engine, WRONG_CODES, Limit("client", "10.0.0.2", 2))


def test_attempts_older_than_every_window_are_pruned_from_their_own_table(
    engine: sa.Engine,
) -> None:
    long_ago = NOW - KEPT_FOR - dt.timedelta(minutes=1)
    note_attempt(engine, WRONG_CODES, long_ago, client="10.0.0.1")
    note_attempt(engine, SIGN_IN_LOG, long_ago, email="a@x.example", client="c", succeeded=False)
    note_attempt(engine, WRONG_CODES, NOW, client="10.0.0.1")
    with engine.connect() as connection:
        codes = connection.execute(sa.select(sa.func.count()).select_from(PORTAL_ATTEMPTS))
        sign_ins = connection.execute(sa.select(sa.func.count()).select_from(SIGN_IN_ATTEMPTS))
        assert codes.scalar_one() == 1  # the old wrong code went when the new one was noted
        assert sign_ins.scalar_one() == 1  # another table: pruned when it is next written
