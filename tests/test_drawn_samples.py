"""preprocessing.drawn_samples: drawings -> 28x28 training images via the real raster and pipeline."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

from app.controller import DigitPadController
from app.replay import replay_drawing
from model.mlp import MLP
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.drawn_samples import (exclude_writers, place, render_one, render_samples)
from preprocessing.pipeline import DEFAULT_SETTINGS, preprocess
from preprocessing.raster import StrokeRaster


def _seven(writer: str = "w1", label: int = 7) -> Drawing:
    return Drawing(strokes=[[(0.3, 0.3), (0.7, 0.3), (0.45, 0.8)]], label=label, writer=writer)


def _one(writer: str = "w2") -> Drawing:
    return Drawing(strokes=[[(0.5, 0.2), (0.5, 0.8)]], label=1, writer=writer)


def _ink_box(drawing: Drawing) -> tuple[float, float, float, float]:
    points = np.array([p for s in drawing.strokes for p in s])
    return (*points.min(axis=0), *points.max(axis=0))


def test_place_sets_the_height_and_keeps_the_digit_on_the_canvas():
    rng = np.random.default_rng(0)
    for height in (0.35, 0.6, 0.85):
        placed = place(_seven(), height, None, rng)
        x0, y0, x1, y1 = _ink_box(placed)
        assert y1 - y0 == pytest.approx(height)
        assert 0 <= x0 and x1 <= 1 and 0 <= y0 and y1 <= 1
    centred = place(_one(), 0.5, (0.25, 0.5))
    x0, y0, x1, y1 = _ink_box(centred)
    assert (x0 + x1) / 2 == pytest.approx(0.25) and (y0 + y1) / 2 == pytest.approx(0.5)
    assert placed.label == 7 and placed.writer == "w1"


def test_render_one_is_the_real_raster_and_pipeline():
    drawing = place(_seven(), 0.6, (0.5, 0.5))
    as_drawn = dataclasses.replace(DEFAULT_SETTINGS, input_pen=0.0)
    image = render_one(drawing, 0.06, canvas_px=224, settings=as_drawn)
    raster = StrokeRaster(224, 0.06 * 224)
    raster.draw(drawing)
    np.testing.assert_array_equal(image, preprocess(raster, as_drawn).image)
    assert image.shape == (28, 28) and image.dtype == np.float32


def test_render_one_reads_what_the_app_reads():
    drawing = place(_seven(), 0.6, (0.5, 0.5))
    controller = DigitPadController(MLP([784, 8, 10], seed=0), DEFAULT_SETTINGS, canvas_px=224)
    replay_drawing(controller, drawing, brush_fraction=0.06)
    np.testing.assert_array_equal(render_one(drawing, 0.06, canvas_px=224), controller.reading().input)


def test_render_samples_shapes_labels_writers_and_ranges():
    drawings = [_seven(), _one(), Drawing(strokes=[[(0.1, 0.1), (0.2, 0.2)]], label=None)]
    samples = render_samples(drawings, variants=3, seed=1, workers=1)
    assert samples.images.shape == (6, 28, 28) and samples.images.dtype == np.float32
    assert samples.images.min() >= 0 and samples.images.max() <= 1
    assert samples.labels.tolist() == [7, 7, 7, 1, 1, 1]
    assert samples.labels.dtype == np.int64
    assert samples.writers.tolist() == ["w1"] * 3 + ["w2"] * 3
    assert np.all((samples.brush >= 0.015) & (samples.brush <= 0.20))
    assert np.all((samples.height >= 0.35) & (samples.height <= 0.85))
    # variants differ (size, position and brush are random)
    assert not np.array_equal(samples.images[0], samples.images[1])


def test_same_seed_same_images_whatever_the_number_of_workers():
    drawings = [_seven(f"w{i}") for i in range(6)] + [_one(f"v{i}") for i in range(6)]
    one = render_samples(drawings, variants=2, seed=5, workers=1, chunk=4)
    two = render_samples(drawings, variants=2, seed=5, workers=2, chunk=4)
    np.testing.assert_array_equal(one.images, two.images)
    other = render_samples(drawings, variants=2, seed=6, workers=1)
    assert not np.array_equal(one.images, other.images)


def test_the_brush_changes_the_input_only_without_the_input_pen():
    drawing = place(_seven(), 0.6, (0.5, 0.5))
    np.testing.assert_array_equal(render_one(drawing, 0.02), render_one(drawing, 0.15))
    as_drawn = dataclasses.replace(DEFAULT_SETTINGS, input_pen=0.0)
    thin = render_one(drawing, 0.02, settings=as_drawn)
    thick = render_one(drawing, 0.15, settings=as_drawn)
    assert thick.sum() > 1.5 * thin.sum()


def test_exclude_writers():
    drawings = [_seven("a"), _one("b"), _seven("c")]
    assert [d.writer for d in exclude_writers(drawings, ["b", "zzz"])] == ["a", "c"]


def test_bad_ranges_are_refused():
    with pytest.raises(ValueError, match="variants"):
        render_samples([_seven()], variants=0)
    with pytest.raises(ValueError, match="height"):
        render_samples([_seven()], height_range=(0.9, 0.5))


def test_pen_digits_render_like_mnist_inputs(test_data_dir):
    drawings = read_drawings(test_data_dir / "drawings_sample.jsonl")[:40]
    samples = render_samples(drawings, variants=1, seed=0, workers=1)
    assert len(samples) == 40
    # the pipeline puts the centre of mass near the middle of the field, as in MNIST
    centres = np.array([ndimage.center_of_mass(image) for image in samples.images])  # (n, 2) row, col
    assert np.all(np.abs(centres - 14) < 1.0)


def test_cached_rendering_equals_fresh_rendering(tmp_path):
    from preprocessing.drawn_samples import render_file_cached, select

    drawings = [_seven("a"), _one("b"), _seven("c")]
    fresh, cached = render_file_cached(drawings, "f" * 64, tmp_path, 2, 0, workers=1)
    again, cached_again = render_file_cached(drawings, "f" * 64, tmp_path, 2, 0, workers=1)
    assert (cached, cached_again) == (False, True)
    np.testing.assert_array_equal(fresh.images, again.images)
    assert again.writers.tolist() == fresh.writers.tolist()
    other, cached_other = render_file_cached(drawings, "f" * 64, tmp_path, 2, 1, workers=1)
    assert cached_other is False and not np.array_equal(other.images, fresh.images)
    kept = select(again, again.writers != "b")
    assert kept.writers.tolist() == ["a", "a", "c", "c"] and kept.images.shape == (4, 28, 28)


def test_render_cache_keeps_only_the_most_recently_used_entries(tmp_path):
    import os

    from preprocessing.drawn_samples import render_file_cached
    from preprocessing.render_cache import ENTRIES_KEPT as CACHE_ENTRIES_KEPT

    drawings = [_seven("a"), _one("b")]
    for seed in range(CACHE_ENTRIES_KEPT + 2):
        render_file_cached(drawings, "f" * 64, tmp_path, 1, seed, workers=1)
        for age, entry in enumerate(sorted(tmp_path.glob("drawn-*.npz"), key=os.path.getmtime)):
            os.utime(entry, (age, age))  # file times in whole seconds: make the order unambiguous
    entries = list(tmp_path.glob("drawn-*.npz"))
    assert len(entries) == CACHE_ENTRIES_KEPT + 1
    _, reused = render_file_cached(drawings, "f" * 64, tmp_path, 1, CACHE_ENTRIES_KEPT + 1, workers=1)
    assert reused, "the newest entry must survive pruning"
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file may be left behind"
