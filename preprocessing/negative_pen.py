"""Ideal strokes made to look hand-drawn: the pen half of the negative-drawing generator.

A *shape* is a list of strokes, each an (m, 2) float array of points in a unit box (x to the right,
y down), drawn as a person means it: straight lines, clean arcs. ``humanize`` turns a shape into a
`preprocessing.drawing.Drawing` the way a hand would draw it: a slightly rotated, sheared and
stretched whole, strokes that wander a little (a slow wobble), a fine tremor, closed outlines that
overshoot or leave a gap, strokes sometimes drawn backwards or in another order, and points sampled
as densely as the pen digits (`pendigits-dev.jsonl`: a point every 3 % of the canvas, median, at a
digit height of 59 %: about every 5 % of the drawing's height).

The primitives (``line``, ``polyline``, ``arc``, ``curve``, ``dot``) build shapes; every function
takes its randomness from the ``rng`` passed in, so a seed fixes the output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from preprocessing.drawing import Drawing
from preprocessing.drawn_samples import place

Shape = list  # list of (m, 2) float64 arrays


@dataclass(frozen=True)
class Hand:
    """How much a drawing strays from the ideal shape (each drawn per drawing from these ranges).

    rotation_deg: standard deviation of the whole drawing's rotation; shear: of its horizontal
    shear; aspect: range of the width stretch; wobble: amplitude range of the slow per-stroke
    drift, as a fraction of the drawing's size; tremor: of the fine jitter; spacing: distance
    between sampled points as a fraction of the drawing's size; height: ink height on the canvas
    (the range `preprocessing.drawn_samples` renders digits at).
    """

    rotation_deg: float = 7.0
    shear: float = 0.12
    aspect: tuple[float, float] = (0.8, 1.25)
    wobble: tuple[float, float] = (0.005, 0.03)
    tremor: tuple[float, float] = (0.0, 0.006)
    spacing: tuple[float, float] = (0.03, 0.08)
    height: tuple[float, float] = (0.35, 0.85)
    reverse_share: float = 0.3
    reorder_share: float = 0.3


DEFAULT_HAND = Hand()

# ------------------------------------------------------------------------------------ primitives


def line(x0: float, y0: float, x1: float, y1: float, points: int = 24) -> np.ndarray:
    """A straight segment -> (points, 2)."""
    t = np.linspace(0.0, 1.0, points)[:, None]
    return (1 - t) * np.array([x0, y0]) + t * np.array([x1, y1])


def polyline(*corners: tuple[float, float], closed: bool = False, points_per_side: int = 20) -> np.ndarray:
    """Straight segments through `corners` (closed: back to the first) -> (m, 2)."""
    pts = list(corners) + ([corners[0]] if closed else [])
    parts = [line(*pts[i], *pts[i + 1], points=points_per_side)[:-1] for i in range(len(pts) - 1)]
    return np.vstack(parts + [np.array([pts[-1]], dtype=np.float64)])


def arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float,
        points: int = 48) -> np.ndarray:
    """An elliptical arc from start_deg to end_deg (0 = right, 90 = down, as y points down) -> (points, 2)."""
    a = np.radians(np.linspace(start_deg, end_deg, points))
    return np.column_stack([cx + rx * np.cos(a), cy + ry * np.sin(a)])


def curve(*through: tuple[float, float], points: int = 64) -> np.ndarray:
    """A smooth (Catmull-Rom) curve through the given points -> (points, 2)."""
    p = np.asarray(through, dtype=np.float64)
    if len(p) < 3:
        return line(*p[0], *p[-1], points=points)
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    segments = len(p) - 1
    t = np.linspace(0, segments, points)
    index = np.minimum(t.astype(int), segments - 1)
    u = (t - index)[:, None]
    p0, p1, p2, p3 = ext[index], ext[index + 1], ext[index + 2], ext[index + 3]
    return 0.5 * ((2 * p1) + (-p0 + p2) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u ** 2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * u ** 3)


def dot(x: float, y: float, size: float = 0.03) -> np.ndarray:
    """A dot as a person makes it: a tiny stroke -> (3, 2)."""
    return np.array([[x, y], [x + size * 0.5, y + size * 0.3], [x + size * 0.2, y + size]], dtype=np.float64)


def transform(shape: Shape, matrix: np.ndarray, offset=(0.0, 0.0)) -> Shape:
    """Every stroke mapped by p -> matrix @ p + offset."""
    m = np.asarray(matrix, dtype=np.float64)
    return [s @ m.T + np.asarray(offset, dtype=np.float64) for s in shape]


def rotation(degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def fit_box(shape: Shape, x0: float, y0: float, x1: float, y1: float) -> Shape:
    """The shape scaled (keeping its aspect) and centred into the box (x0, y0)-(x1, y1)."""
    allp = np.vstack(shape)
    low, high = allp.min(axis=0), allp.max(axis=0)
    extent = np.maximum(high - low, 1e-9)
    scale = min((x1 - x0) / extent[0], (y1 - y0) / extent[1])
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return [(s - (low + high) / 2) * scale + centre for s in shape]


# ------------------------------------------------------------------------------------ the hand


def _arc_length(stroke: np.ndarray) -> np.ndarray:
    """Cumulative length along a stroke (m, 2) -> (m,), starting at 0."""
    if len(stroke) < 2:
        return np.zeros(len(stroke))
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])


def resample(stroke: np.ndarray, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Points along the stroke about `spacing` apart (each step +-30 %), ends kept -> (k, 2)."""
    s = _arc_length(stroke)
    total = s[-1] if len(s) else 0.0
    if total <= spacing:
        return stroke[[0, -1]] if len(stroke) > 1 else stroke.copy()
    steps = rng.uniform(0.7, 1.3, size=int(total / spacing * 1.5) + 2) * spacing
    positions = np.cumsum(steps)
    positions = np.concatenate([[0.0], positions[positions < total], [total]])
    return np.column_stack([np.interp(positions, s, stroke[:, 0]), np.interp(positions, s, stroke[:, 1])])


def _wobble(stroke: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A slow drift along the stroke: two random sinusoids of its arc length in each direction."""
    s = _arc_length(stroke)
    if s[-1] <= 0:
        return stroke
    u = s / s[-1]
    drift = np.zeros_like(stroke)
    for axis in range(2):
        for _ in range(2):
            freq = rng.uniform(0.3, 2.0)
            drift[:, axis] += rng.normal(0, amplitude) * np.sin(2 * math.pi * (freq * u + rng.random()))
    return stroke + drift


def _overshoot(stroke: np.ndarray, rng: np.random.Generator, size: float) -> np.ndarray:
    """A closed stroke (ends together) made to overshoot its start or stop short of it."""
    if len(stroke) < 4 or np.linalg.norm(stroke[0] - stroke[-1]) > 0.02 * size:
        return stroke
    s = _arc_length(stroke)
    change = rng.uniform(-0.06, 0.08) * s[-1]
    if change < 0:  # a gap: stop short
        return stroke[s <= s[-1] + change] if np.count_nonzero(s <= s[-1] + change) >= 2 else stroke
    extra = stroke[1:][s[1:] <= change]  # an overshoot: carry on over the start
    return np.vstack([stroke, extra]) if len(extra) else stroke


def humanize(shape: Shape, rng: np.random.Generator, hand: Hand = DEFAULT_HAND) -> Drawing:
    """Draw `shape` (strokes in a unit box, y down) as a person would -> a Drawing placed on the canvas
    at a random size (hand.height) and position. Strokes shorter than a point become dots."""
    strokes = [np.asarray(s, dtype=np.float64) for s in shape if len(s)]
    allp = np.vstack(strokes)
    low, high = allp.min(axis=0), allp.max(axis=0)
    centre = (low + high) / 2
    size = float(max(high - low)) or 1.0
    stretch = np.diag([rng.uniform(*hand.aspect), 1.0])
    shear = np.array([[1.0, rng.normal(0, hand.shear)], [0.0, 1.0]])
    matrix = rotation(rng.normal(0, hand.rotation_deg)) @ shear @ stretch
    wobble = rng.uniform(*hand.wobble) * size
    tremor = rng.uniform(*hand.tremor) * size
    spacing = rng.uniform(*hand.spacing) * size
    drawn = []
    for stroke in strokes:
        stroke = _overshoot(stroke, rng, size)
        stroke = (stroke - centre) @ matrix.T
        stroke = _wobble(stroke, wobble, rng)
        stroke = resample(stroke, spacing, rng)
        if tremor > 0:
            stroke = stroke + rng.normal(0, tremor, stroke.shape)
        if rng.random() < hand.reverse_share:
            stroke = stroke[::-1]
        drawn.append(stroke)
    if len(drawn) > 1 and rng.random() < hand.reorder_share:
        drawn = [drawn[i] for i in rng.permutation(len(drawn))]
    # Unit-box coordinates, then the digits' placement: ink height from hand.height, random position.
    allp = np.vstack(drawn)
    shift = -allp.min(axis=0) + 0.05
    scale = 1.0 / (float(max(allp.max(axis=0) - allp.min(axis=0))) + 0.1)
    unit = Drawing(strokes=[[(float(x), float(y)) for x, y in np.clip((s + shift) * scale, 0, 1)] for s in drawn])
    return place(unit, float(rng.uniform(*hand.height)), None, rng)
