"""Tests of preprocessing.input_pen: the strokes drawn for the network with a digit-scaled pen."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preprocessing.input_pen import (MIN_INK_EXTENT, PEN_STEPS_PER_OCTAVE, InputPenRaster,
                                     input_pen_fraction)
from preprocessing.pipeline import DEFAULT_SETTINGS, preprocess
from preprocessing.raster import StrokeRaster

BOX_WIDTH, BOX = DEFAULT_SETTINGS.input_pen, DEFAULT_SETTINGS.box
SEVEN = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]]


def scaled(strokes, factor, centre=(0.5, 0.5)):
    return [[(centre[0] + (x - 0.5) * factor, centre[1] + (y - 0.5) * factor) for x, y in s] for s in strokes]


def draw_live(raster, strokes, width=0.05, erase=False):
    for points in strokes:
        raster.begin_stroke(points[0], width, erase)
        for point in points[1:]:
            raster.extend_stroke(point)


@pytest.mark.parametrize("extent", [0.0, 0.005, 0.05, 0.3, 0.6, 0.95])
def test_pen_gives_the_box_width_within_one_step(extent):
    pen = input_pen_fraction(extent, BOX_WIDTH, BOX)
    exact = BOX_WIDTH * max(extent, MIN_INK_EXTENT) / (BOX - BOX_WIDTH)
    assert abs(math.log2(pen / exact)) <= 0.5 / PEN_STEPS_PER_OCTAVE + 1e-9
    steps = math.log2(pen) * PEN_STEPS_PER_OCTAVE
    assert steps == pytest.approx(round(steps))


def test_pen_never_shrinks_as_the_digit_grows():
    pens = [input_pen_fraction(e, BOX_WIDTH, BOX) for e in np.linspace(0, 1, 500)]
    assert all(b >= a for a, b in zip(pens, pens[1:]))
    assert len(set(pens)) > 5


def test_strokes_come_out_the_same_width_whatever_the_digits_size():
    def stroke_width_in_box(factor):
        raster = InputPenRaster(448, BOX_WIDTH, BOX)
        raster.draw_strokes((s, 0.05, False) for s in scaled([[(0.5, 0.1), (0.5, 0.9)]], factor))
        result = preprocess(raster, DEFAULT_SETTINGS)
        return result.image.sum() / 20.0  # ink across a vertical bar 20 px tall

    small, large = stroke_width_in_box(0.35), stroke_width_in_box(0.85)
    assert small == pytest.approx(large, rel=0.2)
    assert 0.3 < small < 1.2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12),
                min_size=1, max_size=4),
       st.lists(st.booleans(), min_size=4, max_size=4))
def test_live_drawing_equals_drawing_the_finished_strokes(strokes, erase_flags):
    live = InputPenRaster(96, BOX_WIDTH, BOX)
    for points, erase in zip(strokes, erase_flags):
        draw_live(live, [points], width=0.1, erase=erase)
    whole = InputPenRaster(96, BOX_WIDTH, BOX)
    whole.draw_strokes((points, 0.1, erase) for points, erase in zip(strokes, erase_flags))
    np.testing.assert_array_equal(live.pixels, whole.pixels)
    assert live.pen_fraction == whole.pen_fraction


def test_growing_digit_redraws_earlier_strokes_with_the_new_pen():
    raster = InputPenRaster(200, BOX_WIDTH, BOX)
    draw_live(raster, [[(0.45, 0.45), (0.55, 0.45)]])
    small_pen = raster.pen_fraction
    draw_live(raster, [[(0.1, 0.1), (0.9, 0.9)]])
    assert raster.pen_fraction > 2 * small_pen
    reference = StrokeRaster(200, 1.0)
    for (x0, y0), (x1, y1) in ([(0.45, 0.45), (0.55, 0.45)], [(0.1, 0.1), (0.9, 0.9)]):
        reference.add_dot(x0 * 200, y0 * 200, width_px=raster.pen_fraction * 200)
        reference.add_segment(x0 * 200, y0 * 200, x1 * 200, y1 * 200, width_px=raster.pen_fraction * 200)
    np.testing.assert_array_equal(raster.pixels, reference.pixels)


def test_eraser_strokes_keep_their_own_width_and_remove_ink():
    raster = InputPenRaster(200, BOX_WIDTH, BOX)
    draw_live(raster, [[(0.1, 0.5), (0.9, 0.5)]])
    before = raster.pixels.sum()
    draw_live(raster, [[(0.5, 0.3), (0.5, 0.7)]], width=0.2, erase=True)
    after = raster.pixels.sum()
    # A 0.2-wide eraser across the bar removes about a quarter of its 0.8 length.
    assert after == pytest.approx(before * (1 - 0.2 / 0.8), rel=0.1)
    assert raster.pixels[100, 95:106].max() == 0.0


def test_eraser_only_leaves_nothing_and_clear_resets():
    raster = InputPenRaster(100, BOX_WIDTH, BOX)
    draw_live(raster, [[(0.2, 0.2), (0.8, 0.8)]], erase=True)
    assert raster.ink_box is None and raster.pen_fraction is None
    assert preprocess(raster, DEFAULT_SETTINGS).empty
    draw_live(raster, SEVEN)
    assert raster.pixels.max() > 0
    raster.clear()
    assert raster.pixels.max() == 0 and raster.pen_fraction is None


def test_bad_pen_width_is_refused():
    with pytest.raises(ValueError):
        InputPenRaster(100, 0.0, BOX)
    with pytest.raises(ValueError):
        InputPenRaster(100, BOX, BOX)
    with pytest.raises(ValueError):
        InputPenRaster(100, BOX_WIDTH, BOX).extend_stroke((0.5, 0.5))
