"""Help > Keyboard and mouse (F1), built from the command table, and Help > About.

Each is a small window of its own, opened once (asking again brings it to the front) and closed
with Escape, its Close button or the window manager. What they say comes from headless functions
(`app.commands.help_rows`, `about_rows`), so it is tested without a display.
"""
from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import Callable, Sequence

import model
from app.commands import help_rows
from app.side_window import SideWindow, place_beside
from app.theme import CARD, Fonts

LICENCE = "MIT"


def about_rows(model_line: str, weights: Path, data_folder: Path) -> list[tuple[str, str]]:
    """(what, value) rows for About: version, licence, the model in use ('bundled - MLP ...'), its
    file, the user data folder."""
    return [
        ("Version", model.__version__),
        ("Licence", LICENCE),
        ("Model", model_line),
        ("Weights file", str(weights)),
        ("Your data folder", str(data_folder)),
    ]


#: About how many characters of a help line fit on one line of a column (290 px wide).
CHARS_PER_LINE = 40


def split_columns(rows: Sequence[tuple[str, str]], columns: int) -> list[list[tuple[str, str]]]:
    """`rows` cut, in order, into `columns` runs of nearly equal length (the first ones longer).

    Two columns are balanced by the lines the rows take (a long help line wraps), so that one
    more row cannot make the taller column, and the window, grow by more than its own lines.
    """
    if not rows:
        return [[]]
    if columns == 2 and len(rows) > 1:
        lines = [max(1, -(-len(text) // CHARS_PER_LINE)) for _, text in rows]
        total = sum(lines)
        # The cut with the shortest taller column; on a tie the first column takes more.
        cut = min(range(1, len(rows)), key=lambda c: (max(sum(lines[:c]), total - sum(lines[:c])), -c))
        return [list(rows[:cut]), list(rows[cut:])]
    per_column = -(-len(rows) // max(1, columns))
    return [list(rows[i:i + per_column]) for i in range(0, len(rows), per_column)] or [[]]


class InfoWindow(SideWindow):
    """A small window of (label, text) rows with a heading; `open` shows it, `close` closes it.

    on_change(): it opened or closed (the window tells its observers). columns: side by side runs of
    rows, so that a long list (the help) stays within a 600 px high screen.
    """

    def __init__(self, master: tk.Misc, fonts: Fonts, title: str, heading: str,
                 rows: Callable[[], Sequence[tuple[str, str]]], on_change: Callable[[], None], *,
                 close_keys: Sequence[str] = ("<Escape>",), columns: int = 1) -> None:
        self.master, self.fonts, self.title, self.heading = master, fonts, title, heading
        self.columns = columns
        self._rows, self._on_change, self._close_keys = rows, on_change, tuple(close_keys)
        self.window: tk.Toplevel | None = None

    def open(self) -> None:
        if self.lift_if_open():
            return
        window = tk.Toplevel(self.master, background=CARD, padx=18, pady=14)
        window.title(self.title)
        window.transient(self.master.winfo_toplevel())
        runs = split_columns(list(self._rows()), self.columns)
        # Each run is a grid of its own, so a wrapped line in one column does not stretch the others.
        key_width, text_width = (None, 560) if len(runs) == 1 else (170, 290)
        ttk.Label(window, text=self.heading, style="Heading.TLabel").grid(row=0, column=0, columnspan=len(runs),
                                                                         sticky="w", pady=(0, 8))
        for run_index, run in enumerate(runs):
            column = ttk.Frame(window, style="Card.TFrame")
            column.grid(row=1, column=run_index, sticky="nw", padx=(24 if run_index else 0, 0))
            for row, (what, text) in enumerate(run):
                ttk.Label(column, text=what, style="Card.TLabel", font=self.fonts.bold,
                          wraplength=key_width or 0).grid(row=row, column=0, sticky="nw", padx=(0, 14))
                ttk.Label(column, text=text, style="Card.TLabel", wraplength=text_width, justify="left").grid(
                    row=row, column=1, sticky="nw", pady=(0, 1))
        ttk.Button(window, text="Close", command=self.close).grid(row=2, column=len(runs) - 1, sticky="e",
                                                                  pady=(12, 0))
        for sequence in self._close_keys:
            window.bind(sequence, lambda event: (self.close(), "break")[1])
        window.protocol("WM_DELETE_WINDOW", self.close)
        place_beside(window, self.master, (80, 40))
        self.window = window
        self._on_change()


def help_window(master: tk.Misc, fonts: Fonts, on_change: Callable[[], None]) -> InfoWindow:
    """The keyboard and mouse help (F1, which opens it, closes it too)."""
    return InfoWindow(master, fonts, "Digit Pad - keyboard shortcuts", "Keyboard and mouse", help_rows, on_change,
                      close_keys=("<Escape>", "<F1>"), columns=2)


def about_window(master: tk.Misc, fonts: Fonts, rows: Callable[[], Sequence[tuple[str, str]]],
                 on_change: Callable[[], None]) -> InfoWindow:
    """About Digit Pad; `rows` is called each time it opens, so it names the model then in use."""
    return InfoWindow(master, fonts, "About Digit Pad", f"Digit Pad {model.__version__}", rows, on_change)
