"""Training images from drawn digits seen as pictures: each drawing drawn with a marker, reduced to a
small bitmap, and read back through the app's picture steps (`preprocessing.image_input`).

A drawing rendered as strokes teaches the network a fine pen's digit; a scanned or low-resolution
bitmap of a bold marker digit loses detail (a loop filled in, a serif merged into the stem) before
the picture steps thin and redraw it. Training also on what those steps make of such bitmaps
teaches the network how a digit looks after that loss.

Each variant draws its own marker width, crop margins, bitmap size and aspect, resampling filter,
and either a one-bit threshold or anti-aliased grey, so that no one scanner or benchmark is copied.
Every (drawing, variant) has its own seed: the output does not depend on how the work is split
between processes.

    render_picture_samples(drawings, variants=2, seed=0) -> DrawnSamples (brush: the marker width,
                                                                          height: the digit's height)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

from preprocessing import render_cache
from preprocessing.drawing import Drawing
from preprocessing.drawn_samples import SAMPLE_ARRAYS, DrawnSamples, place, render_in_processes
from preprocessing.image_input import read_grey
from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings
from preprocessing.raster import render_drawing

#: The canvas the marker draws on before the picture is reduced.
MARKER_CANVAS_PX = 160
#: Digit height as a fraction of the marker's canvas.
HEIGHT_RANGE = (0.6, 0.85)
#: Marker width as a fraction of the canvas.
MARKER_RANGE = (0.04, 0.13)
#: The reduced bitmap's larger side, in pixels.
BITMAP_SIDE_RANGE = (12, 44)
#: Paper left around the ink on each side, as a fraction of the ink's larger side.
MARGIN_RANGE = (0.0, 0.25)
#: Share of pictures made one-bit (the rest keep the resampled grey, like an anti-aliased scan).
ONE_BIT_SHARE = 0.75
#: Where a one-bit picture's threshold falls on the resampled ink (0 = paper, 1 = full ink).
ONE_BIT_THRESHOLD_RANGE = (0.35, 0.65)
_FILTERS = (Image.BOX, Image.BILINEAR, Image.LANCZOS)


def marker_bitmap(drawing: Drawing, marker: float, height: float, rng: np.random.Generator) -> np.ndarray:
    """The drawing `height` tall on the canvas, drawn with a marker `marker` wide (both fractions
    of the canvas), reduced to a small random bitmap (margins, size, filter, one-bit or grey from
    `rng`) -> brightness (h, w) float32 in [0, 1] (1 = paper); empty when it leaves no ink."""
    placed = place(drawing, height, (0.5, 0.5))
    ink = render_drawing(Drawing(strokes=placed.strokes), MARKER_CANVAS_PX, marker * MARKER_CANVAS_PX)
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    cols = np.flatnonzero(ink.max(axis=0) > 0.5)
    if rows.size == 0:
        return np.zeros((0, 0), np.float32)
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    top, bottom, left, right = (int(rng.uniform(*MARGIN_RANGE) * extent) for _ in range(4))
    padded = np.pad(ink, extent)
    crop = padded[rows[0] + extent - top: rows[-1] + extent + 1 + bottom,
                  cols[0] + extent - left: cols[-1] + extent + 1 + right]
    side = int(rng.integers(BITMAP_SIDE_RANGE[0], BITMAP_SIDE_RANGE[1] + 1))
    scale = side / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize(size, _FILTERS[rng.integers(3)]))
    small = np.clip(small, 0.0, 1.0)
    if rng.random() < ONE_BIT_SHARE:
        small = (small > rng.uniform(*ONE_BIT_THRESHOLD_RANGE)).astype(np.float32)
    return (1.0 - small).astype(np.float32)


def _render_chunk(args) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    drawings, first_index, variants, seed, settings = args
    kept, images, markers, heights = [], [], [], []
    for offset, drawing in enumerate(drawings):
        for variant in range(variants):
            rng = np.random.default_rng([int(seed), first_index + offset, int(variant), 14])
            marker = float(rng.uniform(*MARKER_RANGE))
            height = float(rng.uniform(*HEIGHT_RANGE))
            bitmap = marker_bitmap(drawing, marker, height, rng)
            if bitmap.size == 0:
                continue
            result = read_grey(bitmap, settings).result
            if result.empty:
                continue
            kept.append(offset)
            images.append(result.image)
            markers.append(marker)
            heights.append(height)
    stack = np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32)
    return kept, stack, np.array(markers, np.float32), np.array(heights, np.float32)


def render_picture_samples(drawings: Sequence[Drawing], variants: int = 2, seed: int = 0, *,
                           settings: PipelineSettings = DEFAULT_SETTINGS, workers: int | None = None,
                           chunk: int = 250) -> DrawnSamples:
    """`variants` marker bitmaps of every labelled drawing, read through the picture steps ->
    DrawnSamples (images (n, 28, 28) float32). workers: processes (None = all CPUs, 1 = here)."""
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    labelled = [d for d in drawings if d.label is not None and not d.is_empty]
    jobs = [(labelled[i:i + chunk], i, variants, seed, settings) for i in range(0, len(labelled), chunk)]
    results = render_in_processes(_render_chunk, jobs, workers)
    return DrawnSamples.from_chunks(jobs, results)


#: Bump when these pictures change in a way the cache key does not capture.
_CACHE_VERSION = 1
#: The modules whose code decides a picture sample.
PICTURE_MODULES = ("raster.py", "pipeline.py", "drawn_samples.py", "image_input.py", "skeleton.py",
                   "picture_samples.py")


def render_picture_file_cached(drawings: Sequence[Drawing], file_sha256: str, cache_dir, variants: int = 2,
                               seed: int = 0, *, settings: PipelineSettings = DEFAULT_SETTINGS,
                               workers: int | None = None) -> tuple[DrawnSamples, bool]:
    """render_picture_samples for a whole drawing file, kept in `cache_dir` (None = no cache) under a
    key of the file's SHA-256, the settings and the code that makes them -> (samples, from_cache)."""
    def render() -> dict:
        samples = render_picture_samples(drawings, variants, seed, settings=settings, workers=workers)
        return {name: getattr(samples, name) for name in SAMPLE_ARRAYS}

    key = render_cache.cache_key([_CACHE_VERSION, render_cache.fingerprint(PICTURE_MODULES), file_sha256, variants,
                                  seed, settings.to_dict()])
    arrays, from_cache = render_cache.cached(cache_dir, "pictures", key, SAMPLE_ARRAYS, render)
    return DrawnSamples(**arrays), from_cache
