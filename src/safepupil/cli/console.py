"""One Rich console for output and one for errors, and the progress bar every long
command shows on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

out = Console()
err = Console(stderr=True)

StageProgress = Callable[[str, int, int], None]  # (stage, done, total)


@contextmanager
def progress_bar() -> Iterator[StageProgress]:
    """A Rich progress bar on stderr, one task per stage of a long run."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    tasks: dict[str, int] = {}

    def advance(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

    with bar:
        yield advance


@contextmanager
def stage_line() -> Iterator[Callable[[str], None]]:
    """One line on stderr naming the stage a long run is in, with the time it has taken.

    On a terminal the line is redrawn in place and cleared at the end; elsewhere (a log,
    a pipe) each stage is written once, on a line of its own.
    """
    if not err.is_terminal:
        yield lambda stage: err.print(f"- {stage}", highlight=False, soft_wrap=True)
        return
    line = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = line.add_task("starting", total=None)
    with line:
        yield lambda stage: line.update(task, description=stage)
