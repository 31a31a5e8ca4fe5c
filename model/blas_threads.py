"""How many threads NumPy's OpenBLAS uses, set from code and restored afterwards.

Why: the network's matrices are small (a 128 x 784 batch times 784 x 256 weights). Profiling on the
2-core machine showed OpenBLAS's worker threads spending most of an epoch waiting for each other
(an epoch cost 13-20 s of CPU time with the default 2 threads and 0.96 s with one, and far more
wall-clock time as soon as anything else runs), so training runs BLAS on one thread by default.

Wide layers are the exception: for the bundled 784-768-768-10 network an epoch of the full default
training took 20.5 s with two threads against 25.5 s with one on the same idle machine (2026-12-02),
so `training_threads` gives a network with a hidden layer of WIDE_LAYER units or more two threads.
The count is fixed, not the machine's core count, so that a recipe trains the same weights anywhere.

Only OpenBLAS builds are handled (NumPy's wheels, Debian's libopenblas); with any other BLAS the
functions do nothing and report None. The library is found among those already loaded into the
process (Linux: /proc/self/maps) or in NumPy's bundled-library folder.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from functools import lru_cache

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")


def _candidate_paths() -> list[str]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    numpy_dir = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*", "../numpy.libs/*openblas*.dll"):
        for path in glob.glob(os.path.join(numpy_dir, pattern)):
            if path not in paths:
                paths.append(path)
    return paths


@lru_cache(maxsize=1)
def _openblas() -> list[tuple[object, object]]:
    """[(get_num_threads, set_num_threads)] for every OpenBLAS found; empty when there is none."""
    found = []
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is None or getter is None:
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], None
        getter.argtypes, getter.restype = [], ctypes.c_int
        found.append((getter, setter))
    return found


#: Hidden layers at least this wide train faster on two BLAS threads (the 256-128 network of the
#: speed benchmark is faster on one: 0.84 s against 1.03 s an epoch).
WIDE_LAYER = 512


def training_threads(hidden) -> int:
    """OpenBLAS threads to train a network with these hidden layer widths: 2 when one is at least
    WIDE_LAYER units wide, else 1."""
    return 2 if max(hidden, default=0) >= WIDE_LAYER else 1


def get_blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS uses now, or None where it cannot be told."""
    libs = _openblas()
    return int(libs[0][0]()) if libs else None


def set_blas_threads(threads: int) -> int | None:
    """Set OpenBLAS's thread count; returns the previous count (None: no OpenBLAS found)."""
    if threads < 1:
        raise ValueError(f"BLAS threads must be >= 1, got {threads}")
    previous = get_blas_threads()
    for _, setter in _openblas():
        setter(int(threads))
    return previous


@contextlib.contextmanager
def blas_threads(threads: int | None):
    """Within the block OpenBLAS uses ``threads`` threads (None: leave it alone); restored after."""
    if threads is None:
        yield
        return
    previous = set_blas_threads(threads)
    try:
        yield
    finally:
        if previous is not None:
            set_blas_threads(previous)
