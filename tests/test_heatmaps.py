"""model.heatmaps: colour maps and unit grids, checked pixel by pixel."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from model import heatmaps as hm
from model.data import read_npz
from model.explain import Explainer, explain
from model.weights_io import load_weights


def test_diverging_map_is_white_at_zero_and_full_colour_at_the_scale() -> None:
    rgb = hm.diverging_rgb(np.array([0.0, 2.0, -2.0, 1.0, -1.0, 5.0]), scale=2.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (6, 3)
    assert tuple(rgb[0]) == hm.WHITE
    assert tuple(rgb[1]) == hm.EVIDENCE_TOWARD and tuple(rgb[5]) == hm.EVIDENCE_TOWARD  # clipped
    assert tuple(rgb[2]) == hm.EVIDENCE_AGAINST
    halfway = np.rint((np.array(hm.WHITE) + np.array(hm.EVIDENCE_TOWARD)) / 2)
    np.testing.assert_array_equal(rgb[3], halfway)


def test_diverging_scale_is_symmetric_by_default() -> None:
    rgb = hm.diverging_rgb(np.array([4.0, -1.0]))
    assert tuple(rgb[0]) == hm.EVIDENCE_TOWARD
    quarter = np.rint(255 + 0.25 * (np.array(hm.EVIDENCE_AGAINST) - 255))
    np.testing.assert_array_equal(rgb[1], quarter)
    assert hm.symmetric_scale(np.array([-3.0, 2.0])) == 3.0 and hm.symmetric_scale(np.array([])) == 0.0


def test_a_percentile_scale_ignores_the_background_and_the_extremes() -> None:
    values = np.zeros(1000)
    values[:100] = np.arange(1, 101)
    values[0] = -1000.0
    assert hm.symmetric_scale(values, percentile=50) == pytest.approx(np.percentile(np.r_[1000, np.arange(2, 101)], 50))
    assert hm.symmetric_scale(np.zeros(5), percentile=90) == 0.0


@pytest.mark.parametrize("scale", [None, 0.0, -1.0, float("nan")])
def test_nothing_to_show_is_white(scale) -> None:
    values = np.zeros((28, 28)) if scale is None else np.ones((28, 28))
    assert np.all(hm.diverging_rgb(values, scale) == 255)


def test_evidence_shows_the_ink_in_grey_under_the_colours() -> None:
    evidence = np.zeros((28, 28))
    evidence[5, 5], evidence[6, 6] = 1.0, -0.5
    ink = np.zeros((28, 28))
    ink[5:8, 5:8] = 1.0
    rgb = hm.evidence_rgb(evidence, ink=ink, ink_shade=0.3)
    assert rgb.shape == (28, 28, 3)
    assert tuple(rgb[0, 0]) == hm.WHITE                      # no ink, no evidence
    assert tuple(rgb[7, 7]) == (178, 178, 178)               # ink without evidence: light grey
    assert tuple(rgb[5, 5]) == hm.EVIDENCE_TOWARD            # full evidence: full colour
    assert rgb[6, 6, 0] > rgb[6, 6, 2]                       # toward the other digit: orange
    with pytest.raises(ValueError, match="ink"):
        hm.evidence_rgb(evidence, ink=np.zeros((27, 28)))


def test_weights_use_their_own_colours() -> None:
    rgb = hm.weights_rgb(np.array([[1.0, -1.0]]))
    assert tuple(rgb[0, 0]) == hm.WEIGHT_POSITIVE and tuple(rgb[0, 1]) == hm.WEIGHT_NEGATIVE


def test_sequential_map_runs_dark_to_bright() -> None:
    rgb = hm.sequential_rgb(np.array([0.0, 1.0, 2.0, -1.0]), scale=1.0)
    assert tuple(rgb[0]) == tuple(hm.SEQUENTIAL_LUT[0]) == (0, 0, 4)
    assert tuple(rgb[1]) == tuple(rgb[2]) == tuple(hm.SEQUENTIAL_LUT[-1]) == (252, 253, 191)
    assert tuple(rgb[3]) == (0, 0, 4)
    brightness = hm.SEQUENTIAL_LUT.astype(int).sum(axis=1)
    assert np.all(np.diff(brightness) >= 0)


@pytest.mark.parametrize("n, shape", [(768, (24, 32)), (256, (16, 16)), (10, (2, 5)), (1, (1, 1)), (7, (2, 4)),
                                     (128, (8, 16)), (100, (10, 10))])
def test_grid_shapes(n, shape) -> None:
    rows, columns = hm.grid_shape(n)
    assert (rows, columns) == shape and rows * columns >= n
    with pytest.raises(ValueError):
        hm.grid_shape(0)


def test_activation_grid_puts_unit_i_at_row_major_position_and_greys_the_rest() -> None:
    values = np.zeros(7)
    values[5] = 3.0
    grid = hm.activation_grid(values, columns=4, scale=3.0)
    assert grid.shape == (2, 4, 3)
    assert hm.unit_cell(5, 4) == (1, 1)
    assert tuple(grid[1, 1]) == tuple(hm.SEQUENTIAL_LUT[-1])
    assert tuple(grid[0, 0]) == tuple(hm.SEQUENTIAL_LUT[0])
    assert tuple(grid[1, 3]) == hm.EMPTY_CELL
    strip = hm.activation_grid(values, columns=7)
    assert strip.shape == (1, 7, 3)
    with pytest.raises(ValueError, match="columns"):
        hm.activation_grid(values, columns=0)


def test_unit_at_inverts_the_enlarged_layout() -> None:
    cell = 8
    for index in (0, 5, 31, 32, 767):
        row, column = hm.unit_cell(index, 32)
        assert hm.unit_at(column * cell + 3, row * cell + 7, 768, 32, cell) == index
    assert hm.unit_at(-1, 0, 768, 32, cell) is None
    assert hm.unit_at(32 * cell, 0, 768, 32, cell) is None    # right of the last column
    assert hm.unit_at(3 * cell, 1 * cell, 7, 4, cell) is None  # the grey cell past unit 6


def test_layer_picture_frames_the_strongest_units() -> None:
    values = np.linspace(0, 1, 768)
    picture = hm.layer_picture(values, scale=1.0, toward=[767], against=[0], cell_px=8)
    assert picture.shape == (24 * 8, 32 * 8, 3) and picture.dtype == np.uint8
    last = picture[23 * 8:, 31 * 8:]
    assert tuple(last[0, 0]) == hm.HIGHLIGHT_TOWARD and tuple(last[7, 7]) == hm.HIGHLIGHT_TOWARD
    assert tuple(last[4, 4]) == tuple(hm.SEQUENTIAL_LUT[-1])   # the inside keeps its colour
    assert tuple(picture[0, 0]) == hm.HIGHLIGHT_AGAINST
    assert tuple(picture[4, 4]) == tuple(hm.SEQUENTIAL_LUT[0])
    assert tuple(picture[4, 12]) == tuple(hm.sequential_rgb(values[1:2], 1.0)[0])  # unit 1, unframed
    with pytest.raises(ValueError, match="cell_px"):
        hm.enlarge(picture, 0)


def test_pictures_of_a_real_explanation(bundled_weights, test_data_dir, artifacts_dir) -> None:
    model, _ = load_weights(bundled_weights)
    images, _ = read_npz(test_data_dir / "mnist_test_sample.npz")
    image = images[0].astype(np.float32) / 255
    e = explain(model, image)
    big = hm.enlarge(hm.evidence_rgb(e.evidence, ink=image), 10)
    Image.fromarray(big).save(artifacts_dir / "evidence_overlay.png")
    layer = hm.layer_picture(e.activations[-1], toward=e.strongest_units(1, 5),
                             against=e.strongest_units(1, 5, toward=False))
    Image.fromarray(layer).save(artifacts_dir / "layer_picture.png")
    unit = int(e.strongest_units(0, 1)[0])
    Image.fromarray(hm.enlarge(hm.weights_rgb(Explainer(model).unit_pattern(0, unit)), 10)).save(
        artifacts_dir / "unit_weights.png")
    assert big.shape == (280, 280, 3)
    # the digit's ink is coloured, the background stays white
    assert np.all(big[:10, :10] == 255)
    row, column = np.unravel_index(np.argmax(np.abs(e.evidence)), (28, 28))
    strongest = hm.EVIDENCE_TOWARD if e.evidence[row, column] > 0 else hm.EVIDENCE_AGAINST
    assert tuple(big[row * 10 + 5, column * 10 + 5]) == strongest
