"""benchmarks/robustness.py's mouse resampling: the stand-in for another device's sampling."""
from __future__ import annotations

import numpy as np

from benchmarks.robustness import MOUSE_CANVAS_PX, as_mouse_drawing
from preprocessing.drawing import Drawing

L_SHAPE = Drawing(strokes=[[(0.2, 0.2), (0.2, 0.8), (0.6, 0.8)]], label=4, writer="w")


def test_mouse_points_are_whole_pixels_a_few_pixels_apart_along_the_strokes():
    mouse = as_mouse_drawing(L_SHAPE, np.random.default_rng(0), step_px=3.0)
    points = np.array(mouse.strokes[0]) * MOUSE_CANVAS_PX
    np.testing.assert_allclose(points, np.round(points), atol=1e-9)
    gaps = np.hypot(*np.diff(points, axis=0).T)
    assert gaps.max() <= 3.0 + 1.5 and len(points) > (0.6 + 0.4) * MOUSE_CANVAS_PX / 3.5
    # Without tremor every point lies on the L (within rounding).
    on_vertical = np.abs(points[:, 0] - 0.2 * MOUSE_CANVAS_PX) <= 0.5
    on_base = np.abs(points[:, 1] - 0.8 * MOUSE_CANVAS_PX) <= 0.5
    assert np.all(on_vertical | on_base)
    assert (mouse.label, mouse.writer) == (4, "w")


def test_tremor_is_seeded_and_moves_the_points():
    steady = np.array(as_mouse_drawing(L_SHAPE, np.random.default_rng(0)).strokes[0])
    shaky = np.array(as_mouse_drawing(L_SHAPE, np.random.default_rng(1), tremor_px=1.5).strokes[0])
    again = np.array(as_mouse_drawing(L_SHAPE, np.random.default_rng(1), tremor_px=1.5).strokes[0])
    np.testing.assert_array_equal(shaky, again)
    moved = np.hypot(*((shaky - steady) * MOUSE_CANVAS_PX).T)
    assert 0.5 < moved.mean() < 4.0
