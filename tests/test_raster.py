"""The canvas mirror: round caps, anti-aliasing, eraser, and incremental == whole render."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from preprocessing.drawing import Drawing
from preprocessing.raster import DEFAULT_BRUSH_FRACTION, StrokeRaster, render_drawing


def test_new_raster_is_blank_float32():
    raster = StrokeRaster(100, 6)
    assert raster.pixels.shape == (100, 100)
    assert raster.pixels.dtype == np.float32
    assert not raster.pixels.any()
    assert raster.ink_box is None


def test_a_dot_is_a_disc_of_the_brush_width():
    raster = StrokeRaster(100, 20)
    raster.add_dot(50.0, 50.0)
    pixels = raster.pixels
    # The ink area equals the disc's area (anti-aliasing keeps the edge's share).
    assert pixels.sum() == pytest.approx(math.pi * 10 ** 2, rel=0.02)
    rows, cols = np.nonzero(pixels > 0.5)
    assert rows.max() - rows.min() + 1 == 20
    assert cols.max() - cols.min() + 1 == 20
    # Round, not square: the corners of the bounding square are empty.
    assert pixels[41, 41] == 0 and pixels[58, 58] == 0
    assert pixels[50, 50] == 1.0


def test_edges_are_anti_aliased():
    raster = StrokeRaster(100, 10)
    raster.add_segment(10.0, 50.3, 90.0, 50.3)
    column = raster.pixels[:, 50]
    fractional = column[(column > 0) & (column < 1)]
    assert fractional.size >= 2
    assert column.sum() == pytest.approx(10.0, abs=0.01)  # ink across a stroke equals its width


def test_segments_have_round_caps():
    raster = StrokeRaster(100, 10)
    raster.add_segment(30.0, 50.0, 70.0, 50.0)
    # The cap reaches half a brush beyond the end point, in a semicircle.
    assert raster.pixels[50, 74] > 0.9
    assert raster.pixels[50, 76] == 0.0
    assert raster.pixels[45, 74] == 0.0


def test_eraser_removes_ink_and_keeps_the_rest():
    raster = StrokeRaster(100, 10)
    raster.add_segment(10, 50, 90, 50)
    raster.add_segment(50.3, 10, 50.3, 90, width_px=12, erase=True)
    assert raster.pixels[50, 50] == 0.0
    assert raster.pixels[50, 20] == 1.0
    assert 0 < raster.pixels[50, 43] < 1 or 0 < raster.pixels[50, 44] < 1  # soft edge


def test_thin_brush_keeps_its_ink_amount():
    raster = StrokeRaster(50, 0.4)
    raster.add_segment(5, 25.5, 45, 25.5)
    assert raster.pixels[:, 25].sum() == pytest.approx(0.4, abs=0.01)


def test_strokes_off_the_canvas_are_clipped_without_error():
    raster = StrokeRaster(50, 8)
    raster.add_segment(-100, -100, -90, -90)
    assert not raster.pixels.any()
    raster.add_segment(-10, 25, 60, 25)
    assert raster.pixels[25, 0] == 1.0 and raster.pixels[25, 49] == 1.0


def test_clear_empties_everything():
    raster = StrokeRaster(60, 8)
    raster.add_dot(30, 30)
    raster.clear()
    assert not raster.pixels.any() and raster.ink_box is None


@pytest.mark.parametrize("bad", [0, -3, float("nan"), float("inf")])
def test_bad_brush_widths_are_refused(bad):
    with pytest.raises(ValueError, match="brush width"):
        StrokeRaster(50, bad)


def test_default_brush_is_a_fraction_of_the_canvas():
    assert 0.01 < DEFAULT_BRUSH_FRACTION < 0.2
    assert StrokeRaster(500).brush_width_px == pytest.approx(500 * DEFAULT_BRUSH_FRACTION)


point = st.tuples(st.floats(0, 1), st.floats(0, 1))
stroke = st.lists(point, min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(strokes=st.lists(stroke, min_size=0, max_size=4),
       erase=st.lists(st.booleans(), min_size=4, max_size=4),
       widths=st.lists(st.one_of(st.none(), st.floats(0.005, 0.2)), min_size=4, max_size=4))
def test_incremental_drawing_equals_whole_render(strokes, erase, widths):
    n = len(strokes)
    drawing = Drawing(strokes=strokes, widths=widths[:n], erase=erase[:n])
    size = 120
    whole = render_drawing(drawing, size, 7.0)
    live = StrokeRaster(size, 7.0)
    for index, points in enumerate(strokes):
        width = None if widths[index] is None else widths[index] * size
        px = [(x * size, y * size) for x, y in points]
        if len(px) == 1:
            live.add_dot(*px[0], width_px=width, erase=erase[index])
        for (xa, ya), (xb, yb) in zip(px, px[1:]):
            live.add_segment(xa, ya, xb, yb, width_px=width, erase=erase[index])
    np.testing.assert_array_equal(live.pixels, whole)
    assert whole.dtype == np.float32 and whole.min() >= 0 and whole.max() <= 1
    if live.ink_box is not None:
        r0, c0, r1, c1 = live.ink_box
        outside = live.pixels.copy()
        outside[r0:r1, c0:c1] = 0
        assert not outside.any()
