"""A picture of a digit (scan, screenshot, photo, bitmap) read the way the network reads strokes.

The network was trained on strokes drawn with a fine pen scaled to the digit
(`preprocessing.input_pen`), so a picture is brought to that before the MNIST-style pipeline
(`preprocessing.pipeline.preprocess`). Steps, each its own function (all kept as stages):

1. picture: the image's brightness (`pipeline.load_luminance`: colour, transparency, 16-bit,
   palette, EXIF rotation), reduced so its larger side is at most `WORK_SIDE`, paper made light
   (light ink on a dark ground is turned round).
2. levelled (`level_lighting`): darkness relative to the local paper brightness, which is
   estimated by a coarse maximum filter and a blur, so gradient lighting and soft shadows vanish.
3. ink (`ink_mask`, `suppress_rules`, `choose_digit`): Otsu's threshold; ruled or squared paper
   lines (thin ink crossing most of the picture) removed where no stroke crosses them; the
   largest ink and the clusters near it kept (under uneven light faint ink joins less readily, and
   only close to clear ink),
   specks and JPEG noise dropped; further digit-sized
   clusters beside it counted, so a picture of several digits says so.
4. thinned (`thin_and_redraw`): the chosen ink resampled to `DIGIT_SIDE` pixels, skeletonised
   (`preprocessing.skeleton`, Zhang-Suen, own code), short spurs pruned, and redrawn with the input pen: a
   bold marker digit and a fine pen digit give the same input. Strokes already as wide as MNIST's
   (relative to the digit), which the network was also trained on, are kept as they are; the
   narrower of those (BLEND_UP_TO) are mixed with their redrawn skeleton.
5. the pipeline's own stages (cropped ... centred) on that redrawn raster.

Only NumPy, SciPy and Pillow; no Tk. Memory is bounded by the work side, whatever the picture.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

from preprocessing.pipeline import (DEFAULT_SETTINGS, ImageError, PipelineResult, PipelineSettings,
                                    load_luminance, preprocess)
from preprocessing.skeleton import extend_ends, prune_spurs, skeletonise

__all__ = ["DIGIT_SIDE", "WORK_SIDE", "ImageError", "PictureInk", "choose_digit", "ink_mask", "level_lighting", "lighting_spread",
           "is_bilevel", "otsu_threshold", "picture_ink", "read_picture", "skeletonise", "suppress_rules", "thin_and_redraw",
           "work_picture"]

#: The picture is reduced (area average) so its larger side is at most this many pixels: a digit
#: needs far fewer, and it bounds time and memory for a 12-megapixel photo.
WORK_SIDE = 512
#: The chosen ink is resampled so its larger side is this many pixels before thinning: enough
#: that a 16x16 bitmap's strokes come out smooth and the redrawn pen is a few pixels wide.
DIGIT_SIDE = 128
#: `orient`: the other way round wins when its ink looks more like ink on paper by this margin:
#: ink score (`_ink_score`) plus ORIENT_WIDTH_WEIGHT times the log of how many times thinner its
#: strokes are (`stroke_half_width`). Chosen on the benchmark's tune split, where the two
#: together misjudge 3 of 1,873 photos and either alone about 30.
ORIENT_MARGIN = 0.17
ORIENT_WIDTH_WEIGHT = 0.3
#: Pictures smaller than this (larger side, pixels) are taken as evenly lit (bitmaps, MNIST crops):
#: a local paper estimate would need a window wider than their strokes.
MIN_LEVELLING_SIDE = 64
#: The paper brightness is a grey closing over windows of this fraction of the larger side ...
PAPER_WINDOW = 0.3
#: ... estimated on a grid of block means at most this many blocks on a side.
COARSE_SIDE = 150
#: Darkness below this (relative to the paper) anywhere in the picture: no ink at all.
MIN_CONTRAST = 0.12
#: The ink threshold is at least this fraction of the darkest ink (99.9th percentile).
THRESHOLD_OF_PEAK = 0.45
#: Fainter ink, down to this fraction of the threshold, joins where it touches ink above it.
WEAK_OF_THRESHOLD = 0.6
#: ... but down to only this fraction in an unevenly lit picture (`lighting_spread` above
#: UNEVEN_SPREAD, over a SPREAD_GRID x SPREAD_GRID grid). Chosen on the benchmark's tune split.
WEAK_UNEVEN_OF_THRESHOLD = 0.75
UNEVEN_SPREAD = 0.1
#: ... and only within this fraction of the picture's larger side of clear ink (above the
#: threshold): a stroke's faint rim and ends are that close, a shadow's edge or a rule running
#: off the page is not. Chosen on the benchmark's tune split (pen photos 98.2 -> 98.7 %; 0.02: 98.6 %).
FAINT_REACH = 0.01
SPREAD_GRID = 4
#: Ink clusters smaller than this fraction of the largest are specks.
SPECK_FRACTION = 0.03
#: A cluster belongs to the digit when the gap to it is at most this fraction of the digit's size.
NEAR_FRACTION = 0.35
#: In a picture, pieces fainter than this fraction of the darkest piece's ink are not ink.
PIECE_CONTRAST = 0.6
GAP_FRACTION = 0.12
#: Another cluster counts as a further digit when it has at least this fraction of the chosen
#: digit's ink and this fraction of its height.
DIGIT_INK_FRACTION = 0.2
DIGIT_HEIGHT_FRACTION = 0.45
#: A paper rule is thin ink spanning at least this fraction of the picture's width (or height).
RULE_SPAN = 0.6
#: ... at most this fraction of the picture thick (pen strokes are bolder) ...
RULE_THICKNESS = 0.01
#: ... and tilted by at most this slope (a photo taken a little askew).
RULE_TILT = 0.15
#: Gaps along a rule up to this fraction of the width are bridged (strokes crossing it).
RULE_GAP = 0.1
#: Holes in the ink smaller than this fraction of DIGIT_SIDE squared are pinholes, filled; a
#: digit's own loops, even a thick 9's, are larger.
PINHOLE_FRACTION = 0.0005

REDRAW_PEN = None
#: Strokes this wide (fractions of the digit's size) are read as they are: MNIST's own widths,
#: which the network was trained on (an MNIST digit: about 2.5 px in 20, up to 5 in bold ones). Thinner (a fine pen in
#: a big photo, which the reduction would make faint) or thicker (a bold marker, loops filling)
#: strokes are redrawn with the input pen. Chosen on the benchmark's tune split.
KEEP_WIDTHS: tuple[float, float] | None = (0.07, 0.28)
#: Kept strokes up to this wide are blended half and half with their redrawn skeleton
#: (thin_and_redraw). Chosen on the benchmark's tune split.
BLEND_UP_TO: float | None = 0.15
#: ... with this share of the redrawn skeleton.
REDRAWN_SHARE = 0.65
#: A one-bit bitmap (two grey levels: a scan, a 16x16 or 32x32 dataset digit) has no soft edge
#: to tell a marker's stroke from MNIST's, and its pixels thicken every stroke: all its kept
#: strokes are blended, half and half. Chosen on the benchmark's tune split (pen 16x16 / 32x32
#: bitmaps 98.6 / 98.6 -> 98.9 / 99.2 %, binarised MNIST 98.4 -> 98.6 %).
BILEVEL_REDRAWN_SHARE = 0.5
#: thin_and_redraw's absolute threshold, as a fraction of the ink threshold.
SHAPE_OF_THRESHOLD = 0.6
#: The ridge threshold of thin_and_redraw: a fraction of the darkest ink within RIDGE_WINDOW pixels.
RIDGE_OF_LOCAL_PEAK = 0.6
RIDGE_WINDOW = 15
#: Side branches up to this many stroke widths long are outline bumps, pruned.
SPUR_OF_STROKE = 0.5

NOTE_SEVERAL = "several digits"


@dataclass
class PictureInk:
    """What the picture steps found.

    raster: (h, w) float32 in [0, 1], ink = 1: the digit thinned and redrawn with the input pen
    (the chosen ink as it is when the settings have no input pen), or None when there is no ink.
    digits: how many separate digit-sized clusters the picture holds (0 when none).
    note: 'several digits' when it holds more than one (the largest is read), else None.
    stages: picture, levelled, ink, thinned -> (h, w) float32 arrays, ink = 1 (with keep_stages).
    """

    raster: np.ndarray | None
    digits: int = 0
    note: str | None = None
    stages: dict[str, np.ndarray] = field(default_factory=dict)


# ----------------------------------------------------------------------------- 1. the picture

def reduce_picture(grey: np.ndarray) -> np.ndarray:
    """Brightness (H, W) -> float32 (h, w), reduced by an integer area average so that its larger
    side is at most WORK_SIDE (what an app keeps of a big photo)."""
    grey = np.nan_to_num(np.asarray(grey, np.float32), nan=1.0)
    factor = int(math.ceil(max(grey.shape) / WORK_SIDE))
    if factor > 1:
        # A strip thinner than the factor is padded with its own edge, so one row or column is left.
        grey = np.pad(grey, ((0, (-grey.shape[0]) % factor), (0, (-grey.shape[1]) % factor)), mode="edge")
        h, w = grey.shape
        grey = grey.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3), dtype=np.float32)
    return np.clip(grey, 0.0, 1.0).astype(np.float32)


def work_picture(grey: np.ndarray) -> np.ndarray:
    """Brightness (H, W) in [0, 1] -> (h, w) float32 with light paper, larger side <= WORK_SIDE.

    Reduced by `reduce_picture`; the paper is judged by the border's median brightness (the whole
    picture's when the border is ambiguous), as `pipeline.raster_from_image` does.
    """
    grey = reduce_picture(grey)
    h, w = grey.shape
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]) if h >= 3 and w >= 3 else grey.ravel()
    paper = float(np.median(border))
    if abs(paper - 0.5) < 0.1:
        paper = float(np.median(grey))
    picture = grey if paper >= 0.5 else 1.0 - grey
    return np.clip(picture, 0.0, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------- 2. lighting

def level_lighting(picture: np.ndarray) -> np.ndarray:
    """Light-paper brightness (h, w) -> darkness relative to the local paper, (h, w) float32 in [0, 1].

    The paper's brightness is a grey closing of the picture (a maximum then a minimum over windows
    of PAPER_WINDOW of the larger side), taken on a coarse grid of block means for speed: strokes
    narrower than the window vanish from it, while the edge of a shadow, wider than any window,
    stays where it is. Dividing by it undoes gradient lighting and shadows, which scale the light
    reaching the page. Small pictures are taken as evenly lit: their paper is one level.
    """
    h, w = picture.shape
    if max(h, w) < MIN_LEVELLING_SIDE:
        paper = np.full_like(picture, max(float(np.percentile(picture, 90)), 1e-3))
    else:
        step = max(1, int(math.ceil(max(h, w) / COARSE_SIDE)))
        hc, wc = -(-h // step), -(-w // step)
        padded = np.pad(picture, ((0, hc * step - h), (0, wc * step - w)), mode="edge")
        coarse = padded.reshape(hc, step, wc, step).mean(axis=(1, 3))
        size = max(3, int(round(PAPER_WINDOW * max(hc, wc))))
        coarse = ndimage.grey_closing(coarse, size=(size, size), mode="nearest")
        coarse = ndimage.gaussian_filter(coarse, sigma=1.0, mode="nearest")
        paper = ndimage.zoom(coarse, (h / hc, w / wc), order=1, mode="nearest", grid_mode=True)[:h, :w]
        paper = np.maximum(paper, picture)  # a pixel is never brighter than its paper
    with np.errstate(divide="ignore", invalid="ignore"):
        darkness = 1.0 - picture / np.maximum(paper, 1e-3)
    return np.clip(np.nan_to_num(darkness), 0.0, 1.0).astype(np.float32)


def stroke_half_width(darkness: np.ndarray) -> float:
    """How wide the ink of `darkness` (h, w) is: the mean distance from an ink pixel to the paper
    (pixels; about a quarter of a stroke's width), ink above `ink_threshold` (from the peak
    `_ink_score` uses, as `orient` weighs the two together). inf when there is no ink. Read the
    wrong way round, a picture's "ink" is its paper: wide areas."""
    threshold = ink_threshold(darkness, peak_percentile=99.5)
    mask = darkness > (math.inf if threshold is None else threshold)
    if not mask.any():
        return math.inf
    return float(ndimage.distance_transform_cdt(mask, metric="chessboard")[mask].mean())


def _ink_score(darkness: np.ndarray) -> float:
    """How much `darkness` looks like ink on paper: dark ink (its peak) covering little of it."""
    peak = float(np.percentile(darkness, 99.5))
    if peak <= 0:
        return 0.0
    return peak * (1.0 - float(np.mean(darkness > 0.5 * peak)))


def orient(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(picture, its levelled darkness) the right way round: light paper, dark ink.

    The border's brightness (`work_picture`) is wrong when a shadow darkens much of a photo's
    edge, so the other way round is levelled too and wins when it looks clearly more like ink on
    paper: darker ink covering less of the picture, in narrower strokes (read the wrong way
    round, the "ink" is paper: faint, or wide areas).
    """
    darkness = level_lighting(picture)
    flipped = 1.0 - picture
    other = level_lighting(flipped)
    # Turned round, a dark picture's grain would pass for ink on (very dim) paper.
    if float(np.median(flipped)) < 0.3:
        return picture, darkness
    with np.errstate(divide="ignore", invalid="ignore"):  # no ink one way: inf, both ways: nan
        thinner = float(np.log(np.float64(stroke_half_width(darkness)) / stroke_half_width(other)))
    evidence = _ink_score(other) - _ink_score(darkness) + ORIENT_WIDTH_WEIGHT * thinner
    if evidence > ORIENT_MARGIN:  # False when neither way has ink (nan)
        return flipped.astype(np.float32), other
    return picture, darkness


# ----------------------------------------------------------------------------- 3. the ink

def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of values in [0, 1]: the level that best splits them into two classes."""
    histogram, edges = np.histogram(np.clip(values, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    weights = histogram.astype(np.float64)
    centres = 0.5 * (edges[:-1] + edges[1:])
    below = np.cumsum(weights)
    total = below[-1]
    if total <= 0:
        return 0.5
    mass = np.cumsum(weights * centres)
    above = total - below
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * below - mass * total) ** 2 / (below * above)
    between[~np.isfinite(between)] = -1.0
    return float(edges[int(np.argmax(between)) + 1])


def lighting_spread(picture: np.ndarray) -> float:
    """How unevenly a light-paper picture (h, w) is lit, in [0, 1]: 1 - the dimmest over the
    brightest of the paper levels (brightest pixel) of a SPREAD_GRID x SPREAD_GRID grid of blocks.
    0 for a scan or a crop on an even ground; a gradient or a shadow across a photo gives more."""
    h, w = picture.shape
    if min(h, w) < SPREAD_GRID:
        return 0.0
    rows = np.linspace(0, h, SPREAD_GRID + 1).astype(int)
    cols = np.linspace(0, w, SPREAD_GRID + 1).astype(int)
    levels = [float(picture[rows[i]:rows[i + 1], cols[j]:cols[j + 1]].max())
              for i in range(SPREAD_GRID) for j in range(SPREAD_GRID)]
    return float(1.0 - min(levels) / max(max(levels), 1e-3))


def ink_threshold(darkness: np.ndarray, peak_percentile: float = 99.9) -> float | None:
    """The ink threshold of `darkness` (h, w): Otsu's, but never below THRESHOLD_OF_PEAK of the
    darkest ink (its `peak_percentile`); None when the picture has no contrast (MIN_CONTRAST)."""
    peak = float(np.percentile(darkness, peak_percentile)) if darkness.size > 1000 else float(darkness.max())
    if peak < MIN_CONTRAST:
        return None
    return max(otsu_threshold(darkness), THRESHOLD_OF_PEAK * peak)


def ink_mask(darkness: np.ndarray, weak: float | None = None) -> tuple[np.ndarray, float]:
    """(mask (h, w) bool of the ink that may belong to a digit, threshold); all False when the
    picture has no contrast.

    The threshold is Otsu's, but never below THRESHOLD_OF_PEAK of the darkest ink: in a picture
    that is nearly all paper, Otsu would split the paper's grain and faint rules from the rest.
    The mask goes down to WEAK_OF_THRESHOLD of it (paper rules taken out), so faint parts of a
    stroke are kept; `choose_digit` then keeps only clusters holding ink above the threshold.
    """
    threshold = ink_threshold(darkness)
    if threshold is None:
        return np.zeros(darkness.shape, bool), 1.0
    weak = WEAK_OF_THRESHOLD if weak is None else weak
    return suppress_rules(darkness > weak * threshold), threshold


def run_lengths(mask: np.ndarray, axis: int) -> np.ndarray:
    """(h, w) int32: for each True pixel, the length of its run of True pixels along `axis`."""
    m = np.moveaxis(np.asarray(mask, bool), axis, -1)
    rows, cols = m.shape
    padded = np.zeros((rows, cols + 2), np.int8)
    padded[:, 1:-1] = m
    change = np.diff(padded, axis=1)
    starts = np.flatnonzero(change.ravel() == 1)
    ends = np.flatnonzero(change.ravel() == -1)
    out = np.zeros(rows * (cols + 1), np.int32)
    lengths = ends - starts
    # Mark each run by its length at its start and cancel at its end; a cumulative sum fills it.
    np.add.at(out, starts, lengths)
    np.add.at(out, ends, -lengths)
    filled = np.cumsum(out).reshape(rows, cols + 1)[:, :cols]
    return np.moveaxis(np.where(m, filled, 0).astype(np.int32), -1, axis)


def suppress_rules(mask: np.ndarray) -> np.ndarray:
    """The mask without ruled or squared paper lines: thin ink that runs across the picture.

    Ink at most RULE_THICKNESS of the picture thick across (a short vertical run) is gathered,
    bridged over small gaps along the line, and grouped; a group spanning at least RULE_SPAN of
    the width, and no taller than a slight tilt makes it, is a rule. Its thin pixels go; where a
    stroke crosses it the run across is long, so a digit written on the line keeps its strokes.
    Then the same for vertical lines.
    """
    h, w = mask.shape
    if min(h, w) < 48 or not mask.any():
        return mask
    result = mask.copy()
    for view in (result, result.T):  # views: clearing them clears `result`
        rows, cols = view.shape
        across = run_lengths(view, 0)
        thin = view & (across <= max(3, RULE_THICKNESS * rows))
        if not thin.any():
            continue
        # Bridged along the line over gaps up to RULE_GAP of the width: a stroke crossing a rule
        # (thick across, so not in `thin`) must not cut it into pieces too short to count.
        reach = max(9, int(RULE_GAP * cols) | 1)
        bridged = ndimage.maximum_filter1d(thin.view(np.uint8), size=reach, axis=1).astype(bool)
        labels, count = ndimage.label(bridged, structure=np.ones((3, 3), bool))
        rules = np.zeros(count + 1, bool)
        for index, box in enumerate(ndimage.find_objects(labels), start=1):
            span = box[1].stop - box[1].start
            tall = box[0].stop - box[0].start
            rules[index] = span >= RULE_SPAN * cols and tall <= RULE_TILT * span + 6
        view &= ~(thin & rules[labels])
    return result


@dataclass
class DigitChoice:
    """mask: (h, w) bool, the chosen digit's ink; box: its (row0, col0, row1, col1); digits: count."""

    mask: np.ndarray
    box: tuple[int, int, int, int] | None
    digits: int


def choose_digit(mask: np.ndarray, strong: np.ndarray | None = None,
                 darkness: np.ndarray | None = None) -> DigitChoice:
    """Keep the largest ink cluster and what lies near it; count the other digit-sized clusters.

    Connected pieces (8-neighbour) smaller than SPECK_FRACTION of the largest are specks. With H
    the height of the tallest piece (most of a digit's height), pieces overlapping in columns less
    than NEAR_FRACTION * H apart, or closer than GAP_FRACTION * H in any direction, are one cluster
    (a 5's detached bar, a broken stroke); clusters side by side are separate digits. With
    `strong` (h, w) bool, a cluster must hold some of it (hysteresis: faint ink only joins sure
    ink). In a picture (not a small bitmap) pieces touching its edge, other than the largest, are
    the paper's edge or the table, not ink; with `darkness` (h, w), so are pieces much fainter
    than the darkest (90th percentiles below PIECE_CONTRAST of its: a shadow's edge, a smudge).
    """
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count == 0:
        return DigitChoice(np.zeros_like(mask), None, 0)
    sizes = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)
    keep = [i for i in range(count) if sizes[i] >= max(min(2, sizes.max()), SPECK_FRACTION * sizes.max())]
    h, w = mask.shape
    if min(h, w) >= MIN_LEVELLING_SIDE:
        largest = int(np.argmax(sizes))
        keep = [i for i in keep if i == largest or not (boxes[i][0].start == 0 or boxes[i][1].start == 0
                                                        or boxes[i][0].stop == h or boxes[i][1].stop == w)]
        if darkness is not None:
            def level(i: int) -> float:
                return float(np.percentile(darkness[boxes[i]][labels[boxes[i]] == i + 1], 90))
            levels = {i: level(i) for i in keep}
            darkest = max(levels.values())
            keep = [i for i in keep if levels[i] >= PIECE_CONTRAST * darkest]
    box = {i: (boxes[i][0].start, boxes[i][1].start, boxes[i][0].stop, boxes[i][1].stop) for i in keep}
    tallest = max(b[2] - b[0] for b in box.values())
    parent = {i: i for i in keep}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a_index, a in enumerate(keep):
        for b in keep[a_index + 1:]:
            (ar0, ac0, ar1, ac1), (br0, bc0, br1, bc1) = box[a], box[b]
            gap_r = max(br0 - ar1, ar0 - br1, 0)
            gap_c = max(bc0 - ac1, ac0 - bc1, 0)
            overlap_c = min(ac1, bc1) - max(ac0, bc0)
            smaller = min(ac1 - ac0, bc1 - bc0)
            if (overlap_c > 0.3 * smaller and gap_r <= NEAR_FRACTION * tallest) \
                    or max(gap_r, gap_c) <= GAP_FRACTION * tallest:
                parent[root(a)] = root(b)
    clusters: dict[int, dict] = {}
    for i in keep:
        cluster = clusters.setdefault(root(i), {"members": [], "ink": 0, "box": box[i]})
        b = cluster["box"]
        cluster["members"].append(i + 1)
        cluster["ink"] += int(sizes[i])
        cluster["strong"] = cluster.get("strong", False) or strong is None or bool(strong[boxes[i]][labels[boxes[i]] == i + 1].any())
        cluster["box"] = (min(b[0], box[i][0]), min(b[1], box[i][1]), max(b[2], box[i][2]), max(b[3], box[i][3]))
    clusters = {k: c for k, c in clusters.items() if c["strong"]}
    if not clusters:
        return DigitChoice(np.zeros_like(mask), None, 0)
    chosen = max(clusters.values(), key=lambda c: c["ink"])
    height = chosen["box"][2] - chosen["box"][0]
    digits = sum(1 for c in clusters.values() if c["ink"] >= DIGIT_INK_FRACTION * chosen["ink"]
                 and c["box"][2] - c["box"][0] >= DIGIT_HEIGHT_FRACTION * height)
    return DigitChoice(np.isin(labels, chosen["members"]), chosen["box"], digits)


# ----------------------------------------------------------------------------- 4. thinning
def thin_and_redraw(ink: np.ndarray, threshold: float, settings: PipelineSettings = DEFAULT_SETTINGS,
                    bilevel: bool = False) -> np.ndarray | None:
    """The chosen ink (h, w) float in [0, 1] -> its skeleton redrawn with the input pen, (n, m) float32.

    The ink is resampled so that its larger side is DIGIT_SIDE (bilinear, smoothed in proportion
    when enlarged so a small bitmap's staircase edges round off), thresholded at `threshold`,
    skeletonised and pruned, and drawn again with a round pen `settings.input_pen` pixels wide in
    the pipeline's `box`-pixel ink box. Strokes of MNIST's own widths (KEEP_WIDTHS) are returned
    as they are, cleaned; up to BLEND_UP_TO of the digit, mixed with the redrawn skeleton
    (REDRAWN_SHARE of it); from a one-bit bitmap (`bilevel`), every kept width is blended
    (BILEVEL_REDRAWN_SHARE). None when nothing is left.
    """
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        return None
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = DIGIT_SIDE / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    margin = 4
    big = np.asarray(Image.fromarray(np.ascontiguousarray(crop, np.float32), "F").resize(size, Image.BILINEAR))
    big = np.pad(big, margin)
    if scale > 1:
        big = ndimage.gaussian_filter(big, sigma=min(0.35 * scale, 4.0))
    # A ridge threshold: ink must also reach RIDGE_OF_LOCAL_PEAK of the darkest ink around it, so
    # a blurred loop opens again, while a faint thin stroke, its own local peak, stays whole.
    local_peak = ndimage.maximum_filter(big, size=RIDGE_WINDOW)
    shape = (big > threshold) & (big > RIDGE_OF_LOCAL_PEAK * local_peak)
    if not shape.any():
        shape = big >= big.max() * 0.5
    # Pinholes in a bold stroke (JPEG, noise) would become little loops in the skeleton.
    holes = ndimage.binary_fill_holes(shape) & ~shape
    if holes.any():
        labels, count = ndimage.label(holes)
        small = np.flatnonzero(np.bincount(labels.ravel())[1:] < PINHOLE_FRACTION * DIGIT_SIDE ** 2) + 1
        shape |= np.isin(labels, small)
    distance = ndimage.distance_transform_edt(shape)
    skeleton = skeletonise(shape)
    if not skeleton.any():
        skeleton = distance == distance.max()
    stroke = 2.0 * float(np.median(distance[skeleton]))
    skeleton = prune_spurs(skeleton, int(round(SPUR_OF_STROKE * stroke)))
    skeleton = extend_ends(skeleton, distance)
    if settings.input_pen <= 0:
        return np.clip(big, 0.0, 1.0).astype(np.float32)
    r_idx = np.flatnonzero(skeleton.any(axis=1))
    c_idx = np.flatnonzero(skeleton.any(axis=0))
    extent = max(r_idx[-1] - r_idx[0], c_idx[-1] - c_idx[0]) + 1.0
    width = stroke / extent
    keep = KEEP_WIDTHS is not None and KEEP_WIDTHS[0] <= width <= KEEP_WIDTHS[1]
    blend = keep and (bilevel or (BLEND_UP_TO is not None and width <= BLEND_UP_TO))
    # The cleaned ink with its soft edges, nothing else (specks and other digits are gone).
    cleaned = np.clip(np.where(ndimage.binary_dilation(shape, iterations=2), big, 0.0), 0.0, 1.0)
    if keep and not blend:
        return cleaned.astype(np.float32)
    pen = settings.input_pen if REDRAW_PEN is None else REDRAW_PEN
    radius = max(0.5 * pen * extent / (settings.box - pen), 0.5)
    reach = ndimage.distance_transform_edt(~skeleton)
    # The coverage of a round pen, anti-aliased over one pixel like preprocessing.raster draws it.
    redrawn = np.clip(radius + 0.5 - reach, 0.0, 1.0)
    if blend:
        # Half the ink as it is, half redrawn with the pen: bold-ish strokes could be an MNIST
        # digit's (read best as they are) or a marker drawing of a pen digit (read best redrawn);
        # the network reads the mixture of the two better than either on the other's pictures.
        share = BILEVEL_REDRAWN_SHARE if bilevel else REDRAWN_SHARE
        return ((1.0 - share) * cleaned + share * redrawn).astype(np.float32)
    return redrawn.astype(np.float32)


# ----------------------------------------------------------------------------- together

def is_bilevel(grey: np.ndarray) -> bool:
    """Whether brightness (H, W) holds at most two levels (a one-bit bitmap). A picture larger
    than WORK_SIDE is not checked (False): it is reduced by averaging, and photos never are."""
    if max(grey.shape) > WORK_SIDE or grey.size == 0:
        return False
    darkest, lightest = grey.min(), grey.max()
    return bool(np.all((grey == darkest) | (grey == lightest)))


def picture_ink(grey: np.ndarray, settings: PipelineSettings = DEFAULT_SETTINGS,
                keep_stages: bool = False) -> PictureInk:
    """Brightness (H, W) in [0, 1] (1 = white) -> the digit redrawn for the network (PictureInk)."""
    picture, darkness = orient(work_picture(grey))
    stages: dict[str, np.ndarray] = {}
    if keep_stages:
        stages["picture"] = 1.0 - picture
    if keep_stages:
        stages["levelled"] = darkness
    # Under uneven light the levelling leaves faint edges (a shadow's, the paper's rules) that
    # would join the digit as faint ink; there only clearer ink joins.
    uneven = lighting_spread(picture) > UNEVEN_SPREAD
    mask, threshold = ink_mask(darkness, WEAK_UNEVEN_OF_THRESHOLD if uneven else WEAK_OF_THRESHOLD)
    clear = darkness > threshold
    if uneven and clear.any():
        mask &= ndimage.distance_transform_edt(~clear) <= FAINT_REACH * max(mask.shape)
    choice = choose_digit(mask, clear, darkness)
    if choice.box is None:
        return PictureInk(None, 0, None, stages)
    # The chosen pieces with their anti-aliased rims; everything else is paper.
    keep = ndimage.binary_dilation(choice.mask, iterations=1)
    chosen = np.where(keep, darkness, 0.0).astype(np.float32)
    if keep_stages:
        stages["ink"] = chosen
    raster = thin_and_redraw(chosen, SHAPE_OF_THRESHOLD * threshold, settings, is_bilevel(grey))
    if raster is not None and keep_stages:
        stages["thinned"] = raster
    note = NOTE_SEVERAL if choice.digits > 1 else None
    return PictureInk(raster, choice.digits, note, stages)


@dataclass
class PictureReading:
    """result: the pipeline's result for the picture (its stages after the picture's own);
    ink: what the picture steps found (digits, note)."""

    result: PipelineResult
    ink: PictureInk


def read_picture(source, settings: PipelineSettings = DEFAULT_SETTINGS, keep_stages: bool = False, *,
                 name: str | None = None) -> PictureReading:
    """An image file or PIL image -> the network input, through every step. ImageError (one line,
    naming the file) for what cannot be read."""
    grey = load_luminance(source, name=name, draft_side=WORK_SIDE)
    return read_grey(grey, settings, keep_stages)


def read_grey(grey: np.ndarray, settings: PipelineSettings = DEFAULT_SETTINGS,
              keep_stages: bool = False) -> PictureReading:
    """Brightness (H, W) in [0, 1] -> PictureReading (see read_picture)."""
    ink = picture_ink(grey, settings, keep_stages)
    if ink.raster is None:
        return PictureReading(PipelineResult(image=None, empty=True, stages=dict(ink.stages)), ink)
    result = preprocess(ink.raster, settings, keep_stages=keep_stages)
    if keep_stages:
        result.stages = {**ink.stages, **{k: v for k, v in result.stages.items() if k != "raw"}}
    return PictureReading(result, ink)
