"""Measure the figures behind the pipeline's defaults and print them.

1. MNIST training set: the mean centre of mass (-> PipelineSettings.com_target), and the stroke
   statistics of its digits: stroke width (2 * ink mass / total gradient magnitude, which is the
   width of a stroke of any length, by the coarea formula), mean intensity, share of pixels above
   0.5, and the soft-edge share (pixels in (0.05, 0.5) among pixels above 0.05).
2. Drawn digits (../shared/data/strokes/pendigits-dev.jsonl, scaled to a typical height of 60 % of
   the canvas) rendered with the app's rasteriser at several brush fractions and run through the
   pipeline at several blur sigmas: the same statistics, and (with weights) the accuracy of an
   MNIST-trained model on them.
3. The pick: the blur sigma (at least SLIGHT_BLUR_FLOOR) whose outputs are closest to MNIST's
   statistics (sum of squared relative differences of stroke width, mean intensity and soft-edge
   share), then the brush fraction whose stroke width matches MNIST's at that sigma (interpolated).
   With --weights the accuracies are printed too, to check that the pick is not worse for a model.

    python benchmarks/measure_preprocessing.py [--drawings N] [--canvas 560] [--weights PATH]
        [--brushes F ...] [--sigmas S ...] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from preprocessing.drawing import Drawing, DrawingFormatError, read_drawings  # noqa: E402
from preprocessing.pipeline import DEFAULT_SETTINGS, preprocess  # noqa: E402
from preprocessing.raster import DEFAULT_BRUSH_FRACTION, StrokeRaster  # noqa: E402

PENDIGITS = REPO_ROOT.parent / "shared" / "data" / "strokes" / "pendigits-dev.jsonl"
BRUSH_FRACTIONS = (0.05, 0.06, 0.07, 0.08, 0.085, 0.09, 0.10)
BLUR_SIGMAS = (0.0, 0.1, 0.2, 0.3, 0.5)
#: Below this the Gaussian is narrower than the final area resample's own footprint and changes
#: nothing visible; the issue asks for a slight blur, so the pick never goes below it.
SLIGHT_BLUR_FLOOR = 0.2
TYPICAL_HEIGHT = 0.6


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    """images (n, 28, 28) float -> (n, 2) (row, col), pixel-index coordinates."""
    mass = images.sum(axis=(1, 2))
    index = np.arange(images.shape[1], dtype=np.float64)
    rows = images.sum(axis=2) @ index / mass
    cols = images.sum(axis=1) @ index / mass
    return np.stack([rows, cols], axis=1)


def stroke_statistics(images: np.ndarray) -> dict:
    """images (n, 28, 28) float in [0, 1] -> mean stroke figures over the set."""
    images = images.astype(np.float64)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    gy = np.diff(padded, axis=1)[:, :, :-1]
    gx = np.diff(padded, axis=2)[:, :-1, :]
    gradient = np.sqrt(gx * gx + gy * gy).sum(axis=(1, 2))
    mass = images.sum(axis=(1, 2))
    inked = (images > 0.05).sum(axis=(1, 2))
    soft = ((images > 0.05) & (images <= 0.5)).sum(axis=(1, 2))
    return {
        "stroke_width_px": float(np.mean(2.0 * mass / np.maximum(gradient, 1e-9))),
        "mean_intensity": float(images.mean()),
        "share_above_half": float((images > 0.5).mean()),
        "soft_edge_share": float(np.mean(soft / np.maximum(inked, 1))),
    }


def mismatch(stats: dict, reference: dict) -> float:
    keys = ("stroke_width_px", "mean_intensity", "soft_edge_share")
    return float(sum(((stats[k] - reference[k]) / reference[k]) ** 2 for k in keys))


def at_height(drawing: Drawing, height: float) -> Drawing:
    """The drawing scaled about its centre so that its ink is `height` of the canvas, centred."""
    points = np.array([p for stroke in drawing.strokes for p in stroke], dtype=np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    size = hi - lo
    factor = height / max(size[1], 1e-6)
    factor = min(factor, 0.95 / max(size[0], 1e-6))
    middle = (lo + hi) / 2

    def move(p):
        x, y = (np.array(p) - middle) * factor + 0.5
        return (float(np.clip(x, 0, 1)), float(np.clip(y, 0, 1)))

    return Drawing(strokes=[[move(p) for p in s] for s in drawing.strokes], label=drawing.label,
                   writer=drawing.writer)


def load_mnist_train():
    from model.data import DataError, load_mnist
    try:
        return load_mnist(download=False, progress=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=1000, help="drawn digits to use (default 1000, every k-th)")
    parser.add_argument("--canvas", type=int, default=560, help="canvas side in pixels (default 560)")
    parser.add_argument("--weights", type=Path, default=None,
                        help="an MNIST-trained weights file: also report accuracy on the drawn digits")
    parser.add_argument("--brushes", type=float, nargs="+", default=list(BRUSH_FRACTIONS),
                        help="brush fractions to try")
    parser.add_argument("--sigmas", type=float, nargs="+", default=list(BLUR_SIGMAS), help="blur sigmas to try")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report: dict = {"canvas_px": args.canvas, "typical_height": TYPICAL_HEIGHT}

    data = load_mnist_train()
    if data is None:
        return 2
    train = data.train_images.astype(np.float64) / 255.0
    com = centre_of_mass(train)
    report["mnist_source"] = data.source
    report["mnist_com_mean"] = [round(float(v), 4) for v in com.mean(axis=0)]
    report["mnist_com_std"] = [round(float(v), 4) for v in com.std(axis=0)]
    report["mnist_com_standard_error"] = [round(float(v), 5) for v in com.std(axis=0) / np.sqrt(len(com))]
    reference = stroke_statistics(train)
    report["mnist_train"] = reference

    model = None
    if args.weights is not None:
        from model.weights_io import WeightsError, load_weights
        try:
            model, _ = load_weights(args.weights)
        except WeightsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        report["weights"] = str(args.weights)

    if not PENDIGITS.is_file():
        report["drawn"] = f"skipped: {PENDIGITS} is absent"
    else:
        try:
            drawings = read_drawings(PENDIGITS)
        except DrawingFormatError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        every = max(1, len(drawings) // args.drawings)
        drawings = [at_height(d, TYPICAL_HEIGHT) for d in drawings[::every][: args.drawings]]
        labels = np.array([d.label for d in drawings])
        report["drawn_count"] = len(drawings)
        grid = []
        for brush in args.brushes:
            rasters = []
            for drawing in drawings:
                raster = StrokeRaster(args.canvas, brush * args.canvas)
                raster.draw(drawing)
                rasters.append(raster.pixels)
            for sigma in args.sigmas:
                settings = replace(DEFAULT_SETTINGS, blur_sigma=sigma)
                images = np.stack([preprocess(r, settings).image for r in rasters])
                stats = stroke_statistics(images)
                row = {"brush_fraction": brush, "blur_sigma": sigma, **stats,
                       "mismatch": mismatch(stats, reference)}
                if model is not None:
                    row["accuracy"] = float(np.mean(model.predict(images.reshape(len(images), 784)) == labels))
                grid.append(row)
            del rasters
        report["grid"] = grid
        best = min(grid, key=lambda r: r["mismatch"])
        report["closest_to_mnist"] = {"brush_fraction": best["brush_fraction"], "blur_sigma": best["blur_sigma"]}
        blurred = [r for r in grid if r["blur_sigma"] >= SLIGHT_BLUR_FLOOR] or grid
        pick_sigma = min(blurred, key=lambda r: r["mismatch"])["blur_sigma"]
        at_sigma = sorted((r for r in grid if r["blur_sigma"] == pick_sigma), key=lambda r: r["stroke_width_px"])
        widths = np.array([r["stroke_width_px"] for r in at_sigma])
        brushes = np.array([r["brush_fraction"] for r in at_sigma])
        pick_brush = float(np.interp(reference["stroke_width_px"], widths, brushes))
        report["pick"] = {"blur_sigma": pick_sigma, "brush_fraction": round(pick_brush, 3)}
        if model is not None:
            top = max(grid, key=lambda r: r["accuracy"])
            report["most_accurate"] = {"brush_fraction": top["brush_fraction"], "blur_sigma": top["blur_sigma"],
                                       "accuracy": top["accuracy"]}
    report["defaults"] = {"brush_fraction": DEFAULT_BRUSH_FRACTION, "blur_sigma": DEFAULT_SETTINGS.blur_sigma,
                          "com_target": list(DEFAULT_SETTINGS.com_target)}
    report["seconds"] = round(time.perf_counter() - started, 1)

    if args.json:
        print(json.dumps(report))
        return 0
    print(f"MNIST ({report['mnist_source']}), {len(train)} training digits")
    print(f"  centre of mass (row, col): {report['mnist_com_mean']} "
          f"(std {report['mnist_com_std']}, standard error {report['mnist_com_standard_error']})")
    print("  " + ", ".join(f"{k} {v:.4f}" for k, v in reference.items()))
    if "grid" in report:
        print(f"Drawn digits: {report['drawn_count']} pendigits drawings at {TYPICAL_HEIGHT:.0%} of a "
              f"{args.canvas} px canvas")
        header = f"  {'brush':>6} {'sigma':>5} {'width':>6} {'mean':>6} {'>0.5':>6} {'soft':>6} {'mismatch':>8}"
        print(header + ("  accuracy" if model is not None else ""))
        for r in report["grid"]:
            line = (f"  {r['brush_fraction']:6.3f} {r['blur_sigma']:5.2f} {r['stroke_width_px']:6.3f} "
                    f"{r['mean_intensity']:6.4f} {r['share_above_half']:6.4f} {r['soft_edge_share']:6.4f} "
                    f"{r['mismatch']:8.4f}")
            if model is not None:
                line += f"  {r['accuracy']:.4f}"
            print(line)
        print(f"  closest to MNIST: {report['closest_to_mnist']}")
        print(f"  pick (sigma >= {SLIGHT_BLUR_FLOOR} closest to MNIST, brush matching MNIST's stroke width "
              f"there): {report['pick']}")
        if "most_accurate" in report:
            print(f"  most accurate with {args.weights}: {report['most_accurate']}")
    else:
        print(f"Drawn digits: {report['drawn']}")
    print(f"Defaults in the code: {report['defaults']}  ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
