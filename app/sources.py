"""Input sources: what a person gives the app, turned into what the network's pipeline reads.

The controller reads its active source (`DigitPadController.source`) and judges the result; the
source decides how its input becomes the 28x28 network input and which pipeline stages it shows.
There are two kinds: `StrokeSource`, the pen and eraser strokes on the canvas, and `ImageSource`,
a picture opened from a file (`preprocessing.image_input`). Nothing here imports Tk.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from preprocessing.image_input import WORK_SIDE, read_grey, reduce_picture
from preprocessing.input_pen import InputPenRaster
from preprocessing.pipeline import PipelineResult, PipelineSettings, load_luminance, preprocess
from preprocessing.raster import StrokeRaster

Point = tuple[float, float]


class InputSource(Protocol):
    """Something the network can read: `read` gives its network input through the pipeline."""

    #: Shown as `Reading.source` (and in the state file): 'canvas' for strokes, 'image' for a picture.
    name: str
    #: Something the reading should say besides the digit ('several digits'), or None.
    note: str | None

    def read(self, settings: PipelineSettings, keep_stages: bool) -> PipelineResult:
        """The pipeline's result for the current input (image None or empty when there is no ink)."""


@dataclass(frozen=True)
class Stroke:
    """One pen or eraser stroke, resolution-independent.

    points: tuple of (x, y) fractions of the canvas side in [0, 1]; width: brush width as a
    fraction of the canvas side; erase: True for an eraser stroke.
    """

    points: tuple[Point, ...]
    width: float
    erase: bool = False


def checked_side(canvas_px: int) -> int:
    """The canvas side as an int; ValueError below the 28 pixels of the network's input."""
    canvas_px = int(canvas_px)
    if canvas_px < 28:
        raise ValueError(f"canvas_px must be at least 28, got {canvas_px}")
    return canvas_px


class StrokeSource:
    """The person's strokes, drawn twice: as shown on the canvas and as the network reads them.

    raster: (canvas_px, canvas_px) StrokeRaster with the person's brush, as the canvas shows it;
    input_raster: the same strokes drawn with the pen scaled to the digit (InputPenRaster), or None
    when the settings' `input_pen` is 0 (the network reads the canvas as drawn).
    strokes: the finished strokes (a list that is replaced, never changed in place, so a caller
    may keep the old list as an undo step). Raster coordinates are always computed from the stored
    fractions, so a stroke drawn live and the same stroke drawn again give bit-identical rasters.
    """

    name = "canvas"
    note = None

    def __init__(self, canvas_px: int, settings: PipelineSettings) -> None:
        self.canvas_px = checked_side(canvas_px)
        self.strokes: list[Stroke] = []
        self._pen = (settings.input_pen, settings.box)
        self._active: list[Point] | None = None
        self._active_width = 0.0
        self._active_erase = False
        self.raster = StrokeRaster(self.canvas_px)
        self.input_raster = self._new_input_raster()

    # ------------------------------------------------------------------ the stroke being drawn
    @property
    def drawing(self) -> bool:
        """True between `begin` and `end`."""
        return self._active is not None

    def begin(self, point: Point, width: float, erase: bool) -> None:
        """Start a stroke at `point` (canvas fractions) with `width` (fraction of the side)."""
        self._active, self._active_width, self._active_erase = [point], float(width), bool(erase)
        px, py = self._pixels(point)
        self.raster.add_dot(px, py, width_px=self._active_width * self.canvas_px, erase=self._active_erase)
        if self.input_raster is not None:
            self.input_raster.begin_stroke(point, self._active_width, self._active_erase)

    def extend(self, point: Point) -> bool:
        """Continue the stroke to `point`; False (nothing drawn) when the pen is up or did not move."""
        if self._active is None or point == self._active[-1]:
            return False
        last = self._active[-1]
        self._active.append(point)
        x0, y0 = self._pixels(last)
        x1, y1 = self._pixels(point)
        self.raster.add_segment(x0, y0, x1, y1, width_px=self._active_width * self.canvas_px,
                                erase=self._active_erase)
        if self.input_raster is not None:
            self.input_raster.extend_stroke(point)
        return True

    def end(self) -> Stroke | None:
        """Finish the stroke: it joins `strokes` (a new list) and is returned; None when none was begun."""
        stroke = self._active_stroke()
        if stroke is not None:
            self._active = None
            self.strokes = self.strokes + [stroke]
        return stroke

    def all_strokes(self) -> list[Stroke]:
        """The finished strokes and the one being drawn, if any."""
        active = self._active_stroke()
        return self.strokes + [active] if active is not None else list(self.strokes)

    # ------------------------------------------------------------------ changes that redraw
    def replace(self, strokes: Sequence[Stroke]) -> None:
        """Make `strokes` the finished strokes (undo, redo, clear, open) and draw everything again."""
        self.strokes = list(strokes)
        self._redraw()

    def resize(self, canvas_px: int) -> bool:
        """Change the canvas side and draw the strokes again at it; False when the side is unchanged."""
        canvas_px = checked_side(canvas_px)
        if canvas_px == self.canvas_px:
            return False
        self.canvas_px = canvas_px
        self.raster = StrokeRaster(canvas_px)
        self.input_raster = self._new_input_raster()
        self._redraw()
        return True

    def use_settings(self, settings: PipelineSettings) -> bool:
        """Follow new pipeline settings; the network's raster is drawn again (True) if its pen changed."""
        pen = (settings.input_pen, settings.box)
        if pen == self._pen:
            return False
        self._pen = pen
        self.input_raster = self._new_input_raster()
        self._redraw()
        return True

    # ------------------------------------------------------------------ reading
    def read(self, settings: PipelineSettings, keep_stages: bool) -> PipelineResult:
        # The raster itself (not its pixels): its running ink box spares the pipeline a full scan.
        source = self.raster if self.input_raster is None else self.input_raster
        return preprocess(source, settings, keep_stages=keep_stages)

    # ------------------------------------------------------------------ internals
    def _active_stroke(self) -> Stroke | None:
        if self._active is None:
            return None
        return Stroke(tuple(self._active), self._active_width, self._active_erase)

    def _new_input_raster(self) -> InputPenRaster | None:
        input_pen, box = self._pen
        return InputPenRaster(self.canvas_px, input_pen, box) if input_pen > 0 else None

    def _pixels(self, point: Point) -> Point:
        return point[0] * self.canvas_px, point[1] * self.canvas_px

    def _redraw(self) -> None:
        """Draw every stroke again on blank rasters, exactly as the pen events drew them."""
        strokes = self.all_strokes()
        self.raster.clear()
        if self.input_raster is not None:
            self.input_raster.draw_strokes((s.points, s.width, s.erase) for s in strokes)
        for stroke in strokes:
            self.raster.draw_pen_stroke(stroke.points, stroke.width * self.canvas_px, stroke.erase)


class ImageSource:
    """A picture opened from a file (or given as a PIL image), read by `preprocessing.image_input`.

    picture: (h, w) float32 brightness in [0, 1] (1 = white), reduced so its larger side is at
    most `image_input.WORK_SIDE` (what the canvas shows and the reading starts from; a 12-megapixel
    photo is not kept whole). label: the file's name for messages. note: 'several digits' when the
    picture holds more than one digit (the largest is read), after the first `read`.
    The result is cached per settings and stage keeping, so reading again costs nothing.
    """

    name = "image"

    def __init__(self, source, *, label: str | None = None) -> None:
        """source: a path or a PIL image; raises pipeline.ImageError (one line naming it)."""
        if isinstance(source, (str, os.PathLike)):
            label = label or Path(source).name
        grey = load_luminance(source, name=label, draft_side=WORK_SIDE)
        self.picture = reduce_picture(grey)
        self.label = label or "<image>"
        self.note: str | None = None
        self.digits = 0
        self._cache: tuple[tuple, PipelineResult] | None = None

    def read(self, settings: PipelineSettings, keep_stages: bool) -> PipelineResult:
        key = (settings, bool(keep_stages))
        if self._cache is None or self._cache[0] != key:
            reading = read_grey(self.picture, settings, keep_stages)
            self.note, self.digits = reading.ink.note, reading.ink.digits
            self._cache = (key, reading.result)
        return self._cache[1]

    def shown(self) -> np.ndarray:
        """(h, w) uint8 greyscale of the picture as opened, for the canvas."""
        return np.clip(np.rint(self.picture * 255), 0, 255).astype(np.uint8)
