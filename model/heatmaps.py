"""Pixel pictures for the "see inside" views: colour maps and grids of units as uint8 RGB arrays.

Every function returns a NumPy uint8 array of shape (..., 3) that a panel shows with
``PIL.Image.fromarray`` (and ``ImageTk.PhotoImage``); none draws text (legends are in
``model.plots``). All are cheap enough to run on every pen event: a 768-unit layer at 8 px a cell
takes well under a millisecond.

Colours: signed maps are white at zero and deepen toward one colour for positive values and
another for negative ones, scaled symmetrically (the same |value| gives the same depth on both
sides). Evidence is blue toward the digit explained and orange toward the digit it is compared
with; weights are green where ink excites the unit and purple where it inhibits it. Activations (never
negative after ReLU) use a dark-to-bright "magma"-like map.
"""
from __future__ import annotations

import numpy as np

WHITE = (255, 255, 255)
#: Evidence: blue pushes the reading toward the digit explained, orange toward the other digit.
EVIDENCE_TOWARD = (33, 102, 172)
EVIDENCE_AGAINST = (230, 97, 1)
#: Incoming weights: green where ink raises the unit, purple where it lowers it.
WEIGHT_POSITIVE = (27, 120, 55)
WEIGHT_NEGATIVE = (118, 42, 131)
#: Outlines of the strongest units on the (dark) activation grid, in the evidence's hues but light
#: enough to stand out: sky blue toward the digit explained, amber toward the other one.
HIGHLIGHT_TOWARD = (86, 180, 233)
HIGHLIGHT_AGAINST = (240, 170, 0)
#: Grid cells past the last unit (a layer whose size does not fill the rectangle).
EMPTY_CELL = (128, 128, 128)

# Anchors of the activation map, dark (0) to bright (1), after the "magma" map of Smith and van der Walt.
_SEQUENTIAL_ANCHORS = np.array([(0, 0, 4), (81, 18, 124), (183, 55, 121), (252, 137, 97), (252, 253, 191)],
                               dtype=np.float64)
_LUT_SIZE = 256


def _sequential_lut() -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(_SEQUENTIAL_ANCHORS))
    t = np.linspace(0.0, 1.0, _LUT_SIZE)
    return np.stack([np.interp(t, positions, _SEQUENTIAL_ANCHORS[:, c]) for c in range(3)], axis=1
                    ).round().astype(np.uint8)


SEQUENTIAL_LUT = _sequential_lut()  # (256, 3) uint8


def symmetric_scale(values: np.ndarray, percentile: float = 100.0) -> float:
    """The full-colour level: the largest |value| (0.0 for an empty or all-zero array), or with
    ``percentile`` < 100 that percentile of the non-zero |values|, so that a few extreme pixels do
    not wash the rest out (they are clipped to full colour instead)."""
    magnitudes = np.abs(np.asarray(values, dtype=np.float64)).reshape(-1)
    if percentile < 100:
        magnitudes = magnitudes[magnitudes > 0]
    if not magnitudes.size:
        return 0.0
    return float(magnitudes.max() if percentile >= 100 else np.percentile(magnitudes, percentile))


def _unit_interval(values: np.ndarray, scale: float | None) -> np.ndarray:
    """values / scale clipped to [-1, 1] as float32; all zeros when the scale is zero or less."""
    values = np.asarray(values, dtype=np.float32)
    scale = symmetric_scale(values) if scale is None else float(scale)
    if not scale > 0 or not np.isfinite(scale):
        return np.zeros(values.shape, np.float32)
    return np.clip(values / np.float32(scale), -1.0, 1.0)


def _mix(base: np.ndarray, t: np.ndarray, positive, negative) -> np.ndarray:
    """base (..., 3) float32 moved toward ``positive`` by t > 0 and ``negative`` by -t."""
    target = np.where((t > 0)[..., None], np.float32(positive), np.float32(negative))
    out = base + np.abs(t)[..., None] * (target - base)
    return np.rint(out).astype(np.uint8)


def diverging_rgb(values: np.ndarray, scale: float | None = None, *, positive=EVIDENCE_TOWARD,
                  negative=EVIDENCE_AGAINST) -> np.ndarray:
    """values (...) -> (..., 3) uint8: white at 0, ``positive`` at +scale, ``negative`` at -scale.

    scale: the |value| shown at full colour (default: the largest |value|); larger values are
    clipped. A zero scale gives white everywhere.
    """
    t = _unit_interval(values, scale)
    base = np.full(t.shape + (3,), 255.0, np.float32)
    return _mix(base, t, positive, negative)


def evidence_rgb(evidence: np.ndarray, scale: float | None = None, ink: np.ndarray | None = None,
                 *, ink_shade: float = 0.3) -> np.ndarray:
    """evidence (28, 28) -> (28, 28, 3) uint8: blue toward the digit explained, orange toward the
    other, white for none.

    ink (28, 28) in [0, 1], optional: the input itself, drawn as a light grey digit under the
    colours (``ink_shade`` = how grey full ink is) so strokes with little evidence stay visible.
    """
    t = _unit_interval(evidence, scale)
    base = np.full(t.shape + (3,), 255.0, np.float32)
    if ink is not None:
        ink = np.clip(np.asarray(ink, np.float32), 0.0, 1.0)
        if ink.shape != t.shape:
            raise ValueError(f"ink has shape {ink.shape}, the evidence {t.shape}")
        base *= (1.0 - np.float32(ink_shade) * ink)[..., None]
    return _mix(base, t, EVIDENCE_TOWARD, EVIDENCE_AGAINST)


def weights_rgb(pattern: np.ndarray, scale: float | None = None) -> np.ndarray:
    """A unit's input pattern (28, 28) -> (28, 28, 3) uint8: green excites, purple inhibits."""
    return diverging_rgb(pattern, scale, positive=WEIGHT_POSITIVE, negative=WEIGHT_NEGATIVE)


def sequential_rgb(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """values >= 0 (...) -> (..., 3) uint8 on the dark-to-bright map; 0 is darkest, ``scale``
    (default: the largest value) and above brightest."""
    t = np.clip(_unit_interval(values, scale), 0.0, 1.0)
    return SEQUENTIAL_LUT[np.rint(t * (_LUT_SIZE - 1)).astype(np.intp)]


# ------------------------------------------------------------------------ grids of units
def grid_shape(n: int, aspect: float = 4 / 3) -> tuple[int, int]:
    """(rows, columns) for n units laid out about ``aspect`` times wider than tall: among column
    counts within a third of the ideal, the one leaving fewest empty cells, then the nearest to
    the ideal, then the wider (768 -> (24, 32), 256 -> (16, 16), 7 -> (2, 4))."""
    if n < 1:
        raise ValueError(f"a grid needs at least one unit, got {n}")
    ideal = np.sqrt(n * aspect)
    candidates = range(max(1, int(ideal * 0.75)), max(2, int(np.ceil(ideal * 1.34))) + 1)
    columns = min(candidates, key=lambda c: (-(-n // c) * c - n, abs(c - ideal), -c))
    return -(-n // columns), columns


def activation_grid(values: np.ndarray, columns: int | None = None, scale: float | None = None) -> np.ndarray:
    """A layer's activations (n,) -> (rows, columns, 3) uint8, one pixel per unit, row by row
    (unit i at row i // columns, column i % columns); cells past the last unit are grey.
    columns=n gives a one-row heat strip; default ``grid_shape(n)``."""
    values = np.asarray(values).reshape(-1)
    n = values.size
    columns = grid_shape(n)[1] if columns is None else int(columns)
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    rows = -(-n // columns)
    cells = np.empty((rows * columns, 3), np.uint8)
    cells[:n] = sequential_rgb(values, scale)
    cells[n:] = EMPTY_CELL
    return cells.reshape(rows, columns, 3)


def unit_cell(index: int, columns: int) -> tuple[int, int]:
    """(row, column) of unit ``index`` in a grid of ``columns``."""
    return divmod(int(index), int(columns))


def unit_at(x: float, y: float, n: int, columns: int, cell_px: int) -> int | None:
    """The unit under pixel (x, y) of a grid enlarged to ``cell_px`` per cell (hover and click),
    or None off the grid or past the last unit."""
    if x < 0 or y < 0:
        return None
    row, column = int(y // cell_px), int(x // cell_px)
    index = row * columns + column
    return index if column < columns and index < n else None


def enlarge(rgb: np.ndarray, cell_px: int) -> np.ndarray:
    """(rows, cols, 3) -> (rows * cell_px, cols * cell_px, 3): each pixel a cell_px square."""
    if cell_px < 1:
        raise ValueError(f"cell_px must be at least 1, got {cell_px}")
    # Widen first, then repeat whole rows: copying contiguous rows is five times faster than the
    # other order for a 768-unit grid.
    return np.repeat(np.repeat(rgb, cell_px, axis=1), cell_px, axis=0)


def outline_cells(picture: np.ndarray, indices, columns: int, cell_px: int, colour, width: int = 1) -> np.ndarray:
    """Draw a ``width``-pixel frame in ``colour`` inside the cells of the given units of an
    enlarged grid (changes ``picture`` in place and returns it)."""
    width = max(1, min(int(width), cell_px // 2 or 1))
    for index in indices:
        row, column = unit_cell(index, columns)
        top, left = row * cell_px, column * cell_px
        cell = picture[top:top + cell_px, left:left + cell_px]
        cell[:width] = colour
        cell[-width:] = colour
        cell[:, :width] = colour
        cell[:, -width:] = colour
    return picture


def layer_picture(activations: np.ndarray, *, scale: float | None = None, toward=(), against=(),
                  columns: int | None = None, cell_px: int = 8) -> np.ndarray:
    """The network view of one hidden layer: its activations (n,) as a grid of cell_px squares
    (rows * cell_px, columns * cell_px, 3), the units in ``toward`` framed sky blue and those in
    ``against`` amber (see ``Explanation.strongest_units``)."""
    values = np.asarray(activations).reshape(-1)
    columns = grid_shape(values.size)[1] if columns is None else int(columns)
    picture = enlarge(activation_grid(values, columns, scale), cell_px)
    outline_cells(picture, toward, columns, cell_px, HIGHLIGHT_TOWARD, max(1, cell_px // 4))
    outline_cells(picture, against, columns, cell_px, HIGHLIGHT_AGAINST, max(1, cell_px // 4))
    return picture
