"""Robustness to how people draw: replay accuracy small vs large, thinnest vs thickest brush.

    python benchmarks/robustness.py [--weights PATH ...] [--drawings FILE.jsonl] [--limit N] [--mouse] [--json]

Every drawing is re-placed on the canvas (centred) at 35 % and at 85 % of the canvas height with
the app's default brush, and at 60 % height with the thinnest and with the thickest brush the app
offers (preprocessing.raster.MIN_BRUSH_FRACTION / MAX_BRUSH_FRACTION), then replayed through the app's
controller (app.replay.evaluate). The spreads (large - small, thick - thin) are printed in
percentage points. Weights whose preprocessing has an `input_pen` (the bundled ones do) read every
drawing with a pen scaled to the digit, so the brush leaves their input unchanged and the size
changes it only by pixel sampling; the benchmark measures that rather than assuming it.

With --mouse, two more conditions ask how the sampling of another device changes the reading:
each drawing (as recorded, default brush) is resampled the way a mouse reports it, a point every
3 px along the strokes on the app's canvas at its default size (448 px) at whole-pixel positions ("mouse"), and the same
with a hand's 1.5 px tremor added (Gaussian, seeded: "shaky mouse"). Pen digits are sampled far
more sparsely (about 40 points a digit).

Honest by construction: a weights file is only scored on writers it never trained on, read from its
metadata (writers excluded with --exclude-writers, or every writer when the drawing file was not in
its training data). The bundled weights train on every pen-digit writer, so pass the fold weights
kept by `benchmarks/writer_cv.py --keep DIR` (several --weights are pooled: each scores its own
held-out writers).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# The drawings writer_cv.py's fold models are trained and held out on.
from benchmarks.writer_cv import DEFAULT_DRAWINGS  # noqa: E402
from preprocessing.raster import DEFAULT_CANVAS_PX  # noqa: E402
SMALL, LARGE, MIDDLE = 0.35, 0.85, 0.60
#: --mouse: a point every MOUSE_STEP_PX along the strokes, at whole pixels of a MOUSE_CANVAS_PX canvas.
MOUSE_STEP_PX, MOUSE_CANVAS_PX, TREMOR_PX = 3.0, DEFAULT_CANVAS_PX, 1.5


def as_mouse_drawing(drawing, rng, tremor_px: float = 0.0, step_px: float = MOUSE_STEP_PX,
                     canvas_px: int = MOUSE_CANVAS_PX):
    """`drawing` as a mouse would report it: points every `step_px` along each stroke, plus
    Gaussian tremor of `tremor_px` (from `rng`), rounded to whole pixels of the canvas."""
    from preprocessing.drawing import Drawing

    strokes = []
    for stroke in drawing.strokes:
        points = np.asarray(stroke, dtype=np.float64) * canvas_px
        dense = [points[:1]]
        for start, end in zip(points, points[1:]):
            steps = max(1, int(np.hypot(*(end - start)) / step_px))
            dense.append(start + (end - start) * (np.arange(1, steps + 1)[:, None] / steps))
        dense = np.concatenate(dense)
        if tremor_px > 0:
            dense = dense + rng.normal(0.0, tremor_px, dense.shape)
        dense = np.clip(np.round(dense), 0, canvas_px) / canvas_px
        strokes.append([(float(x), float(y)) for x, y in dense])
    return Drawing(strokes=strokes, label=drawing.label, writer=drawing.writer,
                   widths=drawing.widths, erase=drawing.erase)


def conditions():
    from preprocessing.raster import DEFAULT_BRUSH_FRACTION, MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION

    return {
        "small": (SMALL, DEFAULT_BRUSH_FRACTION),
        "large": (LARGE, DEFAULT_BRUSH_FRACTION),
        "thin": (MIDDLE, MIN_BRUSH_FRACTION),
        "thick": (MIDDLE, MAX_BRUSH_FRACTION),
        "default": (MIDDLE, DEFAULT_BRUSH_FRACTION),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Replay accuracy for small/large digits and thin/thick "
                                                 "brushes, on writers the weights never saw.")
    parser.add_argument("--weights", type=Path, nargs="+", help="weights file(s) (default: the bundled one)")
    parser.add_argument("--drawings", type=Path, default=DEFAULT_DRAWINGS,
                        help="drawing file (.jsonl; default: the developers' pen digits)")
    parser.add_argument("--limit", type=int, help="score at most N drawings per weights file")
    parser.add_argument("--record-into", type=Path, metavar="WEIGHTS",
                        help="also store the summary (with this command) in that weights file's metadata "
                             f"under results.robustness")
    parser.add_argument("--mouse", action="store_true",
                        help="also replay every drawing resampled like a mouse, steady and shaky")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    from app.controller import DigitPadController
    from app.replay import evaluate
    from benchmarks.writer_cv import held_out_writers
    from model.weights_io import BUNDLED_WEIGHTS, WeightsError
    from preprocessing.drawing import DrawingFormatError, read_drawings
    from preprocessing.drawn_samples import place
    from preprocessing.raster import DEFAULT_BRUSH_FRACTION

    try:
        drawings = read_drawings(args.drawings)
        controllers = [(w, DigitPadController.from_weights(w)) for w in (args.weights or [BUNDLED_WEIGHTS])]
    except (DrawingFormatError, WeightsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cases = conditions()
    if args.mouse:
        cases.update({"mouse": ("as drawn", DEFAULT_BRUSH_FRACTION, 0.0),
                      "shaky mouse": ("as drawn", DEFAULT_BRUSH_FRACTION, TREMOR_PX)})
    totals = {name: [0, 0] for name in cases}
    scored = []
    for path, controller in controllers:
        unseen = held_out_writers(controller.metadata, args.drawings)
        mine = [d for d in drawings if unseen is None or d.writer in unseen]
        if args.limit:
            mine = mine[:args.limit]
        if not mine:
            print(f"error: {path} trained on every writer of {args.drawings}; nothing can be scored "
                  "honestly (use fold weights from benchmarks/writer_cv.py --keep DIR)", file=sys.stderr)
            return 2
        scored.append({"weights": str(path), "drawings": len(mine),
                       "writers": sorted({d.writer for d in mine if d.writer})})
        for name, (height, brush, *tremor) in cases.items():
            if tremor:
                rng = np.random.default_rng(0)
                placed = [as_mouse_drawing(d, rng, tremor[0]) for d in mine]
            else:
                placed = [place(d, height, (0.5, 0.5)) for d in mine]
            summary = evaluate(controller, placed, brush_fraction=brush)
            correct = round(summary["accuracy"] * summary["n"])
            totals[name][0] += correct
            totals[name][1] += summary["n"]
    accuracy = {name: c / n for name, (c, n) in totals.items()}
    result = {
        "drawings": str(args.drawings), "n": totals["default"][1], "scored": scored,
        "conditions": {name: {"height": h, "brush": b, **({"tremor_px": t[0]} if t else {})}
                       for name, (h, b, *t) in cases.items()},
        "accuracy": accuracy,
        "size_spread_pp": (accuracy["large"] - accuracy["small"]) * 100,
        "brush_spread_pp": (accuracy["thick"] - accuracy["thin"]) * 100,
    }
    if args.record_into:
        from benchmarks.writer_cv import record_results

        record_results(args.record_into, "robustness", {
            "n": result["n"], "accuracy": accuracy, "size_spread_pp": result["size_spread_pp"],
            "brush_spread_pp": result["brush_spread_pp"], "conditions": result["conditions"],
            "weights_scored": [s["weights"] for s in scored]},
            "benchmarks/robustness.py", sys.argv[1:] if argv is None else argv)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['n']} drawings by writers the weights never saw ({len(scored)} weights file(s))")
        for name, (height, brush, *tremor) in cases.items():
            where = f"height {height:.0%}" if not tremor else f"as drawn, tremor {tremor[0]:g} px"
            print(f"  {name:<11} {where} brush {brush:.3f}: {accuracy[name] * 100:.2f} %")
        print(f"size spread (large - small): {result['size_spread_pp']:+.2f} pp")
        print(f"brush spread (thick - thin): {result['brush_spread_pp']:+.2f} pp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
