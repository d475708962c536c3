"""One-time access codes: how a pupil or parent, verified in person, sees who used the
pupil's data without an account.

The LA (an LA submitter of one of the pupil's LAs) or a custodian checks who the person
is, then issues a code for the pupil's UPN. The UPN is turned into the pupil token with
the key custodian's pseudonymisation key exactly as the LA tool does; only the token and
a SHA-256 of the code are stored, never the UPN or the code.

**Codes may be used a few times within their expiry** (default 5 uses in 30 days), not
once into a session: the person may come back to the page or read it with someone who
helps them, and the web sessions that a single-use redemption would need are not
there for the public. Each use is counted and recorded; a leaked code is bounded by
both limits. A code has 16 characters from a 30-letter alphabet (about 78 bits), so
guessing one is hopeless, and a wrong, expired or used-up code gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepupil.audit.events import AccessCodeIssued, AccessCodeRefused, AccessCodeUsed
from safepupil.audit.log import record, writing
from safepupil.collection.keys.fingerprint import secret_key_id
from safepupil.collection.keys.load import load_pseudonym_key
from safepupil.collection.pseudonymise import pupil_token
from safepupil.domain.upn import upn_problem
from safepupil.errors import ConfigError, PermissionDenied, UserError
from safepupil.governance.people import Person
from safepupil.governance.records import as_utc, load_person
from safepupil.governance.roles import Role
from safepupil.governance.tables import table_of
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.transparency.holdings import find_pupil_id, pupil_las
from safepupil.transparency.pupil_index import catch_up
from safepupil.transparency.tables import AccessCodeRow

CODES = table_of(AccessCodeRow)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: nothing to misread
CODE_CHARACTERS = 16
CODE_GROUP = 4  # shown as XXXX-XXXX-XXXX-XXXX
DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 90
DEFAULT_USES = 5
MAX_USES = 20
HASH_PERSON = b"safepupil-access-code\n"
KEY_ID_FACT = "pseudonym_key_id"  # as the store records it at intake
INVALID_CODE = PermissionDenied(
    "this access code cannot be used: it may be mistyped, expired, or used as many times "
    "as it allows",
    hint="check the code; if it is right, ask the local authority for a new one",
)


@dataclass(frozen=True)
class IssuedCode:
    """Shown once to the issuer, to hand to the pupil or parent; never stored."""

    code: str
    access_code_id: int
    expires_at: dt.datetime
    uses_allowed: int

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "access_code_id": self.access_code_id,
            "expires_at": self.expires_at.isoformat(),
            "uses_allowed": self.uses_allowed,
        }


@dataclass(frozen=True)
class RedeemedCode:
    access_code_id: int
    pupil_token: str  # stays on the server: never shown or logged
    expires_at: dt.datetime
    uses_left: int


def issue_access_code(
    deployment: Deployment,
    upn: str,
    issuer_id: int,
    *,
    days: int = DEFAULT_VALID_DAYS,
    uses: int = DEFAULT_USES,
    pseudonym_key: Path | None = None,
    catalogue: Catalogue | None = None,
    now: dt.datetime | None = None,
) -> IssuedCode:
    """A new code for the pupil with ``upn``, issued by a custodian or an LA submitter of
    one of the LAs whose returns hold the pupil."""
    _check_limits(days, uses)
    problem = upn_problem(upn)
    if problem is not None:  # the UPN itself is never repeated in a message
        raise UserError(f"the UPN given is not valid: {problem.value}", hint="check the UPN")
    key = load_pseudonym_key(pseudonym_key or deployment.paths.keys.pseudonym_key)
    token = pupil_token(upn, key)
    engine = deployment.control_engine()
    try:
        with engine.connect() as connection:
            issuer = load_person(connection, issuer_id)
        _check_issuer(deployment, issuer, token, secret_key_id(key), catalogue)
        moment = now or dt.datetime.now(dt.UTC)
        code = new_code()
        expires = moment + dt.timedelta(days=days)
        with writing(engine) as connection:
            code_id = _insert(connection, code, token, issuer_id, moment, expires, uses)
            record(
                connection,
                AccessCodeIssued(
                    actor_id=issuer_id,
                    access_code_id=code_id,
                    expires_at=expires.isoformat(),
                    uses_allowed=uses,
                ),
            )
    finally:
        engine.dispose()
    return IssuedCode(code=code, access_code_id=code_id, expires_at=expires, uses_allowed=uses)


def redeem_code(engine: Engine, code: str, *, now: dt.datetime | None = None) -> RedeemedCode:
    """Count one use of ``code`` (recorded) and bring the release index up to date; a
    wrong, expired or used-up code raises the same PermissionDenied."""
    moment = now or dt.datetime.now(dt.UTC)
    digest = code_hash(code)
    with writing(engine) as connection:
        row = (
            None
            if digest is None
            else connection.execute(sa.select(CODES).where(CODES.c.code_hash == digest)).first()
        )
        refusal = _why_unusable(row, moment)
        if refusal is None and row is not None:
            redeemed = _use(connection, row, moment)
            catch_up(connection)
            return redeemed
    code_id, reason = refusal or (None, "no such code")
    # In a transaction of its own: the one above changed nothing.
    record(engine, AccessCodeRefused(access_code_id=code_id, reason=reason))
    raise INVALID_CODE


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARACTERS))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_CHARACTERS, CODE_GROUP))


def code_hash(code: str) -> str | None:
    """SHA-256 of the code as typed, without spaces or dashes and in capitals; None when
    it cannot be a code at all (it is then refused like any other wrong code)."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != CODE_CHARACTERS or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return hashlib.sha256(HASH_PERSON + cleaned.encode("ascii")).hexdigest()


def _check_limits(days: int, uses: int) -> None:
    if not 1 <= days <= MAX_VALID_DAYS:
        raise UserError(f"a code lasts 1 to {MAX_VALID_DAYS} days", hint="check --days")
    if not 1 <= uses <= MAX_USES:
        raise UserError(f"a code may be used 1 to {MAX_USES} times", hint="check --uses")


def _check_issuer(
    deployment: Deployment,
    issuer: Person,
    token: str,
    key_id: str,
    catalogue: Catalogue | None,
) -> None:
    if issuer.has(Role.CUSTODIAN):
        allowed_las = None
    elif issuer.has(Role.LA_SUBMITTER) and issuer.la_code is not None:
        allowed_las = issuer.la_code
    else:
        raise PermissionDenied(
            f"{issuer.email} may not issue access codes",
            hint="a custodian, or an LA submitter for one of the pupil's LAs, issues them",
        )
    with open_store(deployment, read_only=True) as store:
        _check_key(
            store.execute("SELECT value FROM store_info WHERE name = ?", [KEY_ID_FACT]).fetchone(),
            key_id,
        )
        if allowed_las is None:
            return
        pupil_id = find_pupil_id(store, token)
        las = (
            set() if pupil_id is None else pupil_las(store, catalogue or load_catalogue(), pupil_id)
        )
    if allowed_las not in las:
        raise PermissionDenied(
            f"no current return of LA {allowed_las} holds this pupil, so {issuer.email} "
            "may not issue a code for them",
            hint="check the UPN; the pupil's own LA, or a custodian, can issue the code",
        )


def _check_key(row: tuple[object, ...] | None, key_id: str) -> None:
    if row is not None and row[0] != key_id:
        raise ConfigError(
            "the pseudonymisation key given is not the one the store's tokens were made with",
            hint="use the key custodian's current key (--pseudonym-key)",
        )


def _insert(
    connection: Connection,
    code: str,
    token: str,
    issuer_id: int,
    moment: dt.datetime,
    expires: dt.datetime,
    uses: int,
) -> int:
    result = connection.execute(
        sa.insert(CODES).values(
            code_hash=code_hash(code),
            pupil_token=token,
            issued_by=issuer_id,
            issued_at=moment,
            expires_at=expires,
            uses_allowed=uses,
            uses=0,
            last_used_at=None,
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # an autoincrement id is always returned on insert
    return int(key[0])


def _why_unusable(row: sa.Row[object] | None, moment: dt.datetime) -> tuple[int | None, str] | None:
    if row is None:
        return (None, "no such code")
    values = row._mapping
    if as_utc(values["expires_at"]) <= moment:
        return (int(values["id"]), "expired")
    if values["uses"] >= values["uses_allowed"]:
        return (int(values["id"]), "used as many times as allowed")
    return None


def _use(connection: Connection, row: sa.Row[object], moment: dt.datetime) -> RedeemedCode:
    values = row._mapping
    uses = int(values["uses"]) + 1
    connection.execute(
        sa.update(CODES)
        .where(CODES.c.id == values["id"], CODES.c.uses == values["uses"])
        .values(uses=uses, last_used_at=moment)
    )
    record(connection, AccessCodeUsed(access_code_id=int(values["id"]), uses=uses))
    return RedeemedCode(
        access_code_id=int(values["id"]),
        pupil_token=str(values["pupil_token"]),
        expires_at=as_utc(values["expires_at"]),
        uses_left=int(values["uses_allowed"]) - uses,
    )
