"""Confidence that means what it says: expected calibration error and temperature scaling
(the reliability diagram itself is `model.plots.reliability_png`).

Shapes: logits (n, k) float, probabilities (n, k) rows summing to 1, labels (n,) ints in [0, k).
A temperature T divides the logits before the softmax: T > 1 softens over-confident outputs, T < 1
sharpens; the arg-max (the digit read) never changes, only how sure the network says it is.
"""
from __future__ import annotations

import numpy as np

DEFAULT_BINS = 15
#: Temperatures outside this range mean a broken fit (or a broken model), not a calibration.
TEMPERATURE_RANGE = (0.05, 20.0)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / temperature) along the last axis, in float64."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    """ECE of probabilities (n, k) against labels (n,): `bins` equal-width bins of the top
    probability (15 by default, as usually reported), binned by `model.plots.reliability_bins`."""
    from model.plots import reliability_bins

    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or labels.shape != (len(probabilities),):
        raise ValueError(f"need probabilities (n, k) and labels (n,); got {probabilities.shape} and {labels.shape}")
    return reliability_bins(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels, bins).ece


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean -log softmax(logits / T)[label]."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `labels` (golden-section search on
    log T over TEMPERATURE_RANGE; the NLL is unimodal in T)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (len(logits),) or len(labels) == 0:
        raise ValueError(f"need logits (n, k) and labels (n,), n >= 1; got {logits.shape} and {labels.shape}")
    low, high = np.log(TEMPERATURE_RANGE[0]), np.log(TEMPERATURE_RANGE[1])
    ratio = (np.sqrt(5) - 1) / 2
    a, b = low + (1 - ratio) * (high - low), low + ratio * (high - low)
    fa, fb = (negative_log_likelihood(logits, labels, np.exp(t)) for t in (a, b))
    for _ in range(60):
        if fa <= fb:
            high, b, fb = b, a, fa
            a = low + (1 - ratio) * (high - low)
            fa = negative_log_likelihood(logits, labels, np.exp(a))
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = negative_log_likelihood(logits, labels, np.exp(b))
    return float(np.exp((low + high) / 2))
