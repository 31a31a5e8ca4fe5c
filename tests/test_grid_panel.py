"""app.grid_panel: the 28x28 network input as a grid, shaded and editable by clicking."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageTk

from app import theme
from app.controller import DigitPadController
from app.grid_panel import HINT, GridPanel, cell_at, cell_text
from model.mlp import MLP
from preprocessing.pipeline import DEFAULT_SETTINGS


def test_the_hover_line_names_the_cell_and_its_value():
    assert cell_text(3, 17, 0.5) == "row 3, column 17: value 0.50"


@pytest.fixture
def panel(toplevel):
    theme.apply(toplevel)
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=280)
    inputs = []
    panel = GridPanel(toplevel, controller, on_input=inputs.append, cell_px=9)
    panel.frame.pack()
    toplevel.update()
    panel.inputs = inputs
    return panel


def centre(panel, row, col):
    return col * panel.cell_px + panel.cell_px // 2, row * panel.cell_px + panel.cell_px // 2


@pytest.mark.gui
def test_cells_are_shaded_by_the_network_input(panel):
    side = panel.controller.canvas_px
    panel.controller.pen_down(0.3 * side, 0.2 * side)
    panel.controller.pen_move(0.6 * side, 0.8 * side)
    panel.controller.pen_up()
    reading = panel.controller.reading()
    panel.show(reading)
    np.testing.assert_array_equal(panel.levels, np.clip(np.rint(reading.input * 255), 0, 255))
    shown = ImageTk.getimage(panel._photo).convert("RGB")
    row, col = np.unravel_index(np.argmax(reading.input), (28, 28))
    x, y = centre(panel, row, col)
    darkest = shown.getpixel((x, y))
    assert sum(darkest) < sum(theme.rgb(theme.PAPER)) - 300
    panel.show(panel.controller.reading().__class__(None, None, None, None, 0.0, "empty"))
    assert not panel.levels.any()


@pytest.mark.gui
def test_clicks_paint_and_erase_cells_and_the_prediction_follows(panel):
    canvas = panel.canvas
    x, y = centre(panel, 5, 14)
    canvas.event_generate("<ButtonPress-1>", x=x, y=y)
    canvas.update()
    reading = panel.controller.reading()
    assert reading.source == "grid" and reading.input[5, 14] == 1.0 and reading.verdict != "empty"
    assert len(panel.inputs) == 1 and panel.hover_text == cell_text(5, 14, 1.0)
    canvas.event_generate("<ButtonPress-1>", x=x, y=y)  # painting a painted cell changes nothing
    canvas.update()
    assert len(panel.inputs) == 1
    canvas.event_generate("<ButtonPress-3>", x=x, y=y)
    canvas.update()
    assert panel.controller.reading().input is None and len(panel.inputs) == 2


@pytest.mark.gui
def test_hovering_names_a_cell_and_leaving_brings_the_hint_back(panel):
    assert panel.hover_text == HINT
    x, y = centre(panel, 27, 0)
    panel.canvas.event_generate("<Motion>", x=x, y=y)
    panel.canvas.update()
    assert panel.hover_text == cell_text(27, 0, 0.0)
    assert panel.canvas.itemcget(panel._highlight, "state") == "normal"
    panel.canvas.event_generate("<Leave>")
    panel.canvas.update()
    assert panel.hover_text == HINT and panel.canvas.itemcget(panel._highlight, "state") == "hidden"


def test_pixels_map_to_cells():
    assert cell_at(0, 0, 9) == (0, 0) and cell_at(8.9, 17.5, 9) == (1, 0) and cell_at(251.9, 251.9, 9) == (27, 27)
    assert cell_at(252, 10, 9) is None and cell_at(-1, 10, 9) is None and cell_at(10, -0.5, 9) is None
