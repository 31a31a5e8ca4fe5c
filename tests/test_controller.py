"""Headless tests of app.controller: the logic behind the window, without Tk."""
from __future__ import annotations

import numpy as np
import pytest

from app.controller import (BRUSH_STEP_FACTOR, ERASER_WIDTH_FACTOR, MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION,
                            DigitPadController, LoadedModel, read_weights, settings_from_metadata)
from model.mlp import MLP
from model.weights_io import WeightsError, save_weights
from preprocessing.drawing import read_drawings, write_drawings
from preprocessing.pipeline import DEFAULT_SETTINGS, preprocess

CANVAS = 280

# A '7': a top bar and a long diagonal, in canvas fractions.
SEVEN = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]]


class FixedModel:
    """Stands in for the network where a test needs chosen probabilities."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, np.float32)
        self.calls = 0

    def forward(self, x, training=False):
        self.calls += 1
        assert np.asarray(x).shape == (1, 784) and not training
        return np.log(self.probabilities)[None, :]


def uniform_except(top_digit, top, second_digit=None, second=0.0):
    rest = 1.0 - top - second
    others = 10 - 1 - (second_digit is not None)
    p = np.full(10, rest / others, np.float32)
    p[top_digit] = top
    if second_digit is not None:
        p[second_digit] = second
    return p


@pytest.fixture
def mlp():
    return MLP([784, 32, 10], seed=0)


@pytest.fixture
def controller(mlp):
    return DigitPadController(mlp, DEFAULT_SETTINGS, canvas_px=CANVAS)


def draw(controller, strokes, erase=None):
    side = controller.canvas_px
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        controller.pen_down(x * side, y * side, erase=erase)
        for x, y in rest:
            controller.pen_move(x * side, y * side)
        controller.pen_up()


def test_empty_canvas_says_draw_a_digit_and_never_a_digit(controller):
    reading = controller.reading()
    assert reading.verdict == "empty"
    assert reading.input is None and reading.probabilities is None and reading.digit is None
    assert reading.message == "Draw a digit"
    assert reading.title == "Digit Pad"


def test_drawing_updates_input_and_probabilities_while_the_pen_moves(controller):
    side = controller.canvas_px
    controller.reading()
    assert not controller.dirty
    controller.pen_down(0.3 * side, 0.3 * side)
    assert controller.dirty
    first = controller.reading()
    assert first.verdict != "empty"
    controller.pen_move(0.7 * side, 0.8 * side)
    assert controller.dirty
    second = controller.reading()
    assert not controller.dirty
    assert second.input.shape == (28, 28) and second.input.dtype == np.float32
    assert 0.0 <= second.input.min() and second.input.max() <= 1.0
    assert second.probabilities.shape == (10,)
    assert second.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert second.digit == int(np.argmax(second.probabilities))
    assert second.confidence == pytest.approx(float(second.probabilities.max()))
    assert not np.array_equal(first.input, second.input)
    assert second.title.startswith("Digit Pad - ")


def test_reading_is_cached_until_something_changes():
    model = FixedModel(uniform_except(7, 0.9))
    controller = DigitPadController(model, DEFAULT_SETTINGS, canvas_px=CANVAS)
    draw(controller, SEVEN)
    controller.reading()
    calls = model.calls
    assert controller.reading() is controller.reading()
    assert model.calls == calls
    side = controller.canvas_px
    controller.pen_down(0.5 * side, 0.5 * side)
    controller.pen_move(0.5 * side, 0.5 * side)  # same point again: nothing new to draw
    controller.reading()
    assert not controller.dirty
    controller.pen_move(0.5 * side, 0.5 * side)
    assert not controller.dirty


def test_pen_move_without_pen_down_is_ignored(controller):
    controller.pen_move(100, 100)
    controller.pen_up()
    assert controller.reading().verdict == "empty"
    assert controller.strokes == []


def test_points_outside_the_canvas_are_clamped_to_its_edge(controller):
    controller.pen_down(-50, 140)
    controller.pen_move(CANVAS + 80, 140)
    controller.pen_up()
    points = controller.strokes[0].points
    assert points == ((0.0, 0.5), (1.0, 0.5))


@pytest.mark.parametrize("probabilities, verdict, message", [
    (uniform_except(7, 0.95), "sure", "It's a 7"),
    (uniform_except(4, 0.40, 9, 0.10), "unsure", "Not sure: 4 or 9?"),  # low top probability
    (uniform_except(4, 0.55, 9, 0.40), "unsure", "Not sure: 4 or 9?"),  # near tie
    (uniform_except(4, 0.55, 9, 0.20), "sure", "It's a 4"),
    (uniform_except(8, 0.99), "sure", "It's an 8"),
])
def test_verdict_sure_or_unsure(probabilities, verdict, message):
    controller = DigitPadController(FixedModel(probabilities), DEFAULT_SETTINGS, canvas_px=CANVAS)
    draw(controller, SEVEN)
    reading = controller.reading()
    assert reading.verdict == verdict
    assert reading.message == message
    percent = round(float(probabilities.max()) * 100)
    if verdict == "sure":
        assert reading.title == f"Digit Pad - {reading.digit} ({percent} %)"
    else:
        assert reading.title == f"Digit Pad - 4 or 9? ({percent} %)"


def test_the_reading_orders_digits():
    controller = DigitPadController(FixedModel(uniform_except(3, 0.7, 5, 0.2)), DEFAULT_SETTINGS, canvas_px=CANVAS)
    draw(controller, SEVEN)
    reading = controller.reading()
    assert (reading.digit, reading.runner_up, reading.verdict) == (3, 5, "sure")
    assert reading.confidence == pytest.approx(0.7, rel=1e-5)


def test_a_flat_output_is_not_a_digit_with_the_weights_rule():
    flat = np.array([0.16, 0.12, 0.1, 0.1, 0.1, 0.1, 0.08, 0.08, 0.08, 0.08], np.float32)
    metadata = {"verdict": {"not_digit_top2_below": 0.5}}
    controller = DigitPadController(FixedModel(flat), DEFAULT_SETTINGS, metadata=metadata, canvas_px=CANVAS)
    draw(controller, SEVEN)
    reading = controller.reading()
    assert reading.verdict == "not_digit" and reading.digit == 0
    assert reading.message == "That doesn't look like a digit"
    assert reading.title == "Digit Pad - not a digit"
    # Two competing digits are still only "not sure", never "not a digit".
    competing = DigitPadController(FixedModel(uniform_except(4, 0.48, 9, 0.45)), DEFAULT_SETTINGS,
                                   metadata=metadata, canvas_px=CANVAS)
    draw(competing, SEVEN)
    assert competing.reading().verdict == "unsure"


def test_the_weights_temperature_calibrates_the_probabilities_shown():
    p = uniform_except(7, 0.8)
    controller = DigitPadController(FixedModel(p), DEFAULT_SETTINGS, metadata={"calibration": {"temperature": 2.0}},
                                    canvas_px=CANVAS)
    draw(controller, SEVEN)
    shown = controller.reading().probabilities
    expected = np.sqrt(p) / np.sqrt(p).sum()  # softmax(log p / 2)
    np.testing.assert_allclose(shown, expected, rtol=1e-5)
    assert shown.sum() == pytest.approx(1.0)


def test_calibration_and_verdict_round_trip_through_the_weights_file(tmp_path, mlp):
    from model.verdict import VerdictRule

    rule = VerdictRule(sure_min_probability=0.9, not_digit_top2_below=0.8, temperature=0.7)
    path = tmp_path / "w.npz"
    save_weights(path, mlp, {"preprocessing": DEFAULT_SETTINGS.to_dict(), **rule.to_metadata()})
    assert read_weights(path).rule == rule
    assert DigitPadController.from_weights(path).rule == rule
    bad = tmp_path / "bad.npz"
    save_weights(bad, mlp, {"verdict": {"sure_min_probability": 3}})
    with pytest.raises(WeightsError, match="bad verdict or calibration"):
        read_weights(bad)


def test_undo_redo_and_clear_are_steps_of_one_history(controller):
    draw(controller, SEVEN[:1])
    after_first = controller.raster.pixels.copy()
    draw(controller, SEVEN[1:])
    after_both = controller.raster.pixels.copy()
    input_both = controller.reading().input.copy()

    assert controller.undo()
    assert len(controller.strokes) == 1
    np.testing.assert_array_equal(controller.raster.pixels, after_first)
    assert controller.redo()
    np.testing.assert_array_equal(controller.raster.pixels, after_both)
    np.testing.assert_array_equal(controller.reading().input, input_both)
    assert not controller.redo()

    controller.clear()
    assert controller.reading().verdict == "empty"
    assert not controller.raster.pixels.any()
    assert controller.undo()  # clear is undoable
    np.testing.assert_array_equal(controller.raster.pixels, after_both)

    controller.undo()
    controller.undo()
    assert controller.reading().verdict == "empty"
    assert not controller.undo()
    controller.redo()
    draw(controller, [[(0.1, 0.9), (0.2, 0.9)]])  # a new stroke forgets the redo branch
    assert not controller.can_redo


def test_undo_in_the_middle_of_a_stroke_finishes_it_first(controller):
    controller.pen_down(50, 50)
    controller.pen_move(150, 150)
    assert controller.undo()
    assert controller.strokes == [] and not controller.drawing_active
    assert controller.redo()
    assert len(controller.strokes) == 1


def test_eraser_strokes_remove_ink(controller):
    bar = [[(0.2, 0.5), (0.8, 0.5)]]
    draw(controller, bar)
    ink = controller.raster.pixels.sum()
    draw(controller, [[(0.45, 0.3), (0.45, 0.7)]], erase=True)  # a right-button drag across the bar
    partly = controller.raster.pixels.sum()
    assert 0 < partly < ink
    assert controller.strokes[-1].erase
    assert controller.strokes[-1].width == pytest.approx(controller.brush_fraction * ERASER_WIDTH_FACTOR)

    controller.set_eraser(True)  # the eraser tool: left-button strokes erase
    draw(controller, bar)
    assert controller.raster.pixels.max() < 0.05
    assert controller.reading().verdict == "empty"
    controller.set_eraser(False)
    controller.undo()
    assert controller.raster.pixels.sum() == pytest.approx(partly, rel=1e-5)


def test_brush_size_is_clamped_and_steps_geometrically(controller):
    start = controller.brush_fraction
    assert controller.brush_bigger() == pytest.approx(min(start * BRUSH_STEP_FACTOR, MAX_BRUSH_FRACTION))
    assert controller.brush_smaller() == pytest.approx(start)
    assert controller.set_brush(1.0) == MAX_BRUSH_FRACTION
    assert controller.brush_bigger() == MAX_BRUSH_FRACTION
    assert controller.set_brush(0.0001) == MIN_BRUSH_FRACTION
    assert controller.brush_smaller() == MIN_BRUSH_FRACTION
    with pytest.raises(ValueError):
        controller.set_brush(float("nan"))
    assert controller.brush_px == pytest.approx(MIN_BRUSH_FRACTION * CANVAS)


def test_a_thicker_brush_lays_down_more_ink(controller):
    controller.set_brush(0.03)
    draw(controller, SEVEN)
    thin = controller.raster.pixels.sum()
    controller.clear()
    controller.set_brush(0.09)
    draw(controller, SEVEN)
    assert controller.raster.pixels.sum() > 2 * thin
    assert [s.width for s in controller.strokes] == pytest.approx([0.09, 0.09])


def test_the_network_reads_the_same_input_whatever_the_brush(controller):
    inputs = []
    for brush in (MIN_BRUSH_FRACTION, 0.08, MAX_BRUSH_FRACTION):
        controller.clear()
        controller.set_brush(brush)
        draw(controller, SEVEN)
        inputs.append(controller.reading().input)
    for other in inputs[1:]:
        np.testing.assert_array_equal(other, inputs[0])
    # ... while the canvas shows each brush as it is.
    assert controller.raster.pixels.sum() > 5 * controller.input_raster.pixels.sum()


def test_the_network_reads_nearly_the_same_input_whatever_the_size(controller):
    def input_at(factor):
        controller.clear()
        draw(controller, [[(0.5 + (x - 0.5) * factor, 0.5 + (y - 0.5) * factor) for x, y in s] for s in SEVEN])
        return controller.reading().input

    small, large = input_at(0.35 / 0.65), input_at(0.85 / 0.65)
    assert np.abs(small - large).sum() < 0.1 * large.sum()


def test_weights_without_an_input_pen_read_the_canvas_as_drawn(controller, mlp):
    draw(controller, SEVEN)
    with_pen = controller.reading().input
    legacy = {"preprocessing": {k: v for k, v in DEFAULT_SETTINGS.to_dict().items() if k != "input_pen"}}
    controller.use_model(LoadedModel(mlp, legacy, settings_from_metadata(legacy)))
    assert controller.settings.input_pen == 0 and controller.input_raster is None
    as_drawn = controller.reading().input
    assert as_drawn.sum() > 2 * with_pen.sum()
    np.testing.assert_array_equal(as_drawn, preprocess(controller.raster, controller.settings).image)
    controller.use_model(LoadedModel(mlp, {}, DEFAULT_SETTINGS))
    np.testing.assert_array_equal(controller.reading().input, with_pen)


def test_grid_edits_change_the_input_and_the_next_canvas_edit_returns_to_the_canvas(controller):
    draw(controller, SEVEN)
    canvas_input = controller.reading().input.copy()
    row, col = np.unravel_index(np.argmin(canvas_input), canvas_input.shape)

    assert controller.edit_cell(row, col, 1.0)
    edited = controller.reading()
    assert edited.source == "grid"
    assert edited.input[row, col] == 1.0
    changed = np.argwhere(edited.input != canvas_input)
    assert changed.tolist() == [[row, col]]
    assert not controller.edit_cell(row, col, 1.0)  # no change, nothing to recompute

    controller.edit_cell(row, col, 0.0)
    controller.edit_cell(0, 0, 1.0)
    assert controller.reading().input[0, 0] == 1.0

    # The next stroke starts from the canvas's own input again (plus the new stroke).
    controller.pen_down(0.9 * CANVAS, 0.9 * CANVAS)
    controller.pen_up()
    assert controller.reading().source == "canvas"
    controller.undo()
    np.testing.assert_array_equal(controller.reading().input, canvas_input)


def test_grid_edits_on_an_empty_canvas_make_a_prediction_and_erasing_them_empties_it(controller):
    assert controller.reading().verdict == "empty"
    for row in range(6, 22):
        controller.edit_cell(row, 14, 1.0)
    reading = controller.reading()
    assert reading.verdict in ("sure", "unsure")
    assert reading.input[6:22, 14].tolist() == [1.0] * 16
    for row in range(6, 22):
        controller.edit_cell(row, 14, 0.0)
    assert controller.reading().verdict == "empty"
    controller.edit_cell(6, 14, 1.0)
    controller.clear()  # clear also drops the grid edits
    assert controller.reading().verdict == "empty" and controller.reading().source == "canvas"
    with pytest.raises(IndexError):
        controller.edit_cell(28, 0, 1.0)


def test_resize_re_renders_strokes_from_their_fractions(mlp):
    big = DigitPadController(mlp, DEFAULT_SETTINGS, canvas_px=448)
    draw(big, SEVEN)
    input_before = big.reading().input.copy()
    big.resize(224)
    assert big.raster.pixels.shape == (224, 224)

    fresh = DigitPadController(mlp, DEFAULT_SETTINGS, canvas_px=224)
    draw(fresh, SEVEN)
    np.testing.assert_allclose(big.raster.pixels, fresh.raster.pixels, atol=1e-6)
    # Same drawing, same brush fraction: the network's input barely depends on the canvas size.
    assert np.abs(big.reading().input - input_before).mean() < 0.05
    with pytest.raises(ValueError):
        big.resize(10)


def test_drawing_round_trip_through_the_file_format(controller, mlp, tmp_path):
    controller.set_brush(0.05)
    draw(controller, SEVEN)
    controller.set_brush(0.03)
    draw(controller, [[(0.55, 0.3), (0.55, 0.6)]], erase=True)
    drawing = controller.to_drawing(label=7, writer="test")
    assert drawing.erase == [False, False, True]
    assert drawing.widths == pytest.approx([0.05, 0.05, 0.03 * ERASER_WIDTH_FACTOR])

    path = tmp_path / "seven.jsonl"
    write_drawings(path, [drawing])
    (loaded,) = read_drawings(path)
    assert loaded.label == 7 and loaded.writer == "test"

    other = DigitPadController(mlp, DEFAULT_SETTINGS, canvas_px=CANVAS)
    other.load_drawing(loaded)
    np.testing.assert_allclose(other.raster.pixels, controller.raster.pixels, atol=1e-6)
    np.testing.assert_allclose(other.reading().input, controller.reading().input, atol=1e-6)
    other.undo()  # loading is undoable
    assert other.reading().verdict == "empty"


def test_to_drawing_includes_the_stroke_being_drawn(controller):
    controller.pen_down(10, 10)
    controller.pen_move(100, 10)
    drawing = controller.to_drawing()
    assert len(drawing.strokes) == 1 and len(drawing.strokes[0]) == 2


def test_stages_are_kept_for_the_stage_view(controller):
    draw(controller, SEVEN)
    assert not controller.reading().stages
    controller.set_keep_stages(True)
    stages = controller.reading().stages
    for name in ("cropped", "blurred", "scaled", "centred"):
        assert name in stages and stages[name].ndim == 2


def _metadata(layer_sizes):
    return {"layer_sizes": layer_sizes, "activation": "relu", "batch_norm": False, "dropout": 0.0,
            "preprocessing": DEFAULT_SETTINGS.to_dict(), "results": {"mnist_test_accuracy": 0.9812},
            "created": "2026-11-23T05:00:00+00:00"}


def test_loading_weights_swaps_the_model_and_describes_it(controller, tmp_path):
    path = tmp_path / "other.npz"
    save_weights(path, MLP([784, 16, 10], seed=3), _metadata([784, 16, 10]))
    draw(controller, SEVEN)
    before = controller.reading().probabilities.copy()
    description = controller.use_model(read_weights(path))
    assert "784-16-10" in description and "98.12 %" in description and "2026-11-23" in description
    assert controller.dirty
    assert not np.allclose(controller.reading().probabilities, before)


@pytest.mark.parametrize("content", [b"", b"not a weights file at all", None])
def test_a_bad_weights_file_raises_and_keeps_the_current_model(controller, tmp_path, content):
    path = tmp_path / "bad.npz"
    if content is not None:
        path.write_bytes(content)
    draw(controller, SEVEN)
    model, before = controller.model, controller.reading().probabilities.copy()
    with pytest.raises(WeightsError) as caught:
        controller.use_model(read_weights(path))
    assert "bad.npz" in str(caught.value) and "\n" not in str(caught.value)
    assert controller.model is model
    np.testing.assert_array_equal(controller.reading().probabilities, before)


def test_from_weights_builds_a_working_controller(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(path, MLP([784, 16, 10], seed=1), _metadata([784, 16, 10]))
    controller = DigitPadController.from_weights(path, canvas_px=CANVAS)
    draw(controller, SEVEN)
    assert controller.reading().verdict in ("sure", "unsure")
    assert "784-16-10" in controller.describe_model()


def test_the_app_replay_and_training_renders_share_one_brush_range_and_canvas_size(mlp):
    from app.replay import build_parser
    from preprocessing import drawn_samples, raster

    assert (MIN_BRUSH_FRACTION, MAX_BRUSH_FRACTION) == drawn_samples.DEFAULT_BRUSH_RANGE \
        == (raster.MIN_BRUSH_FRACTION, raster.MAX_BRUSH_FRACTION)
    assert DigitPadController(mlp).canvas_px == raster.DEFAULT_CANVAS_PX == build_parser().get_default("canvas")
    assert f"default {raster.DEFAULT_CANVAS_PX}" in build_parser().format_help()


# ----------------------------------------------------------------------------- pictures

def _picture_file(tmp_path, name="seven.png"):
    from PIL import Image

    from preprocessing.drawing import Drawing
    from preprocessing.raster import render_drawing

    ink = render_drawing(Drawing(strokes=SEVEN), 240, 18)
    path = tmp_path / name
    Image.fromarray((255 - 220 * ink).astype(np.uint8)).save(path)
    return path


def test_an_opened_picture_becomes_the_input(tmp_path):
    from preprocessing.image_input import read_picture

    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=CANVAS)
    reading = controller.open_image(_picture_file(tmp_path))
    assert reading.source == "image" and controller.image is not None and controller.strokes == []
    np.testing.assert_array_equal(reading.input, read_picture(_picture_file(tmp_path)).result.image)
    assert reading.probabilities.shape == (10,) and reading.note is None


def test_drawing_over_a_picture_starts_over_and_one_undo_brings_it_back(tmp_path):
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=CANVAS)
    controller.pen_down(50, 50)
    controller.pen_move(200, 200)
    controller.pen_up()
    drawn = controller.strokes
    picture = controller.open_image(_picture_file(tmp_path)).input
    controller.pen_down(40, 200)
    controller.pen_move(240, 60)
    controller.pen_up()
    assert controller.image is None and len(controller.strokes) == 1
    assert controller.reading().source == "canvas"
    assert controller.undo()
    assert controller.image is not None and controller.strokes == []
    np.testing.assert_array_equal(controller.reading().input, picture)
    assert controller.undo()  # before the picture: the first drawing
    assert controller.image is None and controller.strokes == drawn
    assert controller.redo() and controller.image is not None
    controller.clear()
    assert controller.image is None and controller.reading().verdict == "empty"
    assert controller.undo() and controller.reading().source == "image"


def test_grid_edits_start_from_the_picture(tmp_path):
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=CANVAS)
    picture = controller.open_image(_picture_file(tmp_path)).input
    controller.edit_cell(0, 0, 1.0)
    edited = controller.reading()
    assert edited.source == "grid" and edited.input[0, 0] == 1.0
    np.testing.assert_array_equal(edited.input[1:], picture[1:])


def test_a_bad_picture_changes_nothing(tmp_path):
    from preprocessing.pipeline import ImageError

    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=CANVAS)
    controller.pen_down(50, 50)
    controller.pen_move(200, 200)
    controller.pen_up()
    before = controller.reading()
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(ImageError, match="bad.jpg"):
        controller.open_image(tmp_path / "bad.jpg")
    assert controller.image is None and controller.reading() is before and controller.can_undo
    assert len(controller._undo) == 1


def test_a_picture_of_several_digits_says_so(tmp_path):
    from PIL import Image

    one = Image.open(_picture_file(tmp_path))
    pair = Image.new("L", (one.width * 2, one.height), 255)
    pair.paste(one, (0, 0))
    pair.paste(one, (one.width, 0))
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=CANVAS)
    reading = controller.open_image(pair, label="pair")
    assert reading.note == "several digits" and reading.message.startswith("Several digits; the largest")


def test_a_ready_input_is_what_the_network_reads_until_the_canvas_takes_over(controller):
    draw(controller, SEVEN)
    strokes = controller.strokes
    image = np.zeros((28, 28), np.float32)
    image[5:20, 12:15] = 0.8
    image[0, 0] = 1.7  # clipped to the input's range
    controller.show_input(image, "example")
    reading = controller.reading()
    assert reading.source == "example" and not controller.strokes and reading.input[0, 0] == 1.0
    np.testing.assert_array_equal(reading.input[5:20, 12:15], np.float32(0.8))
    probabilities = controller.model.predict_proba(np.clip(image, 0, 1))
    np.testing.assert_allclose(reading.probabilities, probabilities, rtol=1e-4, atol=1e-6)
    controller.edit_cell(0, 1, 1.0)  # cell edits edit the example
    assert controller.reading().source == "example" and controller.reading().input[0, 1] == 1.0
    assert controller.undo()  # the strokes come back, and with them the canvas's own input
    assert controller.strokes == strokes and controller.reading().source == "canvas"
    controller.show_input(image)
    controller.clear()
    assert controller.reading().verdict == "empty"
    with pytest.raises(ValueError, match="28, 28"):
        controller.show_input(np.zeros((27, 28)))
    with pytest.raises(ValueError):
        controller.show_input(np.full((28, 28), np.nan))
