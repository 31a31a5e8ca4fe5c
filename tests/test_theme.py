"""app.theme: colours, fonts and styles."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import pytest

from app import theme


def test_colours_parse_to_rgb():
    assert theme.rgb("#2563eb") == (0x25, 0x63, 0xEB)
    for name in ("BACKGROUND", "CARD", "TEXT", "ACCENT", "DOUBT", "ERROR", "PAPER", "INK"):
        assert len(theme.rgb(getattr(theme, name))) == 3
    for bad in ("2563eb", "#2563e", "blue"):
        with pytest.raises(ValueError):
            theme.rgb(bad)


@pytest.mark.gui
def test_apply_sets_fonts_and_styles(toplevel):
    fonts = theme.apply(toplevel)
    assert fonts.body.actual("family") == fonts.digit.actual("family")
    assert fonts.digit.cget("size") > fonts.message.cget("size") > fonts.body.cget("size") > fonts.small.cget("size")
    assert fonts.bold.cget("weight") == "bold"
    style = ttk.Style(toplevel)
    assert style.lookup("Error.Status.TLabel", "foreground") == theme.ERROR
    assert style.lookup("Status.TLabel", "background") == theme.STATUS
    assert str(toplevel.cget("background")) == theme.BACKGROUND


@pytest.mark.gui
def test_a_card_is_a_bordered_white_panel_with_its_heading(toplevel):
    theme.apply(toplevel)
    frame = theme.card(toplevel, "Prediction")
    assert frame.cget("background") == theme.CARD and int(frame.cget("highlightthickness")) == 1
    (heading,) = frame.grid_slaves(row=0, column=0)
    assert heading.cget("text") == "Prediction" and isinstance(heading, ttk.Label)
    assert isinstance(frame, tk.Frame)
