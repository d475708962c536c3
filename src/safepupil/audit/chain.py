"""The hash chain: canonical text of an entry and the SHA-256 that links it to the one before.

    hash(n) = SHA-256( prev_hash + "\\n" + canonical JSON of entry n )

The canonical JSON has sorted keys, no optional whitespace and ASCII only, so the same
entry always gives the same bytes on every backend and every Python. The entry's time
is written in UTC with microseconds: SQLite hands back a naive time, PostgreSQL one in
the session's zone, and both must hash alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # SQLite keeps no zone; safepupil writes UTC only
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ChainedFields:
    """Everything an entry's hash covers, besides the previous hash."""

    seq: int
    recorded_at: dt.datetime
    kind: str
    actor_id: int | None
    project_id: int | None
    pupils: int | None
    payload: str  # canonical JSON text, hashed exactly as stored

    def canonical(self) -> str:
        fields: Mapping[str, object] = {
            "seq": self.seq,
            "recorded_at": canonical_time(self.recorded_at),
            "kind": self.kind,
            "actor_id": self.actor_id,
            "project_id": self.project_id,
            "pupils": self.pupils,
            "payload": self.payload,
        }
        return canonical_json(fields)


def entry_hash(prev_hash: str, fields: ChainedFields) -> str:
    material = f"{prev_hash}\n{fields.canonical()}".encode("ascii")
    return hashlib.sha256(material).hexdigest()
