"""The Teach dialog: a progress bar and Cancel while the fine-tune runs; then the before/after
figures and Use it / Discard. It is not modal: the main window keeps reading drawings meanwhile.

It paints the state of an ``app.teach.Teacher`` (``refresh``) and owns no logic: what each state
says comes from ``Teacher.lines()``, which buttons show from ``buttons_for``.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

from app.side_window import SideWindow, place_beside
from app.teach import Teacher
from app.theme import CARD, Fonts

#: The dialog's buttons in each state of the Teacher (left to right).
BUTTONS = {"running": ("Cancel",), "done": ("Discard", "Use it"), "cancelled": ("Close",), "failed": ("Close",),
           "idle": ("Close",)}


def buttons_for(state: str) -> tuple[str, ...]:
    return BUTTONS.get(state, ("Close",))


class TeachDialog(SideWindow):
    """A Toplevel over `master` showing `teacher`; on_use / on_discard: the person chose; on_change:
    it opened, closed or changed (the window tells its observers)."""

    def __init__(self, master: tk.Misc, teacher: Teacher, fonts: Fonts, *, on_use: Callable[[], None],
                 on_discard: Callable[[], None], on_change: Callable[[], None] = lambda: None) -> None:
        self.master, self.teacher, self.fonts = master, teacher, fonts
        self._on_use, self._on_discard, self._on_change = on_use, on_discard, on_change
        self.window: tk.Toplevel | None = None
        self._shown: tuple | None = None

    def open(self) -> None:
        if self.is_open:
            self.window.lift()
            self.refresh()
            return
        window = tk.Toplevel(self.master, background=CARD, padx=18, pady=14)
        window.title("Digit Pad - Teach it your handwriting")
        window.transient(self.master.winfo_toplevel())
        window.columnconfigure(0, weight=1)
        self.heading = ttk.Label(window, text="", style="Heading.TLabel")
        self.heading.grid(row=0, column=0, sticky="w", pady=(0, 8))
        self.progress = ttk.Progressbar(window, orient="horizontal", length=420, mode="determinate", maximum=1000)
        self.progress.grid(row=1, column=0, sticky="ew")
        self.text = ttk.Label(window, text="", style="Card.TLabel", wraplength=520, justify="left")
        self.text.grid(row=2, column=0, sticky="w", pady=(8, 0))
        self.button_row = ttk.Frame(window, style="Card.TFrame")
        self.button_row.grid(row=3, column=0, sticky="e", pady=(12, 0))
        self.buttons: dict[str, ttk.Button] = {}
        window.protocol("WM_DELETE_WINDOW", self._closed_by_window)
        window.bind("<Escape>", lambda event: (self._closed_by_window(), "break")[1])
        window.bind("<Return>", lambda event: (self._default(), "break")[1])
        self.window = window
        self._shown = None
        self.refresh()
        place_beside(window, self.master, (120, 80))
        self._on_change()

    def refresh(self) -> None:
        """Show the teacher's state (touching only what changed: progress arrives every batch)."""
        if not self.is_open:
            return
        teacher = self.teacher
        self.progress.configure(value=int(teacher.fraction * 1000))
        shown = (teacher.state, tuple(teacher.lines()))
        if shown == self._shown:
            return
        self._shown = shown
        heading = {"running": "Teaching a copy of the model your handwriting...",
                   "done": "Done: keep the taught model?", "cancelled": "Cancelled",
                   "failed": "Teach failed"}.get(teacher.state, "Teach it your handwriting")
        self.heading.configure(text=heading)
        self.text.configure(text="\n".join(shown[1]))
        if tuple(self.buttons) != buttons_for(teacher.state):
            for button in self.buttons.values():
                button.destroy()
            self.buttons = {}
            for column, name in enumerate(buttons_for(teacher.state)):
                button = ttk.Button(self.button_row, text=name, command=lambda n=name: self.press(n))
                button.grid(row=0, column=column, padx=(6, 0))
                self.buttons[name] = button
        self._on_change()

    def press(self, name: str) -> None:
        """A button of the dialog (tests press them by name)."""
        if name == "Cancel":
            self.teacher.cancel()
        elif name == "Use it":
            self._on_use()
            self.close()
        elif name == "Discard":
            self._on_discard()
            self.close()
        else:
            self.close()

    def _default(self) -> None:
        """Return: Use it when done, Close when over; nothing while running (Cancel takes a click)."""
        if not self.teacher.running:
            self.press(buttons_for(self.teacher.state)[-1])

    def _closed_by_window(self) -> None:
        """Closing the dialog while it runs cancels; once done, it discards (nothing is kept unasked)."""
        if self.teacher.running:
            self.teacher.cancel()
        elif self.teacher.state == "done":
            self._on_discard()
        self.close()

