"""The drawing format: digits as pen strokes, stored as JSON Lines.

One drawing a line::

    {"label": 7, "writer": "w1", "strokes": [[[x, y], ...], ...], "widths": [0.04, null], "erase": [false, true]}

x and y are fractions of a square canvas (x to the right, y down), both in [0, 1]. ``label``,
``writer``, ``widths`` and ``erase`` are optional. A drawing without strokes is valid and means
"no ink". Widths are in (0, 1]; a width below `MIN_STROKE_WIDTH` (a ten-thousandth of the canvas,
invisible at any size) is read as that minimum, so a width such as 5e-324 cannot reach the app.
A drawing has at most `MAX_STROKES` strokes.

Reading (`iter_drawings`, `read_drawings`) validates everything and reports the first problem as
one line naming the file and the line number. It is bounded whatever the file holds: the file is
read as a stream, one line at a time; lines end at "\n" only (a U+2028 inside a string is text);
a line may hold at most `MAX_DRAWING_LINE_BYTES` bytes and `MAX_DRAWING_LINE_VALUES` JSON values;
and a drawing of more than `MAX_DRAWING_POINTS` points is simplified on reading
(`preprocessing.simplify`: its strokes move by at most a thousandth of the digit's size, 0.02
pixels of the network's input, and at most `MAX_DRAWING_POINTS` points remain).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from model.atomic import atomic_write_text
from model.limits import (ERROR_CHARS, MAX_DRAWING_LINE_BYTES, MAX_DRAWING_LINE_VALUES, MAX_DRAWING_POINTS,
                          MAX_STROKES, MiB)
from model.oneline import one_line, os_problem
from preprocessing.simplify import simplify_strokes

Point = tuple[float, float]

KNOWN_KEYS = frozenset({"label", "writer", "strokes", "widths", "erase"})
#: Narrowest stroke width read (fraction of the canvas side); narrower widths are raised to it.
MIN_STROKE_WIDTH = 1e-4


class DrawingFormatError(ValueError):
    """A drawing file (or a Drawing) breaks the format; the message is one line (made so by
    `model.oneline.one_line`, whatever the path or the file put in it)."""

    def __init__(self, message: object) -> None:
        super().__init__(one_line(message, ERROR_CHARS))


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
        _validate_fields(drawing)
        if drawing.widths is not None:
            drawing.widths = [None if w is None else max(float(w), MIN_STROKE_WIDTH) for w in drawing.widths]
        if drawing.point_count > MAX_DRAWING_POINTS:
            drawing.strokes = simplify_strokes(drawing.strokes, drawing.erase, max_points=MAX_DRAWING_POINTS)
        return drawing

    @property
    def point_count(self) -> int:
        return sum(len(stroke) for stroke in self.strokes)

    def simplified(self, max_points: int | None = MAX_DRAWING_POINTS) -> "Drawing":
        """A copy whose strokes are simplified (`preprocessing.simplify.simplify_strokes`: within
        a thousandth of the digit's size; at most max(max_points, 2 x strokes) points)."""
        return Drawing(strokes=simplify_strokes(self.strokes, self.erase, max_points=max_points),
                       label=self.label, writer=self.writer,
                       widths=None if self.widths is None else list(self.widths),
                       erase=None if self.erase is None else list(self.erase))


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


def _is_finite(value: int | float) -> bool:
    # math.isfinite(10 ** 400) raises OverflowError: integers are finite without converting them.
    return isinstance(value, int) or math.isfinite(value)


def _show(value: object) -> str:
    """A JSON value shortened for a message."""
    try:
        return json.dumps(value)[:40]
    except ValueError:  # an integer too long to print
        return "a huge number"


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
        if type(strokes) not in (list, tuple) or len(parsed) > MAX_STROKES:
            raise ValueError
        return parsed
    except (TypeError, ValueError):
        return _parse_strokes_carefully(strokes)


def _parse_strokes_carefully(strokes: object) -> list[list[Point]]:
    if not isinstance(strokes, (list, tuple)):
        raise ValueError(f"'strokes' must be a list of strokes, got {_json_type(strokes)}")
    if len(strokes) > MAX_STROKES:
        raise ValueError(f"{len(strokes)} strokes; a drawing holds at most {MAX_STROKES}")
    parsed: list[list[Point]] = []
    for s, stroke in enumerate(strokes):
        if not isinstance(stroke, (list, tuple)):
            raise ValueError(f"stroke {s} must be a list of [x, y] points, got {_json_type(stroke)}")
        points: list[Point] = []
        for p, point in enumerate(stroke):
            if not isinstance(point, (list, tuple)) or len(point) != 2:
                raise ValueError(f"stroke {s} point {p} must be [x, y], got {_show(point)}")
            x, y = point
            for name, value in (("x", x), ("y", y)):
                if not _is_number(value):
                    raise ValueError(f"stroke {s} point {p}: {name} is not a number ({_show(value)})")
                if not _is_finite(value):
                    raise ValueError(f"stroke {s} point {p}: {name} is not finite")
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"stroke {s} point {p}: {name}={_show(value)} is outside [0, 1]")
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
    _validate_fields(drawing)


def _validate_fields(drawing: Drawing) -> None:
    """Everything but the strokes' points (label, writer, widths, erase)."""
    label = drawing.label
    if label is not None and (not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9):
        raise ValueError(f"label must be an integer 0-9 or absent, got {_show(label)}")
    if drawing.writer is not None and not isinstance(drawing.writer, str):
        raise ValueError(f"writer must be a string or absent, got {_json_type(drawing.writer)}")
    n = len(drawing.strokes)
    if drawing.widths is not None:
        _check_per_stroke("widths", drawing.widths, n)
        for i, width in enumerate(drawing.widths):
            if width is None:
                continue
            if not _is_number(width) or not _is_finite(width) or not 0.0 < width <= 1.0:
                raise ValueError(f"widths[{i}] must be a number in (0, 1] or null, got {_show(width)}")
    if drawing.erase is not None:
        _check_per_stroke("erase", drawing.erase, n)
        for i, flag in enumerate(drawing.erase):
            if not isinstance(flag, bool):
                raise ValueError(f"erase[{i}] must be true or false, got {_show(flag)}")


def parse_drawing_line(text: str) -> Drawing:
    """Parse one JSON Lines record; raises ValueError with the problem (no file or line)."""
    values = text.count(",") + text.count("[") + text.count("{")
    if values > MAX_DRAWING_LINE_VALUES:
        raise ValueError(f"holds over {MAX_DRAWING_LINE_VALUES:,} JSON values (a drawing of a million "
                         f"points has about 3,000,000); not read")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ValueError(f"not valid JSON ({one_line(exc, 80)})") from None
    return Drawing.from_json(record)


def iter_drawings(path: str | os.PathLike) -> Iterator[Drawing]:
    """The drawings of a JSON Lines file, one at a time, read as a stream; blank lines skipped.

    Memory is bounded by one line (at most `MAX_DRAWING_LINE_BYTES`), whatever the file's size,
    so an endless file (/dev/zero) ends with an error, not with the memory. Raises
    DrawingFormatError("<file> line N: <problem>") at the first bad line, or
    DrawingFormatError("<file>: <problem>") when the file cannot be read at all.
    """
    path = Path(path)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise DrawingFormatError(f"{path}: {os_problem(exc, 'drawing file')}") from None
    with stream:
        number = 0
        while True:
            number += 1
            try:
                raw = stream.readline(MAX_DRAWING_LINE_BYTES + 1)
            except OSError as exc:
                raise DrawingFormatError(f"{path} line {number}: {os_problem(exc)}") from None
            if not raw:
                return
            if len(raw) > MAX_DRAWING_LINE_BYTES and not raw.endswith(b"\n"):
                raise DrawingFormatError(f"{path} line {number} is longer than {MAX_DRAWING_LINE_BYTES // MiB} MiB "
                                         f"(a drawing of a million points takes about 40); not read")
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                drawing = parse_drawing_line(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise DrawingFormatError(f"{path} line {number}: not UTF-8 text") from None
            except ValueError as exc:
                raise DrawingFormatError(f"{path} line {number}: {one_line(exc)}") from None
            del raw
            yield drawing


def read_drawings(path: str | os.PathLike) -> list[Drawing]:
    """Every drawing of a JSON Lines file as a list (see `iter_drawings`, which holds only one
    at a time: prefer it for files that may be large)."""
    return list(iter_drawings(path))


def write_drawings(path: str | os.PathLike, drawings: Iterable[Drawing]) -> None:
    """Write drawings as JSON Lines, atomically (temporary file in the same folder, then replace)."""
    path = Path(path)
    lines = []
    for index, drawing in enumerate(drawings):
        try:
            lines.append(json.dumps(drawing.to_json(), separators=(",", ":")))
        except ValueError as exc:
            raise DrawingFormatError(f"{path}: drawing {index}: {one_line(exc)}") from None
    try:
        atomic_write_text(path, "".join(line + "\n" for line in lines))
    except OSError as exc:
        raise DrawingFormatError(f"{path}: cannot write ({one_line(exc.strerror or exc)})") from None
