"""How well pictures of digits are read: the old image path against the picture steps, per family.

    python benchmarks/image_import.py [--per-family N] [--split report|tune] [--weights PATH]
                                      [--folds DIR] [--families NAME ...] [--json]

Test images are built here, in memory, from two sources:

- MNIST test digits (../shared/data/mnist; skipped with a note when absent): saved as PNG at
  28 px and enlarged, binarised, thickened, thinned, dark on light, with noise and specks, blurred,
  and as low-quality JPEG. Tune split: the first 5,000 test digits; report split: the last 5,000.
- the pen digits of pendigits-dev (../shared/data/strokes): drawn with a thick marker and reduced
  to 16x16 and 32x32 one-bit bitmaps, and as synthetic photos (paper grain, gradient lighting, a
  soft shadow, ruled lines on some, a slight rotation, JPEG). Tune split: the writers at even
  places in sorted order; report split: the others.

"before" is the old path (`pipeline.raster_from_image` then `preprocess`); "after" is the picture
steps (`preprocessing.image_input.read_picture`, what the app and `app.read` use). Both are read
by the same weights and scored on the top digit.

Honesty: the bundled weights were trained on the pendigits-dev writers, so with them the pen
families measure pictures of drawings the model has seen as strokes (the JSON says so:
`pen_writers_seen_in_training`). `--folds DIR` (writer_cv.py --keep DIR) reads each writer with
the fold model that never saw them instead. The thresholds of the picture steps were chosen on the
tune split; quote the report split.

It also times one 3000x4000 JPEG photo from file to network input (best of a few runs).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from scipy import ndimage  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.controller import rule_from_metadata, settings_from_metadata  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, load_weights  # noqa: E402
from preprocessing.drawing import Drawing, read_drawings  # noqa: E402
from preprocessing.image_input import read_picture  # noqa: E402
from preprocessing.pipeline import ImageError, preprocess, raster_from_image  # noqa: E402
from preprocessing.raster import render_drawing  # noqa: E402

SHARED = Path(os.environ.get("DIGITPAD_SHARED", REPO.parent / "shared"))
MNIST_FAMILIES = ("mnist_png28", "mnist_sizes", "mnist_binary", "mnist_thick", "mnist_thin", "mnist_dark_on_light",
                  "mnist_noise", "mnist_blur", "mnist_jpeg")
PEN_FAMILIES = ("pen_bitmap16", "pen_bitmap32", "pen_photo")


# ----------------------------------------------------------------------------- image builders

def _png(image: Image.Image) -> Image.Image:
    """Through a PNG file's bytes, as a file opened from disk would be."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return Image.open(buffer)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


def mnist_image(family: str, digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """One MNIST test digit (28, 28) uint8, light ink on black, as a picture of `family`."""
    base = Image.fromarray(digit)
    if family == "mnist_png28":
        return _png(base)
    if family == "mnist_sizes":
        side = int(rng.choice([56, 112, 200, 300]))
        return _png(base.resize((side, side), Image.BILINEAR))
    if family == "mnist_binary":
        return _png(Image.fromarray(((digit > 127) * 255).astype(np.uint8)).convert("1"))
    if family == "mnist_thick":
        big = np.asarray(base.resize((84, 84), Image.BILINEAR))
        return _png(Image.fromarray(ndimage.grey_dilation(big, size=(int(rng.integers(5, 8)),) * 2)))
    if family == "mnist_thin":
        big = np.asarray(base.resize((84, 84), Image.BILINEAR)).astype(np.float32)
        thin = ndimage.grey_erosion(big, size=(5, 5))
        thin = np.clip(thin * 255.0 / max(float(thin.max()), 1.0), 0, 255).astype(np.uint8)
        return _png(Image.fromarray(thin))
    if family == "mnist_dark_on_light":
        return _png(Image.fromarray(255 - digit).resize((56, 56), Image.BILINEAR))
    if family == "mnist_noise":
        big = np.asarray(base.resize((56, 56), Image.BILINEAR)).astype(np.float32)
        big += rng.normal(0, 30, big.shape)
        specks = rng.random(big.shape) < 0.004
        big[specks] = 255
        return _png(Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)))
    if family == "mnist_blur":
        return _png(base.resize((56, 56), Image.BILINEAR).filter(ImageFilter.GaussianBlur(2.0)))
    if family == "mnist_jpeg":
        return _jpeg(Image.fromarray(255 - digit).resize((56, 56), Image.BILINEAR), int(rng.integers(10, 25)))
    raise ValueError(family)


def _marker(drawing: Drawing, side: int, brush: float) -> np.ndarray:
    """The drawing with a thick marker, cropped to its ink with a small margin, (n, n) float in [0, 1]."""
    pixels = render_drawing(Drawing(strokes=drawing.strokes), 256, brush * 256)
    rows = np.flatnonzero(pixels.max(axis=1) > 0.5)
    cols = np.flatnonzero(pixels.max(axis=0) > 0.5)
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    margin = int(0.08 * extent)
    half = extent // 2 + margin
    cr, cc = (rows[0] + rows[-1]) // 2, (cols[0] + cols[-1]) // 2
    padded = np.pad(pixels, half + 2)
    crop = padded[cr + 2: cr + 2 + 2 * half, cc + 2: cc + 2 + 2 * half]
    return np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize((side, side), Image.BOX))


def pen_bitmap(drawing: Drawing, side: int, rng: np.random.Generator) -> Image.Image:
    """A thick marker digit as a one-bit bitmap of side x side pixels (black ink on white)."""
    brush = float(rng.uniform(0.06, 0.10))
    small = _marker(drawing, side, brush)
    return _png(Image.fromarray(np.where(small > 0.5, 0, 255).astype(np.uint8)).convert("1"))


def pen_photo(drawing: Drawing, rng: np.random.Generator) -> Image.Image:
    """A synthetic phone photo of the digit written with a marker on paper, as a JPEG."""
    h, w = int(rng.integers(360, 640)), int(rng.integers(360, 640))
    side = int(min(h, w) * rng.uniform(0.45, 0.75))
    ink = _marker(drawing, side, float(rng.uniform(0.03, 0.07)))
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    # Paper: grain plus a lighting gradient in a random direction.
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * cols / w + np.sin(angle) * rows / h)
    light = 0.92 - float(rng.uniform(0.15, 0.35)) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)).astype(np.float32), 1.2) * 0.03
    paper = np.clip(light + grain, 0, 1)
    if rng.random() < 0.5:  # ruled lines, light blue-grey
        gap = int(rng.integers(28, 48))
        for y in range(int(rng.integers(5, gap)), h, gap):
            paper[y:y + 2, :] *= 0.78
    # The digit, placed off-centre a little.
    top = int(rng.integers(0, h - side + 1))
    left = int(rng.integers(0, w - side + 1))
    darkness = np.zeros((h, w), np.float32)
    darkness[top:top + side, left:left + side] = ink * float(rng.uniform(0.65, 0.85))
    picture = paper * (1 - darkness)
    # A soft shadow (a hand or the phone) over one side.
    if rng.random() < 0.7:
        edge = rng.uniform(0.2, 0.8)
        direction = rng.uniform(0, 2 * np.pi)
        along = (np.cos(direction) * (cols / w - 0.5) + np.sin(direction) * (rows / h - 0.5)) + 0.5 - edge
        shade = 1.0 - float(rng.uniform(0.25, 0.45)) / (1.0 + np.exp(-along * 25))
        picture = picture * shade
    tint = np.array([1.0, 0.98, 0.93], np.float32)  # warm paper
    rgb = np.clip(picture[..., None] * tint * 255, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB").rotate(float(rng.uniform(-6, 6)), resample=Image.BILINEAR,
                                               fillcolor=tuple(int(v) for v in rgb[0, 0]))
    return _jpeg(image, int(rng.integers(40, 80)))


def big_photo(rng: np.random.Generator, drawing: Drawing) -> bytes:
    """A 3000x4000 JPEG photo of a digit, as bytes."""
    small = pen_photo(drawing, rng).convert("RGB").resize((3000, 4000), Image.BILINEAR)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- reading

class Reader:
    """A model and how it judges: top digits for a batch of network inputs."""

    def __init__(self, path: Path) -> None:
        self.model, self.metadata = load_weights(path)
        self.settings = settings_from_metadata(self.metadata, str(path))
        self.rule = rule_from_metadata(self.metadata, str(path))

    def digit(self, image: np.ndarray | None) -> int | None:
        if image is None:
            return None
        logits = self.model.forward(np.asarray(image, np.float32).reshape(1, 784), training=False)
        return int(self.rule.judge(logits)[0][0])


def read_before(reader: Reader, picture: Image.Image) -> int | None:
    try:
        result = preprocess(raster_from_image(picture), reader.settings)
    except ImageError:
        return None
    return None if result.empty else reader.digit(result.image)


def read_after(reader: Reader, picture: Image.Image) -> tuple[int | None, str | None]:
    try:
        reading = read_picture(picture, reader.settings)
    except ImageError:
        return None, "error"
    result = reading.result
    return (None if result.empty else reader.digit(result.image)), reading.ink.note


def score(family: str, cases, readers) -> dict:
    """cases: iterable of (image, label, reader); returns n, before, after, several-digit notes."""
    n = before = after = notes = 0
    seconds = 0.0
    for picture, label, reader in cases:
        n += 1
        before += read_before(reader, picture) == label
        started = time.perf_counter()
        digit, note = read_after(reader, picture)
        seconds += time.perf_counter() - started
        after += digit == label
        notes += note is not None
    return {"family": family, "n": n, "before": before / n if n else None, "after": after / n if n else None,
            "notes": notes, "after_ms_per_image": round(1000 * seconds / n, 1) if n else None}


def mnist_cases(family: str, images, labels, indices, reader, seed: int):
    rng = np.random.default_rng([seed, MNIST_FAMILIES.index(family)])
    for i in indices:
        yield mnist_image(family, images[i], rng), int(labels[i]), reader


def pen_cases(family: str, drawings, reader_for, seed: int):
    rng = np.random.default_rng([seed, 100 + PEN_FAMILIES.index(family)])
    for drawing in drawings:
        if family == "pen_photo":
            picture = pen_photo(drawing, rng)
        else:
            picture = pen_bitmap(drawing, 16 if family == "pen_bitmap16" else 32, rng)
        yield picture, drawing.label, reader_for(drawing.writer)


def time_big_photo(reader: Reader, drawing: Drawing, runs: int = 3) -> dict:
    rng = np.random.default_rng(7)
    data = big_photo(rng, drawing)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        picture = Image.open(io.BytesIO(data))
        reading = read_picture(picture, reader.settings)
        reader.digit(reading.result.image)
        best = min(best, time.perf_counter() - started)
    return {"size": "3000x4000", "jpeg_bytes": len(data), "best_seconds": round(best, 3), "runs": runs,
            "digit": reader.digit(reading.result.image), "label": drawing.label}


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-family", type=int, default=200, metavar="N", help="images per family (default 200)")
    parser.add_argument("--split", choices=("report", "tune"), default="report",
                        help="report (default): the half the thresholds were not chosen on")
    parser.add_argument("--weights", type=Path, default=BUNDLED_WEIGHTS, help="weights (default: bundled)")
    parser.add_argument("--folds", type=Path, metavar="DIR",
                        help="writer-CV fold models (DIR/fold*.npz): each pen writer read by the fold that never saw them")
    parser.add_argument("--families", nargs="+", metavar="NAME", help=f"only these ({', '.join(MNIST_FAMILIES + PEN_FAMILIES)})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-timing", action="store_true", help="skip timing the 3000x4000 photo")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    wanted = set(args.families or MNIST_FAMILIES + PEN_FAMILIES)
    unknown = wanted - set(MNIST_FAMILIES + PEN_FAMILIES)
    if unknown:
        parser.error(f"unknown families: {sorted(unknown)}")
    reader = Reader(args.weights)
    results: list[dict] = []
    notes: list[str] = []
    mnist_dir = SHARED / "data" / "mnist"
    if wanted & set(MNIST_FAMILIES):
        if (mnist_dir / "t10k-images-idx3-ubyte.gz").is_file():
            from model.data import load_mnist
            data = load_mnist(mnist_dir, download=False, progress=False, test_only=True)
            half = np.arange(5000) if args.split == "tune" else np.arange(5000, 10000)
            indices = half[np.linspace(0, half.size - 1, min(args.per_family, half.size)).astype(int)]
            for family in MNIST_FAMILIES:
                if family in wanted:
                    results.append(score(family, mnist_cases(family, data.test_images, data.test_labels,
                                                             indices, reader, args.seed), None))
        else:
            notes.append(f"MNIST families skipped: no MNIST at {mnist_dir}")
    strokes = SHARED / "data" / "strokes" / "pendigits-dev.jsonl"
    pen_seen = None
    drawings = []
    if wanted & set(PEN_FAMILIES) or not args.no_timing:
        if strokes.is_file():
            everything = read_drawings(strokes)
            writers = sorted({d.writer for d in everything})
            split = set(writers[0::2] if args.split == "tune" else writers[1::2])
            pool = [d for d in everything if d.writer in split and d.label is not None]
            picks = np.linspace(0, len(pool) - 1, min(args.per_family, len(pool))).astype(int)
            drawings = [pool[i] for i in picks]
        else:
            notes.append(f"pen families skipped: no drawings at {strokes}")
    if drawings and wanted & set(PEN_FAMILIES):
        if args.folds:
            from benchmarks.personalise import fold_bases
            folds = [(Reader(path), unseen) for path, unseen in fold_bases(args.folds, strokes)]

            def reader_for(writer):
                for fold_reader, unseen in folds:
                    if writer in unseen:
                        return fold_reader
                raise SystemExit(f"no fold model in {args.folds} left writer {writer} out")
            pen_seen = False
        else:
            def reader_for(writer):
                return reader
            pen_seen = True
            notes.append("the pen families are read by the bundled model, which was trained on these writers' "
                         "strokes (not on these pictures); --folds DIR reads each writer with a model that never saw them")
        for family in PEN_FAMILIES:
            if family in wanted:
                results.append(score(family, pen_cases(family, drawings, reader_for, args.seed), None))
    timing = None
    if not args.no_timing and drawings:
        timing = time_big_photo(reader, drawings[0])
    report = {"split": args.split, "per_family": args.per_family, "weights": str(args.weights),
              "pen_writers_seen_in_training": pen_seen, "families": results, "big_photo": timing, "notes": notes}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"split: {args.split}; weights: {args.weights}")
    print(f"{'family':22s} {'n':>5s} {'before':>8s} {'after':>8s} {'notes':>6s} {'ms/img':>7s}")
    for row in results:
        print(f"{row['family']:22s} {row['n']:5d} {100 * row['before']:7.1f}% {100 * row['after']:7.1f}% "
              f"{row['notes']:6d} {row['after_ms_per_image']:7.1f}")
    if timing:
        print(f"3000x4000 JPEG photo, file to network input and reading: {timing['best_seconds']:.3f} s "
              f"(best of {timing['runs']}; read {timing['digit']}, label {timing['label']})")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
