"""app.toolbar: buttons from the command table, and the brush slider."""
from __future__ import annotations

import tkinter as tk

import pytest

from app import theme
from app.commands import COMMANDS, CommandRunner, command
from app.controller import DigitPadController
from app.toolbar import LAYOUT, Toolbar
from model.mlp import MLP
from preprocessing.pipeline import DEFAULT_SETTINGS
from preprocessing.raster import MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION


class Window:
    """The toolbar's commands run on this stand-in for the window."""

    def __init__(self, controller, variables):
        self.controller, self.variables, self.ran = controller, variables, []

    def __getattr__(self, name):  # every other action just records its name
        return lambda: self.ran.append(name)


@pytest.fixture
def toolbar(toplevel):
    theme.apply(toplevel)
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=400)
    variables = {cmd.check: tk.BooleanVar(master=toplevel, value=False) for cmd in COMMANDS if cmd.check}
    window = Window(controller, variables)
    brushes = []
    toolbar = Toolbar(toplevel, CommandRunner(window, variables), controller, on_brush=lambda: brushes.append(1))
    toolbar.frame.pack(fill="x")
    toolbar.refresh()
    toplevel.update()
    toolbar.window, toolbar.brushes = window, brushes
    return toolbar


@pytest.mark.gui
def test_buttons_carry_the_tables_labels_and_run_its_commands(toolbar):
    names = [item for item in LAYOUT if item and item != "brush"]
    assert list(toolbar.buttons) == names
    for name in names:
        assert toolbar.buttons[name].cget("text") == command(name).button
    toolbar.buttons["clear"].invoke()
    toolbar.buttons["help"].invoke()
    assert toolbar.window.ran == ["clear", "show_help"]
    toolbar.buttons["stages"].invoke()  # a check button flips its variable once
    assert toolbar.window.variables["stages"].get() is True and toolbar.window.ran[-1] == "apply_stages"


@pytest.mark.gui
def test_undo_and_redo_follow_the_history(toolbar):
    controller = toolbar.controller
    assert toolbar.buttons["undo"].instate(["disabled"]) and toolbar.buttons["redo"].instate(["disabled"])
    controller.pen_down(100, 100)
    controller.pen_up()
    toolbar.refresh()
    assert not toolbar.buttons["undo"].instate(["disabled"]) and toolbar.buttons["redo"].instate(["disabled"])
    controller.undo()
    toolbar.refresh()
    assert toolbar.buttons["undo"].instate(["disabled"]) and not toolbar.buttons["redo"].instate(["disabled"])


@pytest.mark.gui
def test_the_brush_slider_and_label_follow_the_controller(toolbar):
    controller = toolbar.controller
    assert toolbar.brush_label.cget("text") == f"{controller.brush_px:.0f} px"
    controller.brush_bigger()
    toolbar.refresh()
    assert toolbar.brush_var.get() == pytest.approx(controller.brush_fraction)
    assert toolbar.brush_label.cget("text") == f"{controller.brush_px:.0f} px"
    assert float(toolbar.brush_scale.cget("from")) == MIN_BRUSH_FRACTION
    assert float(toolbar.brush_scale.cget("to")) == MAX_BRUSH_FRACTION
    toolbar._slid("0.1")  # what the scale calls when dragged
    assert controller.brush_fraction == pytest.approx(0.1) and toolbar.brushes == [1]
    assert toolbar.brush_label.cget("text") == "40 px"
