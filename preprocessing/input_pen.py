"""The strokes as the network reads them: drawn with a pen scaled to the digit, not with the brush.

People draw with any brush at any size, and a thick brush fills the loops of a 6, an 8 or a 9 and
turns a flagged 1 into a 7. The network reads a digit best when its strokes come out thin and of
the same width whatever the brush and the size (writer cross-validation on the pen digits: 98.4 %
with the default brush, 97.1 % with the thickest, 99.4 % with strokes 0.6 px wide in the 20 px
box; benchmarks/robustness.py). So the canvas the person sees and the raster the pipeline reads
are two drawings of the same strokes:

- the canvas, with the person's brush (`preprocessing.raster.StrokeRaster`, as shown on screen);
- the network's raster (`InputPenRaster`), with a pen whose width is ``box_width`` pixels once the
  pipeline has scaled the ink box to ``box`` pixels, whatever the brush and the digit's size.

Eraser strokes keep their own width in both, so what is rubbed out on screen is rubbed out for the
network. The pen follows the size of the ink strokes' points (the larger side of their bounding
box), rounded to quarter-octave steps: live drawing adds each segment as it comes and draws
everything again only when the digit has grown or shrunk by a step, and the result is
bit-identical to drawing the finished strokes at once (`draw_strokes`), which is what training
renders and replay rely on.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

from preprocessing.raster import StrokeRaster

#: The pen width changes in steps of 2 ** (1/4): at most +-9 % from the exact width, and a digit
#: growing to the whole canvas redraws at most about 14 times in all.
PEN_STEPS_PER_OCTAVE = 4
#: Ink smaller than this (fraction of the canvas side) is drawn with the pen of a digit this size,
#: so a dot or a tiny scribble stays visible to the network as it is on the canvas. People draw
#: digits from about a third of the canvas up, well above it.
MIN_INK_EXTENT = 0.1

Point = tuple[float, float]


def input_pen_fraction(ink_extent: float, box_width: float, box: int) -> float:
    """The pen width (fraction of the canvas side) for ink strokes whose points span `ink_extent`
    (larger side, fraction of the canvas side), so that strokes are `box_width` pixels wide after
    the pipeline scales the ink box (points plus pen) to `box` pixels; rounded to the step grid."""
    extent = max(float(ink_extent), MIN_INK_EXTENT)
    exact = box_width * extent / (box - box_width)
    return 2.0 ** (round(math.log2(exact) * PEN_STEPS_PER_OCTAVE) / PEN_STEPS_PER_OCTAVE)


class InputPenRaster:
    """A (size_px, size_px) raster of strokes drawn with the digit-scaled pen.

    Points are fractions of the canvas side in [0, 1]; a stroke's `width` (fraction of the canvas
    side) is used for eraser strokes only. `pixels` and `ink_box` are those of the underlying
    StrokeRaster, so `preprocessing.pipeline.preprocess` takes this object directly.
    """

    def __init__(self, size_px: int, box_width: float, box: int):
        if not (0 < box_width < box / 2):
            raise ValueError(f"pen width must be in (0, {box / 2}) box pixels, got {box_width!r}")
        self.raster = StrokeRaster(size_px, 1.0)
        self.size_px = self.raster.size_px
        self.box_width = float(box_width)
        self.box = int(box)
        self.pen_fraction: float | None = None
        self._strokes: list[tuple[list[Point], float, bool]] = []
        self._low: Point | None = None
        self._high: Point | None = None

    @property
    def pixels(self):
        return self.raster.pixels

    @property
    def ink_box(self):
        return self.raster.ink_box

    def clear(self) -> None:
        self.raster.clear()
        self._strokes = []
        self._low = self._high = None
        self.pen_fraction = None

    def begin_stroke(self, point: Point, width: float, erase: bool = False) -> None:
        """Start a stroke at `point`; `width` is the eraser's width for an eraser stroke."""
        self._strokes.append(([point], float(width), bool(erase)))
        if erase or not self._grow(point):
            self._draw_piece(point, point, float(width), bool(erase))

    def extend_stroke(self, point: Point) -> None:
        """Continue the last stroke to `point`."""
        if not self._strokes:
            raise ValueError("extend_stroke before begin_stroke")
        points, width, erase = self._strokes[-1]
        previous = points[-1]
        points.append(point)
        if erase or not self._grow(point):
            self._draw_piece(previous, point, width, erase)

    def draw_strokes(self, strokes: Iterable[tuple[Sequence[Point], float, bool]]) -> None:
        """Clear, then draw whole strokes (points, width, erase), as live drawing would have."""
        self.clear()
        for points, width, erase in strokes:
            if not points:
                continue
            self._strokes.append(([tuple(p) for p in points], float(width), bool(erase)))
            if not erase:
                for point in points:
                    self._include(point)
        self._set_pen()
        self._redraw()

    # ------------------------------------------------------------------ internals
    def _include(self, point: Point) -> None:
        x, y = point
        if self._low is None:
            self._low, self._high = (x, y), (x, y)
        else:
            self._low = (min(self._low[0], x), min(self._low[1], y))
            self._high = (max(self._high[0], x), max(self._high[1], y))

    def _set_pen(self) -> bool:
        """Recompute the pen from the ink extent; True when it changed."""
        if self._low is None:
            pen = None
        else:
            extent = max(self._high[0] - self._low[0], self._high[1] - self._low[1])
            pen = input_pen_fraction(extent, self.box_width, self.box)
        changed = pen != self.pen_fraction
        self.pen_fraction = pen
        return changed

    def _grow(self, point: Point) -> bool:
        """Take an ink point into the extent; when the pen changes, redraw all and return True."""
        self._include(point)
        if self._set_pen():
            self._redraw()
            return True
        return False

    def _redraw(self) -> None:
        self.raster.clear()
        if self.pen_fraction is None:
            return  # eraser strokes alone: nothing to draw or to rub out
        for points, width, erase in self._strokes:
            self.raster.draw_pen_stroke(points, self._width_px(width, erase), erase)

    def _draw_piece(self, start: Point, end: Point, width: float, erase: bool) -> None:
        if not erase and self.pen_fraction is None:
            return
        side = self.size_px
        self.raster.add_segment(start[0] * side, start[1] * side, end[0] * side, end[1] * side,
                                width_px=self._width_px(width, erase), erase=erase)

    def _width_px(self, width: float, erase: bool) -> float:
        return (width if erase else self.pen_fraction) * self.size_px
