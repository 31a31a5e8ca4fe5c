"""The look of Digit Pad: colours, spacing, fonts and the ttk style, in one place.

A calm light theme: blue marks the answer, amber marks doubt, red an error. Colours are plain
'#rrggbb' strings, usable by Tk and (through `rgb`) by Pillow.
"""
from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

BACKGROUND = "#eef0f4"
CARD = "#ffffff"
BORDER = "#d5dae3"
TEXT = "#1c2230"
MUTED = "#6b7385"
ACCENT = "#2563eb"
DOUBT = "#c26a00"
ERROR = "#b42318"
PAPER = "#ffffff"
INK = "#141a26"
BAR_TRACK = "#edf0f5"
BAR_FILL = "#b7c2d6"
GRID_LINE = "#e6e9ef"
PLACEHOLDER = "#b5bccb"
CURSOR_RING = "#9aa6bd"
STATUS = "#e2e6ee"
STATUS_ERROR = "#fde8e6"

FONT_FAMILY = "DejaVu Sans"
#: Space between panels and inside cards, in pixels.
PAD = 8


def rgb(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) ints."""
    if len(colour) != 7 or not colour.startswith("#"):
        raise ValueError(f"colour must be '#rrggbb', got {colour!r}")
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


@dataclass(frozen=True)
class Fonts:
    """The window's fonts (Tk font objects, so a widget can take them directly)."""

    small: tkfont.Font
    body: tkfont.Font
    bold: tkfont.Font
    heading: tkfont.Font
    message: tkfont.Font
    digit: tkfont.Font


def apply(root: tk.Misc) -> Fonts:
    """Set the theme on `root`'s interpreter (named fonts, ttk styles) and return the fonts."""
    root.configure(background=BACKGROUND)
    for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
        try:
            tkfont.nametofont(name, root=root).configure(family=FONT_FAMILY, size=10)
        except tk.TclError:
            pass
    fonts = Fonts(
        small=tkfont.Font(root, family=FONT_FAMILY, size=9),
        body=tkfont.Font(root, family=FONT_FAMILY, size=10),
        bold=tkfont.Font(root, family=FONT_FAMILY, size=10, weight="bold"),
        heading=tkfont.Font(root, family=FONT_FAMILY, size=11, weight="bold"),
        message=tkfont.Font(root, family=FONT_FAMILY, size=12, weight="bold"),
        digit=tkfont.Font(root, family=FONT_FAMILY, size=40, weight="bold"),
    )
    style = ttk.Style(root)
    try:
        style.theme_use("clam")
    except tk.TclError:
        pass
    style.configure(".", background=BACKGROUND, foreground=TEXT, font=fonts.body)
    style.configure("TFrame", background=BACKGROUND)
    style.configure("Card.TFrame", background=CARD)
    style.configure("TButton", padding=(8, 3), width=-7, background=CARD, bordercolor=BORDER, focuscolor=CARD)
    style.map("TButton", background=[("active", "#e4e9f2"), ("disabled", BACKGROUND)])
    style.configure("Toolbutton", padding=(8, 3), background=CARD, bordercolor=BORDER, borderwidth=1,
                    relief="raised", lightcolor=CARD, darkcolor=BORDER)
    style.map("Toolbutton", background=[("selected", "#dbe6fd"), ("active", "#e4e9f2")],
              relief=[("selected", "sunken")], foreground=[("selected", ACCENT)])
    style.configure("TLabel", background=BACKGROUND, foreground=TEXT)
    style.configure("Card.TLabel", background=CARD, foreground=TEXT)
    style.configure("Card.TCheckbutton", background=CARD, foreground=TEXT)
    style.map("Card.TCheckbutton", background=[("active", CARD)])
    style.configure("Muted.TLabel", background=CARD, foreground=MUTED, font=fonts.small)
    style.configure("Heading.TLabel", background=CARD, foreground=TEXT, font=fonts.heading)
    style.configure("Status.TLabel", background=STATUS, foreground=TEXT, padding=(PAD, 2))
    style.configure("Model.Status.TLabel", background=STATUS, foreground=MUTED, padding=(PAD, 0, PAD, 3),
                    font=fonts.small)
    style.configure("Error.Status.TLabel", background=STATUS_ERROR, foreground=ERROR, padding=(PAD, 2))
    style.configure("Horizontal.TScale", background=CARD, troughcolor="#dde2ea", bordercolor=BORDER,
                    lightcolor=CARD, darkcolor=BORDER)
    return fonts


def card(parent: tk.Misc, title: str) -> tk.Frame:
    """A white bordered panel with a heading in row 0 (its content goes in rows 1 and on)."""
    frame = tk.Frame(parent, background=CARD, highlightbackground=BORDER, highlightthickness=1)
    ttk.Label(frame, text=title, style="Heading.TLabel").grid(row=0, column=0, columnspan=2, sticky="w",
                                                              padx=PAD, pady=(PAD - 2, 0))
    return frame
