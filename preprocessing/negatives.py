"""Negative drawings: things people draw that are not digits, for teaching and testing the verdict
"not a digit" (issue 11).

Each *source* is a named generator of one kind (polygons, stars, letters, digits side by side ...)
and belongs to exactly one split, fixed here, so that held-out figures are measured on kinds of
drawing that neither training nor the choice of thresholds ever saw:

    train  what a model may learn from
    val    what thresholds and calibration are chosen on
    test   what the figures are reported on

    generate("star", 100, seed=0) -> [Drawing, ...]          (writer = "negative:star")
    generate_split("test", 50, seed=0, digits=...) -> [Drawing, ...]
    render_negatives(drawings, variants=1, seed=0) -> images (n, 28, 28) float32

The drawings are in the app's drawing format (`preprocessing.drawing`), with the variation of a
hand (`preprocessing.negative_pen`), and render through the same raster, input pen and pipeline
as the drawn digits (`preprocessing.drawn_samples.render_images`). Sources built from pen digits
(side by side, crossed out, fragments) need `digits`: pass drawings of the writers that belong to
the same side of the experiment. The same seed gives the same drawings; every drawing has its own
seed (seed, source, index), so asking for more drawings keeps the first ones.

    python -m preprocessing.negatives --split test --per-source 20 --out neg.jsonl --preview neg.png
"""
from __future__ import annotations

import argparse
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from preprocessing import negative_digits, negative_shapes
from preprocessing.drawing import Drawing, DrawingFormatError, read_drawings, validate_drawing, write_drawings
from preprocessing.drawn_samples import DEFAULT_BRUSH_RANGE, render_images
from preprocessing.negative_glyphs import letter_maker
from preprocessing.negative_pen import DEFAULT_HAND, Hand, Shape, humanize

SPLITS = ("train", "val", "test")
WRITER_PREFIX = "negative:"

#: Pen digits are already hand-drawn: rearranged, they only get a touch more variation.
_DIGIT_HAND = Hand(rotation_deg=3.0, shear=0.05, aspect=(0.9, 1.1), wobble=(0.0, 0.004), tremor=(0.0, 0.002),
                   spacing=(0.015, 0.04), reverse_share=0.0, reorder_share=0.0)


@dataclass(frozen=True)
class Source:
    """A named generator of one kind of negative drawing, in one split.

    make(rng) -> Shape, or make(rng, digits) -> Shape when needs_digits."""
    name: str
    split: str
    make: Callable
    description: str
    needs_digits: bool = False
    hand: Hand = DEFAULT_HAND


def _sources() -> dict[str, Source]:
    s = negative_shapes
    d = negative_digits
    table = [
        # train: what a model may learn from
        Source("polygon", "train", s.polygon, "triangles, squares, rectangles, diamonds, pentagons, hexagons"),
        Source("arrow", "train", s.arrow, "arrows in eight directions, straight or bent"),
        Source("cross", "train", s.cross, "X and + signs"),
        Source("wave", "train", s.wave, "zigzags, waves, rows of loops, dashes"),
        Source("scribble", "train", s.scribble, "random scribbles of one to three strokes"),
        Source("letters_train", "train", letter_maker("EeFHhKkMmNnRWwXx"), "letters E e F H h K k M m N n R W w X x"),
        Source("symbols_train", "train", s.symbol_maker("=~^≠÷"), "symbols = ~ ^ ≠ ÷"),
        Source("random_strokes", "train", s.random_strokes, "two to four random lines, corners, arcs and curves"),
        Source("overlay", "train", s.overlay(s.polygon, s.arrow, s.cross, s.wave, letter_maker("EFHKMNRWX")),
               "two shapes of the train kinds (polygons, arrows, crosses, waves, letters) over or beside each other"),
        Source("side_by_side", "train", d.side_by_side, "two or three pen digits side by side", True, _DIGIT_HAND),
        Source("fragment", "train", d.fragment, "a 25-55 % piece of a pen digit's path", True, _DIGIT_HAND),
        # val: what thresholds and calibration are chosen on
        Source("tick", "val", s.tick, "check marks"),
        Source("bracket", "val", s.bracket, "( ) [ ] { } < > and pairs of them"),
        Source("spiral", "val", s.spiral, "spirals of 1.5-3 turns"),
        Source("letters_val", "val", letter_maker("CcJLPpTtr"), "letters C c J L P p T t r"),
        Source("symbols_val", "val", s.symbol_maker("$π€Σ"), "symbols $ π € Σ"),
        Source("crossed_out", "val", d.crossed_out, "pen digits struck out with an X or hatching", True, _DIGIT_HAND),
        # test: what the figures are reported on
        Source("star", "test", s.star, "five-pointed stars, six-pointed stars, asterisks"),
        Source("doodle", "test", s.doodle, "hearts, smileys, houses, suns, bolts, clouds, flowers, figures, fish, trees"),
        Source("scribble_loops", "test", s.scribble_loops, "scribbled-over loops"),
        Source("letters_test", "test", letter_maker("AUuVvYf"), "letters A U u V v Y f"),
        Source("symbols_test", "test", s.symbol_maker("#@&%?"), "symbols # @ & % ?"),
    ]
    return {source.name: source for source in table}


SOURCES: dict[str, Source] = _sources()


def sources(split: str) -> list[str]:
    """Names of the sources in one split, in a fixed order."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (choose from {', '.join(SPLITS)})")
    return [name for name, source in SOURCES.items() if source.split == split]


def _source_id(name: str) -> int:
    """A number for the source that does not depend on the table's order."""
    return zlib.crc32(name.encode("utf-8"))


def make_shape(name: str, rng: np.random.Generator, digits: Sequence[Drawing] | None = None) -> Shape:
    """One ideal shape of the named source (before the hand's variation)."""
    source = SOURCES[name]
    if source.needs_digits:
        if not digits:
            raise ValueError(f"negative source {name!r} needs pen digits (digits=...) to build from")
        return source.make(rng, digits)
    return source.make(rng)


def generate(name: str, count: int, seed: int = 0, digits: Sequence[Drawing] | None = None) -> list[Drawing]:
    """`count` drawings of the named source; drawing i depends only on (seed, name, i, digits)."""
    if name not in SOURCES:
        raise ValueError(f"unknown negative source {name!r} (known: {', '.join(SOURCES)})")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    source = SOURCES[name]
    drawings = []
    for index in range(count):
        rng = np.random.default_rng([int(seed), _source_id(name), index])
        drawing = humanize(make_shape(name, rng, digits), rng, source.hand)
        drawing.writer = WRITER_PREFIX + name
        drawings.append(drawing)
    return drawings


def generate_split(split: str, per_source: int, seed: int = 0,
                   digits: Sequence[Drawing] | None = None) -> list[Drawing]:
    """`per_source` drawings of every source of the split; sources needing digits are skipped when
    `digits` is None or empty."""
    out: list[Drawing] = []
    for name in sources(split):
        if SOURCES[name].needs_digits and not digits:
            continue
        out += generate(name, per_source, seed, digits)
    return out


def source_of(drawing: Drawing) -> str | None:
    """The source name a generated drawing records in its writer field (None for other drawings)."""
    writer = drawing.writer or ""
    return writer[len(WRITER_PREFIX):] if writer.startswith(WRITER_PREFIX) else None


def render_negatives(drawings: Sequence[Drawing], variants: int = 1, seed: int = 0, *,
                     brush_range: tuple[float, float] = DEFAULT_BRUSH_RANGE, settings=None,
                     workers: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
    """Render drawings as the network sees drawn digits -> (images (n, 28, 28) float32,
    source index (n,) int64 into `drawings`)."""
    kwargs = {} if settings is None else {"settings": settings}
    return render_images(drawings, variants, seed, brush_range=brush_range, workers=workers, **kwargs)


def contact_sheet(images: np.ndarray, columns: int = 20, scale: int = 2):
    """A Pillow image of 28x28 inputs (n, 28, 28) in a grid, ink dark on white."""
    from PIL import Image

    n = len(images)
    rows = max(1, -(-n // columns))
    sheet = np.full((rows * 30, columns * 30), 255, np.uint8)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        sheet[r * 30 + 1:r * 30 + 29, c * 30 + 1:c * 30 + 29] = (255 * (1 - np.clip(image, 0, 1))).astype(np.uint8)
    picture = Image.fromarray(sheet, "L")
    return picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate negative drawings (not digits) of one split; "
                                                 "write them as JSON Lines and/or a preview of their 28x28 inputs.")
    parser.add_argument("--split", choices=SPLITS, default="test", help="which split's sources (default test)")
    parser.add_argument("--per-source", type=int, default=20, help="drawings per source (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--digits", type=Path, help="pen-digit file for the sources built from digits "
                                                    "(without it those sources are skipped)")
    parser.add_argument("--writers", nargs="+", help="with --digits: use only these writers' digits")
    parser.add_argument("--out", type=Path, help="write the drawings to this .jsonl file")
    parser.add_argument("--preview", type=Path, help="save their 28x28 inputs as a PNG contact sheet")
    parser.add_argument("--list", action="store_true", help="list the sources and their splits, then stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, source in SOURCES.items():
            print(f"{source.split:5}  {name:15} {source.description}")
        return 0
    if args.per_source < 1:
        print(f"error: --per-source must be at least 1, got {args.per_source}", file=sys.stderr)
        return 2
    digits = None
    try:
        if args.digits:
            digits = [d for d in read_drawings(args.digits) if d.label is not None and not d.is_empty
                      and (not args.writers or d.writer in set(args.writers))]
        drawings = generate_split(args.split, args.per_source, args.seed, digits)
        for drawing in drawings:
            validate_drawing(drawing)
        if args.out:
            write_drawings(args.out, drawings)
    except (DrawingFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(drawings)} negative drawings from {len(sources(args.split))} {args.split} sources"
          + (f" -> {args.out}" if args.out else ""))
    if args.preview:
        images, _ = render_negatives(drawings, seed=args.seed)
        try:
            contact_sheet(images, columns=args.per_source).save(args.preview)
        except OSError as exc:
            print(f"error: {args.preview}: cannot write ({exc.strerror or exc})", file=sys.stderr)
            return 2
        print(f"preview of {len(images)} inputs -> {args.preview}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
