"""Skeletons of binary masks, own code (no scikit-image): Zhang-Suen thinning by lookup tables,
line ends, pruning of short spurs and ends grown back along the stroke. Used by
`preprocessing.image_input` to bring a picture's strokes to the network's pen.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

__all__ = ["extend_ends", "line_ends", "prune_spurs", "skeletonise"]


def _neighbour_code(image: np.ndarray) -> np.ndarray:
    """(h, w) uint8: bit k set when neighbour P(k+2) is ink, clockwise from north (Zhang-Suen's P2..P9)."""
    p = np.pad(image, 1).astype(np.uint8)
    h, w = image.shape
    shifts = ((0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0), (0, 0))  # N NE E SE S SW W NW
    code = np.zeros((h, w), np.uint8)
    for bit, (dr, dc) in enumerate(shifts):
        code |= p[dr:dr + h, dc:dc + w] << bit
    return code


def _zhang_suen_tables() -> tuple[np.ndarray, np.ndarray]:
    first = np.zeros(256, bool)
    second = np.zeros(256, bool)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]  # P2..P9
        b = sum(p)
        a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
        if not (2 <= b <= 6 and a == 1):
            continue
        p2, p3, p4, p5, p6, p7, p8, p9 = p
        first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


_DELETE_FIRST, _DELETE_SECOND = _zhang_suen_tables()


def skeletonise(mask: np.ndarray, max_iterations: int = 500) -> np.ndarray:
    """Zhang-Suen thinning of a bool (h, w) mask to lines about one pixel wide, connectivity kept."""
    skeleton = np.asarray(mask, bool).copy()
    for _ in range(max_iterations):
        changed = False
        for table in (_DELETE_FIRST, _DELETE_SECOND):
            delete = skeleton & table[_neighbour_code(skeleton)]
            if delete.any():
                skeleton &= ~delete
                changed = True
        if not changed:
            break
    return skeleton


def _end_table() -> np.ndarray:
    """Neighbour codes of a line's end: one neighbour, or two or three that touch one another."""
    table = np.zeros(256, bool)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]
        b = sum(p)
        a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
        table[code] = b == 1 or (a == 1 and 2 <= b <= 3)
    return table


_END = _end_table()


def line_ends(skeleton: np.ndarray) -> np.ndarray:
    """(h, w) bool: the skeleton's pixels where a line ends."""
    return skeleton & _END[_neighbour_code(skeleton)]


def prune_spurs(skeleton: np.ndarray, length: int) -> np.ndarray:
    """Remove side branches up to `length` pixels (the bumps of a thick stroke's outline leave them);
    the ends of real strokes are grown back along the original skeleton."""
    if length < 1:
        return skeleton
    pruned = skeleton.copy()
    for _ in range(length):
        ends = line_ends(pruned)
        if not ends.any():
            break
        pruned &= ~ends
    if not pruned.any():
        return skeleton  # nothing but short strokes (a dot, a dash): keep them
    grown = line_ends(pruned)
    for _ in range(length):
        grown = ndimage.binary_dilation(grown, structure=np.ones((3, 3), bool)) & skeleton & ~pruned | grown
    return pruned | grown


def extend_ends(skeleton: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Lengthen each stroke end by the stroke's half-width there, along the stroke's direction.

    Thinning stops half a stroke short of a stroke's tip, so redrawn with a fine pen a bold digit
    would come out with shortened strokes (a 7's bar, a 1's foot). distance: (h, w) the distance
    of each shape pixel to the outline.
    """
    ends = np.argwhere(line_ends(skeleton))
    if ends.size == 0:
        return skeleton
    points = np.argwhere(skeleton)
    out = skeleton.copy()
    h, w = skeleton.shape
    for r, c in ends:
        reach = max(2.0, float(distance[r, c]))
        near = points[np.abs(points - (r, c)).max(axis=1) <= max(3, int(round(1.5 * reach)))]
        direction = np.array([r, c], float) - near.mean(axis=0)
        norm = float(np.hypot(*direction))
        if norm < 1e-6:
            continue
        steps = np.linspace(0.0, reach, int(math.ceil(reach)) + 1)[:, None] * (direction / norm)
        along = np.rint(np.array([r, c], float) + steps).astype(int)
        inside = (along[:, 0] >= 0) & (along[:, 0] < h) & (along[:, 1] >= 0) & (along[:, 1] < w)
        out[along[inside, 0], along[inside, 1]] = True
    return out
