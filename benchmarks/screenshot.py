"""The README's screenshot: the real window under Xvfb with a digit drawn by real pointer events.

    python benchmarks/screenshot.py [--weights PATH] [--digit 7] [--no-stages] [--views] [--out PATH] [--json]

Starts a private Xvfb and `python -m app`, draws the committed sample drawing of --digit that the
model reads most confidently (tests/data/drawings_sample.jsonl, real pen strokes) with xdotool,
shows the pipeline stages, and saves the window to benchmarks/results/screenshot.png (atomically).
Needs Xvfb and xdotool (the picture is grabbed with Pillow's ImageGrab).

--views: the see-inside picture instead (benchmarks/results/screenshot_views.png): the window with
the evidence overlay on the grid, and the network view's window under it, side by side on one
picture.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xwindow import REPO_ROOT, AppWindow, ToolMissing, Xvfb, require  # noqa: E402

from app.controller import DigitPadController  # noqa: E402
from app.replay import replay_drawing  # noqa: E402
from model.atomic import atomic_write  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, WeightsError  # noqa: E402
from preprocessing.drawing import DrawingFormatError, read_drawings  # noqa: E402

SAMPLE = REPO_ROOT / "tests" / "data" / "drawings_sample.jsonl"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "screenshot.png"
VIEWS_OUT = REPO_ROOT / "benchmarks" / "results" / "screenshot_views.png"
#: Around and between the windows on the --views picture (the app's background colour).
MARGIN_PX = 12


def window_image(app: AppWindow, window_id: str):
    """One X window (a toplevel of the app) as a PIL image."""
    from PIL import ImageGrab
    geometry = dict(line.split("=") for line in app.xdo("getwindowgeometry", "--shell", window_id).split())
    x, y, width, height = (int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    return ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=app.env["DISPLAY"])


def stacked(images, background):
    """The images one under the other on a `background` picture, MARGIN_PX apart."""
    from PIL import Image
    width = max(image.width for image in images) + 2 * MARGIN_PX
    height = sum(image.height for image in images) + MARGIN_PX * (len(images) + 1)
    out = Image.new("RGB", (width, height), background)
    y = MARGIN_PX
    for image in images:
        out.paste(image, (MARGIN_PX, y))
        y += image.height + MARGIN_PX
    return out


def pick_drawing(weights: Path, digit: int):
    """The sample drawing of `digit` that the model reads correctly with the highest confidence."""
    controller = DigitPadController.from_weights(weights)
    best = None
    for drawing in read_drawings(SAMPLE):
        if drawing.label != digit:
            continue
        reading = replay_drawing(controller, drawing)
        score = (reading.digit == digit, reading.confidence)
        if best is None or score > best[0]:
            best = (score, drawing)
    if best is None:
        raise DrawingFormatError(f"{SAMPLE}: no drawing of {digit}")
    return best[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", metavar="PATH", default=str(BUNDLED_WEIGHTS),
                        help="weights file the app reads (default: the bundled weights)")
    parser.add_argument("--digit", type=int, default=7, choices=range(10), metavar="0-9",
                        help="which digit is drawn, from the sample drawings (default 7)")
    parser.add_argument("--no-stages", action="store_true", help="leave the pipeline stages hidden")
    parser.add_argument("--views", action="store_true",
                        help=f"the evidence overlay and the network view (default out: {VIEWS_OUT.name})")
    parser.add_argument("--out", metavar="PATH", default=None,
                        help=f"where the PNG is written (default: {DEFAULT_OUT.name}, or {VIEWS_OUT.name} "
                             "with --views, in benchmarks/results)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else VIEWS_OUT if args.views else DEFAULT_OUT
    extra = ["--views", "evidence,network"] if args.views else []
    try:
        require("Xvfb", "xdotool")
        drawing = pick_drawing(Path(args.weights), args.digit)
        with Xvfb() as x, tempfile.TemporaryDirectory(prefix="digitpad-shot-") as tmp:
            app = AppWindow(x.display, Path(tmp) / "state.json", "--weights", args.weights, *extra)
            try:
                if not args.no_stages and not args.views:
                    app.key("F2")
                    app.wait_for(lambda s: s["stages_visible"], "the stage view")
                state = app.wait_for(lambda s: s["canvas"]["size"] > 0, "the canvas")
                commands = []
                for stroke in drawing.strokes:
                    commands += app.stroke_script(app.screen_points(stroke, state, step_px=4), 0.004)
                # Rest the pointer on the status line, away from the canvas and the grid.
                window = state["window"]
                commands.append(f"mousemove {window['x'] + 40} {window['y'] + window['height'] - 8}")
                app.xdo("windowfocus", "--sync", app.window)
                app.run_script(commands)
                app.wait_for(lambda s: s["strokes"] == len(drawing.strokes), "the drawing")
                state = app.settle()
                out.parent.mkdir(parents=True, exist_ok=True)
                image = app.screenshot()
                if args.views:
                    from app.theme import BACKGROUND, rgb
                    network = app.xdo("search", "--sync", "--pid", str(app.process.pid), "--name",
                                      "inside the network").split()[0]
                    image = stacked([image, window_image(app, network)], rgb(BACKGROUND))
                atomic_write(out, lambda handle: image.save(handle, format="PNG"))
            finally:
                app.quit()
    except (ToolMissing, DrawingFormatError, WeightsError, RuntimeError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    result = {"path": str(out), "title": state["title"], "digit": state["digit"], "label": drawing.label,
              "writer": drawing.writer, "confidence": state["confidence"]}
    print(json.dumps(result) if args.json else f"saved {out} ({state['title']}, a {drawing.label} by {drawing.writer})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
