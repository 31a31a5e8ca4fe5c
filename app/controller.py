"""The headless heart of Digit Pad: pen events in, the network's reading out.

The Tk window and `app.replay` both drive a `DigitPadController` through the same event methods
(`pen_down`, `pen_move`, `pen_up`), so what replay measures is exactly what a person gets. Nothing
here imports Tk.

What the network reads comes from an input source (`app.sources`): today the strokes
(`StrokeSource`), which mirrors the canvas in a `preprocessing.raster.StrokeRaster` (never a screen
grab), updated incrementally as the pen moves, and draws the same strokes a second time with a pen
scaled to the digit for the network (`preprocessing.input_pen`; the weights' `input_pen` setting,
0 = read the canvas as shown), so the brush and the size a person draws at do not change what the
network sees. Strokes are stored as fractions of the canvas side, so a resize or an undo re-renders
them at any pixel size, bit-identical to drawing them live. The controller keeps what is not the
source's: the tools (brush, eraser), the undo history, cell edits of the 28x28 grid, the model.

A picture opened from a file (`open_image`, an `app.sources.ImageSource`) replaces the strokes as
the input until the pen touches the canvas again, which starts over from strokes; the undo history
holds (strokes, picture) pairs, so undo brings the picture back. The window (File > Open image,
`digit-pad --image`) and `app.read` both open pictures here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from app.sources import ImageSource, Stroke, StrokeSource, checked_side
from model.verdict import VerdictRule
from model.weights_io import WeightsError, load_weights
from preprocessing.drawing import Drawing
from preprocessing.input_pen import InputPenRaster
from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings
from preprocessing.raster import (DEFAULT_BRUSH_FRACTION, DEFAULT_CANVAS_PX, MAX_BRUSH_FRACTION,
                                  MIN_BRUSH_FRACTION, StrokeRaster)

__all__ = ["BRUSH_STEP_FACTOR", "DEFAULT_CANVAS_PX", "ERASER_WIDTH_FACTOR", "MAX_BRUSH_FRACTION",
           "MIN_BRUSH_FRACTION", "DigitPadController", "LoadedModel", "Reading", "Stroke", "describe_model",
           "read_weights", "settings_from_metadata"]

#: One press of [ or ] scales the brush by this factor (geometric steps feel even at every size).
BRUSH_STEP_FACTOR = 1.25
#: The eraser is wider than the pen: erasing is coarse work and a thin eraser feels broken.
ERASER_WIDTH_FACTOR = 2.0

#: Undo history depth: bounds memory over a long session (each entry holds references only).
MAX_UNDO_STEPS = 200

#: A cell painted in the grid editor gets this value; erasing sets 0.
GRID_PAINT_VALUE = 1.0


@dataclass(frozen=True)
class Reading:
    """What the network currently sees and thinks.

    input: (28, 28) float32 network input, or None when there is no ink.
    probabilities: (10,) float32, calibrated (the weights' temperature), or None when empty.
    digit / runner_up: most and second most probable digit (None when empty).
    confidence: probability of `digit` (0.0 when empty).
    verdict: 'empty', 'not_digit', 'unsure' or 'sure' (model.verdict.VerdictRule, from the weights).
    stages: pipeline stages name -> array (only when the controller keeps stages).
    source: the input source's name ('canvas' for strokes, 'image' for a picture), 'grid' (edited
    cell by cell) or the name given to `DigitPadController.show_input` ('example' for an MNIST
    example).
    note: what the source adds ('several digits' for a picture of more than one), or None.
    """

    input: np.ndarray | None
    probabilities: np.ndarray | None
    digit: int | None
    runner_up: int | None
    confidence: float
    verdict: str
    stages: Mapping[str, np.ndarray] = field(default_factory=dict)
    source: str = "canvas"
    note: str | None = None

    @property
    def message(self) -> str:
        """The plain sentence a person reads, e.g. 'Draw a digit' or 'Not sure: 4 or 9?'."""
        several = self.note == "several digits"
        if self.verdict == "empty":
            return "No ink found in the picture" if self.source == "image" else "Draw a digit"
        if self.verdict == "not_digit":
            return "Several digits; the largest doesn't look like one" if several \
                else "That doesn't look like a digit"
        if self.verdict == "unsure":
            return f"Several digits; the largest: {self.digit} or {self.runner_up}?" if several \
                else f"Not sure: {self.digit} or {self.runner_up}?"
        article = "an" if self.digit == 8 else "a"
        if several:
            return f"Several digits; the largest is {article} {self.digit}"
        return f"It's {article} {self.digit}"

    @property
    def title(self) -> str:
        """The window title: 'Digit Pad - 7 (98 %)', 'Digit Pad - 4 or 9? (52 %)',
        'Digit Pad - not a digit', 'Digit Pad'."""
        if self.verdict == "empty":
            return "Digit Pad"
        if self.verdict == "not_digit":
            return "Digit Pad - not a digit"
        percent = round(self.confidence * 100)
        if self.verdict == "unsure":
            return f"Digit Pad - {self.digit} or {self.runner_up}? ({percent} %)"
        return f"Digit Pad - {self.digit} ({percent} %)"


def settings_from_metadata(metadata: Mapping[str, Any] | None, source: str = "weights") -> PipelineSettings:
    """The pipeline settings the model was trained with (DEFAULT_SETTINGS when not recorded)."""
    recorded = (metadata or {}).get("preprocessing")
    if not recorded:
        return DEFAULT_SETTINGS
    try:
        return PipelineSettings.from_dict(recorded)
    except (TypeError, ValueError, KeyError) as exc:
        raise WeightsError(f"{source}: bad preprocessing settings in metadata: {exc}") from None


@dataclass(frozen=True)
class LoadedModel:
    """A network read from a file and checked to run: model, its metadata, its pipeline settings
    and its verdict rule (calibration and thresholds)."""

    model: Any
    metadata: Mapping[str, Any]
    settings: PipelineSettings
    rule: VerdictRule = VerdictRule()


def read_weights(path: str | Path) -> LoadedModel:
    """Load a weights file and check that its network runs (WeightsError names the file otherwise).

    Touches no controller, so a background thread may call it while the window keeps drawing.
    """
    model, metadata = load_weights(path)
    settings = settings_from_metadata(metadata, str(path))
    try:
        probabilities = np.asarray(model.predict_proba(np.zeros((28, 28), np.float32)))
    except Exception as exc:  # a file that loads but cannot run must not replace a working model
        raise WeightsError(f"{path}: the network cannot run: {exc}") from None
    if probabilities.shape != (10,):
        raise WeightsError(f"{path}: the network gives shape {probabilities.shape}, expected (10,)")
    return LoadedModel(model, metadata, settings, rule_from_metadata(metadata, str(path)))


def rule_from_metadata(metadata: Mapping[str, Any] | None, source: str = "weights") -> VerdictRule:
    """The verdict rule the weights record (today's sure/unsure rule when they record none)."""
    try:
        return VerdictRule.from_metadata(dict(metadata or {}))
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{source}: bad verdict or calibration in metadata: {exc}") from None


_ACTIVATION_NAMES = {"relu": "ReLU"}


def describe_model(metadata: Mapping[str, Any] | None) -> str:
    """One line: architecture, MNIST test accuracy, training date."""
    metadata = metadata or {}
    sizes = metadata.get("layer_sizes")
    parts = ["MLP " + "-".join(str(s) for s in sizes) if sizes else "MLP"]
    activation = metadata.get("activation")
    extras = [_ACTIVATION_NAMES.get(str(activation), str(activation)) if activation else None]
    if metadata.get("batch_norm"):
        extras.append("batch norm")
    if metadata.get("dropout"):
        extras.append(f"dropout {metadata['dropout']:g}")
    extras = [e for e in extras if e]
    if extras:
        parts[0] += f" ({', '.join(extras)})"
    accuracy = (metadata.get("results") or {}).get("mnist_test_accuracy")
    if isinstance(accuracy, (int, float)):
        # Stored either as a fraction or as a percentage; show a percentage either way.
        percent = accuracy * 100 if accuracy <= 1 else accuracy
        parts.append(f"MNIST test accuracy {percent:.2f} %")
    created = metadata.get("created")
    if created:
        parts.append(f"trained {str(created)[:10]}")
    return ", ".join(parts)


class DigitPadController:
    """Strokes in, a `Reading` out. Headless; shared by the window and replay.

    Coordinates given to the event methods are canvas pixels (floats, (0, 0) top-left); points
    outside the canvas are clamped to its edge. `dirty` is True whenever something changed since
    the last `reading()`, so a window can recompute at most once per frame.
    """

    def __init__(self, model: Any, settings: PipelineSettings | None = None, *,
                 metadata: Mapping[str, Any] | None = None,
                 canvas_px: int = DEFAULT_CANVAS_PX,
                 brush_fraction: float = DEFAULT_BRUSH_FRACTION,
                 keep_stages: bool = False) -> None:
        self.model = model
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.settings = settings if settings is not None else settings_from_metadata(self.metadata)
        self.rule = rule_from_metadata(self.metadata)
        self.brush_fraction = self._checked_brush(brush_fraction)
        self.eraser = False
        self.keep_stages = bool(keep_stages)
        self.pen_source = StrokeSource(checked_side(canvas_px), self.settings)
        #: The picture being read instead of the strokes (File > Open image), or None.
        self.image: ImageSource | None = None
        # Undo steps: (strokes, picture) as `_snapshot` makes them.
        self._undo: list[tuple[list[Stroke], ImageSource | None]] = []
        self._redo: list[tuple[list[Stroke], ImageSource | None]] = []
        self._before_stroke: tuple[list[Stroke], ImageSource | None] | None = None
        self._grid: np.ndarray | None = None
        self._grid_source = "grid"
        self._reading: Reading | None = None
        self._canvas_cache: Reading | None = None
        self.dirty = True

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_weights(cls, path: str | Path, **kwargs: Any) -> "DigitPadController":
        """A controller for the weights file at `path` (raises WeightsError for a bad file)."""
        loaded = read_weights(path)
        return cls(loaded.model, loaded.settings, metadata=loaded.metadata, **kwargs)

    # ------------------------------------------------------------------ the stroke source
    @property
    def strokes(self) -> list[Stroke]:
        """The finished strokes."""
        return self.pen_source.strokes

    @property
    def canvas_px(self) -> int:
        return self.pen_source.canvas_px

    @property
    def raster(self) -> StrokeRaster:
        """The canvas as the person sees it, (canvas_px, canvas_px)."""
        return self.pen_source.raster

    @property
    def input_raster(self) -> InputPenRaster | None:
        """The strokes as the network reads them (None when the weights read the canvas as drawn)."""
        return self.pen_source.input_raster

    # ------------------------------------------------------------------ pen events
    @property
    def drawing_active(self) -> bool:
        return self.pen_source.drawing

    def pen_down(self, x: float, y: float, erase: bool | None = None) -> None:
        """Start a stroke at canvas pixel (x, y). erase=None uses the eraser tool's state."""
        self._finish_active()
        erase = self.eraser if erase is None else bool(erase)
        width = self.brush_fraction * (ERASER_WIDTH_FACTOR if erase else 1.0)
        self._grid = None
        # Drawing over a picture starts over from strokes; one undo brings the picture back.
        self._before_stroke = self._snapshot()
        if self.image is not None:
            self.image = None
            self.pen_source.replace([])
        self.pen_source.begin(self._fraction(x, y), width, erase)
        self._changed()

    def pen_move(self, x: float, y: float) -> None:
        """Continue the current stroke to canvas pixel (x, y); ignored when the pen is up."""
        if self.pen_source.drawing and self.pen_source.extend(self._fraction(x, y)):
            self._changed()

    def pen_up(self) -> None:
        """Finish the current stroke (it becomes one undoable step)."""
        before = self._before_stroke or self._snapshot()
        if self.pen_source.end() is not None:
            self._push_undo(before)
        self._before_stroke = None

    # ------------------------------------------------------------------ editing
    def clear(self) -> None:
        """Remove all strokes (undoable) and any grid edits."""
        self._finish_active()
        if not self._set_aside_drawing() and self._grid is None:
            return
        self._grid = None
        self._changed()

    def undo(self) -> bool:
        """Step back one stroke (or a clear). False when there is nothing to undo."""
        self._finish_active()
        if not self._undo:
            return False
        self._redo.append(self._snapshot())
        self._restore(self._undo.pop())
        return True

    def redo(self) -> bool:
        """Re-apply the last undone step. False when there is nothing to redo."""
        self._finish_active()
        if not self._redo:
            return False
        self._undo.append(self._snapshot())
        self._restore(self._redo.pop())
        return True

    def forget_history(self) -> None:
        """Drop the undo and redo steps (what they hold, pictures included, can then be freed)."""
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def set_eraser(self, on: bool) -> None:
        """Make the next left-button strokes erase (True) or draw (False)."""
        self.eraser = bool(on)

    def set_brush(self, fraction: float) -> float:
        """Set the brush width as a fraction of the canvas side, clamped to the limits."""
        self.brush_fraction = self._checked_brush(fraction)
        return self.brush_fraction

    def brush_bigger(self) -> float:
        return self.set_brush(min(self.brush_fraction * BRUSH_STEP_FACTOR, MAX_BRUSH_FRACTION))

    def brush_smaller(self) -> float:
        return self.set_brush(max(self.brush_fraction / BRUSH_STEP_FACTOR, MIN_BRUSH_FRACTION))

    @property
    def brush_px(self) -> float:
        return self.brush_fraction * self.canvas_px

    def edit_cell(self, row: int, col: int, value: float = GRID_PAINT_VALUE) -> bool:
        """Set one cell of the 28x28 network input; the prediction follows the edited input.

        The edit starts from the canvas's current input (or a blank field); the next canvas edit
        (a stroke, clear, undo, redo, load) returns to the canvas's own input. Returns True when
        the cell changed.
        """
        if not (0 <= row < 28 and 0 <= col < 28):
            raise IndexError(f"cell ({row}, {col}) is outside the 28x28 grid")
        value = float(min(max(value, 0.0), 1.0))
        if self._grid is None:
            canvas_input = self._canvas_reading().input
            self._grid = np.zeros((28, 28), np.float32) if canvas_input is None else canvas_input.copy()
            self._grid_source = "grid"
            self._changed(canvas=False)
        if self._grid[row, col] == np.float32(value):
            return False
        self._grid[row, col] = value
        self._changed(canvas=False)
        return True

    def show_input(self, image: np.ndarray, source: str = "example") -> None:
        """Make a ready network input, image (28, 28) in [0, 1] (an MNIST example), what the
        network reads; `Reading.source` names it `source`. The canvas is cleared (undoable: undo
        brings the strokes back and the canvas takes over again); cell edits then edit it."""
        image = np.asarray(image, np.float32)
        if image.shape != (28, 28) or not np.all(np.isfinite(image)):
            raise ValueError(f"a network input must be a finite (28, 28) array, got shape {image.shape}")
        self._finish_active()
        self._set_aside_drawing()
        self._grid = np.clip(image, 0.0, 1.0)
        self._grid_source = str(source)
        self._changed()

    def _set_aside_drawing(self) -> bool:
        """The strokes and the picture leave the input as one undo step -> whether there were any."""
        if not self.strokes and self.image is None:
            return False
        self._push_undo(self._snapshot())
        self.pen_source.replace([])
        self.image = None
        return True

    def resize(self, canvas_px: int) -> None:
        """Change the canvas side; strokes are re-rendered from their fractional coordinates."""
        if self.pen_source.resize(canvas_px):
            self._changed()

    # ------------------------------------------------------------------ drawings
    def load_drawing(self, drawing: Drawing) -> None:
        """Replace the canvas by `drawing` (undoable). Strokes without a width get the current brush."""
        self._finish_active()
        widths = drawing.widths or [None] * len(drawing.strokes)
        erase = drawing.erase or [False] * len(drawing.strokes)
        strokes = []
        for points, width, erasing in zip(drawing.strokes, widths, erase):
            if not points:
                continue
            base = self.brush_fraction * (ERASER_WIDTH_FACTOR if erasing else 1.0)
            strokes.append(Stroke(tuple((float(x), float(y)) for x, y in points),
                                  float(width) if width is not None else base, bool(erasing)))
        self._push_undo(self._snapshot())
        self.image = None
        self._show_strokes(strokes)

    def open_image(self, source, *, label: str | None = None) -> Reading:
        """Make a picture (a path or a PIL image) the input (undoable) and return its reading.

        Raises preprocessing.pipeline.ImageError (one line naming the file) and changes nothing
        when the picture cannot be read.
        """
        image = source if isinstance(source, ImageSource) else ImageSource(source, label=label)
        self._finish_active()
        self._push_undo(self._snapshot())
        self.image = image
        self._show_strokes([])
        return self.reading()

    @property
    def source(self):
        """The input the network reads: the picture when one is open, else the strokes."""
        return self.image if self.image is not None else self.pen_source

    def to_drawing(self, label: int | None = None, writer: str | None = None) -> Drawing:
        """The current strokes in the drawing format, with per-stroke widths and erase flags."""
        strokes = self.pen_source.all_strokes()
        return Drawing(strokes=[[tuple(p) for p in s.points] for s in strokes], label=label, writer=writer,
                       widths=[s.width for s in strokes], erase=[s.erase for s in strokes])

    # ------------------------------------------------------------------ model
    def use_model(self, loaded: LoadedModel) -> str:
        """Swap in a model from `read_weights`; returns its description."""
        self.model, self.metadata, self.rule = loaded.model, dict(loaded.metadata), loaded.rule
        self._use_settings(loaded.settings)
        return describe_model(self.metadata)

    def describe_model(self) -> str:
        return describe_model(self.metadata)

    # ------------------------------------------------------------------ reading
    def set_keep_stages(self, keep: bool) -> None:
        """Compute the pipeline's intermediate stages (for the stage view) or not (faster)."""
        if bool(keep) != self.keep_stages:
            self.keep_stages = bool(keep)
            self._changed()

    def reading(self) -> Reading:
        """The current reading; recomputed only when something changed (clears `dirty`)."""
        if self._reading is None or self.dirty:
            canvas = self._canvas_reading()
            if self._grid is not None:
                self._reading = self._read_input(self._grid.copy(), canvas.stages, self._grid_source)
            else:
                self._reading = canvas
            self.dirty = False
        return self._reading

    # ------------------------------------------------------------------ internals
    def _canvas_reading(self) -> Reading:
        """The reading of the canvas's own input (cached until the raster, model or settings change)."""
        if self._canvas_cache is None:
            source = self.source
            result = source.read(self.settings, self.keep_stages)
            stages = dict(result.stages) if self.keep_stages else {}
            image = None if result.empty or result.image is None else result.image
            self._canvas_cache = self._read_input(image, stages, source.name, source.note)
        return self._canvas_cache

    def _read_input(self, image: np.ndarray | None, stages: Mapping[str, np.ndarray], source: str,
                    note: str | None = None) -> Reading:
        if image is None or not np.any(image > 0):
            return Reading(None, None, None, None, 0.0, "empty", stages, source, note)
        image = np.asarray(image, np.float32)
        logits = self.model.forward(image.reshape(1, 784), training=False)
        probabilities = self.rule.digit_probabilities(logits)[0].astype(np.float32)
        digits, runners_up, confidences, verdicts = self.rule.judge(logits)
        return Reading(image, probabilities, int(digits[0]), int(runners_up[0]), float(confidences[0]),
                       str(verdicts[0]), stages, source, note)

    def _use_settings(self, settings: PipelineSettings) -> None:
        """Adopt new pipeline settings; the network's raster is drawn again if its pen changed."""
        self.settings = settings
        self.pen_source.use_settings(settings)
        self._changed()

    def _checked_brush(self, fraction: float) -> float:
        fraction = float(fraction)
        if not np.isfinite(fraction) or fraction <= 0:
            raise ValueError(f"brush fraction must be a positive number, got {fraction}")
        return min(max(fraction, MIN_BRUSH_FRACTION), MAX_BRUSH_FRACTION)

    def _fraction(self, x: float, y: float) -> tuple[float, float]:
        side = float(self.canvas_px)
        return (min(max(float(x) / side, 0.0), 1.0), min(max(float(y) / side, 0.0), 1.0))

    def _finish_active(self) -> None:
        if self.pen_source.drawing:
            self.pen_up()

    def _snapshot(self) -> tuple[list[Stroke], ImageSource | None]:
        """The input as it is now, as an undo step: (the strokes list, the picture or None)."""
        return (self.pen_source.strokes, self.image)

    def _restore(self, state: tuple[list[Stroke], ImageSource | None]) -> None:
        strokes, image = state
        self.image = image
        self._show_strokes(strokes)

    def _push_undo(self, state: tuple[list[Stroke], ImageSource | None]) -> None:
        """Remember `state` (from `_snapshot` before a change) as one undo step."""
        self._undo.append(state)
        del self._undo[:-MAX_UNDO_STEPS]
        self._redo.clear()

    def _show_strokes(self, strokes: list[Stroke]) -> None:
        """Make `strokes` the canvas (undo, redo, open); the canvas's own input takes over again."""
        self.pen_source.replace(strokes)
        self._grid = None
        self._changed()

    def _changed(self, canvas: bool = True) -> None:
        """Mark the reading stale; canvas=False when only the grid edits changed."""
        self.dirty = True
        self._reading = None
        if canvas:
            self._canvas_cache = None
