"""`python -m app` and the `digit-pad` console script: start the Digit Pad window.

    digit-pad [--weights PATH | --bundled] [--drawing FILE.jsonl | --image FILE] [--views stages,evidence,network,examples]
    digit-pad --version | --where

The model: `--weights PATH` > `--bundled` > the model chosen in the app last time (remembered in
the settings) > the bundled weights (app.model_choice).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from app.window import DigitPadWindow

# The window predicts one drawing at a time, a one-row matrix product: BLAS worker threads only add
# hand-offs, and on a busy machine they cost whole time slices (one prediction with the bundled
# weights: p95 16-24 ms with OpenBLAS threads vs 0.4-0.5 ms with one, measured under load).
# Set before numpy is first imported; a value the user set wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


from model import __version__  # noqa: E402  (after the BLAS variables, before NumPy loads)


#: What --views may open: the View menu's check commands.
VIEWS = ("stages", "evidence", "network", "examples")


def _views(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in VIEWS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown view {unknown[0]!r} (choose from {', '.join(VIEWS)})")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digit-pad",
                                     description="Draw a digit and watch a small neural network read it live.")
    parser.add_argument("--version", action="version", version=f"digit-pad {__version__}")
    parser.add_argument("--where", action="store_true",
                        help="print the folders Digit Pad uses (your data, models, settings, cache) and exit")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--weights", metavar="PATH", default=None,
                       help="weights file to load for this session (default: the model chosen in the app "
                            "last time, else the bundled weights)")
    which.add_argument("--bundled", action="store_true",
                       help="start with the bundled model and forget the model chosen in the app")
    parser.add_argument("--drawing", metavar="FILE.jsonl", default=None,
                        help="open this drawing (the file's first) at start")
    parser.add_argument("--image", metavar="FILE", default=None,
                        help="open this picture of a digit at start (PNG, JPEG, BMP, GIF, TIFF, WebP)")
    parser.add_argument("--views", metavar="LIST", default="", type=_views,
                        help="open these views at start, comma-separated: " + ", ".join(VIEWS)
                             + " (as the View menu does)")
    parser.add_argument("--state-file", metavar="PATH", default=None,
                        help="debugging/testing: rewrite the window's state as JSON to PATH after each update")
    parser.add_argument("--profile", metavar="PATH", default=os.environ.get("DIGITPAD_PROFILE"),
                        help="benchmarking: record event-to-update latencies, written to PATH on quit "
                             "(also env DIGITPAD_PROFILE)")
    return parser


def where() -> str:
    """One 'role: path' line per folder or file Digit Pad uses."""
    from model.userdata import describe

    return "\n".join(f"{role}: {path}" for role, path in describe().items())


def open_window(args: argparse.Namespace, root) -> "DigitPadWindow":
    """Build the window in `root` (a withdrawn tk.Tk) with the model the options and the settings
    choose; WeightsError when no model can be opened."""
    from app import model_choice
    from app.controller import DigitPadController
    from app.observer import attach
    from model.settings import SettingsStore
    from app.window import DigitPadWindow

    settings = SettingsStore()
    notices = [settings.warning] if settings.warning else []
    choices = model_choice.candidates(args.weights, args.bundled, settings.settings.model)
    controller, choice, warning = model_choice.open_first(choices, DigitPadController.from_weights)
    if warning:
        notices.append(warning)
    if args.bundled and settings.settings.model is not None:
        problem = settings.update(model=None)
        if problem:
            notices.append(problem)
    window = DigitPadWindow(root, controller, model=choice, settings=settings, notices=notices)
    attach(window, Path(args.state_file) if args.state_file else None, Path(args.profile) if args.profile else None)
    if args.drawing:
        window.files.open_drawing_file(Path(args.drawing))
    if args.image:
        window.files.open_image_file(Path(args.image))
    for view in args.views:
        window.commands.run(view)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.where:
        print(where())
        return 0
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        print("digit-pad: no display: DISPLAY is not set (Digit Pad needs a graphical desktop session)",
              file=sys.stderr)
        return 2
    try:
        import tkinter
    except ImportError as exc:
        print(f"digit-pad: tkinter is not available ({exc}); install your system's python3-tk package",
              file=sys.stderr)
        return 2

    try:
        root = tkinter.Tk(className="Digit Pad")
    except tkinter.TclError as exc:
        display = os.environ.get("DISPLAY", "")
        print(f"digit-pad: no display: cannot open {display!r} ({' '.join(str(exc).split())})", file=sys.stderr)
        return 2
    root.withdraw()  # stays unmapped until it is built, so a bad weights file never flashes a window

    from model.oneline import one_line
    from model.weights_io import WeightsError

    try:
        window = open_window(args, root)
    except WeightsError as exc:
        root.destroy()
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    root.deiconify()
    try:
        root.mainloop()
    except KeyboardInterrupt:
        window.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
