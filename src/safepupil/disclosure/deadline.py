"""How long protecting one table may take, checked between programmes.

Some tables cannot be protected in any useful time: LA x SEN x reason x sex at AP
census density has tens of thousands of cells, most of them small, and the search
would run for hours. The policy sets a limit (``protection_seconds``); the search and
the audit check it between programmes, here and in their worker processes (the
deadline is a wall-clock time, the same in every process), and a table over it is
refused, with nothing released. A deadline never changes a pattern: a run that ends
in time is the run there would have been without one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


class OutOfTime(Exception):
    """Protecting the table took longer than its deadline allows."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@dataclass(frozen=True)
class Deadline:
    at: float  # seconds since the epoch (time.time()): the same in a worker process
    seconds: float  # the limit it was set from, for the message

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """A deadline ``seconds`` from now; None: never."""
        if seconds is None:
            return NEVER
        return cls(time.time() + seconds, seconds)

    def check(self) -> None:
        """Raise OutOfTime once the deadline has passed."""
        if time.time() > self.at:
            raise OutOfTime(self.seconds)


NEVER = Deadline(math.inf, math.inf)
