"""An incremental, anti-aliased mirror of the drawing canvas.

Every stroke segment is a capsule: the pixels whose centre lies within ``width / 2`` of the segment.
Coverage falls off linearly over one pixel at the edge (``clip(r + 0.5 - distance, 0, 1)``), which
is the area a one-pixel-wide box filter sees, so edges are anti-aliased and a stroke of width w
holds w pixels of ink across it. Ink takes the maximum with what is there, the eraser the minimum
with one minus coverage; round caps and joins follow from the union of capsules. Only the
segment's bounding box is touched, so a mouse-motion segment costs a few tens of microseconds.

Coordinates are canvas pixels: x to the right, y down, pixel (row, col) covers
[col, col + 1) x [row, row + 1) and its centre is (col + 0.5, row + 0.5).
"""
from __future__ import annotations

import math

import numpy as np

from preprocessing.drawing import Drawing

#: Default brush width as a fraction of the canvas side, chosen by measurement
#: (benchmarks/measure_preprocessing.py): pendigits drawings at a typical height (60 % of the
#: canvas) drawn with this brush and run through the pipeline have the stroke width of MNIST
#: digits in the 28x28 input (2.45 px by 2 * ink / total gradient; brush 0.08 -> 2.39 px,
#: 0.085 -> 2.52 px at blur sigma 0.2, interpolated: 0.082).
DEFAULT_BRUSH_FRACTION = 0.082
#: Brush limits as fractions of the canvas side: thinner than 1.5 % reads as a hairline after
#: downscaling to 20 px; thicker than 20 % fills the digit's own holes. The app's brush control and
#: the training renders (preprocessing.drawn_samples) both keep to them.
MIN_BRUSH_FRACTION = 0.015
MAX_BRUSH_FRACTION = 0.20

#: Side in pixels of the app's drawing canvas when the window opens (it then follows the window).
#: What means "the window's canvas" uses it: the headless controller, app.replay, the benchmarks.
DEFAULT_CANVAS_PX = 448

#: Brushes thinner than one pixel are drawn one pixel wide and proportionally fainter, so the ink
#: across a stroke still equals its width.
_MIN_DRAWN_RADIUS = 0.5


class StrokeRaster:
    """A float32 canvas of shape (size_px, size_px), values in [0, 1], ink = 1, row 0 at the top.

    ``ink_box`` is (row0, col0, row1, col1), half-open, a box that contains every inked pixel, or
    None when nothing was drawn since the last clear. The eraser does not shrink it, so it may be
    larger than the ink; the pipeline only uses it to limit its search.
    """

    def __init__(self, size_px: int, brush_width_px: float | None = None, *, height_px: int | None = None):
        if isinstance(size_px, bool) or not isinstance(size_px, (int, np.integer)) or size_px < 1:
            raise ValueError(f"size_px must be a positive integer, got {size_px!r}")
        if height_px is not None and (not isinstance(height_px, (int, np.integer)) or height_px < 1):
            raise ValueError(f"height_px must be a positive integer, got {height_px!r}")
        if brush_width_px is None:
            brush_width_px = DEFAULT_BRUSH_FRACTION * size_px
        _check_width(brush_width_px)
        self.width_px = int(size_px)
        self.height_px = int(height_px if height_px is not None else size_px)
        self.size_px = self.width_px
        self.brush_width_px = float(brush_width_px)
        self.pixels = np.zeros((self.height_px, self.width_px), dtype=np.float32)
        self.ink_box: tuple[int, int, int, int] | None = None
        # Pixel-centre coordinates, sliced per segment instead of rebuilt.
        self._col_centres = np.arange(self.width_px, dtype=np.float32) + np.float32(0.5)
        self._row_centres = (np.arange(self.height_px, dtype=np.float32) + np.float32(0.5))[:, None]

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape

    def clear(self) -> None:
        self.pixels.fill(0.0)
        self.ink_box = None

    def copy(self) -> "StrokeRaster":
        twin = StrokeRaster(self.width_px, self.brush_width_px, height_px=self.height_px)
        twin.pixels[...] = self.pixels
        twin.ink_box = self.ink_box
        return twin

    def add_dot(self, x: float, y: float, width_px: float | None = None, erase: bool = False) -> None:
        """A round dot (a disc of the brush width) centred at canvas pixel (x, y)."""
        self.add_segment(x, y, x, y, width_px=width_px, erase=erase)

    def add_segment(self, x0: float, y0: float, x1: float, y1: float,
                    width_px: float | None = None, erase: bool = False) -> None:
        """Draw (or erase) a round-capped segment from (x0, y0) to (x1, y1), canvas pixels."""
        width = self.brush_width_px if width_px is None else width_px
        _check_width(width)
        for value in (x0, y0, x1, y1):
            if not math.isfinite(value):
                raise ValueError(f"segment coordinates must be finite, got {(x0, y0, x1, y1)}")
        radius = max(0.5 * width, _MIN_DRAWN_RADIUS)
        strength = min(1.0, width)  # < 1 only for sub-pixel brushes
        reach = radius + 0.5
        col0 = max(0, int(math.floor(min(x0, x1) - reach)))
        col1 = min(self.width_px, int(math.ceil(max(x0, x1) + reach)))
        row0 = max(0, int(math.floor(min(y0, y1) - reach)))
        row1 = min(self.height_px, int(math.ceil(max(y0, y1) + reach)))
        if col0 >= col1 or row0 >= row1:
            return
        coverage = _capsule_coverage(
            self._col_centres[col0:col1], self._row_centres[row0:row1],
            np.float32(x0), np.float32(y0), np.float32(x1), np.float32(y1), np.float32(radius),
        )
        if strength < 1.0:
            coverage *= np.float32(strength)
        window = self.pixels[row0:row1, col0:col1]
        if erase:
            np.subtract(np.float32(1.0), coverage, out=coverage)
            np.minimum(window, coverage, out=window)
            return
        np.maximum(window, coverage, out=window)
        if self.ink_box is None:
            self.ink_box = (row0, col0, row1, col1)
        else:
            r0, c0, r1, c1 = self.ink_box
            self.ink_box = (min(r0, row0), min(c0, col0), max(r1, row1), max(c1, col1))

    def add_stroke(self, points_px, width_px: float | None = None, erase: bool = False) -> None:
        """A polyline through points (x, y) in canvas pixels; one point draws a dot."""
        points = list(points_px)
        if not points:
            return
        if len(points) == 1:
            self.add_dot(points[0][0], points[0][1], width_px=width_px, erase=erase)
            return
        for (xa, ya), (xb, yb) in zip(points, points[1:]):
            self.add_segment(xa, ya, xb, yb, width_px=width_px, erase=erase)

    def draw_pen_stroke(self, points, width_px: float, erase: bool = False) -> None:
        """Draw a stroke whose points are fractions of the canvas side (the width) the way live pen
        events draw it: a dot at the first point, then one segment per step. Drawing strokes again
        this way gives pixels bit-identical to drawing them live."""
        side = self.width_px
        previous = (points[0][0] * side, points[0][1] * side)
        self.add_dot(previous[0], previous[1], width_px=width_px, erase=erase)
        for x, y in points[1:]:
            current = (x * side, y * side)
            self.add_segment(previous[0], previous[1], current[0], current[1], width_px=width_px, erase=erase)
            previous = current

    def draw(self, drawing: Drawing) -> None:
        """Add a whole Drawing (fractions of the canvas side) with this raster's brush."""
        scale = float(self.width_px)
        for index, stroke in enumerate(drawing.strokes):
            width_fraction = drawing.stroke_width(index)
            width = None if width_fraction is None else width_fraction * scale
            self.add_stroke(((x * scale, y * scale) for x, y in stroke),
                            width_px=width, erase=drawing.stroke_erases(index))


def _check_width(width: float) -> None:
    if isinstance(width, bool) or not isinstance(width, (int, float, np.floating, np.integer)) \
            or not math.isfinite(width) or width <= 0:
        raise ValueError(f"brush width must be a positive number of pixels, got {width!r}")


def _capsule_coverage(cols: np.ndarray, rows: np.ndarray, x0, y0, x1, y1, radius) -> np.ndarray:
    """Coverage in [0, 1] of the capsule around (x0, y0)-(x1, y1); cols (w,), rows (h, 1) -> (h, w)."""
    dx = cols - x0                 # (w,)
    dy = rows - y0                 # (h, 1)
    ux = x1 - x0
    uy = y1 - y0
    length2 = ux * ux + uy * uy
    if length2 > 1e-12:
        t = (dx * (ux / length2) + dy * (uy / length2))
        np.clip(t, 0.0, 1.0, out=t)
        px = dx - t * ux
        py = dy - t * uy
        distance = np.sqrt(px * px + py * py)
    else:
        distance = np.sqrt(dx * dx + dy * dy)
    coverage = np.subtract(radius + np.float32(0.5), distance, out=distance)
    np.clip(coverage, 0.0, 1.0, out=coverage)
    return coverage


def render_drawing(drawing: Drawing, size_px: int, brush_width_px: float | None = None) -> np.ndarray:
    """Render a Drawing on a fresh (size_px, size_px) canvas; returns float32 pixels in [0, 1].

    Uses the very same segment code as live drawing, so replay and the app agree exactly.
    """
    raster = StrokeRaster(size_px, brush_width_px)
    raster.draw(drawing)
    return raster.pixels
