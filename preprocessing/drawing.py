"""The drawing format: digits as pen strokes, stored as JSON Lines.

One drawing a line::

    {"label": 7, "writer": "w1", "strokes": [[[x, y], ...], ...], "widths": [0.04, null], "erase": [false, true]}

x and y are fractions of a square canvas (x to the right, y down), both in [0, 1]. ``label``,
``writer``, ``widths`` and ``erase`` are optional. A drawing without strokes is valid and means
"no ink". Reading validates everything and reports the first problem as one line naming the file
and the line number.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from model.atomic import atomic_write_text

Point = tuple[float, float]

KNOWN_KEYS = frozenset({"label", "writer", "strokes", "widths", "erase"})


class DrawingFormatError(ValueError):
    """A drawing file (or a Drawing) breaks the format; the message is one line."""


@dataclass
class Drawing:
    """One drawn digit.

    strokes: list of strokes, each a list of (x, y) fractions of the canvas side in [0, 1].
    widths: per-stroke brush width as a fraction of the canvas side (None = the app's default);
        None for the whole list means "all default".
    erase: per-stroke flag, True = eraser stroke; None means "no eraser strokes".
    """

    strokes: list[list[Point]] = field(default_factory=list)
    label: int | None = None
    writer: str | None = None
    widths: list[float | None] | None = None
    erase: list[bool] | None = None

    @property
    def is_empty(self) -> bool:
        return not any(self.strokes)

    def stroke_width(self, index: int) -> float | None:
        return None if self.widths is None else self.widths[index]

    def stroke_erases(self, index: int) -> bool:
        return False if self.erase is None else bool(self.erase[index])

    def to_json(self) -> dict:
        validate_drawing(self)
        record: dict = {}
        if self.label is not None:
            record["label"] = int(self.label)
        if self.writer is not None:
            record["writer"] = self.writer
        record["strokes"] = [[[float(x), float(y)] for x, y in stroke] for stroke in self.strokes]
        if self.widths is not None:
            record["widths"] = [None if w is None else float(w) for w in self.widths]
        if self.erase is not None:
            record["erase"] = [bool(e) for e in self.erase]
        return record

    @classmethod
    def from_json(cls, record: object) -> "Drawing":
        """Build a Drawing from a parsed JSON value; raises ValueError with the problem."""
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, got {_json_type(record)}")
        unknown = sorted(set(record) - KNOWN_KEYS)
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(KNOWN_KEYS))})")
        if "strokes" not in record:
            raise ValueError("missing key 'strokes'")
        drawing = cls(
            strokes=_parse_strokes(record["strokes"]),
            label=record.get("label"),
            writer=record.get("writer"),
            widths=record.get("widths"),
            erase=record.get("erase"),
        )
        validate_drawing(drawing)
        if drawing.widths is not None:
            drawing.widths = [None if w is None else float(w) for w in drawing.widths]
        return drawing


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_PLAIN_NUMBERS = (int, float)


def _parse_strokes(strokes: object) -> list[list[Point]]:
    """Strokes as lists of (x, y) float tuples; ValueError naming the first bad stroke or point."""
    # Fast path for the common, valid case; anything unusual is diagnosed by the careful version.
    try:
        parsed = []
        for stroke in strokes:
            points = []
            for x, y in stroke:
                if type(x) not in _PLAIN_NUMBERS or type(y) not in _PLAIN_NUMBERS \
                        or not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                    raise ValueError
                points.append((float(x), float(y)))
            if type(stroke) not in (list, tuple):
                raise ValueError
            parsed.append(points)
        if type(strokes) not in (list, tuple):
            raise ValueError
        return parsed
    except (TypeError, ValueError):
        return _parse_strokes_carefully(strokes)


def _parse_strokes_carefully(strokes: object) -> list[list[Point]]:
    if not isinstance(strokes, (list, tuple)):
        raise ValueError(f"'strokes' must be a list of strokes, got {_json_type(strokes)}")
    parsed: list[list[Point]] = []
    for s, stroke in enumerate(strokes):
        if not isinstance(stroke, (list, tuple)):
            raise ValueError(f"stroke {s} must be a list of [x, y] points, got {_json_type(stroke)}")
        points: list[Point] = []
        for p, point in enumerate(stroke):
            if not isinstance(point, (list, tuple)) or len(point) != 2:
                raise ValueError(f"stroke {s} point {p} must be [x, y], got {json.dumps(point)[:40]}")
            x, y = point
            for name, value in (("x", x), ("y", y)):
                if not _is_number(value):
                    raise ValueError(f"stroke {s} point {p}: {name} is not a number ({json.dumps(value)[:40]})")
                if not math.isfinite(value):
                    raise ValueError(f"stroke {s} point {p}: {name} is not finite")
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"stroke {s} point {p}: {name}={value} is outside [0, 1]")
            points.append((float(x), float(y)))
        parsed.append(points)
    return parsed


def _check_per_stroke(name: str, values: object, strokes: int) -> None:
    """A per-stroke field must be a list with one entry per stroke."""
    if not isinstance(values, list):
        raise ValueError(f"'{name}' must be a list, got {_json_type(values)}")
    if len(values) != strokes:
        raise ValueError(f"'{name}' has {len(values)} entries for {strokes} strokes")


def validate_drawing(drawing: Drawing) -> None:
    """Raise ValueError naming the first problem of an in-memory Drawing."""
    _parse_strokes(drawing.strokes)
    label = drawing.label
    if label is not None and (not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9):
        raise ValueError(f"label must be an integer 0-9 or absent, got {json.dumps(label)[:40]}")
    if drawing.writer is not None and not isinstance(drawing.writer, str):
        raise ValueError(f"writer must be a string or absent, got {_json_type(drawing.writer)}")
    n = len(drawing.strokes)
    if drawing.widths is not None:
        _check_per_stroke("widths", drawing.widths, n)
        for i, width in enumerate(drawing.widths):
            if width is None:
                continue
            if not _is_number(width) or not math.isfinite(width) or not 0.0 < width <= 1.0:
                raise ValueError(f"widths[{i}] must be a number in (0, 1] or null, got {json.dumps(width)[:40]}")
    if drawing.erase is not None:
        _check_per_stroke("erase", drawing.erase, n)
        for i, flag in enumerate(drawing.erase):
            if not isinstance(flag, bool):
                raise ValueError(f"erase[{i}] must be true or false, got {json.dumps(flag)[:40]}")


def parse_drawing_line(text: str) -> Drawing:
    """Parse one JSON Lines record; raises ValueError with the problem (no file or line)."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    return Drawing.from_json(record)


def read_drawings(path: str | os.PathLike) -> list[Drawing]:
    """Read every drawing of a JSON Lines file; blank lines are skipped.

    Raises DrawingFormatError("<file> line N: <problem>") for the first bad line, or
    DrawingFormatError("<file>: <problem>") when the file cannot be read at all.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DrawingFormatError(f"{path}: no such drawing file") from None
    except IsADirectoryError:
        raise DrawingFormatError(f"{path}: is a folder, not a drawing file") from None
    except OSError as exc:
        raise DrawingFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DrawingFormatError(f"{path} line {line}: not UTF-8 text") from None
    drawings: list[Drawing] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            drawings.append(parse_drawing_line(line))
        except ValueError as exc:
            raise DrawingFormatError(f"{path} line {number}: {exc}") from None
    return drawings


def write_drawings(path: str | os.PathLike, drawings: Iterable[Drawing]) -> None:
    """Write drawings as JSON Lines, atomically (temporary file in the same folder, then replace)."""
    path = Path(path)
    lines = []
    for index, drawing in enumerate(drawings):
        try:
            lines.append(json.dumps(drawing.to_json(), separators=(",", ":")))
        except ValueError as exc:
            raise DrawingFormatError(f"{path}: drawing {index}: {exc}") from None
    try:
        atomic_write_text(path, "".join(line + "\n" for line in lines))
    except OSError as exc:
        raise DrawingFormatError(f"{path}: cannot write ({exc.strerror or exc})") from None
