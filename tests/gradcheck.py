"""Finite-difference gradient checking in float64, shared by the model tests."""
from __future__ import annotations

import numpy as np


def numerical_grad(f, array: np.ndarray, indices=None, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to ``array`` (perturbed in place).

    indices: flat positions to check (default: all). Returns the gradient at those positions."""
    flat = array.reshape(-1)
    indices = range(flat.size) if indices is None else indices
    grads = []
    for i in indices:
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        grads.append((plus - minus) / (2 * h))
    return np.array(grads)


def sample_indices(array: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(array.size, size=min(count, array.size), replace=False)


def assert_close_grad(analytic: np.ndarray, numeric: np.ndarray, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
    numeric = np.asarray(numeric, dtype=np.float64).reshape(-1)
    scale = max(1.0, np.abs(numeric).max())
    err = np.abs(analytic - numeric).max() / scale
    assert err < max(rtol, atol), f"gradient mismatch: max relative error {err:.3g}"
