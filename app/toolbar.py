"""The toolbar: Clear, Undo, Redo, Eraser, the brush slider, Teach, Stages and Help.

Every button is a command of the table (`app.commands`): its label is the command's `button`,
pressing it runs the command, and it is disabled when the command is. Only the brush slider is
the toolbar's own: it sets the controller's brush directly.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

from app.commands import CommandRunner, command
from app.controller import DigitPadController
from app.theme import PAD
from preprocessing.raster import MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION

#: Left to right; None is a separator, "brush" the slider, "" the stretch that pushes the rest right.
LAYOUT = ("clear", "undo", "redo", None, "eraser", "brush", "", "teach", "stages", "help")
#: Buttons drawn as narrow tool buttons (their text's width): the toolbar must not set the
#: window's minimum width (the canvas at its minimum does).
NARROW = ("teach",)


class Toolbar:
    """`frame` holds the buttons; `refresh()` follows the commands' enabled state and the brush.

    on_brush(): the slider changed the brush (the window notes it for its observers).
    """

    def __init__(self, parent: tk.Misc, runner: CommandRunner, controller: DigitPadController,
                 on_brush: Callable[[], None]) -> None:
        self.runner, self.controller, self._on_brush = runner, controller, on_brush
        self.frame = ttk.Frame(parent, padding=(PAD, PAD, PAD, 0))
        self.buttons: dict[str, ttk.Button | ttk.Checkbutton] = {}
        self._shown: dict[str, bool] = {}
        self._shown_brush: tuple[float, str] = (controller.brush_fraction, "")
        for column, item in enumerate(LAYOUT):
            if item is None:
                ttk.Separator(self.frame, orient="vertical").grid(row=0, column=column, sticky="ns", padx=(2, 8))
            elif item == "":
                self.frame.columnconfigure(column, weight=1)
            elif item == "brush":
                self._build_brush(column)
            else:
                cmd = command(item)
                if cmd.check:
                    button = ttk.Checkbutton(self.frame, text=cmd.button, style="Toolbutton",
                                             variable=runner.variables[cmd.check],
                                             command=runner.callback(item, flip=False))
                else:
                    button = ttk.Button(self.frame, text=cmd.button, command=runner.callback(item),
                                        style="Toolbutton" if item in NARROW else "TButton")
                button.grid(row=0, column=column, padx=(0, 6))
                self.buttons[item] = button

    def _build_brush(self, column: int) -> None:
        brush = ttk.Frame(self.frame)
        brush.grid(row=0, column=column, padx=(6, 0))
        ttk.Label(brush, text="Brush").grid(row=0, column=0, padx=(0, 6))
        self.brush_var = tk.DoubleVar(master=self.frame, value=self.controller.brush_fraction)
        self.brush_scale = ttk.Scale(brush, from_=MIN_BRUSH_FRACTION, to=MAX_BRUSH_FRACTION,
                                     variable=self.brush_var, length=130, command=self._slid)
        self.brush_scale.grid(row=0, column=1)
        self.brush_label = ttk.Label(brush, width=6, text="")
        self.brush_label.grid(row=0, column=2, padx=(6, 0))

    def _slid(self, value: str) -> None:
        self.controller.set_brush(float(value))
        self.refresh()
        self._on_brush()

    def refresh(self) -> None:
        """Show the brush and enable the buttons whose commands are enabled (touching only what
        changed: this runs on every update, and configuring a widget costs a relayout)."""
        brush = (self.controller.brush_fraction, f"{self.controller.brush_px:.0f} px")
        if brush != self._shown_brush:
            if brush[0] != self._shown_brush[0]:
                self.brush_var.set(brush[0])
            self.brush_label.configure(text=brush[1])
            self._shown_brush = brush
        for name, button in self.buttons.items():
            enabled = self.runner.enabled(command(name))
            if self._shown.get(name) != enabled:
                self._shown[name] = enabled
                button.state(["!disabled"] if enabled else ["disabled"])
