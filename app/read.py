"""Read pictures of digits from the command line through the app's own controller.

    python -m app.read FILES... [--weights PATH] [--json]
    digit-pad-read FILES... [--weights PATH] [--json]

Each file is opened with `DigitPadController.open_image`, exactly what File > Open image and
`digit-pad --image` do in the window, so the reading printed here is the one the window shows.
Per file: the digit, its confidence, the verdict (sure, unsure, not_digit, empty) and the ten
probabilities; a note when the picture holds several digits (the largest is read). With --json,
one JSON array of objects with file, digit, confidence, verdict, runner_up, probabilities, note
(a file that could not be read has verdict 'error', null digit and probabilities, and error: the
line naming the problem).

A file that cannot be read gets one line naming it (on stderr) and the others are still read;
the exit code is 1 when any file failed, 2 when the weights cannot be loaded, else 0.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

# One picture at a time: BLAS threads would only add hand-overs (as in app/__main__.py).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from app.controller import DigitPadController, Reading  # noqa: E402
from model.oneline import escape, one_line  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, WeightsError  # noqa: E402
from preprocessing.pipeline import ImageError  # noqa: E402


def read_file(controller: DigitPadController, path: str) -> dict[str, Any]:
    """The reading of one picture as a JSON-ready dict; ImageError when it cannot be read."""
    try:
        reading = controller.open_image(Path(path), label=path)
    finally:
        controller.forget_history()  # the pictures already read need no undo
    return reading_record(path, reading)


def reading_record(path: str, reading: Reading) -> dict[str, Any]:
    probabilities = None if reading.probabilities is None else [round(float(p), 6) for p in reading.probabilities]
    return {"file": path, "digit": reading.digit, "confidence": round(float(reading.confidence), 6),
            "verdict": reading.verdict, "runner_up": reading.runner_up, "probabilities": probabilities,
            "note": reading.note}


def format_record(record: dict[str, Any]) -> str:
    """One line: 'photo.jpg: 7  98.1 %  sure  [0.00 0.00 ...]' (and the note)."""
    name = escape(record["file"], 200)
    if record["digit"] is None:
        return f"{name}: no ink found  empty"
    bars = " ".join(f"{p:.2f}" for p in record["probabilities"])
    note = f"  ({record['note']}: read the largest)" if record.get("note") else ""
    return f"{name}: {record['digit']}  {record['confidence'] * 100:.1f} %  {record['verdict']}  [{bars}]{note}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.read",
        description="Read pictures of digits (PNG, JPEG, BMP, GIF, TIFF, WebP, ...) with the network, "
                    "through the same code as the window's File > Open image.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="image files")
    parser.add_argument("--weights", metavar="PATH", default=None,
                        help=f"weights file (default: the bundled {BUNDLED_WEIGHTS.name})")
    parser.add_argument("--json", action="store_true", help="print one JSON array instead of lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    weights = Path(args.weights) if args.weights else BUNDLED_WEIGHTS
    try:
        controller = DigitPadController.from_weights(weights)
    except WeightsError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    records: list[dict[str, Any]] = []
    failed = 0
    for path in args.files:
        try:
            record = read_file(controller, path)
        except ImageError as exc:
            failed += 1
            print(f"error: {one_line(exc)}", file=sys.stderr)
            records.append({"file": path, "digit": None, "confidence": 0.0, "verdict": "error",
                            "runner_up": None, "probabilities": None, "note": None, "error": one_line(exc)})
            continue
        records.append(record)
        if not args.json:
            print(format_record(record), flush=True)
    if args.json:
        try:
            print(json.dumps(records, indent=1))
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
