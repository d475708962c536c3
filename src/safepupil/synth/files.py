"""Atomic file writes: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from safepupil.errors import UserError


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` on success."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        yield temporary
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def prepare_folder(folder: Path) -> None:
    """Create the output folder (and its parents) or say why it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(
            f"{folder} exists and is not a folder",
            hint="choose another --out, or move the file out of the way",
        ) from None
    except OSError as error:
        raise UserError(
            f"cannot create the output folder {folder}: {error.strerror}",
            hint="choose a folder you can write to with --out",
        ) from None
