"""'What the network sees': the 28x28 network input as a grid of cells, editable by clicking.

The cells are one image, redrawn from the input only when a shade changed (re-shading 784 canvas
rectangles per update cost about 7 ms, the image about 1 ms). Hovering a cell names its value;
a left click (or drag) paints it, a right click erases it, and the prediction follows the edited
input until the next canvas edit. With the evidence overlay on (app.evidence_view) the cells are
coloured by their evidence instead, with a legend under the grid.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

import numpy as np
from PIL import ImageTk

from app.controller import GRID_PAINT_VALUE, DigitPadController, Reading
from app.evidence_view import Evidence, EvidenceLegend, cell_evidence_text
from app.imaging import GridPainter, grid_levels
from app.theme import ACCENT, GRID_LINE, PAD, PAPER, card

#: One cell of the grid on screen, in pixels.
GRID_CELL_PX = 9
HINT = "Click to paint a cell, right-click to erase"


def cell_at(x: float, y: float, cell_px: int) -> tuple[int, int] | None:
    """The (row, col) under pixel (x, y) of a grid of `cell_px` cells, or None outside it."""
    row, col = int(y // cell_px), int(x // cell_px)
    return (row, col) if 0 <= row < 28 and 0 <= col < 28 else None


def cell_text(row: int, col: int, value: float) -> str:
    """The hover line for a cell."""
    return f"row {row}, column {col}: value {value:.2f}"


class GridPanel:
    """The card (`frame`); `show(reading)` shades the cells; `levels` holds the shown shades.

    on_input(event): a cell edit changed the network's input (the window schedules an update).
    """

    def __init__(self, parent: tk.Misc, controller: DigitPadController, *,
                 on_input: Callable[[tk.Event], None], cell_px: int = GRID_CELL_PX) -> None:
        self.controller = controller
        self._on_input = on_input
        self.cell_px = cell_px
        self.frame = card(parent, "What the network sees")
        self.painter = GridPainter(cell_px)
        side = self.painter.side
        self.canvas = tk.Canvas(self.frame, width=side + 1, height=side + 1, background=PAPER,
                                highlightthickness=0, cursor="pencil")
        self.canvas.grid(row=1, column=0, columnspan=2, padx=PAD, pady=(4, 2))
        self._photo = ImageTk.PhotoImage(self.painter.lines, master=self.canvas)
        self.canvas.create_image(0, 0, image=self._photo, anchor="nw")
        self.canvas.create_rectangle(0, 0, side, side, outline=GRID_LINE)
        self._highlight = self.canvas.create_rectangle(0, 0, 0, 0, outline=ACCENT, width=2, state="hidden")
        # width=1: the hint never widens the card; the grid decides its width.
        self.hover_label = ttk.Label(self.frame, text=HINT, style="Muted.TLabel", width=1)
        self.hover_label.grid(row=2, column=0, columnspan=2, sticky="ew", padx=PAD, pady=(0, PAD - 2))
        self.levels = np.full((28, 28), -1, np.int16)
        self.legend = EvidenceLegend(self.frame)  # gridded while the overlay is on
        #: The evidence shown (None: the overlay is off or there is nothing to explain).
        self.evidence: Evidence | None = None
        self._overlay = False
        grid = self.canvas
        grid.bind("<Motion>", self._hover)
        grid.bind("<Leave>", self._leave)
        grid.bind("<ButtonPress-1>", lambda e: self._edit(e, GRID_PAINT_VALUE))
        grid.bind("<B1-Motion>", lambda e: self._edit(e, GRID_PAINT_VALUE))
        grid.bind("<ButtonPress-3>", lambda e: self._edit(e, 0.0))
        grid.bind("<B3-Motion>", lambda e: self._edit(e, 0.0))

    @property
    def hover_text(self) -> str:
        return self.hover_label.cget("text")

    def show(self, reading: Reading, force: bool = False) -> None:
        """Shade each cell by its input value (the image is redrawn only when some shade changed)."""
        levels = grid_levels(reading.input)
        if force or not np.array_equal(levels, self.levels):
            self._photo.paste(self.painter.image(levels))
        self.levels = levels

    def set_overlay(self, on: bool) -> None:
        """Show the evidence legend (on) or hide it; the cells follow with the next show."""
        self._overlay = bool(on)
        if on:
            # In the hint's own row, above it: hovering a cell lifts the hover line over the legend.
            self.legend.frame.grid(row=2, column=0, columnspan=2, sticky="nsew", padx=PAD, pady=(0, PAD - 2))
            self.legend.frame.lift()
        else:
            self.legend.frame.grid_remove()
            self.evidence = None

    def show_evidence(self, reading: Reading, evidence: Evidence | None) -> None:
        """Colour the cells by `evidence` (the overlay is on); plain shades when there is none."""
        self.evidence = evidence
        self.legend.show(evidence)
        if evidence is None:
            self.show(reading, force=True)
            return
        self.levels = grid_levels(reading.input)
        self._photo.paste(self.painter.colour_image(evidence.colours))

    def _hover(self, event: tk.Event) -> None:
        cell = cell_at(event.x, event.y, self.cell_px)
        if cell is None:
            self._leave(event)
            return
        row, col = cell
        x, y = col * self.cell_px, row * self.cell_px
        self.canvas.coords(self._highlight, x + 1, y + 1, x + self.cell_px, y + self.cell_px)
        self.canvas.itemconfigure(self._highlight, state="normal")
        self.hover_label.lift()
        image = self.controller.reading().input
        text = cell_text(row, col, 0.0 if image is None else float(image[row, col]))
        self.hover_label.configure(text=text + cell_evidence_text(self.evidence, row, col))

    def _leave(self, event: tk.Event) -> None:
        self.canvas.itemconfigure(self._highlight, state="hidden")
        self.hover_label.configure(text=HINT)
        if self._overlay:
            self.legend.frame.lift()

    def _edit(self, event: tk.Event, value: float) -> None:
        cell = cell_at(event.x, event.y, self.cell_px)
        if cell is None:
            return
        if self.controller.edit_cell(cell[0], cell[1], value):
            self._on_input(event)
        self._hover(event)
