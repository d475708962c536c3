"""Write a file so that it appears whole or not at all (temp file + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

SECRET_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644
PRIVATE_DIR_MODE = 0o700


@contextlib.contextmanager
def atomic_writer(path: Path, mode: int = SECRET_FILE_MODE) -> Iterator[BinaryIO]:
    """Yield a file opened for writing; on success it is renamed to ``path``.

    The temporary file is created 0600 in the same folder (so the rename is atomic and a
    secret never exists with looser permissions), chmod-ed to ``mode`` before any byte
    is written, fsync-ed, then renamed over ``path``. On any exception it is removed and
    ``path`` is untouched: an interrupted run leaves no partial file.
    """
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    temp_path = Path(temp_name)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        temp_path.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path: Path, data: bytes, mode: int = SECRET_FILE_MODE) -> None:
    with atomic_writer(path, mode) as stream:
        stream.write(data)


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and parents) and make ``path`` itself 0700."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR_MODE)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform allows opening a folder.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
