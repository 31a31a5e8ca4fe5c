"""The prediction card: the verdict (big digit, sentence, detail) and ten probability bars.
Clicking a digit's bar says the drawing is that digit (the window stores it for Teach).

What the card says is decided by `verdict_look` from the controller's `Reading` alone (headless,
one place to add a verdict); the panel only paints it, touching only what changed, because every
pen movement repaints the card.
"""
from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from typing import Callable

from app.controller import Reading
from app.theme import ACCENT, BAR_FILL, BAR_TRACK, CARD, DOUBT, MUTED, PAD, TEXT, Fonts, card

#: Width of the bars' drawing area and the height of one bar's row, in pixels.
BARS_WIDTH = 240
BAR_ROW_PX = 21
#: Where the bars start (after the digit's label) and the room kept for the percentage after them.
BAR_X0 = 24
PERCENT_ROOM = 60


@dataclass(frozen=True)
class VerdictLook:
    """What the card shows for a reading: the big digit, the sentence, the detail line, colours."""

    digit: str
    digit_colour: str
    message: str
    message_colour: str
    detail: str
    bar_colour: str


def verdict_look(reading: Reading) -> VerdictLook:
    """The card's text and colours for `reading` (blue when sure, amber when unsure, grey when it
    is not a digit: the bars stay, muted, with no digit picked out)."""
    if reading.verdict == "empty":
        return VerdictLook(" ", ACCENT, reading.message, MUTED, "The canvas is empty", ACCENT)
    percent = round(reading.confidence * 100)
    if reading.verdict == "not_digit":
        look = VerdictLook("\u2013", MUTED, reading.message, TEXT, f"closest digit: {reading.digit} ({percent} %)",
                           BAR_FILL)
    elif reading.verdict == "sure":
        look = VerdictLook(str(reading.digit), ACCENT, reading.message, TEXT, f"{percent} % confident", ACCENT)
    else:
        second = round(float(reading.probabilities[reading.runner_up]) * 100)
        look = VerdictLook(f"{reading.digit}?", DOUBT, reading.message, DOUBT,
                           f"{reading.digit}: {percent} %, {reading.runner_up}: {second} %", DOUBT)
    if reading.source == "grid":
        look = VerdictLook(look.digit, look.digit_colour, look.message, look.message_colour,
                           look.detail + " (grid)", look.bar_colour)
    return look


def bar_at(y: float) -> int:
    """The digit whose bar row holds the point `y` pixels from the top of the bars (0-9)."""
    return int(min(max((y - 2) // BAR_ROW_PX, 0), 9))


class PredictionPanel:
    """The card (`frame`); `show(reading)` paints a reading."""

    def __init__(self, parent: tk.Misc, fonts: Fonts, on_bar_click: Callable[[int], None] | None = None) -> None:
        self.fonts = fonts
        self.frame = card(parent, "Prediction")
        self.digit_label = tk.Label(self.frame, text=" ", font=fonts.digit, background=CARD, foreground=ACCENT,
                                    width=2, anchor="w")
        self.digit_label.grid(row=1, column=0, rowspan=2, sticky="w", padx=(PAD, 0))
        # width=1 with sticky="ew": the labels take the room the bars give the card, and new text
        # never changes the layout (a relayout per update would cost milliseconds).
        self.message_label = tk.Label(self.frame, text="", font=fonts.message, background=CARD, foreground=TEXT,
                                      anchor="w", justify="left", width=1)
        self.message_label.grid(row=1, column=1, sticky="sew", padx=(0, PAD), pady=(4, 0))
        self.detail_label = tk.Label(self.frame, text="", font=fonts.body, background=CARD, foreground=MUTED,
                                     anchor="w", justify="left", width=1)
        self.detail_label.grid(row=2, column=1, sticky="new", padx=(0, PAD))
        self.frame.columnconfigure(1, weight=1)
        self.bars = tk.Canvas(self.frame, width=BARS_WIDTH, height=10 * BAR_ROW_PX + 2, background=CARD,
                              highlightthickness=0)
        self.bars.grid(row=3, column=0, columnspan=2, padx=PAD, pady=(2, PAD))
        self._bar_length = BARS_WIDTH - BAR_X0 - PERCENT_ROOM
        self._bar_items = []
        for digit in range(10):
            y = 2 + digit * BAR_ROW_PX
            label = self.bars.create_text(10, y + BAR_ROW_PX / 2, text=str(digit), font=fonts.bold, fill=TEXT)
            self.bars.create_rectangle(BAR_X0, y + 4, BAR_X0 + self._bar_length, y + BAR_ROW_PX - 4,
                                       fill=BAR_TRACK, outline="")
            fill = self.bars.create_rectangle(BAR_X0, y + 4, BAR_X0, y + BAR_ROW_PX - 4, fill=BAR_FILL, outline="",
                                              tags=(f"bar{digit}",))
            percent = self.bars.create_text(BARS_WIDTH - 2, y + BAR_ROW_PX / 2, text="", anchor="e",
                                            font=fonts.body, fill=MUTED, tags=(f"percent{digit}",))
            self._bar_items.append((label, fill, percent))
        if on_bar_click is not None:
            # Clicking a digit's row says "this is that digit" (labels the drawing for Teach).
            self.bars.configure(cursor="hand2")
            self.bars.bind("<Button-1>", lambda event: on_bar_click(bar_at(event.y)))
        self._shown_look: VerdictLook | None = None
        self._shown_bars: list[dict] = [{} for _ in range(10)]

    @property
    def message(self) -> str:
        return self.message_label.cget("text")

    def show(self, reading: Reading, force: bool = False) -> None:
        look = verdict_look(reading)
        if force or look != self._shown_look:  # configuring a label costs a relayout even when unchanged
            self._shown_look = look
            self.digit_label.configure(text=look.digit, foreground=look.digit_colour)
            self.message_label.configure(text=look.message, foreground=look.message_colour)
            self.detail_label.configure(text=look.detail)
        self._show_bars(reading, look.bar_colour, force)

    def _show_bars(self, reading: Reading, accent: str, force: bool) -> None:
        """Touch only the canvas items whose look changed (each call costs a Tk round trip), in one eval."""
        probabilities = reading.probabilities
        commands = []
        path = self.bars._w
        for digit, (label, fill, percent) in enumerate(self._bar_items):
            value = 0.0 if probabilities is None else float(probabilities[digit])
            highlighted = probabilities is not None and digit == reading.digit and reading.verdict != "not_digit"
            y = 2 + digit * BAR_ROW_PX
            look = {
                "length": int(round(value * self._bar_length)),
                "colour": accent if highlighted else BAR_FILL,
                "text": "" if probabilities is None else f"{value * 100:.0f} %",
                "strong": highlighted,
            }
            old = {} if force else self._shown_bars[digit]
            if look["length"] != old.get("length"):
                commands.append(f"{path} coords {fill} {BAR_X0} {y + 4} {BAR_X0 + look['length']} "
                                f"{y + BAR_ROW_PX - 4}")
            if look["colour"] != old.get("colour"):
                commands.append(f"{path} itemconfigure {fill} -fill {look['colour']}")
                commands.append(f"{path} itemconfigure {label} -fill {look['colour'] if highlighted else TEXT}")
            if look["text"] != old.get("text"):
                commands.append(f"{path} itemconfigure {percent} -text {{{look['text']}}}")
            if look["strong"] != old.get("strong"):
                font = self.fonts.bold if highlighted else self.fonts.body
                commands.append(f"{path} itemconfigure {percent} -font {font} -fill {TEXT if highlighted else MUTED}")
            self._shown_bars[digit] = look
        if commands:
            self.bars.tk.eval("\n".join(commands))
