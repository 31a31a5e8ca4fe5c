"""Atomic file writes: whoever reads the file sees the old version or the new one, never half.

The data goes to a temporary file in the same folder (so the final rename cannot cross file
systems), is flushed to disk, and only then replaces the target. On any failure, Ctrl+C included,
the temporary file is removed and the old file is left as it was.

A process killed outright (SIGKILL, power loss) cannot clean up, so temporaries carry the writer's
process id (``.NAME.PID.RANDOM.tmp``): the next write to the same file removes those whose process
is gone. A symbolic link is written through: its target is replaced and the link stays a link.
Only regular files are ever replaced; a device, a pipe or a folder at the path is refused.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Callable

TEMPORARY_SUFFIX = ".tmp"


def _default_mode() -> int:
    # mkstemp creates files readable by the owner only; a saved file should get the usual
    # permissions the user's umask gives. Reading the umask means setting it, so do it once.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


class UnsafeTargetError(OSError):
    """The path names something that must not be replaced by a regular file (a device, a folder)."""


def write_target(path) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or a symlink's final target.

    Raises UnsafeTargetError when that is not a regular file (a device node, a pipe, a socket or
    a folder); a missing file is fine.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return target  # absent (or its folder is; the write itself will say so)
    if stat.S_ISDIR(mode):
        raise UnsafeTargetError(errno.EISDIR, "is a folder, expected a file name", str(path))
    if not stat.S_ISREG(mode):
        raise UnsafeTargetError(errno.EINVAL, "is not a regular file (a device, pipe or socket): "
                                "refusing to replace it", str(path))
    return target


def remove_stale_temporaries(path) -> list[Path]:
    """Delete temporaries of ``path`` left by writers that no longer run; returns what was removed."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    try:
        candidates = list(folder.glob(f".{_glob_escape(path.name)}.*{TEMPORARY_SUFFIX}"))
    except OSError:
        return removed
    for candidate in candidates:
        parts = candidate.name[len(path.name) + 2:-len(TEMPORARY_SUFFIX)].split(".")
        if len(parts) != 2 or not parts[0].isdigit() or _process_alive(int(parts[0])):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not ours to judge: leave its file alone
    return True


def atomic_write(path, write: Callable[[IO], None], *, text: bool = False) -> None:
    """Call write(file_object) on a temporary file beside ``path``, then rename it to ``path``.

    text=True opens the temporary file as UTF-8 text with '\\n' line endings, else binary.
    OSError from creating, writing or renaming propagates to the caller, who names the file;
    UnsafeTargetError (an OSError) when ``path`` is not a regular file or a link to one.
    """
    path = write_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TEMPORARY_SUFFIX, dir=folder)
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


def check_writable(path) -> Path:
    """Check, before any long work, that ``path`` can be written atomically; returns the file the
    write will replace (see ``write_target``). Raises OSError naming the path: the parent is
    missing or not a folder, the folder is not writable, or the path is not a regular file."""
    target = write_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(errno.ENOENT, "its folder does not exist", str(path))
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{folder} is not a folder", str(path))
    try:
        probe = tempfile.NamedTemporaryFile(prefix=f".{target.name}.{os.getpid()}.", suffix=TEMPORARY_SUFFIX,
                                            dir=folder)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write in its folder ({exc.strerror or exc})", str(path)) from None
    probe.close()
    return target
