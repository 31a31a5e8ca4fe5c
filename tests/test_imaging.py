"""app.imaging: the grid view, stage thumbnails and PNG files, made from arrays (no display needed)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.imaging import GRID_PALETTE, GridPainter, grid_levels, save_png, thumbnail
from app.theme import GRID_LINE, INK, PAPER, rgb


def test_the_palette_runs_from_paper_to_ink():
    assert GRID_PALETTE.shape == (256, 3) and GRID_PALETTE.dtype == np.uint8
    assert tuple(GRID_PALETTE[0]) == rgb(PAPER) and tuple(GRID_PALETTE[255]) == rgb(INK)
    assert np.all(np.diff(GRID_PALETTE.astype(int), axis=0) <= 0)  # darker with every level


def test_grid_levels_round_the_input_to_256_shades():
    image = np.zeros((28, 28), np.float32)
    image[0, 0], image[0, 1], image[0, 2], image[0, 3] = 1.0, 0.5, 0.001, 1.7
    levels = grid_levels(image)
    assert levels.dtype == np.int16 and levels.shape == (28, 28)
    assert levels[0, :4].tolist() == [255, 128, 0, 255] and levels[1:].max() == 0
    assert not grid_levels(None).any() and grid_levels(None).shape == (28, 28)


def test_the_grid_image_shows_each_cell_with_lines_on_light_cells_only():
    painter = GridPainter(9)
    levels = np.zeros((28, 28), np.int16)
    levels[3, 5] = 255
    pixels = np.asarray(painter.image(levels))
    assert pixels.shape == (252, 252, 3)
    inked = pixels[3 * 9:4 * 9, 5 * 9:6 * 9]
    assert np.all(inked == rgb(INK))  # a dark cell hides its lines
    assert tuple(pixels[0, 100]) == rgb(GRID_LINE) and tuple(pixels[100, 9]) == rgb(GRID_LINE)
    assert tuple(pixels[4, 4]) == rgb(PAPER)
    with pytest.raises(ValueError):
        GridPainter(1)


def test_thumbnails_keep_the_aspect_ratio_centred_and_small_arrays_crisp():
    wide = np.zeros((10, 40), np.float32)
    wide[:, :] = 1.0
    image = np.asarray(thumbnail(wide, 64))
    assert image.shape == (64, 64)
    rows = np.flatnonzero(image.min(axis=1) < 128)
    assert rows.size == 16 and rows[0] == 24  # 10 x 40 scaled to 16 x 64, centred vertically
    small = np.zeros((28, 28), np.float32)
    small[10, 10] = 1.0
    crisp = np.asarray(thumbnail(small, 56))
    assert set(np.unique(crisp).tolist()) == {0, 255}  # nearest-neighbour: no in-between greys


def test_save_png_writes_the_raster_as_greyscale_ink_without_leftovers(tmp_path):
    pixels = np.zeros((30, 20), np.float32)
    pixels[5:10, 3:7] = 1.0
    pixels[0, 0] = 0.5
    path = tmp_path / "drawing.png"
    save_png(pixels, path)
    with Image.open(path) as png:
        assert png.mode == "L" and png.size == (20, 30)
        array = np.asarray(png)
    assert array[5:10, 3:7].min() == 255 and array[0, 0] == 128 and array[20:].max() == 0
    assert [p.name for p in tmp_path.iterdir()] == ["drawing.png"]
    with pytest.raises(OSError):
        save_png(pixels, tmp_path / "missing-folder" / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["drawing.png"]
