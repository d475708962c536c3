"""Reading the domain's own CSV data files."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources


def read_rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("safepupil.domain").joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def parse_optional_date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None
