"""Scoring a network on labelled images: accuracy, loss, the confusion matrix and how it is printed.

One piece shared by train.py, the training loop (validation each epoch), replay and the benchmarks,
so that "accuracy" and "confusion" mean the same everywhere: rows are the true digit, columns the
predicted one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.losses import softmax_cross_entropy
from model.mlp import INPUT_SIZE, OUTPUT_SIZE

#: Images scored per forward pass: big enough for fast matrix products, small enough for the cache.
CHUNK = 1024


@dataclass(frozen=True)
class Evaluation:
    """n images; accuracy in [0, 1]; loss = mean cross-entropy; confusion (10, 10) int64."""

    n: int
    accuracy: float
    loss: float
    confusion: np.ndarray

    @property
    def per_class(self) -> list[float | None]:
        """Accuracy per true digit (None for a digit with no images)."""
        return per_class_accuracy(self.confusion)

    def to_dict(self) -> dict:
        return {"n": self.n, "accuracy": self.accuracy, "loss": self.loss,
                "confusion": self.confusion.tolist(), "per_class": self.per_class}


def as_float_images(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) or (n, 784) images, uint8 0..255 or float 0..1 -> float32 (n, 784) in [0, 1]."""
    X = np.asarray(images)
    X = X.reshape(len(X), -1)
    if X.shape[1] != INPUT_SIZE:
        raise ValueError(f"images must be (n, 28, 28) or (n, 784), got shape {np.shape(images)}")
    if X.dtype == np.uint8:
        return X.astype(np.float32) * np.float32(1 / 255)
    return np.ascontiguousarray(X, dtype=np.float32)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) int64 counts, rows = true label, columns = predicted; labels and predicted (n,)."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    return np.bincount(labels * OUTPUT_SIZE + predicted, minlength=OUTPUT_SIZE ** 2).reshape(OUTPUT_SIZE, OUTPUT_SIZE)


def per_class_accuracy(confusion) -> list[float | None]:
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    return [float(confusion[d, d] / totals[d]) if totals[d] else None for d in range(len(confusion))]


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Score ``model`` (inference mode) on images (n, 28, 28) / (n, 784), uint8 or float, and
    labels (n,) in 0..9."""
    X = as_float_images(images)
    y = np.asarray(labels, dtype=np.int64)
    if y.shape != (len(X),):
        raise ValueError(f"labels must be ({len(X)},), got shape {y.shape}")
    if len(X) == 0:
        raise ValueError("nothing to evaluate: no images")
    total_loss = 0.0
    predicted = np.empty(len(X), np.int64)
    for start in range(0, len(X), CHUNK):
        logits = model.forward(X[start:start + CHUNK], training=False)
        predicted[start:start + CHUNK] = logits.argmax(axis=1)
        yb = y[start:start + CHUNK]
        loss, _ = softmax_cross_entropy(logits, yb, out=logits)
        total_loss += loss * len(yb)
    confusion = confusion_matrix(y, predicted)
    return Evaluation(n=len(X), accuracy=float(np.trace(confusion) / len(X)), loss=total_loss / len(X),
                      confusion=confusion)


def format_confusion(confusion, indent: str = "  ") -> str:
    """The confusion matrix as aligned text, with a header line."""
    confusion = np.asarray(confusion)
    lines = ["confusion (rows = true digit, columns = predicted):",
             indent + "    " + "".join(f"{d:>6}" for d in range(confusion.shape[1]))]
    for digit, row in enumerate(confusion):
        lines.append(f"{indent}{digit:>2}: " + "".join(f"{int(v):>6}" for v in row))
    return "\n".join(lines)
