"""Examples to try: MNIST test digits shipped with the app, to browse by digit or by mistake.

The sample (``weights/examples.npz``, package data) holds 100 test digits of each kind, including
every test digit the bundled weights misread, so "only those the model gets wrong" has something
to show (see benchmarks/make_examples.py, which rebuilds it). MNIST is by Yann LeCun, Corinna
Cortes and Christopher J. C. Burges, licensed CC BY-SA 3.0; the sample is an unmodified subset
(``ATTRIBUTION`` is the line to show).

An MNIST digit is already what the pipeline makes of a drawing (20 px box, centred by mass in
28x28, white on black), so ``Example.image`` goes straight into the grid. Which examples a model
gets wrong is computed once per model object and kept while the model lives.
"""
from __future__ import annotations

import importlib.resources
import json
import weakref
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.data import DataError, read_npz
from model.mlp import MLP
from model.oneline import one_line

#: The sample shipped with the app (package data of the ``weights`` package).
EXAMPLES_FILE = Path(str(importlib.resources.files("weights").joinpath("examples.npz")))
ATTRIBUTION = ("Examples: MNIST test digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges "
               "(CC BY-SA 3.0)")


@dataclass(frozen=True)
class Example:
    """One example: position in the sample, image (28, 28) float32 in [0, 1] (the grid's
    format), label (the true digit), source_index (its position in the MNIST test set, -1 if
    unknown)."""

    position: int
    image: np.ndarray
    label: int
    source_index: int


class ExampleSet:
    """A fixed set of labelled digits: images uint8 (n, 28, 28), labels int64 (n,), and
    optionally source_index int64 (n,) and ``about`` (what the file says of itself)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, source_index: np.ndarray | None = None,
                 about: dict | None = None) -> None:
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 of shape (n, 28, 28), got {images.dtype} {images.shape}")
        if labels.shape != (images.shape[0],) or labels.dtype.kind not in "iu" or \
                (labels.size and (labels.min() < 0 or labels.max() > 9)):
            raise ValueError(f"labels must be {images.shape[0]} digits 0-9")
        if source_index is None:
            source_index = np.full(images.shape[0], -1, np.int64)
        source_index = np.asarray(source_index)
        if source_index.shape != labels.shape or source_index.dtype.kind not in "iu":
            raise ValueError(f"source_index must be {images.shape[0]} integers")
        self.images = images
        self.labels = labels.astype(np.int64)
        self.source_index = source_index.astype(np.int64)
        self.about = dict(about or {})
        self._predictions: "weakref.WeakKeyDictionary[MLP, np.ndarray]" = weakref.WeakKeyDictionary()

    @classmethod
    def load(cls, path=EXAMPLES_FILE) -> "ExampleSet":
        """Read a sample (.npz with x, y and optionally index and about); DataError, one line
        naming the file, when it is missing or malformed."""
        images, labels = read_npz(path)  # checks the file, the images and the labels
        source_index, about = None, {}
        try:
            with np.load(path, allow_pickle=False) as archive:
                if "index" in archive.files:
                    source_index = archive["index"]
                if "about" in archive.files:
                    about = json.loads(str(archive["about"]))
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise DataError(f"{path}: unreadable 'index' or 'about' ({one_line(exc)})") from None
        if source_index is not None and (source_index.shape != labels.shape or source_index.dtype.kind not in "iu"):
            raise DataError(f"{path}: 'index' must hold one integer per image")
        return cls(images, labels, source_index, about if isinstance(about, dict) else {})

    def __len__(self) -> int:
        return int(self.labels.size)

    def example(self, position: int) -> Example:
        """The example at ``position`` (0 .. len - 1); IndexError outside."""
        if not 0 <= position < len(self):
            raise IndexError(f"example {position} does not exist (there are {len(self)})")
        image = self.images[position].astype(np.float32) / np.float32(255)
        return Example(int(position), image, int(self.labels[position]), int(self.source_index[position]))

    def predictions(self, model: MLP) -> np.ndarray:
        """(n,) int64: the digit ``model`` reads in each example; computed once per model object
        (a model whose weights change in place needs ``forget(model)``)."""
        cached = self._predictions.get(model)
        if cached is None:
            cached = np.asarray(model.predict(self.images.astype(np.float32) / np.float32(255)), np.int64)
            cached.setflags(write=False)
            self._predictions[model] = cached
        return cached

    def forget(self, model: MLP) -> None:
        """Drop the cached predictions of ``model``."""
        self._predictions.pop(model, None)

    def positions(self, digit: int | None = None, *, model: MLP | None = None, wrong_only: bool = False
                  ) -> np.ndarray:
        """Positions (k,) int64, ascending, of the examples of ``digit`` (all digits when None),
        only those ``model`` misreads when wrong_only (which needs the model)."""
        keep = np.ones(len(self), bool)
        if digit is not None:
            if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
                raise ValueError(f"digit must be 0-9 or None, got {digit!r}")
            keep &= self.labels == digit
        if wrong_only:
            if model is None:
                raise ValueError("wrong_only needs the model whose mistakes to show")
            keep &= self.predictions(model) != self.labels
        return np.flatnonzero(keep).astype(np.int64)

    def random(self, rng: np.random.Generator, digit: int | None = None, *, model: MLP | None = None,
               wrong_only: bool = False, exclude: int | None = None) -> Example | None:
        """A random example (digit and wrong_only as in ``positions``) drawn with ``rng``, not
        ``exclude`` (the one shown now) unless it is the only one; None when none qualifies."""
        candidates = self.positions(digit, model=model, wrong_only=wrong_only)
        if exclude is not None and candidates.size > 1:
            candidates = candidates[candidates != exclude]
        if candidates.size == 0:
            return None
        return self.example(int(rng.choice(candidates)))


_bundled: ExampleSet | None = None


def bundled_examples() -> ExampleSet:
    """The sample shipped with the app, read once (DataError if the installation lost it)."""
    global _bundled
    if _bundled is None:
        _bundled = ExampleSet.load(EXAMPLES_FILE)
    return _bundled
