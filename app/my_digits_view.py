"""The My digits window: the person's labelled drawings as thumbnails, a row per digit with its
count; click a thumbnail to select it, Delete removes it; Export and Import read and write .jsonl
drawing files (the store's own format, app.my_digits). A file that cannot be imported is one line
in the window and in the status line; the store is unchanged then.

The pictures and the rows are made without Tk (`drawing_thumbnail`, `rows`), so they are tested
headless; the Toplevel only lays them out.
"""
from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Callable

from PIL import Image, ImageDraw, ImageTk

from app.side_window import SideWindow, place_beside
from app.my_digits import MyDigits, Sample, SampleStoreError
from app.theme import ACCENT, BORDER, CARD, ERROR, INK, PAPER, TEXT, Fonts
from model.oneline import one_line
from preprocessing.drawing import Drawing, DrawingFormatError

#: Thumbnail side (px) and how many a digit's row shows (the newest; the rest are counted).
THUMB_PX = 40
PER_ROW = 12


def drawing_thumbnail(drawing: Drawing, side: int = THUMB_PX) -> Image.Image:
    """The drawing's strokes as the person drew them, (side, side) RGB, ink on paper; erasing
    strokes paint paper. Stroke widths are the drawing's own (fractions of the canvas), at least
    one pixel."""
    scale = 4  # drawn large and shrunk: smooth lines at thumbnail size
    big = side * scale
    image = Image.new("RGB", (big, big), PAPER)
    draw = ImageDraw.Draw(image)
    widths = drawing.widths or [None] * len(drawing.strokes)
    erase = drawing.erase or [False] * len(drawing.strokes)
    for points, width, erasing in zip(drawing.strokes, widths, erase):
        if not points:
            continue
        px = max(scale, int(round((width if width else 0.04) * big)))
        xy = [(x * (big - 1), y * (big - 1)) for x, y in points]
        colour = PAPER if erasing else INK
        if len(xy) > 1:
            draw.line(xy, fill=colour, width=px, joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - px / 2, y - px / 2, x + px / 2, y + px / 2), fill=colour)
    return image.resize((side, side), Image.LANCZOS)


def rows(store: MyDigits, per_row: int = PER_ROW) -> list[tuple[int, int, list[Sample]]]:
    """(digit, how many, the newest `per_row` samples, newest first) for each digit 0-9."""
    out = []
    for digit in range(10):
        samples = store.by_digit(digit)
        out.append((digit, len(samples), list(reversed(samples))[:per_row]))
    return out


class MyDigitsView(SideWindow):
    """The My digits Toplevel over `master` for `store`. say(text, error=False): the status line;
    on_change(): it opened, closed or changed."""

    def __init__(self, master: tk.Misc, store: MyDigits, fonts: Fonts, *,
                 say: Callable[..., None] = lambda text, error=False: None,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.master, self.store, self.fonts, self._say, self._on_change = master, store, fonts, say, on_change
        self.window: tk.Toplevel | None = None
        self.selected: str | None = None
        self._photos: list[ImageTk.PhotoImage] = []
        self._thumbs: dict[str, tuple[tk.Label, ImageTk.PhotoImage]] = {}
        self._cache: dict[str, Image.Image] = {}
        self.message = ""

    def open(self) -> None:
        if self.is_open:
            self.window.lift()
            self.refresh()
            return
        window = tk.Toplevel(self.master, background=CARD, padx=14, pady=12)
        window.title("Digit Pad - My digits")
        window.transient(self.master.winfo_toplevel())
        self.heading = ttk.Label(window, text="", style="Heading.TLabel")
        self.heading.grid(row=0, column=0, sticky="w")
        self.where = ttk.Label(window, text=f"kept in {self.store.path}", style="Muted.TLabel")
        self.where.grid(row=1, column=0, sticky="w", pady=(0, 6))
        self.grid_frame = tk.Frame(window, background=CARD)
        self.grid_frame.grid(row=2, column=0, sticky="nw")
        self.note = ttk.Label(window, text="", style="Card.TLabel", wraplength=560, justify="left")
        self.note.grid(row=3, column=0, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(window, style="Card.TFrame")
        buttons.grid(row=4, column=0, sticky="e", pady=(8, 0))
        self.buttons = {}
        for column, (name, action) in enumerate((("Delete", self.delete_selected), ("Export...", self.export),
                                                 ("Import...", self.import_), ("Close", self.close))):
            self.buttons[name] = ttk.Button(buttons, text=name, command=action)
            self.buttons[name].grid(row=0, column=column, padx=(6, 0))
        window.bind("<Escape>", lambda event: (self.close(), "break")[1])
        window.bind("<Delete>", lambda event: (self.delete_selected(), "break")[1])
        window.protocol("WM_DELETE_WINDOW", self.close)
        self.window = window
        self.refresh()
        place_beside(window, self.master, (60, 60))
        self._on_change()

    def refresh(self) -> None:
        """Lay out the rows again from the store (after a label, a delete or an import)."""
        if not self.is_open:
            return
        for child in self.grid_frame.winfo_children():
            child.destroy()
        self._photos, self._thumbs = [], {}
        if self.selected is not None and self.store.get(self.selected) is None:
            self.selected = None
        total = len(self.store)
        self.heading.configure(text=f"My digits: {total} drawing{'s' if total != 1 else ''}"
                                    + ("" if total else " (draw a digit, then Ctrl+its digit)"))
        for row, (digit, count, samples) in enumerate(rows(self.store)):
            tk.Label(self.grid_frame, text=f"{digit}", font=self.fonts.heading, background=CARD).grid(
                row=row, column=0, sticky="w", padx=(0, 4))
            more = f"+{count - len(samples)}" if count > len(samples) else ""
            tk.Label(self.grid_frame, text=f"{count}", font=self.fonts.small, background=CARD, width=3,
                     anchor="e").grid(row=row, column=1, sticky="e", padx=(0, 8))
            for column, sample in enumerate(samples, start=2):
                picture = self._cache.get(sample.id)
                if picture is None:
                    picture = self._cache[sample.id] = drawing_thumbnail(sample.drawing)
                photo = ImageTk.PhotoImage(picture, master=self.grid_frame)
                label = tk.Label(self.grid_frame, image=photo, background=CARD, borderwidth=0,
                                 highlightthickness=2, highlightbackground=BORDER)
                label.grid(row=row, column=column, padx=1, pady=1)
                label.bind("<Button-1>", lambda event, sid=sample.id: self.select(sid))
                self._photos.append(photo)
                self._thumbs[sample.id] = (label, photo)
            if more:
                tk.Label(self.grid_frame, text=more, font=self.fonts.small, background=CARD).grid(
                    row=row, column=len(samples) + 2, padx=(4, 0))
        self.select(self.selected)
        self.note.configure(text=self.message)
        self._on_change()

    def select(self, sample_id: str | None) -> None:
        self.selected = sample_id
        for sid, (label, _) in self._thumbs.items():
            label.configure(highlightbackground=ACCENT if sid == sample_id else BORDER)
        if self.is_open:
            self.buttons["Delete"].state(["!disabled"] if sample_id else ["disabled"])

    def delete_selected(self) -> None:
        if self.selected is None:
            return
        sample = self.store.get(self.selected)
        try:
            removed = self.store.delete(self.selected)
        except OSError as exc:
            self._tell(f"Could not delete: {one_line(exc)}", error=True)
            return
        self.selected = None
        if removed and sample is not None:
            self._tell(f"Deleted a {sample.label}; {len(self.store)} drawings left")
        self.refresh()

    # ------------------------------------------------------------------ files
    def export(self) -> None:
        path = filedialog.asksaveasfilename(parent=self.window, title="Export my digits", defaultextension=".jsonl",
                                            filetypes=[("Drawings", "*.jsonl")])
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> bool:
        try:
            count = self.store.export(path)
        except (SampleStoreError, DrawingFormatError, OSError, ValueError) as exc:
            self._tell(f"Could not export: {one_line(exc)}", error=True)
            return False
        self._tell(f"Exported {count} drawings to {path}")
        return True

    def import_(self) -> None:
        path = filedialog.askopenfilename(parent=self.window, title="Import digits",
                                          filetypes=[("Drawings", "*.jsonl"), ("All files", "*")])
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> bool:
        """Merge a .jsonl file into the store; a file that cannot be read, or whose every line is
        refused, is one line (naming the file and the problem) and changes nothing."""
        try:
            report = self.store.import_file(path)
        except (SampleStoreError, OSError) as exc:
            self._tell(f"Could not import: {one_line(exc)}", error=True)
            return False
        if report.refused and not report.added:
            self._tell(f"Could not import: {report.refused[0]}"
                       + (f" (and {len(report.refused) - 1} more lines)" if len(report.refused) > 1 else ""),
                       error=True)
            return False
        first = f"; {report.refused[0]}" if report.refused else ""
        self._tell(f"{report.summary()} from {path.name}{first}", error=bool(report.refused))
        self.refresh()
        return True

    def _tell(self, text: str, error: bool = False) -> None:
        self.message = one_line(text)
        if self.is_open:
            self.note.configure(text=self.message, foreground=ERROR if error else TEXT)
        self._say(text, error=error)

