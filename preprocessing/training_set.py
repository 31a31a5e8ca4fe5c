"""The images a recipe trains on: MNIST plus drawn digits rendered the way the app reads them.

``build_training_set(recipe, mnist, log)`` is the one place that turns a recipe's data settings
into arrays, for train.py and the writer cross-validation alike. Drawn digits are rendered through
the app's own raster, input pen and pipeline at random sizes and positions
(``preprocessing.drawn_samples``), and whole files are cached in the user cache folder, keyed by
their content and every render setting, so that every writer cross-validation fold reuses one
rendering. ``DIGITPAD_NO_DRAWN_CACHE=1`` turns the cache off.
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
from model.recipe import PEN_DIGITS, Recipe
from model.userdata import cache_dir
from preprocessing.drawing import read_drawings
from preprocessing.drawn_samples import (DEFAULT_BRUSH_RANGE, DrawnSamples, render_file_cached, render_samples,
                                         select)

Log = Callable[[str], None]


@dataclass
class TrainingSet:
    """X (n, 784) float32 in [0, 1] and y (n,) int64: MNIST's training images first, then the
    drawn digits. drawings: one record per drawing file used ({path, sha256, drawings})."""

    X: np.ndarray
    y: np.ndarray
    mnist_images: int
    drawn_images: int
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


def render_drawn(recipe: Recipe, log: Log) -> tuple[DrawnSamples | None, list[dict], float]:
    """Read and render the recipe's drawing files -> (samples or None, records, seconds).

    The developers' pen digits are skipped with a note where they are absent; any other file must
    exist (DrawingFormatError otherwise). With a recipe limit, the first N drawings of writers not
    excluded are rendered afresh; otherwise whole files come from (or go to) the cache.
    """
    started = time.perf_counter()
    parts, records, cached_files = [], [], 0
    excluded = set(recipe.exclude_writers)
    for text in recipe.drawings:
        path = resolve_drawings(text)
        if path is None or (text == PEN_DIGITS and not path.is_file()):
            log(f"note: the developers' pen digits ({text}) are not on this machine; training without them")
            continue
        drawings = read_drawings(path)
        digest = _sha256_file(path)
        records.append({"path": text, "sha256": digest, "drawings": len(drawings)})
        if recipe.limit is not None:
            chosen = [d for d in drawings if d.writer not in excluded][:recipe.limit]
            samples = render_samples(chosen, recipe.drawing_variants, seed=recipe.seed,
                                     brush_range=DEFAULT_BRUSH_RANGE)
        else:
            samples, cached = render_file_cached(drawings, digest, drawn_cache_dir(), recipe.drawing_variants,
                                                 recipe.seed, brush_range=DEFAULT_BRUSH_RANGE)
            cached_files += cached
            if excluded:
                keep = ~np.isin(samples.writers, sorted(excluded))
                log(f"{text}: left out {int((~keep).sum())} images of {len(excluded)} excluded writers")
                samples = select(samples, keep)
        parts.append(samples)
    seconds = time.perf_counter() - started
    if not parts or sum(len(p) for p in parts) == 0:
        return None, records, seconds
    samples = DrawnSamples(*(np.concatenate([getattr(p, name) for p in parts])
                             for name in ("images", "labels", "writers", "brush", "height")))
    how = f" ({cached_files} file(s) from the cache)" if cached_files else ""
    log(f"drawn digits: {len(samples)} images in {seconds:.1f} s{how}")
    return samples, records, seconds


def build_training_set(recipe: Recipe, mnist: MnistData, log: Log) -> TrainingSet:
    """MNIST's training split (the first recipe.limit images on a quick run) plus the rendered
    drawn digits, as one float32 array."""
    images, labels = mnist.train_images, mnist.train_labels
    if recipe.limit is not None:
        images, labels = images[:recipe.limit], labels[:recipe.limit]
    log(f"MNIST: {len(images)} training images from {mnist.source}")
    drawn, records, seconds = render_drawn(recipe, log)
    X = images.reshape(len(images), 784).astype(np.float32) * np.float32(1 / 255)
    y = np.asarray(labels, dtype=np.int64)
    n_drawn = 0
    if drawn is not None:
        n_drawn = len(drawn)
        X = np.concatenate([X, drawn.images.reshape(n_drawn, 784)])
        y = np.concatenate([y, drawn.labels])
    return TrainingSet(X=X, y=y, mnist_images=len(images), drawn_images=n_drawn, render_seconds=seconds,
                       drawings=records)
