"""app.sources: the stroke input source, headless."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.sources import Stroke, StrokeSource, checked_side
from preprocessing.pipeline import DEFAULT_SETTINGS, preprocess
from preprocessing.raster import StrokeRaster

SIDE = 200
SEVEN = [Stroke(((0.25, 0.2), (0.5, 0.2), (0.75, 0.2)), 0.06),
         Stroke(((0.75, 0.2), (0.6, 0.5), (0.45, 0.85)), 0.06)]
RUB = Stroke(((0.2, 0.5), (0.8, 0.5)), 0.1, erase=True)


def draw_live(source: StrokeSource, strokes) -> None:
    for stroke in strokes:
        source.begin(stroke.points[0], stroke.width, stroke.erase)
        for point in stroke.points[1:]:
            source.extend(point)
        source.end()


@pytest.fixture
def source():
    return StrokeSource(SIDE, DEFAULT_SETTINGS)


def test_a_new_source_is_blank_and_reads_as_empty(source):
    assert source.name == "canvas" and source.strokes == [] and not source.drawing
    assert source.raster.pixels.shape == (SIDE, SIDE) and not source.raster.pixels.any()
    result = source.read(DEFAULT_SETTINGS, keep_stages=False)
    assert result.empty and result.image is None


def test_begin_extend_end_make_one_stroke_in_a_new_list(source):
    before = source.strokes
    source.begin((0.3, 0.3), 0.05, False)
    assert source.drawing and source.raster.pixels.any()
    assert source.extend((0.6, 0.7)) is True
    assert source.extend((0.6, 0.7)) is False  # the pen did not move: nothing drawn
    assert source.all_strokes() == [Stroke(((0.3, 0.3), (0.6, 0.7)), 0.05)]
    stroke = source.end()
    assert stroke == Stroke(((0.3, 0.3), (0.6, 0.7)), 0.05)
    assert source.strokes == [stroke] and before == []  # the old list is kept intact for undo
    assert source.end() is None and source.extend((0.1, 0.1)) is False


def test_the_network_reads_a_digit_scaled_pen_not_the_brush(source):
    draw_live(source, SEVEN)
    assert source.input_raster is not None
    assert source.raster.pixels.sum() > 3 * source.input_raster.pixels.sum()
    result = source.read(DEFAULT_SETTINGS, keep_stages=True)
    assert result.image.shape == (28, 28) and result.image.max() > 0.5
    assert {"raw", "cropped", "centred"} <= set(result.stages)


def test_replacing_the_strokes_redraws_bit_identically_to_live_drawing(source):
    draw_live(source, SEVEN + [RUB])
    live_raster = source.raster.pixels.copy()
    live_input = source.read(DEFAULT_SETTINGS, False).image
    again = StrokeSource(SIDE, DEFAULT_SETTINGS)
    again.replace(SEVEN + [RUB])
    np.testing.assert_array_equal(again.raster.pixels, live_raster)
    np.testing.assert_array_equal(again.read(DEFAULT_SETTINGS, False).image, live_input)
    again.replace([])
    assert again.strokes == [] and not again.raster.pixels.any()


def test_resize_redraws_at_the_new_side_and_back(source):
    draw_live(source, SEVEN)
    first = source.raster.pixels.copy()
    assert source.resize(SIDE) is False
    assert source.resize(317) is True
    assert source.canvas_px == 317 and source.raster.pixels.shape == (317, 317)
    assert source.input_raster.pixels.shape == (317, 317)
    source.resize(SIDE)
    np.testing.assert_array_equal(source.raster.pixels, first)


def test_weights_without_an_input_pen_read_the_canvas_as_drawn(source):
    draw_live(source, SEVEN)
    canvas_only = dataclasses.replace(DEFAULT_SETTINGS, input_pen=0.0)
    assert source.use_settings(DEFAULT_SETTINGS) is False
    assert source.use_settings(canvas_only) is True
    assert source.input_raster is None
    direct = StrokeRaster(SIDE)
    for stroke in SEVEN:
        direct.draw_pen_stroke(stroke.points, stroke.width * SIDE)
    np.testing.assert_array_equal(source.read(canvas_only, False).image, preprocess(direct, canvas_only).image)
    assert source.use_settings(DEFAULT_SETTINGS) is True and source.input_raster is not None


def test_a_stroke_being_drawn_survives_a_redraw(source):
    source.begin((0.2, 0.2), 0.05, False)
    source.extend((0.8, 0.8))
    source.resize(300)
    assert source.drawing and source.raster.pixels.any()
    assert source.end() == Stroke(((0.2, 0.2), (0.8, 0.8)), 0.05)


@pytest.mark.parametrize("side", [27, 0, -5])
def test_a_canvas_smaller_than_the_network_input_is_refused(side):
    with pytest.raises(ValueError, match="at least 28"):
        checked_side(side)
    with pytest.raises(ValueError):
        StrokeSource(side, DEFAULT_SETTINGS)


# ----------------------------------------------------------------------------- pictures

def _seven_picture(size=200) -> "Image.Image":
    from PIL import Image

    from preprocessing.drawing import Drawing
    from preprocessing.raster import render_drawing

    ink = render_drawing(Drawing(strokes=[[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]), size, 16)
    return Image.fromarray((255 - 220 * ink).astype(np.uint8))


def test_an_image_source_reads_the_picture_like_image_input(tmp_path):
    from app.sources import ImageSource
    from preprocessing.image_input import read_picture

    path = tmp_path / "seven.png"
    _seven_picture().save(path)
    source = ImageSource(path)
    assert source.name == "image" and source.label == "seven.png"
    assert source.shown().dtype == np.uint8 and source.shown().shape == (200, 200)
    result = source.read(DEFAULT_SETTINGS, keep_stages=True)
    np.testing.assert_array_equal(result.image, read_picture(path).result.image)
    assert "picture" in result.stages and source.note is None
    assert source.read(DEFAULT_SETTINGS, keep_stages=True) is result  # cached


def test_an_image_source_keeps_at_most_the_work_side_of_a_big_photo():
    from app.sources import ImageSource
    from preprocessing.image_input import WORK_SIDE

    source = ImageSource(_seven_picture(200).resize((2000, 3000)))
    assert max(source.picture.shape) <= WORK_SIDE


def test_a_bad_picture_is_a_one_line_error_naming_it(tmp_path):
    from app.sources import ImageSource
    from preprocessing.pipeline import ImageError

    (tmp_path / "x.gif").write_bytes(b"GIF89a broken")
    with pytest.raises(ImageError, match=r"^x\.gif: ") as info:
        ImageSource(tmp_path / "x.gif")
    assert "\n" not in str(info.value)
