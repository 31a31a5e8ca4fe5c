"""app.network_view: every layer at work (F4), headless and in the real window."""
from __future__ import annotations

import numpy as np
import pytest

from app.controller import Reading
from app.evidence_view import AGAINST_HEX, TOWARD_HEX
from app.network_view import (FRAME_MS, TOP_UNITS, UNIT_PX, default_unit, heading, layer_cell_px, layer_views,
                              output_rows, unit_view)
from model import heatmaps
from model.examples import bundled_examples
from model.explain import Explainer
from model.mlp import MLP
from screens import grab, pump


@pytest.fixture(scope="module")
def model():
    return MLP([784, 40, 24, 10], batch_norm=True, seed=2)


@pytest.fixture(scope="module")
def explained(model):
    return Explainer(model).explain(bundled_examples().example(11).image)


def test_cells_shrink_for_big_layers_and_never_below_two_pixels():
    assert layer_cell_px(768) == 8 and heatmaps.grid_shape(768)[1] * 8 <= 256
    assert layer_cell_px(4096) < 8 and layer_cell_px(10 ** 6) == 2


def test_each_layer_shows_its_activations_with_the_strongest_units_framed(explained):
    scales = [1.0, 2.0]
    views = layer_views([40, 24], explained, scales)
    assert [v.units for v in views] == [40, 24]
    for layer, view in enumerate(views):
        rows, columns = heatmaps.grid_shape(view.units)
        assert view.picture.shape == (rows * view.cell_px, columns * view.cell_px, 3)
        assert view.toward == tuple(explained.strongest_units(layer, TOP_UNITS))
        assert view.against == tuple(explained.strongest_units(layer, TOP_UNITS, toward=False))
        assert len(view.toward) <= TOP_UNITS and not set(view.toward) & set(view.against)
        c = view.cell_px
        for unit in view.toward:
            row, col = heatmaps.unit_cell(unit, columns)
            assert tuple(view.picture[row * c, col * c]) == heatmaps.HIGHLIGHT_TOWARD
        silent = [u for u in range(view.units) if explained.activations[layer][u] == 0
                  and u not in view.toward + view.against]
        row, col = heatmaps.unit_cell(silent[0], columns)
        assert tuple(view.picture[row * c + c // 2, col * c + c // 2]) == tuple(heatmaps.SEQUENTIAL_LUT[0])
        # The fixed scale: a unit at the scale or above is at full brightness.
        loud = int(np.argmax(explained.activations[layer]))
        if explained.activations[layer][loud] >= scales[layer] and loud not in view.toward + view.against:
            row, col = heatmaps.unit_cell(loud, columns)
            assert tuple(view.picture[row * c + c // 2, col * c + c // 2]) == tuple(heatmaps.SEQUENTIAL_LUT[-1])


def test_with_nothing_drawn_every_unit_is_silent_and_none_framed():
    views = layer_views([40, 24], None, [1.0, 1.0])
    for view in views:
        assert view.toward == view.against == ()
        assert np.all(view.picture[: view.cell_px, : view.cell_px] == heatmaps.SEQUENTIAL_LUT[0])


def test_a_first_layer_unit_shows_its_incoming_weights_and_its_activation(model, explained):
    unit = int(explained.strongest_units(0, 1)[0])
    view = unit_view(Explainer(model), explained, 0, unit)
    assert view.pattern.shape == (28 * UNIT_PX, 28 * UNIT_PX, 3)
    norm = model.norms[0]
    weights = model.dense[0].W[:, unit] * norm.gamma[unit] / np.sqrt(norm.running_var[unit] + norm.eps)
    expected = heatmaps.enlarge(heatmaps.weights_rgb(weights.reshape(28, 28)), UNIT_PX)
    np.testing.assert_array_equal(view.pattern, expected)
    assert view.activation == pytest.approx(float(explained.activations[0][unit]))
    assert view.contribution == pytest.approx(float(explained.contributions[0][unit])) and view.contribution > 0
    assert view.lines[0] == f"Layer 1, unit {unit}" and f"toward {explained.target}" in view.lines[2]
    assert default_unit(explained) == (0, unit) and default_unit(None) is None
    deeper = unit_view(Explainer(model), explained, 1, 3)
    assert deeper.lines[-1] == "weights traced to the input" and deeper.lines[0] == "Layer 2, unit 3"


def test_the_output_bars_are_the_readings_probabilities_top_blue_runner_up_orange():
    p = np.full(10, 0.02, np.float32)
    p[7], p[1] = 0.7, 0.14
    rows = output_rows(Reading(np.zeros((28, 28)), p, 7, 1, 0.7, "sure"))
    assert [r.digit for r in rows] == list(range(10))
    assert rows[7].colour == TOWARD_HEX and rows[1].colour == AGAINST_HEX and rows[0].colour not in (TOWARD_HEX,
                                                                                                      AGAINST_HEX)
    assert rows[7].probability == pytest.approx(0.7)
    empty = output_rows(Reading(None, None, None, None, 0.0, "empty"))
    assert all(r.probability == 0 for r in empty)
    assert heading(None).startswith("Draw") and heading(type("E", (), {"target": 7, "versus": 1})()) == \
        "Why 7 and not 1"


# ---------------------------------------------------------------------- in the window
@pytest.fixture
def window(bundled_window):
    return bundled_window



@pytest.mark.gui
def test_f4_opens_the_network_view_which_follows_the_input_and_shows_a_hovered_unit(window, artifacts_dir):
    window.load_example(bundled_examples().example(21))
    window.commands.run("network")
    pump(window)
    view = window.network
    assert view.is_open and window.variables["network"].get()
    reading = window.controller.reading()
    explanation = Explainer(window.controller.model).explain(reading.input, reading.digit, reading.runner_up)
    assert view.heading.cget("text") == f"Why {reading.digit} and not {reading.runner_up}"
    assert [v.toward for v in view.layers] == [tuple(explanation.strongest_units(i, TOP_UNITS)) for i in range(2)]
    assert view.shown_unit is not None and (view.shown_unit.layer, view.shown_unit.unit) == default_unit(explanation)
    # Hover a unit of the second layer: its detail shows; a click keeps it.
    layer = view.layers[1]
    unit = layer.toward[0]
    row, col = heatmaps.unit_cell(unit, layer.columns)
    x, y = col * layer.cell_px + layer.cell_px // 2, row * layer.cell_px + layer.cell_px // 2
    view.layer_canvases[1].event_generate("<Motion>", x=x, y=y)
    pump(window)
    assert (view.shown_unit.layer, view.shown_unit.unit) == (1, unit)
    assert view.shown_unit.activation == pytest.approx(float(explanation.activations[1][unit]), rel=1e-5)
    view.layer_canvases[1].event_generate("<ButtonPress-1>", x=x, y=y)
    view.layer_canvases[1].event_generate("<Leave>")
    pump(window)
    assert view.pinned == (1, unit) and (view.shown_unit.layer, view.shown_unit.unit) == (1, unit)
    grab(view.window, artifacts_dir / "network_view.png")
    top = view.window
    assert top.winfo_reqwidth() <= 1024 and top.winfo_reqheight() <= 600
    # Drawing: the view follows the pen.
    canvas, side = window.canvas.canvas, window.canvas.side
    canvas.event_generate("<ButtonPress-1>", x=side // 2, y=side // 5)
    canvas.event_generate("<Motion>", x=side // 2, y=side * 4 // 5, state=0x100)
    canvas.event_generate("<ButtonRelease-1>", x=side // 2, y=side * 4 // 5)
    pump(window)
    window.root.after(FRAME_MS + 5)  # the view paints at most once a frame
    pump(window)
    drawn = window.controller.reading()
    assert view._reading is drawn and drawn.source == "canvas" and not view.behind
    # Closed by the window manager: the menu entry is unticked.
    top.tk.eval(top.protocol("WM_DELETE_WINDOW"))
    pump(window)
    assert not view.is_open and not window.variables["network"].get()


@pytest.mark.gui
def test_the_view_paints_at_most_once_a_frame_and_then_the_latest_reading(window):
    window.commands.run("network")
    pump(window)
    view = window.network
    painted = []
    paint = view._paint
    view._paint = lambda reading: (painted.append(reading), paint(reading))
    examples = bundled_examples()
    for position in range(5):  # five readings within one frame
        window.load_example(examples.example(position))
        window._update()
    assert len(painted) <= 2 and view.behind
    window.root.after(FRAME_MS + 5)
    pump(window)
    assert painted[-1] is window.controller.reading() and not view.behind


@pytest.mark.gui
def test_the_network_view_costs_nothing_while_closed(window):
    window.commands.run("network")
    window.commands.run("network")
    pump(window)
    assert not window.network.is_open
    window.commands.run("network")
    pump(window)
    window.network.window.focus_force()
    pump(window)
    window.network.window.event_generate("<Escape>")  # closed with its own key: the menu entry follows
    pump(window)
    assert not window.network.is_open and not window.variables["network"].get()
    calls = []
    window.insight.explain = lambda reading: calls.append(reading)
    window.load_example(bundled_examples().example(1))
    pump(window)
    assert not window.network.is_open and calls == []


@pytest.mark.gui
def test_the_main_windows_keys_work_inside_the_view_and_escape_closes_it(window):
    window.commands.run("network")
    pump(window)
    view = window.network
    assert not window.variables["evidence"].get()
    view.window.focus_force()
    pump(window)
    view.window.event_generate("<F3>")  # a key of the main window's command table
    pump(window)
    assert window.variables["evidence"].get()
    view.window.event_generate("<Escape>")  # the view's own key wins over the table's (clear)
    pump(window)
    assert not view.is_open
