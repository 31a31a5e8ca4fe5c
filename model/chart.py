"""A small chart kit on Pillow alone: fonts, text, tick values, axes, lines, bars and legends.

``model.plots`` builds its figures from these pieces. A ``Figure`` is drawn at ``SUPERSAMPLE``
times its size and shrunk at the end, which smooths lines and text without an anti-aliasing
renderer. Coordinates given to ``Figure`` and ``Axes`` methods are in final-image pixels (or data
units for ``Axes.plot`` and ``Axes.bar``); the scaling happens inside. Text uses Pillow's own
default font (``ImageFont.load_default(size=...)``, Pillow >= 10.1 with FreeType), so no font
file is needed; older Pillow falls back to its fixed small bitmap font.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model.atomic import atomic_write

SUPERSAMPLE = 2
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
FRAME = (90, 90, 90)
GRID = (228, 228, 228)
MUTED = (110, 110, 110)
#: Line colours in order (the "tab10" palette's blue, orange, green, red).
SERIES = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40))


@functools.lru_cache(maxsize=32)
def font(size: int):
    """Pillow's default font at ``size`` pixels, or its bitmap font where sizes are unsupported."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, AttributeError, OSError, ImportError):
        return ImageFont.load_default()


# ------------------------------------------------------------------------------ tick values
def nice_step(span: float, max_ticks: int = 6) -> float:
    """A 1-2-2.5-5 x 10^k step giving at most ``max_ticks`` ticks over ``span`` (> 0)."""
    raw = span / max(1, max_ticks - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if multiple * power >= raw * (1 - 1e-9):
            return multiple * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def nice_range(lo: float, hi: float, max_ticks: int = 6) -> tuple[float, float, list[float]]:
    """(lo', hi', ticks): the range widened to whole steps and the tick values in it. A zero
    span is widened around the value."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"cannot scale an axis to non-finite limits {lo}, {hi}")
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, max_ticks)
    start, stop = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [round(k * step, 12) for k in range(start, stop + 1)]
    return ticks[0], ticks[-1], ticks


def log_ticks(lo: float, hi: float, max_ticks: int = 8) -> list[float]:
    """Ticks for a log axis over [lo, hi] (both > 0): 1-2-5 x 10^k, or only the powers of ten
    when that would be too many, or 1-9 x 10^k when there would be fewer than two."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for multiples in ((1, 2, 5), (1,), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [round(m * 10.0 ** k, 12) for k in range(first, last + 1) for m in multiples]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if multiples == (1, 2, 5) and len(ticks) > max_ticks:
            continue
        if len(ticks) >= 2 or multiples[-1] == 9:
            return ticks
    return []  # pragma: no cover


def format_tick(value: float, step: float | None = None) -> str:
    """A short label: as many decimals as the tick step needs ('0.25', '98', '0.5'); '%g' without
    a step."""
    if step is None or step <= 0:
        return f"{value:g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(step / 10.0 ** -decimals - round(step / 10.0 ** -decimals)) > 1e-6:
        decimals += 1  # 2.5 x 10^k needs one more
    return f"{value:.{decimals}f}"


# ------------------------------------------------------------------------------ the figure
class Figure:
    """A white canvas of (width, height) final pixels with text helpers; ``image()`` shrinks it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = int(width), int(height)
        self.canvas = Image.new("RGB", (self.width * SUPERSAMPLE, self.height * SUPERSAMPLE), BACKGROUND)
        self.draw = ImageDraw.Draw(self.canvas)

    @staticmethod
    def s(value: float) -> int:
        """Final pixels -> canvas pixels."""
        return int(round(value * SUPERSAMPLE))

    def text_size(self, text: str, size: int) -> tuple[float, float]:
        """(width, height) of ``text`` at ``size`` in final pixels."""
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=font(self.s(size)))
        return (right - left) / SUPERSAMPLE, (bottom - top) / SUPERSAMPLE

    def text(self, x: float, y: float, text: str, size: int = 13, colour=INK, align: str = "left",
             valign: str = "top") -> None:
        """Draw ``text`` with its box's left/center/right edge at x and top/middle/bottom at y."""
        f = font(self.s(size))
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=f)
        w, h = right - left, bottom - top
        X = self.s(x) - {"left": 0, "center": w / 2, "right": w}[align] - left
        Y = self.s(y) - {"top": 0, "middle": h / 2, "bottom": h}[valign] - top
        self.draw.text((X, Y), text, font=f, fill=colour)

    def vertical_text(self, x: float, y: float, text: str, size: int = 13, colour=INK) -> None:
        """``text`` turned 90 degrees (read bottom to top), centred on (x, y)."""
        f = font(self.s(size))
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=f)
        label = Image.new("L", (right - left + 2, bottom - top + 2), 0)
        ImageDraw.Draw(label).text((1 - left, 1 - top), text, font=f, fill=255)
        label = label.rotate(90, expand=True)
        solid = Image.new("RGB", label.size, colour)
        self.canvas.paste(solid, (self.s(x) - label.width // 2, self.s(y) - label.height // 2), label)

    def rectangle(self, box, fill=None, outline=None, width: float = 1) -> None:
        """box (left, top, right, bottom) in final pixels."""
        self.draw.rectangle([self.s(v) for v in box], fill=fill, outline=outline,
                            width=max(1, self.s(width)) if outline is not None else 0)

    def line(self, points, colour, width: float = 1, dash: float | None = None) -> None:
        """A polyline through final-pixel points; dash = dash length for a dashed line."""
        pts = [(self.s(x), self.s(y)) for x, y in points]
        w = max(1, self.s(width))
        if dash is None:
            self.draw.line(pts, fill=colour, width=w, joint="curve")
            return
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            length = math.hypot(x1 - x0, y1 - y0)
            step = self.s(dash)
            for start in np.arange(0, length, 2 * step):
                a, b = start / length, min(start + step, length) / length
                self.draw.line([(x0 + a * (x1 - x0), y0 + a * (y1 - y0)),
                                (x0 + b * (x1 - x0), y0 + b * (y1 - y0))], fill=colour, width=w)

    def dot(self, x: float, y: float, radius: float, colour) -> None:
        r = self.s(radius)
        self.draw.ellipse([self.s(x) - r, self.s(y) - r, self.s(x) + r, self.s(y) + r], fill=colour)

    def title(self, text: str, subtitle: str | None = None) -> float:
        """Centred title (and a smaller grey subtitle) at the top; returns the y below them."""
        self.text(self.width / 2, 10, text, 17, align="center")
        y = 12 + self.text_size(text or "X", 17)[1]
        if subtitle:
            self.text(self.width / 2, y + 6, subtitle, 12, MUTED, align="center")
            y += 6 + self.text_size(subtitle, 12)[1]
        return y + 8

    def image(self) -> Image.Image:
        """The finished figure at its final size (RGB)."""
        return self.canvas.resize((self.width, self.height), Image.Resampling.LANCZOS)


@dataclass
class Axes:
    """A plotting area: box (left, top, right, bottom) in final pixels over the data ranges
    x_range and y_range (y upward; ``log_y`` for a logarithmic y axis)."""

    figure: Figure
    box: tuple[float, float, float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_y: bool = False
    _points: list = field(default_factory=list)

    def _y_unit(self, y: float) -> float:
        lo, hi = self.y_range
        if self.log_y:
            return (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return (y - lo) / (hi - lo)

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        left, top, right, bottom = self.box
        x0, x1 = self.x_range
        return left + (x - x0) / (x1 - x0) * (right - left), bottom - self._y_unit(y) * (bottom - top)

    def frame(self, x_ticks, y_ticks, *, x_labels=None, y_labels=None, x_title: str = "",
              y_title: str = "", title: str = "", grid: bool = True) -> None:
        """Grid lines at the ticks, the frame, tick labels and axis titles."""
        fig, (left, top, right, bottom) = self.figure, self.box
        x_labels = x_labels or [format_tick(t, _step(x_ticks)) for t in x_ticks]
        y_labels = y_labels or [format_tick(t, None if self.log_y else _step(y_ticks)) for t in y_ticks]
        for t, label in zip(x_ticks, x_labels):
            x = self.to_px(t, self.y_range[0])[0]
            if grid:
                fig.line([(x, top), (x, bottom)], GRID)
            fig.line([(x, bottom), (x, bottom + 4)], FRAME)
            fig.text(x, bottom + 6, label, 12, align="center")
        widest = 0.0
        for t, label in zip(y_ticks, y_labels):
            y = self.to_px(self.x_range[0], t)[1]
            if grid:
                fig.line([(left, y), (right, y)], GRID)
            fig.line([(left - 4, y), (left, y)], FRAME)
            fig.text(left - 7, y, label, 12, align="right", valign="middle")
            widest = max(widest, fig.text_size(label, 12)[0])
        fig.rectangle((left, top, right, bottom), outline=FRAME)
        if x_title:
            fig.text((left + right) / 2, bottom + 8 + fig.text_size("0", 12)[1] + 8, x_title, 13, align="center")
        if y_title:
            fig.vertical_text(left - 7 - widest - 14, (top + bottom) / 2, y_title, 13)
        if title:
            fig.text((left + right) / 2, top - 8, title, 14, align="center", valign="bottom")

    def plot(self, xs, ys, colour, *, width: float = 2, markers: bool = True, dash: float | None = None) -> None:
        """A line through (x, y) points; None or non-finite y values break the line."""
        run: list[tuple[float, float]] = []
        runs = [run]
        for x, y in zip(xs, ys):
            if y is None or not math.isfinite(y) or (self.log_y and y <= 0):
                run = []
                runs.append(run)
                continue
            run.append(self.to_px(x, y))
        for run in runs:
            if len(run) > 1:
                self.figure.line(run, colour, width, dash)
            if markers or len(run) == 1:
                for x, y in run:
                    self.figure.dot(x, y, width + 1, colour)
            self._points.extend(run)

    def bar(self, x0: float, x1: float, y: float, colour, *, base: float | None = None, outline=None) -> None:
        """A bar over data x0..x1 from ``base`` (default the bottom of the y range) to y."""
        base = self.y_range[0] if base is None else base
        left, y_top = self.to_px(x0, y)
        right, y_base = self.to_px(x1, base)
        self.figure.rectangle((left, min(y_top, y_base), right, max(y_top, y_base)), fill=colour, outline=outline)
        self._points.append(((left + right) / 2, y_top))

    def legend(self, entries, where: str = "best") -> None:
        """entries [(label, colour, style)] with style 'line', 'dash' or 'box'; where: 'best' (the
        corner with fewest plotted points), or 'upper left', 'upper right', 'lower left', 'lower right'."""
        fig, (left, top, right, bottom) = self.figure, self.box
        size, swatch, pad = 12, 22, 7
        line_h = fig.text_size("Xg", size)[1] + 6
        w = pad * 3 + swatch + max(fig.text_size(label, size)[0] for label, _, _ in entries)
        h = pad * 2 + line_h * len(entries) - 6
        corners = {"upper left": (left + 8, top + 8), "upper right": (right - 8 - w, top + 8),
                   "lower left": (left + 8, bottom - 8 - h), "lower right": (right - 8 - w, bottom - 8 - h)}
        if where == "best":
            def crowding(corner):
                x, y = corners[corner]
                return sum(x - 4 <= px <= x + w + 4 and y - 4 <= py <= y + h + 4 for px, py in self._points)
            where = min(("upper right", "lower right", "upper left", "lower left"), key=crowding)
        x, y = corners[where]
        fig.rectangle((x, y, x + w, y + h), fill=BACKGROUND, outline=GRID)
        for i, (label, colour, style) in enumerate(entries):
            cy = y + pad + i * line_h + (line_h - 6) / 2
            if style == "box":
                fig.rectangle((x + pad, cy - 5, x + pad + swatch, cy + 5), fill=colour)
            else:
                fig.line([(x + pad, cy), (x + pad + swatch, cy)], colour, 2, 4 if style == "dash" else None)
            fig.text(x + pad * 2 + swatch, cy, label, size, valign="middle")


def _step(ticks) -> float | None:
    return (ticks[1] - ticks[0]) if len(ticks) > 1 else None


def colour_bar(figure: Figure, box, colours: np.ndarray, *, labels=(), vertical: bool = True) -> None:
    """A bar of ``colours`` (n, 3) uint8, first to last = bottom to top (vertical) or left to
    right, with labels [(fraction 0-1 along the bar, text)] beside or under it."""
    left, top, right, bottom = box
    strip = np.asarray(colours, np.uint8)
    strip = strip[::-1, None, :] if vertical else strip[None, :, :]
    tile = Image.fromarray(strip).resize((figure.s(right - left), figure.s(bottom - top)), Image.Resampling.NEAREST)
    figure.canvas.paste(tile, (figure.s(left), figure.s(top)))
    figure.rectangle(box, outline=FRAME)
    for fraction, text in labels:
        if vertical:
            y = bottom - fraction * (bottom - top)
            figure.line([(right, y), (right + 4, y)], FRAME)
            figure.text(right + 6, y, text, 11, valign="middle")
        else:
            x = left + fraction * (right - left)
            figure.line([(x, bottom), (x, bottom + 4)], FRAME)
            figure.text(x, bottom + 6, text, 11, align="center")


def save_png(image: Image.Image, path) -> Path:
    """Write ``image`` as PNG to ``path`` atomically (the folder must exist); returns the path."""
    path = Path(path)
    atomic_write(path, lambda handle: image.save(handle, format="PNG"))
    return path
