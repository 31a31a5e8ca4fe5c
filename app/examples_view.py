"""Examples to try (View > Examples, F5; R loads a random one): MNIST test digits shipped with the app.

A window of thumbnails, a page at a time, filtered by digit and, optionally, to the examples the
model in use gets wrong (framed red); a click loads one into the grid, and R (here or in the main
window) loads a random one that passes the filter. A loaded example is what the network reads, as
if drawn: the reading, the evidence overlay and the network view follow it (the controller's
`show_input`; the canvas is cleared, undoably). The browsing itself is `ExampleBrowser`, headless.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageTk

from app.side_window import SideWindow, on_screen
from app.theme import ACCENT, BORDER, CARD, ERROR, PAD, rgb, Fonts
from model.examples import ATTRIBUTION, Example, ExampleSet
from model.mlp import MLP

#: The thumbnails: a page of COLUMNS x ROWS, each 28 pixels times THUMB_SCALE, GAP_PX apart.
COLUMNS, ROWS = 10, 4
PAGE = COLUMNS * ROWS
THUMB_SCALE = 2
GAP_PX = 6
CELL_PX = 28 * THUMB_SCALE + GAP_PX


class ExampleBrowser:
    """Which examples are on offer and which is loaded (no Tk).

    examples: the set; model(): the model in use (its mistakes; None when it is not an MLP);
    rng: a numpy Generator for the random picks. digit: None (all) or 0-9; wrong_only: only the
    examples the model misreads; page: 0-based; current: the loaded example or None.
    """

    def __init__(self, examples: ExampleSet, model: Callable[[], Any], rng: np.random.Generator | None = None
                 ) -> None:
        self.examples, self._model = examples, model
        self.rng = rng if rng is not None else np.random.default_rng()
        self.digit: int | None = None
        self.wrong_only = False
        self.page = 0
        self.current: Example | None = None

    @property
    def model(self) -> MLP | None:
        model = self._model()
        return model if isinstance(model, MLP) else None

    def set_filter(self, digit: int | None, wrong_only: bool) -> None:
        """Offer only `digit`'s examples (None: every digit), only the misread ones when wrong_only
        (ignored without an MLP to judge); back to the first page."""
        if digit is not None and not (isinstance(digit, (int, np.integer)) and 0 <= digit <= 9):
            raise ValueError(f"digit must be 0-9 or None, got {digit!r}")
        self.digit, self.wrong_only, self.page = digit, bool(wrong_only), 0

    def positions(self) -> np.ndarray:
        """(k,) positions on offer, ascending."""
        model = self.model
        return self.examples.positions(self.digit, model=model, wrong_only=self.wrong_only and model is not None)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.positions()) // PAGE))

    def turn(self, step: int) -> None:
        """Go `step` pages on (negative: back), staying within the pages."""
        self.page = min(max(self.page + int(step), 0), self.pages - 1)

    def page_positions(self) -> np.ndarray:
        return self.positions()[self.page * PAGE:(self.page + 1) * PAGE]

    def misread(self, positions: np.ndarray) -> np.ndarray:
        """(k,) bool: which of `positions` the model misreads (all False without a model)."""
        model = self.model
        if model is None or len(positions) == 0:
            return np.zeros(len(positions), bool)
        return self.examples.predictions(model)[positions] != self.examples.labels[positions]

    def pick(self, position: int) -> Example:
        self.current = self.examples.example(int(position))
        return self.current

    def random(self) -> Example | None:
        """A random example on offer, not the one loaded now (None when nothing is on offer)."""
        model = self.model
        example = self.examples.random(self.rng, self.digit, model=model, wrong_only=self.wrong_only and model is not None,
                                       exclude=None if self.current is None else self.current.position)
        if example is not None:
            self.current = example
        return example

    def offer_text(self) -> str:
        """'100 examples of 7 (3 the model gets wrong)', or of every digit."""
        positions = self.positions()
        which = "every digit" if self.digit is None else str(self.digit)
        wrong = int(self.misread(positions).sum())
        text = f"{len(positions)} example{'s' if len(positions) != 1 else ''} of {which}"
        if self.wrong_only:
            return text + " that the model gets wrong"
        return text + (f" ({wrong} the model gets wrong)" if self.model is not None else "")

    def sheet(self) -> Image.Image:
        """The current page as one RGB picture (COLUMNS x ROWS cells of CELL_PX): dark ink on paper,
        misread examples framed red, the loaded one framed blue."""
        positions = self.page_positions()
        side = 28 * THUMB_SCALE
        pixels = np.empty((ROWS * CELL_PX, COLUMNS * CELL_PX, 3), np.uint8)
        pixels[:] = rgb(CARD)
        misread = self.misread(positions)
        for i, position in enumerate(positions):
            row, column = divmod(i, COLUMNS)
            top, left = row * CELL_PX + GAP_PX // 2, column * CELL_PX + GAP_PX // 2
            grey = 255 - np.repeat(np.repeat(self.examples.images[position], THUMB_SCALE, 0), THUMB_SCALE, 1)
            pixels[top:top + side, left:left + side] = grey[..., None]
            frame = ACCENT if self.current is not None and position == self.current.position else \
                ERROR if misread[i] else None
            if frame is not None:
                _frame(pixels, top - 2, left - 2, side + 4, rgb(frame))
        return Image.fromarray(pixels, "RGB")

    def position_at(self, x: float, y: float) -> int | None:
        """The example under pixel (x, y) of the sheet, or None."""
        row, column = int(y // CELL_PX), int(x // CELL_PX)
        if x < 0 or y < 0 or column >= COLUMNS or row >= ROWS:
            return None
        positions = self.page_positions()
        index = row * COLUMNS + column
        return int(positions[index]) if index < len(positions) else None


def _frame(pixels: np.ndarray, top: int, left: int, side: int, colour) -> None:
    top, left = max(top, 0), max(left, 0)
    box = pixels[top:top + side, left:left + side]
    box[:2], box[-2:], box[:, :2], box[:, -2:] = colour, colour, colour, colour


def describe(example: Example, digit_read: int | None) -> str:
    """The status line for a loaded example."""
    where = f" (#{example.source_index})" if example.source_index >= 0 else ""
    read = "" if digit_read is None else f"; the model reads {digit_read}" + (
        "" if digit_read == example.label else " (wrong)")
    article = "an" if example.label == 8 else "a"
    return f"Example: {article} {example.label} from the MNIST test set{where}{read}. R loads another"


class ExamplesView(SideWindow):
    """The examples window: `open`, `close`, `refresh()` (after a load or a model change).

    on_load(example): load it into the grid; on_change(): opened or closed; on_closed(): closed
    by the person (the window unticks its menu entry).
    """

    def __init__(self, master: tk.Misc, fonts: Fonts, browser: ExampleBrowser, *,
                 on_load: Callable[[Example], None], on_change: Callable[[], None],
                 on_closed: Callable[[], None]) -> None:
        self.master, self.fonts, self.browser = master, fonts, browser
        self._on_load, self._on_change, self._on_closed = on_load, on_change, on_closed
        self.window: tk.Toplevel | None = None
        self._photo: ImageTk.PhotoImage | None = None

    def open(self) -> None:
        if self.lift_if_open():
            return
        window = tk.Toplevel(self.master, background=CARD, padx=PAD + 4, pady=PAD)
        window.title("Digit Pad - examples")
        self.share_main_keys(window)
        self.window = window
        ttk.Label(window, text="Examples to try", style="Heading.TLabel").grid(row=0, column=0, sticky="w")
        self.offer_label = ttk.Label(window, text="", style="Card.TLabel")
        self.offer_label.grid(row=1, column=0, sticky="w", pady=(0, 4))
        digits = tk.Frame(window, background=CARD)
        digits.grid(row=2, column=0, sticky="w")
        self.digit_var = tk.IntVar(master=window, value=-1 if self.browser.digit is None else self.browser.digit)
        for i, (text, value) in enumerate([("All", -1)] + [(str(d), d) for d in range(10)]):
            ttk.Radiobutton(digits, text=text, value=value, variable=self.digit_var, style="Toolbutton",
                            command=self._filter).grid(row=0, column=i, padx=(0, 2))
        self.wrong_var = tk.BooleanVar(master=window, value=self.browser.wrong_only)
        ttk.Checkbutton(digits, text="Only those the model gets wrong", variable=self.wrong_var,
                        command=self._filter, style="Card.TCheckbutton").grid(row=0, column=11, padx=(PAD, 0))
        self.sheet = tk.Canvas(window, width=COLUMNS * CELL_PX, height=ROWS * CELL_PX, background=CARD,
                               highlightthickness=1, highlightbackground=BORDER, cursor="hand2")
        self.sheet.grid(row=3, column=0, sticky="w", pady=(6, 4))
        self.sheet.create_image(0, 0, anchor="nw", tags=("picture",))
        self.sheet.bind("<ButtonPress-1>", self._click)
        buttons = tk.Frame(window, background=CARD)
        buttons.grid(row=4, column=0, sticky="ew")
        ttk.Button(buttons, text="< Previous", command=lambda: self._turn(-1)).grid(row=0, column=0)
        self.page_label = ttk.Label(buttons, text="", style="Card.TLabel", width=12, anchor="center")
        self.page_label.grid(row=0, column=1)
        ttk.Button(buttons, text="Next >", command=lambda: self._turn(1)).grid(row=0, column=2)
        ttk.Button(buttons, text="Random (R)", command=self.load_random).grid(row=0, column=3, padx=(PAD * 2, 0))
        ttk.Label(window, text="Framed red: read wrong by the model in use; blue: loaded. Click one to load it.",
                  style="Muted.TLabel").grid(row=5, column=0, sticky="w", pady=(4, 0))
        ttk.Label(window, text=ATTRIBUTION, style="Muted.TLabel").grid(row=6, column=0, sticky="w")
        window.bind("<Escape>", lambda e: (self._closed_by_person(), "break")[1])
        for key in ("<r>", "<R>"):
            window.bind(key, lambda e: (self.load_random(), "break")[1])
        window.protocol("WM_DELETE_WINDOW", self._closed_by_person)
        self.refresh()
        window.update_idletasks()
        top = self.master.winfo_toplevel()
        size = (window.winfo_reqwidth(), window.winfo_reqheight())
        screen = (window.winfo_screenwidth(), window.winfo_screenheight())
        height = top.winfo_height() if top.winfo_ismapped() else top.winfo_reqheight()  # opened at start
        below = top.winfo_rooty() + height + 30
        # Below the main window when there is room, else over the canvas (empty while an example
        # is read), leaving the prediction and the grid in sight.
        x, y = on_screen((top.winfo_rootx(), below if below + size[1] <= screen[1] else top.winfo_rooty() + 60),
                         size, screen)
        window.geometry(f"+{x}+{y}")
        self._on_change()

    def _closing(self) -> None:
        self._photo = None

    def _closed_by_person(self) -> None:
        self.close()
        self._on_closed()

    def refresh(self) -> None:
        if not self.is_open:
            return
        browser = self.browser
        browser.turn(0)  # the model may have changed: the page count with it
        self.offer_label.configure(text=browser.offer_text())
        self.page_label.configure(text=f"page {browser.page + 1} of {browser.pages}")
        self._photo = ImageTk.PhotoImage(browser.sheet(), master=self.sheet)
        self.sheet.itemconfigure("picture", image=self._photo)

    def _filter(self) -> None:
        digit = self.digit_var.get()
        self.browser.set_filter(None if digit < 0 else digit, self.wrong_var.get())
        self.refresh()

    def _turn(self, step: int) -> None:
        self.browser.turn(step)
        self.refresh()

    def _click(self, event: tk.Event) -> None:
        position = self.browser.position_at(event.x, event.y)
        if position is not None:
            self._on_load(self.browser.pick(position))

    def load_random(self) -> None:
        example = self.browser.random()
        if example is not None:
            self._on_load(example)
