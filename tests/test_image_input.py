"""preprocessing.image_input: each step on crafted pictures, the whole on any picture at all."""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image
from scipy import ndimage

from preprocessing import image_input as ii
from preprocessing.drawing import Drawing
from preprocessing.pipeline import DEFAULT_SETTINGS, ImageError, preprocess
from preprocessing.raster import render_drawing

# A '7' in canvas fractions: the bar and the stem.
SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
# A '0': a closed loop.
ZERO = [[(0.5, 0.15), (0.72, 0.3), (0.75, 0.6), (0.6, 0.85), (0.4, 0.85), (0.27, 0.6), (0.3, 0.3), (0.5, 0.15)]]


def ink_of(strokes, size=200, brush=12.0) -> np.ndarray:
    """(size, size) float32 ink = 1 of the strokes drawn with a round brush of `brush` pixels."""
    return render_drawing(Drawing(strokes=strokes), size, brush)


def paper(ink: np.ndarray, light: np.ndarray | float = 0.95, depth: float = 0.8) -> np.ndarray:
    """Brightness (1 = white) of ink on paper lit by `light`."""
    return (np.asarray(light, np.float32) * (1.0 - depth * ink)).astype(np.float32)


# ----------------------------------------------------------------------------- lighting

def test_levelling_removes_a_lighting_gradient_and_a_shadow_but_keeps_the_ink():
    ink = ink_of(SEVEN, 300, 14)
    rows, cols = np.mgrid[0:300, 0:300]
    light = 0.95 - 0.45 * cols / 300.0                      # a strong gradient, left to right
    light = light * np.where(rows > 150, 0.6, 1.0)          # and a shadow over the lower half
    light = ndimage.gaussian_filter(light, 3)
    darkness = ii.level_lighting(paper(ink, light))
    far = ndimage.distance_transform_edt(ink < 0.01) > 10   # paper well away from the strokes
    assert np.percentile(darkness[far], 99) < 0.15
    assert np.median(darkness[ink > 0.99]) > 0.6
    mask, _ = ii.ink_mask(darkness)
    assert mask[far].mean() < 0.002 and mask[ink > 0.99].mean() > 0.98


def test_small_pictures_take_one_paper_level():
    ink = ink_of(SEVEN, 28, 3)
    darkness = ii.level_lighting(paper(ink, 0.9))
    assert darkness[ink < 0.01].max() < 0.05 and darkness[ink > 0.99].min() > 0.7


def test_lighting_spread_tells_even_light_from_a_gradient():
    ink = ink_of(SEVEN, 300, 14)
    cols = np.mgrid[0:300, 0:300][1]
    assert ii.lighting_spread(paper(ink, 0.9)) < 0.02
    assert ii.lighting_spread(paper(ink, 0.95 - 0.3 * cols / 300.0)) > ii.UNEVEN_SPREAD


def test_under_uneven_light_only_clearer_faint_ink_joins_the_digit():
    seven = ink_of(SEVEN, 300, 14)
    tail = np.zeros_like(seven)
    tail[250:254, 135:230] = 1.0                             # a faint line from the stem's foot
    _, threshold = ii.ink_mask(ii.level_lighting(paper(seven)))
    # Faint enough to join only down to WEAK_OF_THRESHOLD of the threshold, not WEAK_UNEVEN_...
    faint = 0.5 * (ii.WEAK_OF_THRESHOLD + ii.WEAK_UNEVEN_OF_THRESHOLD) * threshold
    ink = np.maximum(seven * 0.8, tail * faint)
    cols = np.mgrid[0:300, 0:300][1]
    for light, joins in ((0.9, True), (0.95 - 0.3 * cols / 300.0, False)):
        picture = (light * (1.0 - ink)).astype(np.float32)
        chosen = ii.read_grey(picture, keep_stages=True).result.stages["ink"]
        assert (chosen[251:253, 200:225] > 0).all() == joins
        assert (chosen[seven > 0.99] > 0).mean() > 0.98


def test_under_uneven_light_faint_ink_joins_only_near_clear_ink():
    ink = ink_of(SEVEN, 300, 6)
    rows, cols = np.mgrid[0:300, 0:300].astype(np.float32)
    light = 0.95 - 0.4 * cols / 300                          # a gradient: unevenly lit
    smear = np.zeros_like(ink)
    smear[250:256, 130:300] = 1.0                             # a faint band from under the 7 off the page
    smear[200:256, 130:136] = 1.0                             # ...touching the 7's stem end
    picture = paper(ink, light) * (1.0 - 0.31 * smear * (ink < 0.1))  # fainter than the 7, above the weak level
    chosen = ii.read_grey(picture, keep_stages=True).result.stages["ink"] > 0
    far = ndimage.distance_transform_edt(ink < 0.5) > 0.05 * 300
    assert chosen[ink > 0.5].mean() > 0.9                     # the 7 is there
    assert not (chosen & far).any()                           # the band is not


def test_otsu_splits_two_groups_between_them():
    values = np.concatenate([np.full(900, 0.1), np.full(100, 0.8)]) + np.random.default_rng(0).normal(0, 0.02, 1000)
    assert 0.15 < ii.otsu_threshold(values) < 0.75


def test_paper_without_ink_gives_no_mask():
    grain = 0.9 + np.random.default_rng(1).normal(0, 0.01, (120, 160)).astype(np.float32)
    mask, _ = ii.ink_mask(ii.level_lighting(grain))
    assert not mask.any()
    assert ii.read_grey(grain).result.empty


# ----------------------------------------------------------------------------- rules, specks, digits

def test_ruled_lines_go_but_the_strokes_crossing_them_stay():
    mask = np.zeros((200, 300), bool)
    for y in range(20, 200, 40):
        mask[y:y + 2, :] = True                              # full-width rules, 2 px thick
    mask[:, 8:10] = True                                     # a margin line
    stroke = np.zeros_like(mask)
    stroke[30:170, 140:152] = True                           # a '1' written across three rules
    cleaned = ii.suppress_rules(mask | stroke)
    assert cleaned[stroke].all()
    assert not cleaned[~stroke].any()


def test_a_tall_bold_one_is_not_a_rule():
    mask = np.zeros((200, 200), bool)
    mask[5:195, 90:112] = True
    np.testing.assert_array_equal(ii.suppress_rules(mask), mask)


def test_specks_are_dropped_and_a_detached_bar_is_kept():
    mask = np.zeros((200, 200), bool)
    mask[60:180, 95:105] = True                              # the stem of a 5 ...
    mask[40:48, 95:150] = True                               # ... its detached bar
    mask[10, 10] = mask[190, 20:22] = mask[5, 180] = True    # specks
    choice = ii.choose_digit(mask)
    assert choice.digits == 1
    assert choice.mask[60:180, 95:105].all() and choice.mask[40:48, 95:150].all()
    assert not choice.mask[10, 10] and not choice.mask[190, 20] and not choice.mask[5, 180]


def test_two_digits_side_by_side_are_counted_and_the_larger_is_chosen():
    mask = np.zeros((100, 200), bool)
    mask[20:80, 30:40] = True                                # a '1'
    mask[20:80, 110:170] = ndimage.binary_dilation(
        np.pad(np.ones((50, 50), bool), 5) ^ np.pad(np.ones((40, 40), bool), 10), iterations=2)  # a '0'
    choice = ii.choose_digit(mask)
    assert choice.digits == 2
    assert choice.mask[:, 110:].any() and not choice.mask[:, :100].any()


def test_several_digits_are_reported_not_guessed_silently():
    picture = paper(np.concatenate([ink_of(SEVEN, 150, 10), ink_of(ZERO, 150, 10)], axis=1))
    reading = ii.read_grey(picture, keep_stages=True)
    assert reading.ink.digits == 2 and reading.ink.note == ii.NOTE_SEVERAL
    assert not reading.result.empty
    single = ii.read_grey(paper(ink_of(SEVEN, 150, 10)))
    assert single.ink.digits == 1 and single.ink.note is None


# ----------------------------------------------------------------------------- thinning

def stroke_width(network_input: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the ink over the total gradient (edges counted on both sides)."""
    gy, gx = np.gradient(network_input.astype(np.float64))
    return 2.0 * float(network_input.sum()) / float(np.hypot(gx, gy).sum())


@pytest.mark.parametrize("strokes", [SEVEN, ZERO])
def test_a_bold_marker_and_a_fine_pen_give_the_same_input(strokes):
    fine = ii.read_grey(paper(ink_of(strokes, 300, 4))).result.image
    bold = ii.read_grey(paper(ink_of(strokes, 300, 70))).result.image
    as_is = preprocess(ink_of(strokes, 300, 70)).image       # the bold picture without thinning
    assert abs(stroke_width(bold) - stroke_width(fine)) < 0.25 * stroke_width(fine)
    assert stroke_width(as_is) > 1.5 * stroke_width(bold)
    assert np.abs(bold - fine).mean() < 0.85 * np.abs(as_is - fine).mean()


def test_strokes_as_wide_as_mnists_are_read_as_they_are():
    ink = ink_of(SEVEN, 300, 40)                             # about 20 % of the digit's size
    reading = ii.read_grey(paper(ink), keep_stages=True)
    thinned = reading.result.stages["thinned"]
    assert stroke_width(thinned) > 0.7 * 40 * ii.DIGIT_SIDE / 200  # not a pen line: the stroke itself
    assert np.mean((thinned > 0.2) & (thinned < 0.5)) < 0.02  # nothing half-weight: no redrawn mix
    np.testing.assert_allclose(reading.result.image, preprocess(thinned).image, atol=1e-6)


def test_strokes_a_little_wider_than_a_pen_are_the_ink_mixed_with_its_redrawn_skeleton():
    ink = ink_of(SEVEN, 300, 22)                             # about 12 % of the digit's size
    thinned = ii.read_grey(paper(ink, depth=1.0), keep_stages=True).result.stages["thinned"]  # black ink
    inked = thinned > 0.05
    kept_part = 1.0 - ii.REDRAWN_SHARE
    # The stroke's flanks carry the kept ink's share only; its spine, both shares (full ink).
    flank = inked & (np.abs(thinned - kept_part) < 0.08)
    assert flank.sum() > 0.4 * inked.sum()
    assert (thinned > 0.95).sum() > 0.5 * ii.DIGIT_SIDE      # a pen line along the whole 7
    assert inked.sum() > 3 * (thinned > 0.95).sum()          # the stroke's own width is still there


def test_a_16_pixel_bitmap_is_thinned_like_a_large_picture():
    big = ink_of(ZERO, 256, 26)
    small = np.asarray(Image.fromarray(big).resize((16, 16), Image.BOX)) > 0.5
    from_small = ii.read_grey(np.where(small, 0.0, 1.0)).result.image
    from_big = ii.read_grey(paper(big)).result.image
    assert stroke_width(from_small) < 1.3 * stroke_width(from_big)
    assert (ndimage.binary_fill_holes(from_small > 0.2) & ~(from_small > 0.2)).sum() > 10  # the 0 stays open


def test_a_one_bit_bitmap_is_recognised_by_its_two_levels():
    ink = ink_of(SEVEN, 64, 6)
    assert ii.is_bilevel(np.where(ink > 0.5, 0.0, 1.0))
    assert ii.is_bilevel(np.where(ink > 0.5, 0.2, 0.9))     # any two levels (a palette bitmap)
    assert not ii.is_bilevel(paper(ink))                     # anti-aliased edges
    assert not ii.is_bilevel(np.ones((ii.WORK_SIDE + 1, 8)))  # too big to be a bitmap: reduced by averaging


def test_a_one_bit_bitmap_of_mnist_wide_strokes_is_mixed_half_and_half():
    ink = ink_of(SEVEN, 300, 40)                             # about 20 % of the digit: kept when anti-aliased
    smooth = ii.read_grey(paper(ink, depth=1.0), keep_stages=True).result.stages["thinned"]
    one_bit = ii.read_grey(np.where(ink > 0.5, 0.0, 1.0), keep_stages=True).result.stages["thinned"]
    assert np.mean((smooth > 0.2) & (smooth < 0.6)) < 0.02  # kept as it is
    inked = one_bit > 0.05
    flank = inked & (np.abs(one_bit - (1.0 - ii.BILEVEL_REDRAWN_SHARE)) < 0.08)
    assert flank.sum() > 0.4 * inked.sum()                   # the kept ink at half weight...
    assert (one_bit > 0.95).sum() > 0.5 * ii.DIGIT_SIDE      # ...plus a pen line along the 7


def test_a_shadow_over_half_the_picture_does_not_turn_it_round():
    ink = ink_of(SEVEN, 300, 6)
    cols = np.arange(300, dtype=np.float32)[None, :]
    light = np.where(cols < 150, 0.45, 0.95) * np.ones((300, 1), np.float32)  # a hand's shadow over the left half
    picture, darkness = ii.orient(ii.work_picture(paper(ink, ndimage.gaussian_filter(light, 8), depth=0.7)))
    assert float(np.median(picture)) < 0.6                   # the picture as it is: mostly shadowed paper
    assert darkness[ink > 0.5].mean() > 0.5                   # the 7 is the dark ink
    assert darkness[ink == 0].mean() < 0.1


def test_the_stages_are_kept_in_order():
    reading = ii.read_grey(paper(ink_of(SEVEN)), keep_stages=True)
    assert list(reading.result.stages)[:4] == ["picture", "levelled", "ink", "thinned"]
    assert "centred" in reading.result.stages
    assert reading.result.image.shape == (28, 28)


def test_light_ink_on_dark_reads_like_dark_on_light():
    ink = ink_of(SEVEN)
    dark = ii.read_grey(paper(ink)).result.image
    light = ii.read_grey(1.0 - paper(ink)).result.image
    np.testing.assert_allclose(dark, light, atol=0.05)


def test_exif_rotation_is_followed(tmp_path):
    upright = Image.fromarray((paper(ink_of(SEVEN)) * 255).astype(np.uint8))
    reference = ii.read_picture(upright).result.image
    turned = upright.rotate(90, expand=True)                 # stored turned, EXIF says turn it back
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.png"
    turned.save(path, exif=exif)
    np.testing.assert_allclose(ii.read_picture(path).result.image, reference, atol=1e-4)


def test_a_large_photo_is_reduced_before_work(tmp_path):
    ink = ink_of(SEVEN, 400, 24)
    photo = Image.fromarray((paper(ink) * 255).astype(np.uint8)).resize((3000, 4000), Image.BILINEAR)
    path = tmp_path / "big.jpg"
    photo.convert("RGB").save(path, quality=80)
    reading = ii.read_picture(path, keep_stages=True)
    assert max(reading.result.stages["picture"].shape) <= ii.WORK_SIDE
    assert not reading.result.empty


def test_bad_files_raise_one_line_errors(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    for path, words in ((tmp_path / "bad.png", "not an image"), (tmp_path / "none.png", "no such file"),
                        (tmp_path, "folder")):
        with pytest.raises(ImageError) as info:
            ii.read_picture(path)
        assert words in str(info.value) and "\n" not in str(info.value)


# ----------------------------------------------------------------------------- any picture at all

MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "CMYK")


@st.composite
def pictures(draw):
    mode = draw(st.sampled_from(MODES))
    height = draw(st.integers(1, 40))
    width = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    kind = draw(st.sampled_from(["noise", "flat", "blob"]))
    rng = np.random.default_rng(seed)
    if kind == "noise":
        values = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    elif kind == "flat":
        values = np.full((height, width, 4), rng.integers(0, 256), np.uint8)
    else:
        values = np.full((height, width, 4), 255, np.uint8)
        values[height // 4: max(height // 4 + 1, 3 * height // 4), width // 3: width // 3 + 1 + width // 6] = 0
    image = Image.fromarray(values, "RGBA")
    if mode in ("I;16", "I", "F"):
        grey = values[..., 0]
        image = {"I;16": lambda: Image.fromarray(grey.astype(np.uint16) * 257),
                 "I": lambda: Image.fromarray(grey.astype(np.int32) * 100),
                 "F": lambda: Image.fromarray(grey.astype(np.float32) / 255.0)}[mode]()
    else:
        image = image.convert(mode)
    return image, draw(st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pictures())
def test_no_picture_crashes_the_reading(case):
    image, through_file = case
    if through_file:
        buffer = io.BytesIO()
        fmt = "TIFF" if image.mode in ("I;16", "I", "F", "CMYK") else "PNG"
        image.save(buffer, format=fmt)
        buffer.seek(0)
        image = Image.open(buffer)
    try:
        reading = ii.read_picture(image, DEFAULT_SETTINGS, keep_stages=True)
    except ImageError as exc:
        assert "\n" not in str(exc)
        return
    result = reading.result
    assert result.empty == (result.image is None)
    if not result.empty:
        assert result.image.shape == (28, 28) and result.image.dtype == np.float32
        assert np.isfinite(result.image).all() and 0 <= result.image.min() and result.image.max() <= 1
    assert reading.ink.digits >= 0


def test_degenerate_strips_and_single_pixels_read_cleanly():
    for shape in ((1, 1), (1, 700), (700, 1), (2, 3), (1200, 2)):
        for value in (0.0, 1.0):
            grey = np.full(shape, value, np.float32)
            if grey.size > 1:
                grey.flat[grey.size // 2] = 1.0 - value
            reading = ii.read_grey(grey, keep_stages=True)
            assert reading.result.empty or reading.result.image.shape == (28, 28)
