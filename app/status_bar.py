"""The status line at the bottom of the window: a message, and the model in use.

Two lines: the first says what just happened (an error in red: a file that could not be opened,
weights that were refused); the second always says which model is reading the drawing. Both are
one line each (`model.oneline.one_line`); text wider than the window is cut at its edge on screen,
and `message` and `model` keep it whole.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

from model.oneline import one_line

#: What the message line says until something happens.
WELCOME = "Draw a digit with the mouse; F1 lists the keys"


class StatusBar:
    """`frame` holds the two lines; `say` sets the message, `show_model` the model line.

    on_change(): either line changed (the window tells its observers).
    """

    def __init__(self, parent: tk.Misc, on_change: Callable[[], None] = lambda: None) -> None:
        self._on_change = on_change
        self.frame = ttk.Frame(parent, style="TFrame")
        self.frame.columnconfigure(0, weight=1)
        # width=1: a long line is cut at the window's edge instead of widening the window.
        self.message_label = ttk.Label(self.frame, style="Status.TLabel", anchor="w", width=1)
        self.message_label.grid(row=0, column=0, sticky="ew")
        self.model_label = ttk.Label(self.frame, style="Model.Status.TLabel", anchor="w", width=1)
        self.model_label.grid(row=1, column=0, sticky="ew")
        self.message = ""
        self.error = False
        self.model = ""
        self.say(WELCOME)

    def say(self, text: str, error: bool = False) -> None:
        """Show a message (error=True: in the error colour) until the next one."""
        self.message, self.error = one_line(text), bool(error)
        self.message_label.configure(text=self.message, style="Error.Status.TLabel" if error else "Status.TLabel")
        self._on_change()

    def show_model(self, text: str) -> None:
        self.model = one_line(text)
        self.model_label.configure(text=self.model)
        self._on_change()
