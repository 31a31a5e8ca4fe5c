"""app.insight: one explanation per reading, for the model the controller holds now."""
from __future__ import annotations

import numpy as np

from app.controller import DigitPadController, LoadedModel
from app.insight import Insight
from model.explain import Explainer
from model.mlp import MLP
from preprocessing.pipeline import DEFAULT_SETTINGS

SEVEN = [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.45, 0.85)]]


def drawn(model=None):
    controller = DigitPadController(model or MLP([784, 24, 16, 10], seed=1), DEFAULT_SETTINGS, canvas_px=280)
    for stroke in SEVEN:
        controller.pen_down(stroke[0][0] * 280, stroke[0][1] * 280)
        controller.pen_move(stroke[1][0] * 280, stroke[1][1] * 280)
        controller.pen_up()
    return controller


def test_the_explanation_is_of_the_readings_input_and_digits_and_computed_once_per_reading():
    controller = drawn()
    insight = Insight(controller)
    reading = controller.reading()
    first = insight.explain(reading)
    assert (first.target, first.versus) == (reading.digit, reading.runner_up)
    np.testing.assert_array_equal(first.image, reading.input)
    expected = Explainer(controller.model).explain(reading.input, reading.digit, reading.runner_up)
    np.testing.assert_allclose(first.evidence, expected.evidence)
    assert insight.explain(reading) is first  # the same reading: not computed again
    controller.edit_cell(0, 0, 1.0)
    second = insight.explain(controller.reading())
    assert second is not first and second.image[0, 0] == 1.0


def test_nothing_to_explain_for_an_empty_reading_or_a_model_that_is_not_an_mlp():
    controller = DigitPadController(MLP([784, 8, 10], seed=0), DEFAULT_SETTINGS, canvas_px=280)
    assert Insight(controller).explain(controller.reading()) is None

    class Other:
        def forward(self, x, training=False):
            return np.zeros((1, 10), np.float32) + np.arange(10, dtype=np.float32)

    other = drawn(Other())
    assert Insight(other).explain(other.reading()) is None and Insight(other).activation_scales(np.zeros((2, 28, 28))) == []


def test_a_swapped_model_gets_its_own_explainer_and_scales():
    controller = drawn()
    insight = Insight(controller)
    images = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
    scales = insight.activation_scales(images)
    assert len(scales) == 2 and insight.activation_scales(images) is scales
    before = insight.explain(controller.reading())
    other = MLP([784, 12, 10], seed=5)
    controller.use_model(LoadedModel(other, {}, DEFAULT_SETTINGS))
    after = insight.explain(controller.reading())
    assert insight.explainer.model is other and len(after.activations) == 1 and after is not before
    assert len(insight.activation_scales(images)) == 1
