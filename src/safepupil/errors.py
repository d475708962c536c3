"""One error hierarchy for safepupil.

User errors say what is wrong, where, and what to do next. Internal errors say
"this is a bug". Each class maps to an exit code (CLI) and an HTTP status (API)
here and nowhere else. Messages never carry pupil-level values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and optionally a row (1-based record number) and field."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    position: str | None = None  # e.g. "line 12, column 4" for a parse error

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.position:
            parts.append(self.position)
        if self.row is not None:
            parts.append(f"record {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)


class SafepupilError(Exception):
    """Base of every error safepupil raises on purpose."""

    code = "error"
    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str = "", where: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}\n  What to do: {self.hint}" if self.hint else text

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.where:
            body["where"] = str(self.where)
        return body


class UserError(SafepupilError):
    """Something the person can fix: bad input, a missing file, a refused request."""

    code = "user_error"
    exit_code = 2
    http_status = 400


class InputFileError(UserError):
    """A file could not be read or parsed (malformed, truncated, hostile)."""

    code = "bad_input_file"


class ValidationFailed(UserError):
    """A return has validation errors; nothing was written."""

    code = "validation_failed"
    exit_code = 1
    http_status = 422


class ConfigError(UserError):
    """The deployment, a key or a policy file is missing or wrong."""

    code = "bad_configuration"


class IntegrityError(UserError):
    """A submission or log failed a signature, checksum or hash-chain check."""

    code = "integrity_failure"
    exit_code = 3
    http_status = 400


class QueryError(UserError):
    """A query cannot be built or is outside what the service allows."""

    code = "bad_query"
    http_status = 422


class PermissionDenied(UserError):
    """The person, role or project is not allowed to do this."""

    code = "permission_denied"
    exit_code = 4
    http_status = 403


class NotSignedIn(PermissionDenied):
    """The request carries no valid sign-in: no session and no API token."""

    code = "not_signed_in"
    http_status = 401


class TooManyAttempts(UserError):
    """Too many tries in a short time (sign-in): wait before trying again."""

    code = "rate_limited"
    exit_code = 4
    http_status = 429


class NotFound(UserError):
    code = "not_found"
    http_status = 404


class DisclosureRefused(UserError):
    """An output failed disclosure control and cannot be released."""

    code = "disclosure_refused"
    exit_code = 5
    http_status = 409


class InternalError(SafepupilError):
    """A broken invariant: this is a bug in safepupil, not the user's doing."""

    code = "internal_error"
    exit_code = 70
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(
            f"{message} (this is a bug in safepupil)",
            hint="report it with the command you ran; no pupil data is included in this message",
        )
