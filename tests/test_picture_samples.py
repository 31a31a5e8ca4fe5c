"""preprocessing.picture_samples: drawings -> marker bitmaps -> the picture steps -> training images."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from model.recipe import Recipe
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.image_input import read_grey
from preprocessing.picture_samples import (BITMAP_SIDE_RANGE, marker_bitmap, render_picture_file_cached,
                                           render_picture_samples)


def _seven(writer: str = "w1") -> Drawing:
    return Drawing(strokes=[[(0.3, 0.3), (0.7, 0.3), (0.45, 0.8)]], label=7, writer=writer)


def _zero(writer: str = "w2") -> Drawing:
    ring = [(0.5 + 0.2 * np.cos(t), 0.5 + 0.3 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    return Drawing(strokes=[ring], label=0, writer=writer)


def test_marker_bitmaps_are_small_dark_on_light_and_often_one_bit():
    one_bit = 0
    for seed in range(40):
        bitmap = marker_bitmap(_zero(), 0.08, 0.7, np.random.default_rng(seed))
        assert BITMAP_SIDE_RANGE[0] <= max(bitmap.shape) <= BITMAP_SIDE_RANGE[1]
        assert bitmap.dtype == np.float32 and 0 <= bitmap.min() and bitmap.max() <= 1
        assert (bitmap < 0.5).mean() < 0.5  # ink is the minority, and dark
        one_bit += len(np.unique(bitmap)) <= 2
    assert 20 <= one_bit < 40  # most one-bit, some anti-aliased grey


def test_a_wider_marker_fills_more_of_the_bitmap():
    thin = marker_bitmap(_zero(), 0.04, 0.7, np.random.default_rng(3))
    thick = marker_bitmap(_zero(), 0.13, 0.7, np.random.default_rng(3))
    assert (thick < 0.5).mean() > 1.5 * (thin < 0.5).mean()


def test_a_filled_loop_reaches_the_network_as_the_picture_steps_read_it():
    """The sample is exactly what the app makes of the bitmap, not a render of the strokes."""
    drawings = [_zero()]
    samples = render_picture_samples(drawings, variants=1, seed=2, workers=1)
    rng = np.random.default_rng([2, 0, 0, 14])
    marker, height = float(rng.uniform(0.04, 0.13)), float(rng.uniform(0.6, 0.85))
    bitmap = marker_bitmap(drawings[0], marker, height, rng)
    np.testing.assert_array_equal(samples.images[0], read_grey(bitmap).result.image)
    assert samples.brush[0] == pytest.approx(marker) and samples.height[0] == pytest.approx(height)


def test_labels_writers_and_shapes_follow_the_drawings():
    drawings = [_seven(), _zero(), Drawing(strokes=[[(0.1, 0.1), (0.2, 0.2)]], label=None)]
    samples = render_picture_samples(drawings, variants=3, seed=1, workers=1)
    assert samples.images.shape == (6, 28, 28) and samples.images.dtype == np.float32
    assert samples.labels.tolist() == [7, 7, 7, 0, 0, 0]
    assert samples.writers.tolist() == ["w1"] * 3 + ["w2"] * 3
    assert not np.array_equal(samples.images[0], samples.images[1])
    with pytest.raises(ValueError, match="variants"):
        render_picture_samples(drawings, variants=0)


def test_same_seed_same_images_whatever_the_number_of_workers():
    drawings = [_seven(f"w{i}") for i in range(4)] + [_zero(f"v{i}") for i in range(4)]
    one = render_picture_samples(drawings, variants=2, seed=5, workers=1, chunk=3)
    two = render_picture_samples(drawings, variants=2, seed=5, workers=2, chunk=3)
    np.testing.assert_array_equal(one.images, two.images)


def test_cached_pictures_equal_fresh_ones(tmp_path):
    drawings = [_seven("a"), _zero("b")]
    fresh, cached = render_picture_file_cached(drawings, "e" * 64, tmp_path, 2, 0, workers=1)
    again, cached_again = render_picture_file_cached(drawings, "e" * 64, tmp_path, 2, 0, workers=1)
    assert (cached, cached_again) == (False, True)
    np.testing.assert_array_equal(fresh.images, again.images)
    assert again.writers.tolist() == ["a", "a", "b", "b"]


def test_pen_digits_as_pictures_are_centred_like_mnist(test_data_dir):
    drawings = read_drawings(test_data_dir / "drawings_sample.jsonl")[:30]
    samples = render_picture_samples(drawings, variants=1, seed=0, workers=1)
    assert len(samples) == 30
    centres = np.array([ndimage.center_of_mass(image) for image in samples.images])  # (n, 2) row, col
    assert np.all(np.abs(centres - 14) < 1.0)


def test_the_recipe_validates_picture_variants():
    assert Recipe(picture_variants=0).picture_variants == 0
    with pytest.raises(ValueError, match="picture_variants"):
        Recipe(picture_variants=-1)
    with pytest.raises(ValueError, match="picture_variants"):
        Recipe(picture_variants=1.5)
