"""Negatives made of real pen digits: several digits side by side, crossed-out digits and digit
fragments. Each maker is ``make(rng, digits) -> Shape``, `digits` being labelled drawings
(`preprocessing.drawing.Drawing`); the caller chooses them, so negatives for held-out data can be
built from held-out writers only.

What is deliberately not made, because it is a digit: a 7 with a bar through it, a 0 with a slash
(both are ways to write the digit), a fragment that is a lone bar or a straight stroke (a 1).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from preprocessing.drawing import Drawing
from preprocessing.negative_pen import Shape, curve, line, polyline

#: A fragment thinner than this (width / height, or the inverse) is a bar, which reads as a 1.
_MIN_FRAGMENT_ASPECT = 0.3
#: A fragment whose ends are further apart than this share of its length is a stroke, which reads as a 1.
_MAX_FRAGMENT_STRAIGHTNESS = 0.85


def _strokes(drawing: Drawing) -> Shape:
    return [np.asarray(s, dtype=np.float64) for s in drawing.strokes if len(s)]


def _unit_height(shape: Shape) -> Shape:
    """Scaled to height 1, top-left of the ink at (0, 0)."""
    allp = np.vstack(shape)
    low = allp.min(axis=0)
    height = max(float(allp[:, 1].max() - low[1]), 1e-6)
    return [(s - low) / height for s in shape]


def _pick(digits: Sequence[Drawing], rng: np.random.Generator) -> Drawing:
    if not digits:
        raise ValueError("this negative source needs pen digits to build from")
    return digits[int(rng.integers(len(digits)))]


def side_by_side(rng: np.random.Generator, digits: Sequence[Drawing]) -> Shape:
    """Two digits (sometimes three) written next to each other, as a number."""
    count = 3 if rng.random() < 0.25 else 2
    shape: Shape = []
    x = 0.0
    for _ in range(count):
        part = _unit_height(_strokes(_pick(digits, rng)))
        part = [s * rng.uniform(0.85, 1.1) + np.array([x, rng.normal(0, 0.05)]) for s in part]
        shape += part
        x = max(float(s[:, 0].max()) for s in part) + rng.uniform(0.1, 0.35)
    return shape


def crossed_out(rng: np.random.Generator, digits: Sequence[Drawing]) -> Shape:
    """A digit struck out: an X over it, or zigzag hatching across it."""
    digit = _unit_height(_strokes(_pick(digits, rng)))
    allp = np.vstack(digit)
    x0, y0 = allp.min(axis=0) - 0.05
    x1, y1 = allp.max(axis=0) + 0.05
    if rng.random() < 0.5:
        return digit + [line(x0, y0, x1, y1), line(x1, y0, x0, y1)]
    rows = int(rng.integers(4, 8))
    corners = [(x0 if k % 2 == 0 else x1, y0 + (y1 - y0) * k / rows) for k in range(rows + 1)]
    return digit + [polyline(*corners) if rng.random() < 0.5 else curve(*corners, points=20 * rows)]


def fragment(rng: np.random.Generator, digits: Sequence[Drawing]) -> Shape:
    """A contiguous 25-55 % of a digit's pen path (a digit abandoned half-way, or only its start or end);
    tried again when the piece is a bar or a nearly straight stroke, which would read as a 1."""
    for _ in range(20):
        path = np.vstack(_strokes(_pick(digits, rng)))
        length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
        if len(path) < 4 or length[-1] <= 0:
            continue
        share = rng.uniform(0.25, 0.55)
        start = rng.choice([0.0, 1.0 - share, rng.uniform(0, 1.0 - share)]) * length[-1]
        keep = (length >= start) & (length <= start + share * length[-1])
        piece = path[keep]
        if len(piece) < 3:
            continue
        extent = piece.max(axis=0) - piece.min(axis=0)
        run = float(np.sum(np.linalg.norm(np.diff(piece, axis=0), axis=1)))
        straight = np.linalg.norm(piece[-1] - piece[0]) > _MAX_FRAGMENT_STRAIGHTNESS * run
        if not straight and min(extent) / max(max(extent), 1e-9) >= _MIN_FRAGMENT_ASPECT:
            return [piece]
    return crossed_out(rng, digits)
