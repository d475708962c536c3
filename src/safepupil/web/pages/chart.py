"""A horizontal bar chart as inline SVG, drawn on the server: no script, no library.

The chart is laid out here (positions in a fixed view box that scales to the screen)
and drawn by ``templates/_chart.html``. It shows the first measure of each row that is
not a total; a hidden value (a symbol) is drawn as an outlined, hatched stub with its
symbol, so a suppressed cell never looks like a small number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 70
BAR_HEIGHT = 18
GAP = 6
TOP = 8
MAX_BARS = 40  # a longer table is charted in part; the table has every row
STUB = 12  # the width of a hidden value's stub
MAX_LABEL = 30
TOTAL = "Total"


def bar_chart(
    title: str,
    labels: Sequence[str],
    shown: Sequence[str],
    hidden: Sequence[bool],
) -> dict[str, Any] | None:
    """Geometry for ``labels`` against their shown values (text as in the table);
    ``hidden[i]`` marks a value replaced by a symbol. None when nothing can be drawn."""
    numbers = [None if h else _number(s) for s, h in zip(shown, hidden, strict=True)]
    if not labels or all(n is None for n in numbers):
        return None
    count = min(len(labels), MAX_BARS)
    largest = max((abs(n) for n in numbers[:count] if n is not None), default=0.0) or 1.0
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for position in range(count):
        number = numbers[position]
        y = TOP + position * (BAR_HEIGHT + GAP)
        width = STUB if number is None else max(1.0, room * abs(number) / largest)
        bars.append(
            {
                "label": _short(labels[position]),
                "text": shown[position],
                "hidden": number is None,
                "y": y,
                "text_y": y + BAR_HEIGHT - 4,
                "width": round(width, 1),
                "value_x": round(LABEL_WIDTH + width + 6, 1),
            }
        )
    return {
        "title": title,
        "width": WIDTH,
        "height": TOP * 2 + count * (BAR_HEIGHT + GAP),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
        "left_out": len(labels) - count,
    }


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
