"""Fewer points, same digit: simplifying overlong strokes.

Every point of a stroke costs the app a raster segment on each replay, re-render and undo; a
drawing of a million points took two minutes to replay and froze the window as long. The network
reads a 28x28 image, so points closer together than a small fraction of an input pixel add
nothing it can see. `simplify_strokes` removes them:

1. consecutive points in the same cell of a grid of side ``tolerance / (2 sqrt 2)`` are merged
   into the first of them (vectorised, linear time: a smooth stroke keeps about one point per
   cell of its length, however densely it was sampled);
2. Ramer-Douglas-Peucker with ``tolerance / 2`` drops the points that lie that close to the
   chord between the points kept around them (in pieces of at most `PIECE_POINTS` points,
   whose ends are kept, all pieces a recursion level at a time, vectorised).

Each step moves no part of the stroke by more than its half of the tolerance, so the simplified
stroke lies within ``tolerance`` of the original everywhere (Hausdorff distance), and so does the
ink drawn along it. The first and last points of every stroke are kept.

The tolerance is `RELATIVE_TOLERANCE` (1/1000) of the digit's size: the larger side of the
bounding box of its pen strokes' points. The pipeline scales that box to 20 pixels, so the
strokes move by at most 0.02 input pixels, a fiftieth of a pixel. On the committed sample
drawings, forcing simplification changes no input pixel by more than 0.01 (tests/test_simplify.py).

A budget bounds the result: when more than ``max_points`` points remain, the tolerance is
doubled until they fit (only scribbles need that; the pen digits have at most 185 points). When
more than `WORK_POINTS` remain after step 1 (random points, say), each stroke is first thinned
evenly to its share of them, which bounds the time (a million points: well under a second).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

#: Tolerance as a fraction of the digit's size (0.02 px of the network's 20-px digit box).
RELATIVE_TOLERANCE = 1e-3
#: Tolerance floor (fraction of the canvas side) for a drawing whose points all coincide.
MIN_TOLERANCE = 1e-7
#: RDP works on pieces of at most this many points (bounds its quadratic worst case).
PIECE_POINTS = 256
#: Points left after merging neighbours beyond which strokes are thinned evenly first.
WORK_POINTS = 16000

Point = tuple[float, float]


def digit_size(strokes: Sequence[Sequence[Point]], erase: Sequence[bool] | None = None) -> float:
    """Larger side of the bounding box of the pen strokes' points (all strokes if none is a pen
    stroke), as a fraction of the canvas side; 0.0 for no points."""
    return _digit_size([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes], erase)


def _digit_size(arrays: list[np.ndarray], erase: Sequence[bool] | None) -> float:
    pen = [a for i, a in enumerate(arrays) if len(a) and not (erase and erase[i])]
    chosen = pen or [a for a in arrays if len(a)]
    if not chosen:
        return 0.0
    low = np.min([a.min(axis=0) for a in chosen], axis=0)
    high = np.max([a.max(axis=0) for a in chosen], axis=0)
    return float(np.max(high - low))


def simplify_strokes(strokes: Sequence[Sequence[Point]], erase: Sequence[bool] | None = None, *,
                     relative_tolerance: float = RELATIVE_TOLERANCE, max_points: int | None = None
                     ) -> list[list[Point]]:
    """Simplified copies of `strokes` (lists of (x, y) fractions of the canvas side).

    The result lies within ``relative_tolerance * digit_size(strokes, erase)`` of the strokes;
    with `max_points`, the tolerance is doubled until at most max(max_points, 2 x strokes)
    points remain. Empty strokes stay empty; the number and order of strokes never change.
    """
    arrays = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    tolerance = max(relative_tolerance * _digit_size(arrays, erase), MIN_TOLERANCE)
    arrays = [_merge_neighbours(a, tolerance / 2) for a in arrays]
    total = sum(len(a) for a in arrays)
    if total > WORK_POINTS:
        arrays = [_thin_evenly(a, math.ceil(len(a) * WORK_POINTS / total)) for a in arrays]
    arrays = [_rdp(a, tolerance / 2) for a in arrays]
    while max_points is not None and sum(len(a) for a in arrays) > max_points and tolerance < 4.0:
        tolerance *= 2  # beyond 4 (more than the canvas diagonal) every stroke is down to its ends
        arrays = [_rdp(a, tolerance) for a in arrays]
    return [[(float(x), float(y)) for x, y in a] for a in arrays]


def _merge_neighbours(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Keep the first point of each run of consecutive points in one grid cell, and the last
    point. A dropped point lies within the cell diagonal (= tolerance) of a kept one."""
    if len(points) <= 2:
        return points
    cells = np.floor(points / (tolerance / math.sqrt(2)))
    keep = np.ones(len(points), bool)
    keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
    keep[-1] = True
    return points[keep]


def _thin_evenly(points: np.ndarray, count: int) -> np.ndarray:
    if len(points) <= max(count, 2):
        return points
    return points[np.unique(np.linspace(0, len(points) - 1, max(count, 2)).round().astype(np.int64))]


def _rdp(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer-Douglas-Peucker, piece by piece, every piece and every open segment a level at a
    time (one vectorised pass per level of the recursion, at most PIECE_POINTS levels). Every
    dropped point is within `tolerance` of the segment between the kept points around it."""
    n = len(points)
    if n <= 2:
        return points
    keep = np.zeros(n, bool)
    keep[::PIECE_POINTS] = True
    keep[-1] = True
    index = np.arange(n)
    while True:
        kept = np.flatnonzero(keep)
        segment = np.minimum(np.searchsorted(kept, index, side="right") - 1, len(kept) - 2)
        distances = _distances_to_segments(points, points[kept[segment]], points[kept[segment + 1]])
        distances[keep] = -1.0
        farthest = np.maximum.reduceat(distances, kept[:-1])[segment]
        split = np.flatnonzero((distances > tolerance) & (distances == farthest))
        if not split.size:
            return points[keep]
        _, first = np.unique(segment[split], return_index=True)  # one split per segment
        keep[split[first]] = True


def _distances_to_segments(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point (m, 2) to its segment a[i]-b[i] (both (m, 2))."""
    direction = b - a
    length2 = np.einsum("ij,ij->i", direction, direction)
    offsets = points - a
    along = np.einsum("ij,ij->i", offsets, direction) / np.where(length2 > 0, length2, 1.0)
    offsets -= np.clip(along, 0.0, 1.0)[:, None] * direction
    return np.hypot(offsets[:, 0], offsets[:, 1])
