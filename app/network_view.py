"""The network view (View > Network view, F4): every layer at work as the person draws.

A window of its own beside the main one (the main window already fills a small screen): each
hidden layer's activations as a grid of cells (dark = silent, bright = firing, on a fixed scale per
layer measured on the bundled examples, so brightness means the same from one drawing to the
next), the units that push the reading most toward the top digit framed sky blue and those
pushing toward the runner-up amber (`Explanation.strongest_units`), the outputs as bars. Hovering
a unit shows its incoming first-layer weights (for a deeper unit: its weights traced back through
the units active now) as a 28x28 picture, with its activation and contribution; a click keeps that
unit shown. It is painted at most FRAME_MS apart, after the main window's update, with the latest
reading. What to draw is decided by headless functions (`layer_views`, `unit_view`,
`output_rows`); the window only paints them.

Shapes: a layer of n units is shown as `heatmaps.grid_shape(n)` cells of `layer_cell_px(n)` pixels.
"""
from __future__ import annotations

import time
import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageTk

from app.controller import Reading
from app.evidence_view import AGAINST_HEX, TOWARD_HEX
from app.side_window import SideWindow, on_screen
from app.theme import BAR_FILL, BAR_TRACK, BORDER, CARD, MUTED, PAD, TEXT, Fonts
from model import heatmaps, plots
from model.explain import Explainer, Explanation

#: The view is painted at most once in this many milliseconds (25 a second: live to the eye).
FRAME_MS = 40
#: Framed units per layer, each way.
TOP_UNITS = 5
#: A layer's grid is at most this wide on screen (pixels); cells are 2 to 8 pixels.
MAX_LAYER_PX = 256
#: One input pixel of a unit's weight picture, on screen.
UNIT_PX = 7
#: The output bars.
BAR_ROW_PX = 17
BARS_WIDTH = 150
HINT = "Hover over a unit to see its weights; click to keep it"


def layer_cell_px(n: int) -> int:
    """Pixels per cell for a layer of n units (its grid at most MAX_LAYER_PX wide)."""
    columns = heatmaps.grid_shape(n)[1]
    return max(2, min(8, MAX_LAYER_PX // columns))


@dataclass(frozen=True)
class LayerView:
    """One hidden layer as shown: picture (rows * cell_px, columns * cell_px, 3) uint8; units n;
    toward / against: the framed units (strongest first)."""

    picture: np.ndarray
    units: int
    columns: int
    cell_px: int
    toward: tuple[int, ...]
    against: tuple[int, ...]


def layer_views(sizes: Sequence[int], explanation: Explanation | None, scales: Sequence[float],
                k: int = TOP_UNITS) -> list[LayerView]:
    """The hidden layers' pictures (sizes: units per hidden layer; all silent when there is no
    explanation, i.e. nothing drawn)."""
    views = []
    for layer, n in enumerate(sizes):
        columns, cell_px = heatmaps.grid_shape(n)[1], layer_cell_px(n)
        if explanation is None:
            acts, toward, against = np.zeros(n, np.float32), (), ()
        else:
            acts = explanation.activations[layer]
            toward = tuple(int(u) for u in explanation.strongest_units(layer, k))
            against = tuple(int(u) for u in explanation.strongest_units(layer, k, toward=False))
        scale = scales[layer] if layer < len(scales) else None
        picture = heatmaps.layer_picture(acts, scale=scale, toward=toward, against=against, columns=columns,
                                         cell_px=cell_px)
        views.append(LayerView(picture, n, columns, cell_px, toward, against))
    return views


@dataclass(frozen=True)
class UnitView:
    """One unit in detail: pattern (28 * UNIT_PX, 28 * UNIT_PX, 3) uint8 (its incoming weights,
    green where ink raises it, purple where ink lowers it), activation, contribution (its share
    of the logit difference, last hidden layer; its input x gradient term otherwise), lines of
    text."""

    layer: int
    unit: int
    pattern: np.ndarray
    activation: float
    contribution: float
    lines: tuple[str, ...]


def unit_view(explainer: Explainer, explanation: Explanation | None, layer: int, unit: int, *,
              pattern: bool = True) -> UnitView:
    """The detail of `unit` of hidden `layer` for the current explanation (None: nothing drawn);
    pattern=False leaves the picture out (an empty array) when the one shown is still right."""
    image = None if explanation is None else explanation.image
    if pattern:
        picture = heatmaps.enlarge(heatmaps.weights_rgb(explainer.unit_pattern(layer, unit, image)), UNIT_PX)
    else:
        picture = np.zeros((0, 0, 3), np.uint8)
    if explanation is None:
        activation = contribution = 0.0
    else:
        activation = float(explanation.activations[layer][unit])
        contribution = float(explanation.contributions[layer][unit])
    kind = "incoming weights" if layer == 0 else "weights traced to the input"
    lines = [f"Layer {layer + 1}, unit {unit}", f"activation {activation:.2f}"]
    if explanation is not None:
        digit = explanation.target if contribution >= 0 else explanation.versus
        lines.append(f"pushes {abs(contribution):.2f} toward {digit}" if contribution else "no say now (silent)")
    lines.append(kind)
    return UnitView(layer, unit, picture, activation, contribution, tuple(lines))


def default_unit(explanation: Explanation | None) -> tuple[int, int] | None:
    """The unit shown until the person picks one: the first layer's strongest toward the top digit."""
    if explanation is None:
        return None
    best = explanation.strongest_units(0, 1)
    return (0, int(best[0])) if best.size else None


@dataclass(frozen=True)
class OutputRow:
    """One output bar: digit, probability, colour (blue: the top digit, orange: the runner-up)."""

    digit: int
    probability: float
    colour: str


def output_rows(reading: Reading) -> list[OutputRow]:
    """The ten output bars (the reading's calibrated probabilities, as the prediction card)."""
    rows = []
    for digit in range(10):
        p = 0.0 if reading.probabilities is None else float(reading.probabilities[digit])
        colour = TOWARD_HEX if digit == reading.digit else AGAINST_HEX if digit == reading.runner_up else BAR_FILL
        rows.append(OutputRow(digit, p, colour))
    return rows


def heading(explanation: Explanation | None) -> str:
    if explanation is None:
        return "Draw a digit to see the network at work"
    return f"Why {explanation.target} and not {explanation.versus}"




class NetworkView(SideWindow):
    """The network view's window: `open`, `close`, `show(reading)` (only while open).

    insight: app.insight.Insight (explanations and activation scales); examples: (n, 28, 28) images
    for the brightness scales; on_change(): opened or closed; on_closed(): the person closed it
    (the window unticks its menu entry).
    """

    def __init__(self, master: tk.Misc, fonts: Fonts, insight, examples: Callable[[], np.ndarray], *,
                 on_change: Callable[[], None], on_closed: Callable[[], None]) -> None:
        self.master, self.fonts, self.insight, self._examples = master, fonts, insight, examples
        self._on_change, self._on_closed = on_change, on_closed
        self.window: tk.Toplevel | None = None
        self.pinned: tuple[int, int] | None = None
        self.hovered: tuple[int, int] | None = None
        self.shown_unit: UnitView | None = None
        self.layers: list[LayerView] = []
        self._explanation: Explanation | None = None
        self._reading: Reading | None = None
        self._photos: dict[str, ImageTk.PhotoImage] = {}
        self._pending: Reading | None = None
        self._job: str | None = None
        self._painted_at = 0.0

    # ------------------------------------------------------------------ building
    def open(self) -> None:
        if self.is_open:
            self.window.lift()
            return
        explainer = self.insight.explainer
        window = tk.Toplevel(self.master, background=CARD, padx=PAD + 4, pady=PAD)
        window.title("Digit Pad - inside the network")
        self.share_main_keys(window)
        self.window = window
        self.heading = ttk.Label(window, text="", style="Heading.TLabel")
        self.heading.grid(row=0, column=0, columnspan=8, sticky="w")
        self.summary = ttk.Label(window, text="", style="Muted.TLabel")
        self.summary.grid(row=1, column=0, columnspan=8, sticky="w", pady=(0, 4))
        sizes = explainer.hidden_sizes if explainer is not None else []
        self.layer_canvases: list[tk.Canvas] = []
        self._marks: list[int] = []
        for layer, n in enumerate(sizes):
            rows, columns = heatmaps.grid_shape(n)
            cell = layer_cell_px(n)
            ttk.Label(window, text=f"Hidden layer {layer + 1} ({n} units)", style="Card.TLabel",
                      font=self.fonts.bold).grid(row=2, column=layer, sticky="w", padx=(0, PAD))
            canvas = tk.Canvas(window, width=columns * cell, height=rows * cell, background=CARD,
                               highlightthickness=0, cursor="hand2")
            canvas.grid(row=3, column=layer, sticky="nw", padx=(0, PAD))
            canvas.create_image(0, 0, anchor="nw", tags=("picture",))
            self._marks.append(canvas.create_rectangle(0, 0, 0, 0, outline="#ffffff", width=2, state="hidden"))
            canvas.bind("<Motion>", lambda e, i=layer: self._hover(i, e))
            canvas.bind("<Leave>", lambda e: self._unhover())
            canvas.bind("<ButtonPress-1>", lambda e, i=layer: self._click(i, e))
            self.layer_canvases.append(canvas)
        column = len(sizes)
        ttk.Label(window, text="Output", style="Card.TLabel", font=self.fonts.bold).grid(
            row=2, column=column, sticky="w", padx=(0, PAD))
        self.bars = tk.Canvas(window, width=BARS_WIDTH, height=10 * BAR_ROW_PX, background=CARD,
                              highlightthickness=0)
        self.bars.grid(row=3, column=column, sticky="nw", padx=(0, PAD))
        self._bar_items = []
        for digit in range(10):
            y = digit * BAR_ROW_PX
            label = self.bars.create_text(8, y + BAR_ROW_PX / 2, text=str(digit), font=self.fonts.bold, fill=TEXT)
            self.bars.create_rectangle(20, y + 3, BARS_WIDTH - 44, y + BAR_ROW_PX - 3, fill=BAR_TRACK, outline="")
            bar = self.bars.create_rectangle(20, y + 3, 20, y + BAR_ROW_PX - 3, fill=BAR_FILL, outline="")
            text = self.bars.create_text(BARS_WIDTH - 2, y + BAR_ROW_PX / 2, text="", anchor="e",
                                         font=self.fonts.small, fill=MUTED)
            self._bar_items.append((label, bar, text))
        self._bar_looks: dict[int, tuple] = {}
        self._pattern_key: tuple | None = None
        self.unit_title = ttk.Label(window, text="Unit", style="Card.TLabel", font=self.fonts.bold)
        self.unit_title.grid(row=2, column=column + 1, sticky="w")
        side = 28 * UNIT_PX
        self.unit_canvas = tk.Canvas(window, width=side, height=side, background=CARD, highlightthickness=1,
                                     highlightbackground=BORDER)
        self.unit_canvas.grid(row=3, column=column + 1, sticky="nw")
        self.unit_canvas.create_image(0, 0, anchor="nw", tags=("picture",))
        self.unit_label = ttk.Label(window, text=HINT, style="Card.TLabel", justify="left", wraplength=side + 10)
        self.unit_label.grid(row=4, column=column + 1, sticky="nw", pady=(4, 0))
        self._scales = self.insight.activation_scales(self._examples()) if explainer is not None else []
        # Each layer's legend names its own full-brightness level (the layers' scales differ).
        self._legend_photos = [ImageTk.PhotoImage(plots.activation_legend(scale, width=220, height=40), master=window)
                               for scale in self._scales]
        for layer, photo in enumerate(self._legend_photos):
            tk.Label(window, image=photo, background=CARD, borderwidth=0).grid(row=4, column=layer, sticky="nw",
                                                                               pady=(6, 0))
        self._legend_photos.append(ImageTk.PhotoImage(plots.weights_legend(width=180, height=40), master=window))
        tk.Label(window, image=self._legend_photos[-1], background=CARD, borderwidth=0).grid(
            row=5, column=column + 1, sticky="nw")
        window.bind("<Escape>", lambda e: (self._closed_by_person(), "break")[1])
        window.protocol("WM_DELETE_WINDOW", self._closed_by_person)
        self._place()
        self._on_change()

    def _place(self) -> None:
        """Below the main window when there is room, else as low as fits (it is a window of its own)."""
        window, top = self.window, self.master.winfo_toplevel()
        window.update_idletasks()
        size = (window.winfo_reqwidth(), window.winfo_reqheight())
        height = top.winfo_height() if top.winfo_ismapped() else top.winfo_reqheight()  # opened at start
        x, y = on_screen((top.winfo_rootx(), top.winfo_rooty() + height + 30), size,
                         (window.winfo_screenwidth(), window.winfo_screenheight()))
        window.geometry(f"+{x}+{y}")

    def _closing(self) -> None:
        if self._job is not None:
            self.window.after_cancel(self._job)
            self._job = None
        self._photos.clear()
        self._reading = None

    def _closed_by_person(self) -> None:
        self.close()
        self._on_closed()

    # ------------------------------------------------------------------ painting
    def show(self, reading: Reading, force: bool = False) -> None:
        """Paint `reading` soon: at once when the last paint is FRAME_MS old (or force), otherwise
        once it is, and only the latest reading then. Painting this window costs more than the
        main window's update; at most one paint a frame keeps it from delaying the pen."""
        if not self.is_open:
            return
        self._pending = reading
        if force:
            self._paint_pending(force=True)
            return
        if self._job is None:
            wait = FRAME_MS - (time.perf_counter() - self._painted_at) * 1000
            self._job = self.window.after(max(0, int(wait)), self._paint_pending)

    @property
    def behind(self) -> bool:
        """True while a reading waits for the next paint."""
        return self._job is not None

    def _paint_pending(self, force: bool = False) -> None:
        if self._job is not None:
            self.window.after_cancel(self._job)
            self._job = None
        reading, self._pending = self._pending, None
        if reading is None or not self.is_open:
            return
        self._painted_at = time.perf_counter()
        if force or reading is not self._reading:
            self._paint(reading)

    def _paint(self, reading: Reading) -> None:
        self._reading = reading
        explainer = self.insight.explainer
        explanation = self.insight.explain(reading)
        self._explanation = explanation
        self._text(self.heading, heading(explanation))
        self._text(self.summary, "" if explanation is None else
                   f"framed: the {TOP_UNITS} units of each layer pushing most toward {explanation.target} (blue) "
                   f"and toward {explanation.versus} (amber); logit {explanation.target} - logit "
                   f"{explanation.versus} = {explanation.logit_difference:.1f}")
        sizes = explainer.hidden_sizes if explainer is not None else []
        self.layers = layer_views(sizes, explanation, self._scales)
        for layer, (view, canvas) in enumerate(zip(self.layers, self.layer_canvases)):
            self._put(f"layer{layer}", view.picture, canvas)
        self._show_bars(reading)
        self._show_unit()

    @staticmethod
    def _text(label: ttk.Label, text: str) -> None:
        if label.cget("text") != text:  # a label change costs a relayout; most updates keep the text
            label.configure(text=text)

    def _put(self, key: str, array: np.ndarray, canvas: tk.Canvas) -> None:
        """Show an RGB array on `canvas`, into the same photo image from one update to the next."""
        image = Image.fromarray(np.ascontiguousarray(array), "RGB")
        photo = self._photos.get(key)
        if photo is None or (photo.width(), photo.height()) != image.size:
            photo = self._photos[key] = ImageTk.PhotoImage(image, master=canvas)
            canvas.itemconfigure("picture", image=photo)
        else:
            photo.paste(image)

    def _show_bars(self, reading: Reading) -> None:
        """Touch only the bars whose look changed, in one Tcl evaluation (each call is a round trip)."""
        length = BARS_WIDTH - 44 - 20
        path, commands = self.bars._w, []
        for row, (label, bar, text) in zip(output_rows(reading), self._bar_items):
            y = row.digit * BAR_ROW_PX
            look = (round(row.probability * length), row.colour,
                    "" if reading.probabilities is None else f"{row.probability:.0%}")
            old = self._bar_looks.get(row.digit)
            if old is None or look[0] != old[0]:
                commands.append(f"{path} coords {bar} 20 {y + 3} {20 + look[0]} {y + BAR_ROW_PX - 3}")
            if old is None or look[1] != old[1]:
                commands.append(f"{path} itemconfigure {bar} -fill {look[1]}")
            if old is None or look[2] != old[2]:
                commands.append(f"{path} itemconfigure {text} -text {{{look[2]}}}")
            self._bar_looks[row.digit] = look
        if commands:
            self.bars.tk.eval("\n".join(commands))

    def _show_unit(self) -> None:
        explainer = self.insight.explainer
        chosen = self.hovered or self.pinned or default_unit(self._explanation)
        for layer, canvas in enumerate(self.layer_canvases):
            if chosen is not None and chosen[0] == layer and layer < len(self.layers):
                view = self.layers[layer]
                row, col = heatmaps.unit_cell(chosen[1], view.columns)
                c = view.cell_px
                canvas.coords(self._marks[layer], col * c, row * c, col * c + c, row * c + c)
                canvas.itemconfigure(self._marks[layer], state="normal")
                canvas.tag_raise(self._marks[layer])
            else:
                canvas.itemconfigure(self._marks[layer], state="hidden")
        if explainer is None or chosen is None:
            self.shown_unit = None
            self.unit_canvas.itemconfigure("picture", image="")
            self._photos.pop("unit", None)
            self._pattern_key = None
            self._text(self.unit_title, "Unit")
            self._text(self.unit_label, HINT)
            return
        # A first-layer unit's weights do not change with the input: painted once while it is shown.
        key = (explainer.model, chosen) if chosen[0] == 0 else None
        repaint = key is None or key != self._pattern_key
        unit = unit_view(explainer, self._explanation, *chosen, pattern=repaint)
        self.shown_unit = unit
        if repaint:
            self._put("unit", unit.pattern, self.unit_canvas)
        self._pattern_key = key
        self._text(self.unit_title, unit.lines[0] + (" (kept)" if chosen == self.pinned else ""))
        self._text(self.unit_label, "\n".join(unit.lines[1:]))

    # ------------------------------------------------------------------ pointer
    def _unit_at(self, layer: int, event: tk.Event) -> tuple[int, int] | None:
        if layer >= len(self.layers):
            return None
        view = self.layers[layer]
        unit = heatmaps.unit_at(event.x, event.y, view.units, view.columns, view.cell_px)
        return None if unit is None else (layer, unit)

    def _hover(self, layer: int, event: tk.Event) -> None:
        unit = self._unit_at(layer, event)
        if unit != self.hovered:
            self.hovered = unit
            self._show_unit()

    def _unhover(self) -> None:
        if self.hovered is not None:
            self.hovered = None
            self._show_unit()

    def _click(self, layer: int, event: tk.Event) -> None:
        unit = self._unit_at(layer, event)
        self.pinned = None if unit == self.pinned else unit
        self._show_unit()

    def pick(self, layer: int, unit: int) -> None:
        """Keep `unit` of hidden `layer` shown (what a click does)."""
        self.pinned = (int(layer), int(unit))
        if self.is_open:
            self._show_unit()
