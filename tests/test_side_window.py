"""app.side_window: what the windows beside the main one share (placement on screen, open once, close)."""
from __future__ import annotations

import tkinter as tk

import pytest

from app.side_window import SideWindow, on_screen, place_beside


def test_a_window_is_moved_onto_the_screen():
    assert on_screen((80, 72), (820, 500), (1280, 1024)) == (80, 72)
    assert on_screen((80, 72), (820, 560), (1024, 600)) == (80, 40)
    assert on_screen((600, 300), (820, 700), (1024, 600)) == (204, 0)


class Probe(SideWindow):
    def __init__(self, master):
        self.master, self.changes, self.let_go = master, [], 0
        self._on_change = lambda: self.changes.append(self.is_open)

    def open(self):
        if self.lift_if_open():
            return
        self.window = tk.Toplevel(self.master)
        tk.Frame(self.window, width=300, height=200).pack()
        place_beside(self.window, self.master, (5000, 5000))

    def _closing(self):
        assert self.window.winfo_exists()  # still there to let go of
        self.let_go += 1


@pytest.mark.gui
def test_opened_once_placed_on_screen_and_closed_once(toplevel):
    probe = Probe(toplevel)
    assert not probe.is_open
    probe.open()
    first = probe.window
    probe.open()
    assert probe.window is first and probe.is_open
    toplevel.update()
    geometry = first.geometry()  # WxH+X+Y: pushed back from (5000, 5000) onto the screen
    x, y = (int(v) for v in geometry.split("+")[1:3])
    assert x + 300 <= first.winfo_screenwidth() and y + 200 <= first.winfo_screenheight()
    probe.close()
    probe.close()  # a second close does nothing
    assert probe.changes == [False] and probe.let_go == 1 and probe.window is None
    assert not first.winfo_exists()
