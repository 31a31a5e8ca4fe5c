"""A disk cache for rendered training images: rendering is deterministic, so a cached result under
the same key equals a fresh one, and the key covers everything that decides the result.

The key is a hash of the caller's settings plus the source code of the modules that render
(``fingerprint``): a changed renderer never reuses a stale entry. Entries are .npz files (never
pickles), written atomically; an unreadable entry is rendered again; only the most recently used
entries of a kind are kept, since each can be hundreds of MB.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from model.atomic import atomic_write

#: Entries of one kind kept besides the newest (an entry whose settings are no longer used would
#: otherwise stay for ever).
ENTRIES_KEPT = 2

_HERE = Path(__file__).resolve().parent


def fingerprint(module_files: Iterable[str]) -> str:
    """SHA-256 of the source of these files of the preprocessing package."""
    digest = hashlib.sha256()
    for name in module_files:
        try:
            digest.update((_HERE / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def cache_key(parts: list) -> str:
    """A short name for everything in ``parts`` (JSON-serialisable)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def cached(folder: Path | None, kind: str, key: str, names: tuple[str, ...],
           compute: Callable[[], dict[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], bool]:
    """The arrays ``names`` stored under ``folder/kind-key.npz``, or ``compute()``'s result, stored
    there (folder None: no cache) -> (arrays, came_from_cache)."""
    path = None if folder is None else Path(folder) / f"{kind}-{key}.npz"
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in names}
            os.utime(path)  # recently used, for pruning
            return arrays, True
        except Exception:  # noqa: BLE001 - a damaged entry is rendered again
            pass
    arrays = compute()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda handle: np.savez(handle, **{name: arrays[name] for name in names}))
            prune(path.parent, kind, keep=path)
        except OSError:
            pass  # a cache is an optimisation: never fail training over it
    return arrays, False


def prune(folder: Path, kind: str, keep: Path) -> None:
    """Delete all but the ENTRIES_KEPT most recently used entries of ``kind`` (never ``keep``)."""
    entries = sorted(folder.glob(f"{kind}-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [e for e in entries if e != keep][ENTRIES_KEPT:]:
        try:
            old.unlink()
        except OSError:
            pass
