"""Replay drawn digits through the app's own controller, as if a person drew them.

    python -m app.replay FILE.jsonl [--weights PATH] [--json] [--canvas PX] [--brush FRACTION]

Each drawing is fed stroke by stroke and point by point through `DigitPadController.pen_down`,
`pen_move` and `pen_up`, the very methods the window calls for mouse events, so the accuracy
reported here is the accuracy a person drawing in the app gets. Labelled drawings are scored
(accuracy, per class, per writer, confusion matrix with rows = true label); unlabelled ones are
classified and listed.

The file is read as a stream (`preprocessing.drawing.iter_drawings`), one drawing at a time, and
the summary has a bounded size (at most `MAX_WRITERS` writers and `MAX_LISTED` unlabelled drawings
listed), so memory does not grow with the file. On a terminal, progress is shown on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence, TextIO

import numpy as np

from app.controller import ERASER_WIDTH_FACTOR, DigitPadController, Reading, describe_model
from model.evaluation import format_confusion, per_class_accuracy
from model.verdict import VERDICTS
from model.oneline import escape, one_line
from model.weights_io import BUNDLED_WEIGHTS, WeightsError
from preprocessing.drawing import Drawing, DrawingFormatError, iter_drawings
from preprocessing.raster import (DEFAULT_BRUSH_FRACTION, DEFAULT_CANVAS_PX, MAX_BRUSH_FRACTION,
                                  MIN_BRUSH_FRACTION)

#: Writers scored separately; drawings of further writers are counted under OTHER_WRITERS.
MAX_WRITERS = 1000
OTHER_WRITERS = "(other writers)"
#: Writer names are kept to this many characters.
MAX_WRITER_CHARS = 100
#: Unlabelled drawings listed one by one; the rest are only counted.
MAX_LISTED = 10000


#: How the report names each verdict.
VERDICT_WORDS = {"sure": "sure", "unsure": "not sure", "not_digit": "not a digit", "empty": "empty"}

def replay_drawing(controller: DigitPadController, drawing: Drawing,
                   brush_fraction: float | None = None) -> Reading:
    """Clear the controller's canvas, draw `drawing` through its pen events, return the reading.

    Strokes with a recorded width use it; the others use `brush_fraction` (default: the
    controller's current brush). Eraser strokes are drawn with the eraser. The controller's brush
    is left as it was.
    """
    original_brush = controller.brush_fraction
    default_brush = original_brush if brush_fraction is None else brush_fraction
    side = controller.canvas_px
    widths = drawing.widths or [None] * len(drawing.strokes)
    erase_flags = drawing.erase or [False] * len(drawing.strokes)
    controller.clear()
    try:
        for points, width, erase in zip(drawing.strokes, widths, erase_flags):
            if not points:
                continue
            erase = bool(erase)
            # A recorded width is the stroke's real width; the eraser widens only the default brush.
            if width is not None:
                controller.set_brush(width / ERASER_WIDTH_FACTOR if erase else width)
            else:
                controller.set_brush(default_brush)
            (x, y), rest = points[0], points[1:]
            controller.pen_down(x * side, y * side, erase=erase)
            for x, y in rest:
                controller.pen_move(x * side, y * side)
            controller.pen_up()
    finally:
        controller.set_brush(original_brush)
    return controller.reading()


def evaluate(controller: DigitPadController, drawings: Iterable[Drawing],
             brush_fraction: float | None = None, progress: TextIO | None = None) -> dict[str, Any]:
    """Replay every drawing and summarise: n, accuracy, per_class, per_writer, confusion, predictions.

    `drawings` is consumed one at a time (a stream is fine). The summary's size is bounded: at most
    MAX_WRITERS writers (later ones are pooled as OTHER_WRITERS) and MAX_LISTED predictions
    (``unlabelled`` counts them all). With `progress`, a counter is redrawn there.
    """
    confusion = np.zeros((10, 10), np.int64)
    writer_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unlabelled: list[dict[str, Any]] = []
    unlabelled_count = empty_labelled = sure_wrong = 0
    verdicts = dict.fromkeys(VERDICTS, 0)
    counter = _Progress(progress)
    try:
        for index, drawing in enumerate(drawings):
            counter.show(index)
            reading = replay_drawing(controller, drawing, brush_fraction)
            verdicts[reading.verdict] += 1
            writer = None if drawing.writer is None else drawing.writer[:MAX_WRITER_CHARS]
            if drawing.label is None:
                unlabelled_count += 1
                if len(unlabelled) < MAX_LISTED:
                    unlabelled.append({
                        "index": index, "writer": writer, "digit": reading.digit,
                        "confidence": round(reading.confidence, 4), "verdict": reading.verdict,
                    })
                continue
            if reading.digit is None:
                # An empty labelled drawing cannot be right; count it against its class.
                empty_labelled += 1
                predicted_ok = False
            else:
                confusion[drawing.label, reading.digit] += 1
                predicted_ok = reading.digit == drawing.label
                sure_wrong += int(reading.verdict == "sure" and not predicted_ok)
            key = writer or "(unknown)"
            if key not in writer_counts and len(writer_counts) >= MAX_WRITERS:
                key = OTHER_WRITERS
            counts = writer_counts[key]
            counts[0] += int(predicted_ok)
            counts[1] += 1
    finally:
        counter.done()  # a reading error then prints on a clean line
    per_class_total = confusion.sum(axis=1)
    n = int(sum(total for _, total in writer_counts.values()))
    correct = int(np.trace(confusion))
    return {
        "n": n,
        "accuracy": correct / n if n else None,
        "per_class": {str(d): accuracy for d, accuracy in enumerate(per_class_accuracy(confusion))},
        "per_class_n": {str(d): int(per_class_total[d]) for d in range(10)},
        "per_writer": {w: c / t for w, (c, t) in sorted(writer_counts.items())},
        "per_writer_n": {w: t for w, (_, t) in sorted(writer_counts.items())},
        "confusion": confusion.tolist(),
        "empty_labelled": empty_labelled,
        "verdicts": verdicts,
        "sure_wrong": sure_wrong,
        "unlabelled": unlabelled_count,
        "predictions": unlabelled,
    }


class _Progress:
    """'replayed N drawings' redrawn on one line at most ten times a second; nothing without a stream."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.shown = time.monotonic()
        self.count = 0

    def show(self, index: int) -> None:
        self.count = index
        if self.stream is not None and time.monotonic() - self.shown > 0.1:
            self.stream.write(f"\rreplayed {index:,} drawings")
            self.stream.flush()
            self.shown = time.monotonic()

    def done(self) -> None:
        if self.stream is not None and self.count:
            self.stream.write("\r" + " " * 40 + "\r")  # leaves the line empty for what follows
            self.stream.flush()


def format_report(summary: dict[str, Any], source: str, model_line: str) -> str:
    """A human-readable report of `evaluate`'s summary."""
    lines = [f"replay of {source}", f"model: {model_line}"]
    counts = summary["verdicts"]
    lines.append("verdicts: " + ", ".join(f"{VERDICT_WORDS[v]} {counts[v]}" for v in VERDICTS))
    if summary["n"]:
        lines.append(f"labelled drawings: {summary['n']}, accuracy {summary['accuracy'] * 100:.2f} %, "
                     f"sure and wrong {summary['sure_wrong']} ({summary['sure_wrong'] / summary['n'] * 100:.2f} %)")
        if summary["empty_labelled"]:
            lines.append(f"  ({summary['empty_labelled']} labelled drawings had no ink)")
        lines.append("per class:")
        for digit in range(10):
            value = summary["per_class"][str(digit)]
            count = summary["per_class_n"][str(digit)]
            lines.append(f"  {digit}: " + (f"{value * 100:6.2f} %  (n={count})" if value is not None else "   -"))
        lines.append("per writer:")
        for writer, value in summary["per_writer"].items():
            lines.append(f"  {escape(writer, 40):>16}: {value * 100:6.2f} %  (n={summary['per_writer_n'][writer]})")
        lines.append(format_confusion(summary["confusion"]))
    else:
        lines.append("no labelled drawings")
    if summary["predictions"]:
        lines.append(f"unlabelled drawings: {summary['unlabelled']}")
        for p in summary["predictions"]:
            what = "no ink" if p["digit"] is None else f"{p['digit']} ({p['confidence'] * 100:.0f} %, {p['verdict']})"
            lines.append(f"  #{p['index']}" + (f" [{escape(p['writer'], 40)}]" if p["writer"] else "") + f": {what}")
        if summary["unlabelled"] > len(summary["predictions"]):
            lines.append(f"  ... and {summary['unlabelled'] - len(summary['predictions'])} more")
    return "\n".join(lines)


def _brush_fraction(text: str) -> float:
    value = float(text)
    if not MIN_BRUSH_FRACTION <= value <= MAX_BRUSH_FRACTION:
        raise argparse.ArgumentTypeError(
            f"brush must be between {MIN_BRUSH_FRACTION} and {MAX_BRUSH_FRACTION} (fraction of the canvas side)")
    return value


def _canvas_px(text: str) -> int:
    value = int(text)
    if not 28 <= value <= 2000:
        raise argparse.ArgumentTypeError("canvas must be between 28 and 2000 pixels")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.replay",
        description="Replay drawn digits (JSON Lines drawing format) through the app's controller "
                    "and report accuracy per class, per writer and the confusion matrix.")
    parser.add_argument("drawings", metavar="FILE.jsonl", help="drawings in the project's drawing format")
    parser.add_argument("--weights", metavar="PATH", default=None,
                        help=f"weights file (default: the bundled {BUNDLED_WEIGHTS.name})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    parser.add_argument("--canvas", type=_canvas_px, default=DEFAULT_CANVAS_PX, metavar="PX",
                        help=f"canvas side in pixels (default {DEFAULT_CANVAS_PX}, the window's default)")
    parser.add_argument("--brush", type=_brush_fraction, default=DEFAULT_BRUSH_FRACTION, metavar="FRACTION",
                        help=f"brush width as a fraction of the canvas side (default {DEFAULT_BRUSH_FRACTION:g}); "
                             "it changes what the network reads only for weights without an input pen "
                             "(preprocessing setting input_pen 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    weights = Path(args.weights) if args.weights else BUNDLED_WEIGHTS
    progress = sys.stderr if sys.stderr.isatty() else None
    try:
        controller = DigitPadController.from_weights(weights, canvas_px=args.canvas, brush_fraction=args.brush)
        summary = evaluate(controller, iter_drawings(args.drawings), args.brush, progress)
    except (DrawingFormatError, WeightsError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # unreadable path not already wrapped by the readers
        print(f"error: {one_line(f'{exc.filename or args.drawings}: {exc.strerror or exc}')}", file=sys.stderr)
        return 2
    summary["weights"] = str(weights)
    summary["canvas_px"] = args.canvas
    summary["brush_fraction"] = args.brush
    report = json.dumps(summary) if args.json else format_report(summary, escape(args.drawings, 200),
                                                                      describe_model(controller.metadata))
    try:
        print(report)
    except BrokenPipeError:  # e.g. piped into `head`: the reader has all it wanted
        # Point stdout at devnull so that the flush at exit does not complain (Python docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
