"""app.help_panel: the keyboard and mouse help (from the command table) and About."""
from __future__ import annotations

from pathlib import Path

import pytest

import model
from app import theme
from app.commands import help_rows
from app.help_panel import LICENCE, about_rows, about_window, help_window


def test_about_names_the_version_licence_model_and_data_folder():
    rows = dict(about_rows("bundled - MLP 784-10", Path("/w/mlp.npz"), Path("/home/ann/.local/share/dp")))
    assert rows["Version"] == model.__version__ and rows["Licence"] == LICENCE == "MIT"
    assert rows["Model"] == "bundled - MLP 784-10" and rows["Weights file"] == "/w/mlp.npz"
    assert rows["Your data folder"] == "/home/ann/.local/share/dp"


def descendants(widget):
    for child in widget.winfo_children():
        yield child
        yield from descendants(child)


def texts(window):
    return [w.cget("text") for w in descendants(window) if w.winfo_class() == "TLabel"]


@pytest.mark.gui
def test_the_help_lists_every_row_opens_once_and_closes_with_escape_or_f1(toplevel):
    fonts = theme.apply(toplevel)
    changes = []
    info = help_window(toplevel, fonts, lambda: changes.append(info.is_open))
    assert not info.is_open
    info.open()
    toplevel.update()
    window = info.window
    shown = texts(window)
    for keys, meaning in help_rows():
        assert keys in shown and meaning in shown
    # the whole list stays readable on a 1024x600 screen (a title bar included)
    assert window.winfo_reqheight() <= 570 and window.winfo_reqwidth() <= 1024
    info.open()  # again: the same window comes to the front
    assert info.window is window and changes == [True]
    for key in ("<Escape>", "<F1>"):
        if not info.is_open:
            info.open()
            toplevel.update()
        info.window.focus_force()
        toplevel.update()
        info.window.event_generate(key)
        toplevel.update()
        assert not info.is_open, key
    assert changes[-1] is False


@pytest.mark.gui
def test_about_asks_for_its_rows_each_time_it_opens(toplevel):
    fonts = theme.apply(toplevel)
    model_line = ["bundled - A"]
    about = about_window(toplevel, fonts, lambda: about_rows(model_line[0], Path("/w.npz"), Path("/d")), lambda: None)
    about.open()
    toplevel.update()
    assert "bundled - A" in texts(about.window) and "MIT" in texts(about.window)
    assert about.window.title() == "About Digit Pad"
    about.close()
    model_line[0] = "mine.npz - B"
    about.open()
    toplevel.update()
    assert "mine.npz - B" in texts(about.window)
    about.close()
    assert not about.is_open


def test_rows_are_cut_into_columns_in_order():
    from app.help_panel import split_columns

    rows = [(str(i), "") for i in range(5)]
    assert split_columns(rows, 2) == [rows[:3], rows[3:]]
    assert split_columns(rows, 1) == [rows]
    assert split_columns(rows[:1], 2) == [rows[:1]]
    assert split_columns([], 2) == [[]]
