"""The drawing canvas: mouse events go straight to the controller's pen methods.

The Tk canvas only draws what the person sees (a dot, then round-capped line segments); the
controller keeps its own raster for the network. The canvas stays square, as large as its area
allows (never below `MIN_CANVAS_PX`); once a resize has settled the controller re-renders its
raster at the new side, so what the network reads follows the canvas on screen. When the
controller reads a picture (File > Open image), the canvas shows it, fitted and centred; the first
pen stroke replaces it (the controller starts over from strokes).
"""
from __future__ import annotations

import tkinter as tk
from typing import Callable

from PIL import Image, ImageTk

from app.controller import ERASER_WIDTH_FACTOR, DigitPadController
from app.theme import BACKGROUND, BORDER, CURSOR_RING, INK, PAPER, PLACEHOLDER, Fonts
from preprocessing.raster import DEFAULT_CANVAS_PX

#: The canvas never gets smaller than this: below it a digit is fiddly to draw.
MIN_CANVAS_PX = 300
#: Window resizes arrive in bursts; re-render the raster once the size has settled (ms).
RESIZE_SETTLE_MS = 60


def fitting_side(window: tuple[int, int], screen: tuple[int, int], side: int = DEFAULT_CANVAS_PX,
                 minimum: int = MIN_CANVAS_PX) -> int:
    """The canvas side that makes a window of natural size `window` (width, height), laid out
    around a canvas of `side`, fit a `screen` (width, height); never below `minimum`."""
    excess = max(window[0] - screen[0], window[1] - screen[1], 0)
    return max(minimum, min(side, side - excess))


class CanvasPanel:
    """The canvas in `frame` (a fixed-request area that the layout stretches).

    on_input(event): the drawing changed (the window schedules an update); the event is a pen-down
    or pen-move to time, or None for a pen-up;
    on_resized(): the controller's raster now has the canvas's new side.
    """

    def __init__(self, parent: tk.Misc, controller: DigitPadController, fonts: Fonts, *,
                 on_input: Callable[[tk.Event | None], None], on_resized: Callable[[], None],
                 side: int = DEFAULT_CANVAS_PX) -> None:
        self.controller = controller
        self._on_input, self._on_resized = on_input, on_resized
        self.frame = tk.Frame(parent, background=BACKGROUND)
        self.frame.grid_propagate(False)
        self.border = tk.Frame(self.frame, background=BORDER)
        self.canvas = tk.Canvas(self.border, background=PAPER, highlightthickness=0, borderwidth=0,
                                cursor="tcross", width=side, height=side)
        self.canvas.place(x=1, y=1)
        self.side = side
        self.request(side)
        self.border.place(relx=0.5, rely=0.0, anchor="n", width=side + 2, height=side + 2)
        self.placeholder = self.canvas.create_text(side / 2, side / 2, text="Draw a digit here", justify="center",
                                                   fill=PLACEHOLDER, font=fonts.message)
        self.ring = self.canvas.create_oval(0, 0, 0, 0, outline=CURSOR_RING, state="hidden")
        self._last_point: tuple[float, float] | None = None
        self._stroke_erase = False
        self._resize_job: str | None = None
        self._picture: ImageTk.PhotoImage | None = None  # Tk shows it only while Python holds it
        self.frame.bind("<Configure>", self._area_configured)
        canvas = self.canvas
        canvas.bind("<ButtonPress-1>", lambda e: self._pen_down(e, None))
        canvas.bind("<B1-Motion>", self._pen_move)
        canvas.bind("<ButtonRelease-1>", self._pen_up)
        canvas.bind("<ButtonPress-3>", lambda e: self._pen_down(e, True))
        canvas.bind("<B3-Motion>", self._pen_move)
        canvas.bind("<ButtonRelease-3>", self._pen_up)
        canvas.bind("<Motion>", self._hover)
        canvas.bind("<Leave>", lambda e: canvas.itemconfigure(self.ring, state="hidden"))

    def request(self, side: int) -> None:
        """Ask the layout for a canvas of `side` pixels (the area is the canvas plus its border)."""
        self.frame.configure(width=side + 2, height=side + 2)

    def set_placeholder(self, text: str) -> None:
        """What the empty canvas says ('Draw a digit here'; another line while an example is read)."""
        if self.canvas.itemcget(self.placeholder, "text") != text:
            self.canvas.itemconfigure(self.placeholder, text=text)

    def set_eraser_cursor(self, on: bool) -> None:
        self.canvas.configure(cursor="dotbox" if on else "tcross")

    # ------------------------------------------------------------------ pen events
    def _pen_down(self, event: tk.Event, erase: bool | None) -> None:
        self.flush_resize()
        had_picture = self.controller.image is not None
        self.controller.pen_down(event.x, event.y, erase=erase)
        if had_picture:
            self.redraw()  # the picture gives way to the strokes
        self._last_point = self._clamped(event.x, event.y)
        self._stroke_erase = self.controller.eraser if erase is None else erase
        self._draw_dot(*self._last_point, self._width_px(self._stroke_erase), self._stroke_erase)
        self.canvas.itemconfigure(self.placeholder, state="hidden")
        self.canvas.itemconfigure(self.ring, state="hidden")  # the ink itself shows the pen
        self._on_input(event)

    def _pen_move(self, event: tk.Event) -> None:
        if not self.controller.drawing_active or self._last_point is None:
            return
        point = self._clamped(event.x, event.y)
        if point == self._last_point:
            return
        self.controller.pen_move(event.x, event.y)
        self.canvas.create_line(*self._last_point, *point, width=self._width_px(self._stroke_erase),
                                fill=PAPER if self._stroke_erase else INK, capstyle=tk.ROUND,
                                joinstyle=tk.ROUND, tags=("ink",))
        self._last_point = point
        self._on_input(event)

    def _pen_up(self, event: tk.Event) -> None:
        self.controller.pen_up()
        self._last_point = None
        self.canvas.tag_raise(self.ring)
        self._move_ring(event.x, event.y)
        self._on_input(None)

    def _hover(self, event: tk.Event) -> None:
        if not self.controller.drawing_active:
            self._move_ring(event.x, event.y)

    def _move_ring(self, x: float, y: float) -> None:
        r = self._width_px(self.controller.eraser) / 2
        self.canvas.coords(self.ring, x - r, y - r, x + r, y + r)
        self.canvas.itemconfigure(self.ring, state="normal")

    def _clamped(self, x: float, y: float) -> tuple[float, float]:
        return min(max(float(x), 0.0), self.side), min(max(float(y), 0.0), self.side)

    def _width_px(self, erase: bool) -> float:
        return self.controller.brush_px * (ERASER_WIDTH_FACTOR if erase else 1.0)

    def _draw_dot(self, x: float, y: float, width: float, erase: bool) -> None:
        r = width / 2
        self.canvas.create_oval(x - r, y - r, x + r, y + r, fill=PAPER if erase else INK, outline="", tags=("ink",))

    # ------------------------------------------------------------------ redraw and resize
    def redraw(self) -> None:
        """Draw every stroke again from the controller (after undo, redo, clear, open or resize)."""
        self._last_point = None
        self.canvas.delete("ink")
        self.canvas.delete("picture")
        self._picture = None
        side = self.side
        if self.controller.image is not None:
            self._show_picture(self.controller.image.shown())
        for stroke in self.controller.strokes:
            width = stroke.width * side
            points = [(x * side, y * side) for x, y in stroke.points]
            self._draw_dot(*points[0], width, stroke.erase)
            if len(points) > 1:
                self.canvas.create_line(*[c for p in points for c in p], width=width,
                                        fill=PAPER if stroke.erase else INK,
                                        capstyle=tk.ROUND, joinstyle=tk.ROUND, tags=("ink",))
        self.canvas.tag_raise(self.ring)
        empty = not self.controller.strokes and self.controller.image is None
        self.canvas.itemconfigure(self.placeholder, state="normal" if empty else "hidden")

    def _show_picture(self, grey) -> None:
        """Show (h, w) uint8 greyscale fitted into the canvas, centred, aspect ratio kept."""
        h, w = grey.shape
        scale = self.side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # Small bitmaps are enlarged with their pixels visible: those pixels are what is read.
        resample = Image.NEAREST if max(h, w) < self.side / 2 else Image.BILINEAR
        picture = Image.fromarray(grey, "L").resize(size, resample)
        self._picture = ImageTk.PhotoImage(picture, master=self.canvas)
        self.canvas.create_image(self.side / 2, self.side / 2, image=self._picture, anchor="center",
                                 tags=("picture",))
        self.canvas.tag_lower("picture")

    def _area_configured(self, event: tk.Event) -> None:
        side = max(min(event.width, event.height) - 2, 28)
        if side == self.side:
            return
        self.side = side
        self.canvas.configure(width=side, height=side)
        self.border.place_configure(width=side + 2, height=side + 2)
        self.canvas.coords(self.placeholder, side / 2, side / 2)
        if self._resize_job is not None:
            self.canvas.after_cancel(self._resize_job)
        self._resize_job = self.canvas.after(RESIZE_SETTLE_MS, self.flush_resize)

    def flush_resize(self) -> None:
        """Bring the controller's raster to the canvas's side now (a pen event cannot wait)."""
        if self._resize_job is not None:
            self.canvas.after_cancel(self._resize_job)
            self._resize_job = None
        if self.controller.canvas_px != self.side:
            self.controller.resize(self.side)
            self.redraw()
            self._on_resized()
