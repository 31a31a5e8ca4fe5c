"""Softmax and the softmax cross-entropy loss, computed stably.

Logits are (n, k) arrays (k = 10 classes); labels are (n,) integers in [0, k). Everything subtracts
the row maximum before exponentiating, so logits of +-1e4 give finite results (no NaN, no inf).
"""
from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax along the last axis; z (..., k) -> (..., k), same dtype."""
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softmax along the last axis; z (..., k) -> (..., k), rows sum to 1. ``out`` may be z itself."""
    z = np.asarray(z)
    out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray,
                          out: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits (n, k), labels (n,) ints -> (loss: float, dlogits (n, k) = (softmax - one_hot) / n).
    ``out`` (n, k), optional, receives dlogits (it may be ``logits`` itself, which is then overwritten).
    """
    logits = np.asarray(logits)
    n = logits.shape[0]
    rows = np.arange(n)
    out = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)
    label_logit = out[rows, labels]  # shifted logit of the true class, <= 0
    np.exp(out, out=out)
    total = out.sum(axis=1)
    # -log p(label) = log(sum exp(shifted)) - shifted[label]; sum >= 1, so the log is finite
    loss = float(np.mean(np.log(total) - label_logit))
    out /= total[:, None]
    out[rows, labels] -= 1.0
    out *= 1.0 / n
    return loss, out


#: The label of a training drawing that is not a digit (outlier exposure, below).
NOT_A_DIGIT = -1


def outlier_exposure_cross_entropy(logits: np.ndarray, labels: np.ndarray, negative_weight: float,
                                   out: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy where drawings that are not digits teach a flat output.

    logits (n, k), labels (n,) ints: a digit 0..k-1 counts as in ``softmax_cross_entropy``; a label
    NOT_A_DIGIT counts ``negative_weight`` times the cross-entropy against the uniform distribution
    over the k outputs ("outlier exposure": the network learns to spread its belief on what is not
    a digit, which the verdict then reads as 'not a digit'). Returns (mean loss over the n rows,
    dlogits (n, k)); ``out`` as in ``softmax_cross_entropy``.
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    negative = labels == NOT_A_DIGIT
    if not negative.any():
        return softmax_cross_entropy(logits, labels, out=out)
    n, k = logits.shape
    rows = np.arange(n)
    digits = rows[~negative]
    out = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)
    mean_logit = out.mean(axis=1)
    label_logit = out[digits, labels[digits]]
    np.exp(out, out=out)
    log_total = np.log(out.sum(axis=1))
    # A digit: log(sum exp) - shifted[label]; a negative: log(sum exp) - mean(shifted), which is the
    # cross-entropy against 1/k on every output.
    losses = log_total.copy()
    losses[digits] -= label_logit
    losses[negative] = negative_weight * (losses[negative] - mean_logit[negative])
    out /= np.exp(log_total)[:, None]
    out[digits, labels[digits]] -= 1.0
    out[negative] -= 1.0 / k
    out[negative] *= negative_weight
    out *= 1.0 / n
    return float(losses.mean()), out


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy only (no gradient): logits (n, k), labels (n,) -> float."""
    logp = log_softmax(np.asarray(logits, dtype=np.float64))
    return float(-logp[np.arange(len(labels)), labels].mean())


def l2_penalty(weights: list[np.ndarray], weight_decay: float) -> float:
    """The L2 term weight_decay / 2 * sum of squared weights; its gradient is weight_decay * W."""
    return 0.5 * weight_decay * float(sum(np.sum(np.square(w, dtype=np.float64)) for w in weights))
