"""Verifying the audit log: walk the chain from entry 1 and say where it first breaks.

Each entry must carry the next sequence number, link to the hash of the entry before
it, and hash to what it stores; the chain's end must be the recorded chain head; and
every head published earlier (``SEQ:HASH``) must still be in the chain. So an edited
entry fails at itself, a deleted one at its number, swapped or reordered entries at the
first of them, an entry inserted in the middle at the entry after it, and an entry
added at the end (or a deleted tail) at the head. What a hash chain cannot show on its
own, a rewrite of the whole table with every hash recomputed, the published heads show:
see docs/governance.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safepupil.audit.chain import ChainedFields, entry_hash
from safepupil.audit.log import ChainHead, lock_chain, writing
from safepupil.audit.tables import GENESIS_HASH, AuditLogRow
from safepupil.errors import UserError

STREAM_ROWS = 1_000  # rows fetched at a time: memory stays flat on a long log
HEX_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class PublishedHead:
    """A chain head published earlier (in the register, a report, a signed email)."""

    seq: int
    hash: str

    def __post_init__(self) -> None:
        if self.seq < 1 or not HEX_HASH.match(self.hash):
            raise UserError(
                f"a published head must be SEQ:HASH with SEQ at least 1 and a 64-character "
                f"lower-case hexadecimal hash, not {self.seq}:{self.hash[:70]}",
                hint="copy it exactly as `safepupil audit verify` printed it",
            )

    @classmethod
    def parse(cls, text: str) -> PublishedHead:
        seq, _, digest = text.strip().partition(":")
        if not seq.isdigit():
            raise UserError(
                f"{text[:80]!r} is not SEQ:HASH",
                hint="copy it exactly as `safepupil audit verify` printed it",
            )
        return cls(seq=int(seq), hash=digest.lower())


@dataclass(frozen=True)
class Failure:
    seq: int  # the first entry that fails
    problem: str


@dataclass(frozen=True)
class Verification:
    entries: int  # entries checked before the first failure (all of them when intact)
    head: ChainHead  # as recorded in the chain-head row
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class _Walk:
    published: Mapping[int, str]
    expected: int = 1
    prev_hash: str = GENESIS_HASH
    checked: int = 0  # the last entry that passed

    def step(self, row: sa.RowMapping) -> Failure | None:
        seq = int(row["seq"])
        if seq < self.expected:
            return Failure(seq, f"entry {seq} is out of place: sequence numbers start at 1")
        if seq > self.expected:
            gone = (
                f"entry {self.expected} is"
                if seq == self.expected + 1
                else f"entries {self.expected}..{seq - 1} are"
            )
            return Failure(self.expected, f"{gone} missing: deleted from the log")
        if row["prev_hash"] != self.prev_hash:
            return Failure(
                seq,
                f"entry {seq} does not link to entry {seq - 1}: an entry was inserted, "
                "removed, replaced or reordered here",
            )
        if _recomputed(row) != row["hash"]:
            return Failure(seq, f"entry {seq} was edited: its contents do not match its hash")
        if seq in self.published and self.published[seq] != row["hash"]:
            return Failure(
                seq,
                f"entry {seq} differs from the head published for it: the log was rewritten",
            )
        self.prev_hash, self.expected, self.checked = str(row["hash"]), seq + 1, seq
        return None

    def finish(self, head: ChainHead) -> Failure | None:
        end = self.checked
        if end > head.seq:
            return Failure(
                head.seq + 1,
                f"entries {head.seq + 1}..{end} lie beyond the recorded chain head "
                f"(entry {head.seq}): added outside safepupil",
            )
        if end < head.seq:
            return Failure(
                end + 1, f"entries {end + 1}..{head.seq} are missing: the log's tail was deleted"
            )
        if head.seq and self.prev_hash != head.hash:
            return Failure(end, f"entry {end} does not match the recorded chain head")
        beyond = sorted(seq for seq in self.published if seq > end)
        if beyond:
            return Failure(
                end + 1,
                f"a head was published for entry {beyond[0]}, but the log ends at entry "
                f"{end}: entries were deleted",
            )
        return None


def _recomputed(row: sa.RowMapping) -> str:
    fields = ChainedFields(
        seq=int(row["seq"]),
        recorded_at=row["recorded_at"],
        kind=str(row["kind"]),
        actor_id=row["actor_id"],
        project_id=row["project_id"],
        pupils=row["pupils"],
        payload=str(row["payload"]),
    )
    return entry_hash(str(row["prev_hash"]), fields)


def verify_log(engine: Engine, published: Iterable[PublishedHead] = ()) -> Verification:
    """Check the whole chain. The chain's lock is held meanwhile, so no append moves the
    head while it is read: appends wait (about 12 s per million entries on a 2-core VM)."""
    walk = _Walk(published={head.seq: head.hash for head in published})
    table = AuditLogRow.__table__
    query = sa.select(table).order_by(table.c.seq).execution_options(yield_per=STREAM_ROWS)
    with writing(engine) as connection:
        head = lock_chain(connection)
        for row in connection.execute(query).mappings():
            failure = walk.step(row)
            if failure is not None:
                return Verification(entries=walk.checked, head=head, failure=failure)
    return Verification(entries=walk.checked, head=head, failure=walk.finish(head))
