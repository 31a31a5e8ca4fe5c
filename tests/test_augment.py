"""model.augment: batched affine/elastic warps and stroke-thickness jitter."""
from __future__ import annotations

import numpy as np
import pytest

from model.augment import (AugmentSettings, Augmenter, affine_inverse, dilate, erode,
                           random_affine_inverse, warp)


def _digit_like_batch(n: int = 16, seed: int = 0) -> np.ndarray:
    """(n, 784) float32 in [0, 1]: a few soft strokes near the centre of each image."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    for image in images:
        r0, c0 = rng.integers(8, 12, 2)
        image[r0:r0 + 10, c0:c0 + 3] = 1.0
        image[r0 + 4:r0 + 6, c0:c0 + 8] = 0.8
    return images.reshape(n, 784)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    image = image.reshape(28, 28)
    rows, cols = np.indices(image.shape)
    mass = image.sum()
    return float((rows * image).sum() / mass), float((cols * image).sum() / mass)


def test_output_shape_dtype_and_range_follow_the_input():
    batch = _digit_like_batch()
    augmenter = Augmenter(AugmentSettings(elastic_alpha=2.0, thickness=0.5))
    out = augmenter(batch, np.random.default_rng(1))
    assert out.shape == (16, 784) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    as_images = augmenter(batch.reshape(16, 28, 28), np.random.default_rng(1))
    assert as_images.shape == (16, 28, 28)
    np.testing.assert_array_equal(as_images.reshape(16, 784), out)
    assert not np.array_equal(out, batch)


@pytest.mark.parametrize("settings", [
    AugmentSettings.off(),
    AugmentSettings(rotation_deg=0, scale_min=1, scale_max=1, shear_deg=0, shift_px=0, thickness=0,
                    elastic_alpha=0),
])
def test_identity_when_everything_is_off(settings):
    batch = _digit_like_batch()
    out = Augmenter(settings)(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(out, batch)
    assert out is not batch


def test_identity_transform_reproduces_the_image_exactly():
    batch = _digit_like_batch(4)
    inverse = affine_inverse(np.zeros(4), np.ones(4), np.zeros(4), np.zeros((4, 2)))
    np.testing.assert_allclose(warp(batch, inverse), batch, atol=1e-6)


def test_rotation_moves_the_centre_of_mass_counter_clockwise_on_screen():
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 13:15, 20:24] = 1.0  # a blob right of the centre
    row, col = _centre_of_mass(image)
    assert abs(row - 13.5) < 0.01 and col > 20
    quarter = warp(image, affine_inverse([90.0], [1.0], [0.0], [[0.0, 0.0]]))
    row, col = _centre_of_mass(quarter)
    assert row < 7.5 and abs(col - 13.5) < 0.01  # right of the centre -> above it
    small = warp(image, affine_inverse([20.0], [1.0], [0.0], [[0.0, 0.0]]))
    row, col = _centre_of_mass(small)
    expected_row = 13.5 - 8.0 * np.sin(np.deg2rad(20))
    assert abs(row - expected_row) < 0.3


def test_shift_and_scale_move_and_grow_the_ink():
    batch = _digit_like_batch(1)
    shifted = warp(batch, affine_inverse([0.0], [1.0], [0.0], [[2.0, -3.0]]))
    before, after = _centre_of_mass(batch), _centre_of_mass(shifted)
    assert after[0] - before[0] == pytest.approx(2.0, abs=1e-3)
    assert after[1] - before[1] == pytest.approx(-3.0, abs=1e-3)
    bigger = warp(batch, affine_inverse([0.0], [1.3], [0.0], [[0.0, 0.0]]))
    assert bigger.sum() == pytest.approx(batch.sum() * 1.3 ** 2, rel=0.05)


def test_thickness_jitter_changes_ink_mass_in_the_right_direction():
    images = _digit_like_batch(8).reshape(8, 28, 28)
    strength = np.linspace(0.3, 1.0, 8)
    thick = dilate(images, strength)
    thin = erode(images, strength)
    assert np.all(thick.sum(axis=(1, 2)) > images.sum(axis=(1, 2)))
    assert np.all(thin.sum(axis=(1, 2)) < images.sum(axis=(1, 2)))
    # stronger jitter, bigger change
    gain = thick.sum(axis=(1, 2)) - images.sum(axis=(1, 2))
    assert np.all(np.diff(gain) > 0)
    np.testing.assert_allclose(dilate(images, 0.0), images)
    # thinner, not fainter: the peak stays
    np.testing.assert_allclose(thin.max(axis=(1, 2)), images.max(axis=(1, 2)), rtol=1e-5)


def test_only_thickness_jitter_changes_mass_both_ways_across_a_batch():
    batch = _digit_like_batch(64)
    settings = AugmentSettings(rotation_deg=0, scale_min=1, scale_max=1, shear_deg=0, shift_px=0,
                               thickness=0.4, elastic_alpha=0)
    out = Augmenter(settings)(batch, np.random.default_rng(3))
    change = out.sum(axis=1) - batch.sum(axis=1)
    assert (change > 1).sum() > 10 and (change < -1).sum() > 10


def test_same_seed_same_batch_different_seed_different_batch():
    batch = _digit_like_batch()
    settings = AugmentSettings(elastic_alpha=2.0)
    first = Augmenter(settings)(batch, np.random.default_rng(42))
    second = Augmenter(settings)(batch, np.random.default_rng(42))
    other = Augmenter(settings)(batch, np.random.default_rng(43))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_random_transforms_stay_within_the_configured_ranges():
    settings = AugmentSettings(rotation_deg=0, scale_min=0.8, scale_max=1.2, shear_deg=0, shift_px=0)
    inverse = random_affine_inverse(500, settings, np.random.default_rng(0))
    scales = 1 / np.sqrt(np.abs(np.linalg.det(inverse[:, :, :2])))
    assert scales.min() >= 0.8 - 1e-4 and scales.max() <= 1.2 + 1e-4


def test_settings_are_validated_and_round_trip():
    with pytest.raises(ValueError, match="rotation"):
        AugmentSettings(rotation_deg=-1)
    with pytest.raises(ValueError, match="scale"):
        AugmentSettings(scale_min=1.2, scale_max=1.0)
    settings = AugmentSettings(shift_px=1.5)
    assert AugmentSettings.from_dict(settings.to_dict()) == settings


def test_augmenter_counts_its_own_time():
    augmenter = Augmenter(AugmentSettings())
    augmenter(_digit_like_batch(), np.random.default_rng(0))
    assert augmenter.calls == 1 and augmenter.seconds > 0


def test_prefetching_the_next_plan_gives_the_same_batches():
    batches = [_digit_like_batch(16, seed) for seed in range(5)]
    plain = Augmenter(AugmentSettings(thickness=0.4))
    ahead = Augmenter(AugmentSettings(thickness=0.4), prefetch=True)
    rng_plain, rng_ahead = np.random.default_rng(9), np.random.default_rng(9)
    try:
        for batch in batches:
            np.testing.assert_array_equal(ahead(batch, rng_ahead), plain(batch, rng_plain))
        # a smaller last batch is still augmented (with the first rows of the prefetched plan)
        last = ahead(batches[0][:5], rng_ahead)
        assert last.shape == (5, 784) and not np.array_equal(last, batches[0][:5])
        # a different generator never receives a plan drawn from another one
        fresh = Augmenter(AugmentSettings(thickness=0.4))(batches[0], np.random.default_rng(1))
        np.testing.assert_array_equal(ahead(batches[0], np.random.default_rng(1)), fresh)
    finally:
        ahead.close()
    assert ahead.background_seconds > 0
