"""app.canvas_panel: mouse events on the canvas drive the controller; the canvas follows its area.

GUI tests run in-process on the test display (a Toplevel of the session's hidden Tk root);
events are made with event_generate and delivered by update().
"""
from __future__ import annotations

import numpy as np
import pytest

from app import theme
from app.canvas_panel import MIN_CANVAS_PX, CanvasPanel, fitting_side
from app.controller import DigitPadController
from model.mlp import MLP
from preprocessing.pipeline import DEFAULT_SETTINGS
from preprocessing.raster import DEFAULT_CANVAS_PX

SIDE = 320


def test_the_canvas_shrinks_to_fit_a_small_screen_but_not_below_its_minimum():
    assert fitting_side((1000, 590), (1280, 1024), 448) == 448
    assert fitting_side((1000, 590), (1024, 600), 448) == 448
    assert fitting_side((1000, 620), (1024, 600), 448) == 428
    assert fitting_side((1100, 590), (1024, 600), 448) == 372
    assert fitting_side((1000, 590), (640, 480), 448) == MIN_CANVAS_PX
    assert fitting_side((1000, 590), (1024, 600)) == DEFAULT_CANVAS_PX


@pytest.fixture
def panel(toplevel):
    fonts = theme.apply(toplevel)
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=SIDE)
    inputs, resized = [], []
    panel = CanvasPanel(toplevel, controller, fonts, on_input=inputs.append, on_resized=lambda: resized.append(1),
                        side=SIDE)
    panel.frame.pack(fill="both", expand=True)
    toplevel.update()
    panel.inputs, panel.resized = inputs, resized
    return panel


def drag(panel, points, button=1):
    canvas = panel.canvas
    (x, y), rest = points[0], points[1:]
    canvas.event_generate(f"<ButtonPress-{button}>", x=x, y=y)
    for x, y in rest:
        canvas.event_generate("<Motion>", x=x, y=y, state=0x100 << (button - 1))
    canvas.event_generate(f"<ButtonRelease-{button}>", x=x, y=y)
    canvas.update()


@pytest.mark.gui
def test_a_drag_draws_a_stroke_for_the_eye_and_for_the_network(panel):
    assert panel.side == SIDE and panel.canvas.winfo_width() == SIDE
    assert panel.canvas.itemcget(panel.placeholder, "state") != "hidden"
    drag(panel, [(60, 60), (120, 200), (200, 260)])
    controller = panel.controller
    assert len(controller.strokes) == 1 and not controller.strokes[0].erase
    np.testing.assert_allclose(controller.strokes[0].points, [(60 / SIDE, 60 / SIDE), (120 / SIDE, 200 / SIDE),
                                                              (200 / SIDE, 260 / SIDE)])
    assert controller.raster.pixels.sum() > 0
    assert len(panel.canvas.find_withtag("ink")) == 3  # a dot and two segments
    assert panel.canvas.itemcget(panel.placeholder, "state") == "hidden"
    # pen-down and the two moves are timed; the pen-up only asks for an update
    assert [event is None for event in panel.inputs] == [False, False, False, True]


@pytest.mark.gui
def test_the_right_button_and_the_eraser_tool_erase(panel):
    drag(panel, [(40, 160), (280, 160)])
    inked = panel.controller.raster.pixels.sum()
    drag(panel, [(160, 100), (160, 220)], button=3)
    assert panel.controller.strokes[-1].erase
    assert panel.controller.raster.pixels.sum() < inked
    panel.controller.set_eraser(True)
    panel.set_eraser_cursor(True)
    assert str(panel.canvas.cget("cursor")) == "dotbox"
    drag(panel, [(40, 160), (280, 160)])
    assert panel.controller.strokes[-1].erase
    ink_items = panel.canvas.find_withtag("ink")
    assert panel.canvas.itemcget(ink_items[-1], "fill") == theme.PAPER


@pytest.mark.gui
def test_redraw_shows_the_controllers_strokes_after_undo(panel):
    drag(panel, [(60, 60), (200, 200)])
    drag(panel, [(60, 200), (200, 60)])
    assert len(panel.canvas.find_withtag("ink")) == 4
    panel.controller.undo()
    panel.redraw()
    assert len(panel.canvas.find_withtag("ink")) == 2  # one stroke: its dot and its polyline
    panel.controller.clear()
    panel.redraw()
    assert not panel.canvas.find_withtag("ink")
    assert panel.canvas.itemcget(panel.placeholder, "state") == "normal"


@pytest.mark.gui
def test_the_canvas_follows_its_area_and_the_controller_follows_once_settled(panel, toplevel):
    drag(panel, [(60, 60), (200, 250)])
    before = panel.controller.reading().input.copy()
    panel.frame.pack_forget()
    panel.frame.configure(width=402, height=500)
    panel.frame.pack()
    toplevel.update()
    assert panel.side == 400 and panel.canvas.winfo_reqwidth() == 400
    assert panel.controller.canvas_px == SIDE  # not yet: resizes come in bursts
    panel.flush_resize()
    assert panel.controller.canvas_px == 400 and panel.resized == [1]
    np.testing.assert_allclose(panel.controller.reading().input, before, atol=0.08)
    assert len(panel.canvas.find_withtag("ink")) == 2


@pytest.mark.gui
def test_a_pen_down_brings_the_raster_to_the_canvas_size_first(panel, toplevel):
    panel.frame.pack_forget()
    panel.frame.configure(width=352, height=352)
    panel.frame.pack()
    toplevel.update()
    drag(panel, [(10, 10), (340, 340)])
    assert panel.controller.canvas_px == 350
    assert panel.controller.strokes[0].points[-1] == pytest.approx((340 / 350, 340 / 350))
