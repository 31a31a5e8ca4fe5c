"""The images a recipe trains on: MNIST, drawn digits and drawings that are not digits, rendered the
way the app reads them.

``build_training_set(recipe, mnist, log)`` is the one place that turns a recipe's data settings
into arrays, for train.py and the writer cross-validation alike. Drawn digits are rendered through
the app's own raster, input pen and pipeline at random sizes and positions
(``preprocessing.drawn_samples``) and, with ``picture_variants``, also as small marker bitmaps read
through the picture steps (``preprocessing.picture_samples``); whole files are cached in the user
cache folder, keyed by their content and every render setting, so that every writer
cross-validation fold reuses one rendering. Negative drawings (``preprocessing.negatives``, the "train" sources only; those made
of pen digits use the training writers' digits) join with the label NOT_A_DIGIT and teach the
network a flat output ("not a digit"); they are cached the same way.
``DIGITPAD_NO_DRAWN_CACHE=1`` turns the caches off.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from model.data import MnistData, workplace_dir
from model.losses import NOT_A_DIGIT
from model.recipe import PEN_DIGITS, Recipe
from model.userdata import cache_dir
from preprocessing import negatives, render_cache
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.drawn_samples import (DEFAULT_BRUSH_RANGE, RENDER_MODULES, DrawnSamples, render_file_cached,
                                         render_samples, select)
from preprocessing.picture_samples import render_picture_file_cached, render_picture_samples

#: The modules whose code decides a negative drawing and its render.
NEGATIVE_MODULES = (*RENDER_MODULES, "negatives.py", "negative_pen.py", "negative_shapes.py",
                    "negative_glyphs.py", "negative_digits.py")

Log = Callable[[str], None]


@dataclass
class TrainingSet:
    """X (n, 784) float32 in [0, 1] and y (n,) int64: MNIST's training images first, then the
    drawn digits, then the negatives (label NOT_A_DIGIT). drawings: one record per drawing file
    used ({path, sha256, drawings})."""

    X: np.ndarray
    y: np.ndarray
    mnist_images: int
    drawn_images: int
    negative_images: int = 0
    render_seconds: float = 0.0
    drawings: list[dict] = field(default_factory=list)


def resolve_drawings(text: str) -> Path | None:
    """Where a recipe's drawing file is: the developers' pen digits (`PEN_DIGITS`) are looked up
    in the workplace folder (None where there is none, as in an installed copy); any other path
    is taken as written."""
    if text == PEN_DIGITS:
        root = workplace_dir()
        return None if root is None else root / "data" / "strokes" / "pendigits-dev.jsonl"
    return Path(text).expanduser()


def drawn_cache_dir() -> Path | None:
    """The render cache, or None when DIGITPAD_NO_DRAWN_CACHE is set."""
    if os.environ.get("DIGITPAD_NO_DRAWN_CACHE"):
        return None
    return cache_dir() / "drawn"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_drawn(recipe: Recipe, log: Log) -> tuple[DrawnSamples | None, list[dict], float, list[Drawing]]:
    """Read and render the recipe's drawing files -> (samples or None, records, seconds, the
    training writers' drawings, which the negatives made of digits are built from).

    The developers' pen digits are skipped with a note where they are absent; any other file must
    exist (DrawingFormatError otherwise). With a recipe limit, the first N drawings of writers not
    excluded are rendered afresh; otherwise whole files come from (or go to) the cache.
    """
    started = time.perf_counter()
    parts, records, cached_files, kept = [], [], 0, []
    excluded = set(recipe.exclude_writers)
    for text in recipe.drawings:
        path = resolve_drawings(text)
        if path is None or (text == PEN_DIGITS and not path.is_file()):
            log(f"note: the developers' pen digits ({text}) are not on this machine; training without them")
            continue
        drawings = read_drawings(path)
        digest = _sha256_file(path)
        records.append({"path": text, "sha256": digest, "drawings": len(drawings)})
        kept += [d for d in drawings if d.writer not in excluded and d.label is not None]
        if recipe.limit is not None:
            chosen = [d for d in drawings if d.writer not in excluded][:recipe.limit]
            parts.append(render_samples(chosen, recipe.drawing_variants, seed=recipe.seed,
                                        brush_range=DEFAULT_BRUSH_RANGE))
            if recipe.picture_variants:
                parts.append(render_picture_samples(chosen, recipe.picture_variants, seed=recipe.seed))
            continue
        rendered = [render_file_cached(drawings, digest, drawn_cache_dir(), recipe.drawing_variants, recipe.seed,
                                       brush_range=DEFAULT_BRUSH_RANGE)]
        if recipe.picture_variants:
            rendered.append(render_picture_file_cached(drawings, digest, drawn_cache_dir(), recipe.picture_variants,
                                                       recipe.seed))
        for samples, cached in rendered:
            cached_files += cached
            if excluded:
                keep = ~np.isin(samples.writers, sorted(excluded))
                log(f"{text}: left out {int((~keep).sum())} images of {len(excluded)} excluded writers")
                samples = select(samples, keep)
            parts.append(samples)
    seconds = time.perf_counter() - started
    if not parts or sum(len(p) for p in parts) == 0:
        return None, records, seconds, kept
    samples = DrawnSamples(*(np.concatenate([getattr(p, name) for p in parts])
                             for name in ("images", "labels", "writers", "brush", "height")))
    how = f" ({cached_files} render(s) from the cache)" if cached_files else ""
    log(f"drawn digits: {len(samples)} images in {seconds:.1f} s{how}")
    return samples, records, seconds, kept


def negatives_per_source(recipe: Recipe) -> int:
    """Negative drawings per source: the recipe's, fewer on a quick run (a tenth of its limit)."""
    if recipe.limit is None:
        return recipe.negatives_per_source
    return min(recipe.negatives_per_source, max(1, recipe.limit // 10))


def render_negative_drawings(recipe: Recipe, digits: list[Drawing], records: list[dict], log: Log) -> np.ndarray:
    """The recipe's negatives rendered as drawn digits are -> images (m, 28, 28) float32 (cached,
    keyed by the generator's and renderer's code, the settings and the digits' files and writers)."""
    per_source = negatives_per_source(recipe)
    if not recipe.uses_negatives or per_source == 0:
        return np.zeros((0, 28, 28), np.float32)
    started = time.perf_counter()

    def render() -> dict:
        drawings = negatives.generate_split("train", per_source, recipe.seed, digits or None)
        images, _ = negatives.render_negatives(drawings, recipe.negative_variants, recipe.seed,
                                               brush_range=DEFAULT_BRUSH_RANGE, workers=None)
        return {"images": images}

    key = render_cache.cache_key([render_cache.fingerprint(NEGATIVE_MODULES), per_source, recipe.negative_variants,
                                  recipe.seed, [r["sha256"] for r in records], sorted(recipe.exclude_writers),
                                  recipe.limit, len(digits)])
    arrays, from_cache = render_cache.cached(drawn_cache_dir(), "negatives", key, ("images",), render)
    images = arrays["images"]
    how = " (from the cache)" if from_cache else ""
    log(f"negatives (not digits): {len(images)} images in {time.perf_counter() - started:.1f} s{how}")
    return images


def build_training_set(recipe: Recipe, mnist: MnistData, log: Log) -> TrainingSet:
    """MNIST's training split (the first recipe.limit images on a quick run) plus the rendered
    drawn digits, as one float32 array."""
    images, labels = mnist.train_images, mnist.train_labels
    if recipe.limit is not None:
        images, labels = images[:recipe.limit], labels[:recipe.limit]
    log(f"MNIST: {len(images)} training images from {mnist.source}")
    drawn, records, seconds, digits = render_drawn(recipe, log)
    started = time.perf_counter()
    negative = render_negative_drawings(recipe, digits, records, log)
    seconds += time.perf_counter() - started
    parts = [images.reshape(len(images), 784).astype(np.float32) * np.float32(1 / 255)]
    labels_parts = [np.asarray(labels, dtype=np.int64)]
    if drawn is not None:
        parts.append(drawn.images.reshape(len(drawn), 784))
        labels_parts.append(drawn.labels)
    if len(negative):
        parts.append(negative.reshape(len(negative), 784))
        labels_parts.append(np.full(len(negative), NOT_A_DIGIT, np.int64))
    return TrainingSet(X=np.concatenate(parts), y=np.concatenate(labels_parts), mnist_images=len(images),
                       drawn_images=0 if drawn is None else len(drawn), negative_images=len(negative),
                       render_seconds=seconds, drawings=records)
