"""The MNIST-style pipeline: shapes, centring, aspect ratio, empty canvases, imported images."""
from __future__ import annotations

import numpy as np
import pytest

from preprocessing.pipeline import DEFAULT_SETTINGS, ImageError, PipelineSettings, preprocess, raster_from_image
from preprocessing.raster import StrokeRaster

TARGET = np.array(DEFAULT_SETTINGS.com_target)


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return np.array([(rows * image).sum() / total, (cols * image).sum() / total])


def check_input(result):
    assert not result.empty
    image = result.image
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() <= 1
    assert np.abs(centre_of_mass(image) - TARGET).max() < 0.5
    r0, c0, r1, c1 = result.ink_box
    assert max(r1 - r0, c1 - c0) * result.scale <= 20 + 1e-6
    return image


def test_empty_canvas_is_an_explicit_empty_result():
    result = preprocess(np.zeros((560, 560), np.float32))
    assert result.empty and result.image is None


def test_stages_are_returned_on_request():
    raster = StrokeRaster(560, 30)
    raster.add_segment(200, 150, 350, 400)
    result = preprocess(raster.pixels, keep_stages=True)
    assert list(result.stages) == ["raw", "cropped", "blurred", "scaled", "centred"]
    assert result.stages["raw"].shape == (560, 560)
    assert max(result.stages["scaled"].shape) == 20
    np.testing.assert_array_equal(result.stages["centred"], result.image)
    assert preprocess(raster.pixels).stages == {}


def test_a_centred_one_stays_narrow():
    raster = StrokeRaster(560, 34)
    raster.add_segment(280, 110, 285, 450)
    image = check_input(preprocess(raster.pixels))
    inked = image > 0.1
    height = np.ptp(np.nonzero(inked.any(axis=1))[0]) + 1
    width = np.ptp(np.nonzero(inked.any(axis=0))[0]) + 1
    assert height >= 19 and width <= 5


def test_single_dot_and_edge_touching_line():
    raster = StrokeRaster(400, 24)
    raster.add_dot(3, 3)
    check_input(preprocess(raster.pixels))
    raster.clear()
    raster.add_segment(0, 200, 399, 200)
    check_input(preprocess(raster.pixels))


def test_settings_round_trip_and_validation():
    data = DEFAULT_SETTINGS.to_dict()
    assert PipelineSettings.from_dict(data) == DEFAULT_SETTINGS
    with pytest.raises(ValueError, match="unknown preprocessing setting 'colour'"):
        PipelineSettings.from_dict({**data, "colour": 1})
    with pytest.raises(ValueError, match="blur_sigma"):
        PipelineSettings.from_dict({**data, "blur_sigma": -1})
    with pytest.raises(ValueError, match="com_target"):
        PipelineSettings.from_dict({**data, "com_target": [1]})


def test_missing_image_names_the_file(tmp_path):
    with pytest.raises(ImageError, match="absent.png: no such file"):
        raster_from_image(tmp_path / "absent.png")
