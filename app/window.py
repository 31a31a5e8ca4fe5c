"""The Tk window: a thin shell over `app.controller.DigitPadController`.

Mouse events go straight to the controller's pen methods; the Tk canvas only draws what the person
sees (round-capped line segments), while the controller keeps its own raster mirror for the network.
Predictions are recomputed at most once per pass of the event loop: every event marks the controller
dirty and schedules one idle callback, so a burst of motion events costs one update.
"""
from __future__ import annotations

import json
import os
import time
import tkinter as tk
from pathlib import Path
from tkinter import filedialog, ttk
from tkinter import font as tkfont
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageTk

from app.controller import (ERASER_WIDTH_FACTOR, MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION,
                            DigitPadController, Reading)
from model.atomic import atomic_write, atomic_write_text
from model.weights_io import WeightsError
from preprocessing.drawing import DrawingFormatError, read_drawings, write_drawings

# Colours: a calm light theme; blue marks the answer, amber marks doubt.
BACKGROUND = "#eef0f4"
CARD = "#ffffff"
BORDER = "#d5dae3"
TEXT = "#1c2230"
MUTED = "#6b7385"
ACCENT = "#2563eb"
DOUBT = "#c26a00"
ERROR = "#b42318"
PAPER = "#ffffff"
INK = "#141a26"
BAR_TRACK = "#edf0f5"
BAR_FILL = "#b7c2d6"
GRID_LINE = "#e6e9ef"

FONT_FAMILY = "DejaVu Sans"
PAD = 10
#: Canvas side when the window opens (the canvas then grows with the window).
DEFAULT_CANVAS_PX = 480
MIN_CANVAS_PX = 400
#: One cell of the 28x28 grid view on screen, in pixels.
GRID_CELL_PX = 9
#: Side of each pipeline-stage thumbnail.
STAGE_PX = 84
#: The first stage is the strokes as the network reads them (drawn with the digit-scaled pen when
#: the weights ask for one), which is not the canvas as shown.
STAGE_TITLES = {"raw": "strokes read"}
#: Width of the probability bars' drawing area.
BARS_WIDTH = 250
GRID_HINT = "Click to paint a cell, right-click to erase"
#: The --state-file debugging aid is rewritten at most this often (ms), so it never slows drawing;
#: benchmarks stretch it with env DIGITPAD_STATE_INTERVAL_MS.
STATE_WRITE_MS = 25
#: The Shift bit of a Tk key event's state.
SHIFT_MASK = 0x1
#: Longer status messages are shortened on screen (the whole message stays in the state file).
STATUS_MAX_CHARS = 220
#: Window resizes arrive in bursts; re-render the raster once the size has settled.
RESIZE_SETTLE_MS = 60

SHORTCUTS = [
    ("Left drag on the canvas", "draw"),
    ("Right drag on the canvas", "erase"),
    ("E", "toggle the eraser tool"),
    ("[  /  ]", "thinner / thicker brush (for the eye: the network reads\n"
                "your strokes drawn with a fine pen scaled to the digit)"),
    ("Esc  or  Delete", "clear the canvas"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Y  or  Ctrl+Shift+Z", "redo"),
    ("Left / right click in the grid", "paint / erase a cell of the network's input"),
    ("F2", "show or hide the pipeline stages"),
    ("Ctrl+O", "open a drawing (.jsonl)"),
    ("Ctrl+S", "save the drawing (.jsonl and .png)"),
    ("Ctrl+L", "load another weights file"),
    ("Ctrl+I", "describe the model"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
]


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


#: RGB of a cell of value level/255, from paper (0) to ink (1); shape (256, 3) uint8.
GRID_PALETTE = np.rint(np.array(_rgb(PAPER), float)
                       + (np.array(_rgb(INK), float) - np.array(_rgb(PAPER), float))
                       * (np.arange(256)[:, None] / 255.0)).astype(np.uint8)


def _grid_lines() -> Image.Image:
    """White with the grid's lines; combined with 'darker', lines show on light cells only."""
    side = 28 * GRID_CELL_PX
    pixels = np.full((side, side, 3), 255, np.uint8)
    pixels[::GRID_CELL_PX, :] = _rgb(GRID_LINE)
    pixels[:, ::GRID_CELL_PX] = _rgb(GRID_LINE)
    return Image.fromarray(pixels, "RGB")


def _grid_image(levels: np.ndarray, lines: Image.Image) -> Image.Image:
    """The grid view of (28, 28) levels 0..255 as GRID_CELL_PX squares with thin lines."""
    cells = Image.fromarray(np.ascontiguousarray(GRID_PALETTE[levels]), "RGB")
    side = 28 * GRID_CELL_PX
    return ImageChops.darker(cells.resize((side, side), Image.NEAREST), lines)


class DigitPadWindow:
    """The main window. `root` is a fresh tk.Tk(); `controller` holds the model and the drawing."""

    def __init__(self, root: tk.Tk, controller: DigitPadController, *, weights_path: Path | None = None,
                 state_file: Path | None = None, profile_file: Path | None = None) -> None:
        self.root = root
        self.controller = controller
        self.weights_path = weights_path
        self.state_file = Path(state_file) if state_file else None
        self.profile_file = Path(profile_file) if profile_file else None
        self._update_pending = False
        self._resize_job: str | None = None
        self._pending_events: list[tuple[float, int]] = []
        self._latencies_ms: list[float] = []
        self._server_latencies_ms: list[float] = []
        self._update_ms: list[float] = []
        self._updates = 0
        self._last_point: tuple[float, float] | None = None
        self._grid_levels = np.full((28, 28), -1, np.int16)
        self._shown_bars: list[dict] = [{} for _ in range(10)]
        self._stage_images: list[ImageTk.PhotoImage] = []
        self._help: tk.Toplevel | None = None
        self._status_error = False
        self._status_text = ""
        self._title = ""
        self._shown: Reading | None = None
        self._shown_prediction: tuple = ()
        self._shown_buttons: tuple = ()
        self._stroke_erase = False
        self._hovered_cell: tuple[int, int, float] | None = None
        self._ready = False
        self._state_job: str | None = None
        self._state_interval_ms = _env_int("DIGITPAD_STATE_INTERVAL_MS", STATE_WRITE_MS)

        self._setup_style()
        self._build_menu()
        self._build_layout()
        self._bind_keys()
        root.protocol("WM_DELETE_WINDOW", self.quit)
        root.update_idletasks()
        shrink = DEFAULT_CANVAS_PX - MIN_CANVAS_PX  # the canvas may shrink to MIN_CANVAS_PX, no further
        root.minsize(root.winfo_reqwidth() - shrink, root.winfo_reqheight() - shrink)
        self.set_status(f"Model: {controller.describe_model()}")
        self._show_reading(controller.reading(), force=True)
        self._refresh_buttons()
        root.bind("<Map>", self._mapped, add="+")

    # ------------------------------------------------------------------ construction
    def _setup_style(self) -> None:
        root = self.root
        root.configure(background=BACKGROUND)
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
            try:
                tkfont.nametofont(name).configure(family=FONT_FAMILY, size=10)
            except tk.TclError:
                pass
        self.font_small = tkfont.Font(root, family=FONT_FAMILY, size=9)
        self.font_body = tkfont.Font(root, family=FONT_FAMILY, size=10)
        self.font_bold = tkfont.Font(root, family=FONT_FAMILY, size=10, weight="bold")
        self.font_heading = tkfont.Font(root, family=FONT_FAMILY, size=11, weight="bold")
        self.font_message = tkfont.Font(root, family=FONT_FAMILY, size=12, weight="bold")
        self.font_digit = tkfont.Font(root, family=FONT_FAMILY, size=44, weight="bold")
        style = ttk.Style(root)
        try:
            style.theme_use("clam")
        except tk.TclError:
            pass
        style.configure(".", background=BACKGROUND, foreground=TEXT, font=self.font_body)
        style.configure("TFrame", background=BACKGROUND)
        style.configure("Card.TFrame", background=CARD)
        style.configure("TButton", padding=(10, 4), background=CARD, bordercolor=BORDER, focuscolor=CARD)
        style.map("TButton", background=[("active", "#e4e9f2"), ("disabled", BACKGROUND)])
        style.configure("Toolbutton", padding=(10, 4), background=CARD, bordercolor=BORDER, borderwidth=1,
                        relief="raised", lightcolor=CARD, darkcolor=BORDER)
        style.map("Toolbutton", background=[("selected", "#dbe6fd"), ("active", "#e4e9f2")],
                  relief=[("selected", "sunken")], foreground=[("selected", ACCENT)])
        style.configure("TCheckbutton", background=BACKGROUND)
        style.configure("TLabel", background=BACKGROUND, foreground=TEXT)
        style.configure("Card.TLabel", background=CARD, foreground=TEXT)
        style.configure("Muted.TLabel", background=CARD, foreground=MUTED, font=self.font_small)
        style.configure("Heading.TLabel", background=CARD, foreground=TEXT, font=self.font_heading)
        style.configure("Status.TLabel", background="#e2e6ee", foreground=TEXT, padding=(PAD, 4))
        style.configure("Error.Status.TLabel", background="#fde8e6", foreground=ERROR, padding=(PAD, 4))
        style.configure("Horizontal.TScale", background=CARD, troughcolor="#dde2ea", bordercolor=BORDER,
                        lightcolor=CARD, darkcolor=BORDER)

    def _build_menu(self) -> None:
        menu = tk.Menu(self.root)
        file_menu = tk.Menu(menu, tearoff=False)
        file_menu.add_command(label="Open drawing...", accelerator="Ctrl+O", command=self.open_drawing)
        file_menu.add_command(label="Save drawing...", accelerator="Ctrl+S", command=self.save_drawing)
        file_menu.add_separator()
        file_menu.add_command(label="Load weights...", accelerator="Ctrl+L", command=self.load_weights)
        file_menu.add_command(label="Model description", accelerator="Ctrl+I", command=self.describe_model)
        file_menu.add_separator()
        file_menu.add_command(label="Quit", accelerator="Ctrl+Q", command=self.quit)
        menu.add_cascade(label="File", menu=file_menu)

        self.eraser_var = tk.BooleanVar(value=False)
        self.stages_var = tk.BooleanVar(value=False)
        edit_menu = tk.Menu(menu, tearoff=False)
        edit_menu.add_command(label="Undo", accelerator="Ctrl+Z", command=self.undo)
        edit_menu.add_command(label="Redo", accelerator="Ctrl+Y", command=self.redo)
        edit_menu.add_command(label="Clear", accelerator="Esc", command=self.clear)
        edit_menu.add_separator()
        edit_menu.add_checkbutton(label="Eraser", accelerator="E", variable=self.eraser_var,
                                  command=self._eraser_changed)
        edit_menu.add_command(label="Thicker brush", accelerator="]", command=self.brush_bigger)
        edit_menu.add_command(label="Thinner brush", accelerator="[", command=self.brush_smaller)
        menu.add_cascade(label="Edit", menu=edit_menu)

        view_menu = tk.Menu(menu, tearoff=False)
        view_menu.add_checkbutton(label="Pipeline stages", accelerator="F2", variable=self.stages_var,
                                  command=self._stages_changed)
        menu.add_cascade(label="View", menu=view_menu)

        help_menu = tk.Menu(menu, tearoff=False)
        help_menu.add_command(label="Keyboard shortcuts", accelerator="F1", command=self.show_help)
        menu.add_cascade(label="Help", menu=help_menu)
        self.root.configure(menu=menu)

    def _build_layout(self) -> None:
        root = self.root
        root.columnconfigure(0, weight=1)
        root.rowconfigure(1, weight=1)

        # Toolbar
        toolbar = ttk.Frame(root, padding=(PAD, PAD, PAD, 0))
        toolbar.grid(row=0, column=0, sticky="ew")
        self.clear_button = ttk.Button(toolbar, text="Clear", command=self.clear)
        self.undo_button = ttk.Button(toolbar, text="Undo", command=self.undo)
        self.redo_button = ttk.Button(toolbar, text="Redo", command=self.redo)
        self.eraser_button = ttk.Checkbutton(toolbar, text="Eraser", style="Toolbutton",
                                             variable=self.eraser_var, command=self._eraser_changed)
        for column, widget in enumerate((self.clear_button, self.undo_button, self.redo_button)):
            widget.grid(row=0, column=column, padx=(0, 6))
        ttk.Separator(toolbar, orient="vertical").grid(row=0, column=3, sticky="ns", padx=8)
        self.eraser_button.grid(row=0, column=4, padx=(0, 14))
        ttk.Label(toolbar, text="Brush").grid(row=0, column=5, padx=(0, 6))
        self.brush_var = tk.DoubleVar(value=self.controller.brush_fraction)
        self.brush_scale = ttk.Scale(toolbar, from_=MIN_BRUSH_FRACTION, to=MAX_BRUSH_FRACTION,
                                     variable=self.brush_var, length=140, command=self._brush_moved)
        self.brush_scale.grid(row=0, column=6)
        self.brush_label = ttk.Label(toolbar, width=6, text=f"{self.controller.brush_px:.0f} px")
        self.brush_label.grid(row=0, column=7, padx=(6, 0))
        toolbar.columnconfigure(8, weight=1)
        ttk.Checkbutton(toolbar, text="Stages", style="Toolbutton", variable=self.stages_var,
                        command=self._stages_changed).grid(row=0, column=9, padx=(0, 6))
        ttk.Button(toolbar, text="Help", command=self.show_help).grid(row=0, column=10)

        # Body: canvas on the left (takes all spare room), panels on the right.
        body = ttk.Frame(root, padding=PAD)
        body.grid(row=1, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(0, weight=1)

        self.canvas_area = tk.Frame(body, background=BACKGROUND, width=DEFAULT_CANVAS_PX + 2,
                                    height=DEFAULT_CANVAS_PX + 2)
        self.canvas_area.grid(row=0, column=0, sticky="nsew")
        self.canvas_area.grid_propagate(False)
        self.canvas_border = tk.Frame(self.canvas_area, background=BORDER)
        self.canvas = tk.Canvas(self.canvas_border, background=PAPER, highlightthickness=0, borderwidth=0,
                                cursor="tcross", width=DEFAULT_CANVAS_PX, height=DEFAULT_CANVAS_PX)
        self.canvas.place(x=1, y=1)
        self.canvas_border.place(relx=0.5, rely=0.0, anchor="n",
                                 width=DEFAULT_CANVAS_PX + 2, height=DEFAULT_CANVAS_PX + 2)
        self.canvas_side = DEFAULT_CANVAS_PX
        self.placeholder = self.canvas.create_text(DEFAULT_CANVAS_PX / 2, DEFAULT_CANVAS_PX / 2,
                                                   text="Draw a digit here", fill="#b5bccb",
                                                   font=self.font_message, tags=("placeholder",))
        self.cursor_ring = self.canvas.create_oval(0, 0, 0, 0, outline="#9aa6bd", state="hidden",
                                                   tags=("ring",))
        self.canvas_area.bind("<Configure>", self._area_configured)

        side = ttk.Frame(body, padding=(PAD, 0, 0, 0))
        side.grid(row=0, column=1, sticky="ns")
        self._build_prediction_card(side)
        self._build_grid_card(side)

        # Pipeline stages, under the two cards (hidden until asked for).
        self.stages_frame = tk.Frame(side, background=CARD, highlightbackground=BORDER, highlightthickness=1)
        self._build_stages(self.stages_frame)

        # width=1: a long message is clipped at the window's edge instead of widening the window.
        self.status = ttk.Label(root, style="Status.TLabel", anchor="w", width=1)
        self.status.grid(row=3, column=0, sticky="ew")

        canvas = self.canvas
        canvas.bind("<ButtonPress-1>", lambda e: self._pen_down(e, None))
        canvas.bind("<B1-Motion>", self._pen_move)
        canvas.bind("<ButtonRelease-1>", self._pen_up)
        canvas.bind("<ButtonPress-3>", lambda e: self._pen_down(e, True))
        canvas.bind("<B3-Motion>", self._pen_move)
        canvas.bind("<ButtonRelease-3>", self._pen_up)
        canvas.bind("<Motion>", self._hover_canvas)
        canvas.bind("<Leave>", lambda e: canvas.itemconfigure(self.cursor_ring, state="hidden"))

    def _card(self, parent: tk.Misc, column: int, title: str) -> tk.Frame:
        frame = tk.Frame(parent, background=CARD, highlightbackground=BORDER, highlightthickness=1)
        frame.grid(row=0, column=column, sticky="nsew", padx=(0 if column == 0 else PAD, 0))
        ttk.Label(frame, text=title, style="Heading.TLabel").grid(row=0, column=0, columnspan=2, sticky="w",
                                                                  padx=PAD, pady=(PAD, 0))
        return frame

    def _build_prediction_card(self, parent: tk.Misc) -> None:
        card = self._card(parent, 0, "Prediction")
        self.digit_label = tk.Label(card, text=" ", font=self.font_digit, background=CARD, foreground=ACCENT,
                                    width=2, anchor="w")
        self.digit_label.grid(row=1, column=0, rowspan=2, sticky="w", padx=(PAD, 0))
        # width=1 with sticky="ew": the labels take the room the bars give the card, and new text
        # never changes the layout (a relayout per update would cost milliseconds).
        self.message_label = tk.Label(card, text="", font=self.font_message, background=CARD, foreground=TEXT,
                                      anchor="w", justify="left", width=1)
        self.message_label.grid(row=1, column=1, sticky="sew", padx=(0, PAD), pady=(8, 0))
        self.detail_label = tk.Label(card, text="", font=self.font_body, background=CARD, foreground=MUTED,
                                     anchor="w", justify="left", width=1)
        self.detail_label.grid(row=2, column=1, sticky="new", padx=(0, PAD))
        card.columnconfigure(1, weight=1)

        row_h, width = 23, BARS_WIDTH
        self.bars = tk.Canvas(card, width=width, height=10 * row_h + 2, background=CARD, highlightthickness=0)
        self.bars.grid(row=3, column=0, columnspan=2, padx=PAD, pady=(4, PAD))
        self._bar_geometry = (24, width - 24 - 60, row_h)  # bar x start, bar length, row height
        x0, length, _ = self._bar_geometry
        self._bar_items = []
        for digit in range(10):
            y = 2 + digit * row_h
            label = self.bars.create_text(10, y + row_h / 2, text=str(digit), font=self.font_bold, fill=TEXT)
            self.bars.create_rectangle(x0, y + 4, x0 + length, y + row_h - 4, fill=BAR_TRACK, outline="")
            fill = self.bars.create_rectangle(x0, y + 4, x0, y + row_h - 4, fill=BAR_FILL, outline="")
            percent = self.bars.create_text(width - 2, y + row_h / 2, text="", anchor="e", font=self.font_body,
                                            fill=MUTED)
            self._bar_items.append((label, fill, percent))

    def _build_grid_card(self, parent: tk.Misc) -> None:
        card = self._card(parent, 1, "What the network sees")
        side = 28 * GRID_CELL_PX
        self.grid_canvas = tk.Canvas(card, width=side + 1, height=side + 1, background=PAPER,
                                     highlightthickness=0, cursor="pencil")
        self.grid_canvas.grid(row=1, column=0, columnspan=2, padx=PAD, pady=(6, 2))
        # The cells are one image, redrawn from the 28x28 input when it changes: re-shading a few
        # hundred canvas rectangles per update cost about 7 ms here, the image about 1 ms.
        self._grid_lines = _grid_lines()
        self._grid_photo = ImageTk.PhotoImage(self._grid_lines, master=self.root)
        self.grid_canvas.create_image(0, 0, image=self._grid_photo, anchor="nw")
        self.grid_canvas.create_rectangle(0, 0, side, side, outline=GRID_LINE)
        self._grid_highlight = self.grid_canvas.create_rectangle(0, 0, 0, 0, outline=ACCENT, width=2,
                                                                 state="hidden")
        self.hover_label = ttk.Label(card, text=GRID_HINT, style="Muted.TLabel", width=1)
        self.hover_label.grid(row=2, column=0, columnspan=2, sticky="ew", padx=PAD, pady=(0, PAD))
        grid = self.grid_canvas
        grid.bind("<Motion>", self._hover_grid)
        grid.bind("<Leave>", self._leave_grid)
        grid.bind("<ButtonPress-1>", lambda e: self._edit_grid(e, 1.0))
        grid.bind("<B1-Motion>", lambda e: self._edit_grid(e, 1.0))
        grid.bind("<ButtonPress-3>", lambda e: self._edit_grid(e, 0.0))
        grid.bind("<B3-Motion>", lambda e: self._edit_grid(e, 0.0))

    def _build_stages(self, frame: tk.Frame) -> None:
        ttk.Label(frame, text="Pipeline stages", style="Heading.TLabel").grid(row=0, column=0, columnspan=5,
                                                                               sticky="w", padx=PAD, pady=(6, 2))
        self._stage_names = ["raw", "cropped", "blurred", "scaled", "centred"]
        self._stage_labels = []
        blank = tk.PhotoImage(width=STAGE_PX, height=STAGE_PX)
        self._blank_stage = blank
        for column, name in enumerate(self._stage_names):
            image = tk.Label(frame, image=blank, background=PAPER, highlightbackground=BORDER, highlightthickness=1)
            image.grid(row=1, column=column, padx=(PAD if column == 0 else 8, PAD if column == 4 else 0))
            ttk.Label(frame, text=STAGE_TITLES.get(name, name), style="Muted.TLabel").grid(
                row=2, column=column, pady=(2, 6))
            self._stage_labels.append(image)

    def _bind_keys(self) -> None:
        root = self.root
        bindings = {
            "<Escape>": self.clear, "<Delete>": self.clear,
            "<Control-z>": self.undo, "<Control-y>": self.redo, "<Control-Y>": self.redo,
            "<bracketleft>": self.brush_smaller, "<bracketright>": self.brush_bigger,
            "<e>": self.toggle_eraser, "<F1>": self.show_help, "<F2>": self.toggle_stages,
            "<Control-o>": self.open_drawing, "<Control-s>": self.save_drawing,
            "<Control-l>": self.load_weights, "<Control-i>": self.describe_model, "<Control-q>": self.quit,
        }
        for sequence, action in bindings.items():
            root.bind(sequence, lambda event, action=action: (action(), "break")[1])
        # Ctrl+Shift+Z redoes; with Caps Lock on, plain Ctrl+Z also arrives as "Z" and must undo.
        root.bind("<Control-Z>", lambda event: ((self.redo if event.state & SHIFT_MASK else self.undo)(), "break")[1])

    # ------------------------------------------------------------------ canvas events
    def _pen_down(self, event: tk.Event, erase: bool | None) -> None:
        self._flush_resize()
        self.controller.pen_down(event.x, event.y, erase=erase)
        self._last_point = self._clamped(event.x, event.y)
        stroke_erase = self.eraser_var.get() if erase is None else erase
        self._draw_dot(*self._last_point, self._stroke_width_px(stroke_erase), stroke_erase)
        self._stroke_erase = stroke_erase
        self.canvas.itemconfigure(self.placeholder, state="hidden")
        self.canvas.itemconfigure(self.cursor_ring, state="hidden")  # the ink itself shows the pen
        self._note_event(event)

    def _pen_move(self, event: tk.Event) -> None:
        if not self.controller.drawing_active or self._last_point is None:
            return
        point = self._clamped(event.x, event.y)
        if point == self._last_point:
            return
        self.controller.pen_move(event.x, event.y)
        self._draw_segment(self._last_point, point, self._stroke_width_px(self._stroke_erase), self._stroke_erase)
        self._last_point = point
        self._note_event(event)

    def _pen_up(self, event: tk.Event) -> None:
        self.controller.pen_up()
        self._last_point = None
        self.canvas.tag_raise(self.cursor_ring)
        self._move_ring(event.x, event.y)
        self._schedule_update()

    def _hover_canvas(self, event: tk.Event) -> None:
        if not self.controller.drawing_active:
            self._move_ring(event.x, event.y)

    def _move_ring(self, x: float, y: float) -> None:
        r = self._stroke_width_px(self.eraser_var.get()) / 2
        self.canvas.coords(self.cursor_ring, x - r, y - r, x + r, y + r)
        self.canvas.itemconfigure(self.cursor_ring, state="normal")

    def _clamped(self, x: float, y: float) -> tuple[float, float]:
        side = self.canvas_side
        return min(max(float(x), 0.0), side), min(max(float(y), 0.0), side)

    def _stroke_width_px(self, erase: bool) -> float:
        return self.controller.brush_px * (ERASER_WIDTH_FACTOR if erase else 1.0)

    def _draw_dot(self, x: float, y: float, width: float, erase: bool) -> None:
        r = width / 2
        colour = PAPER if erase else INK
        self.canvas.create_oval(x - r, y - r, x + r, y + r, fill=colour, outline="", tags=("ink",))

    def _draw_segment(self, a: tuple[float, float], b: tuple[float, float], width: float, erase: bool) -> None:
        self.canvas.create_line(a[0], a[1], b[0], b[1], width=width, fill=PAPER if erase else INK,
                                capstyle=tk.ROUND, joinstyle=tk.ROUND, tags=("ink",))

    def _redraw_canvas(self) -> None:
        """Draw every stroke again (after undo, redo, clear, open or resize)."""
        self.canvas.delete("ink")
        side = self.canvas_side
        for stroke in self.controller.strokes:
            width = stroke.width * side
            points = [(x * side, y * side) for x, y in stroke.points]
            self._draw_dot(*points[0], width, stroke.erase)
            if len(points) > 1:
                self.canvas.create_line(*[c for p in points for c in p], width=width,
                                        fill=PAPER if stroke.erase else INK,
                                        capstyle=tk.ROUND, joinstyle=tk.ROUND, tags=("ink",))
        self.canvas.tag_raise(self.cursor_ring)
        self.canvas.itemconfigure(self.placeholder, state="hidden" if self.controller.strokes else "normal")

    # ------------------------------------------------------------------ grid events
    def _cell_at(self, event: tk.Event) -> tuple[int, int] | None:
        row, col = int(event.y // GRID_CELL_PX), int(event.x // GRID_CELL_PX)
        return (row, col) if 0 <= row < 28 and 0 <= col < 28 else None

    def _hover_grid(self, event: tk.Event) -> None:
        cell = self._cell_at(event)
        if cell is None:
            self._leave_grid(event)
            return
        row, col = cell
        x, y = col * GRID_CELL_PX, row * GRID_CELL_PX
        self.grid_canvas.coords(self._grid_highlight, x + 1, y + 1, x + GRID_CELL_PX, y + GRID_CELL_PX)
        self.grid_canvas.itemconfigure(self._grid_highlight, state="normal")
        image = self.controller.reading().input
        value = 0.0 if image is None else float(image[row, col])
        self.hover_label.configure(text=f"row {row}, column {col}: value {value:.2f}")
        self._hovered_cell = (row, col, value)

    def _leave_grid(self, event: tk.Event) -> None:
        self.grid_canvas.itemconfigure(self._grid_highlight, state="hidden")
        self.hover_label.configure(text=GRID_HINT)
        self._hovered_cell = None

    def _edit_grid(self, event: tk.Event, value: float) -> None:
        cell = self._cell_at(event)
        if cell is None:
            return
        if self.controller.edit_cell(cell[0], cell[1], value):
            self._note_event(event)
        self._hover_grid(event)

    # ------------------------------------------------------------------ actions
    def clear(self) -> None:
        self.controller.clear()
        self._after_history_change()

    def undo(self) -> None:
        if self.controller.undo():
            self._after_history_change()

    def redo(self) -> None:
        if self.controller.redo():
            self._after_history_change()

    def _after_history_change(self) -> None:
        self._last_point = None
        self._redraw_canvas()
        self._schedule_update()

    def toggle_eraser(self) -> None:
        self.eraser_var.set(not self.eraser_var.get())
        self._eraser_changed()

    def _eraser_changed(self) -> None:
        self.controller.set_eraser(self.eraser_var.get())
        self.canvas.configure(cursor="dotbox" if self.eraser_var.get() else "tcross")
        self._write_state()

    def brush_bigger(self) -> None:
        self.brush_var.set(self.controller.brush_bigger())
        self._brush_changed()

    def brush_smaller(self) -> None:
        self.brush_var.set(self.controller.brush_smaller())
        self._brush_changed()

    def _brush_moved(self, value: str) -> None:
        self.controller.set_brush(float(value))
        self._brush_changed()

    def _brush_changed(self) -> None:
        self.brush_label.configure(text=f"{self.controller.brush_px:.0f} px")
        self._write_state()

    def toggle_stages(self) -> None:
        self.stages_var.set(not self.stages_var.get())
        self._stages_changed()

    def _stages_changed(self) -> None:
        show = self.stages_var.get()
        self.controller.set_keep_stages(show)
        if show:
            self.stages_frame.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(PAD, 0))
        else:
            self.stages_frame.grid_remove()
        self._schedule_update()

    def open_drawing(self) -> None:
        path = filedialog.askopenfilename(parent=self.root, title="Open drawing",
                                          filetypes=[("Drawings", "*.jsonl"), ("All files", "*")])
        if path:
            self.open_drawing_file(Path(path))

    def open_drawing_file(self, path: Path) -> bool:
        try:
            drawings = read_drawings(path)
        except (DrawingFormatError, OSError) as exc:
            self.set_status(f"Could not open drawing: {_one_line(exc)}", error=True)
            return False
        if not drawings:
            self.set_status(f"Could not open drawing: {path}: the file holds no drawings", error=True)
            return False
        drawing = drawings[0]
        self.controller.load_drawing(drawing)
        self._after_history_change()
        label = f", labelled {drawing.label}" if drawing.label is not None else ""
        more = f" (the first of {len(drawings)})" if len(drawings) > 1 else ""
        self.set_status(f"Opened {path.name}{more}{label}")
        return True

    def save_drawing(self) -> None:
        path = filedialog.asksaveasfilename(parent=self.root, title="Save drawing", defaultextension=".jsonl",
                                            filetypes=[("Drawing (and a PNG beside it)", "*.jsonl")])
        if path:
            self.save_drawing_files(Path(path))

    def save_drawing_files(self, path: Path) -> bool:
        """Write the drawing to PATH.jsonl and the raster to PATH.png, each atomically."""
        stem = path.with_suffix("") if path.suffix.lower() in (".jsonl", ".png") else path
        jsonl, png = stem.with_suffix(".jsonl"), stem.with_suffix(".png")
        try:
            write_drawings(jsonl, [self.controller.to_drawing()])
            _save_png_atomically(self.controller.raster.pixels, png)
        except (OSError, ValueError) as exc:
            self.set_status(f"Could not save: {_one_line(exc)}", error=True)
            return False
        self.set_status(f"Saved {jsonl.name} and {png.name} in {stem.parent}")
        return True

    def load_weights(self) -> None:
        path = filedialog.askopenfilename(parent=self.root, title="Load weights",
                                          filetypes=[("Weights", "*.npz"), ("All files", "*")])
        if path:
            self.load_weights_file(Path(path))

    def load_weights_file(self, path: Path) -> bool:
        try:
            description = self.controller.load_weights(path)
        except WeightsError as exc:
            self.set_status(f"Could not load weights: {_one_line(exc)} (keeping the current model)", error=True)
            return False
        self.weights_path = path
        self.set_status(f"Loaded {path.name}: {description}")
        self._schedule_update()
        return True

    def describe_model(self) -> None:
        where = f" from {self.weights_path.name}" if self.weights_path else ""
        self.set_status(f"Model{where}: {self.controller.describe_model()}")

    def show_help(self) -> None:
        if self._help is not None and self._help.winfo_exists():
            self._help.lift()
            return
        help_window = tk.Toplevel(self.root, background=CARD, padx=18, pady=14)
        help_window.title("Digit Pad - keyboard shortcuts")
        help_window.transient(self.root)
        ttk.Label(help_window, text="Keyboard and mouse", style="Heading.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        for row, (keys, meaning) in enumerate(SHORTCUTS, start=1):
            ttk.Label(help_window, text=keys, style="Card.TLabel", font=self.font_bold).grid(
                row=row, column=0, sticky="w", padx=(0, 18), pady=1)
            ttk.Label(help_window, text=meaning, style="Card.TLabel").grid(row=row, column=1, sticky="w", pady=1)
        ttk.Button(help_window, text="Close", command=lambda: close()).grid(
            row=len(SHORTCUTS) + 1, column=1, sticky="e", pady=(12, 0))
        def close(event: tk.Event | None = None) -> str:
            help_window.destroy()
            self._write_state()
            return "break"

        help_window.bind("<Escape>", close)
        help_window.bind("<F1>", close)
        help_window.protocol("WM_DELETE_WINDOW", close)
        help_window.geometry(f"+{self.root.winfo_rootx() + 120}+{self.root.winfo_rooty() + 60}")
        self._help = help_window
        self._write_state()

    def quit(self) -> None:
        self._write_profile()
        if self._state_job is not None:
            self.root.after_cancel(self._state_job)
            self._flush_state()
        self.root.destroy()

    # ------------------------------------------------------------------ status and resize
    def set_status(self, text: str, error: bool = False) -> None:
        self._status_text, self._status_error = text, error
        shown = text if len(text) <= STATUS_MAX_CHARS else text[:STATUS_MAX_CHARS - 3] + "..."
        self.status.configure(text=shown, style="Error.Status.TLabel" if error else "Status.TLabel")
        self._write_state()

    def _area_configured(self, event: tk.Event) -> None:
        side = max(min(event.width, event.height) - 2, 28)
        if side == self.canvas_side:
            return
        self.canvas_side = side
        self.canvas.configure(width=side, height=side)
        self.canvas_border.place_configure(width=side + 2, height=side + 2)
        self.canvas.coords(self.placeholder, side / 2, side / 2)
        if self._resize_job is not None:
            self.root.after_cancel(self._resize_job)
        self._resize_job = self.root.after(RESIZE_SETTLE_MS, self._flush_resize)

    def _flush_resize(self) -> None:
        if self._resize_job is not None:
            self.root.after_cancel(self._resize_job)
            self._resize_job = None
        if self.controller.canvas_px != self.canvas_side:
            self.controller.resize(self.canvas_side)
            self._redraw_canvas()
            self._brush_changed()
            self._schedule_update()

    # ------------------------------------------------------------------ updates
    def _note_event(self, event: tk.Event) -> None:
        if self.profile_file is not None:
            self._pending_events.append((time.perf_counter(), int(getattr(event, "time", 0) or 0)))
        self._schedule_update()

    def _schedule_update(self) -> None:
        if not self._update_pending:
            self._update_pending = True
            self.root.after_idle(self._update)

    def _update(self) -> None:
        self._update_pending = False
        started = time.perf_counter()
        reading = self.controller.reading()  # cached unless something changed
        if reading is not self._shown:
            self._show_reading(reading)
        self._refresh_buttons()
        self.root.update_idletasks()  # paint now, so "updated" means on screen
        finished = time.perf_counter()
        self._updates += 1
        if self.profile_file is not None:
            self._update_ms.append((finished - started) * 1000)
            now_ms = time.monotonic() * 1000
            for arrived, server_ms in self._pending_events:
                self._latencies_ms.append((finished - arrived) * 1000)
                if server_ms:
                    # X server timestamps count milliseconds on the monotonic clock (wrapping at 2**32).
                    waited = (now_ms - server_ms) % 2 ** 32
                    if waited < 60_000:
                        self._server_latencies_ms.append(waited)
            self._pending_events.clear()
        self._write_state()

    def _refresh_buttons(self) -> None:
        shown = (self.controller.can_undo, self.controller.can_redo)
        if shown != self._shown_buttons:
            self._shown_buttons = shown
            self.undo_button.state(["!disabled"] if shown[0] else ["disabled"])
            self.redo_button.state(["!disabled"] if shown[1] else ["disabled"])

    def _show_reading(self, reading: Reading, force: bool = False) -> None:
        self._shown = reading
        self._show_prediction(reading)
        self._show_bars(reading, force)
        self._show_grid(reading, force)
        if self.stages_var.get():
            self._show_stages(reading)
        if reading.title != self._title:
            self._title = reading.title
            self.root.title(reading.title)

    def _show_prediction(self, reading: Reading) -> None:
        if reading.verdict == "empty":
            shown = (" ", ACCENT, "Draw a digit", MUTED, "The canvas is empty")
        else:
            percent = round(reading.confidence * 100)
            if reading.verdict == "sure":
                shown = (str(reading.digit), ACCENT, reading.message, TEXT, f"{percent} % confident")
            else:
                second = round(float(reading.probabilities[reading.runner_up]) * 100)
                shown = (f"{reading.digit}?", DOUBT, reading.message, DOUBT,
                         f"{reading.digit}: {percent} %, {reading.runner_up}: {second} %")
            if reading.source == "grid":
                shown = shown[:4] + (shown[4] + " (grid)",)
        if shown == self._shown_prediction:
            return  # configuring a label costs a relayout even when nothing changes
        self._shown_prediction = shown
        digit, digit_colour, message, message_colour, detail = shown
        self.digit_label.configure(text=digit, foreground=digit_colour)
        self.message_label.configure(text=message, foreground=message_colour)
        self.detail_label.configure(text=detail)

    def _show_bars(self, reading: Reading, force: bool) -> None:
        """Touch only the canvas items whose look changed (each call costs a Tk round trip)."""
        x0, length, row_h = self._bar_geometry
        probabilities = reading.probabilities
        accent = ACCENT if reading.verdict == "sure" else DOUBT
        commands = []
        path = self.bars._w
        for digit, (label, fill, percent) in enumerate(self._bar_items):
            value = 0.0 if probabilities is None else float(probabilities[digit])
            highlighted = probabilities is not None and digit == reading.digit
            y = 2 + digit * row_h
            look = {
                "length": int(round(value * length)),
                "colour": accent if highlighted else BAR_FILL,
                "text": "" if probabilities is None else f"{value * 100:.0f} %",
                "strong": highlighted,
            }
            old = {} if force else self._shown_bars[digit]
            if look["length"] != old.get("length"):
                commands.append(f"{path} coords {fill} {x0} {y + 4} {x0 + look['length']} {y + row_h - 4}")
            if look["colour"] != old.get("colour"):
                commands.append(f"{path} itemconfigure {fill} -fill {look['colour']}")
                commands.append(f"{path} itemconfigure {label} -fill {look['colour'] if highlighted else TEXT}")
            if look["text"] != old.get("text"):
                commands.append(f"{path} itemconfigure {percent} -text {{{look['text']}}}")
            if look["strong"] != old.get("strong"):
                font = self.font_bold if highlighted else self.font_body
                commands.append(f"{path} itemconfigure {percent} -font {font} -fill {TEXT if highlighted else MUTED}")
            self._shown_bars[digit] = look
        if commands:
            self.root.tk.eval("\n".join(commands))

    def _show_grid(self, reading: Reading, force: bool) -> None:
        """Shade each cell by its input value (only when some value changed)."""
        image = reading.input
        levels = np.zeros((28, 28), np.int16) if image is None else \
            np.clip(np.rint(image * 255), 0, 255).astype(np.int16)
        if force or not np.array_equal(levels, self._grid_levels):
            self._grid_photo.paste(_grid_image(levels, self._grid_lines))
        self._grid_levels = levels

    def _show_stages(self, reading: Reading) -> None:
        images = []
        for label, name in zip(self._stage_labels, self._stage_names):
            stage = reading.stages.get(name)
            if stage is None or reading.source == "grid" and name == "centred":
                stage = reading.input if name == "centred" else stage
            if stage is None or np.asarray(stage).size == 0:
                label.configure(image=self._blank_stage)
                continue
            photo = ImageTk.PhotoImage(_thumbnail(np.asarray(stage, np.float32), STAGE_PX), master=self.root)
            label.configure(image=photo)
            images.append(photo)
        self._stage_images = images  # Tk shows an image only while Python holds a reference

    # ------------------------------------------------------------------ state and profile
    def _mapped(self, event: tk.Event) -> None:
        """The window is on screen: from now on it is usable (what start-up time measures)."""
        if event.widget is not self.root or self._ready:
            return
        self.root.update_idletasks()
        self._ready = True
        self._flush_state()

    def state(self) -> dict[str, Any]:
        """What a test or a benchmark needs to know about the window, as plain JSON."""
        shown = self._shown
        def rounded(array):
            return None if array is None else np.round(np.asarray(array, float), 4).tolist()
        return {
            "ready": self._ready,
            "pid": os.getpid(),
            "title": self._title,
            "verdict": shown.verdict if shown else None,
            "digit": shown.digit if shown else None,
            "runner_up": shown.runner_up if shown else None,
            "confidence": shown.confidence if shown else None,
            "message": self.message_label.cget("text"),
            "source": shown.source if shown else None,
            "probabilities": rounded(shown.probabilities) if shown else None,
            "input": rounded(shown.input) if shown else None,
            "grid_levels": self._grid_levels.tolist(),
            "status": self._status_text,
            "status_error": self._status_error,
            "strokes": len(self.controller.strokes),
            "can_undo": self.controller.can_undo,
            "can_redo": self.controller.can_redo,
            "eraser": self.controller.eraser,
            "brush_fraction": self.controller.brush_fraction,
            "stages_visible": bool(self.stages_var.get()),
            "updates": self._updates,
            "canvas": {"x": self.canvas.winfo_rootx(), "y": self.canvas.winfo_rooty(), "size": self.canvas_side,
                       "raster_size": self.controller.canvas_px},
            "grid": {"x": self.grid_canvas.winfo_rootx(), "y": self.grid_canvas.winfo_rooty(),
                     "cell": GRID_CELL_PX},
            "window": {"x": self.root.winfo_rootx(), "y": self.root.winfo_rooty(),
                       "width": self.root.winfo_width(), "height": self.root.winfo_height()},
            "weights": str(self.weights_path) if self.weights_path else None,
            "hover": self.hover_label.cget("text"),
            "raster_ink": float(self.controller.raster.pixels.sum(dtype=np.float64)),
            "drawing": {"strokes": [[list(p) for p in stroke.points] for stroke in self.controller.strokes],
                        "widths": [stroke.width for stroke in self.controller.strokes],
                        "erase": [stroke.erase for stroke in self.controller.strokes]},
            "help_open": bool(self._help is not None and self._help.winfo_exists()),
        }

    def _write_state(self) -> None:
        """Schedule a state-file write; bursts of updates cost one write every STATE_WRITE_MS."""
        if self.state_file is None or not hasattr(self, "grid_canvas") or self._state_job is not None:
            return
        self._state_job = self.root.after(self._state_interval_ms, self._flush_state)

    def _flush_state(self) -> None:
        self._state_job = None
        if self.state_file is not None:
            atomic_write_text(self.state_file, json.dumps(self.state()))

    def _write_profile(self) -> None:
        if self.profile_file is None:
            return
        atomic_write_text(self.profile_file, json.dumps({
            "event_to_update_ms": self._latencies_ms,
            "server_event_to_update_ms": self._server_latencies_ms,
            "update_ms": self._update_ms,
            "updates": self._updates,
        }))


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def _thumbnail(array: np.ndarray, side: int) -> Image.Image:
    """A dark-on-paper square thumbnail of a [0, 1] ink array, aspect ratio kept."""
    h, w = array.shape
    grey = Image.fromarray(np.clip(255 - array * 255, 0, 255).astype(np.uint8))
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Upscaled small arrays stay crisp (their pixels are the point); big ones are smoothed down.
    resample = Image.NEAREST if max(h, w) <= side else Image.BILINEAR
    grey = grey.resize(size, resample)
    canvas = Image.new("L", (side, side), 255)
    canvas.paste(grey, ((side - size[0]) // 2, (side - size[1]) // 2))
    return canvas


def _save_png_atomically(pixels: np.ndarray, path: Path) -> None:
    image = Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8), mode="L")
    atomic_write(path, lambda handle: image.save(handle, format="PNG"))
