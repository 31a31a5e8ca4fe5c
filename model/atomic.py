"""Atomic file writes: whoever reads the file sees the old version or the new one, never half.

The data goes to a temporary file in the same folder (so the final rename cannot cross file
systems), is flushed to disk, and only then replaces the target. On any failure, Ctrl+C included,
the temporary file is removed and the old file is left as it was.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, IO


def _default_mode() -> int:
    # mkstemp creates files readable by the owner only; a saved file should get the usual
    # permissions the user's umask gives. Reading the umask means setting it, so do it once.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


def atomic_write(path, write: Callable[[IO], None], *, text: bool = False) -> None:
    """Call write(file_object) on a temporary file beside ``path``, then rename it to ``path``.

    text=True opens the temporary file as UTF-8 text with '\\n' line endings, else binary.
    OSError from creating, writing or renaming propagates to the caller, who names the file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, _FILE_MODE)
        with (os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb")) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8, '\\n' line endings) to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(text), text=True)
