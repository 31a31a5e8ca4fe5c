"""The model card (Model > Describe the model, Ctrl+I): what the weights in use say about themselves.

A window with three tabs: the summary (architecture, training date, MNIST test accuracy, the
training recipe, accuracy per digit, the figures measured on drawn digits, what the file does not
record), the training curves (loss and accuracy per epoch) and the MNIST test confusion matrix as
a heat map. The facts come from `model.model_card` (never raises on odd metadata), the pictures
from `model.plots` (Pillow), shrunk to fit a 1024x600 screen. Opened anew each time, so it
describes the model in use then.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Callable, Mapping

from PIL import Image, ImageTk

from app.side_window import SideWindow, place_beside
from app.theme import CARD, PAD, Fonts
from model import plots
from model.model_card import ModelCard, model_card

#: The pictures are shrunk (never enlarged) to fit this box, so the window fits a 1024x600 screen.
PICTURE_BOX = (900, 400)


def fit_size(size: tuple[int, int], box: tuple[int, int] = PICTURE_BOX) -> tuple[int, int]:
    """`size` (width, height) scaled down, aspect kept, to fit `box` (unchanged when it fits)."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


HELD_OUT = "held-out writers, "


def summary_rows(card: ModelCard) -> list[tuple[str, str]]:
    """(what, value) rows of the summary tab."""
    rows = [("Network", card.architecture)]
    if card.created:
        rows.append(("Trained", card.created.replace("T", " ")[:16] + " UTC" if card.created.endswith("+00:00")
                     else card.created))
    if card.mnist_test_accuracy is not None:
        loss = f", loss {card.mnist_test_loss:.4f}" if card.mnist_test_loss is not None else ""
        rows.append(("MNIST test", f"accuracy {card.mnist_test_accuracy * 100:.2f} %{loss}"))
    if card.per_class_accuracy is not None:
        rows.append(("Accuracy per digit", "  ".join(
            f"{d}: {a * 100:.1f} %" if a is not None else f"{d}: -" for d, a in enumerate(card.per_class_accuracy))))
    # The robustness conditions share one row: one row each would not fit a 600 px screen.
    conditions = [(name.removeprefix(HELD_OUT), value) for name, value in card.drawn_figures
                  if name.startswith(HELD_OUT)]
    for name, value in card.drawn_figures:
        if not name.startswith(HELD_OUT):
            rows.append((name[:1].upper() + name[1:], value))
        elif conditions:
            rows.append(("Held-out writers, drawn", ";  ".join(f"{c}: {v}" for c, v in conditions)))
            conditions = []
    if card.notes:
        rows.append(("Not recorded", "; ".join(card.notes)))
    return rows


def recipe_rows(card: ModelCard) -> list[tuple[str, str]]:
    """(what, value) rows of the recipe tab (its own tab: with the figures it would not fit a 600 px screen)."""
    return [(name.capitalize(), value) for name, value in card.recipe] or [("Recipe", "not recorded")]


def card_pictures(card: ModelCard) -> dict[str, Image.Image | None]:
    """'curves' and 'confusion' pictures, each shrunk to PICTURE_BOX (None when not recorded)."""
    pictures: dict[str, Image.Image | None] = {"curves": None, "confusion": None}
    if card.history:
        pictures["curves"] = plots.training_curves_png(list(card.history), best_epoch=card.best_epoch)
    if card.confusion is not None:
        pictures["confusion"] = plots.confusion_png(card.confusion, title="MNIST test confusion matrix")
    for name, image in pictures.items():
        if image is not None and fit_size(image.size) != image.size:
            pictures[name] = image.resize(fit_size(image.size), Image.LANCZOS)
    return pictures


class ModelCardView(SideWindow):
    """The card's window: `open(metadata, title)` shows the card of that metadata; `close`."""

    def __init__(self, master: tk.Misc, fonts: Fonts, on_change: Callable[[], None]) -> None:
        self.master, self.fonts, self._on_change = master, fonts, on_change
        self.window: tk.Toplevel | None = None
        self.card: ModelCard | None = None
        self.notebook: ttk.Notebook | None = None
        self._photos: list[ImageTk.PhotoImage] = []

    def open(self, metadata: Mapping[str, Any] | None, title: str) -> None:
        """Show the card of `metadata` (anew if open: the model may have changed); `title` names
        the model ('bundled', a file name)."""
        if self.is_open:
            self.window.destroy()
        self.card = card = model_card(metadata)
        window = tk.Toplevel(self.master, background=CARD, padx=PAD + 4, pady=PAD)
        window.title(f"Digit Pad - model card: {title}")
        window.transient(self.master.winfo_toplevel())
        self.window = window
        ttk.Label(window, text=f"Model card: {title}", style="Heading.TLabel").grid(row=0, column=0, sticky="w")
        notebook = ttk.Notebook(window)
        notebook.grid(row=1, column=0, sticky="nsew", pady=(4, 0))
        self.notebook = notebook
        for tab, rows in (("Summary", summary_rows(card)), ("Recipe", recipe_rows(card))):
            frame = tk.Frame(notebook, background=CARD, padx=PAD, pady=PAD)
            for row, (what, text) in enumerate(rows):
                ttk.Label(frame, text=what, style="Card.TLabel", font=self.fonts.bold, wraplength=200).grid(
                    row=row, column=0, sticky="nw", padx=(0, 14), pady=1)
                ttk.Label(frame, text=text, style="Card.TLabel", wraplength=700, justify="left").grid(
                    row=row, column=1, sticky="w", pady=1)
            notebook.add(frame, text=tab)
        self._photos = []
        pictures = card_pictures(card)
        for name, tab in (("curves", "Training curves"), ("confusion", "Confusion matrix")):
            frame = tk.Frame(notebook, background=CARD, padx=PAD, pady=PAD)
            image = pictures[name]
            if image is None:
                ttk.Label(frame, text=f"The weights file records no {tab.lower()}.", style="Card.TLabel").grid()
            else:
                photo = ImageTk.PhotoImage(image, master=frame)
                self._photos.append(photo)
                tk.Label(frame, image=photo, background=CARD, borderwidth=0).grid()
            notebook.add(frame, text=tab)
        ttk.Button(window, text="Close", command=self.close).grid(row=2, column=0, sticky="e", pady=(6, 0))
        window.bind("<Escape>", lambda e: (self.close(), "break")[1])
        window.protocol("WM_DELETE_WINDOW", self.close)
        place_beside(window, self.master, (40, 10))
        self._on_change()

    def _closing(self) -> None:
        self._photos = []
