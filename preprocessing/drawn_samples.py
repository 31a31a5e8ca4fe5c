"""Training images from drawn digits: Drawings rendered through the app's own raster and pipeline.

Each drawing is re-placed at a random size (digit height a random fraction of the canvas, by
default the 35-85 % that people use), a random position on the canvas and a random brush width
(over the app's brush range: a third of the draws log-uniform, the rest uniform), drawn with
`preprocessing.raster.StrokeRaster` (the same segment code as live drawing) and turned into the
network's 28x28 input by `preprocessing.pipeline.preprocess`, so the network trains on exactly
what the app will feed it.
With the settings' `input_pen` (the default) the network reads the strokes drawn with the
digit-scaled pen of `preprocessing.input_pen`, as in the app, and the brush only widens eraser
strokes that have no recorded width.

The canvas is rendered at `canvas_px` pixels (224 by default, half the app's 448): the pipeline
scales the ink box to 20 px anyway, and the result differs from a 448 px render by about 0.002 per
pixel on average (benchmark: `python -m preprocessing.drawn_samples FILE.jsonl --compare`), at
roughly half the cost. Every (drawing, variant) has its own seed, so the output does not depend
on how the work is split between processes.

    render_samples(drawings, variants=2, seed=0) -> DrawnSamples(images (n, 28, 28) float32,
                                                                labels (n,) int64, writers (n,) str)
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from preprocessing import render_cache
from preprocessing.drawing import Drawing, DrawingFormatError, read_drawings
from preprocessing.input_pen import InputPenRaster
from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings, preprocess
from preprocessing.raster import (DEFAULT_BRUSH_FRACTION, DEFAULT_CANVAS_PX, MAX_BRUSH_FRACTION,
                                  MIN_BRUSH_FRACTION, StrokeRaster)

#: Digit height as a fraction of the canvas: what people draw (issue 5: 35 % to 85 %).
DEFAULT_HEIGHT_RANGE = (0.35, 0.85)
#: The app's brush range as fractions of the canvas side.
DEFAULT_BRUSH_RANGE = (MIN_BRUSH_FRACTION, MAX_BRUSH_FRACTION)
#: Training renders use half the window's canvas: the same 28x28 inputs to about 0.002 a pixel.
RENDER_CANVAS_PX = DEFAULT_CANVAS_PX // 2
#: Share of brush widths drawn log-uniformly; the rest are uniform over the brush range.
_LOG_UNIFORM_BRUSH_SHARE = 0.35
#: A digit never fills the canvas edge to edge: its larger side stays within this fraction.
_MAX_EXTENT = 0.95


@dataclass
class DrawnSamples:
    """images (n, 28, 28) float32 in [0, 1]; labels (n,) int64; writers (n,) str;
    brush (n,) float32 brush fraction; height (n,) float32 digit height fraction."""

    images: np.ndarray
    labels: np.ndarray
    writers: np.ndarray
    brush: np.ndarray
    height: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def from_chunks(cls, jobs: list, results: list) -> "DrawnSamples":
        """Joined render results: each job's first item is its drawings, each result is (kept: the
        index in those drawings of each image, images, brush, height)."""
        images, labels, writers, brushes, heights = [], [], [], [], []
        for job, (kept, stack, brush, height) in zip(jobs, results):
            images.append(stack)
            labels.extend(job[0][k].label for k in kept)
            writers.extend(job[0][k].writer or "" for k in kept)
            brushes.append(brush)
            heights.append(height)
        if not images:
            empty = np.zeros(0, np.float32)
            return cls(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64), np.array([], dtype=str),
                       empty, empty)
        return cls(images=np.concatenate(images), labels=np.asarray(labels, dtype=np.int64),
                   writers=np.asarray(writers, dtype=str), brush=np.concatenate(brushes),
                   height=np.concatenate(heights))


def place(drawing: Drawing, height: float, centre: tuple[float, float] | None,
          rng: np.random.Generator | None = None) -> Drawing:
    """A copy of `drawing` scaled so its ink height is `height` (fraction of the canvas), its larger
    side kept within 95 % of the canvas, centred at `centre` (x, y fractions) or, with None, at a
    random position (from `rng`) that keeps it on the canvas. Widths and erase flags are kept."""
    points = np.array([p for stroke in drawing.strokes for p in stroke], dtype=np.float64)
    if points.size == 0:
        return drawing
    low, high = points.min(axis=0), points.max(axis=0)
    extent = high - low  # (width, height)
    scale = height / max(extent[1], 1e-6)
    if extent[0] * scale > _MAX_EXTENT:
        scale = _MAX_EXTENT / extent[0]
    size = extent * scale
    if centre is None:
        if rng is None:
            raise ValueError("place: need a centre or an rng")
        centre = tuple(rng.uniform(size / 2, 1 - size / 2))
    centre = np.asarray(centre, dtype=np.float64)
    middle = (low + high) / 2
    strokes = [[(float(x), float(y)) for x, y in np.clip((np.asarray(stroke, dtype=np.float64) - middle) * scale
                                                            + centre, 0.0, 1.0)]
               for stroke in drawing.strokes]
    return Drawing(strokes=strokes, label=drawing.label, writer=drawing.writer,
                   widths=drawing.widths, erase=drawing.erase)


def render_one(drawing: Drawing, brush_fraction: float, canvas_px: int = RENDER_CANVAS_PX,
               settings: PipelineSettings = DEFAULT_SETTINGS) -> np.ndarray | None:
    """Draw a (placed) drawing on a fresh canvas with the given brush, return the 28x28 input
    (float32) or None when the pipeline finds no ink. With a `settings.input_pen`, the network
    reads the strokes drawn with the digit-scaled pen, as in the app; the brush then only sets the
    width of eraser strokes that have none recorded."""
    if settings.input_pen > 0:
        raster = InputPenRaster(canvas_px, settings.input_pen, settings.box)
        raster.draw_strokes((stroke, drawing.stroke_width(i) or brush_fraction, drawing.stroke_erases(i))
                            for i, stroke in enumerate(drawing.strokes))
    else:
        raster = StrokeRaster(canvas_px, brush_fraction * canvas_px)
        raster.draw(drawing)
    return preprocess(raster, settings).image


def _variant_rng(seed: int, index: int, variant: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(index), int(variant)])


def _render_chunk(args) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    (drawings, first_index, variants, seed, height_range, brush_range, canvas_px, settings) = args
    kept, images, brushes, heights = [], [], [], []
    log_low, log_high = math.log(brush_range[0]), math.log(brush_range[1])
    for offset, drawing in enumerate(drawings):
        index = first_index + offset
        for variant in range(variants):
            rng = _variant_rng(seed, index, variant)
            height = float(rng.uniform(*height_range))
            # Log-uniform a third of the time (thin brushes covered), uniform otherwise: thick
            # brushes are the harder case (log-uniform alone left the thickest brush 2.9 points
            # behind the thinnest in replay, half-and-half 1.3 points).
            if rng.random() < _LOG_UNIFORM_BRUSH_SHARE:
                brush = float(math.exp(rng.uniform(log_low, log_high)))
            else:
                brush = float(rng.uniform(*brush_range))
            placed = place(drawing, height, None, rng)
            image = render_one(placed, brush, canvas_px, settings)
            if image is None:
                continue
            kept.append(offset)
            images.append(image)
            brushes.append(brush)
            heights.append(height)
    stack = np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32)
    return kept, stack, np.array(brushes, np.float32), np.array(heights, np.float32)


def _ignore_interrupts() -> None:
    # Ctrl+C reaches every process of the terminal's group: only the parent decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent ends its workers with SIGTERM (Pool.terminate): a forked worker would otherwise run
    # the parent's stop handler and print a traceback as it dies.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def render_in_processes(render_chunk, jobs: list, workers: int | None) -> list:
    """[render_chunk(job) for job in jobs], in `workers` processes (None = one per CPU, 1 = in this
    one); on any interruption the workers are terminated at once (waiting for their chunks took
    7-9 s after a Ctrl+C)."""
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    if workers == 1 or len(jobs) <= 1:
        return [render_chunk(job) for job in jobs]
    pool = multiprocessing.Pool(min(workers, len(jobs)), initializer=_ignore_interrupts)
    try:
        results = pool.map(render_chunk, jobs, chunksize=1)
        pool.close()
        return results
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _render_jobs(drawings: Sequence[Drawing], variants: int, seed: int, height_range, brush_range, canvas_px: int,
                 settings: PipelineSettings, workers: int | None, chunk: int) -> tuple[list, list]:
    """Split the drawings into chunks and render them (in `workers` processes) -> (jobs, results)."""
    jobs = [(list(drawings[i:i + chunk]), i, variants, seed, tuple(height_range), tuple(brush_range),
             int(canvas_px), settings) for i in range(0, len(drawings), chunk)]
    return jobs, render_in_processes(_render_chunk, jobs, workers)


def render_samples(drawings: Sequence[Drawing], variants: int = 2, seed: int = 0, *,
                   height_range: tuple[float, float] = DEFAULT_HEIGHT_RANGE,
                   brush_range: tuple[float, float] = DEFAULT_BRUSH_RANGE,
                   canvas_px: int = RENDER_CANVAS_PX, settings: PipelineSettings = DEFAULT_SETTINGS,
                   workers: int | None = None, chunk: int = 250) -> DrawnSamples:
    """Render `variants` random placements of every labelled drawing -> DrawnSamples.

    Unlabelled drawings are skipped. workers: processes to use (None = all CPUs, 1 = in this
    process); the result is the same for any number of workers.
    """
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    if not (0 < height_range[0] <= height_range[1] <= 1):
        raise ValueError(f"height range must satisfy 0 < low <= high <= 1, got {height_range}")
    if not (0 < brush_range[0] <= brush_range[1] < 1):
        raise ValueError(f"brush range must satisfy 0 < low <= high < 1, got {brush_range}")
    labelled = [d for d in drawings if d.label is not None and not d.is_empty]
    jobs, results = _render_jobs(labelled, variants, seed, height_range, brush_range, canvas_px, settings,
                                 workers, chunk)
    return DrawnSamples.from_chunks(jobs, results)


def render_images(drawings: Sequence[Drawing], variants: int = 1, seed: int = 0, *,
                  height_range: tuple[float, float] = DEFAULT_HEIGHT_RANGE,
                  brush_range: tuple[float, float] = DEFAULT_BRUSH_RANGE,
                  canvas_px: int = DEFAULT_CANVAS_PX, settings: PipelineSettings = DEFAULT_SETTINGS,
                  workers: int | None = 1, chunk: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """`variants` random placements of every drawing, labelled or not, rendered exactly as
    render_samples renders digits -> (images (n, 28, 28) float32, source (n,) int64: the index in
    `drawings` each image came from). Drawings the pipeline finds empty give no image."""
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    jobs, results = _render_jobs(drawings, variants, seed, height_range, brush_range, canvas_px, settings,
                                 workers, chunk)
    images = [stack for _, stack, _, _ in results]
    source = [job[1] + np.asarray(kept, dtype=np.int64) for job, (kept, _, _, _) in zip(jobs, results)]
    if not images:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.concatenate(images), np.concatenate(source).astype(np.int64)


#: Bump when rendering changes in a way the cache key does not capture.
_CACHE_VERSION = 2
#: The modules whose code decides a render.
RENDER_MODULES = ("raster.py", "input_pen.py", "pipeline.py", "drawn_samples.py")
SAMPLE_ARRAYS = ("images", "labels", "writers", "brush", "height")


def cache_key(file_sha256: str, variants: int, seed: int, height_range, brush_range, canvas_px: int,
              settings: PipelineSettings) -> str:
    """A name for the rendered samples of one drawing file under one set of render settings."""
    return render_cache.cache_key([_CACHE_VERSION, render_cache.fingerprint(RENDER_MODULES), file_sha256, variants,
                                   seed, list(height_range), list(brush_range), canvas_px, settings.to_dict()])


def render_file_cached(drawings: Sequence[Drawing], file_sha256: str, cache_dir, variants: int = 2,
                       seed: int = 0, *, height_range=DEFAULT_HEIGHT_RANGE, brush_range=DEFAULT_BRUSH_RANGE,
                       canvas_px: int = RENDER_CANVAS_PX, settings: PipelineSettings = DEFAULT_SETTINGS,
                       workers: int | None = None) -> tuple[DrawnSamples, bool]:
    """render_samples for a whole drawing file, kept in `cache_dir` (None = no cache) under a key
    of the file's SHA-256 and every render setting -> (samples, came_from_cache)."""
    def render() -> dict:
        samples = render_samples(drawings, variants, seed, height_range=height_range, brush_range=brush_range,
                                 canvas_px=canvas_px, settings=settings, workers=workers)
        return {name: getattr(samples, name) for name in SAMPLE_ARRAYS}

    key = cache_key(file_sha256, variants, seed, height_range, brush_range, canvas_px, settings)
    arrays, from_cache = render_cache.cached(cache_dir, "drawn", key, SAMPLE_ARRAYS, render)
    return DrawnSamples(**arrays), from_cache


def select(samples: DrawnSamples, keep: np.ndarray) -> DrawnSamples:
    """The samples where the boolean mask `keep` (n,) is True."""
    return DrawnSamples(samples.images[keep], samples.labels[keep], samples.writers[keep],
                        samples.brush[keep], samples.height[keep])


def exclude_writers(drawings: Sequence[Drawing], writers) -> list[Drawing]:
    """The drawings whose writer is not in `writers`."""
    excluded = set(writers)
    return [d for d in drawings if d.writer not in excluded]


def _compare(drawings: Sequence[Drawing], canvas_px: int, brush_range) -> dict:
    """Mean absolute pixel difference between renders at canvas_px and at the window's canvas size."""
    rng = np.random.default_rng(0)
    diffs = []
    for drawing in drawings:
        brush = float(math.exp(rng.uniform(math.log(brush_range[0]), math.log(brush_range[1]))))
        small = render_one(drawing, brush, canvas_px)
        full = render_one(drawing, brush, DEFAULT_CANVAS_PX)
        if small is not None and full is not None:
            diffs.append(float(np.abs(small - full).mean()))
    return {"canvas_px": canvas_px, "compared": len(diffs),
            f"mean_abs_diff_vs_{DEFAULT_CANVAS_PX}": float(np.mean(diffs)) if diffs else None,
            f"max_mean_abs_diff_vs_{DEFAULT_CANVAS_PX}": float(np.max(diffs)) if diffs else None}


def main(argv: Sequence[str] | None = None) -> int:
    """Measure rendering speed (and, with --compare, fidelity against a render at the window's size)."""
    parser = argparse.ArgumentParser(description="Render drawn digits to 28x28 training images; "
                                                 "prints speed (and fidelity with --compare).")
    parser.add_argument("drawings", help="drawing file (.jsonl)")
    parser.add_argument("--limit", type=int, default=500, help="drawings to use (default 500)")
    parser.add_argument("--variants", type=int, default=2, help="random renders of each drawing (default 2)")
    parser.add_argument("--canvas", type=int, default=RENDER_CANVAS_PX,
                        help=f"canvas side the drawings are rendered at (default {RENDER_CANVAS_PX} px)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    parser.add_argument("--compare", action="store_true",
                        help=f"also compare with {DEFAULT_CANVAS_PX} px renders (the window's canvas)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        drawings = read_drawings(args.drawings)[:args.limit]
    except (DrawingFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    samples = render_samples(drawings, args.variants, canvas_px=args.canvas, workers=args.workers)
    seconds = time.perf_counter() - start
    result = {"drawings": len(drawings), "images": len(samples), "seconds": round(seconds, 3),
              "images_per_second": round(len(samples) / seconds, 1), "canvas_px": args.canvas,
              "workers": args.workers or os.cpu_count()}
    if args.compare:
        result.update(_compare(drawings[:200], args.canvas, DEFAULT_BRUSH_RANGE))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
