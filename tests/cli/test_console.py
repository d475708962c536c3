"""The stage line a long command shows on stderr."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from safepupil.cli import console


def test_on_a_terminal_the_stage_is_redrawn_in_place_and_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(console, "err", terminal)
    with console.stage_line() as on_stage:
        on_stage("running the query in the pupil store")
    drawn = screen.getvalue()
    assert "running the query in the pupil store" in drawn
    # Redrawn in place (carriage return, erase line), and erased once the run ends: the
    # cursor goes back up over the line and clears it.
    assert "\r\x1b[2K" in drawn
    assert drawn.endswith("\x1b[1A\x1b[2K")


def test_elsewhere_each_stage_is_a_line_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr(console, "err", Console(file=log, force_terminal=False, width=100))
    with console.stage_line() as on_stage:
        on_stage("first stage")
        on_stage("second stage")
    assert log.getvalue().splitlines() == ["- first stage", "- second stage"]
