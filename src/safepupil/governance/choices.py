"""Reading a choice (a role, an organisation type, a legal basis) from what a person typed."""

from __future__ import annotations

import difflib
import enum
from typing import TypeVar

from safepupil.errors import UserError

E = TypeVar("E", bound=enum.Enum)


def parse_choice(kind: type[E], what: str, text: str) -> E:
    """The member of ``kind`` whose value is ``text`` (case and ``_`` for ``-`` forgiven),
    or an error naming the nearest choice."""
    wanted = text.strip().lower().replace("_", "-")
    for member in kind:
        if member.value == wanted:
            return member
    choices = [str(member.value) for member in kind]
    near = difflib.get_close_matches(wanted, choices, n=1)
    hint = f"did you mean {near[0]}?" if near else f"choose one of: {', '.join(choices)}"
    raise UserError(f"no {what} {text!r}", hint=hint)
